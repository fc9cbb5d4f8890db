package failover

import (
	"time"

	"github.com/vigil-db/vigil/election"
)

// Input is something stepped into the Machine: one of Observation,
// VoteRequest, VoteReply, Hello, Sentinels, Monitor, Remove, Reset,
// ManualFailover, Tilt.
type Input interface{ isInput() }

// Info is what the shell parsed from one INFO reply of an instance (§3.3).
type Info struct {
	RunID      string
	Role       Role
	MasterHost string // role slave: master_host
	MasterPort int    // role slave: master_port
	// MasterLinkUp is master_link_status:up.
	MasterLinkUp bool
	// MasterLinkDownTime is master_link_down_since_seconds × 1000, as Redis
	// parses it: 0 when the line is absent (link up), -1 s when the replica
	// says -1 (never connected since its REPLICAOF or its start).
	MasterLinkDownTime time.Duration
	// Priority is slave_priority (100 when absent on a replica) and
	// ReplOffset slave_repl_offset. An instance reporting role:master has
	// neither line: its previous values are kept, as in Redis.
	Priority   int
	ReplOffset int64
}

// Observation is the shell's current view of one instance of a master: the
// master itself when Addr is the master's current address, else one of its
// replicas (a replica seen for the first time is added, with +slave).
type Observation struct {
	Master string
	Addr   Addr
	// Disconnected: the command or pub/sub link is missing.
	Disconnected bool
	// LastOKPing is the time of the last valid PING reply (Redis
	// last_avail_time); zero if never.
	LastOKPing time.Time
	// SDown and ODown are the flags the shell computes (ODown: masters only).
	SDown, ODown bool
	// Info is set when this observation carries a fresh INFO reply, received
	// at the step's now; nil for link/flag updates only. Role changes and the
	// +convert-to-slave, +fix-slave-config, promotion and reconfiguration
	// progress decisions are taken when INFO arrives, as in Redis.
	Info *Info
}

// VoteRequest is SENTINEL IS-MASTER-DOWN-BY-ADDR received from a peer. The
// machine answers with a MsgVoteReply message carrying Ref.
type VoteRequest struct {
	Ref        uint64 // opaque, echoed in the reply
	From       string // asking sentinel's id if known ("" over RESP)
	MasterAddr Addr
	Request    election.Request
}

// VoteReply is a peer's reply to our MsgVoteRequest.
type VoteReply struct {
	From   string // the peer asked
	Master string
	Reply  election.Reply
}

// Hello is the configuration part of a peer's hello (§5.3): its current
// epoch and the master's address and config epoch as it knows them.
type Hello struct {
	From         string
	FromAddr     Addr // the peer's announced address, for +config-update-from
	Master       string
	CurrentEpoch uint64
	MasterAddr   Addr
	ConfigEpoch  uint64
}

// Peer is another sentinel monitoring a master.
type Peer struct {
	ID        string
	Connected bool // its command link is up: we can ask it
}

// Sentinels sets the other sentinels known for a master (voters = these + 1).
type Sentinels struct {
	Master string
	Peers  []Peer
}

// Monitor adds a master, or updates the options of a known one (SENTINEL
// MONITOR / SET); the address of a known master is not changed.
type Monitor struct{ Config MasterConfig }

// Remove stops monitoring a master (SENTINEL REMOVE).
type Remove struct{ Master string }

// Reset is SENTINEL RESET for one master: replicas and failover state are
// dropped, +reset-master is published.
type Reset struct{ Master string }

// ManualFailover is SENTINEL FAILOVER: start a forced failover, no agreement
// needed. Step returns ErrInProgress or ErrNoGoodReplica when Redis would
// refuse.
type ManualFailover struct{ Master string }

// Tilt enters or leaves TILT mode (the shell detects clock jumps). In TILT no
// failover starts or progresses, INFO does not drive decisions, and vote
// replies say the master is not down; votes are still given.
type Tilt struct{ On bool }

// SetTimers replaces the machine's timers (SENTINEL DEBUG); zero fields take
// Redis's defaults. Running timeouts are measured against the new values from
// the next Tick on.
type SetTimers struct{ Timers Timers }

func (Observation) isInput()    {}
func (VoteRequest) isInput()    {}
func (VoteReply) isInput()      {}
func (Hello) isInput()          {}
func (Sentinels) isInput()      {}
func (Monitor) isInput()        {}
func (Remove) isInput()         {}
func (Reset) isInput()          {}
func (ManualFailover) isInput() {}
func (Tilt) isInput()           {}
func (SetTimers) isInput()      {}
