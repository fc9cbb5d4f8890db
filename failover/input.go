package failover

import (
	"time"

	"github.com/vigil-db/vigil/election"
)

// Input is something stepped into the Machine: one of Observation,
// VoteRequest, VoteReply, Hello, Sentinels, Monitor, Remove, Reset,
// ManualFailover, SetTimers, Opinion.
type Input interface{ isInput() }

// Info is one INFO reply of a monitored instance, as Sentinel reads it
// (sentinelRefreshInstanceInfo, §3.3). sentinel/link parses it; the machine
// takes its decisions from it.
type Info struct {
	// RunID is the 40 characters after run_id: ("" when the line is shorter:
	// the previous run id is kept).
	RunID string
	Role  Role
	// Replicas are the addresses of a master's slave<N>: lines, old
	// (ip,port,state) and new (ip=…,port=…) formats alike.
	Replicas []Addr
	// MasterHost and MasterPort are the upstream a replica reports.
	MasterHost string
	MasterPort int
	// MasterLinkUp is master_link_status:up (case-insensitive, the whole
	// value, as Redis's strcasecmp).
	MasterLinkUp bool
	// MasterLinkDownTime is master_link_down_since_seconds × 1000, as Redis
	// parses it: 0 when the line is absent (link up), -1 s when the replica
	// says -1 (never connected since its REPLICAOF or its start).
	MasterLinkDownTime time.Duration
	// Priority is slave_priority when HasPriority; without the line the
	// previous priority is kept (a new replica starts at 100), as in Redis.
	Priority    int
	HasPriority bool
	// ReplOffset is slave_repl_offset. An instance reporting role:master has
	// no offset: its previous value is kept, as in Redis.
	ReplOffset int64
	// MasterReplOffset is master_repl_offset, read from an instance reporting
	// role:master (the HTTP endpoint shows it; no decision uses it).
	MasterReplOffset int64
	// Announced is replica_announced (true when absent); false hides the
	// replica from SENTINEL REPLICAS.
	Announced bool
	// Fencing is a master's fenced mode (Vigil's fenced_mode and
	// fenced_replicas fields; docs/safety.md).
	Fencing Fencing
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
	// last_avail_time); zero keeps the previous value (an instance counts as
	// available when first seen).
	LastOKPing time.Time
	// PingSent is when the oldest unanswered PING was sent (Redis
	// act_ping_time), zero when none is pending.
	PingSent time.Time
	// Pong reports a +PONG reply (not -LOADING): it ends a reboot (the
	// master-reboot-down-after-period rule).
	Pong bool
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

// Peer is another sentinel monitoring a master, and our link to it.
type Peer struct {
	ID        string
	Connected bool // its command link is up: we can ask it
	// Addr is its announced address (for its events' `%@`).
	Addr Addr
	// PingSent and LastOKPing are as in Observation; they decide its SDOWN.
	PingSent, LastOKPing time.Time
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
func (SetTimers) isInput()      {}
