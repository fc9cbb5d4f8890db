package mesh

import (
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// events is the mesh's memberlist.EventDelegate. memberlist calls it sequentially and
// cannot tell a graceful leave from a crash (the Node it passes always says alive), so
// the leaver announces itself with a leave intent (Mesh.Leave) before memberlist's leave.
// A departure without a known intent waits up to Mesh.grace for a late intent (it may
// arrive on another connection) before it is reported as MemberFail; a rejoin or an
// intent ends the wait at once. Departures are therefore reported in order with joins.
//
// It also keeps the mesh's copy of the live members: memberlist's Members returns
// pointers into its own state, which it rewrites without a lock the reader could take,
// while these callbacks run under memberlist's node lock, where copying is safe.
type events struct {
	m       *Mesh
	mu      sync.Mutex
	pending map[string]*departure
	members map[string]memberlist.Node // live peers (not us), copied
	gone    map[string]gone            // departed peers, until they rejoin or goneRetention passes
	stopped bool
}

// goneRetention is how long a departed member is counted as failed or left
// (MemberStates) unless it rejoins.
const goneRetention = 24 * time.Hour

// gone is a reported departure.
type gone struct {
	typ EventType // MemberFail or MemberLeave
	at  time.Time
}

// departure is a member gone without a known leave intent, not yet reported.
type departure struct {
	member Member
	timer  *time.Timer
}

var _ memberlist.EventDelegate = (*events)(nil)

func newEvents(m *Mesh) *events {
	return &events{m: m, pending: make(map[string]*departure), members: make(map[string]memberlist.Node),
		gone: make(map[string]gone)}
}

// NotifyJoin reports a new (or returning) member; a pending departure of the same name is
// reported first.
func (e *events) NotifyJoin(n *memberlist.Node) {
	if n.Name == e.m.name {
		return
	}
	mem := member(n)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flushLocked(n.Name)
	e.m.table.joined(n.Name)
	e.members[n.Name] = copyNode(n)
	delete(e.gone, n.Name)
	e.m.log.Info().Str("peer", n.Name).Str("addr", mem.Addr).Msg("member joined")
	e.m.deliver(Message{From: n.Name, Payload: MemberEvent{Type: MemberJoin, Member: mem}})
}

// NotifyUpdate reports a meta change.
func (e *events) NotifyUpdate(n *memberlist.Node) {
	if n.Name == e.m.name {
		return
	}
	mem := member(n)
	e.mu.Lock()
	e.members[n.Name] = copyNode(n)
	e.mu.Unlock()
	e.m.log.Debug().Str("peer", n.Name).Uint64("epoch", mem.Meta.Epoch).Msg("member updated")
	e.m.deliver(Message{From: n.Name, Payload: MemberEvent{Type: MemberUpdate, Member: mem}})
}

// NotifyLeave reports MemberLeave when the member announced it, otherwise waits for a
// late intent (see events).
func (e *events) NotifyLeave(n *memberlist.Node) {
	if n.Name == e.m.name {
		return
	}
	d := &departure{member: member(n)}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.members, n.Name)
	e.flushLocked(n.Name)
	if e.stopped {
		return
	}
	if e.m.table.leaving(n.Name) {
		e.reportLocked(d)
		return
	}
	e.pending[n.Name] = d
	d.timer = time.AfterFunc(e.m.grace, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.pending[n.Name] == d {
			delete(e.pending, n.Name)
			e.reportLocked(d)
		}
	})
}

// leaveIntent resolves a pending departure of name as a graceful leave.
func (e *events) leaveIntent(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flushLocked(name)
}

// flushLocked reports the pending departure of name now, if there is one.
func (e *events) flushLocked(name string) {
	d := e.pending[name]
	if d == nil {
		return
	}
	d.timer.Stop()
	delete(e.pending, name)
	e.reportLocked(d)
}

// reportLocked delivers a departure, graceful if the member announced it.
func (e *events) reportLocked(d *departure) {
	typ := MemberFail
	if e.m.table.leaving(d.member.Name) {
		typ = MemberLeave
		e.m.log.Info().Str("peer", d.member.Name).Str("addr", d.member.Addr).Msg("member left")
	} else {
		e.m.log.Warn().Str("peer", d.member.Name).Str("addr", d.member.Addr).Msg("member failed")
	}
	e.pruneLocked(time.Now())
	e.gone[d.member.Name] = gone{typ: typ, at: time.Now()}
	e.m.deliver(Message{From: d.member.Name, Payload: MemberEvent{Type: typ, Member: d.member}})
}

// pruneLocked forgets the departures older than goneRetention.
func (e *events) pruneLocked(now time.Time) {
	for name, g := range e.gone {
		if now.Sub(g.at) > goneRetention {
			delete(e.gone, name)
		}
	}
}

// states counts the peers by state (see Mesh.MemberStates); us not included.
func (e *events) states() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pruneLocked(time.Now())
	out := map[string]int{StateAlive: len(e.members), StateLeaving: len(e.pending), StateFailed: 0, StateLeft: 0}
	for _, g := range e.gone {
		if g.typ == MemberLeave {
			out[StateLeft]++
		} else {
			out[StateFailed]++
		}
	}
	return out
}

// stop cancels pending departures (on Shutdown).
func (e *events) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
	for name, d := range e.pending {
		d.timer.Stop()
		delete(e.pending, name)
	}
}

// copyNode copies a node handed to a callback, meta included.
func copyNode(n *memberlist.Node) memberlist.Node {
	c := *n
	c.Meta = append([]byte(nil), n.Meta...)
	return c
}

// peers returns copies of the live members other than us, sorted by name.
func (e *events) peers() []*memberlist.Node {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*memberlist.Node, 0, len(e.members))
	for _, n := range e.members {
		c := n
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// peer returns a copy of the live member called name, or nil.
func (e *events) peer(name string) *memberlist.Node {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.members[name]
	if !ok {
		return nil
	}
	return &n
}
