package sentinel

import (
	"strings"

	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/sentinel/link"
)

// processHello is sentinelProcessHelloMessage (spec §5.3), for hellos read on
// the links' pub/sub connections and those PUBLISHed to the endpoint.
// Payload: ip,port,runid,current_epoch,master,master_ip,master_port,config_epoch.
// New sentinels are added (+sentinel); the epoch and master configuration go
// to the failover machine, which switches the master when the hello carries a
// newer config epoch (+config-update-from, +switch-master).
func (s *Sentinel) processHello(payload string) {
	h, err := link.ParseHello(payload)
	if err != nil || strings.Contains(payload, s.cfg.MyID) {
		return
	}
	m := s.master(h.MasterName)
	if m == nil {
		return
	}
	now := s.now()
	addr := Addr{Host: h.IP, Port: h.Port}
	var si *instance
	for _, o := range m.sentinels {
		if o.runID == h.RunID {
			si = o
		}
	}
	switch {
	case si == nil:
		s.dropSentinelAt(m, addr)
		si = m.addSentinel(KnownSentinel{Addr: addr, RunID: h.RunID}, now)
		s.event(levelNotice, "+sentinel", si, "%s", si.eventID())
		_ = s.flush()
		s.watch(m)
		s.stepSentinels(m)
	case si.addr != addr:
		si.addr = addr
		_ = s.flush()
		s.watch(m)
	}
	si.lastHello = now
	_ = s.step(failover.Hello{From: h.RunID, FromAddr: addr, Master: m.name, CurrentEpoch: h.CurrentEpoch,
		MasterAddr: Addr{Host: h.MasterIP, Port: h.MasterPort}, ConfigEpoch: h.ConfigEpoch})
}

// dropSentinelAt removes a sentinel known at addr under another run ID (it
// restarted with a new ID), as Redis does before adding the new one.
func (s *Sentinel) dropSentinelAt(m *instance, addr Addr) {
	for i, o := range m.sentinels {
		if o.addr == addr {
			if s.links != nil {
				s.links.Unwatch(InstanceID{m.name, KindSentinel, o.name})
			}
			m.sentinels = append(m.sentinels[:i], m.sentinels[i+1:]...)
			return
		}
	}
}
