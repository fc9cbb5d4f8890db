package failover

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

var (
	mAddr  = Addr{"10.0.0.1", 6379}
	r1Addr = Addr{"10.0.0.2", 6379}
	r2Addr = Addr{"10.0.0.3", 6379}
	r3Addr = Addr{"10.0.0.4", 6379}
)

// harness drives one Machine the way the shell does and records its output.
type harness struct {
	t         *testing.T
	m         *Machine
	now       time.Time
	persisted *HardState
	msgs      []Message
	cmds      []Command
	events    []Event
	switches  []Switch
}

func newHarness(t *testing.T, mc MasterConfig, id string) *harness {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t))
	m, err := New(Config{MyID: id, Rand: rand.New(rand.NewPCG(1, 2)), Masters: []MasterConfig{mc}, Logger: &log}, HardState{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, m: m, now: time.Unix(1_000_000, 0)}
	h.drain()
	h.events = nil
	return h
}

func testMaster(quorum int) MasterConfig {
	return MasterConfig{Name: "mymaster", Addr: mAddr, Quorum: quorum, DownAfter: 5 * time.Second,
		FailoverTimeout: 60 * time.Second, ParallelSyncs: 1}
}

func (h *harness) step(in Input) error {
	h.t.Helper()
	err := h.m.Step(h.now, in)
	h.drain()
	return err
}

func (h *harness) mustStep(in Input) {
	h.t.Helper()
	if err := h.step(in); err != nil {
		h.t.Fatalf("Step(%+v): %v", in, err)
	}
}

// tick advances the clock by d and ticks, as a shell whose previous tick
// was 100 ms ago (no TILT, however large d is).
func (h *harness) tick(d time.Duration) {
	h.now = h.now.Add(d)
	h.m.prevTick = h.now.Add(-100 * time.Millisecond)
	h.m.Tick(h.now)
	h.drain()
}

// jumpBy ticks d after the last tick.
func (h *harness) jumpBy(d time.Duration) {
	h.now = h.now.Add(d)
	h.m.Tick(h.now)
	h.drain()
}

// jump ticks once d after the previous tick (a clock jump above
// tilt-trigger enters TILT).
func (h *harness) jump(d time.Duration) {
	h.m.prevTick = h.now
	h.now = h.now.Add(d)
	h.m.Tick(h.now)
	h.drain()
}

// drain handles a Ready batch: persist first, then record the rest.
func (h *harness) drain() {
	rd := h.m.Ready()
	if rd.HardState != nil {
		hs := *rd.HardState
		h.persisted = &hs
	}
	for _, msg := range rd.Messages {
		if msg.Type == MsgVoteReply && msg.Reply.Leader != "*" {
			v := h.persisted.Masters[msg.Master].Vote
			if h.persisted == nil || v.Epoch < msg.Reply.LeaderEpoch {
				h.t.Fatalf("reply %+v sent before its vote was persisted (%+v)", msg.Reply, v)
			}
		}
	}
	h.msgs = append(h.msgs, rd.Messages...)
	h.cmds = append(h.cmds, rd.Commands...)
	h.events = append(h.events, rd.Events...)
	h.switches = append(h.switches, rd.Switches...)
	h.m.Advance()
}

// lines returns the recorded events as "<name> <message>" and clears them.
func (h *harness) lines() []string {
	var out []string
	for _, e := range h.events {
		out = append(out, e.Name+" "+e.Message())
	}
	h.events = nil
	return out
}

func (h *harness) takeCmds() []Command {
	c := h.cmds
	h.cmds = nil
	return c
}

// healthy observes the master and replicas (given offsets) as healthy.
func (h *harness) healthy(offsets map[Addr]int64) {
	h.t.Helper()
	h.mustStep(Observation{Master: "mymaster", Addr: h.m.masters["mymaster"].addr, LastOKPing: h.now,
		Info: &Info{RunID: "m-run", Role: RoleMaster}})
	addrs := make([]Addr, 0, len(offsets))
	for a := range offsets {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].String() < addrs[j].String() })
	for _, a := range addrs {
		off := offsets[a]
		h.replica(a, Info{RunID: runIDs[a], Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: mAddr.Port,
			MasterLinkUp: true, Priority: 100, ReplOffset: off}, false)
	}
}

// runIDs are the replicas' run ids (a different one is a reboot).
var runIDs = map[Addr]string{r1Addr: "r1", r2Addr: "r2", r3Addr: "r3"}

func (h *harness) replica(a Addr, info Info, disconnected bool) {
	h.t.Helper()
	h.mustStep(Observation{Master: "mymaster", Addr: a, LastOKPing: h.now, Disconnected: disconnected, Info: &info})
}

// masterDown observes the master unreachable for 10 s, with mesh opinions
// of quorum−1 peers saying down, and lets the machine decide SDOWN and ODOWN
// (their events are checked and dropped).
func (h *harness) masterDown() {
	h.t.Helper()
	ms := h.m.masters["mymaster"]
	h.mustStep(Observation{Master: "mymaster", Addr: ms.addr, Disconnected: true,
		LastOKPing: h.now.Add(-10 * time.Second)})
	for i := 1; i < ms.cfg.Quorum; i++ {
		h.mustStep(Opinion{Master: "mymaster", From: "mesh-" + strconv.Itoa(i), Addr: ms.addr, Down: true})
	}
	h.m.checkDown(h.now, ms)
	h.drain()
	if !ms.inst.sdown || !ms.inst.odown {
		h.t.Fatalf("master down for 10 s: sdown %v odown %v, want both", ms.inst.sdown, ms.inst.odown)
	}
	kept := h.events[:0]
	for _, e := range h.events {
		if e.Name != EventSDown && e.Name != EventODown {
			kept = append(kept, e)
		}
	}
	h.events = kept
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("event %d:\n got %q\nwant %q\n(all: %q)", i, got[i], want[i], got)
		}
	}
}
