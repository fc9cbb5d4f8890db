package sentinel

import (
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/failover"
)

// TestFencePromoted: the failover's leader renews the promoted replica's lease from
// reconf_slaves on, and only then: the promoted replica, reporting fenced mode and the
// master role (docs/safety.md).
func TestFencePromoted(t *testing.T) {
	now := time.Unix(1000, 0)
	mc := NewMaster("m", "127.0.0.1", 6379, 2)
	mc.DownAfter = time.Second
	mc.KnownSentinels = []KnownSentinel{{Addr: Addr{Host: "127.0.0.1", Port: 2}, RunID: "a" + id40[1:]},
		{Addr: Addr{Host: "127.0.0.1", Port: 3}, RunID: "b" + id40[1:]}}
	s := &Sentinel{cfg: &Config{Server: config.Default(), MyID: id40}}
	m := newMaster(mc, now)
	promoted := m.addReplica(Addr{Host: "127.0.0.1", Port: 6380}, now)
	other := m.addReplica(Addr{Host: "127.0.0.1", Port: 6381}, now)
	const fencedMaster = "# Replication\r\nrole:master\r\nfenced_mode:1\r\nfenced_lease_ms:900\r\n"
	pa := promoted.addr
	tests := []struct {
		name  string
		r     *instance
		info  string
		state failover.State
		want  bool
	}{
		{"promoted, reconf_slaves", promoted, fencedMaster, failover.StateReconfSlaves, true},
		{"another replica", other, fencedMaster, failover.StateReconfSlaves, false},
		{"before the promotion is seen", promoted, fencedMaster, failover.StateWaitPromotion, false},
		{"no failover", promoted, fencedMaster, failover.StateNone, false},
		{"still a replica", promoted, "# Replication\r\nrole:slave\r\nfenced_mode:1\r\n", failover.StateReconfSlaves, false},
		{"default mode", promoted, "# Replication\r\nrole:master\r\n", failover.StateReconfSlaves, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.info = tt.info
			f := s.fencePromoted(m, tt.r, failover.Status{State: tt.state, Promoted: &pa})
			if (f != nil) != tt.want {
				t.Fatalf("%s: got fence %+v, want one: %v", tt.name, f, tt.want)
			}
			if f != nil && (f.ID != id40 || f.Majority != 2 || f.DownAfterMs != 1000 || f.LeaseMs != 900) {
				t.Fatalf("%s: got %+v, want id %s, majority 2, down-after 1000, lease 900", tt.name, *f, id40)
			}
		})
	}
}

// TestFenceAfterVote: a sentinel that voted for a failover of its master stops renewing
// the lease for 2 × failover-timeout, unless it led that failover and aborted it before
// selecting a replica (failover.Status.AbortedUnpromoted).
func TestFenceAfterVote(t *testing.T) {
	now := time.Unix(1000, 0)
	mc := NewMaster("m", "127.0.0.1", 6379, 2)
	mc.DownAfter, mc.FailoverTimeout = time.Second, 10*time.Second
	s := &Sentinel{cfg: &Config{Server: config.Default(), MyID: id40}, now: func() time.Time { return now }}
	m := newMaster(mc, now)
	m.info = "# Replication\r\nrole:master\r\nfenced_mode:1\r\n"
	voted := failover.Status{ConfigEpoch: 1, StartTime: now.Add(-12 * time.Second)}
	voted.Vote.Epoch, voted.Vote.Leader = 2, id40
	tests := []struct {
		name    string
		aborted uint64
		start   time.Time
		want    bool
	}{
		{"voted, within 2 × failover-timeout", 0, voted.StartTime, false},
		{"led epoch 2 and aborted it unpromoted", 2, voted.StartTime, true},
		{"aborted an older epoch", 1, voted.StartTime, false},
		{"voted, 2 × failover-timeout ago", 0, now.Add(-21 * time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := voted
			st.AbortedUnpromoted, st.StartTime = tt.aborted, tt.start
			if got := s.fence(m, st) != nil; got != tt.want {
				t.Fatalf("%s: renewing %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}
