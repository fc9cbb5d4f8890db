package server

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// beatPeriod is how often the cron goroutine takes the execution lock to advance the
// progress counter that Progress reads (independent of hz).
const beatPeriod = 100 * time.Millisecond

// supervision is what the server offers the process owner's supervisor (systemd):
// when it is ready, whether its command loop progresses, a one-line status.
type supervision struct {
	ready        chan struct{} // closed once the data is loaded (Ready)
	beats        atomic.Uint64 // advanced under the execution lock every beatPeriod
	stopping     func()        // Options.Stopping
	stoppingOnce sync.Once
}

// beginStopping calls Options.Stopping once, when the first shutdown begins.
func (sv *supervision) beginStopping() {
	if sv.stopping != nil {
		sv.stoppingOnce.Do(sv.stopping)
	}
}

// Ready is closed once the server listens and its dataset is loaded (and replication
// from a configured master has been started): when Redis logs "Ready to accept
// connections" and tells systemd READY=1. Start closes it (a caller running Listen,
// LoadData and Serve itself knows when its data is loaded); it is never closed after a
// fatal load error.
func (s *Server) Ready() <-chan struct{} { return s.sup.ready }

// Progress returns a function reporting whether the command loop made progress since
// the function's previous call (the first call compares with Progress's own call): the
// cron goroutine advances a counter under the execution lock every 100 ms, so a command
// or hook holding the lock (DEBUG SLEEP, a wedged handler) stops it. Each caller gets
// its own baseline. It is what systemd's watchdog pings are conditioned on.
func (s *Server) Progress() func() bool {
	last := s.sup.beats.Load()
	return func() bool {
		v := s.sup.beats.Load()
		moved := v != last
		last = v
		return moved
	}
}

// LoadProgress reports whether a dataset is loading and, if so, the bytes read and the
// total (0 when unknown, as for an AOF or a stream from the master).
func (s *Server) LoadProgress() (loading bool, read, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.persist
	return p.loading, p.loadRead.Load(), p.loadTotal
}

// StatusLine returns the server's state in one line, for systemd's STATUS= and the
// node's status: "loading 41%", "master, 2 replicas in sync", "master, 1 of 2 replicas
// in sync", "master, no replicas", "replica of 10.0.0.2:6379, lag 0 s" (seconds since
// the master was last heard from), "replica of 10.0.0.2:6379, syncing 12%",
// "replica of 10.0.0.2:6379, link down".
func (s *Server) StatusLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist.loading {
		return loadingLine(s.persist.loadRead.Load(), s.persist.loadTotal)
	}
	now := time.Now()
	if s.isReplica() {
		l := s.linkStats(now)
		at := "replica of " + net.JoinHostPort(l.MasterHost, strconv.Itoa(l.MasterPort))
		switch {
		case l.Syncing:
			if l.SyncTotal > 0 {
				return fmt.Sprintf("%s, syncing %d%%", at, l.SyncRead*100/l.SyncTotal)
			}
			return at + ", syncing"
		case l.Up:
			return fmt.Sprintf("%s, lag %d s", at, max(l.LastIOSecs, 0))
		}
		return at + ", link down"
	}
	total, online := len(s.repl.replicas), 0
	for _, c := range s.repl.replicas {
		if c.repl.state == replOnline {
			online++
		}
	}
	switch {
	case total == 0:
		return "master, no replicas"
	case online == total:
		return fmt.Sprintf("master, %d %s in sync", total, plural(total, "replica", "replicas"))
	}
	return fmt.Sprintf("master, %d of %d replicas in sync", online, total)
}

// loadingLine is the status while a dataset loads.
func loadingLine(read, total int64) string {
	if total <= 0 {
		return "loading"
	}
	return fmt.Sprintf("loading %d%%", min(read*100/total, 100))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
