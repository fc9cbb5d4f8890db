package server

// keyCommands returns the generic key commands.
func keyCommands() []*Command {
	return []*Command{
		{Name: "del", Arity: -2, Flags: FlagWrite, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdDel, Group: "generic"},
	}
}

func cmdDel(c *Client) {
	n := int64(0)
	for _, key := range c.args[1:] {
		c.lookupWrite(key) // expire first, as Redis's delGenericCommand does
		if c.dbDelete(key) {
			c.touch(key)
			c.notify(NotifyGeneric, "del", key)
			c.addDirty(1)
			n++
		}
	}
	c.w.Int(n)
}
