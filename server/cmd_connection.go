package server

import (
	"fmt"
	"math"
	"strings"

	"github.com/vigil-db/vigil/resp"
)

// connectionCommands returns PING, ECHO, SELECT, QUIT, AUTH, HELLO, RESET, CLIENT and COMMAND.
func connectionCommands() []*Command {
	const conn = FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagNoAuth | FlagAllowBusy
	return []*Command{
		{Name: "ping", Arity: -1, Flags: FlagFast, Handler: cmdPing, Group: "connection"},
		{Name: "echo", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdEcho, Group: "connection"},
		{Name: "select", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdSelect, Group: "connection"},
		{Name: "quit", Arity: -1, Flags: conn, Handler: cmdQuit, Group: "connection"},
		{Name: "auth", Arity: -2, Flags: conn, Handler: cmdAuth, Group: "connection"},
		{Name: "hello", Arity: -1, Flags: conn, Handler: cmdHello, Group: "connection"},
		{Name: "reset", Arity: 1, Flags: conn, Handler: cmdReset, Group: "connection"},
		clientCommand(),
		commandCommands(),
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
	n, ok := resp.ParseInt(c.args[1])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.err(ErrIntRange)
		return
	}
	id := int(n)
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

// cmdHello follows Redis 7.0.15: options apply in order as they are parsed (AUTH
// authenticates, SETNAME sets the name, even if a later option fails or the client
// stays unauthenticated), then unauthenticated clients are refused.
func cmdHello(c *Client) {
	ver := 0
	next := 1
	if len(c.args) >= 2 {
		v, ok := resp.ParseInt(c.args[1])
		if !ok {
			c.err(ErrHelloProtoNotInt)
			return
		}
		if v < 2 || v > 3 {
			c.err(ErrNoProto)
			return
		}
		ver = int(v)
		next = 2
	}
	for j := next; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		opt := string(c.args[j])
		switch {
		case strings.EqualFold(opt, "auth") && more >= 2:
			if !c.authenticate(c.args[j+1], c.args[j+2]) {
				c.err(ErrWrongPass)
				return
			}
			j += 2
		case strings.EqualFold(opt, "setname") && more >= 1:
			if !validClientName(c.args[j+1]) {
				c.err(ErrClientName)
				return
			}
			c.name = string(c.args[j+1])
			j++
		default:
			c.err(fmt.Sprintf(ErrHelloSyntax, opt))
			return
		}
	}
	if !c.authed {
		c.err(ErrHelloNoAuth)
		return
	}
	if ver != 0 {
		c.w.Proto = ver
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

// cmdReset is clearClientConnectionState: it leaves MONITOR, MULTI, WATCH and pub/sub,
// selects db 0, goes back to RESP2, drops the name and, when a password is required,
// the authentication. CLIENT REPLY OFF/SKIP are cleared; NO-EVICT stays, as in Redis 7.0.15.
func cmdReset(c *Client) {
	if c.has(ClientReplica | ClientMaster) {
		c.err(ErrResetNotNormal)
		return
	}
	s := c.srv
	s.removeMonitor(c)
	if c.has(ClientMulti) {
		s.discardTransaction(c)
	}
	s.unwatchAll(c)
	s.unsubscribeAll(c)
	c.dbIndex = 0
	c.w.Proto = 2
	c.name = ""
	c.user = "default"
	c.authed = s.cfg.RequirePass == ""
	c.flags &^= ClientPubSub | ClientReplyOff | ClientReplySkipNext
	c.w.Simple("RESET")
}
