package failover

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/election"
)

const master1 = "master mymaster 10.0.0.1 6379"

func slaveDesc(a Addr, m Addr) string {
	return "slave " + a.String() + " " + a.Host + " 6379 @ mymaster " + m.Host + " 6379"
}

// TestFailoverHappyPath: one sentinel, quorum 1, the whole Redis sequence of
// events, commands and the switch.
func TestFailoverHappyPath(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 100, r2Addr: 200})
	equalLines(t, h.lines(), []string{
		"+slave " + slaveDesc(r1Addr, mAddr), "+slave " + slaveDesc(r2Addr, mAddr),
	})
	h.masterDown()
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 100, MasterLinkDownTime: 5 * time.Second}, false)
	h.replica(r2Addr, Info{RunID: "r2", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 200, MasterLinkDownTime: 5 * time.Second}, false)
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+new-epoch 1",
		"+try-failover " + master1,
		"+vote-for-leader me 1",
		"+elected-leader " + master1,
		"+failover-state-select-slave " + master1,
	})
	if h.persisted.CurrentEpoch != 1 || h.persisted.Masters["mymaster"].Vote != (election.Vote{Leader: "me", Epoch: 1}) {
		t.Fatalf("persisted %+v, want epoch 1 and our vote", h.persisted)
	}
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+selected-slave " + slaveDesc(r2Addr, mAddr),
		"+failover-state-send-slaveof-noone " + slaveDesc(r2Addr, mAddr),
	})
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{"+failover-state-wait-promotion " + slaveDesc(r2Addr, mAddr)})
	if got, want := h.takeCmds(), []Command{{Master: "mymaster", Target: r2Addr, Kind: PromoteNoOne}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("commands %+v, want %+v", got, want)
	}
	h.tick(100 * time.Millisecond)
	h.replica(r2Addr, Info{RunID: "r2", Role: RoleMaster, Priority: 100}, false)
	equalLines(t, h.lines(), []string{
		"-role-change " + slaveDesc(r2Addr, mAddr) + " new reported role is master",
		"+promoted-slave " + slaveDesc(r2Addr, mAddr),
		"+failover-state-reconf-slaves " + master1,
	})
	if h.persisted.Masters["mymaster"].ConfigEpoch != 1 {
		t.Fatalf("config epoch not persisted at promotion: %+v", h.persisted)
	}
	if a, _ := h.m.ClientAddr("mymaster"); a != r2Addr {
		t.Fatalf("ClientAddr = %v, want the promoted %v", a, r2Addr)
	}
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{"+slave-reconf-sent " + slaveDesc(r1Addr, mAddr)})
	if got, want := h.takeCmds(), []Command{{Master: "mymaster", Target: r1Addr, Kind: ReplicaOf, ReplicaOf: r2Addr}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("commands %+v, want %+v", got, want)
	}
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: r2Addr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 100}, false)
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: r2Addr.Host, MasterPort: 6379, MasterLinkUp: true, Priority: 100, ReplOffset: 200}, false)
	equalLines(t, h.lines(), []string{
		"+slave-reconf-inprog " + slaveDesc(r1Addr, mAddr),
		"+slave-reconf-done " + slaveDesc(r1Addr, mAddr),
	})
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+failover-end " + master1,
		"+switch-master mymaster 10.0.0.1 6379 10.0.0.3 6379",
		"+slave " + slaveDesc(r1Addr, r2Addr),
		"+slave " + slaveDesc(mAddr, r2Addr),
	})
	want := []Switch{{Master: "mymaster", From: mAddr, To: r2Addr, Replicas: []Addr{r1Addr, mAddr}}}
	if !reflect.DeepEqual(h.switches, want) {
		t.Fatalf("switches %+v, want %+v", h.switches, want)
	}
	hs := h.persisted.Masters["mymaster"]
	if hs.Addr != r2Addr || !reflect.DeepEqual(hs.Replicas, []Addr{mAddr, r1Addr}) {
		t.Fatalf("persisted master %+v, want address %v and replicas [m r1] (sorted)", hs, r2Addr)
	}
	if st, _ := h.m.Status("mymaster"); st.InProgress() {
		t.Fatalf("failover still in progress: %+v", st)
	}
}

func TestAbortNotElectedAndNextDelay(t *testing.T) {
	var logs strings.Builder
	h := newHarness(t, testMaster(2), "me")
	h.m.log = h.m.log.Output(&logs)
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: true}, {ID: "p2", Connected: true}}})
	h.healthy(map[Addr]int64{r1Addr: 100})
	h.lines()
	h.masterDown()
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{"+new-epoch 1", "+try-failover " + master1, "+vote-for-leader me 1"})
	// Forced ask at start, then one request per tick while nobody replies.
	var reqs int
	for _, msg := range h.msgs {
		if msg.Type == MsgVoteRequest && msg.Request == (election.Request{Epoch: 1, RunID: "me"}) && msg.MasterAddr == mAddr {
			reqs++
		}
	}
	if reqs != 4 { // forced + normal, to two peers
		t.Fatalf("%d vote requests after the first tick, want 4: %+v", reqs, h.msgs)
	}
	for i := 0; i < 110; i++ { // 11 s > election timeout (10 s) + jitter
		h.masterDown() // fresh opinions keep the ODOWN
		h.tick(100 * time.Millisecond)
	}
	equalLines(t, h.lines(), []string{"-failover-abort-not-elected " + master1})
	if st, _ := h.m.Status("mymaster"); st.AbortedUnpromoted != 0 {
		t.Fatalf("not elected: AbortedUnpromoted %d, want 0 (another sentinel may lead the epoch)", st.AbortedUnpromoted)
	}
	for i := 0; i < 30; i++ {
		h.masterDown()
		h.tick(100 * time.Millisecond)
	}
	if got := strings.Count(logs.String(), "Next failover delay: I will not start a failover before"); got != 1 {
		t.Fatalf("'Next failover delay' logged %d times, want once:\n%s", got, logs.String())
	}
	if len(h.lines()) != 0 {
		t.Fatal("a new failover started before 2 × failover-timeout")
	}
	h.now = h.now.Add(2 * 60 * time.Second)
	h.healthy(map[Addr]int64{r1Addr: 100})
	h.masterDown()
	h.tick(100 * time.Millisecond)
	if got := h.lines(); len(got) < 2 || got[0] != "+new-epoch 2" {
		t.Fatalf("after 2 × failover-timeout: events %q, want a new attempt in epoch 2", got)
	}
}

func TestElectedByPeers(t *testing.T) {
	h := newHarness(t, testMaster(2), "me")
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: true}, {ID: "p2", Connected: true}}})
	h.healthy(map[Addr]int64{r1Addr: 100})
	h.masterDown()
	h.tick(100 * time.Millisecond)
	h.lines()
	h.mustStep(VoteReply{From: "p1", Master: "mymaster", Reply: election.Reply{Down: true, Leader: "me", LeaderEpoch: 1}})
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{"+elected-leader " + master1, "+failover-state-select-slave " + master1})
}

func TestAbortNoGoodSlave(t *testing.T) {
	tests := []struct {
		name        string
		info        Info
		manualError error // SENTINEL FAILOVER waits for a replica's first sync
	}{
		{"priority 0", Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, MasterLinkUp: true, HasPriority: true, ReplOffset: 100}, ErrNoGoodReplica},
		{"never synced with the current master: link down since -1 (Vigil)", Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 100, MasterLinkDownTime: -time.Second}, nil},
		{"offset 0, link never up since attached (Vigil)", Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, MasterLinkDownTime: -time.Second}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testMaster(1), "me")
			h.healthy(nil)
			h.replica(r1Addr, tt.info, false)
			if err := h.step(ManualFailover{Master: "mymaster"}); !errors.Is(err, tt.manualError) {
				t.Fatalf("ManualFailover: %v, want %v", err, tt.manualError)
			}
			if tt.manualError == nil {
				return
			}
			h.masterDown()
			h.tick(100 * time.Millisecond)
			h.lines()
			h.tick(100 * time.Millisecond)
			equalLines(t, h.lines(), []string{"-failover-abort-no-good-slave " + master1})
		})
	}
}

// TestFreshGroupFailsOver: in a group's first seconds, before the master's first
// replication PING moves the offsets, a replica whose link is up at offset 0 is an
// in-sync empty replica and is promoted when the master dies (issue 14 item 8).
func TestFreshGroupFailsOver(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 0})
	h.lines()
	if err := h.step(ManualFailover{Master: "mymaster"}); err != nil {
		t.Fatalf("ManualFailover with a replica at offset 0, link up: %v, want a failover", err)
	}
	h = newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 0})
	h.masterDown()
	h.tick(100 * time.Millisecond)
	h.lines()
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+selected-slave " + slaveDesc(r1Addr, mAddr),
		"+failover-state-send-slaveof-noone " + slaveDesc(r1Addr, mAddr),
	})
}

// TestManualFailoverAwaitsReplica: SENTINEL FAILOVER right after the replicas were
// attached (Redis's Sentinel suite does it after its setup) is accepted; select_slave
// waits while the only replica is in its first sync and promotes it once its link is
// up, or aborts with -failover-abort-no-good-slave after failover-timeout.
func TestManualFailoverAwaitsReplica(t *testing.T) {
	syncing := Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, MasterLinkDownTime: -time.Second}
	for _, syncs := range []bool{true, false} {
		h := newHarness(t, testMaster(1), "me")
		h.healthy(nil)
		h.replica(r1Addr, syncing, false)
		if err := h.step(ManualFailover{Master: "mymaster"}); err != nil {
			t.Fatalf("ManualFailover with a replica in its first sync: %v, want OK", err)
		}
		for i := 0; i < 50; i++ {
			h.tick(100 * time.Millisecond)
			h.healthy(nil)
			h.replica(r1Addr, syncing, false)
		}
		if st, _ := h.m.Status("mymaster"); st.State != StateSelectSlave {
			t.Fatalf("after 5 s of first sync: state %v, want select_slave (waiting)", st.State)
		}
		h.lines()
		if syncs {
			synced := syncing
			synced.MasterLinkUp, synced.MasterLinkDownTime = true, 0
			h.replica(r1Addr, synced, false)
			h.tick(100 * time.Millisecond)
			equalLines(t, h.lines(), []string{
				"+selected-slave " + slaveDesc(r1Addr, mAddr),
				"+failover-state-send-slaveof-noone " + slaveDesc(r1Addr, mAddr),
			})
			continue
		}
		for i := 0; i < 600; i++ { // failover-timeout is 60 s
			h.tick(100 * time.Millisecond)
			h.healthy(nil)
			h.replica(r1Addr, syncing, false)
		}
		if got := h.lines(); len(got) != 1 || got[0] != "-failover-abort-no-good-slave "+master1 {
			t.Fatalf("no sync within failover-timeout: events %q, want -failover-abort-no-good-slave", got)
		}
	}
}

// TestManualFailoverAwaitsFirstInfo: SENTINEL FAILOVER right after a replica was
// discovered, before its first INFO, is accepted and promotes it once it reports.
func TestManualFailoverAwaitsFirstInfo(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(nil)
	h.mustStep(Observation{Master: "mymaster", Addr: r1Addr, Disconnected: true})
	if err := h.step(ManualFailover{Master: "mymaster"}); err != nil {
		t.Fatalf("ManualFailover with a replica not yet heard from: %v, want OK", err)
	}
	h.tick(100 * time.Millisecond)
	h.lines()
	h.healthy(map[Addr]int64{r1Addr: 10})
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+selected-slave " + slaveDesc(r1Addr, mAddr),
		"+failover-state-send-slaveof-noone " + slaveDesc(r1Addr, mAddr),
	})
}

func TestManualFailover(t *testing.T) {
	h := newHarness(t, testMaster(2), "me")
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p1", Connected: true}, {ID: "p2", Connected: true}}})
	h.healthy(map[Addr]int64{r1Addr: 100})
	h.lines()
	if err := h.step(ManualFailover{Master: "nope"}); !errors.Is(err, ErrNoSuchMaster) {
		t.Fatalf("unknown master: %v", err)
	}
	h.mustStep(ManualFailover{Master: "mymaster"})
	if err := h.step(ManualFailover{Master: "mymaster"}); !errors.Is(err, ErrInProgress) {
		t.Fatalf("second ManualFailover: %v, want ErrInProgress", err)
	}
	h.tick(100 * time.Millisecond)
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+new-epoch 1", "+try-failover " + master1, "+vote-for-leader me 1",
		"+elected-leader " + master1, "+failover-state-select-slave " + master1,
		"+selected-slave " + slaveDesc(r1Addr, mAddr), "+failover-state-send-slaveof-noone " + slaveDesc(r1Addr, mAddr),
	})
	for _, msg := range h.msgs {
		if msg.Type == MsgVoteRequest {
			t.Fatalf("manual failover of a master not SDOWN asked peers: %+v", msg)
		}
	}
}

func TestSlaveTimeouts(t *testing.T) {
	t.Run("promoted replica disconnected", func(t *testing.T) {
		h := newHarness(t, testMaster(1), "me")
		h.healthy(map[Addr]int64{r1Addr: 100})
		h.masterDown()
		h.tick(100 * time.Millisecond)
		h.tick(100 * time.Millisecond)
		h.lines()
		h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 100}, true)
		for i := 0; i < 601; i++ {
			h.tick(100 * time.Millisecond)
		}
		equalLines(t, h.lines(), []string{"+sdown " + slaveDesc(r1Addr, mAddr), "-failover-abort-slave-timeout " + master1})
		if len(h.takeCmds()) != 0 {
			t.Fatal("SLAVEOF NO ONE sent to a disconnected replica")
		}
	})
	t.Run("promotion never confirmed", func(t *testing.T) {
		h := newHarness(t, testMaster(1), "me")
		h.healthy(map[Addr]int64{r1Addr: 100})
		h.masterDown()
		for i := 0; i < 3; i++ {
			h.tick(100 * time.Millisecond)
		}
		h.lines()
		for i := 0; i < 601; i++ {
			h.tick(100 * time.Millisecond)
		}
		equalLines(t, h.lines(), []string{"-failover-abort-slave-timeout " + master1})
		if st, _ := h.m.Status("mymaster"); st.InProgress() || st.Replicas[0].Promoted {
			t.Fatalf("after abort: %+v", st)
		}
	})
}

// promote runs a failover with three replicas up to reconf_slaves.
func promote(t *testing.T, parallel int) *harness {
	mc := testMaster(1)
	mc.ParallelSyncs = parallel
	h := newHarness(t, mc, "me")
	h.healthy(map[Addr]int64{r1Addr: 300, r2Addr: 100, r3Addr: 100})
	h.masterDown()
	for i := 0; i < 3; i++ {
		h.tick(100 * time.Millisecond)
	}
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleMaster, Priority: 100}, false)
	h.lines()
	h.takeCmds()
	return h
}

func TestReconfParallelSyncs(t *testing.T) {
	h := promote(t, 1)
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{"+slave-reconf-sent " + slaveDesc(r2Addr, mAddr)})
	h.tick(5 * time.Second)
	if got := h.lines(); len(got) != 0 {
		t.Fatalf("more than parallel-syncs in flight: %q", got)
	}
	h.replica(r2Addr, Info{RunID: "r2", Role: RoleSlave, MasterHost: r1Addr.Host, MasterPort: 6379, MasterLinkUp: true, Priority: 100, ReplOffset: 9}, false)
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+slave-reconf-inprog " + slaveDesc(r2Addr, mAddr),
		"+slave-reconf-done " + slaveDesc(r2Addr, mAddr),
		"+slave-reconf-sent " + slaveDesc(r3Addr, mAddr),
	})
}

// TestReconfSentTimeout: a replica in reconf_sent for more than 10 s counts
// as done. As in Redis, the check only runs while fewer than parallel-syncs
// replicas are in flight (with parallel-syncs 1 a stuck replica holds the
// failover until failover-timeout; see TestFailoverEndForTimeout).
func TestReconfSentTimeout(t *testing.T) {
	h := promote(t, 3)
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"+slave-reconf-sent " + slaveDesc(r2Addr, mAddr),
		"+slave-reconf-sent " + slaveDesc(r3Addr, mAddr),
	})
	h.tick(10 * time.Second)
	if got := h.lines(); len(got) != 0 {
		t.Fatalf("timed out after exactly 10 s: %q", got)
	}
	// Redis falls through after the timeout and sends SLAVEOF once more
	// (flags reconf_done|reconf_sent), which fills the parallel-syncs slot.
	h.tick(time.Millisecond)
	equalLines(t, h.lines(), []string{
		"-slave-reconf-sent-timeout " + slaveDesc(r2Addr, mAddr),
		"+slave-reconf-sent " + slaveDesc(r2Addr, mAddr),
	})
	h.tick(100 * time.Millisecond)
	equalLines(t, h.lines(), []string{
		"-slave-reconf-sent-timeout " + slaveDesc(r3Addr, mAddr),
		"+slave-reconf-sent " + slaveDesc(r3Addr, mAddr),
		"+failover-end " + master1,
		"+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379",
		"+slave " + slaveDesc(r2Addr, r1Addr), "+slave " + slaveDesc(r3Addr, r1Addr), "+slave " + slaveDesc(mAddr, r1Addr),
	})
}

func TestFailoverEndForTimeout(t *testing.T) {
	h := promote(t, 1)
	h.replica(r3Addr, Info{RunID: "r3", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 100}, true)
	h.tick(100 * time.Millisecond)
	h.lines()
	h.replica(r2Addr, Info{RunID: "r2", Role: RoleSlave, MasterHost: r1Addr.Host, MasterPort: 6379, Priority: 100}, false)
	h.replica(r3Addr, Info{RunID: "r3", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, Priority: 100, ReplOffset: 100}, false)
	h.lines()
	h.tick(61 * time.Second)
	equalLines(t, h.lines(), []string{
		"+failover-end-for-timeout " + master1,
		"+failover-end " + master1,
		"+slave-reconf-sent-be " + slaveDesc(r2Addr, mAddr), // reconf_inprog is not skipped (Redis)
		"+slave-reconf-sent-be " + slaveDesc(r3Addr, mAddr),
		"+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379",
		"+slave " + slaveDesc(r2Addr, r1Addr), "+slave " + slaveDesc(r3Addr, r1Addr), "+slave " + slaveDesc(mAddr, r1Addr),
	})
}

// convertsAfter: replica r1 of a healthy master starts reporting itself a master;
// it is converted back (+convert-to-slave) just after wait, not at wait. It returns
// the INFO r1 keeps reporting.
func convertsAfter(t *testing.T, h *harness, wait time.Duration) Info {
	t.Helper()
	h.healthy(nil)
	h.replica(r1Addr, Info{RunID: "r1", Role: RoleSlave, MasterHost: mAddr.Host, MasterPort: 6379, MasterLinkUp: true, Priority: 100, ReplOffset: 5}, false)
	h.lines()
	old := Info{RunID: "r1", Role: RoleMaster, Priority: 100}
	h.replica(r1Addr, old, false)
	equalLines(t, h.lines(), []string{"-role-change " + slaveDesc(r1Addr, mAddr) + " new reported role is master"})
	h.now = h.now.Add(wait)
	h.healthy(nil)
	h.replica(r1Addr, old, false)
	if len(h.lines()) != 0 {
		t.Fatalf("converted after exactly %v", wait)
	}
	h.now = h.now.Add(time.Millisecond)
	h.replica(r1Addr, old, false)
	equalLines(t, h.lines(), []string{"+convert-to-slave " + slaveDesc(r1Addr, mAddr)})
	return old
}

func TestConvertToSlave(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	old := convertsAfter(t, h, 8*time.Second)
	if got, want := h.takeCmds(), []Command{{Master: "mymaster", Target: r1Addr, Kind: ReplicaOf, ReplicaOf: mAddr}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("commands %+v, want %+v", got, want)
	}
	// Not while the master looks insane.
	h.masterDown()
	h.now = h.now.Add(time.Second)
	h.replica(r1Addr, old, false)
	if len(h.takeCmds()) != 0 {
		t.Fatal("converted while the master is down")
	}
	// Not in TILT.
	h.jump(3 * time.Second)
	h.healthy(nil)
	h.replica(r1Addr, old, false)
	if len(h.takeCmds()) != 0 {
		t.Fatal("converted in TILT")
	}
}

func TestFixSlaveConfig(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(nil)
	wrong := Info{RunID: "r1", Role: RoleSlave, MasterHost: "10.9.9.9", MasterPort: 6379, MasterLinkUp: true, Priority: 100, ReplOffset: 5}
	h.replica(r1Addr, wrong, false)
	h.now = h.now.Add(60 * time.Second)
	h.healthy(nil)
	h.replica(r1Addr, wrong, false)
	h.lines()
	if len(h.takeCmds()) != 0 {
		t.Fatal("fixed after exactly failover-timeout")
	}
	h.now = h.now.Add(time.Millisecond)
	h.replica(r1Addr, wrong, false)
	equalLines(t, h.lines(), []string{"+fix-slave-config " + slaveDesc(r1Addr, mAddr)})
}

func TestVoteRequestReply(t *testing.T) {
	h := newHarness(t, testMaster(2), "me")
	h.healthy(nil)
	req := func(ref uint64, addr Addr, epoch uint64, runID string) election.Reply {
		h.msgs = nil
		h.mustStep(VoteRequest{Ref: ref, From: "p1", MasterAddr: addr, Request: election.Request{Epoch: epoch, RunID: runID}})
		if len(h.msgs) != 1 || h.msgs[0].Ref != ref || h.msgs[0].Type != MsgVoteReply {
			t.Fatalf("want one reply with ref %d, got %+v", ref, h.msgs)
		}
		return h.msgs[0].Reply
	}
	if got := req(1, mAddr, 0, "*"); got != (election.Reply{Down: false, Leader: "*"}) {
		t.Errorf("healthy master, no vote asked: %+v", got)
	}
	h.masterDown()
	if got := req(2, mAddr, 3, "p1"); got != (election.Reply{Down: true, Leader: "p1", LeaderEpoch: 3}) {
		t.Errorf("vote asked: %+v", got)
	}
	if got := req(3, mAddr, 3, "p2"); got != (election.Reply{Down: true, Leader: "p1", LeaderEpoch: 3}) {
		t.Errorf("second asker, same epoch: %+v", got)
	}
	if got := req(4, Addr{"10.9.9.9", 1}, 9, "p2"); got != (election.Reply{Leader: "*"}) {
		t.Errorf("unknown address: %+v", got)
	}
	if h.m.CurrentEpoch() != 3 {
		t.Errorf("an unknown address changed the epoch to %d", h.m.CurrentEpoch())
	}
	h.jump(3 * time.Second)
	if got := req(5, mAddr, 4, "p2"); got != (election.Reply{Down: false, Leader: "p2", LeaderEpoch: 4}) {
		t.Errorf("in TILT: %+v (votes still given, down 0)", got)
	}
	// Having voted for p2, our own attempt waits 2 × failover-timeout.
	for i := 0; i < 31; i++ { // TILT ends after tilt-period (30 s)
		h.tick(time.Second)
	}
	h.masterDown()
	h.tick(100 * time.Millisecond)
	for _, l := range h.lines() {
		if strings.HasPrefix(l, "+try-failover") {
			t.Fatal("started a failover right after voting for a peer")
		}
	}
}

func TestHelloSwitch(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 1, r2Addr: 1})
	h.lines()
	h.mustStep(Hello{From: "p1", FromAddr: Addr{"10.0.1.1", 26379}, Master: "mymaster", CurrentEpoch: 4, MasterAddr: mAddr, ConfigEpoch: 0})
	equalLines(t, h.lines(), []string{"+new-epoch 4"})
	h.mustStep(Hello{From: "p1", FromAddr: Addr{"10.0.1.1", 26379}, Master: "mymaster", CurrentEpoch: 4, MasterAddr: r1Addr, ConfigEpoch: 4})
	equalLines(t, h.lines(), []string{
		"+config-update-from sentinel p1 10.0.1.1 26379 @ mymaster 10.0.0.1 6379",
		"+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379",
		"+slave " + slaveDesc(r2Addr, r1Addr), "+slave " + slaveDesc(mAddr, r1Addr),
	})
	if hs := h.persisted.Masters["mymaster"]; hs.Addr != r1Addr || hs.ConfigEpoch != 4 || h.persisted.CurrentEpoch != 4 {
		t.Fatalf("persisted %+v", h.persisted)
	}
	h.mustStep(Hello{From: "p2", Master: "mymaster", CurrentEpoch: 4, MasterAddr: r2Addr, ConfigEpoch: 4})
	if got := h.lines(); len(got) != 0 {
		t.Fatalf("an equal config epoch switched again: %q", got)
	}
}

// TestRemovedConfigNotAdopted: after SENTINEL REMOVE and SENTINEL MONITOR of the same
// name at another address, the removed master's configuration (its address and
// config epoch), however it comes back (a hello, a gossiped or retransmitted mesh
// message), is not adopted; a configuration newer than the removal is (issue 14 item 4).
func TestRemovedConfigNotAdopted(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.mustStep(Hello{From: "p1", Master: "mymaster", CurrentEpoch: 4, MasterAddr: r1Addr, ConfigEpoch: 4})
	if st, _ := h.m.Status("mymaster"); st.Addr != r1Addr {
		t.Fatalf("before the removal: master at %v, want %v (hello adopted)", st.Addr, r1Addr)
	}
	h.mustStep(Remove{Master: "mymaster"})
	h.mustStep(Monitor{Config: MasterConfig{Name: "mymaster", Addr: r2Addr, Quorum: 1}})
	h.lines()
	for _, stale := range []Hello{
		{From: "p1", Master: "mymaster", CurrentEpoch: 4, MasterAddr: r1Addr, ConfigEpoch: 4},
		{From: "p2", Master: "mymaster", MasterAddr: r1Addr, ConfigEpoch: 3},
	} {
		h.mustStep(stale)
		if st, _ := h.m.Status("mymaster"); st.Addr != r2Addr || st.ConfigEpoch != 0 {
			t.Fatalf("after %+v: master at %v epoch %d, want the new monitor's %v epoch 0", stale, st.Addr, st.ConfigEpoch, r2Addr)
		}
	}
	if got := h.lines(); len(got) != 0 {
		t.Fatalf("stale configurations produced events %q, want none", got)
	}
	h.mustStep(Hello{From: "p1", FromAddr: Addr{"10.0.1.1", 26379}, Master: "mymaster", CurrentEpoch: 5, MasterAddr: mAddr, ConfigEpoch: 5})
	if st, _ := h.m.Status("mymaster"); st.Addr != mAddr || st.ConfigEpoch != 5 {
		t.Fatalf("a failover after the removal: master at %v epoch %d, want %v epoch 5", st.Addr, st.ConfigEpoch, mAddr)
	}
}

func TestReadyAdvance(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(nil)
	if h.m.HasReady() {
		t.Fatal("HasReady after Advance")
	}
	h.m.Step(h.now, Monitor{Config: MasterConfig{Name: "other", Addr: Addr{"10.1.0.1", 6379}, Quorum: 1}})
	rd := h.m.Ready()
	if rd.HardState == nil || len(rd.Events) != 1 || rd.Events[0].Message() != "master other 10.1.0.1 6379 quorum 1" {
		t.Fatalf("Ready after Monitor = %+v", rd)
	}
	h.m.Step(h.now, Remove{Master: "other"})
	h.m.Advance()
	rd = h.m.Ready()
	if len(rd.Events) != 1 || rd.Events[0].Name != EventUnmonitor || rd.HardState == nil {
		t.Fatalf("output produced between Ready and Advance was lost: %+v", rd)
	}
	h.m.Advance()
	if err := h.m.Step(h.now, Monitor{Config: MasterConfig{Name: "x", Addr: mAddr, Quorum: 1}}); !errors.Is(err, ErrDuplicateMaster) {
		t.Fatalf("duplicate address: %v", err)
	}
	if err := h.m.Step(h.now, Monitor{Config: MasterConfig{Name: "y", Addr: mAddr}}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("quorum 0: %v", err)
	}
}

func TestResumeFromHardState(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.healthy(map[Addr]int64{r1Addr: 1})
	h.mustStep(VoteRequest{From: "p1", MasterAddr: mAddr, Request: election.Request{Epoch: 7, RunID: "p1"}})
	hs := *h.persisted
	m2, err := New(Config{MyID: "me", Rand: h.m.rand, Masters: []MasterConfig{testMaster(1)}}, hs)
	if err != nil {
		t.Fatal(err)
	}
	if m2.CurrentEpoch() != 7 || !reflect.DeepEqual(m2.HardState(), hs) {
		t.Fatalf("resumed state %+v, want %+v", m2.HardState(), hs)
	}
	m2.Step(h.now, VoteRequest{From: "p2", MasterAddr: mAddr, Request: election.Request{Epoch: 7, RunID: "p2"}})
	if rd := m2.Ready(); rd.Messages[0].Reply.Leader != "p1" {
		t.Fatalf("restarted sentinel voted twice in epoch 7: %+v", rd.Messages[0].Reply)
	}
}

func TestInstanceString(t *testing.T) {
	tests := []struct {
		in   Instance
		want string
	}{
		{Instance{Kind: KindMaster, Name: "mymaster", Addr: Addr{"127.0.0.1", 6379}}, "master mymaster 127.0.0.1 6379"},
		{Instance{Kind: KindReplica, Name: "127.0.0.1:6380", Addr: Addr{"127.0.0.1", 6380}, MasterName: "mymaster", MasterAddr: Addr{"127.0.0.1", 6379}},
			"slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"},
		{Instance{Kind: KindReplica, Name: Addr{"::1", 6380}.String(), Addr: Addr{"::1", 6380}, MasterName: "m", MasterAddr: Addr{"::1", 6379}},
			"slave [::1]:6380 ::1 6380 @ m ::1 6379"},
		{Instance{Kind: KindSentinel, Name: "abc", Addr: Addr{"10.0.0.9", 26379}, MasterName: "m", MasterAddr: Addr{"10.0.0.1", 6379}},
			"sentinel abc 10.0.0.9 26379 @ m 10.0.0.1 6379"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPeersStatus(t *testing.T) {
	h := newHarness(t, testMaster(2), "me")
	h.mustStep(Sentinels{Master: "mymaster", Peers: []Peer{{ID: "p2"}, {ID: "p1", Connected: true}, {ID: "me", Connected: true}}})
	h.mustStep(VoteReply{From: "p1", Master: "mymaster", Reply: election.Reply{Down: true, Leader: "p1", LeaderEpoch: 4}})
	want := []PeerStatus{
		{ID: "p1", Connected: true, Down: true, Vote: election.Vote{Leader: "p1", Epoch: 4}, LastReply: h.now},
		{ID: "p2"},
	}
	if got := h.m.Peers("mymaster"); !reflect.DeepEqual(got, want) {
		t.Fatalf("Peers = %+v, want %+v", got, want)
	}
	if got := h.m.PeersDown("mymaster"); got != 1 {
		t.Fatalf("PeersDown = %d, want 1", got)
	}
	h.tick(5*time.Second + time.Millisecond)
	if got := h.m.Peers("mymaster")[0]; got.Down || got.Vote.Leader != "" {
		t.Fatalf("stale reply not forgotten at Tick: %+v", got)
	}
}

// TestSetTimers: SENTINEL DEBUG's timers reach the machine. With publish-period
// 500 ms, a replica reporting itself a master is converted after 2 s (4 × the
// publish period) instead of 8 s.
func TestSetTimers(t *testing.T) {
	h := newHarness(t, testMaster(1), "me")
	h.mustStep(SetTimers{Timers: Timers{PublishPeriod: 500 * time.Millisecond}})
	convertsAfter(t, h, 2*time.Second)
}
