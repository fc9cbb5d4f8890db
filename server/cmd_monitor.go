package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/resp"
)

// Slowlog entry limits (SLOWLOG_ENTRY_MAX_ARGC, SLOWLOG_ENTRY_MAX_STRING).
const (
	slowlogMaxArgc   = 32
	slowlogMaxString = 128
)

// redacted replaces secrets in MONITOR output and the slowlog (shared.redacted).
const redacted = "(redacted)"

// slowlogEntry is one SLOWLOG GET entry.
type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // microseconds
	argv     []string
	peer     string
	name     string
}

// monitorCommands returns MONITOR and SLOWLOG.
func monitorCommands() []*Command {
	const sf = FlagAdmin | FlagLoading | FlagStale
	return []*Command{
		{Name: "monitor", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Handler: cmdMonitor, Group: "server"},
		{Name: "slowlog", Arity: -2, Group: "server", Subs: subs(
			sub("slowlog", "get", -2, sf, cmdSlowlogGet),
			sub("slowlog", "len", 2, sf, cmdSlowlogLen),
			sub("slowlog", "reset", 2, sf, cmdSlowlogReset),
			sub("slowlog", "help", 2, FlagLoading|FlagStale, cmdSlowlogHelp),
		)},
	}
}

func cmdMonitor(c *Client) {
	if c.has(ClientDenyBlocking) {
		c.err(ErrMonitorDenyBlocking)
		return
	}
	if c.has(ClientMonitor | ClientReplica) {
		return // already monitoring: no reply, as Redis
	}
	c.flags |= ClientMonitor
	c.srv.admin.monitors = append(c.srv.admin.monitors, c)
	c.ok()
}

// removeMonitor drops c from the MONITOR list.
func (s *Server) removeMonitor(c *Client) {
	if !c.has(ClientMonitor) {
		return
	}
	c.flags &^= ClientMonitor
	s.admin.monitors = removeClient(s.admin.monitors, c)
}

// afterCall feeds MONITOR clients and the slowlog after a command ran (the end of Redis's
// call()). Admin and skip_monitor commands are not shown; secrets are redacted.
func (s *Server) afterCall(c *Client, cmd *Command, dur time.Duration) {
	us := dur.Microseconds()
	slow := s.cfg.SlowlogLogSlowerThan >= 0 && us >= s.cfg.SlowlogLogSlowerThan && cmd.Flags&FlagSkipSlowlog == 0
	mon := len(s.admin.monitors) > 0 && cmd.Flags&(FlagSkipMonitor|FlagAdmin) == 0
	if !slow && !mon {
		return
	}
	hide := redactedArgs(cmd.Name, c.args)
	if mon {
		s.feedMonitors(c, hide)
	}
	if slow {
		s.slowlogPush(c, hide, us)
	}
}

// redactedArgs returns the positions of c.args that hold secrets (redactClientCommandArgument):
// AUTH's arguments, HELLO's AUTH user and password, MIGRATE's AUTH/AUTH2 credentials, CONFIG
// SET of a password.
func redactedArgs(name string, args [][]byte) map[int]bool {
	switch name {
	case "auth":
		m := map[int]bool{}
		for i := 1; i < len(args); i++ {
			m[i] = true
		}
		return m
	case "hello":
		for j := 2; j+2 < len(args); j++ {
			if strings.EqualFold(string(args[j]), "auth") {
				return map[int]bool{j + 1: true, j + 2: true}
			}
			if strings.EqualFold(string(args[j]), "setname") {
				j++
			}
		}
	case "migrate": // AUTH password, AUTH2 username password (migrateCommand)
		m := map[int]bool{}
		for j := 6; j < len(args); j++ {
			switch strings.ToLower(string(args[j])) {
			case "auth":
				if j+1 < len(args) {
					m[j+1] = true
				}
				j++
			case "auth2":
				if j+2 < len(args) {
					m[j+1], m[j+2] = true, true
				}
				j += 2
			case "keys":
				return m
			}
		}
		return m
	case "config|set":
		m := map[int]bool{}
		for i := 2; i+1 < len(args); i += 2 {
			switch strings.ToLower(string(args[i])) {
			case "requirepass", "masterauth":
				m[i+1] = true
			}
		}
		return m
	}
	return nil
}

// feedMonitors sends the command to every MONITOR client (replicationFeedMonitors).
func (s *Server) feedMonitors(c *Client, hide map[int]bool) {
	now := time.Now()
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := strconv.AppendInt(nil, int64(now.Nanosecond()/1000), 10)
	for i := len(us); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, us...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.dbIndex), 10)
	b = append(b, ' ')
	if c.has(ClientUnixSocket) {
		b = append(b, "unix:"...)
		b = append(b, s.cfg.UnixSocket...)
	} else {
		b = append(b, c.addr...)
	}
	b = append(b, "] "...)
	for i, a := range c.args {
		if i > 0 {
			b = append(b, ' ')
		}
		if hide[i] {
			a = []byte(redacted)
		}
		b = resp.AppendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	for _, m := range s.admin.monitors {
		m.deliver(func(w *resp.Writer) { w.Raw(b) })
	}
}

// slowlogPush records the current command (slowlogCreateEntry) and trims the log.
func (s *Server) slowlogPush(c *Client, hide map[int]bool, us int64) {
	argc := min(len(c.args), slowlogMaxArgc)
	e := slowlogEntry{
		id:       s.admin.slowID,
		time:     time.Now().Unix(),
		duration: us,
		argv:     make([]string, argc),
		peer:     c.addr,
		name:     c.name,
	}
	s.admin.slowID++
	for j := 0; j < argc; j++ {
		switch {
		case argc != len(c.args) && j == argc-1:
			e.argv[j] = "... (" + strconv.Itoa(len(c.args)-argc+1) + " more arguments)"
		case hide[j]:
			e.argv[j] = redacted
		case len(c.args[j]) > slowlogMaxString:
			e.argv[j] = string(c.args[j][:slowlogMaxString]) + "... (" +
				strconv.Itoa(len(c.args[j])-slowlogMaxString) + " more bytes)"
		default:
			e.argv[j] = string(c.args[j])
		}
	}
	log := append(s.admin.slowlog, slowlogEntry{})
	copy(log[1:], log)
	log[0] = e
	if limit := max(s.cfg.SlowlogMaxLen, 0); len(log) > limit {
		clear(log[limit:])
		log = log[:limit]
	}
	s.admin.slowlog = log
}

func cmdSlowlogGet(c *Client) {
	if len(c.args) > 3 {
		c.err(fmt.Sprintf(ErrSubcommandSyntax, "GET", "SLOWLOG"))
		return
	}
	log := c.srv.admin.slowlog
	count := int64(10)
	if len(c.args) == 3 {
		n, ok := resp.ParseInt(c.args[2])
		if !ok || n < -1 {
			c.err(ErrSlowlogCount)
			return
		}
		count = n
		if n == -1 {
			count = int64(len(log))
		}
	}
	count = min(count, int64(len(log)))
	c.w.Array(int(count))
	for _, e := range log[:count] {
		c.w.Array(6)
		c.w.Int(e.id)
		c.w.Int(e.time)
		c.w.Int(e.duration)
		c.w.Array(len(e.argv))
		for _, a := range e.argv {
			c.w.BulkString(a)
		}
		c.w.BulkString(e.peer)
		c.w.BulkString(e.name)
	}
}

func cmdSlowlogLen(c *Client) { c.w.Int(int64(len(c.srv.admin.slowlog))) }

func cmdSlowlogReset(c *Client) {
	clear(c.srv.admin.slowlog)
	c.srv.admin.slowlog = c.srv.admin.slowlog[:0]
	c.ok()
}

func cmdSlowlogHelp(c *Client) {
	c.replyHelpLines("SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	})
}
