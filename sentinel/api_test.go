package sentinel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/failover"
)

// apiSentinel runs a sentinel (no links: nothing is reachable) whose clock
// the test moves; it monitors m at 127.0.0.1:1 with one known replica and
// one known sentinel.
func apiSentinel(t *testing.T) (*Sentinel, *atomic.Int64) {
	t.Helper()
	var clock atomic.Int64
	clock.Store(time.Unix(1_000_000, 0).UnixNano())
	mc := NewMaster("m", "127.0.0.1", 1, 1)
	mc.KnownReplicas = []Addr{{Host: "127.0.0.1", Port: 2}}
	mc.KnownSentinels = []KnownSentinel{{Addr: Addr{Host: "127.0.0.1", Port: 3}, RunID: id40}}
	cfg := &Config{Server: config.Default(), MyID: "f" + id40[1:], Masters: []*MasterConfig{mc}}
	s, err := New(cfg, Options{Log: zerolog.New(zerolog.NewTestWriter(t)),
		Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, &clock
}

func TestAPISnapshot(t *testing.T) {
	s, _ := apiSentinel(t)
	ms, err := s.Masters()
	if err != nil || len(ms) != 1 {
		t.Fatalf("Masters: got %d masters, %v; want 1", len(ms), err)
	}
	m := ms[0]
	if m.Name != "m" || m.Addr != (Addr{Host: "127.0.0.1", Port: 1}) || m.Quorum != 1 || m.FailoverState != "" {
		t.Errorf("master: got %+v, want m at 127.0.0.1:1, quorum 1, no failover", m)
	}
	if got, want := m.Flags.String(), "master,disconnected"; got != want {
		t.Errorf("master flags: got %q, want %q", got, want)
	}
	if len(m.Replicas) != 1 || m.Replicas[0].Addr.String() != "127.0.0.1:2" || m.Replicas[0].Priority != 100 ||
		m.Replicas[0].Flags.String() != "slave,disconnected" {
		t.Errorf("replicas: got %+v, want 127.0.0.1:2, priority 100, slave,disconnected", m.Replicas)
	}
	if len(m.Sentinels) != 1 || m.Sentinels[0].ID != id40 || m.Sentinels[0].Addr.String() != "127.0.0.1:3" {
		t.Errorf("sentinels: got %+v, want %s at 127.0.0.1:3", m.Sentinels, id40)
	}
	one, err := s.Master("m")
	if err != nil || one.Name != "m" {
		t.Errorf("Master(m): got %+v, %v", one, err)
	}
	if _, err := s.Master("nope"); !errors.Is(err, ErrNoSuchMaster) {
		t.Errorf("Master(nope): got %v, want ErrNoSuchMaster", err)
	}
}

func TestAPIFailover(t *testing.T) {
	s, _ := apiSentinel(t)
	if err := s.Failover("nope"); !errors.Is(err, ErrNoSuchMaster) {
		t.Errorf("Failover(nope): got %v, want ErrNoSuchMaster", err)
	}
	// the only replica has not answered INFO yet: the failover is accepted and waits
	// for it (as SENTINEL FAILOVER right after a group's setup), so a second request
	// finds it in progress (SENTINEL FAILOVER's -INPROG)
	if err := s.Failover("m"); err != nil {
		t.Errorf("Failover(m): got %v, want nil", err)
	}
	if err := s.Failover("m"); !errors.Is(err, failover.ErrInProgress) {
		t.Errorf("Failover(m) again: got %v, want failover.ErrInProgress", err)
	}
}

// TestAPIEvents: a subscriber gets the events the endpoint publishes (here
// +tilt after a clock jump), and concurrent readers are safe (-race).
func TestAPIEvents(t *testing.T) {
	s, clock := apiSentinel(t)
	events, dropped, cancel := s.Subscribe(16)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if _, err := s.Masters(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// jump the clock by more than tilt-trigger until a tick sees it (the
	// first tick only records the time)
	deadline := time.After(10 * time.Second)
	jump := time.NewTicker(200 * time.Millisecond)
	defer jump.Stop()
	var got []Event
	for len(got) == 0 || got[len(got)-1].Name != "+tilt" {
		select {
		case e := <-events:
			got = append(got, e)
		case <-jump.C:
			clock.Add(int64(3 * time.Second))
		case <-deadline:
			t.Fatalf("no +tilt event after 3 s clock jumps; got %+v", got)
		}
	}

	if e := got[len(got)-1]; e.Message != "#tilt mode entered" {
		t.Errorf("+tilt message: got %q, want %q", e.Message, "#tilt mode entered")
	}
	wg.Wait()
	cancel()
	cancel()           // idempotent
	for range events { // closed by cancel
	}
	if n := dropped(); n != 0 {
		t.Errorf("dropped %d events with a 16-event buffer", n)
	}
}
