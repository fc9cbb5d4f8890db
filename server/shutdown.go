package server

import (
	"errors"
	"math"
	"time"
)

// errShutdownAborted is returned when SHUTDOWN ABORT cancelled a shutdown waiting for
// replicas.
var errShutdownAborted = errors.New("shutdown aborted")

// ShutdownOptions are SHUTDOWN's flags.
type ShutdownOptions struct {
	NoSave, Save, Now, Force, Abort bool
}

// shutdown stops the server, saving the dataset first when save points are configured
// (or SAVE is given) unless NOSAVE. A failed save aborts the shutdown unless FORCE, as in
// Redis. It is what SHUTDOWN and Shutdown (SIGTERM/SIGINT) call.
func (s *Server) shutdown(opts ShutdownOptions) error {
	s.sup.beginStopping()
	if !s.waitReplicasBeforeShutdown(opts) {
		return errShutdownAborted
	}
	s.mu.Lock()
	err := s.prepareShutdown(opts)
	if err != nil {
		s.unpauseClients(pauseByShutdown)
	}
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
	s.sup.beginStopping() // SHUTDOWN comes here directly
	s.log.Info().Msg("user requested shutdown")
	if s.persist.bgsaveRunning && s.snap != nil {
		// Redis kills the saving child first (and removes its temp file, which the
		// aborted writer does); the final save, if any, is made below
		s.log.Warn().Msg("There is a child saving an .rdb. Killing it!")
		s.snap.cancel()
		s.persist.bgsaveRunning = false
	}
	if s.aof.rewriting && s.snap != nil {
		s.log.Warn().Msg("There is a child rewriting the AOF. Killing it!")
		s.snap.cancel()
	}
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

// replicasLagging reports whether some replica has not acknowledged our whole stream.
func (s *Server) replicasLagging() bool {
	for _, c := range s.repl.replicas {
		if c.repl.ackOff != s.repl.offset {
			return true
		}
	}
	return false
}

// waitReplicasBeforeShutdown is Redis's shutdown grace period: unless NOW or FORCE or
// shutdown-timeout 0, writes are paused and replicas get up to shutdown-timeout to
// acknowledge everything (GETACK is sent) before the final save. It returns false if
// SHUTDOWN ABORT cancelled the shutdown.
func (s *Server) waitReplicasBeforeShutdown(opts ShutdownOptions) bool {
	s.mu.Lock()
	if opts.Now || opts.Force || s.cfg.ShutdownTimeout <= 0 || s.isReplica() || !s.replicasLagging() {
		s.mu.Unlock()
		return true
	}
	s.log.Info().Msg("Waiting for replicas before shutting down.")
	abort := make(chan struct{})
	s.repl.shutdownAbort = abort
	s.pauseClients(pauseByShutdown, pauseWrite, math.MaxInt64)
	s.requestAcksNow()
	deadline := time.Now().Add(s.cfg.ShutdownTimeout)
	s.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-abort:
			return false
		case <-tick.C:
		}
		s.mu.Lock()
		lagging := s.replicasLagging()
		if !lagging || time.Now().After(deadline) {
			if lagging {
				s.log.Warn().Msg("Lagging replica(s) did not catch up before the shutdown timeout.")
			}
			s.repl.shutdownAbort = nil
			s.mu.Unlock()
			return true
		}
		s.mu.Unlock()
	}
}

// abortShutdown is SHUTDOWN ABORT: it reports whether a shutdown was waiting.
func (s *Server) abortShutdown() bool {
	if s.repl.shutdownAbort == nil {
		return false
	}
	close(s.repl.shutdownAbort)
	s.repl.shutdownAbort = nil
	s.unpauseClients(pauseByShutdown)
	s.log.Info().Msg("Shutdown manually aborted.")
	return true
}
