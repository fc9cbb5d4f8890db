package main

import (
	"os"
	"runtime"
	"strconv"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/server"
)

// loadConfig reads redis-server's command line: [FILE] [--directive value ...].
func loadConfig(args []string) (*config.Server, []string, error) {
	return config.LoadWith("", args, config.Options{Environ: os.Environ(), Commands: server.CommandNames()})
}

// applyIOThreads maps Redis's io-threads (default 1) onto GOMAXPROCS, unless the
// GOMAXPROCS environment variable is set. Measured with redis-benchmark on the same
// 2-core machine, one P serves -P 1 traffic fastest (the benchmark needs the other core);
// io-threads 2 or more lets parsing and socket I/O run on several cores.
func applyIOThreads(cfg *config.Server) int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	n := 1
	if v, ok := cfg.Extra["io-threads"]; ok {
		if i, err := strconv.Atoi(v); err == nil && i > 0 {
			n = i
		}
	}
	n = min(n, runtime.NumCPU())
	runtime.GOMAXPROCS(n)
	return n
}
