package main

import (
	"github.com/vigil-db/vigil/config"
)

// loadConfig reads redis-server's command line: [FILE] [--directive value ...].
func loadConfig(args []string) (*config.Server, []string, error) {
	return config.Load("", args)
}
