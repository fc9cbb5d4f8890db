package server

// listCommands returns the list commands.
func listCommands() []*Command { return nil }
