package sentinel

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-db/vigil/mesh"
)

// This file is the sentinel's Go API beside its RESP endpoint: read what it
// monitors, subscribe to its events, ask for a failover. Every call goes
// through the loop goroutine, as the endpoint's commands do, so the methods
// are safe for concurrent use and see a consistent state.

// ErrNoSuchMaster is returned for a master name the sentinel does not monitor
// (the endpoint's "-ERR No such master with that name").
var ErrNoSuchMaster = errors.New("sentinel: no such master with that name")

// MasterSnapshot is one monitored master as SENTINEL MASTER, REPLICAS and
// SENTINELS show it, at the time of the call.
type MasterSnapshot struct {
	// Name is the master's name; Addr its current address (the promoted
	// replica's once a failover reached reconf_slaves, as
	// SENTINEL GET-MASTER-ADDR-BY-NAME gives).
	Name string
	Addr Addr
	// RunID is the master's run id from its last INFO ("" before the first).
	RunID string
	// ConfigEpoch is the master's configuration epoch.
	ConfigEpoch uint64
	// Flags are SENTINEL MASTER's flags (master, s_down, o_down,
	// disconnected, failover_in_progress, …); Flags.String lists them.
	Flags Flags
	// FailoverState is the failover state ("wait_start", "select_slave", …),
	// "" when no failover is in progress; FailoverSince is when it entered
	// that state (failover_state_change_time), zero without a failover.
	FailoverState string
	FailoverSince time.Time
	// SDownSince and ODownSince are when the master became subjectively and
	// objectively down (zero while it is not); LastOKPing is its last valid
	// PING reply (zero: never), the moment it was last known up.
	SDownSince, ODownSince time.Time
	LastOKPing             time.Time
	// Quorum is the master's quorum.
	Quorum int
	// Offset is master_repl_offset from the master's last INFO (0 before
	// the first); minus a replica's Offset it is that replica's lag in bytes.
	Offset int64
	// Replicas and Sentinels are the replicas (those announced, as SENTINEL
	// REPLICAS lists them) and the other sentinels known for this master.
	Replicas  []ReplicaSnapshot
	Sentinels []SentinelSnapshot
	// CutOff: the master runs in fenced mode (its INFO says fenced_mode:1) and this
	// sentinel reaches fewer than a majority of its sentinels, itself included
	// (CheckQuorum). The majority may have promoted another master this sentinel cannot
	// hear of, so it names none: GET-MASTER-ADDR-BY-NAME answers a null, the HTTP
	// endpoint's discovery and health answers 503 (docs/safety.md).
	CutOff bool
}

// ReplicaSnapshot is one replica of a master (a SENTINEL REPLICAS entry).
type ReplicaSnapshot struct {
	Addr  Addr
	RunID string
	Flags Flags
	// Offset is slave_repl_offset from the replica's last INFO.
	Offset int64
	// LinkUp is master-link-status ok; LinkDownTime is master-link-down-time,
	// how long the replica has been without its master (the replication lag
	// Sentinel knows of).
	LinkUp       bool
	LinkDownTime time.Duration
	// MasterAddr is the upstream the replica reports (master-host/-port).
	MasterAddr Addr
	// Priority is slave-priority (0: never promoted).
	Priority int
	// LastOKPing is the time of its last valid PING reply (zero: never).
	LastOKPing time.Time
}

// SentinelSnapshot is another sentinel monitoring the master (a SENTINEL
// SENTINELS entry).
type SentinelSnapshot struct {
	ID    string
	Addr  Addr
	Flags Flags
	// LastHello is when its last hello arrived (zero: never); LastOKPing is
	// its last valid PING reply.
	LastHello, LastOKPing time.Time
}

// Event is one Sentinel event, as published on the endpoint's pub/sub
// channel named Name (Redis's event names: "+sdown", "+switch-master", …)
// with Redis's message text.
type Event struct {
	Name    string
	Message string
}

// Masters returns a snapshot of every monitored master, in the order they
// were added (SENTINEL MASTERS).
func (s *Sentinel) Masters() ([]MasterSnapshot, error) {
	var out []MasterSnapshot
	err := s.do(func() {
		for _, m := range s.masters {
			out = append(out, s.snapshot(m))
		}
	})
	return out, err
}

// Master returns a snapshot of the master named name, or ErrNoSuchMaster.
func (s *Sentinel) Master(name string) (MasterSnapshot, error) {
	var out MasterSnapshot
	found := false
	err := s.do(func() {
		if m := s.master(name); m != nil {
			out, found = s.snapshot(m), true
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %q", ErrNoSuchMaster, name)
	}
	return out, err
}

// Failover asks for a failover of the master named name without waiting for
// agreement, as SENTINEL FAILOVER does. It returns ErrNoSuchMaster, or the
// failover package's ErrInProgress or ErrNoGoodReplica (test with errors.Is).
func (s *Sentinel) Failover(name string) error {
	var ferr error
	err := s.do(func() {
		m := s.master(name)
		if m == nil {
			ferr = fmt.Errorf("%w: %q", ErrNoSuchMaster, name)
			return
		}
		ferr = s.manualFailover(m)
	})
	if err != nil {
		return err
	}
	return ferr
}

// Subscribe delivers every event the sentinel publishes from now on, in
// order, on the returned channel (capacity buffer, at least 1). A
// subscriber that falls behind loses events rather than slowing the
// sentinel; dropped reports how many were lost. cancel ends the
// subscription and closes the channel; call it exactly when done.
func (s *Sentinel) Subscribe(buffer int) (events <-chan Event, dropped func() uint64, cancel func()) {
	sub := &apiSub{ch: make(chan Event, max(buffer, 1))}
	s.hub.sub(s.hub.patterns, "*", sub)
	var once sync.Once
	cancel = func() {
		once.Do(func() {
			s.hub.unsub(s.hub.patterns, "*", sub)
			sub.mu.Lock()
			sub.closed = true
			close(sub.ch)
			sub.mu.Unlock()
		})
	}
	return sub.ch, sub.dropped.Load, cancel
}

// apiSub is a Subscribe subscriber: it never blocks the publisher.
type apiSub struct {
	mu      sync.Mutex // orders deliveries with the close in cancel
	ch      chan Event
	closed  bool
	dropped atomic.Uint64
}

func (a *apiSub) message(_, channel, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	select {
	case a.ch <- Event{Name: channel, Message: msg}:
	default:
		a.dropped.Add(1)
	}
}

// CheckQuorum is SENTINEL CKQUORUM's test: the usable sentinels (this one and the
// others not s_down or o_down), whether they reach the master's quorum, and whether
// they are a majority of all the sentinels (this one included), as a failover needs.
func (m MasterSnapshot) CheckQuorum() (usable int, quorum, majority bool) {
	usable = 1
	for _, si := range m.Sentinels {
		if si.Flags&(FlagSDown|FlagODown) == 0 {
			usable++
		}
	}
	voters := len(m.Sentinels) + 1
	return usable, usable >= m.Quorum, usable >= voters/2+1
}

// MeshMembers counts the gossip mesh's members by state ("alive", this sentinel
// included; "leaving", "failed", "left": see mesh.Mesh.MemberStates); nil when the
// sentinel runs without a mesh.
func (s *Sentinel) MeshMembers() (map[string]int, error) {
	var mh *mesh.Mesh
	if err := s.do(func() { mh = s.mesh }); err != nil {
		return nil, err
	}
	if mh == nil {
		return nil, nil
	}
	return mh.MemberStates(), nil
}

// snapshot copies m for the API (loop goroutine only).
func (s *Sentinel) snapshot(m *instance) MasterSnapshot {
	v := s.view(m)
	d := v.of(m)
	ms := MasterSnapshot{Name: m.name, Addr: must(s.fo.ClientAddr(m.name)), RunID: m.runID,
		ConfigEpoch: d.configEpoch, Flags: m.flags | d.flags, FailoverState: d.failState, Quorum: m.conf.Quorum,
		LastOKPing: m.lastAvailable}
	if d.failState != "" {
		ms.FailoverSince = v.st.ChangeTime
	}
	if v.st.SDown {
		ms.SDownSince = d.sdownSince
	}
	if v.st.ODown {
		ms.ODownSince = d.odownSince
	}
	if ms.Addr.IsZero() {
		ms.Addr = m.addr
	}
	ms.Offset = m.masterReplOffset
	for _, r := range m.replicas {
		if !r.announced {
			continue
		}
		ms.Replicas = append(ms.Replicas, ReplicaSnapshot{Addr: r.addr, RunID: r.runID, Flags: r.flags | v.of(r).flags,
			Offset: r.replOffset, LinkUp: r.masterLinkUp, LinkDownTime: r.masterLinkDownTime,
			MasterAddr: Addr{Host: r.masterHost, Port: r.masterPort}, Priority: r.priority,
			LastOKPing: r.lastAvailable})
	}
	for _, si := range m.sentinels {
		ms.Sentinels = append(ms.Sentinels, SentinelSnapshot{ID: si.runID, Addr: si.addr, Flags: si.flags | v.of(si).flags,
			LastHello: si.lastHello, LastOKPing: si.lastAvailable})
	}
	if strings.Contains(m.info, "\nfenced_mode:1") {
		_, _, majority := ms.CheckQuorum()
		ms.CutOff = !majority
	}
	return ms
}
