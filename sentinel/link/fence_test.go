package link

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestFenceRenewPeriod: a quarter of the lease the master counts, min(fenced-lease-ms,
// 0.9 × down-after-ms), within [50 ms, 1 s].
func TestFenceRenewPeriod(t *testing.T) {
	tests := []struct {
		name               string
		downAfter, leaseMs int64
		want               time.Duration
	}{
		{"down-after 1000, lease not reported: 900/4", 1000, 0, 225 * time.Millisecond},
		{"down-after 1000, lease 900 reported", 1000, 900, 225 * time.Millisecond},
		{"lease shorter than 0.9 down-after", 1000, 400, 100 * time.Millisecond},
		{"lease longer than 0.9 down-after is capped", 1000, 2000, 225 * time.Millisecond},
		{"down-after 30000, lease 2000", 30000, 2000, 500 * time.Millisecond},
		{"long lease: at most 1 s", 30000, 0, time.Second},
		{"short lease: at least 50 ms", 100, 0, 50 * time.Millisecond},
		{"nothing known: 1 s", 0, 0, time.Second},
		{"down-after unknown, lease 800", 0, 800, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Fence{ID: idA, Majority: 2, DownAfterMs: tt.downAfter, LeaseMs: tt.leaseMs}
			if got := f.RenewPeriod(); got != tt.want {
				t.Fatalf("RenewPeriod(down-after %d, lease %d) = %v, want %v", tt.downAfter, tt.leaseMs, got, tt.want)
			}
		})
	}
}

// TestFenceRenewal: against a Vigil master in fenced mode (no replica needed for the
// lease), the link renews the lease on its own period, not the 1 s PING's: the first
// round (a token fetched and renewed with at once) already makes the lease valid with
// majority 1; each renewal reply counts as an available reply (EventFence, LastAvail,
// no pending PING); SetFence(nil) stops the renewals and the lease lapses.
func TestFenceRenewal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts vigil")
	}
	_, addr := testutil.StartVigil(t, "--fenced-mode", "yes", "--fenced-lease-ms", "2000")
	p := fastPeriods
	p.Ping = 5 * time.Second // the renewals must not wait for PINGs
	p.DownAfter = 10 * time.Second
	l, c := startLink(t, Config{Addr: addr, Kind: KindMaster, MyID: idA, Periods: p})
	c.waitFor(t, 0, "cc up", linkUp(CC))
	info := func() string {
		v, err := l.Send(context.Background(), "INFO", "replication")
		if err != nil {
			t.Fatal(err)
		}
		return v.(string)
	}
	f := &Fence{ID: idA, Majority: 1, DownAfterMs: 1000, LeaseMs: 2000} // period 225 ms
	from := c.len()
	l.SetFence(f)
	first := c.waitFor(t, from, "a renewal reply", isEvent(EventFence))
	if !first.OK || first.State.LastAvail != first.At || !first.State.ActPing.IsZero() {
		t.Fatalf("renewal reply: ok=%v state=%+v, want ok, LastAvail at the reply, no pending PING", first.OK, first.State)
	}
	// the lease was given by the first round: fetch + renewal, back to back
	testutil.Poll(t, 5*time.Second, 10*time.Millisecond, "lease valid", func() (bool, string) {
		s := info()
		return strings.Contains(s, "fenced_lease:valid") && strings.Contains(s, "fenced_lease_ms:900"), s
	})
	// renewals on their own period: more of them than PINGs (ping period 5 s)
	renewals, pings := 0, 0
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "five renewals", func() bool {
		renewals, pings = 0, 0
		c.mu.Lock()
		for _, o := range c.obs[from:] {
			switch {
			case o.Event == EventFence && o.OK:
				renewals++
			case o.Event == EventPingSent:
				pings++
			}
		}
		c.mu.Unlock()
		return renewals >= 5
	})
	if pings >= renewals {
		t.Fatalf("%d renewals and %d PINGs: the renewals follow the PINGs", renewals, pings)
	}
	l.SetFence(nil)
	testutil.Poll(t, 5*time.Second, 20*time.Millisecond, "lease expired after SetFence(nil)", func() (bool, string) {
		s := info()
		return strings.Contains(s, "fenced_lease:expired"), s
	})
}
