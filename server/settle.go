package server

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// Settling: input that arrived first is read first.
//
// Redis reads every connection in one event loop: when a client's bytes (or its close)
// reached the server before another client's command, the loop has read them by the time
// it runs that command. Here each connection has its own goroutine, woken by the netpoller
// in no particular order, so a command can run while input that arrived earlier on another
// connection waits for its goroutine. Most commands cannot tell. Two situations can, and
// for them the command steps back until that input is read:
//
//   - A command that reports on the other clients (CLIENT LIST: FlagObservesClients) would
//     show a query buffer before the bytes already sent into it, or a client that already
//     hung up.
//   - A write about to be refused with OOM, or to evict keys, while clients that already
//     hung up still hold big output buffers (a test, or an application, that closed its
//     slow subscribers and goes on writing): freeing them is what Redis does first.
//
// Stepping back uses the batch machinery of CLIENT PAUSE: the command is not run, the
// batch ends before it, the connection waits (without the lock) until each client whose
// socket held unread input or a hang-up has read it or is gone, at most settleMax, and
// the command runs again, without settling a second time. Clients that will not read soon
// are not waited for: blocked (BLPOP, WAIT), held by a pause, replicas and our master.

// settleMax bounds the wait for other connections to read what they were sent.
const settleMax = 20 * time.Millisecond

// settleScanEvery bounds how often a write under memory pressure looks for hung-up clients.
const settleScanEvery = 10 * time.Millisecond

// peekState is what a client's socket holds unread.
type peekState uint8

const (
	peekNothing peekState = iota // nothing, or the socket is gone
	peekData                     // bytes not read yet
	peekEOF                      // the peer hung up (and every byte was read) or reset
)

// peek looks at c's socket without reading (recv with MSG_PEEK and MSG_DONTWAIT, through
// RawConn.Control, which does not wait for the connection's own blocked Read). Safe from
// any goroutine.
func (c *Client) peek() peekState {
	if c.raw == nil {
		return peekNothing
	}
	var b [1]byte
	st := peekNothing
	err := c.raw.Control(func(fd uintptr) {
		// a raw syscall: syscall.Recvfrom would allocate the peer's address
		n, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		switch {
		case e == syscall.EAGAIN:
		case e != 0: // a reset (the peer closed with our output unread): the read ends too
			st = peekEOF
		case n > 0:
			st = peekData
		default:
			st = peekEOF
		}
	})
	if err != nil {
		return peekNothing // closed
	}
	return st
}

// gone reports whether c was freed (its connection closed).
func (c *Client) gone() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// unreadInput returns the clients other than self that will read soon (not blocked,
// paused, waiting for replicas, nor a replication link) whose sockets hold input they have
// not read (or a hang-up); with hungUpOnly, only the hung-up ones that hold at least
// clientGarbage bytes of buffers (under mu).
func (s *Server) unreadInput(self *Client, hungUpOnly bool) []*Client {
	var out []*Client
	for _, o := range s.clients {
		if o == self || o.block != nil || o.held || o.wait != nil || o.has(ClientReplica|ClientMaster) {
			continue
		}
		if hungUpOnly && o.buffers() < clientGarbage {
			continue
		}
		switch o.peek() {
		case peekEOF:
			out = append(out, o)
		case peekData:
			if !hungUpOnly {
				out = append(out, o)
			}
		}
	}
	return out
}

// buffers is what c's buffers on the heap hold: unsent output, what its writer is
// sending, its query buffer (what freeing it releases). A replica's stream is not on the
// heap (streambuf.go).
func (c *Client) buffers() int64 {
	if c.coalesce.Load() {
		return c.qbufCap.Load()
	}
	c.outMu.Lock()
	n := int64(cap(c.pending))
	c.outMu.Unlock()
	return n + c.outFlight.Load() + c.qbufCap.Load()
}

// mustSettle reports whether c's command cmd steps back until other connections' input
// is read (under mu; see the comment at the top). It records the clients to wait for.
func (s *Server) mustSettle(c *Client, cmd *Command) bool {
	if c.settled {
		return false
	}
	if cmd.Flags&FlagObservesClients != 0 {
		c.settleFor = s.unreadInput(c, false)
	} else if s.cfg.MaxMemory > 0 && cmd.Flags&FlagDenyOOM != 0 && s.clock.Sub(s.evict.settleScan) >= settleScanEvery &&
		s.evictableMemory() > s.cfg.MaxMemory {
		s.evict.settleScan = s.clock
		c.settleFor = s.unreadInput(c, true)
	}
	return len(c.settleFor) > 0
}

// awaitSettled waits, without the lock, until each client of c.settleFor has read its
// input (or is gone), at most settleMax; the command it held then runs without settling
// again.
func (c *Client) awaitSettled() {
	wait := c.settleFor
	c.settleFor = nil
	c.settled = true
	deadline := time.Now().Add(settleMax)
	for len(wait) > 0 && time.Now().Before(deadline) {
		runtime.Gosched()
		left := wait[:0]
		for _, o := range wait {
			if o.gone() {
				continue
			}
			if st := o.peek(); st == peekData || st == peekEOF {
				left = append(left, o)
			}
		}
		wait = left
		if len(wait) > 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	// what they read may be a command: let its goroutine take the lock first
	runtime.Gosched()
}
