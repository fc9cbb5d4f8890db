package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/node"
	"github.com/vigil-db/vigil/server"
	"github.com/vigil-db/vigil/supervise"
)

// runNode runs `vigil node [FILE] [--flag value ...]` and returns the exit status.
func runNode(args []string) int {
	path := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	printConfig := false
	rest := args[:0:0]
	for _, a := range args {
		if a == "--print-config" {
			printConfig = true
			continue
		}
		rest = append(rest, a)
	}
	cfg, err := node.Load(path, os.Environ(), rest, server.CommandNames())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if printConfig {
		if err := cfg.Print(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	log, logOut, closeLog, err := newLogger(cfg.Server)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeLog()
	own := log.With().Str("component", "node").Logger() // the process's own lines
	for _, w := range cfg.Warnings() {
		own.Warn().Msg(w)
	}
	proc := &process{}
	procs := proc.applyIOThreads(cfg.Server.IOThreads)
	if showLogo(cfg.Server, logOut) {
		printLogo(logOut, "node", cfg.Server.Port)
	} else {
		own.Info().Int("port", cfg.Server.Port).Int("gomaxprocs", procs).Msgf("Running mode=node, port=%d.", cfg.Server.Port)
	}
	startPprof(log)
	redis.SetLogger(goRedisLogger{log.With().Str("component", "go-redis").Logger()})
	// a node speaks systemd's notify protocol whenever NOTIFY_SOCKET is set
	notify := supervise.New("auto", log)
	n := node.New(cfg, node.Options{Log: log, Process: proc, Supervised: notify.Mode().String(), Stopping: notify.Stopping,
		ExecName: os.Args[0]})
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		own.Error().Err(err).Msg("could not start the node")
		return 1
	}
	go superviseNode(ctx, notify, n)
	select {
	case <-ctx.Done():
		own.Info().Msg("received signal, scheduling shutdown")
	case <-n.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
	defer scancel()
	if err := n.Shutdown(sctx); err != nil {
		own.Warn().Err(err).Msg("node shutdown")
	}
	own.Info().Msg("Vigil node is now ready to exit, bye bye...")
	return n.ExitCode()
}
