package server

// hashCommands returns the hash commands.
func hashCommands() []*Command { return nil }
