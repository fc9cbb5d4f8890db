package sentinel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/election"
	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/mesh"
)

// Timers are Redis Sentinel's periods (SENTINEL DEBUG can change them): the
// failover machine's (ping, info, ask and publish periods, TILT trigger and
// period, replica reconfiguration and election timeouts) and the shell's.
type Timers struct {
	failover.Timers
	// DefaultDownAfter is down-after-milliseconds of masters created without it (30 s).
	DefaultDownAfter time.Duration
	// DefaultFailoverTimeout is failover-timeout of masters created without it (3 min).
	DefaultFailoverTimeout time.Duration
	// MinLinkReconnectPeriod is the minimum age before a link is recycled (15 s).
	MinLinkReconnectPeriod time.Duration
	// ScriptMaxRuntime is when a script is killed (60 s).
	ScriptMaxRuntime time.Duration
	// ScriptRetryDelay is the first retry delay of a failed script (30 s, doubling).
	ScriptRetryDelay time.Duration
}

// DefaultTimers returns Redis 7.0's values.
func DefaultTimers() Timers {
	return Timers{Timers: failover.DefaultTimers(), DefaultDownAfter: DefaultDownAfter,
		DefaultFailoverTimeout: DefaultFailoverTimeout, MinLinkReconnectPeriod: 15 * time.Second,
		ScriptMaxRuntime: 60 * time.Second, ScriptRetryDelay: 30 * time.Second}
}

// Options are what New needs besides the configuration.
type Options struct {
	// Log receives the sentinel's log; default zerolog.Nop().
	Log zerolog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Links opens connections to instances; nil = no monitoring (endpoint
	// only) unless Monitor is set.
	Links Links
	// Monitor, with Links nil, monitors through a LinkSet (sentinel/link).
	Monitor bool
	// Dial, with Monitor, opens the LinkSet's connections; nil = TCP. A node
	// reaches its own server in process with it.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Local, with Monitor, returns the instance at addr when it lives in this
	// process (a node's own server), nil otherwise: its link then runs its
	// commands through direct calls instead of a command connection
	// (link.Config.Local). Called once per link.
	Local func(addr string) Local
	// Exit is called by SENTINEL SIMULATE-FAILURE crashes and SHUTDOWN; default: no-op.
	Exit func(code int)
	// Mesh, when set, is a gossip mesh owned by the caller (a node sharing
	// one mesh): the sentinel gossips on it and reads its Incoming, and
	// neither creates nor closes it; its Name should be the sentinel's MyID.
	// Default: the sentinel creates its own from the gossip-* directives.
	Mesh *mesh.Mesh
}

// Sentinel is one sentinel process: its state, its loop and its endpoint.
type Sentinel struct {
	cfg    *Config
	log    zerolog.Logger
	now    func() time.Time
	links  Links
	exit   func(int)
	timers Timers
	runID  string
	start  time.Time

	reqs    chan func()
	obs     chan Observation
	masters []*instance

	simulateFlags int

	fo          *failover.Machine
	voteReplies map[uint64]election.Reply
	voteRef     uint64
	async       chan func()

	mesh            *mesh.Mesh
	ownMesh         bool                 // mesh created by the sentinel (else Options.Mesh)
	meshConfigEpoch map[string]uint64    // last config epoch gossiped per master
	gossipJoins     map[string]time.Time // run id → last join of its announced gossip address

	hub        *hub
	scripts    *scripts
	commands   map[string]command
	cmdMeta    *commandMeta
	resolved   map[string]string    // hostname → IP, for announceHost (loop goroutine only)
	unresolved map[string]time.Time // hostname → when its lookup last failed (announceHost)
	subs       map[string]sentinelSub

	lnMu     sync.Mutex
	ln       net.Listener
	clients  *clientList
	shutdown chan struct{}
	stopOnce sync.Once
	life     lifecycle   // Start and Shutdown (lifecycle.go)
	sup      supervision // progress and status line for the process's supervisor (status.go)
}

// ErrClosed is returned by requests made after the sentinel stopped.
var ErrClosed = errors.New("sentinel: closed")

// New builds a sentinel from its configuration. It generates and flushes
// myid at first start, as Redis does. It does not listen or start the loop.
func New(cfg *Config, opt Options) (*Sentinel, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Exit == nil {
		opt.Exit = func(int) {}
	}
	s := &Sentinel{cfg: cfg, log: opt.Log.With().Str("component", "sentinel").Logger(), now: opt.Now,
		links: opt.Links, exit: opt.Exit, mesh: opt.Mesh, timers: DefaultTimers(), runID: randomID(),
		reqs: make(chan func()), obs: make(chan Observation, 1024), async: make(chan func(), 256),
		hub: newHub(), clients: newClientList(), shutdown: make(chan struct{})}
	s.start = s.now()
	s.scripts = newScripts(s.log, s.now)
	s.scripts.dir = cfg.Server.Path(cfg.Server.Dir)
	s.scripts.onEvent = func(name, msg string) { s.event(levelWarning, name, nil, "%s", msg) }
	s.commands, s.subs, s.cmdMeta = renamedCommands(cfg.Server.RenameCommands), sentinelSubs(), newCommandMeta()
	s.cmdMeta.only(s.commands)
	if cfg.MyID == "" {
		cfg.MyID = randomID()
		if cfg.File != "" {
			if err := cfg.Flush(); err != nil {
				return nil, err
			}
		}
	}
	for _, mc := range cfg.Masters {
		s.masters = append(s.masters, newMaster(mc, s.start))
	}
	if s.links == nil && opt.Monitor {
		ls := NewLinkSet(cfg.MyID, opt.Log.With().Str("component", "link").Logger())
		ls.Dial, ls.Local = opt.Dial, opt.Local
		s.links = ls
	}
	if err := s.newMachine(); err != nil {
		return nil, err
	}
	return s, nil
}

// randomID returns 40 random lowercase hex characters.
func randomID() string {
	var b [RunIDSize / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sentinel: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// MyID returns the sentinel's ID.
func (s *Sentinel) MyID() string { return s.cfg.MyID }

// Run runs the loop until ctx ends or SHUTDOWN: it owns every state change.
// Monitoring, the mesh and the endpoint all talk to it through channels.
func (s *Sentinel) Run(ctx context.Context) error {
	s.processReady() // +monitor of every master
	s.startMesh()
	for _, m := range s.masters {
		s.watch(m)
	}
	// Redis's sentinelTimer changes its period at every call (hz 10 + rand()%10:
	// 50-100 ms) so that sentinels do not tick in lockstep: two sentinels whose
	// ticks coincide reach ODOWN together, each votes for itself and the
	// election is lost until 2 × failover-timeout later.
	jitter := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	tick := time.NewTimer(tickPeriod(jitter))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-s.shutdown:
			return nil
		case f := <-s.reqs:
			f()
		case o := <-s.obs:
			s.observe(o)
		case f := <-s.async:
			f()
		case <-tick.C:
			s.tick(s.now())
			s.ticked()
			tick.Reset(tickPeriod(jitter))
		case r := <-s.scripts.done:
			s.scripts.finished(r, s.now())
		}
	}
}

// tickPeriod is the next period of the loop's timer: 1 s / (10 + rand()%10).
func tickPeriod(r *mrand.Rand) time.Duration {
	return time.Second / time.Duration(10+r.IntN(10))
}

// do runs f on the loop goroutine and waits for it.
func (s *Sentinel) do(f func()) error {
	done := make(chan struct{})
	select {
	case s.reqs <- func() { f(); close(done) }:
	case <-s.shutdown:
		return ErrClosed
	}
	select {
	case <-done:
		return nil
	case <-s.shutdown:
		return ErrClosed
	}
}

// stop ends the loop and the endpoint (idempotent).
func (s *Sentinel) stop() {
	s.stopOnce.Do(func() {
		close(s.shutdown)
		s.lnMu.Lock()
		if s.ln != nil {
			s.ln.Close()
		}
		s.lnMu.Unlock()
		s.clients.closeAll()
		s.scripts.killAll()
		if s.links != nil {
			s.links.Close()
		}
		s.stopMesh()
	})
}

// Done is closed when the sentinel has stopped (SHUTDOWN or Run's context).
func (s *Sentinel) Done() <-chan struct{} { return s.shutdown }

// master returns the master named name, or nil.
func (s *Sentinel) master(name string) *instance {
	for _, m := range s.masters {
		if m.name == name {
			return m
		}
	}
	return nil
}

// flush persists the configuration; errors are logged and returned.
func (s *Sentinel) flush() error {
	if s.cfg.File == "" {
		return nil
	}
	s.syncConfig()
	if err := s.cfg.Flush(); err != nil {
		s.log.Warn().Err(err).Msg("could not flush the sentinel config")
		return err
	}
	return nil
}

// syncConfig copies the live state into the persisted Config: addresses,
// epochs, vote and known replicas from the failover machine's HardState,
// known sentinels from the instance map.
func (s *Sentinel) syncConfig() {
	hs := s.fo.HardState()
	s.cfg.CurrentEpoch = hs.CurrentEpoch
	s.cfg.Masters = s.cfg.Masters[:0]
	for _, m := range s.masters {
		c := m.conf
		if mh, ok := hs.Masters[m.name]; ok {
			c.Host, c.Port = mh.Addr.Host, mh.Addr.Port
			c.ConfigEpoch, c.LeaderEpoch = mh.ConfigEpoch, mh.Vote.Epoch
			c.KnownReplicas = append(c.KnownReplicas[:0], mh.Replicas...)
		}
		c.KnownSentinels = c.KnownSentinels[:0]
		for _, si := range m.sentinels {
			if si.runID != "" {
				c.KnownSentinels = append(c.KnownSentinels, KnownSentinel{Addr: si.addr, RunID: si.runID})
			}
		}
		s.cfg.Masters = append(s.cfg.Masters, c)
	}
}
