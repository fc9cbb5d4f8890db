package server

import (
	"context"
	"os"

	"github.com/vigil-db/vigil/config"
)

// Start runs the server's start-up in Redis's order: listen, write the pidfile, then
// serve while the data loads (the AOF with appendonly yes, else the RDB dump; clients
// get -LOADING meanwhile) and, once it has, start replicating from the configured
// master. It returns once the server listens; ctx bounds the start-up only. Done is
// closed when the server has stopped (Shutdown, SHUTDOWN, or a fatal load error).
func (s *Server) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.Listen(); err != nil {
		return err
	}
	s.writePidFile()
	s.setProcTitle()
	go func() {
		if err := s.LoadData(); err != nil { // the AOF with appendonly yes, else the RDB dump
			s.Fail(err)
			return
		}
		s.StartReplication() // replicaof: connect once the local data is loaded
		// as Redis, said once the data is loaded: never after a fatal loading error
		s.log.Info().Int("port", s.cfg.Port).Int("pid", os.Getpid()).Str("run_id", s.runID).Msg("Ready to accept connections")
		close(s.sup.ready)
	}()
	go s.Serve()
	return nil
}

// Shutdown stops the server as SIGTERM does in Redis: it waits for lagging replicas
// (up to shutdown-timeout), saves when save points are configured and closes the AOF.
// If the final save fails the server keeps running and the error is returned, as Redis
// does; the caller may try again. Otherwise it waits until the server has stopped or
// ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.shutdown(ShutdownOptions{}); err != nil {
		return err
	}
	select {
	case <-s.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when the server has stopped: its listeners are closed, its clients
// disconnected and its background tasks finished (see Serve).
func (s *Server) Done() <-chan struct{} { return s.stopped }

// writePidFile writes the process id to pidfile (relative to dir) as Redis's
// createPidFile does: a failure is logged with Redis's wording and start-up goes on.
// The file is removed when the server stops.
func (s *Server) writePidFile() {
	path, err := s.cfg.WritePidFile()
	if err != nil {
		s.log.Warn().Err(err).Msgf("Failed to write PID file: %s", config.Strerror(err))
	}
	s.pidFile = path
}
