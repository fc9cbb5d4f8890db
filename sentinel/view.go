package sentinel

import (
	"time"

	"github.com/vigil-db/vigil/failover"
)

// The instance map holds what the shell gathers (addresses, run ids, link
// times, INFO fields, the link's disconnected flag); what the failover
// machine decides (SDOWN, ODOWN, master_down, the failover state and the
// replicas' promotion and reconfiguration, the peers' votes, epochs) is
// read from it when shown, never copied into the map.

// decided is the machine's part of one instance, as the SENTINEL commands,
// INFO and the Go API show it.
type decided struct {
	flags                  Flags // s_down, o_down, master_down, failover and reconfiguration flags
	sdownSince, odownSince time.Time
	failState              string // failover-state, "" when none
	configEpoch            uint64 // masters
	leader                 string // sentinels: voted-leader ("" none)
	leaderEpoch            uint64
}

// masterView is the machine's view of one master and of what is under it.
type masterView struct {
	st       failover.Status
	replicas map[Addr]failover.ReplicaStatus
	peers    map[string]failover.PeerStatus
}

// view reads the machine's view of m (loop goroutine only).
func (s *Sentinel) view(m *instance) masterView {
	st, _ := s.fo.Status(m.name)
	v := masterView{st: st, replicas: map[Addr]failover.ReplicaStatus{}, peers: map[string]failover.PeerStatus{}}
	for _, rs := range st.Replicas {
		v.replicas[rs.Addr] = rs
	}
	for _, p := range s.fo.Peers(m.name) {
		v.peers[p.ID] = p
	}
	return v
}

// of returns the machine's part of i, an instance of the viewed master.
func (v masterView) of(i *instance) decided {
	var d decided
	switch i.kind {
	case KindMaster:
		st := v.st
		d.flags = flagIf(st.SDown, FlagSDown) | flagIf(st.ODown, FlagODown) |
			flagIf(st.InProgress(), FlagFailoverInProgress) | flagIf(st.Forced, FlagForceFailover)
		d.sdownSince, d.odownSince, d.configEpoch = st.SDownSince, st.ODownSince, st.ConfigEpoch
		if st.InProgress() {
			d.failState = st.State.String()
		}
	case KindReplica:
		rs := v.replicas[i.addr]
		d.flags = flagIf(rs.SDown, FlagSDown) | flagIf(rs.Promoted, FlagPromoted) |
			flagIf(rs.ReconfSent, FlagReconfSent) | flagIf(rs.ReconfInprog, FlagReconfInprog) |
			flagIf(rs.ReconfDone, FlagReconfDone)
		d.sdownSince = rs.SDownSince
	case KindSentinel:
		p := v.peers[i.runID]
		d.flags = flagIf(p.SDown, FlagSDown) | flagIf(p.Down, FlagMasterDown)
		d.sdownSince, d.leader, d.leaderEpoch = p.SDownSince, p.Vote.Leader, p.Vote.Epoch
	}
	return d
}

func flagIf(b bool, f Flags) Flags {
	if b {
		return f
	}
	return 0
}
