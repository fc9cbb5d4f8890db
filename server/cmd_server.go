package server

// serverCommands returns INFO, COMMAND, DBSIZE, FLUSHDB, FLUSHALL, DEBUG, OBJECT... .
func serverCommands() []*Command { return nil }

// debugAllowed applies enable-debug-command (yes, no, or local connections only).
func (s *Server) debugAllowed(c *Client) bool {
	switch s.cfg.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		return c.has(ClientUnixSocket) || isLoopbackAddr(c.addr)
	}
	return false
}

func isLoopbackAddr(addr string) bool {
	return len(addr) > 4 && (addr[:4] == "127." || (len(addr) > 5 && addr[:5] == "[::1]"))
}
