package server

// databasesCron runs the active expiry cycle and incremental rehashing.
func (s *Server) databasesCron() {}
