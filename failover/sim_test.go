package failover_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/election"
	"github.com/vigil-db/vigil/failover"
)

// The simulation: N sentinels (each a failover.Machine driven like the shell
// drives it), three data servers, an in-memory network with drops, delays and
// partitions, crashes and restarts of sentinels from their persisted state,
// and a fake clock. The master is killed at 5 s; chaos runs until 40 s; then
// the network heals and every sentinel comes back; the old master returns at
// 100 s, and the run continues until 180 s.
//
// Timing matters for liveness under Redis's rules: a replica whose link has
// been down longer than (now − master SDOWN since) + 10 × down-after is never
// promoted, so a sentinel restarted late in a long outage may refuse every
// replica. down-after 5 s keeps the 40 s of chaos inside that window.

const (
	simTick     = 100 * time.Millisecond
	simKill     = 5 * time.Second
	simHeal     = 40 * time.Second
	simReturn   = 100 * time.Second
	simEnd      = 180 * time.Second
	simDownAft  = 5 * time.Second
	simFailover = 6 * time.Second
)

type simServer struct {
	addr         failover.Addr
	runID        string
	alive        bool
	master       bool
	upstream     failover.Addr
	offset       int64
	linkUp       bool
	everLinked   bool // since the last REPLICAOF (else INFO says -1)
	linkDownFrom time.Time
	group        int
}

type simSentinel struct {
	id       string
	idx      int
	m        *failover.Machine
	store    failover.HardState // what survived the last fsync
	alive    bool
	restart  time.Time
	lastOK   map[failover.Addr]time.Time
	group    int
	rnd      *rand.Rand
	nextInfo time.Time
	skew     time.Duration // the sentinel's clock minus the world's (clock jumps)
}

// clock is the sentinel's own clock at the world's time now.
func (sn *simSentinel) clock(now time.Time) time.Time { return now.Add(sn.skew) }

type envelope struct {
	at       time.Time
	seq      uint64
	from, to string
	msg      any
}

type helloMsg struct{ h failover.Hello }

type opinionMsg struct{ o failover.Opinion }

type sim struct {
	t        *testing.T
	seed     uint64
	rnd      *rand.Rand
	now      time.Time
	start    time.Time
	quorum   int
	sents    []*simSentinel
	servers  []*simServer
	queue    []envelope
	seq      uint64
	drop     float64
	maxDelay time.Duration

	// invariants
	votes    map[string]string // "sentinel/epoch" -> leader
	leaders  map[uint64]string // epoch -> elected sentinel
	promoted map[uint64]string // epoch -> "sentinel promoted addr"
	trace    []string
	counts   map[string]int // events seen, by name (coverage of the run)
}

func newSim(t *testing.T, n int, seed uint64) *sim {
	s := &sim{
		t: t, seed: seed, rnd: rand.New(rand.NewPCG(seed, 99)),
		now: time.Unix(1_700_000_000, 0), votes: map[string]string{},
		leaders: map[uint64]string{}, promoted: map[uint64]string{}, counts: map[string]int{},
	}
	s.start = s.now
	s.quorum = 1 + s.rnd.IntN(n)
	s.drop = []float64{0, 0.05, 0.2, 0.4}[s.rnd.IntN(4)]
	s.maxDelay = time.Duration(s.rnd.IntN(5)) * 100 * time.Millisecond
	for i := 0; i < 3; i++ {
		srv := &simServer{addr: failover.Addr{Host: "10.0.0." + strconv.Itoa(i+1), Port: 6379},
			runID: fmt.Sprintf("run%d", i), alive: true, master: i == 0, offset: 1000, linkUp: i != 0, everLinked: i != 0}
		if i != 0 {
			srv.upstream = failover.Addr{Host: "10.0.0.1", Port: 6379}
		}
		s.servers = append(s.servers, srv)
	}
	for i := 0; i < n; i++ {
		sn := &simSentinel{id: fmt.Sprintf("sentinel-%d", i), idx: i, alive: true,
			rnd: rand.New(rand.NewPCG(seed, uint64(i)))}
		s.boot(sn)
		s.sents = append(s.sents, sn)
	}
	return s
}

func (s *sim) masterConfig() failover.MasterConfig {
	return failover.MasterConfig{Name: "mymaster", Addr: failover.Addr{Host: "10.0.0.1", Port: 6379},
		Quorum: s.quorum, DownAfter: simDownAft, FailoverTimeout: simFailover, ParallelSyncs: 1}
}

// boot starts (or restarts) a sentinel from its persisted state.
func (s *sim) boot(sn *simSentinel) {
	m, err := failover.New(failover.Config{MyID: sn.id, Rand: sn.rnd, Masters: []failover.MasterConfig{s.masterConfig()}}, sn.store)
	if err != nil {
		s.t.Fatal(err)
	}
	sn.m, sn.alive, sn.lastOK = m, true, map[failover.Addr]time.Time{}
	for _, srv := range s.servers {
		sn.lastOK[srv.addr] = sn.clock(s.now)
	}
	s.handleReady(sn, false)
}

func (s *sim) fail(format string, args ...any) {
	s.t.Helper()
	tail := s.trace
	if len(tail) > 60 {
		tail = tail[len(tail)-60:]
	}
	s.t.Fatalf("seed %d (N=%d quorum=%d drop=%.2f delay=%v): %s\nlast trace:\n%s", s.seed, len(s.sents), s.quorum,
		s.drop, s.maxDelay, fmt.Sprintf(format, args...), strings.Join(tail, "\n"))
}

func (s *sim) logf(format string, args ...any) {
	s.trace = append(s.trace, fmt.Sprintf("%6.1fs ", s.now.Sub(s.start).Seconds())+fmt.Sprintf(format, args...))
}

func (s *sim) server(a failover.Addr) *simServer {
	for _, srv := range s.servers {
		if srv.addr == a {
			return srv
		}
	}
	return nil
}

func (s *sim) sentinel(id string) *simSentinel {
	for _, sn := range s.sents {
		if sn.id == id {
			return sn
		}
	}
	return nil
}

// send queues a message; partitions and drops are applied at delivery.
func (s *sim) send(from, to string, msg any) {
	s.seq++
	d := time.Duration(0)
	if s.maxDelay > 0 {
		d = time.Duration(s.rnd.Int64N(int64(s.maxDelay)))
	}
	s.queue = append(s.queue, envelope{at: s.now.Add(d), seq: s.seq, from: from, to: to, msg: msg})
}

// handleReady is the shell's loop body: persist, check the ordering, then
// send, issue, publish. With crashMidway the sentinel dies right after the
// fsync, before anything of the batch left.
func (s *sim) handleReady(sn *simSentinel, crashMidway bool) {
	if !sn.m.HasReady() {
		return
	}
	rd := sn.m.Ready()
	if rd.HardState != nil {
		sn.store = copyHS(*rd.HardState)
	}
	st, _ := sn.m.Status("mymaster")
	for _, e := range rd.Events {
		s.checkEvent(sn, e, st)
	}
	if crashMidway {
		s.logf("%s crashes after fsync", sn.id)
		sn.alive = false
		sn.restart = s.now.Add(time.Duration(1+s.rnd.IntN(4)) * time.Second)
		return
	}
	for _, msg := range rd.Messages {
		if msg.Type == failover.MsgVoteReply && msg.Reply.Leader != election.NoRunID {
			v := sn.store.Masters[msg.Master].Vote
			if v.Epoch < msg.Reply.LeaderEpoch || (v.Epoch == msg.Reply.LeaderEpoch && v.Leader != msg.Reply.Leader) {
				s.fail("%s sends vote %+v before persisting it (persisted %+v)", sn.id, msg.Reply, v)
			}
		}
		s.send(sn.id, msg.To, msg)
	}
	for _, c := range rd.Commands {
		s.command(sn, c, st)
	}
	sn.m.Advance()
}

func (s *sim) checkEvent(sn *simSentinel, e failover.Event, st failover.Status) {
	s.logf("%s %s %s", sn.id, e.Name, e.Message())
	s.counts[e.Name]++
	switch e.Name {
	case failover.EventODown, failover.EventTryFailover:
		// (unless the master switched later in the same batch)
		if e.Instance.Addr == st.Addr && (!st.SDown || !st.ODown) {
			s.fail("%s %s with sdown %v odown %v", sn.id, e.Name, st.SDown, st.ODown)
		}
		if tilt, _ := sn.m.Tilt(); tilt {
			s.fail("%s %s in TILT", sn.id, e.Name)
		}
	case failover.EventVoteForLeader:
		f := strings.Fields(e.Args)
		key := sn.id + "/" + f[1]
		if prev, ok := s.votes[key]; ok && prev != f[0] {
			s.fail("%s voted twice in epoch %s: %s then %s", sn.id, f[1], prev, f[0])
		}
		s.votes[key] = f[0]
	case failover.EventAbortNoGoodSlave:
		for _, srv := range s.servers {
			s.logf("  server %v alive=%v master=%v upstream=%v link=%v ever=%v offset=%d",
				srv.addr, srv.alive, srv.master, srv.upstream, srv.linkUp, srv.everLinked, srv.offset)
		}
	case failover.EventElectedLeader:
		if prev, ok := s.leaders[st.FailoverEpoch]; ok && prev != sn.id {
			s.fail("two leaders in epoch %d: %s and %s", st.FailoverEpoch, prev, sn.id)
		}
		s.leaders[st.FailoverEpoch] = sn.id
	}
}

func (s *sim) command(sn *simSentinel, c failover.Command, st failover.Status) {
	if c.Kind == failover.PromoteNoOne {
		if st.FailoverEpoch > sn.store.CurrentEpoch {
			s.fail("%s promotes in epoch %d, persisted epoch %d", sn.id, st.FailoverEpoch, sn.store.CurrentEpoch)
		}
		who := sn.id + " " + c.Target.String()
		if prev, ok := s.promoted[st.FailoverEpoch]; ok && prev != who {
			s.fail("two promotions in epoch %d: %s and %s", st.FailoverEpoch, prev, who)
		}
		s.promoted[st.FailoverEpoch] = who
	}
	srv := s.server(c.Target)
	if srv == nil || !srv.alive || !s.reach(sn.group, srv.group) || s.rnd.Float64() < s.drop {
		return
	}
	s.logf("%s -> %s %v %v", sn.id, c.Target, c.Kind, c.ReplicaOf)
	if c.Kind == failover.PromoteNoOne {
		srv.master, srv.upstream = true, failover.Addr{}
	} else {
		srv.master, srv.upstream, srv.linkUp, srv.everLinked = false, c.ReplicaOf, false, false
	}
}

func copyHS(hs failover.HardState) failover.HardState {
	out := failover.HardState{CurrentEpoch: hs.CurrentEpoch, Masters: map[string]failover.MasterHardState{}}
	for k, v := range hs.Masters {
		v.Replicas = append([]failover.Addr(nil), v.Replicas...)
		out.Masters[k] = v
	}
	return out
}

func (s *sim) reach(a, b int) bool { return a == b }

func (s *sim) deliver() {
	sort.Slice(s.queue, func(i, j int) bool {
		if !s.queue[i].at.Equal(s.queue[j].at) {
			return s.queue[i].at.Before(s.queue[j].at)
		}
		return s.queue[i].seq < s.queue[j].seq
	})
	var later []envelope
	due := s.queue
	for i, e := range s.queue {
		if e.at.After(s.now) {
			due, later = s.queue[:i], append(later, s.queue[i:]...)
			break
		}
	}
	s.queue = later
	for _, e := range due {
		from, to := s.sentinel(e.from), s.sentinel(e.to)
		if to == nil || !to.alive || !from.alive || !s.reach(from.group, to.group) || s.rnd.Float64() < s.drop {
			continue
		}
		var err error
		now := to.clock(s.now)
		switch msg := e.msg.(type) {
		case failover.Message:
			if msg.Type == failover.MsgVoteRequest {
				err = to.m.Step(now, failover.VoteRequest{Ref: e.seq, From: from.id, MasterAddr: msg.MasterAddr, Request: msg.Request})
			} else {
				err = to.m.Step(now, failover.VoteReply{From: from.id, Master: msg.Master, Reply: msg.Reply})
			}
		case helloMsg:
			err = to.m.Step(now, msg.h)
		case opinionMsg:
			err = to.m.Step(now, msg.o)
		}
		if err != nil {
			s.fail("step: %v", err)
		}
		s.handleReady(to, false)
	}
}

// world advances the data servers: masters take writes, replicas follow.
func (s *sim) world() {
	for _, srv := range s.servers {
		if srv.alive && srv.master {
			srv.offset += 10
		}
	}
	for _, srv := range s.servers {
		if !srv.alive || srv.master {
			continue
		}
		up := s.server(srv.upstream)
		ok := up != nil && up.alive && up != srv
		if ok && !srv.linkUp {
			srv.linkUp, srv.everLinked = true, true
		} else if !ok && srv.linkUp {
			srv.linkUp, srv.linkDownFrom = false, s.now
		}
		if srv.linkUp {
			srv.offset = up.offset
		}
	}
}

// observe is the shell's monitoring: PING every tick, INFO every second;
// the machine decides SDOWN and ODOWN from them and from its peers' replies
// and gossiped opinions.
func (s *sim) observe(sn *simSentinel) {
	now := sn.clock(s.now)
	var peers []failover.Peer
	for _, p := range s.sents {
		if p != sn {
			peers = append(peers, failover.Peer{ID: p.id, Connected: p.alive && s.reach(sn.group, p.group),
				Addr: failover.Addr{Host: "10.0.1." + strconv.Itoa(p.idx), Port: 26379}})
		}
	}
	if err := sn.m.Step(now, failover.Sentinels{Master: "mymaster", Peers: peers}); err != nil {
		s.fail("%v", err)
	}
	withInfo := !now.Before(sn.nextInfo)
	if withInfo {
		sn.nextInfo = now.Add(time.Second)
	}
	for _, srv := range s.servers {
		up := srv.alive && s.reach(sn.group, srv.group)
		if up {
			sn.lastOK[srv.addr] = now
		}
		o := failover.Observation{Master: "mymaster", Addr: srv.addr, Disconnected: !up, LastOKPing: sn.lastOK[srv.addr]}
		if up && withInfo {
			o.Info = srv.info(s.now)
		}
		if err := sn.m.Step(now, o); err != nil {
			s.fail("%v", err)
		}
	}
	s.handleReady(sn, false)
}

// gossip sends sn's SDOWN opinion of the master to every peer (the mesh).
func (s *sim) gossip(sn *simSentinel) {
	st, _ := sn.m.Status("mymaster")
	for _, p := range s.sents {
		if p != sn {
			s.send(sn.id, p.id, opinionMsg{failover.Opinion{Master: "mymaster", From: sn.id, Addr: st.Addr, Down: st.SDown}})
		}
	}
}

func (srv *simServer) info(now time.Time) *failover.Info {
	in := &failover.Info{RunID: srv.runID, Role: failover.RoleMaster, Priority: 100}
	if !srv.master {
		in.Role, in.MasterHost, in.MasterPort = failover.RoleSlave, srv.upstream.Host, srv.upstream.Port
		in.MasterLinkUp, in.ReplOffset = srv.linkUp, srv.offset
		switch {
		case srv.linkUp:
		case srv.everLinked:
			in.MasterLinkDownTime = now.Sub(srv.linkDownFrom)
		default:
			in.MasterLinkDownTime = -time.Second
		}
	}
	return in
}

func (s *sim) hello(sn *simSentinel) {
	st, _ := sn.m.Status("mymaster")
	addr, _ := sn.m.ClientAddr("mymaster")
	for _, p := range s.sents {
		if p != sn {
			s.send(sn.id, p.id, helloMsg{failover.Hello{From: sn.id, FromAddr: failover.Addr{Host: "10.0.1." + strconv.Itoa(sn.idx), Port: 26379}, Master: "mymaster",
				CurrentEpoch: sn.m.CurrentEpoch(), MasterAddr: addr, ConfigEpoch: st.ConfigEpoch}})
		}
	}
}

// chaos changes partitions and crashes sentinels, before the heal.
func (s *sim) chaos() {
	if s.rnd.IntN(10) == 0 { // about once a second: new partition or heal
		split := s.rnd.IntN(3) != 0
		for _, sn := range s.sents {
			sn.group = 0
			if split {
				sn.group = s.rnd.IntN(2)
			}
		}
		for _, srv := range s.servers {
			srv.group = 0
			if split {
				srv.group = s.rnd.IntN(2)
			}
		}
		s.logf("partition %v", s.groups())
	}
	// A clock jump, forward or back, puts a sentinel in TILT for 30 s; only
	// early, so that TILT ends before the replicas' links have been down for
	// longer than the promotion rule accepts.
	if s.now.Sub(s.start) < 15*time.Second && s.rnd.IntN(100) == 0 {
		sn := s.sents[s.rnd.IntN(len(s.sents))]
		jump := []time.Duration{3 * time.Second, -time.Second}[s.rnd.IntN(2)]
		sn.skew += jump
		s.logf("%s clock jumps %v", sn.id, jump)
	}
	if s.rnd.IntN(100) == 0 {
		sn := s.sents[s.rnd.IntN(len(s.sents))]
		if sn.alive {
			s.logf("%s crashes", sn.id)
			sn.alive, sn.restart = false, s.now.Add(time.Duration(1+s.rnd.IntN(4))*time.Second)
		}
	}
}

func (s *sim) groups() string {
	var b strings.Builder
	for _, sn := range s.sents {
		b.WriteString(strconv.Itoa(sn.group))
	}
	b.WriteString("|")
	for _, srv := range s.servers {
		b.WriteString(strconv.Itoa(srv.group))
	}
	return b.String()
}

func (s *sim) heal() {
	s.logf("heal")
	s.drop, s.maxDelay = 0, 100*time.Millisecond
	for _, sn := range s.sents {
		sn.group = 0
		if !sn.alive {
			s.boot(sn)
		}
	}
	for _, srv := range s.servers {
		srv.group = 0
	}
}

func (s *sim) run() {
	hello := 0
	for elapsed := time.Duration(0); elapsed <= simEnd; elapsed += simTick {
		s.now = s.start.Add(elapsed)
		switch {
		case elapsed == simKill:
			s.servers[0].alive = false
			s.logf("master killed")
		case elapsed == simHeal:
			s.heal()
		case elapsed == simReturn:
			s.servers[0].alive = true // restarts with its old configuration: a master
			s.logf("old master returns")
		case elapsed > simKill && elapsed < simHeal:
			s.chaos()
		}
		s.world()
		s.deliver()
		hello++
		for _, sn := range s.sents {
			if !sn.alive {
				if elapsed < simHeal && !sn.restart.After(s.now) {
					s.logf("%s restarts", sn.id)
					s.boot(sn)
				}
				continue
			}
			s.observe(sn)
			if hello%20 == sn.idx {
				s.hello(sn)
			}
			if hello%10 == sn.idx {
				s.gossip(sn)
			}
			sn.m.Tick(sn.clock(s.now))
			s.handleReady(sn, elapsed > simKill && elapsed < simHeal && s.rnd.IntN(400) == 0)
		}
	}
}

// checkLive: after the heal, everyone agrees on one live master that the
// other servers follow, and no failover is left in progress.
func (s *sim) checkLive() {
	var addr failover.Addr
	for i, sn := range s.sents {
		st, _ := sn.m.Status("mymaster")
		if st.InProgress() {
			s.fail("%s still in failover state %v", sn.id, st.State)
		}
		if i == 0 {
			addr = st.Addr
		} else if st.Addr != addr {
			s.fail("sentinels disagree: %s says %v, sentinel-0 says %v", sn.id, st.Addr, addr)
		}
	}
	if addr == s.servers[0].addr {
		s.fail("no failover completed: master still %v", addr)
	}
	for _, srv := range s.servers {
		if srv.addr == addr {
			if !srv.master || !srv.alive {
				s.fail("agreed master %v is not a live master", addr)
			}
		} else if srv.master || srv.upstream != addr || !srv.linkUp {
			s.fail("server %v does not follow %v (master=%v upstream=%v link=%v)", srv.addr, addr, srv.master, srv.upstream, srv.linkUp)
		}
	}
}

func TestSimulation(t *testing.T) {
	seeds := uint64(500)
	if testing.Short() {
		seeds = 50
	}
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d-sentinels", n), func(t *testing.T) {
			elections := 0
			counts := map[string]int{}
			for seed := uint64(0); seed < seeds; seed++ {
				s := newSim(t, n, seed)
				s.run()
				s.checkLive()
				elections += len(s.leaders)
				for k, v := range s.counts {
					counts[k] += v
				}
			}
			t.Logf("%d seeds, %d elected leaders in all, events %v", seeds, elections, counts)
			// The runs must have reached the quorum and lost it, and entered
			// and left TILT, or they do not test those decisions.
			for _, e := range []string{failover.EventSDown, failover.EventODown, failover.EventODownExit,
				failover.EventSDownExit, failover.EventTilt, failover.EventTiltExit} {
				if counts[e] == 0 {
					t.Errorf("no %s in %d seeds", e, seeds)
				}
			}
		})
	}
}
