package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/server"
	"github.com/vigil-db/vigil/supervise"
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
	log, logOut, closeLog, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeLog()
	for _, w := range warnings {
		log.Warn().Msg(w)
	}
	proc := &process{}
	procs := proc.applyIOThreads(cfg.IOThreads)
	if showLogo(cfg, logOut) {
		printLogo(logOut, "standalone", cfg.Port)
	} else {
		log.Info().Int("port", cfg.Port).Int("gomaxprocs", procs).Msgf("Running mode=standalone, port=%d.", cfg.Port)
	}
	startPprof(log)
	notify := supervise.New(cfg.Supervised, log)
	srv := server.New(cfg, server.Options{Log: log, Process: proc, Supervised: notify.Mode().String(), Stopping: notify.Stopping,
		ExecName: os.Args[0]})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if err := srv.Start(context.Background()); err != nil {
		log.Error().Err(err).Msg("could not listen")
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go superviseServer(ctx, notify, srv)
	for {
		select {
		case <-srv.Done():
			log.Info().Msg("Redis is now ready to exit, bye bye...")
			return srv.ExitCode()
		case sig := <-sigs:
			// Redis's sigShutdownHandler: the shutdown is scheduled and the server's
			// cron runs it (a failed final save leaves the server running; the next
			// signal tries again); a second SIGINT exits at once.
			if srv.RequestShutdown() && sig == syscall.SIGINT {
				log.Warn().Msg("You insist... exiting now.")
				srv.RemoveTempRDB()
				return 1
			}
			log.Warn().Msgf("Received %s scheduling shutdown...", signalName(sig))
		}
	}
}

// signalName is a signal's name as Redis logs it (SIGTERM, SIGINT).
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}

// newLogger returns the process's logger, the writer under it (for the start-up logo) and
// a function that closes the log file.
func newLogger(cfg *config.Server) (zerolog.Logger, io.Writer, func(), error) {
	var out io.Writer = os.Stdout
	closer := func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.Path(cfg.LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return zerolog.Nop(), nil, nil, fmt.Errorf("Can't open the log file: %w", err)
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
	// milliseconds in every timestamp, as Redis logs them (zerolog's default is whole seconds)
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(cw).Level(level).With().Timestamp().Int("pid", os.Getpid()).Logger(), out, closer, nil
}
