package server

// zsetCommands returns the sorted-set commands.
func zsetCommands() []*Command { return nil }
