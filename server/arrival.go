package server

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

// Arrival order of batches.
//
// The netpoller hands the connections that became readable together to their goroutines
// in reverse order (it stacks them), so with one P the command that arrived last ran
// first: of BLPOP, BLPOP, RPUSH sent back to back on three connections, RPUSH ran first
// and the second BLPOP took the element in half the rounds. Redis's event loop reads them
// in the order the kernel readied them. So a connection that read input with a known
// receive time (arrival_linux.go), in a batch whose order with other clients' commands
// shows (FlagArrivalOrder: blocking commands, those that may serve blocked clients,
// pub/sub), enters the batch in arrivalOrder, yields once (the goroutines woken with it
// then read and enter theirs), and, while a batch whose input arrived earlier waits to
// start, parks until that batch takes the execution lock and wakes the next one (at most
// arrivalWaitMax). The yield is what costs: applied to every batch it took 9-13% of
// redis-benchmark -P 16 SET/GET (-c 50, 9 alternating rounds); so other batches neither
// enter nor wait. Clients blocked on a key queue by the same receive times
// (queueByArrival, blocking.go).

// inArrivalOrder reports whether a command of c's batch has FlagArrivalOrder (read
// without the lock: the table does not change once built). The answer for the last
// name looked up is kept: a pipeline mostly repeats one command, and a lookup per
// command cost about 4% at -P 16.
func (s *Server) inArrivalOrder(c *Client, cmds [][][]byte) bool {
	k := &c.orderName
	for _, args := range cmds {
		name := args[0]
		if len(name) > len(k.name) { // no command has a longer name
			continue
		}
		if len(name) != k.n || string(name) != string(k.name[:k.n]) {
			var buf [len(k.name)]byte
			cmd := s.cmds[string(lower(buf[:0], name))]
			k.n = copy(k.name[:], name)
			k.ordered = cmd != nil && cmd.Flags&FlagArrivalOrder != 0
		}
		if k.ordered {
			return true
		}
	}
	return false
}

// orderName is the last command name inArrivalOrder looked up for a client, as sent.
type orderName struct {
	name    [32]byte
	n       int
	ordered bool
}

// arrivalWaitMax bounds how long a batch waits for input that arrived before it.
const arrivalWaitMax = time.Millisecond

// turn is a client's place in arrivalOrder (one per client, reused).
type turn struct {
	at      int64 // receive time of the batch's input; 0: not entered
	idx     int   // its index in arrivalOrder.turns
	waiting bool  // parked until an earlier batch starts (under arrivalOrder.mu)
	wake    chan struct{}
	timer   *time.Timer
}

// arrivalOrder holds the batches read and not yet started: a min-heap by receive time.
type arrivalOrder struct {
	mu    sync.Mutex
	turns turnHeap
}

type turnHeap []*turn

func (h turnHeap) Len() int           { return len(h) }
func (h turnHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h turnHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *turnHeap) Push(x any) {
	t := x.(*turn)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *turnHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// earliest returns the entered turn with the earliest input, nil if none (under mu).
func (o *arrivalOrder) earliest() *turn {
	if len(o.turns) == 0 {
		return nil
	}
	return o.turns[0]
}

// awaitTurn enters c's batch, whose input arrived at at, and returns when no batch that
// arrived before it waits to start (or after arrivalWaitMax). It leaves when its batch
// takes the execution lock (execBatch, leaveTurn).
func (s *Server) awaitTurn(c *Client, at int64) {
	o, t := &s.order, &c.turn
	if t.wake == nil {
		t.wake = make(chan struct{}, 1)
	}
	o.mu.Lock()
	t.at = at
	heap.Push(&o.turns, t)
	o.mu.Unlock()
	runtime.Gosched() // the goroutines woken with this one read and enter
	for {
		o.mu.Lock()
		if e := o.earliest(); e == t || e.at >= at {
			o.mu.Unlock()
			return
		}
		t.waiting = true
		o.mu.Unlock()
		if t.timer == nil {
			t.timer = time.NewTimer(arrivalWaitMax)
		} else {
			t.timer.Reset(arrivalWaitMax)
		}
		select {
		case <-t.wake:
			t.timer.Stop()
		case <-t.timer.C:
			o.mu.Lock()
			t.waiting = false
			o.mu.Unlock()
			select { // a wake sent meanwhile
			case <-t.wake:
			default:
			}
			return
		}
	}
}

// leaveTurn ends c's wait in arrival order: its batch took the execution lock, or its
// connection ends (only c's connection goroutine enters and leaves). The batch that is
// now the earliest, if parked, goes on.
func (s *Server) leaveTurn(c *Client) {
	o, t := &s.order, &c.turn
	if t.at == 0 {
		return
	}
	o.mu.Lock()
	heap.Remove(&o.turns, t.idx)
	t.at = 0
	if e := o.earliest(); e != nil && e.waiting {
		e.waiting = false
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
	o.mu.Unlock()
}
