package server

// setCommands returns the set commands.
func setCommands() []*Command { return nil }
