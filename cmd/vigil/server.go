package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/server"
)

const redisVersion = server.Version

// runServer runs `vigil server` with redis-server's arguments and returns the exit status.
func runServer(args []string) int {
	if len(args) == 1 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Printf("Redis server v=%s sha=00000000:0 malloc=go bits=64 build=vigil-%s\n", redisVersion, version)
		return 0
	}
	cfg, warnings, err := loadConfig(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log, closeLog, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeLog()
	for _, w := range warnings {
		log.Warn().Msg(w)
	}
	procs := applyIOThreads(cfg)
	if cfg.Dir != "" && cfg.Dir != "." {
		if err := os.Chdir(cfg.Dir); err != nil {
			log.Error().Err(err).Str("dir", cfg.Dir).Msg("can't chdir to dir")
			return 1
		}
	}
	startPprof(log)
	srv := server.New(cfg, log)
	if err := srv.Listen(); err != nil {
		log.Error().Err(err).Msg("could not listen")
		return 1
	}
	if cfg.PidFile != "" {
		os.WriteFile(cfg.PidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
		defer os.Remove(cfg.PidFile)
	}
	go func() {
		if err := srv.LoadData(); err != nil { // the AOF with appendonly yes, else the RDB dump
			srv.Fail(err)
			return
		}
		srv.StartReplication() // replicaof: connect once the local data is loaded
		// as Redis, said once the data is loaded: never after a fatal loading error
		log.Info().Int("port", cfg.Port).Int("pid", os.Getpid()).Int("gomaxprocs", procs).Str("run_id", srv.RunID()).Msg("Ready to accept connections")
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		// As in Redis, a shutdown whose final save fails leaves the server running; the
		// next signal tries again.
		for sig := range sigs {
			log.Info().Str("signal", sig.String()).Msg("received signal, scheduling shutdown")
			if err := srv.Shutdown(server.ShutdownOptions{}); err == nil {
				return
			}
			log.Warn().Str("signal", sig.String()).Msg("received signal but errors trying to shut down the server, check the logs for more information")
		}
	}()
	srv.Serve()
	log.Info().Msg("Redis is now ready to exit, bye bye...")
	return srv.ExitCode()
}

func newLogger(cfg *config.Server) (zerolog.Logger, func(), error) {
	var out io.Writer = os.Stdout
	closer := func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("Can't open the log file: %w", err)
		}
		out = f
		closer = func() { f.Close() }
	}
	level := zerolog.InfoLevel
	switch cfg.LogLevel {
	case "debug":
		level = zerolog.DebugLevel
	case "verbose":
		level = zerolog.DebugLevel
	case "warning":
		level = zerolog.WarnLevel
	case "nothing":
		level = zerolog.Disabled
	}
	cw := zerolog.ConsoleWriter{Out: out, NoColor: true, TimeFormat: time.StampMilli}
	return zerolog.New(cw).Level(level).With().Timestamp().Int("pid", os.Getpid()).Logger(), closer, nil
}
