package failover

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/election"
)

// Addr is an instance address as Sentinel knows it (ip or hostname, port).
type Addr struct {
	Host string
	Port int
}

// String returns "host:port" ("[host]:port" for IPv6), Redis's replica name.
func (a Addr) String() string {
	if strings.Contains(a.Host, ":") {
		return "[" + a.Host + "]:" + strconv.Itoa(a.Port)
	}
	return a.Host + ":" + strconv.Itoa(a.Port)
}

// IsZero reports whether the address is unset.
func (a Addr) IsZero() bool { return a.Host == "" && a.Port == 0 }

// Role is the role an instance reports in INFO.
type Role int

// Roles reported in INFO (role:master / role:slave).
const (
	RoleUnknown Role = iota
	RoleMaster
	RoleSlave
)

// String returns Redis's word for the role.
func (r Role) String() string {
	switch r {
	case RoleMaster:
		return "master"
	case RoleSlave:
		return "slave"
	}
	return "unknown"
}

// Kind is the kind of instance an event describes.
type Kind int

// Instance kinds, printed as Redis's type word.
const (
	KindMaster Kind = iota
	KindReplica
	KindSentinel
)

// String returns "master", "slave" or "sentinel".
func (k Kind) String() string {
	switch k {
	case KindReplica:
		return "slave"
	case KindSentinel:
		return "sentinel"
	}
	return "master"
}

// Instance describes the instance of an event, enough to print Redis's `%@`:
// "<type> <name> <ip> <port>" and, for replicas and sentinels,
// " @ <master> <master ip> <master port>".
type Instance struct {
	Kind       Kind
	Name       string // master name, "ip:port" of a replica, run id of a sentinel
	Addr       Addr
	MasterName string // replicas and sentinels only
	MasterAddr Addr   // replicas and sentinels only
}

// String formats the instance as Redis's `%@`.
func (i Instance) String() string {
	s := i.Kind.String() + " " + i.Name + " " + i.Addr.Host + " " + strconv.Itoa(i.Addr.Port)
	if i.Kind != KindMaster {
		s += " @ " + i.MasterName + " " + i.MasterAddr.Host + " " + strconv.Itoa(i.MasterAddr.Port)
	}
	return s
}

// Level is the log level of an event in Redis: warning events are published
// and run the notification script, notice and verbose ones are published.
type Level int

// Event levels.
const (
	LevelWarning Level = iota
	LevelNotice
	LevelVerbose
)

// String returns the level name.
func (l Level) String() string {
	switch l {
	case LevelNotice:
		return "notice"
	case LevelVerbose:
		return "verbose"
	}
	return "warning"
}

// Event is one Sentinel event to publish on the channel named Name. The
// message is Instance's `%@` followed by " "+Args when Instance is set, else
// Args alone (+new-epoch, +vote-for-leader, +switch-master).
type Event struct {
	Name     string
	Level    Level
	Master   string    // the master the event concerns (for its notification script)
	Instance *Instance // nil when the message has no `%@`
	Args     string
}

// Message returns the published message, exactly as Redis formats it.
func (e Event) Message() string {
	if e.Instance == nil {
		return e.Args
	}
	if e.Args == "" {
		return e.Instance.String()
	}
	return e.Instance.String() + " " + e.Args
}

// CommandKind says what a Command asks of an instance.
type CommandKind int

// Command kinds.
const (
	// PromoteNoOne: SLAVEOF NO ONE.
	PromoteNoOne CommandKind = iota
	// ReplicaOf: SLAVEOF <ReplicaOf.Host> <ReplicaOf.Port>.
	ReplicaOf
)

// String names the command kind.
func (k CommandKind) String() string {
	if k == PromoteNoOne {
		return "slaveof-no-one"
	}
	return "slaveof"
}

// Command is a Redis command to issue to an instance. The shell sends it as
// Redis Sentinel does: MULTI, SLAVEOF …, CONFIG REWRITE, CLIENT KILL TYPE
// normal, CLIENT KILL TYPE pubsub, EXEC (names mapped through the master's
// rename-command), and ignores the replies.
type Command struct {
	Master    string // master name (for credentials and renamed commands)
	Target    Addr   // instance to send to
	Kind      CommandKind
	ReplicaOf Addr // new upstream when Kind is ReplicaOf
}

// MessageType is the type of a message between sentinels.
type MessageType int

// Message types.
const (
	// MsgVoteRequest is SENTINEL IS-MASTER-DOWN-BY-ADDR sent to a peer.
	MsgVoteRequest MessageType = iota
	// MsgVoteReply is the reply to a VoteRequest we received.
	MsgVoteReply
)

// String names the message type.
func (t MessageType) String() string {
	if t == MsgVoteRequest {
		return "vote-request"
	}
	return "vote-reply"
}

// Message is a message to another sentinel, transport-agnostic (RESP
// IS-MASTER-DOWN-BY-ADDR or the gossip mesh).
type Message struct {
	Type MessageType
	// To is the peer's run id: the sentinel asked (requests), or the From of
	// the VoteRequest answered (replies; may be "" over RESP).
	To string
	// Ref is, for replies, the Ref of the VoteRequest answered.
	Ref uint64
	// Master and MasterAddr name the master; the request on the wire carries
	// MasterAddr.
	Master     string
	MasterAddr Addr
	// Request is the question (MsgVoteRequest): our current epoch and our run
	// id, or "*" when we are not in a failover for this master.
	Request election.Request
	// Reply is the answer (MsgVoteReply).
	Reply election.Reply
}

// Switch tells the shell that a master changed address (end of failover, or
// newer configuration from a peer): drop every link of the master, then
// watch Replicas (already announced with +slave events) under the new
// address.
type Switch struct {
	Master   string
	From, To Addr
	Replicas []Addr
}

// MasterHardState is what must survive a restart for one master (Redis's
// `sentinel monitor` address, `config-epoch`, `leader-epoch`,
// `known-replica`).
type MasterHardState struct {
	Addr        Addr
	ConfigEpoch uint64
	Vote        election.Vote // Vote.Epoch is `leader-epoch`
	Replicas    []Addr        // known replicas, sorted
}

// HardState is the sentinel state to persist: `current-epoch` and the
// per-master state.
type HardState struct {
	CurrentEpoch uint64
	Masters      map[string]MasterHardState
}

// Ready is a batch of output. The shell MUST handle it in this order:
//  1. if HardState is not nil, persist it (config rewrite + fsync); on
//     failure, send nothing of this batch;
//  2. send Messages and issue Commands;
//  3. publish Events, apply Switches;
//  4. call Advance.
//
// Persisting first guarantees that a vote or an epoch a peer has seen, and
// the config epoch of a promotion, survive a crash: a restarted sentinel can
// never vote twice in one epoch nor go back to an old master.
type Ready struct {
	HardState *HardState
	Messages  []Message
	Commands  []Command
	Events    []Event
	Switches  []Switch
}

// Empty reports whether the batch has nothing to do.
func (rd Ready) Empty() bool {
	return rd.HardState == nil && len(rd.Messages) == 0 && len(rd.Commands) == 0 &&
		len(rd.Events) == 0 && len(rd.Switches) == 0
}

// Timers are Sentinel's periods and timeouts (SENTINEL DEBUG names in
// brackets). Zero fields take Redis 7.0's defaults.
type Timers struct {
	PingPeriod         time.Duration // [ping-period] 1s
	InfoPeriod         time.Duration // [info-period] 10s
	AskPeriod          time.Duration // [ask-period] 1s
	PublishPeriod      time.Duration // [publish-period] 2s
	SlaveReconfTimeout time.Duration // [slave-reconf-timeout] 10s
	ElectionTimeout    time.Duration // [election-timeout] 10s
	TiltTrigger        time.Duration // [tilt-trigger] 2s: a longer gap between ticks enters TILT
	TiltPeriod         time.Duration // [tilt-period] 30s: how long TILT lasts
}

// DefaultTimers returns Redis 7.0's defaults.
func DefaultTimers() Timers {
	return Timers{
		PingPeriod:         time.Second,
		InfoPeriod:         10 * time.Second,
		AskPeriod:          election.DefaultAskPeriod,
		PublishPeriod:      2 * time.Second,
		SlaveReconfTimeout: 10 * time.Second,
		ElectionTimeout:    election.DefaultElectionTimeout,
		TiltTrigger:        2 * time.Second,
		TiltPeriod:         30 * time.Second,
	}
}

func (t Timers) withDefaults() Timers {
	d := DefaultTimers()
	pick := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	return Timers{
		PingPeriod:         pick(t.PingPeriod, d.PingPeriod),
		InfoPeriod:         pick(t.InfoPeriod, d.InfoPeriod),
		AskPeriod:          pick(t.AskPeriod, d.AskPeriod),
		PublishPeriod:      pick(t.PublishPeriod, d.PublishPeriod),
		SlaveReconfTimeout: pick(t.SlaveReconfTimeout, d.SlaveReconfTimeout),
		ElectionTimeout:    pick(t.ElectionTimeout, d.ElectionTimeout),
		TiltTrigger:        pick(t.TiltTrigger, d.TiltTrigger),
		TiltPeriod:         pick(t.TiltPeriod, d.TiltPeriod),
	}
}

// MasterConfig is the configuration of one monitored master.
type MasterConfig struct {
	Name            string
	Addr            Addr
	Quorum          int           // sentinel monitor … <quorum>, ≥ 1
	DownAfter       time.Duration // down-after-milliseconds, default 30s
	FailoverTimeout time.Duration // failover-timeout, default 180s
	ParallelSyncs   int           // parallel-syncs, default 1
	// RebootDownAfter is master-reboot-down-after-period: a master whose run
	// id changed is SDOWN when no PONG came for this long; 0 disables.
	RebootDownAfter time.Duration
}

// Defaults of the per-master options.
const (
	DefaultDownAfter       = 30 * time.Second
	DefaultFailoverTimeout = 180 * time.Second
	DefaultParallelSyncs   = 1
)
