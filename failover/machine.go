package failover

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/election"
)

// Config configures a Machine.
type Config struct {
	// MyID is our sentinel run id (40 hex chars in Redis).
	MyID string
	// Rand draws the 0..999 ms failover start jitter. Required; seed it in
	// tests.
	Rand *rand.Rand
	// Timers are Sentinel's periods; zero fields take Redis's defaults.
	Timers Timers
	// Masters are the monitored masters at start. Their address, config
	// epoch, vote and known replicas are taken from the HardState given to
	// New when it has them.
	Masters []MasterConfig
	// Logger receives state transitions; default zerolog.Nop().
	Logger *zerolog.Logger
}

// Machine is the failover decision core of one sentinel, for all the masters
// it monitors. It is not safe for concurrent use: one goroutine owns it,
// steps inputs in, ticks it, and handles its Ready batches.
type Machine struct {
	id      string
	rand    *rand.Rand
	timers  Timers
	log     zerolog.Logger
	el      *election.State
	masters map[string]*masterState
	// removed is, for each master name SENTINEL REMOVE dropped, the highest epoch
	// known then: a later monitor of the same name ignores configurations (hellos,
	// gossip, their retransmissions) up to it.
	removed map[string]uint64

	tilt      bool
	tiltSince time.Time
	prevTick  time.Time // zero before the first Tick

	// pending output, and how much of it the last Ready handed out.
	out   Ready
	dirty bool
	taken struct {
		msgs, cmds, events, switches int
		dirty                        bool
	}
}

// New returns a Machine resuming from hs (the zero HardState for a fresh
// sentinel). It emits +monitor for every master, as Redis does at startup.
func New(cfg Config, hs HardState) (*Machine, error) {
	if cfg.MyID == "" || cfg.Rand == nil {
		return nil, fmt.Errorf("%w: MyID and Rand are required", ErrBadConfig)
	}
	log := zerolog.Nop()
	if cfg.Logger != nil {
		log = *cfg.Logger
	}
	m := &Machine{
		id:      cfg.MyID,
		rand:    cfg.Rand,
		timers:  cfg.Timers.withDefaults(),
		log:     log.With().Str("component", "failover").Str("node_id", cfg.MyID).Logger(),
		el:      election.New(cfg.MyID, hs.CurrentEpoch),
		masters: map[string]*masterState{},
		removed: map[string]uint64{},
	}
	for _, mc := range cfg.Masters {
		if err := m.monitor(time.Time{}, mc, hs.Masters[mc.Name]); err != nil {
			return nil, err
		}
	}
	m.dirty = false
	return m, nil
}

// Step feeds one input observed or received at now. Errors: ErrNoSuchMaster
// for inputs naming an unknown master, ErrBadConfig for an invalid Monitor,
// and for ManualFailover ErrInProgress or ErrNoGoodReplica.
func (m *Machine) Step(now time.Time, in Input) error {
	switch in := in.(type) {
	case Observation:
		return m.observe(now, in)
	case VoteRequest:
		m.handleVoteRequest(now, in)
	case VoteReply:
		if m.masters[in.Master] != nil {
			m.el.RecordReply(now, in.Master, in.From, in.Reply)
		}
	case Hello:
		m.handleHello(now, in)
	case Sentinels:
		return m.setSentinels(now, in)
	case Opinion:
		return m.recordOpinion(now, in)
	case Monitor:
		return m.monitor(now, in.Config, MasterHardState{})
	case Remove:
		return m.remove(in.Master)
	case Reset:
		return m.reset(now, in.Master)
	case ManualFailover:
		return m.manualFailover(now, in.Master)
	case SetTimers:
		m.timers = in.Timers.withDefaults()
	default:
		return fmt.Errorf("%w: %T", ErrUnknownInput, in)
	}
	return nil
}

// Tick runs the periodic work of Redis's sentinel timer at now: detect TILT
// (a clock jump), then for every master (in name order) decide SDOWN and
// ODOWN, start a failover if needed, advance the failover state machine, ask
// peers, switch to the promoted replica. In TILT only the switch runs. Call
// it about every 100 ms.
func (m *Machine) Tick(now time.Time) {
	m.checkTilt(now)
	for _, name := range m.masterNames() {
		ms := m.masters[name]
		if !m.tilt {
			m.checkDown(now, ms)
			if m.startIfNeeded(now, ms) {
				m.askPeers(now, ms, true)
			}
			m.stepState(now, ms)
			m.askPeers(now, ms, false)
		}
		if ms.state == StateUpdateConfig {
			m.switchToPromoted(now, ms)
		}
	}
}

// HasReady reports whether Ready has something to hand out.
func (m *Machine) HasReady() bool {
	m.drainElection()
	return m.dirty || len(m.out.Messages) > 0 || len(m.out.Commands) > 0 ||
		len(m.out.Events) > 0 || len(m.out.Switches) > 0
}

// Ready returns the pending output. Handle it in the order documented on
// Ready, then call Advance. Output produced between Ready and Advance is
// kept for the next Ready.
func (m *Machine) Ready() Ready {
	m.drainElection()
	rd := Ready{
		Messages: append([]Message(nil), m.out.Messages...),
		Commands: append([]Command(nil), m.out.Commands...),
		Events:   append([]Event(nil), m.out.Events...),
		Switches: append([]Switch(nil), m.out.Switches...),
	}
	if m.dirty {
		hs := m.HardState()
		rd.HardState = &hs
	}
	m.taken.msgs, m.taken.cmds = len(rd.Messages), len(rd.Commands)
	m.taken.events, m.taken.switches = len(rd.Events), len(rd.Switches)
	m.taken.dirty = m.dirty
	m.dirty = false
	return rd
}

// Advance acknowledges the last Ready: its state is persisted and its
// output handled.
func (m *Machine) Advance() {
	m.out.Messages = m.out.Messages[m.taken.msgs:]
	m.out.Commands = m.out.Commands[m.taken.cmds:]
	m.out.Events = m.out.Events[m.taken.events:]
	m.out.Switches = m.out.Switches[m.taken.switches:]
	m.taken = struct {
		msgs, cmds, events, switches int
		dirty                        bool
	}{}
}

// HardState returns the state to persist, as of now. As in Redis's config
// rewrite, a master whose failover reached reconf_slaves is saved with the
// promoted replica's address, and the old master takes the promoted
// replica's place among the replicas, so that a restart resumes on the new
// master.
func (m *Machine) HardState() HardState {
	hs := HardState{CurrentEpoch: m.el.CurrentEpoch(), Masters: map[string]MasterHardState{}}
	for name, ms := range m.masters {
		addr, _ := m.ClientAddr(name)
		replicas := ms.replicaAddrs()
		if addr != ms.addr {
			for i, r := range replicas {
				if sameAddr(r, addr) {
					replicas[i] = ms.addr
				}
			}
			sort.Slice(replicas, func(i, j int) bool { return replicas[i].String() < replicas[j].String() })
		}
		hs.Masters[name] = MasterHardState{
			Addr:        addr,
			ConfigEpoch: ms.configEpoch,
			Vote:        m.el.Vote(name),
			Replicas:    replicas,
		}
	}
	return hs
}

// CurrentEpoch returns current_epoch.
func (m *Machine) CurrentEpoch() uint64 { return m.el.CurrentEpoch() }

// MasterByAddr returns the name of the monitored master at addr (how
// IS-MASTER-DOWN-BY-ADDR names a master).
func (m *Machine) MasterByAddr(addr Addr) (string, bool) {
	for _, name := range m.masterNames() {
		if sameAddr(m.masters[name].addr, addr) {
			return name, true
		}
	}
	return "", false
}

// ClientAddr returns the address SENTINEL GET-MASTER-ADDR-BY-NAME and hellos
// give for a master: the promoted replica's once the failover reached
// reconf_slaves, else the master's.
func (m *Machine) ClientAddr(name string) (Addr, bool) {
	ms := m.masters[name]
	if ms == nil {
		return Addr{}, false
	}
	if ms.state >= StateReconfSlaves && ms.promoted != nil {
		return ms.promoted.addr, true
	}
	return ms.addr, true
}

// PeersDown returns how many peers last replied that the master is down
// (replies older than 5 × ask-period are forgotten at each Tick).
func (m *Machine) PeersDown(name string) int { return m.el.PeersDown(name) }

// Tilt reports whether the machine is in TILT mode, and since when.
func (m *Machine) Tilt() (bool, time.Time) { return m.tilt, m.tiltSince }

// Masters returns the monitored master names, sorted.
func (m *Machine) Masters() []string { return m.masterNames() }

func (m *Machine) masterNames() []string {
	names := make([]string, 0, len(m.masters))
	for n := range m.masters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// drainElection moves the election's events into our output, in order, and
// marks the state dirty when the election changed epoch or vote.
func (m *Machine) drainElection() {
	evs, persist := m.el.Drain()
	for _, e := range evs {
		m.out.Events = append(m.out.Events, Event{Name: e.Name, Level: LevelWarning, Master: e.Master, Args: e.Message})
		m.log.Info().Str("event", e.Name).Str("master", e.Master).Msg(e.Message)
	}
	if persist {
		m.dirty = true
	}
}

// jitter is Redis's rand()%SENTINEL_MAX_DESYNC: 0..999 ms.
func (m *Machine) jitter() time.Duration {
	return time.Duration(m.rand.IntN(1000)) * time.Millisecond
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sameAddr(a, b Addr) bool {
	return a.Port == b.Port && strings.EqualFold(a.Host, b.Host)
}
