package server

// Info returns what INFO with these section arguments answers (no argument:
// INFO's default sections), for programs in the same process (a node's HTTP
// metrics). It takes the execution lock like the command.
func (s *Server) Info(sections ...string) string {
	args := make([][]byte, len(sections))
	for i, sec := range sections {
		args[i] = []byte(sec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.infoString(args)
}
