package server

import (
	"fmt"
	"strings"
)

// Flag is a command property, as in Redis's command table.
type Flag uint32

// Command flags (Redis 7.0 names in comments).
const (
	FlagWrite           Flag = 1 << iota // write
	FlagReadonly                         // readonly
	FlagDenyOOM                          // denyoom: refused when over maxmemory
	FlagAdmin                            // admin
	FlagPubSub                           // pubsub
	FlagNoScript                         // noscript
	FlagBlocking                         // blocking
	FlagLoading                          // loading: allowed while loading
	FlagStale                            // stale: allowed on a replica with a broken link
	FlagSkipMonitor                      // skip_monitor
	FlagSkipSlowlog                      // skip_slowlog
	FlagFast                             // fast
	FlagNoAuth                           // no_auth
	FlagMayReplicate                     // may_replicate
	FlagNoMulti                          // no_multi
	FlagProtected                        // protected (DEBUG): gated by enable-debug-command
	FlagAllowBusy                        // allow_busy
	FlagNoMandatoryKeys                  // no_mandatory_keys
	// FlagTouchesArbitraryKeys (touches_arbitrary_keys, hidden from COMMAND as in Redis):
	// the keys the command expires on the way are propagated one DEL each, not wrapped
	// in MULTI/EXEC as the effects of one command are (SCAN, RANDOMKEY).
	FlagTouchesArbitraryKeys
	// FlagObservesClients (ours, hidden from COMMAND): the command reports on the other
	// clients, so input they were sent before it is read first (settle.go).
	FlagObservesClients
	// FlagGrowsByOffset (ours, hidden): what the command adds to a string is not bounded
	// by its arguments (SETRANGE, SETBIT, BITFIELD at an offset), so used_memory measures
	// the key's size change even without maxmemory (evict.go growthBefore): estimated from
	// the arguments, 100 SETRANGEs of 100 KB counted 11 KB, and a maxmemory set from
	// used_memory then evicted keys.
	FlagGrowsByOffset
	// FlagArrivalOrder (ours, hidden): what the command does depends on the order of the
	// commands other clients sent just before it: it may serve blocked clients (it can
	// create a list or a sorted set, which Redis signals ready; EXEC for what it holds).
	// Its batch runs in arrival order (arrival.go). The table adds it to blocking and
	// pub/sub commands.
	FlagArrivalOrder
)

var flagNames = []string{"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking",
	"loading", "stale", "skip_monitor", "skip_slowlog", "fast", "no_auth", "may_replicate",
	"no_multi", "protected", "allow_busy", "no_mandatory_keys"}

// Names returns the Redis names of the flags that are set.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Handler executes one command for c, whose arguments are c.args (c.args[0] is the name).
// It runs under the server's execution lock. Arguments alias the client's read buffer:
// copy anything that is kept after the handler returns.
type Handler func(c *Client)

// Command is one entry of the command table.
type Command struct {
	// Name is the lower-case name ("get", or "config|get" for a subcommand).
	Name string
	// Arity is Redis's arity: n = exactly n arguments including the name, -n = at least n.
	Arity int
	// Flags are the command's properties.
	Flags Flag
	// FirstKey, LastKey, Step give the key positions (Redis's legacy key spec; LastKey -1 = last arg).
	FirstKey, LastKey, Step int
	// Handler runs the command. Container commands (CONFIG, CLIENT...) leave it nil and fill Subs.
	Handler Handler
	// Subs are the subcommands of a container command, keyed by lower-case name.
	Subs map[string]*Command
	// Group is the command group shown by COMMAND DOCS ("string", "list", ...).
	Group string

	stats *cmdStats
}

// cmdStats are INFO commandstats counters.
type cmdStats struct {
	calls, usec, rejected, failed int64
	hist                          *latencyHist // latency-tracking, allocated at the first call
}

// commandTable is the server's table, keyed by lower-case name.
type commandTable map[string]*Command

// add registers cmds; registering a name twice is a broken invariant and panics.
func (t commandTable) add(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := t[c.Name]; dup {
			panic("server: command registered twice: " + c.Name)
		}
		if c.Handler == nil && len(c.Subs) == 0 {
			panic("server: command without handler: " + c.Name)
		}
		c.stats = &cmdStats{}
		if c.Flags&(FlagBlocking|FlagPubSub) != 0 {
			c.Flags |= FlagArrivalOrder
		}
		for name, sub := range c.Subs {
			if !strings.HasPrefix(sub.Name, c.Name+"|") || sub.Name[len(c.Name)+1:] != name {
				panic("server: subcommand misnamed: " + sub.Name)
			}
			sub.stats = &cmdStats{}
		}
		t[c.Name] = c
	}
}

// buildCommandTable returns the full command table. Each family contributes its own list.
func buildCommandTable() commandTable {
	t := commandTable{}
	for _, family := range [][]*Command{
		connectionCommands(),
		serverCommands(),
		stringCommands(),
		bitmapCommands(),
		listCommands(),
		hashCommands(),
		setCommands(),
		zsetCommands(),
		keyCommands(),
		multiCommands(),
		pubsubCommands(),
		configCommands(),
		persistCommands(),
		aofCommands(),
		monitorCommands(),
		latencyCommands(),
		dumpCommands(),
		migrateCommands(),
		syncCommands(),
	} {
		t.add(family...)
	}
	return t
}

// sub builds a subcommand entry of container.
func sub(container, name string, arity int, flags Flag, h Handler) *Command {
	return &Command{Name: container + "|" + name, Arity: arity, Flags: flags, Handler: h}
}

// subs turns a list of subcommands into the Subs map.
func subs(list ...*Command) map[string]*Command {
	m := make(map[string]*Command, len(list))
	for _, s := range list {
		m[s.Name[strings.IndexByte(s.Name, '|')+1:]] = s
	}
	return m
}

// lookup finds the command for args, descending into subcommands. On failure it returns
// the error reply text.
func (t commandTable) lookup(args [][]byte) (*Command, string) {
	var buf [32]byte
	name := lower(buf[:0], args[0])
	cmd, ok := t[string(name)]
	if !ok {
		return nil, fmt.Sprintf(ErrUnknownCommand, truncate(string(args[0]), 128), argsPreview(args[1:]))
	}
	if len(cmd.Subs) == 0 {
		return cmd, ""
	}
	if len(args) < 2 {
		if cmd.Handler != nil { // a container with a form without subcommand (COMMAND)
			return cmd, ""
		}
		return nil, fmt.Sprintf(ErrWrongArgs, cmd.Name)
	}
	sname := lower(buf[:0], args[1])
	sc, ok := cmd.Subs[string(sname)]
	if !ok {
		// the container as typed, as Redis: a renamed one answers under its new name
		return nil, fmt.Sprintf(ErrUnknownSubcommand, truncate(string(args[1]), 128), strings.ToUpper(string(args[0])))
	}
	return sc, ""
}

// arityOK reports whether n arguments satisfy arity.
func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

func lower(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// argsPreview formats the "with args beginning with:" part of Redis's unknown-command error.
func argsPreview(args [][]byte) string {
	var sb strings.Builder
	for _, a := range args {
		if sb.Len() >= 128 {
			break
		}
		remaining := 128 - sb.Len()
		s := string(a)
		if len(s) > remaining {
			s = s[:remaining]
		}
		sb.WriteString("'")
		sb.WriteString(s)
		sb.WriteString("' ")
	}
	return sb.String()
}
