package server

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/resp"
)

// adminState is the server-side state of CLIENT PAUSE, MONITOR and SLOWLOG (under mu).
type adminState struct {
	pause    pauseState
	monitors []*Client
	slowlog  []slowlogEntry // newest first
	slowID   int64          // id of the next slowlog entry
}

// clientAdmin is the per-client state of this family (under mu).
type clientAdmin struct {
	softLimitSince int64 // unix seconds the output soft limit was first exceeded, 0 = not exceeded
}

// pauseKind is the CLIENT PAUSE mode; a larger kind pauses more.
type pauseKind int

const (
	pauseOff   pauseKind = iota
	pauseWrite           // only commands that may write or replicate are held
	pauseAll             // every command of normal clients is held
)

// pausePurpose is who paused the clients (Redis 7.0's pause_purpose): each purpose
// has its own pause, and ending one leaves the others in force.
type pausePurpose int

const (
	pauseByCommand  pausePurpose = iota // CLIENT PAUSE; the only one that ends by time
	pauseByShutdown                     // waiting for lagging replicas before shutting down
	pauseByFailover                     // FAILOVER
	numPausePurposes
)

// pauseState is the pause in force: kind is the strictest over the purposes. done is
// closed whenever the pause ends or relaxes, so that held clients look again.
type pauseState struct {
	kind pauseKind
	done chan struct{}
	per  [numPausePurposes]struct {
		kind  pauseKind
		endMs int64 // unix ms
	}
}

// clientCommand returns CLIENT and its subcommands.
func clientCommand() *Command {
	const cf = FlagNoScript | FlagLoading | FlagStale
	return &Command{Name: "client", Arity: -2, Group: "connection", Subs: subs(
		sub("client", "id", 2, cf, cmdClientID),
		sub("client", "info", 2, cf, cmdClientInfo),
		sub("client", "list", -2, FlagAdmin|cf|FlagObservesClients, cmdClientList),
		sub("client", "kill", -3, FlagAdmin|cf, cmdClientKill),
		sub("client", "setname", 3, cf, cmdClientSetname),
		sub("client", "getname", 2, cf, cmdClientGetname),
		sub("client", "pause", -3, FlagAdmin|cf, cmdClientPause),
		sub("client", "unpause", 2, FlagAdmin|cf, cmdClientUnpause),
		sub("client", "reply", 3, cf, cmdClientReply),
		sub("client", "no-evict", 3, FlagAdmin|cf, cmdClientNoEvict),
		sub("client", "unblock", -3, FlagAdmin|cf, cmdClientUnblock),
		sub("client", "getredir", 2, cf, cmdClientGetredir),
		sub("client", "trackinginfo", 2, cf, cmdClientTrackingInfo),
		sub("client", "caching", 3, cf, cmdClientCaching),
		sub("client", "help", 2, FlagLoading|FlagStale, cmdClientHelp),
	)}
}

func cmdClientID(c *Client) { c.w.Int(c.id) }

func cmdClientInfo(c *Client) {
	c.w.Verbatim(string(c.appendInfo(nil, c))+"\n", "txt")
}

// validClientName is Redis's validateClientName: printable ASCII without spaces.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdClientSetname(c *Client) {
	if !validClientName(c.args[2]) {
		c.err(ErrClientName)
		return
	}
	c.name = string(c.args[2])
	c.ok()
}

func cmdClientGetname(c *Client) {
	if c.name == "" {
		c.w.Null()
		return
	}
	c.w.BulkString(c.name)
}

func cmdClientGetredir(c *Client) { c.w.Int(-1) }

// cmdClientCaching always fails: tracking (CLIENT TRACKING) is never enabled in Vigil.
func cmdClientCaching(c *Client) { c.err(ErrCachingNoTracking) }

// cmdClientTrackingInfo reports tracking as off: Vigil has no client-side caching.
func cmdClientTrackingInfo(c *Client) {
	c.w.Map(3)
	c.w.BulkString("flags")
	c.w.Set(1)
	c.w.BulkString("off")
	c.w.BulkString("redirect")
	c.w.Int(-1)
	c.w.BulkString("prefixes")
	c.w.Array(0)
}

// clientType is Redis's client type, used by CLIENT LIST/KILL TYPE and output limits.
type clientType int

const (
	typeNormal clientType = iota
	typeReplica
	typePubSub
	typeMaster
)

// clientTypeByName is getClientTypeByName; ok is false for an unknown name.
func clientTypeByName(name string) (clientType, bool) {
	switch strings.ToLower(name) {
	case "normal":
		return typeNormal, true
	case "slave", "replica":
		return typeReplica, true
	case "pubsub":
		return typePubSub, true
	case "master":
		return typeMaster, true
	}
	return 0, false
}

// ctype is getClientType (MONITOR clients count as normal).
func (c *Client) ctype() clientType {
	switch {
	case c.has(ClientMaster):
		return typeMaster
	case c.has(ClientReplica) && !c.has(ClientMonitor):
		return typeReplica
	case c.has(ClientPubSub):
		return typePubSub
	}
	return typeNormal
}

// sortedClients returns the connected clients in connection order.
func (s *Server) sortedClients() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func cmdClientList(c *Client) {
	s := c.srv
	var list []*Client
	switch {
	case len(c.args) == 2:
		list = s.sortedClients()
	case len(c.args) == 4 && strings.EqualFold(string(c.args[2]), "type"):
		t, ok := clientTypeByName(string(c.args[3]))
		if !ok {
			c.err(fmt.Sprintf(ErrUnknownClientType, string(c.args[3])))
			return
		}
		for _, cl := range s.sortedClients() {
			if cl.ctype() == t {
				list = append(list, cl)
			}
		}
	case len(c.args) > 3 && strings.EqualFold(string(c.args[2]), "id"):
		for _, a := range c.args[3:] {
			id, ok := resp.ParseInt(a)
			if !ok {
				c.err(ErrInvalidClientID)
				return
			}
			if cl := s.clients[id]; cl != nil {
				list = append(list, cl)
			}
		}
	default:
		c.err(ErrSyntax)
		return
	}
	var b []byte
	for _, cl := range list {
		b = c.appendInfo(b, cl)
		b = append(b, '\n')
	}
	c.w.Verbatim(string(b), "txt")
}

// appendInfo appends cl's CLIENT LIST line (catClientInfoString) as seen by c.
func (c *Client) appendInfo(b []byte, cl *Client) []byte {
	now := time.Now()
	cmd := cl.lastCmd
	if cl == c && c.cmd != nil {
		cmd = c.cmd.Name
	}
	if cmd == "" {
		cmd = "NULL"
	}
	multi := -1
	if cl.has(ClientMulti) {
		multi = len(cl.multi)
	}
	cl.outMu.Lock()
	omem := cl.outputLenLocked() + int(cl.outFlight.Load()) // what the writer is sending is still output
	cl.outMu.Unlock()
	argvMem := 0
	if cl == c {
		for _, a := range c.args {
			argvMem += len(a)
		}
	}
	kv := func(k string, v int64) {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ' ')
	}
	ks := func(k, v string) {
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, v...)
		b = append(b, ' ')
	}
	kv("id", cl.id)
	ks("addr", cl.addr)
	ks("laddr", cl.laddr)
	kv("fd", int64(cl.fd()))
	ks("name", cl.name)
	kv("age", int64(now.Sub(cl.ctime)/time.Second))
	kv("idle", int64(now.Sub(cl.lastAt)/time.Second))
	ks("flags", cl.flagString())
	kv("db", int64(cl.dbIndex))
	kv("sub", int64(len(cl.subs)))
	kv("psub", int64(len(cl.psubs)))
	kv("ssub", int64(len(cl.ssubs)))
	kv("multi", int64(multi))
	kv("qbuf", max(0, cl.qbufLen.Load()-cl.qbufSkip.Load()))
	kv("qbuf-free", max(0, cl.qbufCap.Load()-cl.qbufLen.Load()))
	kv("argv-mem", int64(argvMem))
	kv("multi-mem", int64(cl.multiMem))
	kv("rbs", int64(cl.rbuf.rbs()))
	kv("rbp", int64(cl.rbuf.peak))
	kv("obl", 0)
	kv("oll", 0)
	kv("omem", int64(omem))
	kv("tot-mem", cl.memUsage()+int64(argvMem))
	ks("events", "r")
	ks("cmd", cmd)
	ks("user", cl.user)
	kv("redir", -1)
	b = append(b, "resp="...)
	b = strconv.AppendInt(b, int64(cl.w.Proto), 10)
	return b
}

// flagString is the flags field of CLIENT LIST.
func (c *Client) flagString() string {
	var f []byte
	if c.has(ClientMonitor) {
		f = append(f, 'O')
	} else if c.has(ClientReplica) {
		f = append(f, 'S')
	}
	for _, x := range []struct {
		flag ClientFlag
		ch   byte
	}{{ClientMaster, 'M'}, {ClientPubSub, 'P'}, {ClientMulti, 'x'}} {
		if c.has(x.flag) {
			f = append(f, x.ch)
		}
	}
	if c.block != nil {
		f = append(f, 'b')
	}
	for _, x := range []struct {
		flag ClientFlag
		ch   byte
	}{{ClientDirtyCAS, 'd'}, {ClientCloseAfterReply, 'c'}, {ClientKilled, 'A'}, {ClientUnixSocket, 'U'}, {ClientNoEvict, 'e'}} {
		if c.has(x.flag) {
			f = append(f, x.ch)
		}
	}
	if len(f) == 0 {
		return "N"
	}
	return string(f)
}

// fd returns the connection's file descriptor, -1 if it has none.
func (c *Client) fd() int {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// killFilter is the parsed form of CLIENT KILL's filters.
type killFilter struct {
	addr, laddr string
	id          int64
	typ         clientType
	hasType     bool
	user        string
	hasUser     bool
	skipMe      bool
}

func (f *killFilter) match(cl *Client) bool {
	return (f.addr == "" || cl.addr == f.addr) &&
		(f.laddr == "" || cl.laddr == f.laddr) &&
		(f.id == 0 || cl.id == f.id) &&
		(!f.hasType || cl.ctype() == f.typ) &&
		(!f.hasUser || cl.user == f.user)
}

// parseKillFilter parses the new form of CLIENT KILL, replying the error itself.
func (c *Client) parseKillFilter() (killFilter, bool) {
	f := killFilter{skipMe: true}
	for i := 2; i < len(c.args); i += 2 {
		if i+1 >= len(c.args) {
			c.err(ErrSyntax)
			return f, false
		}
		val := string(c.args[i+1])
		switch strings.ToLower(string(c.args[i])) {
		case "id":
			id, ok := resp.ParseInt(c.args[i+1])
			if !ok || id < 1 {
				c.err(ErrClientKillID)
				return f, false
			}
			f.id = id
		case "type":
			t, ok := clientTypeByName(val)
			if !ok {
				c.err(fmt.Sprintf(ErrUnknownClientType, val))
				return f, false
			}
			f.typ, f.hasType = t, true
		case "addr":
			f.addr = val
		case "laddr":
			f.laddr = val
		case "user":
			if val != "default" {
				c.err(fmt.Sprintf(ErrNoSuchUser, val))
				return f, false
			}
			f.user, f.hasUser = val, true
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				f.skipMe = true
			case "no":
				f.skipMe = false
			default:
				c.err(ErrSyntax)
				return f, false
			}
		default:
			c.err(ErrSyntax)
			return f, false
		}
	}
	return f, true
}

func cmdClientKill(c *Client) {
	var f killFilter
	oldStyle := len(c.args) == 3
	if oldStyle {
		f.addr = string(c.args[2])
	} else {
		var ok bool
		if f, ok = c.parseKillFilter(); !ok {
			return
		}
	}
	s := c.srv
	killed := 0
	closeSelf := false
	for _, cl := range s.sortedClients() {
		if !f.match(cl) || (cl == c && f.skipMe) {
			continue
		}
		killed++
		if cl == c {
			closeSelf = true
			continue
		}
		s.killClient(cl)
	}
	if closeSelf {
		c.flags |= ClientCloseAfterReply
	}
	if oldStyle {
		if killed == 0 {
			c.err(ErrNoSuchClient)
		} else {
			c.ok()
		}
		return
	}
	c.w.Int(int64(killed))
}

// killClient disconnects another client now (freeClient): it leaves the client list at once
// and its connection goroutine cleans up when its read fails. Its unsent output, which
// the closed connection can no longer send, is dropped at once, as Redis frees it with
// the client, and the next OOM check runs a GC cycle first (collectGarbage): else the
// key eviction that follows a client eviction (maxmemory-clients) sees the buffers of
// the clients it just closed, until their goroutines let go of them. Called under mu.
func (s *Server) killClient(cl *Client) {
	cl.flags |= ClientKilled
	s.releaseClientState(cl)
	s.forgetClientMem(cl)
	delete(s.clients, cl.id)
	cl.close()
	cl.outMu.Lock()
	out := cap(cl.pending)
	cl.pending = nil
	cl.outMu.Unlock()
	s.releasedOutput(out)
	s.evict.dropped.Add(1)
}

func cmdClientReply(c *Client) {
	switch strings.ToLower(string(c.args[2])) {
	case "on":
		c.flags &^= ClientReplySkip | ClientReplySkipNext | ClientReplyOff
		c.ok()
	case "off":
		c.flags |= ClientReplyOff
	case "skip":
		if !c.has(ClientReplyOff) {
			c.flags |= ClientReplySkipNext
		}
	default:
		c.err(ErrSyntax)
	}
}

// applyReplyMode drops the reply written since mark when CLIENT REPLY OFF or SKIP is in
// effect, then moves SKIP to the next command (Redis's resetClient). Push replies
// ((un)subscribe confirmations) go out anyway, as Redis's CLIENT_PUSHING.
func (c *Client) applyReplyMode(mark int) {
	if c.flags&(ClientReplyOff|ClientReplySkip|ClientReplySkipNext|ClientPushing) == 0 {
		return
	}
	pushed := c.has(ClientPushing)
	c.flags &^= ClientPushing
	if c.has(ClientReplyOff|ClientReplySkip) && !pushed {
		c.w.B = c.w.B[:mark]
	}
	c.flags &^= ClientReplySkip
	if c.has(ClientReplySkipNext) {
		c.flags = c.flags&^ClientReplySkipNext | ClientReplySkip
	}
}

func cmdClientNoEvict(c *Client) {
	switch strings.ToLower(string(c.args[2])) {
	case "on":
		c.flags |= ClientNoEvict
	case "off":
		c.flags &^= ClientNoEvict
	default:
		c.err(ErrSyntax)
		return
	}
	c.ok()
}

func cmdClientUnblock(c *Client) {
	if len(c.args) > 4 {
		c.err(fmt.Sprintf(ErrSubcommandSyntax, "UNBLOCK", "CLIENT"))
		return
	}
	id, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	withErr := false
	if len(c.args) == 4 {
		switch strings.ToLower(string(c.args[3])) {
		case "timeout":
		case "error":
			withErr = true
		default:
			c.err(ErrClientUnblockReason)
			return
		}
	}
	s := c.srv
	target := s.clients[id]
	if target == nil || target.block == nil {
		c.w.Int(0)
		return
	}
	if withErr {
		s.unblockWithError(target, ErrUnblocked)
	} else {
		s.unblockWithTimeout(target)
	}
	c.w.Int(1)
}

func cmdClientPause(c *Client) {
	if len(c.args) > 4 {
		c.err(fmt.Sprintf(ErrSubcommandSyntax, "PAUSE", "CLIENT"))
		return
	}
	ms, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrPauseTimeout)
		return
	}
	if ms < 0 {
		c.err(ErrTimeoutNegative)
		return
	}
	kind := pauseAll
	if len(c.args) == 4 {
		switch strings.ToLower(string(c.args[3])) {
		case "write":
			kind = pauseWrite
		case "all":
		default:
			c.err(ErrPauseMode)
			return
		}
	}
	end := int64(math.MaxInt64)
	if now := time.Now().UnixMilli(); ms <= math.MaxInt64-now {
		end = now + ms
	}
	c.srv.pauseClients(pauseByCommand, kind, end)
	c.ok()
}

func cmdClientUnpause(c *Client) {
	c.srv.unpauseClients(pauseByCommand)
	c.ok()
}

// pauseClients starts or extends purpose's pause: its kind can only grow and its end
// only move later.
func (s *Server) pauseClients(purpose pausePurpose, kind pauseKind, endMs int64) {
	p := &s.admin.pause
	pp := &p.per[purpose]
	pp.kind = max(pp.kind, kind)
	pp.endMs = max(pp.endMs, endMs)
	s.updatePause()
}

// unpauseClients ends purpose's pause; held clients run unless another purpose still
// holds them.
func (s *Server) unpauseClients(purpose pausePurpose) {
	p := &s.admin.pause
	if p.per[purpose].kind == pauseOff {
		return
	}
	p.per[purpose].kind, p.per[purpose].endMs = pauseOff, 0
	s.updatePause()
}

// updatePause recomputes the pause in force (updateClientPauseTypeAndEndTime) and wakes
// the held clients when it ended or relaxed.
func (s *Server) updatePause() {
	p := &s.admin.pause
	kind := pauseOff
	for _, pp := range p.per {
		kind = max(kind, pp.kind)
	}
	if kind < p.kind && p.done != nil {
		close(p.done)
		p.done = nil
	}
	if kind != pauseOff && p.done == nil {
		p.done = make(chan struct{})
	}
	p.kind = kind
}

// pauseActive reports whether clients are paused, ending CLIENT PAUSE when its time is up
// (checkClientPauseTimeoutAndReturnIfPaused).
func (s *Server) pauseActive() bool {
	p := &s.admin.pause
	if p.kind == pauseOff {
		return false
	}
	if c := p.per[pauseByCommand]; c.kind != pauseOff && time.Now().UnixMilli() >= c.endMs {
		s.unpauseClients(pauseByCommand)
	}
	return p.kind != pauseOff
}

// mustPostpone reports whether cmd from c is held by the current pause (Redis's
// blockPostponeClient condition): replicas are never paused; WRITE holds the commands
// that may write or replicate, including an EXEC of such commands.
func (s *Server) mustPostpone(c *Client, cmd *Command) bool {
	if c.has(ClientReplica) || !s.pauseActive() {
		return false
	}
	if s.admin.pause.kind == pauseAll {
		return true
	}
	flags := cmd.Flags
	if cmd.Name == "exec" {
		union, _ := c.queuedFlags()
		flags |= union
	}
	return flags&(FlagWrite|FlagMayReplicate) != 0
}

// waitUnpaused waits, without the lock, until the pause that held c's command ends. It
// returns false if the connection closed meanwhile.
func (s *Server) waitUnpaused(c *Client) bool {
	for {
		s.mu.Lock()
		active := s.pauseActive()
		p := &s.admin.pause
		done, end := p.done, p.per[pauseByCommand].endMs
		if p.per[pauseByCommand].kind == pauseOff {
			end = math.MaxInt64 // the other purposes end by unpauseClients alone
		}
		s.mu.Unlock()
		if !active {
			return true
		}
		t := time.NewTimer(time.Until(time.UnixMilli(end)))
		select {
		case <-done:
		case <-t.C:
		case <-c.closed:
			t.Stop()
			return false
		}
		t.Stop()
	}
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

func cmdClientHelp(c *Client) { c.replyHelpLines("CLIENT", clientHelp) }

// clientsCron ends an expired CLIENT PAUSE and resizes the clients' reply buffers. Idle
// timeouts are read deadlines (conn.go).
func (s *Server) clientsCron() {
	s.pauseActive()
	s.resizeReplyBufs()
	s.releaseIdleQueryBufs()
	s.checkOutputLimits()
	s.evictClients()
}
