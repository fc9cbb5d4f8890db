package supervise_test

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/supervise"
)

// A process owner running a data server and a sentinel agent side by side: READY=1
// once both are up, the status line while running, the watchdog conditioned on both
// loops, STOPPING=1 on the way out. serverProgress and agentProgress stand for
// server.Server.Progress() and sentinel.Sentinel.Progress().
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := supervise.New("auto", zerolog.Nop()) // nil outside systemd: every call below is a no-op
	serverProgress, agentProgress := func() bool { return true }, func() bool { return true }
	go n.Watchdog(ctx, serverProgress, agentProgress)
	n.Status("loading 41%")
	n.ExtendTimeout(5 * time.Second) // while the load moves
	n.Ready("Ready to accept connections")
	n.Status("master, 2 replicas in sync")
	n.Stopping()
	// Output:
}
