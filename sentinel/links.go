package sentinel

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/sentinel/link"
)

// Local is an instance in this process that a link reaches by direct calls
// (link.Local).
type Local = link.Local

// LinkSet is the Links implementation over sentinel/link: one link.Link per
// watched instance, and one goroutine per link translating its observations
// into the shell's. Methods are safe for concurrent use and never block on
// I/O (closing a link and running commands happen on their own goroutines).
type LinkSet struct {
	myID string
	log  zerolog.Logger
	// Dial opens the links' connections; nil = TCP (link.Config.Dial).
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Local returns the in-process instance at an address, or nil (Options.Local).
	Local func(addr string) Local

	mu     sync.Mutex
	links  map[InstanceID]*linkEntry
	done   chan struct{}
	closed bool
}

type linkEntry struct {
	l    *link.Link
	addr Addr
	stop chan struct{}
}

// NewLinkSet returns an empty LinkSet for the sentinel myID.
func NewLinkSet(myID string, log zerolog.Logger) *LinkSet {
	return &LinkSet{myID: myID, log: log, links: map[InstanceID]*linkEntry{}, done: make(chan struct{})}
}

// Watch starts the link of id, or re-addresses it when addr changed.
func (ls *LinkSet) Watch(id InstanceID, addr Addr, auth Auth, out chan<- Observation) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return
	}
	if e := ls.links[id]; e != nil {
		if e.addr == addr {
			return
		}
		ls.closeEntry(e)
	}
	in := make(chan link.Observation, 256)
	lc := link.Config{
		Addr: addr.String(), Kind: id.Kind, MyID: ls.myID,
		AuthUser: auth.User, AuthPass: auth.Pass, Renames: auth.Rename, Logger: ls.log, Dial: ls.Dial,
	}
	if ls.Local != nil && id.Kind != link.KindSentinel {
		lc.Local = ls.Local(lc.Addr)
	}
	l := link.New(lc, in)
	e := &linkEntry{l: l, addr: addr, stop: make(chan struct{})}
	ls.links[id] = e
	go ls.translate(id, e, in, out)
}

// closeEntry closes a link in the background (Close waits for commands in
// flight, and its deliveries must keep draining meanwhile).
func (ls *LinkSet) closeEntry(e *linkEntry) {
	go func() {
		_ = e.l.Close()
		close(e.stop)
	}()
}

// translate hands one link's observations to the owner, tagged with id.
func (ls *LinkSet) translate(id InstanceID, e *linkEntry, in <-chan link.Observation, out chan<- Observation) {
	for {
		var lo link.Observation
		select {
		case lo = <-in:
		case <-e.stop:
			return
		}
		select {
		case out <- Observation{ID: id, Observation: lo}:
		case <-ls.done:
		case <-e.stop:
			return
		}
	}
}

// Unwatch closes the link of id.
func (ls *LinkSet) Unwatch(id InstanceID) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if e := ls.links[id]; e != nil {
		delete(ls.links, id)
		ls.closeEntry(e)
	}
}

func (ls *LinkSet) get(id InstanceID) *link.Link {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if e := ls.links[id]; e != nil {
		return e.l
	}
	return nil
}

// SetHello sets the hello the link of id publishes.
func (ls *LinkSet) SetHello(id InstanceID, h link.Hello) {
	if l := ls.get(id); l != nil {
		l.SetHello(h)
	}
}

// SetFence sets the lease renewal of the link of id.
func (ls *LinkSet) SetFence(id InstanceID, f *link.Fence) {
	if l := ls.get(id); l != nil {
		l.SetFence(f)
	}
}

// SetPeriods sets the timers of the link of id.
func (ls *LinkSet) SetPeriods(id InstanceID, p link.Periods) {
	if l := ls.get(id); l != nil {
		l.SetPeriods(p)
	}
}

// RefreshInfo sends INFO to id now; the reply arrives as an observation.
func (ls *LinkSet) RefreshInfo(id InstanceID) {
	if l := ls.get(id); l != nil {
		l.Info()
	}
}

// commandTimeout bounds the commands the shell sends (SLAVEOF transaction,
// IS-MASTER-DOWN-BY-ADDR).
const commandTimeout = 2 * time.Second

// SlaveOf sends the SLAVEOF transaction to id in the background.
func (ls *LinkSet) SlaveOf(id InstanceID, to *Addr, done func(error)) {
	l := ls.get(id)
	if l == nil {
		go done(link.ErrClosed)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		var err error
		if to == nil {
			_, err = l.PromoteNoOne(ctx)
		} else {
			_, err = l.ReplicaOf(ctx, to.Host, to.Port)
		}
		done(err)
	}()
}

// Send runs argv on id's command connection in the background.
func (ls *LinkSet) Send(id InstanceID, argv []string, done func(any, error)) {
	l := ls.get(id)
	if l == nil {
		go done(nil, link.ErrClosed)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		done(l.Send(ctx, argv...))
	}()
}

// Close closes every link (in the background) and stops the translators.
func (ls *LinkSet) Close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return
	}
	ls.closed = true
	close(ls.done)
	for id, e := range ls.links {
		delete(ls.links, id)
		ls.closeEntry(e)
	}
}
