package sentinel

import (
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

// TestTiltAndEvents: the machine's TILT and SDOWN reach the shell's events.
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
	s.tick(now)
	now = now.Add(3 * time.Second) // clock jump > tilt-trigger
	s.tick(now)
	if on, _ := s.fo.Tilt(); !on {
		t.Fatal("tilt: got off after a 3 s jump, want on")
	}
	for range 31 {
		now = now.Add(time.Second)
		s.tick(now)
	}
	if on, _ := s.fo.Tilt(); on {
		t.Fatal("tilt: got on after tilt-period, want off")
	}
	// disconnected since start for > 30 s: +sdown as soon as TILT ends
	want := []string{"+monitor master m 127.0.0.1 6379 quorum 2", "+tilt #tilt mode entered",
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
