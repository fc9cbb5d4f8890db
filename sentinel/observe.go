package sentinel

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/failover"
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

// observe applies one observation (the "gather" step).
func (s *Sentinel) observe(o Observation) {
	i := s.lookup(o.ID)
	if i == nil {
		return
	}
	switch o.Type {
	case ObsConnected, ObsDisconnected:
		was := i.flags & FlagDisconnected
		i.flags &^= FlagDisconnected
		if o.Type == ObsDisconnected {
			i.flags |= FlagDisconnected
		}
		if was != i.flags&FlagDisconnected {
			s.stepLinkChange(i)
		}
	case ObsPingSent:
		if i.pingSent.IsZero() {
			i.pingSent = o.At
		}
	case ObsPong:
		i.lastReply, i.lastAvailable, i.pingSent = o.At, o.At, time.Time{}
		if !o.Loading {
			i.rebootSince = time.Time{}
		}
	case ObsReply:
		if o.Link == nil || o.Link.LastPong.Equal(o.At) {
			i.lastReply = o.At
		}
	case ObsInfo:
		if i.kind == KindSentinel {
			return
		}
		s.applyInfo(i, o.Text, o.At)
		if !s.tilt {
			s.stepInstance(i, foInfo(o.Text))
			s.processReady()
		}
	case ObsHello:
		s.processHello(o.Text)
	}
	if o.Link != nil {
		i.pingSent, i.lastAvailable = o.Link.ActPing, o.Link.LastAvail
	}
}

// stepLinkChange tells the machine that an instance's link went up or down.
func (s *Sentinel) stepLinkChange(i *instance) {
	if i.kind == KindSentinel {
		s.stepSentinels(i.master)
		return
	}
	s.stepInstance(i, nil)
	s.processReady()
}

// applyInfo records the INFO fields Sentinel uses (spec §3.3) and discovers replicas.
func (s *Sentinel) applyInfo(i *instance, info string, now time.Time) {
	i.info, i.infoRefresh = info, now
	i.masterLinkDownTime = 0
	role := i.roleReported
	for _, line := range strings.Split(info, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case k == "run_id" && len(line) >= 47:
			if i.runID != "" && i.runID != v {
				s.event(levelNotice, "+reboot", i, "%s", i.eventID())
				if i.kind == KindMaster && i.conf.RebootDownAfter > 0 {
					i.rebootSince = now
				}
			}
			i.runID = v
		case k == "role":
			if v == "master" {
				role = KindMaster
			} else if v == "slave" {
				role = KindReplica
			}
		case k == "master_link_down_since_seconds":
			n, _ := strconv.ParseInt(v, 10, 64)
			i.masterLinkDownTime = time.Duration(n) * time.Second
		case k == "master_host":
			i.masterHost = v
		case k == "master_port":
			i.masterPort, _ = strconv.Atoi(v)
		case k == "master_link_status":
			i.masterLinkUp = v == "up"
		case k == "slave_priority":
			i.priority, _ = strconv.Atoi(v)
		case k == "slave_repl_offset":
			i.replOffset, _ = strconv.ParseInt(v, 10, 64)
		case k == "replica_announced":
			i.announced = v != "0"
		case i.kind == KindMaster && strings.HasPrefix(k, "slave") && len(k) > 5 && k[5] >= '0' && k[5] <= '9':
			s.discoverReplica(i, v, now)
		}
	}
	if role != i.roleReported {
		i.roleReported, i.roleReportedTime = role, now
	}
}

// discoverReplica handles a slave<n>: line of a master's INFO.
func (s *Sentinel) discoverReplica(m *instance, v string, now time.Time) {
	var a Addr
	if strings.Contains(v, "=") {
		for _, f := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(f, "=")
			switch k {
			case "ip":
				a.Host = val
			case "port":
				a.Port, _ = strconv.Atoi(val)
			}
		}
	} else if parts := strings.Split(v, ","); len(parts) >= 2 {
		a.Host = parts[0]
		a.Port, _ = strconv.Atoi(parts[1])
	}
	if a.Host == "" || m.findReplica(a) != nil {
		return
	}
	r := m.addReplica(a, now)
	s.stepInstance(r, nil) // the machine adds it and emits +slave
	s.processReady()
	s.watch(m)
}

// tick runs the timer: TILT detection, then SDOWN for every instance.
func (s *Sentinel) tick(now time.Time) {
	wasTilt := s.tilt
	s.checkTilt(now)
	if s.tilt != wasTilt {
		_ = s.fo.Step(now, failover.Tilt{On: s.tilt})
	}
	s.scripts.run(now)
	if !s.tilt {
		for _, m := range s.masters {
			s.checkSDown(m, now)
			s.checkODown(m, now)
			for _, r := range m.replicas {
				s.checkSDown(r, now)
			}
			for _, si := range m.sentinels {
				s.checkSDown(si, now)
			}
		}
	}
	for _, m := range s.masters {
		s.stepInstance(m, nil)
		for _, r := range m.replicas {
			s.stepInstance(r, nil)
		}
	}
	s.fo.Tick(now)
	s.processReady()
	for _, m := range s.masters {
		s.syncStatus(m)
	}
}

// checkTilt is sentinelCheckTiltCondition plus the exit after tilt-period.
func (s *Sentinel) checkTilt(now time.Time) {
	delta := now.Sub(s.prevTick)
	s.prevTick = now
	if delta < 0 || delta > s.timers.TiltTrigger {
		s.tiltSince = now
		if !s.tilt {
			s.tilt = true
			s.event(levelWarning, "+tilt", nil, "#tilt mode entered")
		}
		return
	}
	if s.tilt && now.Sub(s.tiltSince) > s.timers.TiltPeriod {
		s.tilt = false
		s.event(levelWarning, "-tilt", nil, "#tilt mode exited")
	}
}

// sdown is the pure SDOWN rule of spec §5.4 for one instance.
func sdown(i *instance, now time.Time, infoPeriod time.Duration) bool {
	// Redis takes now − act_ping_time when a PING is pending, else (when
	// disconnected) now − last_avail_time. A go-redis connection whose peer
	// died is only noticed when a PING is written on it, which would restart
	// act_ping_time after the pub/sub link already saw the death: take the
	// larger of the two when disconnected, so SDOWN does not flap.
	var elapsed time.Duration
	if !i.pingSent.IsZero() {
		elapsed = now.Sub(i.pingSent)
	}
	if i.flags&FlagDisconnected != 0 {
		elapsed = max(elapsed, now.Sub(i.lastAvailable))
	}
	if elapsed > i.downAfter() {
		return true
	}
	if i.kind == KindMaster && i.roleReported == KindReplica &&
		now.Sub(i.roleReportedTime) > i.downAfter()+2*infoPeriod {
		return true
	}
	if i.kind == KindMaster && !i.rebootSince.IsZero() && i.conf.RebootDownAfter > 0 &&
		now.Sub(i.rebootSince) > i.conf.RebootDownAfter {
		return true
	}
	return false
}

func (s *Sentinel) checkSDown(i *instance, now time.Time) {
	down := sdown(i, now, s.timers.InfoPeriod)
	switch {
	case down && i.flags&FlagSDown == 0:
		i.flags |= FlagSDown
		i.sdownSince = now
		s.event(levelWarning, "+sdown", i, "%s", i.eventID())
	case !down && i.flags&FlagSDown != 0:
		i.flags &^= FlagSDown | FlagScriptKillSent
		s.event(levelWarning, "-sdown", i, "%s", i.eventID())
	}
}
