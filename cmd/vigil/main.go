// Command vigil is the Vigil binary: `vigil server` (a drop-in redis-server),
// `vigil sentinel` (a drop-in redis-sentinel), `vigil node` (both in one process,
// see package node) and `vigil version`. Invoked through a symlink
// named redis-server (redis-sentinel) it behaves as `vigil server` (`vigil sentinel`).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-db/vigil/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if server.IsSaveWriter() { // a background save's writer child (server/savechild.go)
		os.Exit(server.RunSaveWriter())
	}
	prepareTitle()
	os.Exit(run(os.Args))
}

func run(argv []string) int {
	if strings.Contains(filepath.Base(argv[0]), "redis-sentinel") {
		return runSentinel(argv[1:])
	}
	if strings.Contains(filepath.Base(argv[0]), "redis-server") {
		return runServer(argv[1:])
	}
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Vigil: a Redis-compatible data server with built-in replication and high availability",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	code := 0
	root.AddCommand(&cobra.Command{
		Use:                "server [FILE] [--directive value ...]",
		Short:              "Run the data core (accepts redis-server's config file and flags)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			code = runServer(args)
			return nil
		},
	})
	root.AddCommand(&cobra.Command{
		Use:                "sentinel FILE [--directive value ...]",
		Short:              "Run a sentinel (accepts redis-sentinel's config file and flags)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			code = runSentinel(args)
			return nil
		},
	})
	root.AddCommand(&cobra.Command{
		Use:                "node [FILE] [--flag value ...]",
		Short:              "Run a node: data server, sentinel agent, gossip mesh and HTTP endpoint in one process",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			code = runNode(args)
			return nil
		},
	})
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Printf("vigil %s (redis %s compatible)\n", version, redisVersion)
		},
	})
	root.SetArgs(argv[1:])
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		return 1
	}
	return code
}
