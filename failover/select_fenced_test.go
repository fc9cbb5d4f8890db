package failover

import (
	"testing"
	"time"

	"github.com/vigil-db/vigil/election"
)

// TestSelectFenced has one row per rule of SelectFenced: promotion never goes backwards.
func TestSelectFenced(t *testing.T) {
	since := time.Unix(998, 0) // select_slave began; the candidates' INFO at 999 is fresh
	stale := time.Unix(997, 0)
	cand := func(host string, off int64, mod func(*Candidate)) Candidate {
		c := goodCandidate(host)
		c.Offset = off
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name     string
		fencing  Fencing
		known    int
		cands    []Candidate
		wantHost string
		want     Fenced
	}{
		{"highest offset wins over a better priority", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, func(c *Candidate) { c.Priority = 1 }), cand("b", 200, nil)}, "b", FencedPromote},
		{"equal offsets: priority, as Redis", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 200, func(c *Candidate) { c.Priority = 50 }), cand("b", 200, nil)}, "a", FencedPromote},
		{"N=1 of 2 replicas: both offsets needed, one stale → wait", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.InfoTime = stale })}, "", FencedWait},
		{"N=1 of 2 replicas: one unreachable → wait", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.Disconnected = true })}, "", FencedWait},
		{"N=2 of 2 replicas: one fresh offset is enough", Fencing{true, 2}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.Disconnected = true })}, "a", FencedPromote},
		{"N=2 of 3: two fresh offsets, the highest wins", Fencing{true, 2}, 3,
			[]Candidate{cand("a", 100, nil), cand("b", 300, nil), cand("c", 900, func(c *Candidate) { c.SDown = true })}, "b", FencedPromote},
		{"highest offset has priority 0: none, never a lower one", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.Priority = 0 })}, "", FencedNone},
		{"stale INFO never counts even with a high offset", Fencing{true, 1}, 1,
			[]Candidate{cand("a", 900, func(c *Candidate) { c.InfoTime = stale })}, "", FencedWait},
		{"no candidates", Fencing{true, 1}, 0, nil, "", FencedWait},
		{"fenced-replicas 0 counts as 1", Fencing{true, 0}, 1, []Candidate{cand("a", 5, nil)}, "a", FencedPromote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, v := SelectFenced(baseParams(), tt.fencing, tt.known, since, tt.cands)
			if v != tt.want || got.Addr.Host != tt.wantHost {
				t.Fatalf("SelectFenced(%+v, known %d) = %q, %v; want %q, %v", tt.fencing, tt.known, got.Addr.Host, v, tt.wantHost, tt.want)
			}
		})
	}
}

// TestFencedVote: a sentinel votes for a failover of a master in fenced mode only when it
// sees the master SDOWN itself (its lease renewals have run out then); of a master not
// in fenced mode it votes as Redis does, down or not.
func TestFencedVote(t *testing.T) {
	tests := []struct {
		name     string
		fenced   bool
		down     bool
		wantVote bool
	}{
		{"not fenced, master up: votes (Redis)", false, false, true},
		{"fenced, master up here: no vote", true, false, false},
		{"fenced, master SDOWN here: votes", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testMaster(2), "me")
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: h.now,
				Info: &Info{RunID: "m-run", Role: RoleMaster, Fencing: Fencing{On: tt.fenced, Replicas: 1}}})
			if tt.down {
				h.masterDown()
			}
			h.msgs = nil
			h.mustStep(VoteRequest{From: "p1", MasterAddr: mAddr, Request: election.Request{Epoch: 7, RunID: "p1"}})
			if len(h.msgs) != 1 {
				t.Fatalf("messages after a vote request: %+v, want one reply", h.msgs)
			}
			if got := h.msgs[0].Reply.Leader == "p1"; got != tt.wantVote {
				t.Fatalf("reply %+v: voted %v, want %v", h.msgs[0].Reply, got, tt.wantVote)
			}
		})
	}
}

// TestFencedSelectWaits: in fenced mode select_slave waits for fresh INFO from enough
// replicas and then promotes the highest offset, though a lower-offset replica has the
// better priority.
func TestFencedSelectWaits(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 100, r2Addr: 200})
	h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: h.now,
		Info: &Info{RunID: "m-run", Role: RoleMaster, Fencing: Fencing{On: true, Replicas: 1}}})
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: mAddr.Port,
		MasterLinkUp: true, Priority: 1, HasPriority: true, ReplOffset: 100}, false)
	ms := reachSelectSlave(t, h)
	h.tick(100 * time.Millisecond)
	if ms.state != StateSelectSlave {
		t.Fatalf("promoted with stale offsets: state %v", ms.state)
	}
	for _, r := range []struct {
		a   Addr
		off int64
		pri int
	}{{r1Addr, 100, 1}, {r2Addr, 250, 100}} {
		h.replica(r.a, Info{RunID: runIDs[r.a], Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: mAddr.Port,
			Priority: r.pri, HasPriority: true, ReplOffset: r.off, MasterLinkDownTime: time.Second}, false)
	}
	h.tick(100 * time.Millisecond)
	if ms.promoted == nil || ms.promoted.addr != r2Addr {
		t.Fatalf("promoted %+v, want %v (the highest offset)", ms.promoted, r2Addr)
	}
}

// TestFencedAbortUnpromoted: a fenced failover we were elected to lead that aborts in
// select_slave (fresh offsets never came) reports its epoch as AbortedUnpromoted (no
// replica was promoted in it: the lease renewal may resume); a failover aborted before
// the election does not.
func TestFencedAbortUnpromoted(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 100, r2Addr: 200})
	h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: h.now,
		Info: &Info{RunID: "m-run", Role: RoleMaster, Fencing: Fencing{On: true, Replicas: 1}}})
	ms := reachSelectSlave(t, h)
	if st, _ := h.m.Status("mymaster"); st.AbortedUnpromoted != 0 {
		t.Fatalf("AbortedUnpromoted %d in select_slave, want 0", st.AbortedUnpromoted)
	}
	h.lines()
	for i := 0; i < 700 && ms.state == StateSelectSlave; i++ { // failover-timeout is 60 s
		h.tick(100 * time.Millisecond)
	}
	equalLines(t, h.lines(), []string{"-failover-abort-no-good-slave " + master1})
	st, _ := h.m.Status("mymaster")
	if st.AbortedUnpromoted == 0 || st.AbortedUnpromoted != st.FailoverEpoch || st.Vote.Epoch != st.FailoverEpoch {
		t.Fatalf("after the abort in select_slave: AbortedUnpromoted %d, failover epoch %d, our vote's epoch %d; want all equal and not 0",
			st.AbortedUnpromoted, st.FailoverEpoch, st.Vote.Epoch)
	}
}

// reachSelectSlave takes h's master down and ticks until its failover is in select_slave.
func reachSelectSlave(t *testing.T, h *harness) *masterState {
	t.Helper()
	h.masterDown()
	ms := h.m.masters["mymaster"]
	for i := 0; i < 100 && ms.state != StateSelectSlave; i++ {
		h.tick(100 * time.Millisecond)
	}
	if ms.state != StateSelectSlave {
		t.Fatalf("failover state %v, want select_slave", ms.state)
	}
	return ms
}
