package server

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// signalShutdown is a shutdown a signal asked for (Redis's shutdown_asap): the server's
// cron starts it, so DEBUG PAUSE-CRON holds it and SHUTDOWN ABORT can cancel it first.
type signalShutdown struct {
	asap    atomic.Bool // requested, not yet failed or aborted
	running bool        // started by cron (under the execution lock)
	// tempRDB is the path of the temp file a foreground save (SAVE, the final save) is
	// writing, for RemoveTempRDB; nil when none.
	tempRDB atomic.Pointer[string]
}

// RequestShutdown schedules a shutdown as SIGTERM and SIGINT do in Redis: the server's
// cron starts it (waiting for replicas, final save when save points are configured). It
// reports whether one was already requested: a second SIGINT then means "exit now"
// (RemoveTempRDB, then the process owner exits).
func (s *Server) RequestShutdown() (already bool) {
	return s.shut.asap.Swap(true)
}

// RemoveTempRDB removes the temp file of a foreground save in progress, what Redis's
// signal handler does before exiting at once on a second SIGINT.
func (s *Server) RemoveTempRDB() {
	if p := s.shut.tempRDB.Load(); p != nil {
		os.Remove(*p)
	}
}

// shutdownCron starts the shutdown a signal asked for (serverCron's shutdown_asap check).
// When it fails (the final save failed) the request is dropped: the next signal tries
// again, as in Redis.
func (s *Server) shutdownCron() {
	if !s.shut.asap.Load() || s.shut.running {
		return
	}
	s.shut.running = true
	go func() {
		if err := s.shutdown(ShutdownOptions{}); err != nil {
			if !errors.Is(err, errShutdownAborted) {
				s.log.Warn().Msg("Errors trying to shut down the server. Check the logs for more information.")
			}
			s.mu.Lock()
			s.shut.running = false
			s.shut.asap.Store(false)
			s.mu.Unlock()
		}
	}()
}

// tempRDBPath is the temp file a foreground save of this process writes in dir.
func tempRDBPath(dir string) string { return filepath.Join(dir, tempRDBName(os.Getpid())) }

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
	if s.persist.child != nil {
		// Redis kills the saving child first and removes its temp file; the final
		// save, if any, is made below
		s.log.Warn().Msg("There is a child saving an .rdb. Killing it!")
		s.killSaveChild()
	}
	if s.aof.rewriting && s.snap != nil {
		s.log.Warn().Msg("There is a child rewriting the AOF. Killing it!")
		s.snap.cancel()
	}
	if !opts.NoSave && (opts.Save || len(s.cfg.Save) > 0) {
		s.log.Info().Msg("saving the final RDB snapshot before exiting")
		if err := s.saveLocked(); err != nil {
			if !opts.Force {
				s.log.Warn().Err(err).Msg("Error trying to save the DB, can't exit.")
				return err
			}
			s.log.Warn().Err(err).Msg("Error trying to save the DB. Exit anyway.")
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
		if !s.shut.asap.Load() || s.shut.running {
			return false
		}
		s.shut.asap.Store(false) // a signal's shutdown cron has not started yet
		s.log.Info().Msg("Shutdown manually aborted.")
		return true
	}
	close(s.repl.shutdownAbort)
	s.repl.shutdownAbort = nil
	s.unpauseClients(pauseByShutdown)
	s.log.Info().Msg("Shutdown manually aborted.")
	return true
}
