package failover

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-db/vigil/election"
)

// instance is what the machine remembers of the master or of one replica.
type instance struct {
	addr         Addr
	disconnected bool
	lastOKPing   time.Time
	pingSent     time.Time // oldest unanswered PING, zero when none
	rebootSince  time.Time // run id change seen, no PONG since (zero: none)
	sdown, odown bool
	sdownSince   time.Time // set on entering SDOWN, never cleared (Redis)
	odownSince   time.Time
	infoTime     time.Time // zero: never
	info         Info
	roleReported Role
	roleTime     time.Time // role_reported_time
	confChange   time.Time // slave_conf_change_time
	synced       bool      // Vigil: link seen up with the current master

	promoted, reconfSent, reconfInprog, reconfDone bool
	reconfSentTime                                 time.Time
}

func newInstance(addr Addr, role Role, now time.Time) *instance {
	return &instance{
		addr: addr, disconnected: true, lastOKPing: now,
		roleReported: role, roleTime: now, confChange: now,
		info: Info{Priority: 100},
	}
}

// masterState is one monitored master and its failover.
type masterState struct {
	cfg         MasterConfig
	addr        Addr
	configEpoch uint64
	// removedEpoch: this name was monitored before, and removed when the epochs
	// (current and config) had reached removedEpoch. A configuration with an epoch
	// not above it belongs to the removed master, never to this one.
	removedEpoch uint64
	inst         *instance
	replicas     map[string]*instance // by Addr.String()
	peers        map[string]*peer     // other sentinels by run id
	opinions     map[string]opinion   // last mesh opinion by peer run id

	// fencing is the master's fenced mode as its last INFO as a master showed
	// it; kept while the master is down (select_slave needs it then).
	fencing Fencing

	state         State
	failoverEpoch uint64
	forced        bool
	startTime     time.Time // failover_start_time (zero: never)
	changeTime    time.Time // failover_state_change_time
	delayLogged   time.Time
	promoted      *instance
	// abortedUnpromoted is the epoch of the last failover we led that was aborted in
	// select_slave, elected and not forced: no replica was promoted in that epoch
	// (Status.AbortedUnpromoted)
	abortedUnpromoted uint64
}

func (ms *masterState) replicaAddrs() []Addr {
	out := make([]Addr, 0, len(ms.replicas))
	for _, r := range ms.sortedReplicas() {
		out = append(out, r.addr)
	}
	return out
}

func (ms *masterState) sortedReplicas() []*instance {
	out := make([]*instance, 0, len(ms.replicas))
	for _, r := range ms.replicas {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr.String() < out[j].addr.String() })
	return out
}

func validate(mc MasterConfig) (MasterConfig, error) {
	if mc.Name == "" || mc.Quorum < 1 || mc.Addr.Port < 0 || mc.Addr.Port > 65535 {
		return mc, fmt.Errorf("%w: master %q: name, quorum ≥ 1 and port 0..65535 required", ErrBadConfig, mc.Name)
	}
	if mc.DownAfter <= 0 {
		mc.DownAfter = DefaultDownAfter
	}
	if mc.FailoverTimeout <= 0 {
		mc.FailoverTimeout = DefaultFailoverTimeout
	}
	if mc.ParallelSyncs <= 0 {
		mc.ParallelSyncs = DefaultParallelSyncs
	}
	return mc, nil
}

// monitor adds a master (emitting +monitor) or updates a known master's
// options.
func (m *Machine) monitor(now time.Time, mc MasterConfig, hs MasterHardState) error {
	mc, err := validate(mc)
	if err != nil {
		return err
	}
	if ms := m.masters[mc.Name]; ms != nil {
		mc.Addr = ms.addr
		ms.cfg = mc
		return nil
	}
	if !hs.Addr.IsZero() {
		mc.Addr = hs.Addr
	}
	if other, ok := m.MasterByAddr(mc.Addr); ok {
		return fmt.Errorf("%w: %s already monitored as %q", ErrDuplicateMaster, mc.Addr, other)
	}
	ms := &masterState{
		cfg: mc, addr: mc.Addr, configEpoch: hs.ConfigEpoch, removedEpoch: m.removed[mc.Name],
		inst:     newInstance(mc.Addr, RoleMaster, now),
		replicas: map[string]*instance{}, peers: map[string]*peer{}, opinions: map[string]opinion{},
	}
	for _, a := range hs.Replicas {
		ms.replicas[a.String()] = newInstance(a, RoleSlave, now)
	}
	m.masters[mc.Name] = ms
	m.el.AddMaster(mc.Name, hs.Vote)
	m.dirty = true
	m.event(EventMonitor, ms, nil, "quorum "+strconv.Itoa(mc.Quorum))
	return nil
}

func (m *Machine) remove(name string) error {
	ms := m.masters[name]
	if ms == nil {
		return ErrNoSuchMaster
	}
	m.event(EventUnmonitor, ms, nil, "")
	m.removed[name] = max(m.el.CurrentEpoch(), ms.configEpoch, ms.removedEpoch)
	delete(m.masters, name)
	m.el.RemoveMaster(name)
	m.dirty = true
	return nil
}

// reset is SENTINEL RESET: replicas, sentinels and failover state dropped.
func (m *Machine) reset(now time.Time, name string) error {
	ms := m.masters[name]
	if ms == nil {
		return ErrNoSuchMaster
	}
	m.resetMaster(now, ms)
	ms.peers, ms.opinions = map[string]*peer{}, map[string]opinion{}
	m.el.SetPeers(name, nil)
	m.event(EventResetMaster, ms, nil, "")
	m.dirty = true
	return nil
}

// resetMaster is Redis's sentinelResetMaster without the sentinels part.
func (m *Machine) resetMaster(now time.Time, ms *masterState) {
	ms.replicas = map[string]*instance{}
	info := ms.inst.infoTime
	ms.inst = newInstance(ms.addr, RoleMaster, now)
	ms.inst.infoTime = info
	ms.state, ms.changeTime, ms.startTime = StateNone, time.Time{}, time.Time{}
	ms.forced, ms.promoted = false, nil
	m.el.ResetMaster(ms.cfg.Name)
}

// switchAddr is sentinelResetMasterAndChangeAddress: keep the replicas but
// the one at to, add the old master as a replica, reset, re-create them with
// +slave each.
func (m *Machine) switchAddr(now time.Time, ms *masterState, to Addr) {
	from := ms.addr
	var keep []Addr
	for _, r := range ms.sortedReplicas() {
		if !sameAddr(r.addr, to) {
			keep = append(keep, r.addr)
		}
	}
	if !sameAddr(from, to) {
		keep = append(keep, from)
	}
	m.resetMaster(now, ms)
	ms.addr = to
	ms.inst.addr = to
	ms.inst.sdownSince, ms.inst.odownSince = time.Time{}, time.Time{}
	for _, a := range keep {
		r := newInstance(a, RoleSlave, now)
		ms.replicas[a.String()] = r
		m.event(EventSlave, ms, r, "")
	}
	m.out.Switches = append(m.out.Switches, Switch{Master: ms.cfg.Name, From: from, To: to, Replicas: keep})
	m.dirty = true
	m.log.Info().Str("master", ms.cfg.Name).Str("addr", to.String()).Msg("master address switched")
}

// setSentinels replaces the peers of a master, keeping the SDOWN state of
// those already known. A peer seen for the first time counts as available
// now when its LastOKPing is zero.
func (m *Machine) setSentinels(now time.Time, in Sentinels) error {
	ms := m.masters[in.Master]
	if ms == nil {
		return ErrNoSuchMaster
	}
	old := ms.peers
	ms.peers = make(map[string]*peer, len(in.Peers))
	ids := make([]string, 0, len(in.Peers))
	for _, p := range in.Peers {
		if p.ID == m.id {
			continue
		}
		ps := old[p.ID]
		if ps == nil {
			ps = &peer{lastOKPing: now}
		}
		ps.addr, ps.connected, ps.pingSent = p.Addr, p.Connected, p.PingSent
		if !p.LastOKPing.IsZero() {
			ps.lastOKPing = p.LastOKPing
		}
		ms.peers[p.ID] = ps
		ids = append(ids, p.ID)
	}
	m.el.SetPeers(in.Master, ids)
	return nil
}

// handleVoteRequest answers IS-MASTER-DOWN-BY-ADDR (sentinelCommand).
func (m *Machine) handleVoteRequest(now time.Time, in VoteRequest) {
	name, ok := m.MasterByAddr(in.MasterAddr)
	var ms *masterState
	if ok {
		ms = m.masters[name]
	}
	down := ok && !m.tilt && ms.inst.sdown
	var v election.Vote
	// fenced mode: a sentinel votes only once it sees the master down itself, i.e. once
	// down-after has passed since its last PING reply, after which no lease it renewed
	// holds (docs/safety.md)
	asked := ok && in.Request.AsksVote() && (!ms.fencing.On || down)
	if asked {
		var voted bool
		v, voted = m.el.HandleRequest(name, in.Request.Epoch, in.Request.RunID)
		m.drainElection()
		if voted && !m.el.IsMe(v.Leader) {
			ms.startTime = now.Add(m.jitter())
		}
	}
	m.out.Messages = append(m.out.Messages, Message{
		Type: MsgVoteReply, To: in.From, Ref: in.Ref, Master: name,
		MasterAddr: in.MasterAddr, Reply: election.MakeReply(down, asked, v),
	})
}

// handleHello applies the epoch and master configuration of a peer's hello.
func (m *Machine) handleHello(now time.Time, h Hello) {
	ms := m.masters[h.Master]
	if ms == nil {
		return
	}
	m.el.ObserveEpoch(h.Master, h.CurrentEpoch)
	m.drainElection()
	if ms.configEpoch >= h.ConfigEpoch || h.ConfigEpoch <= ms.removedEpoch {
		return
	}
	ms.configEpoch = h.ConfigEpoch
	m.dirty = true
	if sameAddr(ms.addr, h.MasterAddr) {
		return
	}
	peer := &Instance{Kind: KindSentinel, Name: h.From, Addr: h.FromAddr, MasterName: ms.cfg.Name, MasterAddr: ms.addr}
	m.emit(EventConfigUpdateFrom, ms.cfg.Name, peer, "")
	m.emitSwitchMaster(ms, h.MasterAddr)
	m.switchAddr(now, ms, h.MasterAddr)
}

func (m *Machine) emitSwitchMaster(ms *masterState, to Addr) {
	m.emit(EventSwitchMaster, ms.cfg.Name, nil, fmt.Sprintf("%s %s %d %s %d",
		ms.cfg.Name, ms.addr.Host, ms.addr.Port, to.Host, to.Port))
}

// event emits a Redis event about ms (r == nil) or one of its replicas.
func (m *Machine) event(name string, ms *masterState, r *instance, args string) {
	inst := &Instance{Kind: KindMaster, Name: ms.cfg.Name, Addr: ms.addr}
	if r != nil {
		inst = &Instance{Kind: KindReplica, Name: r.addr.String(), Addr: r.addr, MasterName: ms.cfg.Name, MasterAddr: ms.addr}
	}
	m.emit(name, ms.cfg.Name, inst, args)
}

func (m *Machine) emit(name, master string, inst *Instance, args string) {
	m.drainElection() // election events produced before this one go first
	e := Event{Name: name, Level: levelOf(name), Master: master, Instance: inst, Args: args}
	m.out.Events = append(m.out.Events, e)
	lvl := m.log.Info()
	if e.Level == LevelVerbose {
		lvl = m.log.Debug()
	}
	lvl.Str("event", name).Str("master", master).Msg(e.Message())
}
