package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/sentinel"
)

// fakeSource is a hand-written Source: fixed masters and an event channel
// the test publishes on.
type fakeSource struct {
	mu      sync.Mutex
	masters []sentinel.MasterSnapshot
	events  chan sentinel.Event
}

func (f *fakeSource) Masters() ([]sentinel.MasterSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentinel.MasterSnapshot(nil), f.masters...), nil
}

func (f *fakeSource) Master(name string) (sentinel.MasterSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.masters {
		if m.Name == name {
			return m, nil
		}
	}
	return sentinel.MasterSnapshot{}, fmt.Errorf("%w: %q", sentinel.ErrNoSuchMaster, name)
}

func (f *fakeSource) MeshMembers() (map[string]int, error) {
	return map[string]int{"alive": 3, "leaving": 0, "failed": 1, "left": 0}, nil
}

func (f *fakeSource) Subscribe(int) (<-chan sentinel.Event, func() uint64, func()) {
	var once sync.Once
	return f.events, func() uint64 { return 0 }, func() { once.Do(func() { close(f.events) }) }
}

// publish sends one event as the sentinel would.
func (f *fakeSource) publish(name, msg string) { f.events <- sentinel.Event{Name: name, Message: msg} }

func addr(host string, port int) sentinel.Addr { return sentinel.Addr{Host: host, Port: port} }

// newFake monitors "m" at 127.0.0.1:6379 with replicas :6380 (healthy) and
// :6381 (link down 30 s) and one other sentinel.
func newFake() *fakeSource {
	m := sentinel.MasterSnapshot{Name: "m", Addr: addr("127.0.0.1", 6379), RunID: "r0", ConfigEpoch: 3,
		Flags: sentinel.FlagMaster, Quorum: 2, Offset: 100,
		Replicas: []sentinel.ReplicaSnapshot{
			{Addr: addr("127.0.0.1", 6380), Flags: sentinel.FlagSlave, LinkUp: true, Offset: 42,
				MasterAddr: addr("127.0.0.1", 6379), Priority: 100},
			{Addr: addr("127.0.0.1", 6381), Flags: sentinel.FlagSlave, LinkUp: true, LinkDownTime: 30e9,
				MasterAddr: addr("127.0.0.1", 6379), Priority: 100},
		},
		Sentinels: []sentinel.SentinelSnapshot{{ID: "s1", Addr: addr("127.0.0.1", 26380), Flags: sentinel.FlagSentinel}}}
	down := sentinel.MasterSnapshot{Name: "down", Addr: addr("127.0.0.1", 7000),
		Flags: sentinel.FlagMaster | sentinel.FlagSDown | sentinel.FlagODown, Quorum: 1}
	return &fakeSource{masters: []sentinel.MasterSnapshot{m, down}, events: make(chan sentinel.Event, 64)}
}

// startServer starts a Server for src on a free loopback port.
func startServer(t testing.TB, src Source, password string) (*Server, string) {
	t.Helper()
	return startServerWith(t, src, Config{Password: password})
}

// startServerWith is startServer with more of the Config.
func startServerWith(t testing.TB, src Source, cfg Config) (*Server, string) {
	t.Helper()
	cfg.Addr, cfg.RingSize, cfg.MaxStreams = "127.0.0.1:0", 8, 2
	s := New(src, cfg, zerolog.New(zerolog.NewTestWriter(t)))
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s, "http://" + s.Addr().String()
}

// get does one request with an optional bearer password.
func get(t testing.TB, method, url, password string) *http.Response {
	t.Helper()
	return testutil.HTTPDo(t, method, url, password)
}
