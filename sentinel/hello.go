package sentinel

import (
	"strconv"
	"strings"
	"time"
)

// processHello is sentinelProcessHelloMessage for hellos that reach the
// endpoint by PUBLISH (spec §5.3); links report the others as ObsHello.
// Payload: ip,port,runid,current_epoch,master,master_ip,master_port,config_epoch.
func (s *Sentinel) processHello(payload string) {
	f := strings.Split(payload, ",")
	if len(f) != 8 || strings.Contains(payload, s.cfg.MyID) {
		return
	}
	m := s.master(f[4])
	if m == nil {
		return
	}
	port, _ := strconv.Atoi(f[1])
	epoch, _ := strconv.ParseUint(f[3], 10, 64)
	now := s.now()
	var si *instance
	for _, o := range m.sentinels {
		if o.runID == f[2] {
			si = o
		}
	}
	if si == nil {
		si = m.addSentinel(KnownSentinel{Addr: Addr{f[0], port}, RunID: f[2]}, now)
		s.event(levelNotice, "+sentinel", si, "%s", si.eventID())
		_ = s.flush()
		s.watch(m)
	} else if si.addr != (Addr{f[0], port}) {
		si.addr = Addr{f[0], port}
		_ = s.flush()
	}
	if epoch > s.cfg.CurrentEpoch {
		s.cfg.CurrentEpoch = epoch
		_ = s.flush()
		s.event(levelWarning, "+new-epoch", nil, "%d", epoch)
	}
	si.lastHello = now
	s.adoptConfig(m, si, f[5], f[6], f[7])
}

// adoptConfig switches the master to a newer configuration announced by a peer.
func (s *Sentinel) adoptConfig(m *instance, from *instance, ip, portText, epochText string) {
	cepoch, _ := strconv.ParseUint(epochText, 10, 64)
	if cepoch <= m.conf.ConfigEpoch {
		return
	}
	port, _ := strconv.Atoi(portText)
	m.conf.ConfigEpoch = cepoch
	newAddr := Addr{ip, port}
	if newAddr == m.addr {
		_ = s.flush()
		return
	}
	old := m.addr
	s.event(levelWarning, "+config-update-from", from, "%s", from.eventID())
	s.event(levelWarning, "+switch-master", m, "%s %s %d %s %d", m.name, old.Host, old.Port, ip, port)
	s.switchAddr(m, newAddr)
	if m.conf.ClientReconfigScript != "" {
		s.scripts.schedule([]string{m.conf.ClientReconfigScript, m.name, "observer", "start",
			old.Host, strconv.Itoa(old.Port), ip, strconv.Itoa(port)}, s.now())
	}
}

// switchAddr is sentinelResetMasterAndChangeAddress (spec §5.8).
func (s *Sentinel) switchAddr(m *instance, a Addr) {
	var keep []Addr
	for _, r := range m.replicas {
		if r.addr != a {
			keep = append(keep, r.addr)
		}
	}
	if m.addr != a {
		keep = append(keep, m.addr)
	}
	s.unwatch(m)
	sentinels := m.sentinels
	m.replicas = nil
	m.flags &= FlagMaster | FlagDisconnected
	m.failState, m.promotedTo, m.leader, m.runID = "", nil, "", ""
	m.failStart = time.Time{}
	m.addr = a
	m.sentinels = sentinels
	now := s.now()
	for _, r := range keep {
		ri := m.addReplica(r, now)
		s.event(levelNotice, "+slave", ri, "%s", ri.eventID())
	}
	_ = s.flush()
	s.watch(m)
}
