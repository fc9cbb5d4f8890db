package sentinel

import (
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

func TestSDown(t *testing.T) {
	t0 := time.Unix(1000, 0)
	conf := NewMaster("m", "127.0.0.1", 6379, 1)
	conf.DownAfter = 5 * time.Second
	conf.RebootDownAfter = 2 * time.Second
	tests := []struct {
		name string
		set  func(i *instance)
		now  time.Duration
		want bool
	}{
		{"fresh", func(i *instance) { i.flags &^= FlagDisconnected }, 10 * time.Second, false},
		{"ping pending past down-after", func(i *instance) { i.pingSent = t0 }, 5*time.Second + 1, true},
		{"ping pending within down-after", func(i *instance) { i.pingSent = t0 }, 5 * time.Second, false},
		{"disconnected, last ok too old", func(i *instance) {}, 6 * time.Second, true},
		{"reports replica too long", func(i *instance) {
			i.flags &^= FlagDisconnected
			i.roleReported = KindReplica
		}, 25*time.Second + 1, true},
		{"reports replica briefly", func(i *instance) {
			i.flags &^= FlagDisconnected
			i.roleReported = KindReplica
		}, 25 * time.Second, false},
		{"rebooted, no PONG since", func(i *instance) {
			i.flags &^= FlagDisconnected
			i.rebootSince = t0
		}, 3 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := newMaster(conf, t0)
			tt.set(i)
			if got := sdown(i, t0.Add(tt.now), 10*time.Second); got != tt.want {
				t.Fatalf("sdown at +%v: got %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

func TestTiltAndEvents(t *testing.T) {
	now := time.Unix(1000, 0)
	cfg := &Config{Server: config.Default(), MyID: id40, DenyScriptsReconfig: true,
		Masters: []*MasterConfig{NewMaster("m", "127.0.0.1", 6379, 2)}}
	s, err := New(cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s.hub.sub(s.hub.patterns, "*", rec)
	s.prevTick = now
	now = now.Add(3 * time.Second) // clock jump > tilt-trigger
	s.tick(now)
	if !s.tilt {
		t.Fatal("tilt: got off after a 3 s jump, want on")
	}
	for range 31 {
		now = now.Add(time.Second)
		s.tick(now)
	}
	if s.tilt {
		t.Fatal("tilt: got on after tilt-period, want off")
	}
	now = now.Add(time.Second)
	s.tick(now) // disconnected since start for > 30 s: +sdown
	want := []string{"+tilt #tilt mode entered", "+monitor master m 127.0.0.1 6379 quorum 2",
		"-tilt #tilt mode exited", "+sdown master m 127.0.0.1 6379"}
	if len(rec.got) != len(want) {
		t.Fatalf("events: got %q, want %q", rec.got, want)
	}
	for i := range want {
		if rec.got[i] != want[i] {
			t.Fatalf("event %d: got %q, want %q", i, rec.got[i], want[i])
		}
	}
}

type recorder struct{ got []string }

func (r *recorder) message(pattern, channel, msg string) { r.got = append(r.got, channel+" "+msg) }
