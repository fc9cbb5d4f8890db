package mesh

import "sync/atomic"

// lamport is a Lamport clock (serf lamport.go): Tick before sending, Witness on receive.
// Safe for concurrent use.
type lamport struct {
	v atomic.Uint64
}

// Time returns the current value.
func (c *lamport) Time() uint64 { return c.v.Load() }

// Tick increments the clock and returns the new value.
func (c *lamport) Tick() uint64 { return c.v.Add(1) }

// Witness moves the clock past v, so later local ticks order after it.
func (c *lamport) Witness(v uint64) {
	for {
		cur := c.v.Load()
		if v < cur {
			return
		}
		if c.v.CompareAndSwap(cur, v+1) {
			return
		}
	}
}
