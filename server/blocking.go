package server

import (
	"math"
	"strconv"
	"time"
)

// blockState is the state of a client blocked on keys (BLPOP, BZPOPMIN, BLMOVE...).
type blockState struct {
	db       int
	keys     []string
	deadline time.Time // zero: block forever
	// serve tries to serve the client from key, which was signalled ready. It runs under the
	// execution lock in its own execution unit, writes the reply and propagates, and returns
	// true when the client was served.
	serve func(c *Client, key []byte) bool
	// timeout writes the reply sent when the deadline passes.
	timeout func(c *Client)
	done    chan struct{}
}

type readyKey struct {
	db  int
	key string
}

// blockOn suspends c on keys until serve succeeds for one of them, the deadline passes, or
// the client is unblocked. Called by a handler, which writes no reply itself. Inside EXEC
// (ClientDenyBlocking) the handler must not call it: it replies the timeout reply instead.
func (c *Client) blockOn(keys [][]byte, deadline time.Time, serve func(c *Client, key []byte) bool, timeout func(c *Client)) {
	b := &blockState{db: c.dbIndex, deadline: deadline, serve: serve, timeout: timeout, done: make(chan struct{})}
	st := c.srv.dbState[c.dbIndex].blocking
	for _, key := range keys {
		ks := string(key)
		dup := false
		for _, have := range b.keys {
			if have == ks {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		b.keys = append(b.keys, ks)
		st[ks] = append(st[ks], c)
	}
	c.block = b
}

// canBlock reports whether the current command may block (not inside EXEC).
func (c *Client) canBlock() bool { return !c.has(ClientDenyBlocking) }

// signalReady marks key as possibly able to serve blocked clients; they are served after
// the current command (Redis's signalKeyAsReady).
func (s *Server) signalReady(db int, key []byte) {
	if len(s.dbState[db].blocking) == 0 {
		return
	}
	if _, ok := s.dbState[db].blocking[k(key)]; !ok {
		return
	}
	for _, rk := range s.readyKeys {
		if rk.db == db && rk.key == k(key) {
			return
		}
	}
	s.readyKeys = append(s.readyKeys, readyKey{db: db, key: string(key)})
}

// handleReadyKeys serves blocked clients for every ready key, in the order the clients
// blocked, until no key is ready (serving may make other keys ready, as BLMOVE does).
func (s *Server) handleReadyKeys() {
	for len(s.readyKeys) > 0 {
		ready := s.readyKeys
		s.readyKeys = nil
		for _, rk := range ready {
			waiting := s.dbState[rk.db].blocking[rk.key]
			if len(waiting) == 0 {
				continue
			}
			clients := append([]*Client(nil), waiting...)
			key := []byte(rk.key)
			for _, bc := range clients {
				if bc.block == nil || bc.block.db != rk.db {
					continue
				}
				savedDB := bc.dbIndex
				bc.dbIndex = rk.db
				s.beginUnit()
				served := bc.block.serve(bc, key)
				s.endUnit()
				bc.dbIndex = savedDB
				if served {
					s.unblockAndWake(bc)
				}
			}
		}
	}
}

// unblock removes c from every key it waits on. The caller replies.
func (s *Server) unblock(c *Client) {
	b := c.block
	if b == nil {
		return
	}
	st := s.dbState[b.db].blocking
	for _, key := range b.keys {
		list := st[key]
		for i, x := range list {
			if x == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(st, key)
		} else {
			st[key] = list
		}
	}
	c.block = nil
}

// unblockAndWake unblocks c and wakes its goroutine, which flushes the reply.
func (s *Server) unblockAndWake(c *Client) {
	b := c.block
	s.unblock(c)
	if b != nil {
		close(b.done)
	}
}

// unblockWithError unblocks c replying msg (CLIENT UNBLOCK ERROR, role change).
func (s *Server) unblockWithError(c *Client, msg string) {
	if c.block == nil {
		return
	}
	c.err(msg)
	s.unblockAndWake(c)
}

// unblockWithTimeout unblocks c replying as if its timeout had passed (CLIENT UNBLOCK).
func (s *Server) unblockWithTimeout(c *Client) {
	if c.block == nil {
		return
	}
	c.block.timeout(c)
	s.unblockAndWake(c)
}

// waitUnblocked waits, without the lock, until c is served, times out or is closed; then
// it flushes the reply. It returns false if the connection must be closed.
func (s *Server) waitUnblocked(c *Client) bool {
	s.mu.Lock()
	b := c.block
	if b == nil {
		// served between the batch's unlock and now: its reply is in c.w
		c.queueOutput()
		s.mu.Unlock()
		return c.flush() == nil
	}
	s.mu.Unlock()
	var timer <-chan time.Time
	if !b.deadline.IsZero() {
		t := time.NewTimer(time.Until(b.deadline))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-b.done:
	case <-timer:
		s.mu.Lock()
		if c.block == b {
			s.nowMs = time.Now().UnixMilli()
			b.timeout(c)
			s.unblock(c)
		}
		s.mu.Unlock()
	case <-c.closed:
		return false
	}
	s.mu.Lock()
	c.queueOutput()
	s.mu.Unlock()
	return c.flush() == nil
}

// parseTimeout parses a blocking command's timeout in seconds (a float) as Redis's
// getTimeoutFromObjectOrReply does, replying the error itself. A zero deadline means forever.
func (c *Client) parseTimeout(arg []byte) (time.Time, bool) {
	f, err := strconv.ParseFloat(string(arg), 64)
	if err != nil || math.IsNaN(f) || len(arg) == 0 || arg[0] == ' ' {
		c.err(ErrTimeoutNotFloat)
		return time.Time{}, false
	}
	ms := f * 1000
	if ms > math.MaxInt64 || math.IsInf(ms, 0) {
		c.err(ErrTimeoutOutOfRange)
		return time.Time{}, false
	}
	tval := int64(math.Ceil(ms))
	if tval < 0 {
		c.err(ErrTimeoutNegative)
		return time.Time{}, false
	}
	if tval == 0 {
		return time.Time{}, true
	}
	if tval > math.MaxInt64-c.now() {
		c.err(ErrTimeoutOutOfRange)
		return time.Time{}, false
	}
	return time.UnixMilli(c.now() + tval), true
}
