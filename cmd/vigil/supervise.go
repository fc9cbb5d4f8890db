package main

import (
	"context"
	"time"

	"github.com/vigil-db/vigil/node"
	"github.com/vigil-db/vigil/sentinel"
	"github.com/vigil-db/vigil/server"
	"github.com/vigil-db/vigil/supervise"
)

const (
	// statusPeriod is how often the status line is read and sent when it changed.
	statusPeriod = time.Second
	// loadExtension is the EXTEND_TIMEOUT_USEC asked for each statusPeriod while a
	// dataset load makes progress: a load that stalls for that long is left to the
	// unit's TimeoutStartSec.
	loadExtension = 5 * time.Second
)

// Redis 7.0's STATUS= texts when it sends READY=1.
const (
	readyStatus         = "Ready to accept connections"
	readyReplicaStatus  = "Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync"
	sentinelReadyStatus = readyStatus
)

// superviseServer tells the service manager how the server is doing until ctx ends or
// the server stops: the loading progress (with EXTEND_TIMEOUT_USEC while it moves),
// READY=1 once the data is loaded and the listeners are open, then the status line
// whenever it changes; and, beside it, the watchdog conditioned on the command loop's
// progress. STOPPING=1 comes from the server's Stopping hook.
func superviseServer(ctx context.Context, n *supervise.Notifier, srv *server.Server) {
	if n == nil {
		return
	}
	go n.Watchdog(ctx, srv.Progress())
	if !waitReady(ctx, n, srv, srv.StatusLine) {
		return
	}
	if srv.Stats().Replication.Replica != nil {
		n.Ready(readyReplicaStatus)
	} else {
		n.Ready(readyStatus)
	}
	followStatus(ctx, n, srv.Done(), srv.StatusLine)
}

// waitReady sends the status line at once, then (with EXTEND_TIMEOUT_USEC while a
// load moves) every statusPeriod until srv is ready; false if ctx ended or srv stopped first.
func waitReady(ctx context.Context, n *supervise.Notifier, srv *server.Server, status func() string) bool {
	n.Status(status()) // at once, as Redis's "Redis is loading..."
	t := time.NewTicker(statusPeriod)
	defer t.Stop()
	lastRead := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-srv.Done():
			return false
		case <-srv.Ready():
			return true
		case <-t.C:
			n.Status(status())
			if loading, read, _ := srv.LoadProgress(); loading && read != lastRead {
				n.ExtendTimeout(loadExtension)
				lastRead = read
			}
		}
	}
}

// superviseNode tells the service manager how a node is doing: READY=1 once its
// server has loaded its data (Start has returned: the listeners are open and the
// group joined), the node's status line, and the watchdog conditioned on both the
// server's command loop and the agent's loop. STOPPING=1 comes from the node's
// Stopping hook.
func superviseNode(ctx context.Context, n *supervise.Notifier, nd *node.Node) {
	if n == nil {
		return
	}
	go n.Watchdog(ctx, nd.Progress()...)
	if !waitReady(ctx, n, nd.Server(), nd.Status) {
		return
	}
	n.Ready(nd.Status())
	followStatus(ctx, n, nd.Done(), nd.Status)
}

// superviseSentinel does the same for a sentinel, which is ready once it listens and
// its loop runs (Redis sends READY=1 after sentinelIsRunning).
func superviseSentinel(ctx context.Context, n *supervise.Notifier, s *sentinel.Sentinel) {
	if n == nil {
		return
	}
	go n.Watchdog(ctx, s.Progress())
	n.Ready(sentinelReadyStatus)
	followStatus(ctx, n, s.Done(), s.StatusLine)
}

// followStatus sends line() every statusPeriod (the Notifier drops repeats) until ctx
// ends or done is closed.
func followStatus(ctx context.Context, n *supervise.Notifier, done <-chan struct{}, line func() string) {
	t := time.NewTicker(statusPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
			n.Status(line())
		}
	}
}
