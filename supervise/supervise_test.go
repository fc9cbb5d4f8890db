package supervise

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// recorder is a Notifier whose datagrams are kept instead of sent.
type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *recorder) notifier(mode Mode, watchdog time.Duration) *Notifier {
	return &Notifier{mode: mode, log: zerolog.Nop(),
		send: func(state string) (bool, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.sent = append(r.sent, state)
			return true, nil
		},
		watchdogUsec: func() (time.Duration, error) { return watchdog, nil },
		stop:         func() error { r.sent = append(r.sent, "SIGSTOP"); return nil },
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name, mode  string
		env         map[string]string
		want        Mode
		wantAccepts bool
	}{
		{"no", "no", nil, Off, true},
		{"systemd without a socket is still systemd (New warns)", "systemd", nil, Systemd, true},
		{"upstart", "upstart", nil, Upstart, true},
		{"auto outside a supervisor", "auto", nil, Off, true},
		{"auto under systemd", "auto", map[string]string{"NOTIFY_SOCKET": "/run/x"}, Systemd, true},
		{"auto prefers upstart as Redis does", "auto", map[string]string{"NOTIFY_SOCKET": "/run/x", "UPSTART_JOB": "redis"}, Upstart, true},
		{"case-insensitive as Redis's enums", "SystemD", nil, Systemd, true},
		{"unknown", "launchd", nil, Off, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := resolve(tt.mode, func(k string) string { return tt.env[k] })
			if got != tt.want || ok != tt.wantAccepts {
				t.Errorf("resolve(%q, %v) = %v, %v; want %v, %v", tt.mode, tt.env, got, ok, tt.want, tt.wantAccepts)
			}
		})
	}
}

// TestNewOff checks that New returns nil (supervision off) when there is nothing to
// talk to, and that a nil Notifier's methods do nothing.
func TestNewOff(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("UPSTART_JOB", "")
	for _, mode := range []string{"no", "auto", "systemd", "upstart", "bogus"} {
		if n := New(mode, zerolog.New(zerolog.NewTestWriter(t))); n != nil {
			t.Errorf("New(%q) without NOTIFY_SOCKET/UPSTART_JOB = %+v, want nil", mode, n)
		}
	}
	var n *Notifier
	n.Ready("x")
	n.Status("x")
	n.ExtendTimeout(time.Second)
	n.Stopping()
	n.Watchdog(context.Background(), func() bool { return true })
	if n.Mode() != Off || n.Mode().String() != "no" {
		t.Errorf("nil Notifier mode = %v (%q), want Off (\"no\")", n.Mode(), n.Mode().String())
	}
}

// TestMessages checks the datagrams: READY=1 with its status, STATUS= only when it
// changes and on one line, EXTEND_TIMEOUT_USEC in microseconds, STOPPING=1 once.
func TestMessages(t *testing.T) {
	var r recorder
	n := r.notifier(Systemd, 0)
	n.Status("loading 41%")
	n.Status("loading 41%")
	n.ExtendTimeout(3 * time.Second)
	n.Ready("Ready to accept connections")
	n.Status("Ready to accept connections")
	n.Status("master, 2 replicas\nin sync")
	n.Stopping()
	n.Stopping()
	want := []string{"STATUS=loading 41%", "EXTEND_TIMEOUT_USEC=3000000",
		"STATUS=Ready to accept connections\nREADY=1", "STATUS=master, 2 replicas in sync", "STOPPING=1"}
	if got := r.take(); !slices.Equal(got, want) {
		t.Errorf("datagrams: got %q, want %q", got, want)
	}
}

// TestUpstartReady checks that upstart readiness is the process stopping itself, and
// that nothing is sent on a notify socket.
func TestUpstartReady(t *testing.T) {
	t.Setenv("UPSTART_JOB", "redis")
	var r recorder
	n := r.notifier(Upstart, 0)
	n.Status("x")
	n.Ready("Ready to accept connections")
	n.Stopping()
	if got, want := r.take(), []string{"SIGSTOP"}; !slices.Equal(got, want) {
		t.Errorf("upstart: got %q, want %q", got, want)
	}
}

// TestWatchdog runs the watchdog in a bubble with a 1 s WATCHDOG_USEC: a ping every
// 500 ms while both loops progress, none while one of them is stuck, pings again once
// it moves, and unconditional pings after STOPPING=1.
func TestWatchdog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		n := r.notifier(Systemd, time.Second)
		var mu sync.Mutex
		stuck := false
		calls := 0
		healthy := func() bool { return true }
		loop := func() bool {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return !stuck
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { n.Watchdog(ctx, loop, healthy); close(done) }()
		count := func(d time.Duration) int {
			time.Sleep(d)
			synctest.Wait()
			return len(r.take())
		}
		if got := count(2*time.Second + time.Millisecond); got != 4 {
			t.Errorf("pings in 2 s while progressing: got %d, want 4", got)
		}
		mu.Lock()
		stuck = true
		mu.Unlock()
		if got := count(3 * time.Second); got != 0 {
			t.Errorf("pings in 3 s while stuck: got %d, want 0", got)
		}
		mu.Lock()
		stuck = false
		if calls != 10 {
			t.Errorf("progress calls after 10 ticks: got %d, want 10 (one per tick)", calls)
		}
		mu.Unlock()
		if got := count(time.Second); got != 2 {
			t.Errorf("pings in 1 s after progress resumed: got %d, want 2", got)
		}
		mu.Lock()
		stuck = true
		mu.Unlock()
		n.Stopping()
		r.take()
		if got := count(time.Second); got != 2 {
			t.Errorf("pings in 1 s while stopping: got %d, want 2", got)
		}
		cancel()
		<-done
	})
}

// TestWatchdogOff checks that Watchdog returns at once without WATCHDOG_USEC.
func TestWatchdogOff(t *testing.T) {
	var r recorder
	n := r.notifier(Systemd, 0)
	n.Watchdog(context.Background(), func() bool { return true }) // returns: no watchdog
	if got := r.take(); len(got) != 0 {
		t.Errorf("datagrams without a watchdog: got %q, want none", got)
	}
}

// TestNotifySocket sends through go-systemd to a real datagram socket, as systemd
// receives them.
func TestNotifySocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("UPSTART_JOB", "")
	n := New("auto", zerolog.New(zerolog.NewTestWriter(t)))
	if n.Mode() != Systemd {
		t.Fatalf("New(auto) with NOTIFY_SOCKET: mode %v, want systemd", n.Mode())
	}
	n.Ready("Ready to accept connections")
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	k, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:k]), "STATUS=Ready to accept connections\nREADY=1"; got != want {
		t.Errorf("datagram: got %q, want %q", got, want)
	}
}
