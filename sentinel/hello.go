package sentinel

import (
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/failover"
)

// processHello is sentinelProcessHelloMessage (spec §5.3), for hellos read on
// the links' pub/sub connections and those PUBLISHed to the endpoint.
// Payload: ip,port,runid,current_epoch,master,master_ip,master_port,config_epoch.
// New sentinels are added (+sentinel); the epoch and master configuration go
// to the failover machine, which switches the master when the hello carries a
// newer config epoch (+config-update-from, +switch-master).
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
	mport, _ := strconv.Atoi(f[6])
	cepoch, _ := strconv.ParseUint(f[7], 10, 64)
	now := s.now()
	addr := Addr{f[0], port}
	var si *instance
	for _, o := range m.sentinels {
		if o.runID == f[2] {
			si = o
		}
	}
	switch {
	case si == nil:
		s.dropSentinelAt(m, addr)
		si = m.addSentinel(KnownSentinel{Addr: addr, RunID: f[2]}, now)
		s.event(levelNotice, "+sentinel", si, "%s", si.eventID())
		s.meshJoinPeer(addr)
		_ = s.flush()
		s.watch(m)
		s.stepSentinels(m)
	case si.addr != addr:
		si.addr = addr
		_ = s.flush()
		s.watch(m)
	}
	si.lastHello = now
	_ = s.step(failover.Hello{From: f[2], FromAddr: failover.Addr{Host: f[0], Port: port}, Master: m.name,
		CurrentEpoch: epoch, MasterAddr: failover.Addr{Host: f[5], Port: mport}, ConfigEpoch: cepoch})
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
