package sentinel

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/election"
	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/sentinel/link"
)

// This file feeds the failover machine from the loop and acts on its Ready
// batches (gather → decide → act). Only the loop goroutine runs it.

// foMasterConfig converts a master's configuration for the machine.
func foMasterConfig(mc *MasterConfig) failover.MasterConfig {
	return failover.MasterConfig{Name: mc.Name, Addr: failover.Addr{Host: mc.Host, Port: mc.Port},
		Quorum: mc.Quorum, DownAfter: mc.DownAfter, FailoverTimeout: mc.FailoverTimeout,
		ParallelSyncs: mc.ParallelSyncs, RebootDownAfter: mc.RebootDownAfter}
}

// applyTimers hands changed timers (SENTINEL DEBUG) to the script queue and the
// failover machine.
func (s *Sentinel) applyTimers() {
	s.scripts.maxRuntime, s.scripts.retryDelay = s.timers.ScriptMaxRuntime, s.timers.ScriptRetryDelay
	_ = s.step(failover.SetTimers{Timers: s.timers.Timers})
}

// newMachine builds the failover machine from the loaded configuration.
func (s *Sentinel) newMachine() error {
	hs := failover.HardState{CurrentEpoch: s.cfg.CurrentEpoch, Masters: map[string]failover.MasterHardState{}}
	var mcs []failover.MasterConfig
	for _, mc := range s.cfg.Masters {
		mcs = append(mcs, foMasterConfig(mc))
		mh := failover.MasterHardState{Addr: failover.Addr{Host: mc.Host, Port: mc.Port},
			ConfigEpoch: mc.ConfigEpoch, Vote: election.Vote{Epoch: mc.LeaderEpoch}}
		mh.Replicas = append(mh.Replicas, mc.KnownReplicas...)
		hs.Masters[mc.Name] = mh
	}
	seed := uint64(time.Now().UnixNano())
	fo, err := failover.New(failover.Config{MyID: s.cfg.MyID, Rand: rand.New(rand.NewPCG(seed, seed>>7)),
		Timers: s.timers.Timers, Masters: mcs, Logger: &s.log}, hs)
	if err != nil {
		return err
	}
	s.fo = fo
	s.voteReplies = map[uint64]election.Reply{}
	return nil
}

// post queues f to run on the loop (from link goroutines).
func (s *Sentinel) post(f func()) {
	select {
	case s.async <- f:
	case <-s.shutdown:
	}
}

// step feeds one input to the machine and handles its output.
func (s *Sentinel) step(in failover.Input) error {
	err := s.fo.Step(s.now(), in)
	s.processReady()
	return err
}

// stepInstance steps the link state of a master or replica (info: a fresh
// INFO; pong: a +PONG arrived).
func (s *Sentinel) stepInstance(i *instance, info *failover.Info, pong bool) {
	m := i
	if i.master != nil {
		m = i.master
	}
	o := failover.Observation{Master: m.name, Addr: i.addr, Disconnected: i.flags&FlagDisconnected != 0,
		LastOKPing: i.lastAvailable, PingSent: i.pingSent, Pong: pong, Info: info}
	if err := s.fo.Step(s.now(), o); err != nil {
		s.log.Debug().Err(err).Str("master", m.name).Msg("observation not stepped")
	}
}

// stepSentinels tells the machine the other sentinels of m.
func (s *Sentinel) stepSentinels(m *instance) {
	var peers []failover.Peer
	for _, si := range m.sentinels {
		peers = append(peers, failover.Peer{ID: si.runID, Connected: si.flags&FlagDisconnected == 0,
			Addr: si.addr, PingSent: si.pingSent, LastOKPing: si.lastAvailable})
	}
	_ = s.fo.Step(s.now(), failover.Sentinels{Master: m.name, Peers: peers})
}

// processReady handles the machine's output in the documented order:
// persist, send, publish and switch, advance.
func (s *Sentinel) processReady() {
	for n := 0; n < 8 && s.fo.HasReady(); n++ {
		rd := s.fo.Ready()
		if rd.HardState != nil {
			if err := s.flush(); err != nil {
				s.log.Error().Err(err).Msg("state not persisted: dropping the machine's messages and commands")
				s.fo.Advance()
				return
			}
		}
		for _, msg := range rd.Messages {
			s.sendMessage(msg)
		}
		for _, c := range rd.Commands {
			s.runCommand(c)
		}
		for _, e := range rd.Events {
			s.publishFO(e)
		}
		for _, sw := range rd.Switches {
			s.applySwitch(sw)
		}
		s.fo.Advance()
	}
}

// sendMessage sends a vote request to a peer (IS-MASTER-DOWN-BY-ADDR) or
// records a vote reply for the client waiting on it.
func (s *Sentinel) sendMessage(msg failover.Message) {
	if msg.Type == failover.MsgVoteReply {
		s.voteReplies[msg.Ref] = msg.Reply
		return
	}
	m := s.master(msg.Master)
	if m == nil || s.links == nil {
		return
	}
	var peer *instance
	for _, si := range m.sentinels {
		if si.runID == msg.To {
			peer = si
		}
	}
	if peer == nil {
		return
	}
	id := InstanceID{m.name, KindSentinel, peer.name}
	argv := []string{"SENTINEL", "is-master-down-by-addr", msg.MasterAddr.Host, strconv.Itoa(msg.MasterAddr.Port),
		strconv.FormatUint(msg.Request.Epoch, 10), msg.Request.RunID}
	master, from := msg.Master, msg.To
	s.links.Send(id, argv, func(v any, err error) {
		r, ok := parseVoteReply(v, err)
		if !ok {
			return
		}
		s.post(func() { _ = s.step(failover.VoteReply{From: from, Master: master, Reply: r}) })
	})
}

// parseVoteReply reads IS-MASTER-DOWN-BY-ADDR's reply: down, leader, epoch.
func parseVoteReply(v any, err error) (election.Reply, bool) {
	a, ok := v.([]any)
	if err != nil || !ok || len(a) != 3 {
		return election.Reply{}, false
	}
	down, ok1 := a[0].(int64)
	leader, ok2 := a[1].(string)
	epoch, ok3 := a[2].(int64)
	if !ok1 || !ok2 || !ok3 {
		return election.Reply{}, false
	}
	return election.Reply{Down: down == 1, Leader: leader, LeaderEpoch: uint64(epoch)}, true
}

// runCommand sends a SLAVEOF transaction to the command's target.
func (s *Sentinel) runCommand(c failover.Command) {
	m := s.master(c.Master)
	if m == nil || s.links == nil {
		return
	}
	target := c.Target
	id := InstanceID{m.name, KindReplica, target.String()}
	if target == m.addr {
		id = InstanceID{m.name, KindMaster, m.name}
	}
	var to *Addr
	if c.Kind == failover.ReplicaOf {
		a := c.ReplicaOf
		to = &a
	}
	if s.simulateFlags&simCrashAfterPromotion != 0 && c.Kind == failover.PromoteNoOne {
		defer func() { s.log.Warn().Msg("Simulated crash after promotion"); s.exit(99) }()
	}
	log := s.log
	s.links.SlaveOf(id, to, func(err error) {
		if err != nil {
			log.Warn().Err(err).Str("target", target.String()).Str("cmd", c.Kind.String()).Msg("SLAVEOF transaction failed")
		}
	})
}

// publishFO publishes one of the machine's events: log, pub/sub, scripts.
func (s *Sentinel) publishFO(e failover.Event) {
	lvl := levelWarning
	switch e.Level {
	case failover.LevelNotice:
		lvl = levelNotice
	case failover.LevelVerbose:
		lvl = levelVerbose
	}
	var i *instance
	if m := s.master(e.Master); m != nil {
		i = m
	}
	s.event(lvl, e.Name, i, "%s", e.Message())
	switch e.Name {
	case failover.EventElectedLeader:
		if s.simulateFlags&simCrashAfterElection != 0 {
			s.log.Warn().Msg("Simulated crash after election")
			s.exit(99)
		}
		if i != nil {
			i.ledEpoch = s.fo.CurrentEpoch()
		}
	case failover.EventODown, failover.EventStateSelectSlave:
		// a failover may start now: its replica selection needs their current
		// offsets and link state, not the last 10 s INFO; a fenced master's needs
		// INFO newer than select_slave's start (failover.SelectFenced), so ask again
		// then rather than wait for the next 1 s INFO
		if i != nil && s.links != nil {
			for _, r := range i.replicas {
				s.links.RefreshInfo(InstanceID{i.name, KindReplica, r.name})
			}
		}
	case failover.EventAbortNoGoodSlave, failover.EventAbortSlaveTimeout:
		if i != nil { // a later switch we learn from a hello is observed
			i.ledEpoch = 0
		}
	case failover.EventPromotedSlave:
		if i != nil && e.Instance != nil {
			r := e.Instance
			s.reconfigScript(i, "leader", r.MasterAddr, r.Addr)
		}
	case failover.EventSwitchMaster:
		// The leader ran the script at +promoted-slave; an observer learns
		// the switch from a hello (sentinelProcessHelloMessage).
		if f := strings.Fields(e.Args); i != nil && i.ledEpoch == 0 && len(f) == 5 {
			from, to := failover.Addr{Host: f[1], Port: atoi(f[2])}, failover.Addr{Host: f[3], Port: atoi(f[4])}
			s.reconfigScript(i, "observer", from, to)
		}
	}
}

// reconfigScript queues client-reconfig-script (sentinelCallClientReconfScript):
// `<master-name> <leader|observer> start <from-ip> <from-port> <to-ip> <to-port>`;
// Redis's state argument is always "start".
func (s *Sentinel) reconfigScript(m *instance, role string, from, to failover.Addr) {
	if m.conf == nil || m.conf.ClientReconfigScript == "" {
		return
	}
	s.scripts.schedule([]string{m.conf.ClientReconfigScript, m.name, role, "start",
		from.Host, itoa(from.Port), to.Host, itoa(to.Port)}, s.now())
}

// applySwitch is sentinelResetMasterAndChangeAddress on the shell's side:
// drop every link of the master and watch the new address and replicas.
func (s *Sentinel) applySwitch(sw failover.Switch) {
	m := s.master(sw.Master)
	if m == nil {
		return
	}
	s.unwatch(m)
	now := s.now()
	m.addr = sw.To
	m.replicas = nil
	m.runID, m.info, m.ledEpoch = "", "", 0
	m.pingSent = time.Time{}
	m.lastAvailable, m.lastReply = now, now
	m.roleReported, m.roleReportedTime = KindMaster, now
	for _, r := range sw.Replicas {
		m.addReplica(r, now)
	}
	_ = s.flush()
	s.watch(m)
}

// afterTick refreshes every link's hello and timers of m and gossips our
// opinion of it, from the machine's view.
func (s *Sentinel) afterTick(m *instance) {
	st, ok := s.fo.Status(m.name)
	if !ok {
		return
	}
	s.refreshLinks(m, st)
	s.gossip(m, st, s.now())
}

// refreshLinks sets the hello and the timers of every link of m.
func (s *Sentinel) refreshLinks(m *instance, st failover.Status) {
	if s.links == nil {
		return
	}
	ca, _ := s.fo.ClientAddr(m.name)
	port := s.cfg.AnnouncePort
	if port == 0 {
		port = s.cfg.Server.Port
	}
	h := link.Hello{IP: s.cfg.AnnounceIP, Port: port, RunID: s.cfg.MyID, CurrentEpoch: s.fo.CurrentEpoch(),
		MasterName: m.name, MasterIP: ca.Host, MasterPort: ca.Port, ConfigEpoch: st.ConfigEpoch}
	h.GossipIP, h.GossipPort = s.meshAddr()
	p := link.Periods{Ping: s.timers.PingPeriod, Info: s.timers.InfoPeriod, Publish: s.timers.PublishPeriod,
		DownAfter: m.conf.DownAfter, MinReconnect: s.timers.MinLinkReconnectPeriod}
	mid := InstanceID{m.name, KindMaster, m.name}
	s.links.SetHello(mid, h)
	s.links.SetPeriods(mid, p)
	s.links.SetFence(mid, s.fence(m, st))
	fast := st.ODown || st.InProgress()
	for _, r := range m.replicas {
		id := InstanceID{m.name, KindReplica, r.name}
		rp := p
		rp.FastInfo = fast || !r.masterLinkUp
		s.links.SetHello(id, h)
		s.links.SetPeriods(id, rp)
		s.links.SetFence(id, s.fencePromoted(m, r, st))
	}
	for _, si := range m.sentinels {
		id := InstanceID{m.name, KindSentinel, si.name}
		s.links.SetHello(id, h)
		s.links.SetPeriods(id, p)
	}
}

// fence is the lease renewal our link to m sends (nil: none): while m reports fenced
// mode and is a master, we do not see it subjectively down and no failover of it is
// under way. The majority is of the sentinels we know for m, ourselves included.
func (s *Sentinel) fence(m *instance, st failover.Status) *link.Fence {
	if !strings.Contains(m.info, "\nfenced_mode:1") || !strings.Contains(m.info, "role:master") ||
		st.SDown || st.ODown || st.InProgress() {
		return nil
	}
	if st.Vote.Epoch > st.ConfigEpoch && s.now().Sub(st.StartTime) < 2*m.conf.FailoverTimeout &&
		st.AbortedUnpromoted != st.Vote.Epoch {
		// we voted for a failover of it that may still promote a replica; unless we
		// led that failover and aborted it before selecting one (docs/safety.md)
		return nil
	}
	return s.leaseRenewal(m, m.info)
}

// leaseRenewal is the renewal of a fenced lease for a server of m whose INFO is info: the
// majority is of the sentinels we know for m, ourselves included.
func (s *Sentinel) leaseRenewal(m *instance, info string) *link.Fence {
	return &link.Fence{ID: s.cfg.MyID, Majority: (len(m.sentinels)+1)/2 + 1,
		DownAfterMs: m.conf.DownAfter.Milliseconds(), LeaseMs: infoInt(info, "fenced_lease_ms")}
}

// fencePromoted is the lease renewal our link to the replica r of m sends (nil: none):
// while we lead m's failover past the promotion (reconf_slaves) and r is the promoted
// replica, reporting fenced mode and the master role. Our hello already names r as the
// master (the others switch to it on hearing it), and GET-MASTER-ADDR-BY-NAME answers
// r; we switch ourselves only once the replicas are reconfigured, up to a second of
// INFO later. Renewing r from the promotion on lets the lease of the new master be
// held as soon as a majority, the leader included, renews it: with the old master's
// sentinel cut off, the leader is part of every majority (docs/safety.md). It is the
// renewal we send after the switch, one state earlier: we renew only the master our
// hello names, its replies count as available PING replies on r's link, and after the
// switch r's SDOWN counts from the switch, later still.
func (s *Sentinel) fencePromoted(m, r *instance, st failover.Status) *link.Fence {
	if st.State != failover.StateReconfSlaves || st.Promoted == nil || *st.Promoted != r.addr ||
		!strings.Contains(r.info, "\nfenced_mode:1") || !strings.Contains(r.info, "role:master") {
		return nil
	}
	return s.leaseRenewal(m, r.info)
}

// infoInt returns the integer field name of an INFO text (0 when absent or malformed).
func infoInt(info, name string) int64 {
	_, rest, ok := strings.Cut(info, "\n"+name+":")
	if !ok {
		return 0
	}
	v, _, _ := strings.Cut(rest, "\r")
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

// isMasterDown answers IS-MASTER-DOWN-BY-ADDR through the machine: the vote
// is persisted before the reply is returned.
func (s *Sentinel) isMasterDown(addr Addr, epoch uint64, runID string) election.Reply {
	s.voteRef++
	ref := s.voteRef
	_ = s.step(failover.VoteRequest{Ref: ref, MasterAddr: addr,
		Request: election.Request{Epoch: epoch, RunID: runID}})
	r, ok := s.voteReplies[ref]
	delete(s.voteReplies, ref)
	if !ok {
		return election.Reply{Leader: election.NoRunID}
	}
	return r
}

// manualFailover is SENTINEL FAILOVER.
func (s *Sentinel) manualFailover(m *instance) error {
	return s.step(failover.ManualFailover{Master: m.name})
}

// must drops the ok of a two-value lookup.
func must[T any](v T, _ bool) T { return v }
