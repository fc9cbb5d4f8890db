package server

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
)

// fakeProcess records the wishes a server makes of its process owner.
type fakeProcess struct {
	mu               sync.Mutex
	extra, extraHeld int
	gc               []int
	gcHeld           int
}

func (p *fakeProcess) ExtraProc() func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.extra++
	p.extraHeld++
	return func() { p.mu.Lock(); p.extraHeld--; p.mu.Unlock() }
}

func (p *fakeProcess) SetTitle(string) {}

func (p *fakeProcess) LoadGCPercent(percent int) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gc = append(p.gc, percent)
	p.gcHeld++
	return func() { p.mu.Lock(); p.gcHeld--; p.mu.Unlock() }
}

func (p *fakeProcess) counts() (extra, extraHeld int, gc []int, gcHeld int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.extra, p.extraHeld, append([]int(nil), p.gc...), p.gcHeld
}

// startLifecycle starts a server through Start with files relative to dir.
func startLifecycle(t *testing.T, dir string, proc Process) (*Server, *rawClient) {
	t.Helper()
	cfg := config.Default()
	cfg.Bind, cfg.Port, cfg.Save = []string{"127.0.0.1"}, testutil.FreePort(t), nil
	cfg.Dir, cfg.PidFile, cfg.DBFilename = dir, "p.pid", "d.rdb"
	srv := New(cfg, Options{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Process: proc})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts := &testServer{Server: srv, addr: "127.0.0.1:" + strconv.Itoa(cfg.Port)}
	return srv, ts.dial(t)
}

// TestLifecycle runs Start, a background save, Shutdown and a second Start that loads
// the dump, checking the pidfile and the wishes made of the process owner.
func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "p.pid")
	proc := &fakeProcess{}
	srv, c := startLifecycle(t, dir, proc)
	if b, err := os.ReadFile(pidfile); err != nil || string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("pidfile after Start: got %q (%v), want our pid", b, err)
	}
	c.do("SET", "k", "v")
	if got := c.do("BGSAVE"); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: got %q", got)
	}
	testutil.Poll(t, 10*time.Second, 10*time.Millisecond, "BGSAVE to finish and give its P back", func() (bool, string) {
		extra, held, _, _ := proc.counts()
		return extra > 0 && held == 0, "ExtraProc calls " + strconv.Itoa(extra) + ", held " + strconv.Itoa(held)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done not closed after Shutdown returned")
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile after Shutdown: got %v, want it removed", err)
	}

	proc2 := &fakeProcess{}
	_, c2 := startLifecycle(t, dir, proc2)
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the dump to load", func() bool {
		return c2.do("GET", "k") == "$1\r\nv\r\n"
	})
	if _, _, gc, held := proc2.counts(); len(gc) != 1 || gc[0] != loadGCPercent || held != 0 {
		t.Errorf("LoadGCPercent wishes: got %v (held %d), want [%d] (held 0)", gc, held, loadGCPercent)
	}
}
