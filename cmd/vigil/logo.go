package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/vigil-db/vigil/config"
)

// showLogo reports whether the start-up banner is printed: with always-show-logo yes, or
// when the log goes to a terminal, as redis-server decides (redisAsciiArt).
func showLogo(cfg *config.Server, out io.Writer) bool {
	if cfg.AlwaysShowLogo {
		return true
	}
	f, ok := out.(*os.File)
	return ok && cfg.LogFile == "" && isatty.IsTerminal(f.Fd())
}

// printLogo writes the banner raw to the log, with the lines Redis's logo carries (its
// version, the mode, the port and " PID: <pid>", which tools such as Redis's own test
// suite read to find the server's process).
func printLogo(out io.Writer, mode string, port int) {
	fmt.Fprintf(out, `
        _   _ _       _ _
       | | | (_) __ _(_) |     Vigil %s (Redis %s compatible) 64 bit
       | | | | |/ _`+"`"+` | | |
       \ \_/ / | (_| | | |     Running in %s mode
        \___/|_|\__, |_|_|     Port: %d
                |___/          PID: %d

`, version, redisVersion, mode, port, os.Getpid())
}
