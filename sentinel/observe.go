package sentinel

import (
	"strings"
	"time"

	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/sentinel/link"
)

// watch asks the links to monitor m and everything known under it.
func (s *Sentinel) watch(m *instance) {
	if s.links == nil {
		return
	}
	auth := Auth{User: m.conf.AuthUser, Pass: m.conf.AuthPass, Rename: map[string]string{}}
	for _, r := range m.conf.RenameCommands {
		auth.Rename[strings.ToLower(r[0])] = r[1]
	}
	s.links.Watch(InstanceID{m.name, KindMaster, m.name}, m.addr, auth, s.obs)
	for _, r := range m.replicas {
		s.links.Watch(InstanceID{m.name, KindReplica, r.name}, r.addr, auth, s.obs)
	}
	sauth := Auth{User: s.cfg.SentinelUser, Pass: s.cfg.SentinelPass}
	if sauth.Pass == "" {
		sauth.Pass = s.cfg.Server.RequirePass
	}
	for _, si := range m.sentinels {
		s.links.Watch(InstanceID{m.name, KindSentinel, si.name}, si.addr, sauth, s.obs)
	}
}

func (s *Sentinel) unwatch(m *instance) {
	if s.links == nil {
		return
	}
	s.links.Unwatch(InstanceID{m.name, KindMaster, m.name})
	for _, r := range m.replicas {
		s.links.Unwatch(InstanceID{m.name, KindReplica, r.name})
	}
	for _, si := range m.sentinels {
		s.links.Unwatch(InstanceID{m.name, KindSentinel, si.name})
	}
}

// lookup finds the instance an observation is about.
func (s *Sentinel) lookup(id InstanceID) *instance {
	m := s.master(id.Master)
	if m == nil {
		return nil
	}
	switch id.Kind {
	case KindMaster:
		return m
	case KindReplica:
		for _, r := range m.replicas {
			if r.name == id.Name {
				return r
			}
		}
	case KindSentinel:
		for _, si := range m.sentinels {
			if si.name == id.Name {
				return si
			}
		}
	}
	return nil
}

// observe applies one observation (the "gather" step): the instance map keeps
// what SENTINEL MASTER/REPLICAS/SENTINELS show, and the failover machine gets
// the link state and INFO it decides SDOWN, ODOWN and the failover from.
func (s *Sentinel) observe(o Observation) {
	i := s.lookup(o.ID)
	if i == nil || (o.Event == link.EventInfo && i.kind == KindSentinel) {
		return
	}
	pong := false
	switch o.Event {
	case link.EventLinkUp, link.EventLinkDown:
		i.flags &^= FlagDisconnected
		if o.State.Disconnected(i.kind) {
			i.flags |= FlagDisconnected
		}
	case link.EventPingReply, link.EventPublish:
		switch {
		case o.Event == link.EventPingReply && o.OK: // +PONG, -LOADING, -MASTERDOWN
			i.lastReply = o.At
			pong = !strings.HasPrefix(o.Reply, "LOADING")
		case o.State.LastPong.Equal(o.At): // any other reply to a PING
			i.lastReply = o.At
		}
	case link.EventFence: // a renewal's reply is an available PING reply (link/fence.go)
		i.lastReply = o.At
	}
	i.pingSent, i.lastAvailable = o.State.ActPing, o.State.LastAvail
	switch {
	case o.Event == link.EventHello:
		s.processHello(o.Reply)
	case i.kind == KindSentinel:
		s.stepSentinels(i.master)
	case o.Event == link.EventInfo:
		s.applyInfo(i, o.Reply, &o.Info, o.At)
		s.stepInstance(i, &o.Info, false)
		s.processReady()
	default:
		s.stepInstance(i, nil, pong)
		s.processReady()
	}
}

// leaseEvent publishes +fenced-lease-expired when a master in fenced mode reports in
// INFO that its write lease expired (it refuses writes: too few sentinels renew it), and
// -fenced-lease-expired when it holds it again (Vigil's events; docs/safety.md).
func (s *Sentinel) leaseEvent(i *instance, text string) {
	if i.kind != KindMaster {
		return
	}
	expired := strings.Contains(text, "\nfenced_lease:expired")
	if expired == i.leaseExpired {
		return
	}
	i.leaseExpired = expired
	if expired {
		s.event(levelWarning, "+fenced-lease-expired", i, "%s", i.eventID())
	} else {
		s.event(levelWarning, "-fenced-lease-expired", i, "%s", i.eventID())
	}
}

// applyInfo records what SENTINEL MASTER/REPLICAS and INFO-CACHE show of an
// INFO reply (sentinelRefreshInstanceInfo's bookkeeping; the decisions are
// the machine's) and discovers a master's replicas.
func (s *Sentinel) applyInfo(i *instance, text string, in *failover.Info, now time.Time) {
	i.info, i.infoRefresh = text, now
	i.masterLinkDownTime = in.MasterLinkDownTime
	if in.RunID != "" {
		i.runID = in.RunID
	}
	role := i.roleReported
	switch in.Role {
	case failover.RoleMaster:
		role = KindMaster
		i.masterReplOffset = in.MasterReplOffset
		s.leaseEvent(i, text)
	case failover.RoleSlave:
		role = KindReplica
		i.masterHost, i.masterPort, i.masterLinkUp = in.MasterHost, in.MasterPort, in.MasterLinkUp
		if in.HasPriority {
			i.priority = in.Priority
		}
		i.replOffset, i.announced = in.ReplOffset, in.Announced
	}
	if role != i.roleReported {
		i.roleReported, i.roleReportedTime = role, now
	}
	if i.kind == KindMaster {
		for _, a := range in.Replicas {
			s.discoverReplica(i, a, now)
		}
	}
}

// discoverReplica handles a slave<n>: line of a master's INFO.
func (s *Sentinel) discoverReplica(m *instance, a Addr, now time.Time) {
	if a.Host == "" || m.findReplica(a) != nil {
		return
	}
	r := m.addReplica(a, now)
	s.stepInstance(r, nil, false) // the machine adds it and emits +slave
	s.processReady()
	s.watch(m)
}

// tick runs the timer: the machine decides TILT, SDOWN, ODOWN and the
// failover from the instances' current link state.
func (s *Sentinel) tick(now time.Time) {
	s.scripts.run(now)
	for _, m := range s.masters {
		s.stepInstance(m, nil, false)
		for _, r := range m.replicas {
			s.stepInstance(r, nil, false)
		}
		s.stepSentinels(m)
	}
	s.fo.Tick(now)
	s.processReady()
	for _, m := range s.masters {
		s.afterTick(m)
	}
}
