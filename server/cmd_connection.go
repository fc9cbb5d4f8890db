package server

import (
	"math"

	"github.com/vigil-db/vigil/server/resp"
)

// connectionCommands returns PING, ECHO, SELECT, QUIT (and, later, AUTH, HELLO, RESET...).
func connectionCommands() []*Command {
	return []*Command{
		{Name: "ping", Arity: -1, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdPing, Group: "connection"},
		{Name: "echo", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdEcho, Group: "connection"},
		{Name: "select", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Handler: cmdSelect, Group: "connection"},
		{Name: "quit", Arity: -1, Flags: FlagFast | FlagStale | FlagLoading | FlagNoAuth | FlagAllowBusy, Handler: cmdQuit, Group: "connection"},
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
	id, ok := resp.ParseInt(c.args[1])
	if !ok || id < math.MinInt32 || id > math.MaxInt32 {
		c.err(ErrNotInt)
		return
	}
	if id < 0 || id >= int64(len(c.srv.dbs)) {
		c.err(ErrDBIndex)
		return
	}
	c.dbIndex = int(id)
	c.ok()
}

func cmdQuit(c *Client) {
	c.ok()
	c.flags |= ClientCloseAfterReply
}
