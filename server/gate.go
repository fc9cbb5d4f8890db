package server

// writeGate is the server's one switch for writes beyond Redis's own rules: while it
// is closed, every command that writes (EXEC of a transaction that writes included)
// is refused with its reply and nothing else changes. It is kept under the
// execution lock.
type writeGate struct {
	reply string // "" = open
}

// CloseWrites closes the write gate: from the next command on, writes are refused
// with reply, an error line in Redis's form ("NOREPLICAS Not enough good replicas to
// write."); reads, admin commands and our master's stream go on. A fencing rule (a
// master cut off from its quorum) uses it. Closing a closed gate changes the reply.
func (s *Server) CloseWrites(reply string) {
	if reply == "" {
		panic("server: CloseWrites needs an error reply")
	}
	s.mu.Lock()
	s.wgate.reply = reply
	s.mu.Unlock()
}

// OpenWrites opens the write gate again.
func (s *Server) OpenWrites() {
	s.mu.Lock()
	s.wgate.reply = ""
	s.mu.Unlock()
}

// WritesClosed returns the write gate's reply while it is closed, "" while it is open.
func (s *Server) WritesClosed() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wgate.reply
}

// gateWrites applies the write gate (see gates).
func (s *Server) gateWrites(c *Client, cmd *Command) string {
	if s.wgate.reply != "" && c.gateFlags(cmd)&FlagWrite != 0 {
		return s.wgate.reply
	}
	return ""
}
