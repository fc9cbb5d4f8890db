package mesh

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// Errors returned by the mesh.
var (
	// ErrBadName: Config.Name is not a sentinel myid (40 lowercase hex characters).
	ErrBadName = errors.New("mesh: name must be 40 lowercase hex characters")
	// ErrBadMeta: the meta has a port outside 0..65535 or does not fit memberlist's
	// 512-byte node meta.
	ErrBadMeta = errors.New("mesh: bad node meta")
	// ErrDuplicateName: a join was refused because another live member uses our name
	// (or the joiner uses the name of a live member) at a different address.
	ErrDuplicateName = errors.New("mesh: duplicate member name")
	// ErrUnknownMember: Send to a name that is not a live member.
	ErrUnknownMember = errors.New("mesh: unknown member")
	// ErrWrongPayload: Broadcast of something other than Opinion or MasterConfig, or
	// Send of something other than VoteRequest or VoteReply.
	ErrWrongPayload = errors.New("mesh: payload not allowed here")
	// ErrStaleConfig: Broadcast of a MasterConfig whose epoch is older than the known
	// one, or equal to it with another address.
	ErrStaleConfig = errors.New("mesh: stale master config")
	// ErrShutdown: the mesh was shut down.
	ErrShutdown = errors.New("mesh: shut down")
)

// minRetransmitMult is the least retransmit multiplier of the mesh's own gossip queue:
// each node sends a message it relays to minRetransmitMult × ceil(log10(N+1)) random
// members. memberlist's local default (2) let an epidemic die out in a 5-node mesh.
const minRetransmitMult = 4

// DefaultIncomingBuffer is the capacity of the Incoming channel when Config leaves it 0.
const DefaultIncomingBuffer = 1024

// Config configures a Mesh. Zero values give the defaults stated on each field.
type Config struct {
	// Name is this sentinel's myid, 40 lowercase hex characters; it is the memberlist
	// node name and must be unique in the mesh. Required.
	Name string
	// BindAddr is the gossip listen address (UDP and TCP). Default "0.0.0.0", which
	// advertises a private IP of the host: bind or advertise 127.0.0.1 in tests.
	BindAddr string
	// BindPort is the gossip listen port; 0 lets the kernel pick (see LocalAddr).
	BindPort int
	// AdvertiseAddr is the address peers reach us at. Default: derived from BindAddr.
	AdvertiseAddr string
	// AdvertisePort is the port peers reach us at. Default: the bound port.
	AdvertisePort int
	// Secret enables AES-GCM encryption of all gossip. A secret of 16, 24 or 32 bytes
	// is used as the key as is (AES-128/192/256); any other non-empty secret (such
	// as the gossip-secret string of sentinel.conf) is hashed with SHA-256 and the 32
	// bytes of the digest are the key. Every member must use the same secret; a node
	// with another key cannot join. Default: none (plain text).
	Secret []byte
	// Meta is the identity published to the other members.
	Meta Meta
	// Logger receives the mesh's and memberlist's logs, with component=mesh.
	// Default: disabled.
	Logger zerolog.Logger
	// Fast selects timings for sub-second failure detection on loopback: probe every
	// 200 ms, probe timeout 100 ms, suspicion multiplier 2, gossip every 50 ms,
	// retransmit multiplier 4, push/pull every 5 s. Default: memberlist's LAN timings
	// (probe 1 s, suspicion 4, gossip 200 ms, push/pull 30 s). Fast costs traffic and
	// false suspicions on a loaded host.
	Fast bool
	// IncomingBuffer is the capacity of the Incoming channel. Default
	// DefaultIncomingBuffer.
	IncomingBuffer int

	// transport replaces memberlist's network transport (tests only).
	transport memberlist.Transport
}

// Mesh is one sentinel's membership in the gossip mesh. All methods are safe for
// concurrent use.
type Mesh struct {
	name  string
	addr  string // our gossip address, fixed once listening
	log   zerolog.Logger
	ml    atomic.Pointer[memberlist.Memberlist]
	queue *memberlist.TransmitLimitedQueue
	table *table
	clock lamport
	out   chan Message
	ev    *events
	grace time.Duration // how long a departure waits for a late leave intent

	metaMu sync.Mutex
	meta   []byte

	dropped atomic.Uint64 // messages not delivered because out was full
	invalid atomic.Uint64 // messages that did not decode
	closed  atomic.Bool   // set by Shutdown: nothing more is delivered

	lifeMu sync.Mutex // serialises Leave and Shutdown
	shut   bool
}

// New creates the mesh and starts listening; it joins nobody (see Join).
func New(cfg Config) (*Mesh, error) {
	if !validName(cfg.Name) {
		return nil, fmt.Errorf("%w: %q", ErrBadName, cfg.Name)
	}
	meta, err := checkMeta(cfg.Meta)
	if err != nil {
		return nil, err
	}
	m := &Mesh{
		name:  cfg.Name,
		log:   cfg.Logger.With().Str("component", "mesh").Str("node_id", cfg.Name).Logger(),
		table: newTable(),
		meta:  meta,
	}
	size := cfg.IncomingBuffer
	if size <= 0 {
		size = DefaultIncomingBuffer
	}
	m.out = make(chan Message, size)
	m.ev = newEvents(m)
	mc := m.memberlistConfig(cfg)
	m.grace = mc.ProbeInterval
	m.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       m.numNodes,
		RetransmitMult: max(mc.RetransmitMult, minRetransmitMult),
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("mesh: create: %w", err)
	}
	m.addr = ml.LocalNode().Address()
	m.ml.Store(ml)
	m.log.Info().Str("addr", m.addr).Bool("encrypted", len(cfg.Secret) > 0).
		Msg("mesh listening")
	return m, nil
}

// memberlistConfig translates cfg into memberlist's configuration.
func (m *Mesh) memberlistConfig(cfg Config) *memberlist.Config {
	c := memberlist.DefaultLANConfig()
	if cfg.Fast {
		c = memberlist.DefaultLocalConfig()
		c.ProbeInterval = 200 * time.Millisecond
		c.ProbeTimeout = 100 * time.Millisecond
		c.SuspicionMult = 2
		c.GossipInterval = 50 * time.Millisecond
		c.RetransmitMult = 4 // the local default 2 lets membership gossip die out at N=5
		c.PushPullInterval = 5 * time.Second
	}
	c.Name = cfg.Name
	if cfg.BindAddr != "" {
		c.BindAddr = cfg.BindAddr
	}
	c.BindPort = cfg.BindPort
	c.AdvertiseAddr = cfg.AdvertiseAddr
	c.AdvertisePort = cfg.AdvertisePort
	if c.AdvertisePort == 0 {
		c.AdvertisePort = cfg.BindPort
	}
	if len(cfg.Secret) > 0 {
		c.SecretKey = deriveKey(cfg.Secret)
	}
	c.Logger = log.New(logWriter{m.log}, "", 0)
	c.Delegate = &delegate{m}
	c.Events = m.ev
	c.Merge = &merge{m}
	c.Conflict = &conflict{m}
	if cfg.transport != nil {
		c.Transport = cfg.transport
	}
	return c
}

// deriveKey returns the AES key for a secret (see Config.Secret).
func deriveKey(secret []byte) []byte {
	switch len(secret) {
	case 16, 24, 32:
		return append([]byte(nil), secret...)
	}
	sum := sha256.Sum256(secret)
	return sum[:]
}

func validName(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkMeta(meta Meta) ([]byte, error) {
	if meta.Port < 0 || meta.Port > 65535 {
		return nil, fmt.Errorf("%w: port %d", ErrBadMeta, meta.Port)
	}
	b := encodeMeta(meta)
	if len(b) > memberlist.MetaMaxSize || len(meta.IP) > maxString {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadMeta, len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// numNodes feeds the broadcast queue's retransmit limit.
func (m *Mesh) numNodes() int {
	if ml := m.ml.Load(); ml != nil {
		return ml.NumMembers()
	}
	return 1
}

// Join contacts the seeds ("host:port" gossip addresses) and merges state with each one
// that answers (push/pull). It returns how many answered. It fails, with memberlist's
// error, when none did: unreachable, wrong encryption key, or ErrDuplicateName.
func (m *Mesh) Join(seeds []string) (int, error) {
	ml := m.ml.Load()
	if m.closed.Load() {
		return 0, ErrShutdown
	}
	n, err := ml.Join(seeds)
	if err != nil {
		flat := flatten(err)
		if strings.Contains(flat, ErrDuplicateName.Error()) {
			err = fmt.Errorf("%w: join %v: %s", ErrDuplicateName, seeds, flat)
		} else {
			err = fmt.Errorf("mesh: join %v: %s", seeds, flat)
		}
		m.log.Error().Err(err).Strs("seeds", seeds).Msg("join failed")
		return n, err
	}
	m.log.Info().Int("contacted", n).Int("members", ml.NumMembers()).Msg("joined mesh")
	return n, nil
}

// flatten renders memberlist's multi-error (one line per seed) on one line.
func flatten(err error) string {
	multi, ok := err.(interface{ WrappedErrors() []error })
	if !ok {
		return err.Error()
	}
	parts := make([]string, 0, len(multi.WrappedErrors()))
	for _, e := range multi.WrappedErrors() {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}

// Broadcast sends an Opinion or a MasterConfig to every member: directly (one UDP packet
// each) and by gossip, which receivers relay.
// A MasterConfig must be newer than the known config of its master (ErrStaleConfig);
// re-broadcasting the known one is a no-op. Our own broadcasts are not delivered to our
// own Incoming.
func (m *Mesh) Broadcast(p Payload) error {
	if m.closed.Load() {
		return ErrShutdown
	}
	switch p.(type) {
	case Opinion, MasterConfig:
	default:
		return fmt.Errorf("%w: broadcast %T", ErrWrongPayload, p)
	}
	lt := m.clock.Tick()
	raw, err := encode(envelope{Origin: m.name, Lamport: lt, Payload: p})
	if err != nil {
		return err
	}
	switch p := p.(type) {
	case Opinion:
		m.table.acceptOpinion(m.name, lt, p, raw)
	case MasterConfig:
		switch m.table.acceptConfig(p, raw) {
		case configSame:
			return nil
		case configOld:
			return fmt.Errorf("%w: %s epoch %d", ErrStaleConfig, p.Master, p.Epoch)
		}
	}
	m.queue.QueueBroadcast(&broadcast{name: broadcastName(m.name, p), msg: raw})
	m.sendDirect(raw)
	return nil
}

// sendDirect sends raw in one UDP packet to every other live member, so a broadcast does
// not wait for the next gossip round; the gossip copy covers lost packets and members
// we do not know yet, and receivers drop the duplicate.
func (m *Mesh) sendDirect(raw []byte) {
	ml := m.ml.Load()
	for _, n := range m.ev.peers() {
		if err := ml.SendBestEffort(n, raw); err != nil {
			m.log.Debug().Err(err).Str("peer", n.Name).Msg("direct send failed")
		}
	}
}

// Send delivers a VoteRequest or VoteReply to one member, by name, over a new TCP
// connection (memberlist SendReliable). A nil error means the bytes were written, not
// that they were processed.
func (m *Mesh) Send(to string, p Payload) error {
	if m.closed.Load() {
		return ErrShutdown
	}
	switch p.(type) {
	case VoteRequest, VoteReply:
	default:
		return fmt.Errorf("%w: send %T", ErrWrongPayload, p)
	}
	node := m.ev.peer(to)
	if node == nil {
		return fmt.Errorf("%w: %s", ErrUnknownMember, to)
	}
	raw, err := encode(envelope{Origin: m.name, Lamport: m.clock.Tick(), Payload: p})
	if err != nil {
		return err
	}
	if err := m.ml.Load().SendReliable(node, raw); err != nil {
		return fmt.Errorf("mesh: send to %s: %w", to, err)
	}
	return nil
}

// Incoming delivers opinions, configs, votes and member events, in arrival order per
// source. It is never closed. It is buffered (Config.IncomingBuffer); when it is full,
// messages are dropped, counted in Dropped and logged, because memberlist's callbacks
// must never block. A consumer that falls behind can read the newest configs back with
// KnownConfig.
func (m *Mesh) Incoming() <-chan Message { return m.out }

// Dropped returns how many messages were dropped because Incoming was full.
func (m *Mesh) Dropped() uint64 { return m.dropped.Load() }

// KnownConfig returns the newest config of master that the mesh has seen or sent.
func (m *Mesh) KnownConfig(master string) (MasterConfig, bool) { return m.table.config(master) }

// Members returns the live members, this sentinel included, sorted by name.
func (m *Mesh) Members() []Member {
	m.metaMu.Lock()
	self, _ := decodeMeta(m.meta)
	m.metaMu.Unlock()
	out := []Member{{Name: m.name, Addr: m.addr, Meta: self}}
	for _, n := range m.ev.peers() {
		out = append(out, member(n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Member states, as MemberStates counts them.
const (
	// StateAlive: a live member (this sentinel included).
	StateAlive = "alive"
	// StateLeaving: gone from memberlist, waiting up to the grace period for a
	// late leave intent before it is reported failed.
	StateLeaving = "leaving"
	// StateFailed: gone without announcing it (a crash, a partition).
	StateFailed = "failed"
	// StateLeft: gone after announcing it (a graceful shutdown).
	StateLeft = "left"
)

// MemberStates counts the members by state: StateAlive (this sentinel included),
// StateLeaving, StateFailed and StateLeft; departed members count until they rejoin,
// for at most 24 hours. Every state is present, 0 included.
func (m *Mesh) MemberStates() map[string]int {
	out := m.ev.states()
	out[StateAlive]++ // us
	return out
}

// member converts a memberlist node.
func member(n *memberlist.Node) Member {
	meta, _ := decodeMeta(n.Meta)
	return Member{Name: n.Name, Addr: n.Address(), Meta: meta}
}

// UpdateMeta publishes a new identity (e.g. a new current epoch) and waits up to timeout
// for the update to be gossiped; the others see a MemberUpdate event.
func (m *Mesh) UpdateMeta(meta Meta, timeout time.Duration) error {
	b, err := checkMeta(meta)
	if err != nil {
		return err
	}
	if m.closed.Load() {
		return ErrShutdown
	}
	m.metaMu.Lock()
	m.meta = b
	m.metaMu.Unlock()
	if err := m.ml.Load().UpdateNode(timeout); err != nil {
		return fmt.Errorf("mesh: update meta: %w", err)
	}
	return nil
}

// LocalAddr returns the gossip address others join, "ip:port" (with the port the kernel
// picked when BindPort was 0).
func (m *Mesh) LocalAddr() string { return m.addr }

// Leave announces a graceful departure (the others report MemberLeave, not MemberFail):
// it sends a leave intent to every member (waiting up to timeout for those sends), then
// waits up to timeout for memberlist's leave to be gossiped. A timeout of 0 waits without
// limit. The mesh keeps running
// until Shutdown. After Shutdown, Leave returns ErrShutdown.
func (m *Mesh) Leave(timeout time.Duration) error {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.shut {
		return ErrShutdown
	}
	ml := m.ml.Load()
	lt := m.clock.Tick()
	raw, err := encode(envelope{Origin: m.name, Lamport: lt, Payload: leaveIntent{}})
	if err != nil {
		return err
	}
	m.table.acceptLeave(m.name, lt)
	m.queue.QueueBroadcast(&broadcast{name: broadcastName(m.name, leaveIntent{}), msg: raw})
	var wg sync.WaitGroup
	for _, n := range m.ev.peers() {
		wg.Go(func() {
			if err := ml.SendReliable(n, raw); err != nil {
				m.log.Warn().Err(err).Str("peer", n.Name).Msg("leave intent not sent")
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var expired <-chan time.Time // nil (never) for timeout 0, as in memberlist
	if timeout > 0 {
		expired = time.After(timeout)
	}
	select {
	case <-done:
	case <-expired:
		m.log.Warn().Msg("leave intent still being sent")
	}
	m.log.Info().Msg("leaving mesh")
	if err := ml.Leave(timeout); err != nil {
		return fmt.Errorf("mesh: leave: %w", err)
	}
	return nil
}

// Shutdown stops gossip and closes the listeners. Without a Leave first, the others see
// this node fail. Safe to call twice.
func (m *Mesh) Shutdown() error {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.shut {
		return nil
	}
	m.shut = true
	m.closed.Store(true)
	m.ev.stop()
	if err := m.ml.Load().Shutdown(); err != nil {
		return fmt.Errorf("mesh: shutdown: %w", err)
	}
	m.log.Info().Msg("mesh shut down")
	return nil
}

// deliver hands msg to the consumer without ever blocking.
func (m *Mesh) deliver(msg Message) {
	if m.closed.Load() {
		return
	}
	select {
	case m.out <- msg:
	default:
		if n := m.dropped.Add(1); n == 1 || n%1024 == 0 {
			m.log.Warn().Uint64("dropped", n).Msg("incoming queue full, message dropped")
		}
	}
}

// handle processes one wire message from a peer (gossip, direct or push/pull item):
// stale and duplicate ones are dropped, new ones delivered, and gossiped kinds relayed.
func (m *Mesh) handle(raw []byte) {
	env, err := decode(raw)
	if err != nil {
		if n := m.invalid.Add(1); n == 1 || n%1024 == 0 {
			m.log.Warn().Err(err).Uint64("invalid", n).Msg("undecodable message dropped")
		}
		return
	}
	m.clock.Witness(env.Lamport)
	msg := Message{From: env.Origin, Payload: env.Payload}
	switch p := env.Payload.(type) {
	case Opinion:
		if env.Origin != m.name && m.table.acceptOpinion(env.Origin, env.Lamport, p, raw) {
			m.deliver(msg)
			m.relay(env.Origin, p, raw)
		}
	case MasterConfig:
		if m.table.acceptConfig(p, raw) == configNew {
			m.log.Debug().Str("master", p.Master).Str("addr", p.Addr).Uint64("epoch", p.Epoch).
				Msg("newer master config")
			m.deliver(msg)
			m.relay(env.Origin, p, raw)
		}
	case VoteRequest, VoteReply:
		m.deliver(msg)
	case leaveIntent:
		if env.Origin != m.name && m.table.acceptLeave(env.Origin, env.Lamport) {
			m.ev.leaveIntent(env.Origin)
			m.relay(env.Origin, p, raw)
		}
	case pushState:
		for _, it := range p.Items {
			m.handle(it)
		}
	}
}

// relay re-gossips a message first seen here: memberlist does not relay user broadcasts.
func (m *Mesh) relay(origin string, p Payload, raw []byte) {
	m.queue.QueueBroadcast(&broadcast{name: broadcastName(origin, p), msg: raw})
}
