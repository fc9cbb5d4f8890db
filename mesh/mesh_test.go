package mesh

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"empty name", Config{}, ErrBadName},
		{"short name", Config{Name: "abc"}, ErrBadName},
		{"upper-case hex", Config{Name: strings.Repeat("A", 40)}, ErrBadName},
		{"not hex", Config{Name: strings.Repeat("g", 40)}, ErrBadName},
		{"port", Config{Name: testName(1), Meta: Meta{Port: 70000}}, ErrBadMeta},
		{"meta too large", Config{Name: testName(1), Meta: Meta{IP: strings.Repeat("x", 600)}}, ErrBadMeta},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.BindAddr = "127.0.0.1"
			m, err := New(tc.cfg)
			if err == nil {
				m.Shutdown()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("New(%+v) error = %v, want %v", tc.cfg, err, tc.want)
			}
		})
	}
}

func TestDeriveKey(t *testing.T) {
	for _, n := range []int{1, 5, 16, 17, 24, 32, 33} {
		secret := []byte(strings.Repeat("k", n))
		key := deriveKey(secret)
		switch n {
		case 16, 24, 32:
			if string(key) != string(secret) {
				t.Errorf("deriveKey(%d bytes) = %x, want the secret itself", n, key)
			}
		default:
			if len(key) != 32 {
				t.Errorf("deriveKey(%d bytes) has %d bytes, want 32 (SHA-256)", n, len(key))
			}
		}
	}
}

// TestMembersAndMeta: three meshes see each other with their published identity, and a
// meta update reaches the others as a MemberUpdate.
func TestMembersAndMeta(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	for _, nd := range nodes {
		for i, mem := range nd.Members() {
			want := Meta{IP: "127.0.0.1", Port: 26379 + i, Epoch: 0}
			if mem.Name != testName(i) || mem.Meta != want {
				t.Fatalf("%s sees member %d = %+v, want name %s meta %+v", nd.name, i, mem, testName(i), want)
			}
		}
	}
	if err := nodes[1].UpdateMeta(Meta{IP: "127.0.0.1", Port: 26380, Epoch: 5}, waitTotal); err != nil {
		t.Fatalf("UpdateMeta: %v", err)
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "meta update seen by all", func() bool {
		for _, nd := range nodes {
			if nd.Members()[1].Meta.Epoch != 5 {
				return false
			}
		}
		return slices.Contains(nodes[0].events(testName(1)), MemberUpdate) &&
			slices.Contains(nodes[2].events(testName(1)), MemberUpdate)
	})
	if got := nodes[0].events(testName(2)); !slices.Equal(got, []EventType{MemberJoin}) {
		t.Fatalf("events about node 2 = %v, want [join]", got)
	}
}

// TestOpinionsRelayed: the origin reaches only one member directly; the others get its
// opinions because receivers relay (memberlist does not).
func TestOpinionsRelayed(t *testing.T) {
	nw := &network{}
	nodes := newCluster(t, 5, func(c *Config) { c.transport = newCutTransport(t, nw) })
	origin := nodes[0]
	for _, nd := range nodes[2:] {
		nw.cutLink(origin.LocalAddr(), nd.LocalAddr())
	}
	op := Opinion{Master: "mymaster", Addr: "127.0.0.1:6379", Down: true, Time: 1}
	if err := origin.Broadcast(op); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "the opinion relayed to every member", func() bool {
		for _, nd := range nodes[1:] {
			if lastOpinions(nd)[opinionKey{origin.name, op.Master, op.Addr}] != op {
				return false
			}
		}
		return true
	})
}

// lastOpinions maps (origin, master, addr) to the last opinion a node delivered.
func lastOpinions(nd *node) map[opinionKey]Opinion {
	out := make(map[opinionKey]Opinion)
	for _, msg := range nd.received() {
		if op, ok := msg.Payload.(Opinion); ok {
			out[opinionKey{msg.From, op.Master, op.Addr}] = op
		}
	}
	return out
}

// TestOpinionsReachEveryMember: with five members every opinion reaches every other
// member (memberlist alone reached 2 of 4), and the newest per (origin, instance) wins.
func TestOpinionsReachEveryMember(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			nodes := newCluster(t, n, nil)
			want := make(map[opinionKey]Opinion)
			for i, nd := range nodes {
				for j := range 3 {
					op := Opinion{Master: "mymaster", Addr: fmt.Sprintf("127.0.0.1:%d", 6379+j), Down: j == i%3, Time: int64(1000*i + j)}
					if err := nd.Broadcast(op); err != nil {
						t.Fatalf("Broadcast: %v", err)
					}
					want[opinionKey{nd.name, op.Master, op.Addr}] = op
				}
			}
			// A newer opinion of node 0 about the master replaces its first one.
			newer := Opinion{Master: "mymaster", Addr: "127.0.0.1:6379", Down: false, Time: 99999}
			if err := nodes[0].Broadcast(newer); err != nil {
				t.Fatalf("Broadcast: %v", err)
			}
			want[opinionKey{nodes[0].name, newer.Master, newer.Addr}] = newer
			testutil.CheckFor(t, waitTotal, waitEvery, "every opinion at every member", func() bool {
				for _, nd := range nodes {
					got := lastOpinions(nd)
					for k, op := range want {
						if k.origin != nd.name && got[k] != op {
							return false
						}
					}
				}
				return true
			})
			for _, nd := range nodes {
				if got := lastOpinions(nd); len(got) != len(want)-3 {
					t.Fatalf("%s delivered opinions from %d slots, want %d (its own excluded)", nd.name, len(got), len(want)-3)
				}
			}
		})
	}
}

// configEpochs lists the epochs of the MasterConfigs a node delivered, in order.
func configEpochs(nd *node) []uint64 {
	var out []uint64
	for _, msg := range nd.received() {
		if c, ok := msg.Payload.(MasterConfig); ok {
			out = append(out, c.Epoch)
		}
	}
	return out
}

func waitConfig(t *testing.T, nodes []*node, want MasterConfig) {
	t.Helper()
	testutil.CheckFor(t, waitTotal, waitEvery, fmt.Sprintf("every node to know %+v", want), func() bool {
		for _, nd := range nodes {
			if got, _ := nd.KnownConfig(want.Master); got != want {
				return false
			}
		}
		return true
	})
}

// TestNewestConfigEpochWins: a newer epoch replaces an older one everywhere; an older one
// is refused locally and never delivered after a newer one.
func TestNewestConfigEpochWins(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	first := MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6379", Epoch: 1}
	if err := nodes[0].Broadcast(first); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	waitConfig(t, nodes, first)
	second := MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6380", Epoch: 2}
	if err := nodes[1].Broadcast(second); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	waitConfig(t, nodes, second)
	if err := nodes[2].Broadcast(first); !errors.Is(err, ErrStaleConfig) {
		t.Fatalf("Broadcast(older epoch) error = %v, want %v", err, ErrStaleConfig)
	}
	if err := nodes[2].Broadcast(second); err != nil {
		t.Fatalf("Broadcast(known config) error = %v, want nil", err)
	}
	sameEpoch := MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6381", Epoch: 2}
	if err := nodes[2].Broadcast(sameEpoch); !errors.Is(err, ErrStaleConfig) {
		t.Fatalf("Broadcast(same epoch, other address) error = %v, want %v", err, ErrStaleConfig)
	}
	for _, nd := range nodes {
		if got := configEpochs(nd); !strictlyIncreasing(got) {
			t.Fatalf("%s delivered config epochs %v, want strictly increasing", nd.name, got)
		}
	}
}

func strictlyIncreasing(v []uint64) bool {
	for i := 1; i < len(v); i++ {
		if v[i] <= v[i-1] {
			return false
		}
	}
	return true
}

// TestPartitionedNodeCatchesUp: a node cut off while a newer config spreads misses it
// (the gossip queues drain), and gets it from push/pull when it rejoins; its stale
// config does not win.
func TestPartitionedNodeCatchesUp(t *testing.T) {
	nw := &network{}
	nodes := newCluster(t, 3, func(c *Config) { c.transport = newCutTransport(t, nw) })
	old := MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6379", Epoch: 1}
	if err := nodes[0].Broadcast(old); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	waitConfig(t, nodes, old)

	cut := nodes[2]
	nw.isolate(cut.LocalAddr(), true)
	testutil.CheckFor(t, waitTotal, waitEvery, "the majority to declare the cut node failed", func() bool {
		return slices.Contains(nodes[0].events(cut.name), MemberFail) && len(nodes[1].Members()) == 2
	})
	newer := MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6380", Epoch: 2}
	if err := nodes[1].Broadcast(newer); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	waitConfig(t, nodes[:2], newer)
	testutil.CheckFor(t, waitTotal, waitEvery, "gossip queues to drain", func() bool {
		for _, nd := range nodes {
			if nd.queue.NumQueued() != 0 {
				return false
			}
		}
		return true
	})
	if got, _ := cut.KnownConfig("mymaster"); got != old {
		t.Fatalf("cut node knows %+v during the partition, want %+v", got, old)
	}

	nw.isolate(cut.LocalAddr(), false)
	if _, err := cut.Join([]string{nodes[0].LocalAddr()}); err != nil {
		t.Fatalf("rejoin: %v", err)
	}
	waitConfig(t, nodes, newer)
	waitMembers(t, nodes, 3)
	for _, nd := range nodes {
		if got := configEpochs(nd); !strictlyIncreasing(got) {
			t.Fatalf("%s delivered config epochs %v, want strictly increasing", nd.name, got)
		}
	}
	if got := configEpochs(cut); !slices.Contains(got, 2) {
		t.Fatalf("rejoined node delivered epochs %v, want 2 among them", got)
	}
}

// TestLateJoinerGetsState: a node joining after the gossip is over gets the configs and
// opinions from push/pull.
func TestLateJoinerGetsState(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	cfg := MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6380", Epoch: 4}
	op := Opinion{Master: "mymaster", Addr: "127.0.0.1:6379", Down: true, Time: 42}
	if err := nodes[0].Broadcast(cfg); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	if err := nodes[1].Broadcast(op); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	waitConfig(t, nodes, cfg)
	testutil.CheckFor(t, waitTotal, waitEvery, "gossip queues to drain", func() bool {
		return nodes[0].queue.NumQueued() == 0 && nodes[1].queue.NumQueued() == 0
	})
	late := newNode(t, 2, nil)
	if _, err := late.Join([]string{nodes[0].LocalAddr()}); err != nil {
		t.Fatalf("Join: %v", err)
	}
	waitConfig(t, []*node{late}, cfg)
	testutil.CheckFor(t, waitTotal, waitEvery, "late joiner to get the opinion", func() bool {
		return lastOpinions(late)[opinionKey{nodes[1].name, op.Master, op.Addr}] == op
	})
}

// TestVoteRoundTrip: a vote request and its reply go directly between two members.
func TestVoteRoundTrip(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	a, b := nodes[0], nodes[2]
	req := VoteRequest{Master: "mymaster", Epoch: 7, Candidate: a.name}
	if err := a.Send(b.name, req); err != nil {
		t.Fatalf("Send(request): %v", err)
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "vote request delivered", func() bool {
		return slices.Contains(b.received(), Message{From: a.name, Payload: req})
	})
	reply := VoteReply{Master: "mymaster", LeaderID: a.name, LeaderEpoch: 7}
	if err := b.Send(a.name, reply); err != nil {
		t.Fatalf("Send(reply): %v", err)
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "vote reply delivered", func() bool {
		return slices.Contains(a.received(), Message{From: b.name, Payload: reply})
	})
	for _, nd := range nodes {
		for _, msg := range nd.received() {
			if _, ok := msg.Payload.(VoteRequest); ok && nd != b {
				t.Fatalf("%s got the vote request too: votes are not gossiped", nd.name)
			}
		}
	}
	if err := a.Send(testName(40), req); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("Send(unknown) error = %v, want %v", err, ErrUnknownMember)
	}
	if err := a.Send(b.name, Opinion{}); !errors.Is(err, ErrWrongPayload) {
		t.Fatalf("Send(Opinion) error = %v, want %v", err, ErrWrongPayload)
	}
	if err := a.Broadcast(req); !errors.Is(err, ErrWrongPayload) {
		t.Fatalf("Broadcast(VoteRequest) error = %v, want %v", err, ErrWrongPayload)
	}
}

// TestWrongKeyKeptOut: with a secret set, a node with another key or none cannot join,
// the members do not count it, and the refusal is logged.
func TestWrongKeyKeptOut(t *testing.T) {
	withSecret := func(s string) func(*Config) {
		return func(c *Config) { c.Secret = []byte(s) }
	}
	nodes := newCluster(t, 2, withSecret("correct horse battery staple"))
	tests := []struct {
		name    string
		secret  string
		wantErr string
	}{
		{"wrong key", "Tr0ub4dor&3", "no installed keys could decrypt the message"},
		{"wrong 16-byte key", "0123456789abcdef", "no installed keys could decrypt the message"},
		{"no key", "", "encryption is not configured"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			intruder := newNode(t, 10+i, withSecret(tc.secret))
			n, err := intruder.Join([]string{nodes[0].LocalAddr()})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Join = %d, %v; want an error containing %q", n, err, tc.wantErr)
			}
			if !intruder.log.contains(`"level":"error"`) {
				t.Fatalf("intruder did not log the failed join")
			}
			if got := len(intruder.Members()); got != 1 {
				t.Fatalf("intruder sees %d members, want 1", got)
			}
			for _, nd := range nodes {
				if got := len(nd.Members()); got != 2 {
					t.Fatalf("%s sees %d members, want 2", nd.name, got)
				}
			}
		})
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "the seed to log the refused connection", func() bool {
		return nodes[0].log.contains("no installed keys could decrypt the message") &&
			nodes[0].log.contains("encryption is configured but remote state is not encrypted")
	})
}

// TestDuplicateNameRefused: a node that takes the name of a live member cannot join,
// through that member or another one, and Join reports ErrDuplicateName.
func TestDuplicateNameRefused(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	for i, seed := range nodes {
		t.Run(fmt.Sprintf("via node %d", i), func(t *testing.T) {
			dup := newNode(t, 0, nil) // the name of nodes[0]
			n, err := dup.Join([]string{seed.LocalAddr()})
			if !errors.Is(err, ErrDuplicateName) {
				t.Fatalf("Join = %d, %v; want %v", n, err, ErrDuplicateName)
			}
			if got := len(dup.Members()); got != 1 {
				t.Fatalf("duplicate sees %d members, want 1", got)
			}
			for _, nd := range nodes {
				if got := nd.ml.Load().NumMembers(); got != 2 {
					t.Fatalf("%s has NumMembers %d, want 2", nd.name, got)
				}
			}
			testutil.CheckFor(t, waitTotal, waitEvery, "the seed to log the duplicate name", func() bool {
				return seed.log.contains("duplicate member name")
			})
		})
	}
}

// TestLeaveVersusCrash: the others report a graceful Leave as MemberLeave and a
// Shutdown without Leave as MemberFail.
func TestLeaveVersusCrash(t *testing.T) {
	nodes := newCluster(t, 4, nil)
	leaver, crasher := nodes[1], nodes[2]
	if err := leaver.Leave(waitTotal); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if err := leaver.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := crasher.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	survivors := []*node{nodes[0], nodes[3]}
	testutil.CheckFor(t, waitTotal, waitEvery, "departures reported", func() bool {
		for _, nd := range survivors {
			if !departed(nd.events(leaver.name)) || !departed(nd.events(crasher.name)) {
				return false
			}
		}
		return true
	})
	// A loaded machine may add a false suspicion (fail, join) earlier; the last event
	// is what the departure was reported as.
	for _, nd := range survivors {
		if got := nd.events(leaver.name); got[len(got)-1] != MemberLeave {
			t.Fatalf("%s: events of the leaver = %v, want the last one leave", nd.name, got)
		}
		if got := nd.events(crasher.name); got[len(got)-1] != MemberFail {
			t.Fatalf("%s: events of the crashed node = %v, want the last one fail", nd.name, got)
		}
		want := map[string]int{StateAlive: 2, StateLeaving: 0, StateFailed: 1, StateLeft: 1}
		if got := nd.MemberStates(); !maps.Equal(got, want) {
			t.Errorf("%s: MemberStates after one leave and one crash: got %v, want %v", nd.name, got, want)
		}
	}
	if err := leaver.Leave(time.Second); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Leave after Shutdown error = %v, want %v", err, ErrShutdown)
	}
}

// departed reports whether the last event is a departure.
func departed(evs []EventType) bool {
	return len(evs) > 0 && (evs[len(evs)-1] == MemberLeave || evs[len(evs)-1] == MemberFail)
}

// TestIncomingFullDrops: a consumer that does not read makes the mesh drop and count,
// never block memberlist.
func TestIncomingFullDrops(t *testing.T) {
	a := newNode(t, 0, nil)
	b := newSilentNode(t, 1, func(c *Config) { c.IncomingBuffer = 1 })
	if _, err := a.Join([]string{b.LocalAddr()}); err != nil {
		t.Fatalf("Join: %v", err)
	}
	waitMembers(t, []*node{a, b}, 2)
	for i := range 5 {
		if err := a.Send(b.name, VoteRequest{Master: "m", Epoch: uint64(i)}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	testutil.CheckFor(t, waitTotal, waitEvery, "drops counted", func() bool {
		return b.Dropped() >= 4
	})
	if !b.log.contains("incoming queue full") {
		t.Fatalf("drop not logged")
	}
}
