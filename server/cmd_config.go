package server

// configCommands returns CONFIG GET, SET, REWRITE, RESETSTAT, HELP.
func configCommands() []*Command { return nil }
