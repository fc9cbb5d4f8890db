package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/config"
)

// loadConfig is a stop-gap until config.Load lands: it understands a few --flags.
func loadConfig(args []string) (*config.Server, []string, error) {
	cfg := config.Default()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name := strings.ToLower(a[2:])
		var vals []string
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			i++
			vals = append(vals, args[i])
		}
		v := strings.Join(vals, " ")
		switch name {
		case "port":
			p, err := strconv.Atoi(v)
			if err != nil {
				return nil, nil, fmt.Errorf("bad port %q", v)
			}
			cfg.Port = p
		case "bind":
			cfg.Bind = vals
		case "protected-mode":
			cfg.ProtectedMode = v == "yes"
		case "requirepass":
			cfg.RequirePass = v
		case "databases":
			cfg.Databases, _ = strconv.Atoi(v)
		case "enable-debug-command":
			cfg.EnableDebugCommand = v
		case "unixsocket":
			cfg.UnixSocket = v
		case "dir":
			cfg.Dir = v
		}
	}
	return cfg, nil, nil
}
