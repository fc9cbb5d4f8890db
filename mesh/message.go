package mesh

// kind is the one-byte type that starts every message on the wire.
type kind uint8

// Message kinds. The values are part of the wire format: never renumber them.
const (
	kindOpinion     kind = 1
	kindConfig      kind = 2
	kindVoteRequest kind = 3
	kindVoteReply   kind = 4
	kindLeave       kind = 5 // graceful-leave intent, no body
	kindState       kind = 6 // push/pull full state, a list of nested messages
)

// String names the kind for logs.
func (k kind) String() string {
	switch k {
	case kindOpinion:
		return "opinion"
	case kindConfig:
		return "master-config"
	case kindVoteRequest:
		return "vote-request"
	case kindVoteReply:
		return "vote-reply"
	case kindLeave:
		return "leave"
	case kindState:
		return "state"
	}
	return "unknown"
}

// Payload is the content of a Message: one of Opinion, MasterConfig, VoteRequest,
// VoteReply or MemberEvent. The set is closed; consumers type-switch on it.
type Payload interface {
	kind() kind
}

// Message is what the mesh delivers on Incoming.
type Message struct {
	// From is the myid of the sentinel the payload originates from (for relayed
	// opinions and configs: the origin, not the relay). For a MemberEvent it is the
	// member's myid.
	From string
	// Payload is the typed content.
	Payload Payload
}

// Opinion is one sentinel's view of one instance: subjectively down or not, as of Time.
// It is gossiped to every member and relayed epidemically; for each (origin, Master,
// Addr) only the newest (by the origin's Lamport clock) is delivered.
type Opinion struct {
	// Master is the name of the monitored master the instance belongs to.
	Master string
	// Addr is the instance address, "ip:port" (the master itself or one of its replicas).
	Addr string
	// Down is true when the origin holds the instance subjectively down (SDOWN).
	Down bool
	// Time is when the origin formed this opinion, in Unix milliseconds.
	Time int64
}

// MasterConfig is the configuration of a master as a sentinel knows it. The highest
// Epoch wins: a config whose epoch is not newer than the one already known is dropped.
// Configs are also exchanged in push/pull, so a rejoining sentinel catches up.
type MasterConfig struct {
	// Master is the master name.
	Master string
	// Addr is the master address, "ip:port".
	Addr string
	// Epoch is the config epoch that produced this address.
	Epoch uint64
}

// VoteRequest asks one sentinel for its vote for Candidate as leader of the failover of
// Master in Epoch (Redis's SENTINEL IS-MASTER-DOWN-BY-ADDR with a run ID). Sent directly.
type VoteRequest struct {
	// Master is the master name.
	Master string
	// Epoch is the candidate's current epoch.
	Epoch uint64
	// Candidate is the myid of the sentinel asking for the vote.
	Candidate string
}

// VoteReply answers a VoteRequest: the leader this sentinel voted for in LeaderEpoch.
// Sent directly.
type VoteReply struct {
	// Master is the master name.
	Master string
	// LeaderID is the myid voted for ("" or "*" when no vote was given).
	LeaderID string
	// LeaderEpoch is the epoch of that vote.
	LeaderEpoch uint64
}

// EventType says what happened to a member.
type EventType uint8

// Member event types.
const (
	// MemberJoin: a sentinel joined (or came back after it had left or failed).
	MemberJoin EventType = iota + 1
	// MemberUpdate: a member's meta changed (e.g. its current epoch).
	MemberUpdate
	// MemberLeave: a member left gracefully (it announced it with Leave).
	MemberLeave
	// MemberFail: a member is gone without announcing it (crash or partition).
	MemberFail
)

// String names the event type.
func (e EventType) String() string {
	switch e {
	case MemberJoin:
		return "join"
	case MemberUpdate:
		return "update"
	case MemberLeave:
		return "leave"
	case MemberFail:
		return "fail"
	}
	return "unknown"
}

// MemberEvent is a membership change, produced locally (never sent on the wire).
type MemberEvent struct {
	// Type is what happened.
	Type EventType
	// Member is the member as last known.
	Member Member
}

// Meta is the identity a sentinel publishes in its memberlist node meta.
type Meta struct {
	// IP is the sentinel's announce IP (what clients and peers use).
	IP string
	// Port is the sentinel's RESP port.
	Port int
	// Epoch is the sentinel's current epoch.
	Epoch uint64
}

// Member is one sentinel of the mesh.
type Member struct {
	// Name is the sentinel myid (40 hex characters), the memberlist node name.
	Name string
	// Addr is the gossip address, "ip:port".
	Addr string
	// Meta is the member's published identity (zero if it could not be decoded).
	Meta Meta
}

// leaveIntent is the graceful-leave announcement; it has no body.
type leaveIntent struct{}

// pushState is the push/pull full state: the sender's Lamport clock rides in the
// envelope and Items holds complete encoded messages (opinions and configs).
type pushState struct {
	Items [][]byte
}

func (Opinion) kind() kind      { return kindOpinion }
func (MasterConfig) kind() kind { return kindConfig }
func (VoteRequest) kind() kind  { return kindVoteRequest }
func (VoteReply) kind() kind    { return kindVoteReply }
func (MemberEvent) kind() kind  { return 0 }
func (leaveIntent) kind() kind  { return kindLeave }
func (pushState) kind() kind    { return kindState }
