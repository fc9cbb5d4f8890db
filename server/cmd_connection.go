package server

import (
	"strconv"
	"strings"
)

// connectionCommands returns PING, ECHO, SELECT, QUIT, AUTH, HELLO, RESET and CLIENT.
func connectionCommands() []*Command {
	const conn = FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagNoAuth | FlagAllowBusy
	return []*Command{
		{Name: "ping", Arity: -1, Flags: FlagFast, Handler: cmdPing, Group: "connection"},
		{Name: "echo", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdEcho, Group: "connection"},
		{Name: "select", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdSelect, Group: "connection"},
		{Name: "quit", Arity: -1, Flags: conn, Handler: cmdQuit, Group: "connection"},
		{Name: "auth", Arity: -2, Flags: conn | FlagSkipSlowlog, Handler: cmdAuth, Group: "connection"},
		{Name: "hello", Arity: -1, Flags: conn | FlagSkipSlowlog, Handler: cmdHello, Group: "connection"},
		{Name: "reset", Arity: 1, Flags: conn, Handler: cmdReset, Group: "connection"},
		clientCommand(),
	}
}

func cmdPing(c *Client) {
	if len(c.args) > 2 {
		c.err("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.has(ClientPubSub) && c.w.Proto == 2 {
		c.w.Array(2)
		c.w.BulkString("pong")
		if len(c.args) == 2 {
			c.w.Bulk(c.args[1])
		} else {
			c.w.BulkString("")
		}
		return
	}
	if len(c.args) == 2 {
		c.w.Bulk(c.args[1])
		return
	}
	c.w.Simple("PONG")
}

func cmdEcho(c *Client) { c.w.Bulk(c.args[1]) }

func cmdSelect(c *Client) {
	id, err := strconv.Atoi(string(c.args[1]))
	if err != nil {
		c.err(ErrInvalidDBIndex)
		return
	}
	if id < 0 || id >= len(c.srv.dbs) {
		c.err(ErrDBIndex)
		return
	}
	c.dbIndex = id
	c.ok()
}

func cmdQuit(c *Client) {
	c.ok()
	c.flags |= ClientCloseAfterReply
}

// authenticate is ACLAuthenticateUser for the only user Vigil has, "default".
func (c *Client) authenticate(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	req := c.srv.cfg.RequirePass
	if req != "" && string(pass) != req {
		return false
	}
	c.authed = true
	c.user = "default"
	return true
}

func cmdAuth(c *Client) {
	if len(c.args) > 3 {
		c.err(ErrSyntax)
		return
	}
	user, pass := []byte("default"), c.args[1]
	if len(c.args) == 2 {
		if c.srv.cfg.RequirePass == "" {
			c.err(ErrAuthNotConfigured)
			return
		}
	} else {
		user, pass = c.args[1], c.args[2]
	}
	if !c.authenticate(user, pass) {
		c.err(ErrWrongPass)
		return
	}
	c.ok()
}

func cmdHello(c *Client) {
	ver := int64(0)
	next := 1
	if len(c.args) >= 2 {
		v, err := strconv.ParseInt(string(c.args[1]), 10, 64)
		if err != nil || !validInt(c.args[1]) {
			c.err(ErrHelloProtoNotInt)
			return
		}
		if v < 2 || v > 3 {
			c.err(ErrNoProto)
			return
		}
		ver = v
		next = 2
	}
	var user, pass []byte
	for j := next; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		opt := string(c.args[j])
		switch {
		case strings.EqualFold(opt, "auth") && more >= 2:
			user, pass = c.args[j+1], c.args[j+2]
			j += 2
		case strings.EqualFold(opt, "setname") && more >= 1:
			if !validClientName(c.args[j+1]) {
				c.err(ErrClientName)
				return
			}
			c.name = string(c.args[j+1])
			j++
		default:
			c.err("ERR Syntax error in HELLO option '" + opt + "'")
			return
		}
	}
	if user != nil && !c.authenticate(user, pass) {
		c.err(ErrWrongPass)
		return
	}
	if !c.authed {
		c.err(ErrHelloNoAuth)
		return
	}
	if ver != 0 {
		c.w.Proto = int(ver)
	}
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(Version)
	c.w.BulkString("proto")
	c.w.Int(int64(c.w.Proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	if c.srv.isReplica() {
		c.w.BulkString("replica")
	} else {
		c.w.BulkString("master")
	}
	c.w.BulkString("modules")
	c.w.Array(0)
}

// validInt reports whether b is an integer as Redis's string2ll accepts it.
func validInt(b []byte) bool {
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	if len(b) == 1 && b[0] == '0' {
		return true
	}
	i := 0
	if b[0] == '-' {
		i = 1
		if len(b) == 1 {
			return false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return false
	}
	for _, ch := range b[i+1:] {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

func cmdReset(c *Client) {
	if c.has(ClientReplica | ClientMaster) {
		c.err(ErrResetNotNormal)
		return
	}
	s := c.srv
	if c.has(ClientMonitor) {
		s.removeMonitor(c)
	}
	// discard a transaction in progress
	c.multi = nil
	c.multiMem = 0
	c.flags &^= ClientMulti | ClientDirtyCAS | ClientDirtyExec
	s.unwatchAll(c)
	s.unsubscribeAll(c)
	c.dbIndex = 0
	c.w.Proto = 2
	c.name = ""
	c.user = "default"
	c.authed = s.cfg.RequirePass == ""
	c.flags &^= ClientPubSub | ClientNoEvict | ClientReplyOff | ClientReplySkipNext
	c.w.Simple("RESET")
}
