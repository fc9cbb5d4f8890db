package failover

import (
	"time"

	"github.com/vigil-db/vigil/election"
)

// State is the failover state of a master, as SENTINEL MASTER shows it in
// `failover-state`.
type State int

// Failover states (Redis's SENTINEL_FAILOVER_STATE_*), in order.
const (
	StateNone State = iota
	StateWaitStart
	StateSelectSlave
	StateSendSlaveofNoOne
	StateWaitPromotion
	StateReconfSlaves
	StateUpdateConfig
)

// String returns Redis's name of the state.
func (s State) String() string {
	return [...]string{"none", "wait_start", "select_slave", "send_slaveof_noone",
		"wait_promotion", "reconf_slaves", "update_config"}[s]
}

// become is the one place where a failover changes state.
func (m *Machine) become(now time.Time, ms *masterState, s State) {
	m.log.Info().Str("master", ms.cfg.Name).Uint64("epoch", ms.failoverEpoch).
		Str("prev_state", ms.state.String()).Str("state", s.String()).Msg("failover state changed")
	ms.state = s
	ms.changeTime = now
}

// startIfNeeded is sentinelStartFailoverIfNeeded.
func (m *Machine) startIfNeeded(now time.Time, ms *masterState) bool {
	if !ms.inst.odown || ms.state != StateNone {
		return false
	}
	if next := ms.startTime.Add(2 * ms.cfg.FailoverTimeout); now.Before(next) {
		if !ms.delayLogged.Equal(ms.startTime) {
			ms.delayLogged = ms.startTime
			m.log.Warn().Str("master", ms.cfg.Name).Msg("Next failover delay: I will not start a failover before " +
				next.Format("Mon Jan _2 15:04:05 2006"))
		}
		return false
	}
	m.startFailover(now, ms)
	return true
}

// startFailover is sentinelStartFailover: new epoch, +try-failover,
// wait_start with a 0..999 ms jittered start time.
func (m *Machine) startFailover(now time.Time, ms *masterState) {
	ms.failoverEpoch = m.el.StartEpoch(ms.cfg.Name)
	m.event(EventTryFailover, ms, nil, "")
	m.become(now, ms, StateWaitStart)
	ms.startTime = now.Add(m.jitter())
}

// manualFailover is SENTINEL FAILOVER: forced, no agreement needed.
func (m *Machine) manualFailover(now time.Time, name string) error {
	ms := m.masters[name]
	if ms == nil {
		return ErrNoSuchMaster
	}
	if ms.state != StateNone {
		return ErrInProgress
	}
	if _, ok := Select(m.selectParams(now, ms), m.candidates(ms)); !ok && !m.awaitingReplica(now, ms) {
		return ErrNoGoodReplica
	}
	m.log.Warn().Str("master", name).Msgf("Executing user requested FAILOVER of '%s'", name)
	m.startFailover(now, ms)
	ms.forced = true
	return nil
}

// stepState runs one step of the failover state machine
// (sentinelFailoverStateMachine).
func (m *Machine) stepState(now time.Time, ms *masterState) {
	switch ms.state {
	case StateWaitStart:
		m.waitStart(now, ms)
	case StateSelectSlave:
		m.selectSlave(now, ms)
	case StateSendSlaveofNoOne:
		m.sendSlaveofNoOne(now, ms)
	case StateWaitPromotion:
		m.waitPromotion(now, ms)
	case StateReconfSlaves:
		m.reconfNextSlave(now, ms)
	}
}

func (m *Machine) waitStart(now time.Time, ms *masterState) {
	leader := m.el.Leader(ms.cfg.Name, ms.failoverEpoch, ms.cfg.Quorum)
	if !(leader != "" && m.el.IsMe(leader)) && !ms.forced {
		if now.Sub(ms.startTime) > election.Timeout(m.timers.ElectionTimeout, ms.cfg.FailoverTimeout) {
			m.event(EventAbortNotElected, ms, nil, "")
			m.abort(now, ms)
		}
		return
	}
	m.event(EventElectedLeader, ms, nil, "")
	m.become(now, ms, StateSelectSlave)
	m.event(EventStateSelectSlave, ms, nil, "")
}

func (m *Machine) selectSlave(now time.Time, ms *masterState) {
	if ms.fencing.On {
		m.selectFenced(now, ms)
		return
	}
	c, ok := Select(m.selectParams(now, ms), m.candidates(ms))
	if !ok && m.awaitFreshInfo(now, ms) {
		return // a replica may qualify once its INFO after the master's failure arrives
	}
	if !ok && ms.forced && now.Sub(ms.changeTime) <= ms.cfg.FailoverTimeout && m.awaitingReplica(now, ms) {
		return // SENTINEL FAILOVER: a replica in its first sync, or not yet heard from, may qualify
	}
	if !ok {
		p := m.selectParams(now, ms)
		for _, cand := range m.candidates(ms) {
			m.log.Warn().Str("master", ms.cfg.Name).Str("replica", cand.Addr.String()).
				Str("reason", Check(p, cand).String()).Int64("offset", int64(cand.Offset)).
				Dur("info_age", now.Sub(cand.InfoTime)).Dur("link_down", cand.MasterLinkDownTime).
				Msg("replica not eligible for promotion")
		}
		m.event(EventAbortNoGoodSlave, ms, nil, "")
		m.abort(now, ms)
		return
	}
	m.promote(now, ms, c)
}

// promote records the selected replica and moves to send_slaveof_noone.
func (m *Machine) promote(now time.Time, ms *masterState, c Candidate) {
	r := ms.replicas[c.Addr.String()]
	m.event(EventSelectedSlave, ms, r, "")
	r.promoted = true
	ms.promoted = r
	m.become(now, ms, StateSendSlaveofNoOne)
	m.event(EventStateSendSlaveofNoOne, ms, r, "")
}

// selectFenced is select_slave for a master in fenced mode (SelectFenced): it
// waits, up to failover-timeout, for fresh offsets from enough replicas.
func (m *Machine) selectFenced(now time.Time, ms *masterState) {
	c, v := SelectFenced(m.selectParams(now, ms), ms.fencing, len(ms.replicas), ms.changeTime, m.candidates(ms))
	if v == FencedWait && now.Sub(ms.changeTime) <= ms.cfg.FailoverTimeout {
		return
	}
	if v != FencedPromote {
		m.log.Warn().Str("master", ms.cfg.Name).Str("verdict", v.String()).
			Msg("fenced mode: no replica known to hold every acknowledged write")
		m.event(EventAbortNoGoodSlave, ms, nil, "")
		m.abort(now, ms)
		return
	}
	m.promote(now, ms, c)
}

func (m *Machine) sendSlaveofNoOne(now time.Time, ms *masterState) {
	r := ms.promoted
	if r.disconnected {
		if now.Sub(ms.changeTime) > ms.cfg.FailoverTimeout {
			m.event(EventAbortSlaveTimeout, ms, nil, "")
			m.abort(now, ms)
		}
		return
	}
	m.out.Commands = append(m.out.Commands, Command{Master: ms.cfg.Name, Target: r.addr, Kind: PromoteNoOne})
	m.event(EventStateWaitPromotion, ms, r, "")
	m.become(now, ms, StateWaitPromotion)
}

func (m *Machine) waitPromotion(now time.Time, ms *masterState) {
	if now.Sub(ms.changeTime) > ms.cfg.FailoverTimeout {
		m.event(EventAbortSlaveTimeout, ms, nil, "")
		m.abort(now, ms)
	}
}

// reconfNextSlave is sentinelFailoverReconfNextSlave: keep at most
// parallel-syncs replicas being reconfigured.
func (m *Machine) reconfNextSlave(now time.Time, ms *masterState) {
	inProgress := 0
	for _, r := range ms.replicas {
		if r.reconfSent || r.reconfInprog {
			inProgress++
		}
	}
	for _, r := range ms.sortedReplicas() {
		if inProgress >= ms.cfg.ParallelSyncs {
			break
		}
		if r.promoted || r.reconfDone {
			continue
		}
		if r.reconfSent && now.Sub(r.reconfSentTime) > m.timers.SlaveReconfTimeout {
			m.event(EventSlaveReconfSentTimeout, ms, r, "")
			r.reconfSent, r.reconfDone = false, true
		}
		if r.reconfSent || r.reconfInprog || r.disconnected {
			continue
		}
		m.replicaOf(ms, r, ms.promoted.addr)
		r.reconfSent, r.reconfSentTime = true, now
		m.event(EventSlaveReconfSent, ms, r, "")
		inProgress++
	}
	m.detectEnd(now, ms)
}

// detectEnd is sentinelFailoverDetectEnd.
func (m *Machine) detectEnd(now time.Time, ms *masterState) {
	if ms.promoted == nil || ms.promoted.sdown {
		return
	}
	notReconfigured := 0
	for _, r := range ms.replicas {
		if !r.promoted && !r.reconfDone && !r.sdown {
			notReconfigured++
		}
	}
	timeout := now.Sub(ms.changeTime) > ms.cfg.FailoverTimeout
	if timeout {
		notReconfigured = 0
		m.event(EventFailoverEndForTimeout, ms, nil, "")
	}
	if notReconfigured == 0 {
		m.event(EventFailoverEnd, ms, nil, "")
		m.become(now, ms, StateUpdateConfig)
	}
	if !timeout {
		return
	}
	for _, r := range ms.sortedReplicas() {
		if r.promoted || r.reconfDone || r.reconfSent || r.disconnected {
			continue
		}
		m.replicaOf(ms, r, ms.promoted.addr)
		m.event(EventSlaveReconfSentBE, ms, r, "")
		r.reconfSent = true
	}
}

// abort is sentinelAbortFailover (allowed up to wait_promotion). The start
// time is kept: the next attempt waits 2 × failover-timeout.
func (m *Machine) abort(now time.Time, ms *masterState) {
	if ms.state > StateWaitPromotion {
		panic("failover: abort after wait_promotion (invariant of sentinelAbortFailover)")
	}
	if ms.state == StateSelectSlave && !ms.forced {
		// elected by a majority (each sentinel votes once per epoch): nobody else leads
		// this epoch, and we selected no replica
		ms.abortedUnpromoted = ms.failoverEpoch
	}
	ms.forced = false
	m.become(now, ms, StateNone)
	if ms.promoted != nil {
		ms.promoted.promoted = false
		ms.promoted = nil
	}
}

// switchToPromoted is sentinelFailoverSwitchToPromotedSlave.
func (m *Machine) switchToPromoted(now time.Time, ms *masterState) {
	to := ms.addr
	if ms.promoted != nil {
		to = ms.promoted.addr
	}
	m.emitSwitchMaster(ms, to)
	m.switchAddr(now, ms, to)
}

// askPeers is sentinelAskMasterStateToOtherSentinels: forget stale replies,
// then, while we see the master SDOWN, ask every connected peer that did not
// reply in the last ask-period (every one when forced).
func (m *Machine) askPeers(now time.Time, ms *masterState, forced bool) {
	name := ms.cfg.Name
	m.el.ForgetStale(now, name, 5*m.timers.AskPeriod)
	if !ms.inst.sdown {
		return
	}
	runID := election.NoRunID
	if ms.state > StateNone {
		runID = m.id
	}
	for _, id := range m.el.Peers(name) {
		if p := ms.peers[id]; p == nil || !p.connected {
			continue
		}
		if !forced && now.Sub(m.el.LastReply(name, id)) < m.timers.AskPeriod {
			continue
		}
		m.out.Messages = append(m.out.Messages, Message{
			Type: MsgVoteRequest, To: id, Master: name, MasterAddr: ms.addr,
			Request: election.Request{Epoch: m.el.CurrentEpoch(), RunID: runID},
		})
	}
}

// candidates returns the replicas of ms as Select candidates.
func (m *Machine) candidates(ms *masterState) []Candidate {
	out := make([]Candidate, 0, len(ms.replicas))
	for _, r := range ms.sortedReplicas() {
		out = append(out, Candidate{
			Addr: r.addr, RunID: r.info.RunID, Priority: r.info.Priority, Offset: r.info.ReplOffset,
			SDown: r.sdown, ODown: r.odown, Disconnected: r.disconnected,
			LastOKPing: r.lastOKPing, InfoTime: r.infoTime,
			MasterLinkDownTime: r.info.MasterLinkDownTime, Synced: r.synced,
		})
	}
	return out
}

func (m *Machine) selectParams(now time.Time, ms *masterState) SelectParams {
	return SelectParams{
		Now: now, MasterSDown: ms.inst.sdown, MasterSDownSince: ms.inst.sdownSince,
		DownAfter: ms.cfg.DownAfter, PingPeriod: m.timers.PingPeriod, InfoPeriod: m.timers.InfoPeriod,
	}
}

// freshInfoGrace bounds how long select_slave waits for INFO replies newer than the
// master's failure before giving up with -failover-abort-no-good-slave.
const freshInfoGrace = 3 * time.Second

// awaitingReplica reports whether some replica may soon qualify: it is refused only
// because its link to the master never came up (Vigil's rule: right after REPLICAOF,
// in its first sync; Redis would promote it at once), or it was just discovered and
// has not answered INFO yet. SENTINEL FAILOVER (the master is up) is then accepted
// and select_slave waits for it, up to failover-timeout.
func (m *Machine) awaitingReplica(now time.Time, ms *masterState) bool {
	p := m.selectParams(now, ms)
	for _, c := range m.candidates(ms) {
		if c.InfoTime.IsZero() && !c.SDown || Check(p, c) == ExcludedNeverSynced {
			return true
		}
	}
	return false
}

// awaitFreshInfo reports whether select_slave should wait instead of aborting: some
// reachable replica has not reported INFO since the master went down, so what we know
// of its offset and link may predate its last sync (it matters more here than in Redis
// because a replica that never synced is refused). Bounded by freshInfoGrace.
func (m *Machine) awaitFreshInfo(now time.Time, ms *masterState) bool {
	if now.Sub(ms.changeTime) > freshInfoGrace || !ms.inst.sdown {
		return false
	}
	for _, r := range ms.replicas {
		if !r.sdown && !r.odown && !r.disconnected && r.infoTime.Before(ms.inst.sdownSince) {
			return true
		}
	}
	return false
}
