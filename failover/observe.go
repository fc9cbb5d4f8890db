package failover

import (
	"strings"
	"time"
)

// observe records the shell's view of one instance and, when it carries a
// fresh INFO, takes the decisions Redis takes on INFO
// (sentinelRefreshInstanceInfo).
func (m *Machine) observe(now time.Time, o Observation) error {
	ms := m.masters[o.Master]
	if ms == nil {
		return ErrNoSuchMaster
	}
	isMaster := sameAddr(o.Addr, ms.addr)
	inst := ms.inst
	if !isMaster {
		inst = ms.replicas[o.Addr.String()]
		if inst == nil {
			inst = newInstance(o.Addr, RoleSlave, now)
			ms.replicas[o.Addr.String()] = inst
			m.dirty = true
			m.event(EventSlave, ms, inst, "")
		}
	}
	inst.disconnected, inst.pingSent = o.Disconnected, o.PingSent
	if !o.LastOKPing.IsZero() {
		inst.lastOKPing = o.LastOKPing
	}
	if o.Pong {
		inst.rebootSince = time.Time{}
	}
	if o.Info != nil {
		m.refreshInfo(now, ms, inst, isMaster, *o.Info)
	}
	return nil
}

// refreshInfo stores an INFO reply and takes the acting half of Redis's
// sentinelRefreshInstanceInfo.
func (m *Machine) refreshInfo(now time.Time, ms *masterState, inst *instance, isMaster bool, info Info) {
	inst.infoTime = now
	if info.RunID == "" {
		info.RunID = inst.info.RunID
	} else if inst.info.RunID != "" && info.RunID != inst.info.RunID {
		m.rebooted(now, ms, inst, isMaster)
	}
	if !info.HasPriority {
		info.Priority = inst.info.Priority
	}
	if info.Role == RoleMaster {
		info.ReplOffset = inst.info.ReplOffset
	}
	if info.Role == RoleSlave && (!strings.EqualFold(info.MasterHost, inst.info.MasterHost) ||
		info.MasterPort != inst.info.MasterPort) {
		inst.confChange = now
	}
	inst.info = info
	if isMaster && info.Role == RoleMaster {
		ms.fencing = info.Fencing
	}
	if info.Role == RoleSlave {
		inst.synced = syncedWith(info)
	}
	if info.Role != RoleUnknown && info.Role != inst.roleReported {
		inst.roleTime = now
		inst.roleReported = info.Role
		if info.Role == RoleSlave {
			inst.confChange = now
		}
		name := EventRoleChangeBad
		if (isMaster && info.Role == RoleMaster) || (!isMaster && info.Role == RoleSlave) {
			name = EventRoleChange
		}
		if isMaster {
			m.event(name, ms, nil, "new reported role is "+info.Role.String())
		} else {
			m.event(name, ms, inst, "new reported role is "+info.Role.String())
		}
	}
	if m.tilt || isMaster {
		return
	}
	switch info.Role {
	case RoleMaster:
		m.replicaReportsMaster(now, ms, inst)
	case RoleSlave:
		m.replicaReportsSlave(now, ms, inst)
	}
}

// rebooted emits +reboot for an instance whose run id changed; a master
// then stays SDOWN-prone until a PONG (master-reboot-down-after-period).
func (m *Machine) rebooted(now time.Time, ms *masterState, inst *instance, isMaster bool) {
	if isMaster {
		m.event(EventReboot, ms, nil, "")
		if ms.cfg.RebootDownAfter > 0 {
			inst.rebootSince = now
		}
		return
	}
	m.event(EventReboot, ms, inst, "")
}

// replicaReportsMaster: the promoted replica confirmed (WAIT_PROMOTION →
// RECONF_SLAVES), or a replica turned master to convert back (§5.8).
func (m *Machine) replicaReportsMaster(now time.Time, ms *masterState, r *instance) {
	if r.promoted && ms.state == StateWaitPromotion {
		ms.configEpoch = ms.failoverEpoch
		m.dirty = true
		m.event(EventPromotedSlave, ms, r, "")
		m.become(now, ms, StateReconfSlaves)
		m.event(EventStateReconfSlaves, ms, nil, "")
		return
	}
	wait := 4 * m.timers.PublishPeriod
	if !r.promoted && m.masterLooksSane(now, ms) && noDownFor(now, r, wait) && now.Sub(r.roleTime) > wait {
		m.replicaOf(ms, r, ms.addr)
		m.event(EventConvertToSlave, ms, r, "")
	}
}

// replicaReportsSlave: a replica following a wrong master is fixed (§5.8);
// a replica being reconfigured progresses (reconf_sent → inprog → done).
func (m *Machine) replicaReportsSlave(now time.Time, ms *masterState, r *instance) {
	if !sameAddr(Addr{r.info.MasterHost, r.info.MasterPort}, ms.addr) {
		wait := ms.cfg.FailoverTimeout
		if m.masterLooksSane(now, ms) && noDownFor(now, r, wait) && now.Sub(r.confChange) > wait {
			m.replicaOf(ms, r, ms.addr)
			m.event(EventFixSlaveConfig, ms, r, "")
		}
	}
	if !r.reconfSent && !r.reconfInprog {
		return
	}
	if r.reconfSent && ms.promoted != nil && r.info.MasterHost != "" &&
		sameAddr(Addr{r.info.MasterHost, r.info.MasterPort}, ms.promoted.addr) {
		r.reconfSent, r.reconfInprog = false, true
		m.event(EventSlaveReconfInprog, ms, r, "")
	}
	if r.reconfInprog && r.info.MasterLinkUp {
		r.reconfInprog, r.reconfDone = false, true
		m.event(EventSlaveReconfDone, ms, r, "")
	}
}

// masterLooksSane is sentinelMasterLooksSane.
func (m *Machine) masterLooksSane(now time.Time, ms *masterState) bool {
	i := ms.inst
	return i.roleReported == RoleMaster && !i.sdown && !i.odown &&
		now.Sub(i.infoTime) < 2*m.timers.InfoPeriod
}

// noDownFor is sentinelRedisInstanceNoDownFor: the last SDOWN or ODOWN began
// more than d ago, or never.
func noDownFor(now time.Time, i *instance, d time.Duration) bool {
	recent := i.sdownSince
	if i.odownSince.After(recent) {
		recent = i.odownSince
	}
	return recent.IsZero() || now.Sub(recent) > d
}

// replicaOf issues the SLAVEOF <to> transaction to r.
func (m *Machine) replicaOf(ms *masterState, r *instance, to Addr) {
	m.out.Commands = append(m.out.Commands, Command{Master: ms.cfg.Name, Target: r.addr, Kind: ReplicaOf, ReplicaOf: to})
}

// syncedWith is Vigil's promotion rule: a replica has completed a sync with
// the master it is attached to if its link is up, or down with a
// master_link_down_since_seconds other than -1 (Redis resets it to "never"
// at REPLICAOF and at start, and sets it only when a synced link drops).
// The replica's own report is used, not which master it follows: a sentinel
// restarted during an outage, or one whose master's failover was interrupted
// after the promotion, must still find the replicas that hold the data.
func syncedWith(info Info) bool {
	return info.MasterLinkUp || info.MasterLinkDownTime >= 0
}
