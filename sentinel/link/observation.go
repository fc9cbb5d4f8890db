package link

import (
	"time"

	"github.com/vigil-db/vigil/failover"
)

// Kind is what sort of instance a link watches (failover.KindMaster, KindReplica,
// KindSentinel). Masters and replicas get a pub/sub connection and INFO; sentinels only a
// command connection.
type Kind = failover.Kind

// The instance kinds, as named in package failover.
const (
	KindMaster   = failover.KindMaster
	KindReplica  = failover.KindReplica
	KindSentinel = failover.KindSentinel
)

// Conn names one of a link's two connections.
type Conn uint8

// The command connection and the pub/sub connection.
const (
	CC Conn = iota + 1
	PC
)

// String returns "cmd" or "pubsub", the suffixes of the connections' client names.
func (c Conn) String() string {
	if c == PC {
		return "pubsub"
	}
	return "cmd"
}

// Event says what an Observation reports.
type Event uint8

// Observation events.
const (
	// EventPingSent: a PING was sent (State.ActPing and LastPing are updated). The owner
	// needs it to see an instance that stops answering without closing the connection.
	EventPingSent Event = iota + 1
	// EventPingReply: a PING got a reply (OK, Reply) or failed (Err).
	EventPingReply
	// EventInfo: an INFO reply (Info, Reply holds the raw text).
	EventInfo
	// EventHello: a hello from another sentinel arrived on the pub/sub connection.
	EventHello
	// EventLinkUp: a connection finished its handshake (Conn).
	EventLinkUp
	// EventLinkDown: a connection that was up was closed (Conn, Err).
	EventLinkDown
	// EventPublish: a hello PUBLISH got a reply (OK) or failed (Err).
	EventPublish
	// EventFence: a lease renewal (REPLCONF FENCE, fenced mode) got a reply that is not
	// an error (OK): it counts as an available PING reply (State.LastAvail, ActPing).
	EventFence
)

var eventNames = [...]string{"", "ping-sent", "ping-reply", "info", "hello", "link-up", "link-down", "publish", "fence-reply"}

// String returns a short lowercase name for logs.
func (e Event) String() string {
	if int(e) < len(eventNames) && e != 0 {
		return eventNames[e]
	}
	return "unknown"
}

// State is a link's bookkeeping, the fields of Redis's instanceLink. The owner computes
// SDOWN from it: elapsed = now − ActPing if a PING is pending, else (when disconnected)
// now − LastAvail.
type State struct {
	// CCUp and PCUp say whether the connections have completed their handshake and are
	// open. Disconnected() is what Redis calls the link's disconnected flag.
	CCUp, PCUp bool
	// CCConnTime and PCConnTime are the last connection attempts.
	CCConnTime, PCConnTime time.Time
	// PCLastActivity is the last message on the pub/sub connection (own hellos count).
	PCLastActivity time.Time
	// ActPing is the time of the oldest unanswered PING, zero when none is pending. It
	// starts at the link's creation, so an instance never reached goes down in time.
	ActPing time.Time
	// LastPing is when the last PING was sent.
	LastPing time.Time
	// LastPong is when the last reply of any kind to a PING arrived.
	LastPong time.Time
	// LastAvail is when the last "available" PING reply (+PONG, -LOADING, -MASTERDOWN)
	// or lease renewal reply (EventFence) arrived; it starts at the link's creation.
	LastAvail time.Time
}

// Observation is one fact a link reports to its owner. Which fields are set depends on
// Event; State is always the link's state right after the fact.
type Observation struct {
	// Addr is the instance address ("host:port") and Kind its kind, as given in Config.
	Addr string
	Kind Kind
	// At is when the fact was observed (Config.Now).
	At    time.Time
	Event Event
	// Conn is the connection of EventLinkUp and EventLinkDown.
	Conn Conn
	// OK: for EventPingReply, the reply counts as available (+PONG, -LOADING…,
	// -MASTERDOWN…); for EventPublish and EventFence, the reply was not an error (only
	// such EventFence are reported).
	OK bool
	// Reply is the reply text: a status or bulk string as is, an error reply as its
	// message without the '-' (e.g. "BUSY Redis is busy running a script…"). For
	// EventHello it is the raw payload.
	Reply string
	// Err is the transport error of a failed command or the cause of EventLinkDown.
	Err error
	// Info is the parsed INFO of EventInfo.
	Info failover.Info
	// Hello is the parsed hello of EventHello.
	Hello Hello
	// State is the link's state after the fact.
	State State
}
