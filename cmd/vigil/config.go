package main

import (
	"os"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/server"
)

// loadConfig reads redis-server's command line: [FILE] [--directive value ...].
func loadConfig(args []string) (*config.Server, []string, error) {
	return config.LoadWith("", args, config.Options{Environ: os.Environ(), Commands: server.CommandNames()})
}
