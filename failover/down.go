package failover

import (
	"strconv"
	"time"
)

// This file decides SDOWN, ODOWN and TILT from the stepped observations, at
// each Tick (Redis's sentinelCheckTiltCondition, sentinelCheckSubjectivelyDown
// and sentinelCheckObjectivelyDown).

// Opinion is a peer's SDOWN opinion of a master, received over the gossip
// mesh at the step's now. Fresh opinions (within 5 × ask-period) about the
// master's current address count toward ODOWN like IS-MASTER-DOWN-BY-ADDR
// replies, once per peer.
type Opinion struct {
	Master string
	From   string // the peer's run id
	Addr   Addr   // the master address the opinion is about
	Down   bool
}

func (Opinion) isInput() {}

// opinion is the last Opinion of one peer about one master.
type opinion struct {
	addr Addr
	down bool
	at   time.Time
}

// peer is another sentinel monitoring a master: its announced address and
// our link to it (for its SDOWN and whether we can ask it).
type peer struct {
	addr       Addr
	connected  bool
	pingSent   time.Time
	lastOKPing time.Time
	sdown      bool
	sdownSince time.Time
}

// linkDown is the link half of Redis's SDOWN rule: no valid PING reply for
// more than down-after. Redis takes now − act_ping_time when a PING is
// pending, else (when disconnected) now − last_avail_time. A connection whose
// peer died is only noticed when a PING is written on it, which restarts
// the pending PING after the other connection already saw the death: the
// larger of the two is taken when disconnected, so SDOWN does not flap.
func linkDown(now, pingSent, lastOKPing time.Time, disconnected bool, downAfter time.Duration) bool {
	var elapsed time.Duration
	if !pingSent.IsZero() {
		elapsed = now.Sub(pingSent)
	}
	if disconnected {
		elapsed = max(elapsed, now.Sub(lastOKPing))
	}
	return elapsed > downAfter
}

// instanceDown is SDOWN for the master or a replica: its link, and for the
// master also a replica role reported for too long, or a reboot not followed
// by a PONG within master-reboot-down-after-period.
func (m *Machine) instanceDown(now time.Time, ms *masterState, i *instance, isMaster bool) bool {
	downAfter := ms.cfg.DownAfter
	if linkDown(now, i.pingSent, i.lastOKPing, i.disconnected, downAfter) {
		return true
	}
	if !isMaster {
		return false
	}
	if i.roleReported == RoleSlave && now.Sub(i.roleTime) > downAfter+2*m.timers.InfoPeriod {
		return true
	}
	return !i.rebootSince.IsZero() && ms.cfg.RebootDownAfter > 0 && now.Sub(i.rebootSince) > ms.cfg.RebootDownAfter
}

// checkTilt is sentinelCheckTiltCondition plus the exit after tilt-period:
// a tick that goes back in time or comes more than tilt-trigger after the
// previous one enters TILT (or restarts it).
func (m *Machine) checkTilt(now time.Time) {
	prev := m.prevTick
	m.prevTick = now
	if prev.IsZero() {
		return
	}
	if delta := now.Sub(prev); delta < 0 || delta > m.timers.TiltTrigger {
		m.tiltSince = now
		if !m.tilt {
			m.tilt = true
			m.emit(EventTilt, "", nil, "#tilt mode entered")
		}
		return
	}
	if m.tilt && now.Sub(m.tiltSince) > m.timers.TiltPeriod {
		m.tilt = false
		m.emit(EventTiltExit, "", nil, "#tilt mode exited")
	}
}

// checkDown decides SDOWN of the master, its replicas and its peers, then
// ODOWN of the master, in Redis's order (+sdown/-sdown, +odown/-odown).
// An instance created before the first Tick (New has no clock) counts as
// available at that Tick, as Redis's instances do at their creation.
func (m *Machine) checkDown(now time.Time, ms *masterState) {
	if ms.inst.lastOKPing.IsZero() {
		ms.inst.lastOKPing = now
	}
	for _, r := range ms.replicas { // no order needed: the same start for each
		if r.lastOKPing.IsZero() {
			r.lastOKPing = now
		}
	}
	m.setSDown(now, ms, ms.inst, nil, m.instanceDown(now, ms, ms.inst, true))
	m.checkODown(now, ms)
	for _, r := range ms.sortedReplicas() {
		m.setSDown(now, ms, r, nil, m.instanceDown(now, ms, r, false))
	}
	for _, id := range sortedKeys(ms.peers) {
		p := ms.peers[id]
		m.setSDown(now, ms, nil, &peerRef{id, p}, linkDown(now, p.pingSent, p.lastOKPing, !p.connected, ms.cfg.DownAfter))
	}
}

type peerRef struct {
	id string
	p  *peer
}

// setSDown records the SDOWN of an instance (i) or a peer (pr) and emits the
// transition.
func (m *Machine) setSDown(now time.Time, ms *masterState, i *instance, pr *peerRef, down bool) {
	var sdown *bool
	var since *time.Time
	if i != nil {
		sdown, since = &i.sdown, &i.sdownSince
	} else {
		sdown, since = &pr.p.sdown, &pr.p.sdownSince
	}
	if down == *sdown {
		return
	}
	*sdown = down
	name := EventSDownExit
	if down {
		*since = now
		name = EventSDown
	}
	switch {
	case pr != nil:
		m.emit(name, ms.cfg.Name, &Instance{Kind: KindSentinel, Name: pr.id, Addr: pr.p.addr,
			MasterName: ms.cfg.Name, MasterAddr: ms.addr}, "")
	case i == ms.inst:
		m.event(name, ms, nil, "")
	default:
		m.event(name, ms, i, "")
	}
}

// checkODown is sentinelCheckObjectivelyDown: SDOWN here, and with us the
// peers whose last reply or fresh mesh opinion says down reach the quorum.
func (m *Machine) checkODown(now time.Time, ms *masterState) {
	votes := 0
	if ms.inst.sdown {
		votes = 1 + m.el.PeersDown(ms.cfg.Name) + m.meshDown(now, ms)
	}
	down := ms.inst.sdown && votes >= ms.cfg.Quorum
	switch {
	case down && !ms.inst.odown:
		ms.inst.odown, ms.inst.odownSince = true, now
		m.event(EventODown, ms, nil, "#quorum "+strconv.Itoa(votes)+"/"+strconv.Itoa(ms.cfg.Quorum))
	case !down && ms.inst.odown:
		ms.inst.odown = false
		m.event(EventODownExit, ms, nil, "")
	}
}

// meshDown counts the fresh SDOWN opinions about the master's current
// address from peers whose IS-MASTER-DOWN-BY-ADDR reply does not already say
// down (no double counting).
func (m *Machine) meshDown(now time.Time, ms *masterState) int {
	n := 0
	for from, o := range ms.opinions {
		if o.down && sameAddr(o.addr, ms.addr) && !m.el.PeerDown(ms.cfg.Name, from) &&
			now.Sub(o.at) <= 5*m.timers.AskPeriod {
			n++
		}
	}
	return n
}

// recordOpinion stores a peer's mesh opinion (our own is ignored).
func (m *Machine) recordOpinion(now time.Time, o Opinion) error {
	ms := m.masters[o.Master]
	if ms == nil {
		return ErrNoSuchMaster
	}
	if o.From != m.id {
		ms.opinions[o.From] = opinion{addr: o.Addr, down: o.Down, at: now}
	}
	return nil
}
