package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/httpapi"
	"github.com/vigil-db/vigil/sentinel"
	"github.com/vigil-db/vigil/supervise"
)

// goRedisLogger routes go-redis's internal log (dial failures, pool noise)
// to zerolog at debug level.
type goRedisLogger struct{ log zerolog.Logger }

// Printf logs one go-redis message at debug level.
func (l goRedisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug().Msgf(format, v...)
}

// runSentinel runs `vigil sentinel FILE [--directive value ...]` (and the
// binary invoked as redis-sentinel) and returns the exit status.
func runSentinel(args []string) int {
	if len(args) == 1 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Printf("Redis server v=%s sha=00000000:0 malloc=go bits=64 build=vigil-%s\n", sentinel.Version, version)
		return 0
	}
	path := ""
	if len(args) > 0 && !(len(args[0]) > 1 && args[0][0] == '-') {
		path, args = args[0], args[1:]
	}
	cfg, warnings, err := sentinel.Load(path, args)
	if err != nil {
		if errors.Is(err, sentinel.ErrNoConfigFile) {
			fmt.Fprintf(os.Stderr, "%d:X # %s\n", os.Getpid(), err)
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		return 1
	}
	log, logOut, closeLog, err := newLogger(cfg.Server)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeLog()
	for _, w := range warnings {
		log.Warn().Msg(w)
	}
	if showLogo(cfg.Server, logOut) {
		printLogo(logOut, "sentinel", cfg.Server.Port)
	}
	code := 0
	redis.SetLogger(goRedisLogger{log.With().Str("component", "go-redis").Logger()})
	notify := supervise.New(cfg.Server.Supervised, log)
	s, err := sentinel.New(cfg, sentinel.Options{Log: log, Monitor: true, Exit: func(c int) { code = c }})
	if err != nil {
		log.Error().Err(err).Msg("could not write the sentinel config file")
		return 1
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	// The HTTP endpoint subscribes before the loop runs, so that its event
	// ring has every event from +monitor on; its requests wait for the loop.
	web, err := startHTTP(ctx, cfg, s, log)
	if err != nil {
		log.Error().Err(err).Msg("could not start the http endpoint")
		return 1
	}
	if err := s.Start(ctx); err != nil {
		log.Error().Err(err).Msg("could not listen")
		if web != nil {
			_ = web.Shutdown(context.Background())
		}
		return 1
	}
	superCtx, stopSupervising := context.WithCancel(ctx)
	defer stopSupervising()
	go superviseSentinel(superCtx, notify, s)
	select {
	case <-ctx.Done():
	case <-s.Done(): // SHUTDOWN
	}
	notify.Stopping()
	if web != nil {
		_ = web.Shutdown(context.Background())
	}
	_ = s.Shutdown(context.Background())
	log.Warn().Msg("Sentinel is now ready to exit, bye bye...")
	return code
}

// startHTTP starts the sentinel's HTTP endpoint when http-port is set; it
// returns nil without one.
func startHTTP(ctx context.Context, cfg *sentinel.Config, s *sentinel.Sentinel, log zerolog.Logger) (*httpapi.Server, error) {
	if cfg.HTTP.Port == 0 {
		return nil, nil
	}
	web := httpapi.New(s, httpapi.Config{Addr: net.JoinHostPort(cfg.HTTP.Bind, strconv.Itoa(cfg.HTTP.Port)),
		Password: cfg.Server.RequirePass, TLSCertFile: cfg.HTTP.TLSCertFile, TLSKeyFile: cfg.HTTP.TLSKeyFile}, log)
	if err := web.Start(ctx); err != nil {
		return nil, err
	}
	return web, nil
}
