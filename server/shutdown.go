package server

// ShutdownOptions are SHUTDOWN's flags.
type ShutdownOptions struct {
	NoSave, Save, Now, Force, Abort bool
}

// Shutdown stops the server, saving the dataset first when save points are configured
// (or SAVE is given) unless NOSAVE. A failed save aborts the shutdown unless FORCE, as in
// Redis. It is what SHUTDOWN and SIGTERM/SIGINT call.
func (s *Server) Shutdown(opts ShutdownOptions) error {
	s.mu.Lock()
	err := s.prepareShutdown(opts)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.Close()
	return nil
}

// prepareShutdown is the part of Shutdown done under the execution lock (the final save).
// On success the caller closes the server.
func (s *Server) prepareShutdown(opts ShutdownOptions) error {
	s.log.Info().Msg("user requested shutdown")
	if !opts.NoSave && (opts.Save || len(s.cfg.Save) > 0) {
		s.log.Info().Msg("saving the final RDB snapshot before exiting")
		if err := s.saveLocked(); err != nil {
			if !opts.Force {
				s.log.Warn().Err(err).Msg("error trying to save the DB, can't exit")
				return err
			}
			s.log.Warn().Err(err).Msg("error trying to save the DB, exit anyway")
		}
	}
	s.aofShutdown() // write, fsync and close the AOF (aof.go)
	return nil
}

// Fail stops the server with exit status 1 after a fatal error (a dump that cannot load).
func (s *Server) Fail(err error) {
	s.log.Error().Err(err).Msg("fatal error, exiting")
	s.mu.Lock()
	s.exitCode = 1
	s.mu.Unlock()
	s.Close()
}

// ExitCode is the process exit status after Serve returns.
func (s *Server) ExitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitCode
}
