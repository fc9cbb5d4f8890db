package failover

import (
	"time"

	"github.com/vigil-db/vigil/election"
)

// ReplicaStatus is the machine's view of one replica, for SENTINEL
// REPLICAS flags and the config file.
type ReplicaStatus struct {
	Addr Addr
	// SDown is the replica's SDOWN, since SDownSince.
	SDown                                          bool
	SDownSince                                     time.Time
	Promoted, ReconfSent, ReconfInprog, ReconfDone bool
	// Synced: has completed a sync since attached to its master (Vigil's
	// promotion rule; see Candidate.Synced).
	Synced bool
}

// Status is the machine's view of one master, for SENTINEL MASTER and
// INFO: failover flags and state, epochs, our vote.
type Status struct {
	Name          string
	Addr          Addr
	ConfigEpoch   uint64
	State         State // StateNone when no failover is in progress
	FailoverEpoch uint64
	Forced        bool      // force_failover flag
	StartTime     time.Time // failover_start_time (zero: never)
	ChangeTime    time.Time // failover_state_change_time
	Promoted      *Addr     // promoted replica during a failover
	Vote          election.Vote
	// AbortedUnpromoted is the epoch of the last failover we led, elected by a majority
	// and not forced, that was aborted in select_slave: no replica was promoted in that
	// epoch, by us or anyone (0: none). Fenced mode's lease renewal uses it.
	AbortedUnpromoted uint64
	// SDown and ODown are the master's flags, since SDownSince and
	// ODownSince.
	SDown, ODown           bool
	SDownSince, ODownSince time.Time
	Replicas               []ReplicaStatus
}

// InProgress reports the failover_in_progress flag.
func (s Status) InProgress() bool { return s.State != StateNone }

// Status returns the view of a master.
func (m *Machine) Status(name string) (Status, bool) {
	ms := m.masters[name]
	if ms == nil {
		return Status{}, false
	}
	st := Status{
		Name: name, Addr: ms.addr, ConfigEpoch: ms.configEpoch, State: ms.state,
		FailoverEpoch: ms.failoverEpoch, Forced: ms.forced,
		StartTime: ms.startTime, ChangeTime: ms.changeTime, Vote: m.el.Vote(name), AbortedUnpromoted: ms.abortedUnpromoted,
		SDown: ms.inst.sdown, ODown: ms.inst.odown, SDownSince: ms.inst.sdownSince, ODownSince: ms.inst.odownSince,
	}
	if ms.promoted != nil {
		a := ms.promoted.addr
		st.Promoted = &a
	}
	for _, r := range ms.sortedReplicas() {
		st.Replicas = append(st.Replicas, ReplicaStatus{
			Addr: r.addr, SDown: r.sdown, SDownSince: r.sdownSince, Promoted: r.promoted, ReconfSent: r.reconfSent,
			ReconfInprog: r.reconfInprog, ReconfDone: r.reconfDone, Synced: r.synced,
		})
	}
	return st, true
}

// PeerStatus is what we know of another sentinel for one master, for
// SENTINEL SENTINELS (`master_down` flag, `voted-leader`,
// `voted-leader-epoch`).
type PeerStatus struct {
	ID        string
	Connected bool
	// Down is the down flag of its last IS-MASTER-DOWN-BY-ADDR reply
	// (forgotten after 5 × ask-period).
	Down bool
	// Vote is the vote of its last reply that carried one (Leader "" when
	// none or forgotten).
	Vote      election.Vote
	LastReply time.Time
	// SDown is the peer's SDOWN (our link to it), since SDownSince.
	SDown      bool
	SDownSince time.Time
}

// Peers returns the other sentinels known for a master, sorted by id.
func (m *Machine) Peers(name string) []PeerStatus {
	ms := m.masters[name]
	if ms == nil {
		return nil
	}
	var out []PeerStatus
	for _, id := range m.el.Peers(name) {
		ps := PeerStatus{ID: id, Down: m.el.PeerDown(name, id),
			Vote: m.el.PeerVote(name, id), LastReply: m.el.LastReply(name, id)}
		if p := ms.peers[id]; p != nil {
			ps.Connected, ps.SDown, ps.SDownSince = p.connected, p.sdown, p.sdownSince
		}
		out = append(out, ps)
	}
	return out
}
