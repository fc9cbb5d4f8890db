package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/vigil-db/vigil/server"
)

// process owns the settings that are process-wide (GOMAXPROCS, the collector's
// target) and grants the components' wishes for them; it is the only place that sets
// them. It implements server.Process.
type process struct {
	mu    sync.Mutex
	extra int // background snapshots holding an extra P
	base  int // GOMAXPROCS before the first of them
}

var _ server.Process = (*process)(nil)

// applyIOThreads maps Redis's io-threads (default 1) onto GOMAXPROCS, unless the
// GOMAXPROCS environment variable is set, and returns the value in force. Measured with
// redis-benchmark on the same 2-core machine, one P serves -P 1 traffic fastest (the
// benchmark needs the other core); io-threads 2 or more lets parsing and socket I/O run
// on several cores.
func (p *process) applyIOThreads(ioThreads int) int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	n := min(max(ioThreads, 1), runtime.NumCPU())
	runtime.GOMAXPROCS(n)
	return n
}

// ExtraProc gives a background snapshot a processor of its own, as Redis's forked
// child has a core of its own, and returns the function that takes it back; calls nest.
// Without it, with io-threads 1 (GOMAXPROCS 1), the snapshot's file writes and the
// final fsync hold the only P until the runtime's monitor retakes it (up to 10 ms), and
// every client waits.
func (p *process) ExtraProc() (release func()) {
	p.mu.Lock()
	if p.extra == 0 {
		p.base = runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(p.base + 1)
	}
	p.extra++
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.extra--
		if p.extra == 0 {
			runtime.GOMAXPROCS(p.base)
		}
		p.mu.Unlock()
	}
}

// LoadGCPercent raises the collector's target to percent for a load and returns the
// function restoring it. A target the operator set higher (or GOGC=off) is kept.
func (p *process) LoadGCPercent(percent int) (restore func()) {
	prev := debug.SetGCPercent(percent)
	if prev < 0 || prev >= percent {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}

// SetTitle sets the process title (proctitle.go).
func (p *process) SetTitle(t string) { setTitle(t) }
