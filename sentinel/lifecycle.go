package sentinel

import (
	"context"
	"os"

	"github.com/vigil-db/vigil/config"
)

// lifecycle is what Start and Shutdown keep: the loop's cancel and its end.
type lifecycle struct {
	cancel context.CancelFunc
	ran    chan struct{} // closed when Run has returned
}

// Start listens on the sentinel port, writes the pidfile (removed when the loop ends),
// then serves the port and runs the loop (Run) in the background until Shutdown or
// SHUTDOWN. It returns once the sentinel listens; ctx
// bounds the start-up only.
func (s *Sentinel) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.Listen(); err != nil {
		return err
	}
	pidFile, err := s.cfg.Server.WritePidFile() // as Redis's createPidFile: relative to dir
	if err != nil {
		s.log.Warn().Err(err).Msgf("Failed to write PID file: %s", config.Strerror(err))
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.life = lifecycle{cancel: cancel, ran: make(chan struct{})}
	go func() { _ = s.Serve() }()
	go func() {
		defer close(s.life.ran)
		_ = s.Run(runCtx)
		if pidFile != "" {
			os.Remove(pidFile)
		}
	}()
	s.log.Info().Int("port", s.cfg.Server.Port).Int("pid", os.Getpid()).Str("node_id", s.MyID()).
		Msgf("Running mode=sentinel, port=%d.", s.cfg.Server.Port)
	return nil
}

// Shutdown stops a started sentinel (its loop, links, mesh, scripts and endpoint) and
// waits until its loop has returned or ctx ends. It may be called after SHUTDOWN too.
func (s *Sentinel) Shutdown(ctx context.Context) error {
	if s.life.cancel == nil {
		s.stop()
		return nil
	}
	s.life.cancel()
	select {
	case <-s.life.ran:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
