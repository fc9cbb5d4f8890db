package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
)

func TestLoadingLine(t *testing.T) {
	tests := []struct {
		name        string
		read, total int64
		want        string
	}{
		{"unknown total (a stream from the master)", 10, 0, "loading"},
		{"start", 0, 1000, "loading 0%"},
		{"rounded down", 419, 1000, "loading 41%"},
		{"read-ahead past the end is 100%", 1200, 1000, "loading 100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loadingLine(tt.read, tt.total); got != tt.want {
				t.Errorf("loadingLine(%d, %d) = %q, want %q", tt.read, tt.total, got, tt.want)
			}
		})
	}
}

// TestStatusLine checks the master and replica forms on a live server (logging to
// nowhere: the replication link to the absent master logs after the test ends).
func TestStatusLine(t *testing.T) {
	ts := startQuietServer(t, Options{})
	if got, want := ts.StatusLine(), "master, no replicas"; got != want {
		t.Errorf("status of a master: got %q, want %q", got, want)
	}
	c := ts.dial(t)
	if got := c.do("REPLICAOF", "127.0.0.1", "1"); got != "+OK\r\n" {
		t.Fatalf("REPLICAOF: got %q", got)
	}
	if got, want := ts.StatusLine(), "replica of 127.0.0.1:1, link down"; got != want {
		t.Errorf("status of a replica without its master: got %q, want %q", got, want)
	}
}

// startQuietServer starts a server with opts and no log; it is closed at cleanup.
func startQuietServer(t *testing.T, opts Options) *testServer {
	cfg := config.Default()
	cfg.Bind, cfg.Port, cfg.Save = []string{"127.0.0.1"}, testutil.FreePort(t), nil
	opts.Log = zerolog.Nop()
	srv := New(cfg, opts)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, addr: srv.Addrs()[0].String()}
}

// TestProgress checks that Progress reports progress while the cron runs, none while
// the execution lock is held (as DEBUG SLEEP holds it), and progress again once it is
// released. (Not in a synctest bubble: a goroutine waiting for a mutex is not durably
// blocked, so the bubble's clock would never move while the lock is held.)
func TestProgress(t *testing.T) {
	ts := newTestServer(t, nil)
	progress := ts.Progress()
	testutil.CheckFor(t, 10*time.Second, beatPeriod, "progress while the cron runs", progress)
	ts.mu.Lock()
	progress()                 // the baseline under the lock
	time.Sleep(3 * beatPeriod) // not a synchronisation: three beats that cannot happen
	moved := progress()
	ts.mu.Unlock()
	if moved {
		t.Errorf("Progress after %v holding the execution lock: got true, want false", 3*beatPeriod)
	}
	testutil.CheckFor(t, 10*time.Second, beatPeriod, "progress once the lock is released", progress)
}

// TestStoppingHook checks that SHUTDOWN calls Options.Stopping once, before the server
// stops, as Redis sends systemd STOPPING=1 from prepareForShutdown.
func TestStoppingHook(t *testing.T) {
	var calls atomic.Int32
	ts := startQuietServer(t, Options{Stopping: func() { calls.Add(1) }})
	srv := ts.Server
	c := ts.dial(t)
	c.send("SHUTDOWN", "NOSAVE")
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE: the server did not stop")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("Stopping calls after SHUTDOWN: got %d, want 1", got)
	}
}
