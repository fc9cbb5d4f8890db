package server

import (
	"bytes"

	"github.com/vigil-db/vigil/store"
)

// stringCommands returns the string commands.
func stringCommands() []*Command {
	return []*Command{
		{Name: "get", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdGet, Group: "string"},
		{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdSet, Group: "string"},
	}
}

func cmdGet(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	c.w.Bulk(o.Str)
}

func cmdSet(c *Client) {
	c.setKey(c.args[1], store.Object{Type: store.TypeString, Str: bytes.Clone(c.args[2])}, false)
	c.notify(NotifyString, "set", c.args[1])
	c.addDirty(1)
	c.ok()
}
