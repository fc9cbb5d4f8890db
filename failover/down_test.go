package failover

import (
	"errors"
	"testing"
	"time"

	"github.com/vigil-db/vigil/election"
)

func TestSDown(t *testing.T) {
	mc := testMaster(1) // down-after 5 s
	mc.RebootDownAfter = 2 * time.Second
	tests := []struct {
		name string
		set  func(h *harness, t0 time.Time)
		at   time.Duration
		want bool
	}{
		{"fresh, connected", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0})
		}, 10 * time.Second, false},
		{"ping pending past down-after", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0, PingSent: t0})
		}, 5*time.Second + time.Millisecond, true},
		{"ping pending within down-after", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0, PingSent: t0})
		}, 5 * time.Second, false},
		{"disconnected, last ok too old", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0, Disconnected: true})
		}, 6 * time.Second, true},
		{"disconnected, new ping pending: the older time counts", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0, Disconnected: true,
				PingSent: t0.Add(5 * time.Second)})
		}, 6 * time.Second, true},
		{"reports replica too long", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0, Info: &Info{Role: RoleSlave}})
		}, 25*time.Second + time.Millisecond, true},
		{"reports replica briefly", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: t0, Info: &Info{Role: RoleSlave}})
		}, 25 * time.Second, false},
		{"rebooted, no PONG since", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Info: &Info{RunID: "a", Role: RoleMaster}})
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Info: &Info{RunID: "b", Role: RoleMaster}})
		}, 3 * time.Second, true},
		{"rebooted, PONG since", func(h *harness, t0 time.Time) {
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Info: &Info{RunID: "a", Role: RoleMaster}})
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Info: &Info{RunID: "b", Role: RoleMaster}})
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Pong: true})
		}, 3 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, mc, "me")
			t0 := h.now
			tt.set(h, t0)
			// keep the link fresh in the rows that are not about the link
			h.tick(tt.at)
			if got := h.m.masters["mymaster"].inst.sdown; got != tt.want {
				t.Fatalf("sdown at +%v: got %v, want %v (events %q)", tt.at, got, tt.want, h.lines())
			}
		})
	}
}

func TestSDownEventsOfReplicasAndPeers(t *testing.T) {
	h := newHarness(t, testMaster(3), "me")
	h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Disconnected: true, LastOKPing: h.now})
	peerAddr := Addr{"10.0.1.1", 26379}
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: false, Addr: peerAddr, LastOKPing: h.now}}})
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379}, true)
	h.lines()
	h.tick(6 * time.Second)
	equalLines(t, h.lines(), []string{
		"+sdown master mymaster 10.0.0.1 6379",
		"+sdown " + slaveDesc(r1Addr, mAddr),
		"+sdown sentinel p1 10.0.1.1 26379 @ mymaster 10.0.0.1 6379",
	})
	h.healthy(map[Addr]int64{r1Addr: 100})
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: true, Addr: peerAddr, LastOKPing: h.now}}})
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"-sdown master mymaster 10.0.0.1 6379",
		"-sdown " + slaveDesc(r1Addr, mAddr),
		"-sdown sentinel p1 10.0.1.1 26379 @ mymaster 10.0.0.1 6379",
	})
}

// TestODown: SDOWN here plus the peers' replies and fresh mesh opinions
// reach the quorum; stale opinions, opinions about another address and a
// peer counted twice do not.
func TestODown(t *testing.T) {
	other := Addr{"10.9.9.9", 6379}
	tests := []struct {
		name    string
		quorum  int
		sdown   bool
		replies []string // peers whose last reply says down
		mesh    map[string]Addr
		age     time.Duration // of the mesh opinions at the tick
		want    bool
	}{
		{"quorum 1, sdown", 1, true, nil, nil, 0, true},
		{"quorum 1, not sdown", 1, false, nil, nil, 0, false},
		{"quorum 2, no peer agrees", 2, true, nil, nil, 0, false},
		{"quorum 2, one reply", 2, true, []string{"p1"}, nil, 0, true},
		{"quorum 3, one reply and one opinion", 3, true, []string{"p1"}, map[string]Addr{"p2": mAddr}, 0, true},
		{"quorum 3, reply and opinion of the same peer count once", 3, true, []string{"p1"}, map[string]Addr{"p1": mAddr}, 0, false},
		{"quorum 2, opinion at 5 × ask-period", 2, true, nil, map[string]Addr{"p2": mAddr}, 5 * time.Second, true},
		{"quorum 2, stale opinion", 2, true, nil, map[string]Addr{"p2": mAddr}, 5*time.Second + time.Millisecond, false},
		{"quorum 2, opinion about another address", 2, true, nil, map[string]Addr{"p2": other}, 0, false},
		{"quorum 2, peers agree but no sdown here", 2, false, []string{"p1", "p2"}, nil, 0, false},
		{"our own opinion is not a peer's", 2, true, nil, map[string]Addr{"me": mAddr}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testMaster(tt.quorum), "me")
			h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: true}, {ID: "p2", Connected: true}}})
			for from, a := range tt.mesh {
				h.mustStep(Opinion{Master: "mymaster", From: from, Addr: a, Down: true})
			}
			h.now = h.now.Add(tt.age)
			last := h.now.Add(-time.Second)
			if tt.sdown {
				last = h.now.Add(-10 * time.Second)
			}
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Disconnected: true, LastOKPing: last})
			for _, p := range tt.replies {
				h.mustStep(VoteReply{From: p, Master: "mymaster", Reply: election.Reply{Down: true, Leader: "*"}})
			}
			h.m.checkDown(h.now, h.m.masters["mymaster"])
			if got := h.m.masters["mymaster"].inst.odown; got != tt.want {
				t.Fatalf("odown: got %v, want %v (events %q)", got, tt.want, h.lines())
			}
		})
	}
}

func TestODownLost(t *testing.T) {
	h := newHarness(t, testMaster(2), "me")
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: true}}})
	h.masterDown() // opinion of one mesh peer
	h.tick(100 * time.Millisecond)
	h.lines()
	h.tick(5 * time.Second) // the opinion is stale now
	got := h.lines()
	if len(got) == 0 || got[0] != "-odown "+master1 {
		t.Fatalf("events after the opinion went stale: %q, want -odown first", got)
	}
	if st, _ := h.m.Status("mymaster"); !st.SDown || st.ODown {
		t.Fatalf("status sdown %v odown %v, want sdown only", st.SDown, st.ODown)
	}
}

// TestTilt: a tick more than tilt-trigger after the previous one, or before
// it, enters TILT; TILT ends tilt-period after the last jump; no SDOWN is
// decided meanwhile.
func TestTilt(t *testing.T) {
	tests := []struct {
		name  string
		ticks []time.Duration // gaps between ticks
		want  []string
	}{
		{"steady", []time.Duration{100 * time.Millisecond, 2 * time.Second}, nil},
		{"forward jump", []time.Duration{2*time.Second + time.Millisecond}, []string{"+tilt #tilt mode entered"}},
		{"backward jump", []time.Duration{-time.Millisecond}, []string{"+tilt #tilt mode entered"}},
		{"exit after tilt-period", append([]time.Duration{3 * time.Second}, repeat(time.Second, 31)...),
			[]string{"+tilt #tilt mode entered", "-tilt #tilt mode exited"}},
		{"still in tilt at tilt-period", append([]time.Duration{3 * time.Second}, repeat(time.Second, 30)...),
			[]string{"+tilt #tilt mode entered"}},
		{"a second jump restarts the period", append(append([]time.Duration{3 * time.Second}, repeat(time.Second, 20)...),
			append([]time.Duration{3 * time.Second}, repeat(time.Second, 20)...)...), []string{"+tilt #tilt mode entered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testMaster(1), "me")
			h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: h.now})
			h.m.Tick(h.now)
			for _, d := range tt.ticks {
				h.mustStep(Observation{Master: "mymaster", Addr: mAddr, LastOKPing: h.now.Add(d)})
				h.jumpBy(d)
			}
			equalLines(t, h.lines(), tt.want)
		})
	}
}

func TestNoSDownInTilt(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.m.Tick(h.now)
	h.mustStep(Observation{Master: "mymaster", Addr: mAddr, Disconnected: true, LastOKPing: h.now})
	h.jumpBy(10 * time.Second)
	equalLines(t, h.lines(), []string{"+tilt #tilt mode entered"})
	if st, _ := h.m.Status("mymaster"); st.SDown {
		t.Fatal("SDOWN decided in TILT")
	}
	if on, since := h.m.Tilt(); !on || !since.Equal(h.now) {
		t.Fatalf("Tilt() = %v, %v; want true, %v", on, since, h.now)
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// TestInfoWithoutPriorityKeepsIt: an INFO without slave_priority keeps the
// replica's last priority, as Redis does (a replica that said 0 stays
// unpromotable).
func TestInfoWithoutPriorityKeepsIt(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(nil)
	in := Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, MasterLinkUp: true, ReplOffset: 100}
	zero := in
	zero.Priority, zero.HasPriority = 0, true
	h.replica(r1Addr, zero, false)
	h.replica(r1Addr, in, false)
	if got := h.m.masters["mymaster"].replicas[r1Addr.String()].info.Priority; got != 0 {
		t.Fatalf("priority after an INFO without slave_priority: got %d, want 0 (kept)", got)
	}
	if err := h.step(ManualFailover{Master: "mymaster"}); !errors.Is(err, ErrNoGoodReplica) {
		t.Fatalf("ManualFailover: got %v, want ErrNoGoodReplica", err)
	}
}
