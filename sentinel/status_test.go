package sentinel

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// TestProgress runs the loop in a bubble: Progress reports ticks while the loop runs,
// none while a request wedges it (however long), and ticks again once it is released.
// The status line names the master once the loop has ticked.
func TestProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// no mesh: gossip-bind cannot be bound (memberlist's sockets would leave the bubble)
		cfg, _, err := Parse("port 0\ngossip-bind 192.0.2.1\nsentinel monitor mymaster 127.0.0.1 6379 2\n")
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, Options{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.StatusLine(); got != "starting" {
			t.Errorf("status before the loop: got %q, want %q", got, "starting")
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { s.Run(ctx); close(ran) }()
		progress := s.Progress()
		time.Sleep(time.Second)
		if !progress() {
			t.Errorf("Progress after 1 s of a running loop: got false, want true")
		}
		want := "mymaster: master 127.0.0.1:6379 ok, 0 replicas, 0 other sentinels, quorum 2"
		if got := s.StatusLine(); got != want {
			t.Errorf("status: got %q, want %q", got, want)
		}

		release, wedged := make(chan struct{}), make(chan struct{})
		go s.do(func() { close(wedged); <-release })
		<-wedged
		progress() // the baseline: ticks before the wedge may count once
		time.Sleep(10 * time.Second)
		if progress() {
			t.Errorf("Progress after 10 s with the loop wedged: got true, want false")
		}
		close(release)
		time.Sleep(time.Second)
		if !progress() {
			t.Errorf("Progress 1 s after the loop was released: got false, want true")
		}
		cancel()
		<-ran
	})
}

// TestStatusLineSeveralMasters checks the summary form for several masters.
func TestStatusLineSeveralMasters(t *testing.T) {
	cfg, _, err := Parse("port 0\nsentinel monitor a 127.0.0.1 6379 2\nsentinel monitor b 127.0.0.1 6380 2\n")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, Options{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.statusLine(), "2 masters monitored: 2 ok"; !strings.HasPrefix(got, want) {
		t.Errorf("status: got %q, want %q", got, want)
	}
}
