package server

import (
	"math"
	"math/big"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/vigil-db/vigil/resp"
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
	// arrived is when the command that blocked reached the server (unix ns, 0: not known):
	// the waiters on a key are kept in this order (queueByArrival; arrival.go)
	arrived int64
}

type readyKey struct {
	db  int
	key string
}

// blockOn suspends c on keys until serve succeeds for one of them, the deadline passes, or
// the client is unblocked. Called by a handler, which writes no reply itself. Inside EXEC
// (ClientDenyBlocking) the handler must not call it: it replies the timeout reply instead.
func (c *Client) blockOn(keys [][]byte, deadline time.Time, serve func(c *Client, key []byte) bool, timeout func(c *Client)) {
	b := &blockState{db: c.dbIndex, deadline: deadline, serve: serve, timeout: timeout, done: make(chan struct{}), arrived: c.arrivedAt()}
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
		st[ks] = queueByArrival(st[ks], c, b.arrived)
	}
	c.block = b
}

// queueByArrival adds c, whose command arrived at arrived, to the clients blocked on a
// key: after every client whose command arrived no later (or at an unknown time), as
// Redis's single event loop would have blocked them. Mostly an append: a client queues
// ahead only of those whose goroutines ran before its own although their input came later.
func queueByArrival(q []*Client, c *Client, arrived int64) []*Client {
	i := len(q)
	for arrived != 0 && i > 0 && q[i-1].block != nil && q[i-1].block.arrived > arrived {
		i--
	}
	return slices.Insert(q, i, c)
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
			// keys expire against the time the key is served, not the command's start
			// (handleClientsBlockedOnKeys's updateCachedTime): EXEC that ran DEBUG SLEEP
			// past a TTL it set leaves the client blocked
			s.clock = time.Now()
			s.nowMs = s.clock.UnixMilli()
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
	if c.cmd != nil {
		c.cmd.stats.failed++ // the blocked command failed (updateStatsOnUnblock)
	}
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
// b is c's block state, read under the lock when the command blocked: if c has been served
// since, b.done is already closed and the reply is flushed at once.
func (s *Server) waitUnblocked(c *Client, b *blockState) bool {
	var timer <-chan time.Time
	if !b.deadline.IsZero() {
		t := time.NewTimer(time.Until(b.deadline))
		defer t.Stop()
		timer = t.C
	}
	stopWatch := c.watchHangup()
	defer stopWatch()
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
	ticket := s.aofTicket() // the reply shows a pop that must be in the AOF first
	s.streamBarrier(c)      // ... and in the replicas' sockets
	var fence fenceHold
	if s.fenced() && s.repl.offset > s.repl.fence.acked.Load() {
		fence.need = s.fenceBatch() // ... and, in fenced mode, acknowledged by them
	}
	s.mu.Unlock()
	if !ticket.wait() {
		return false
	}
	c.waitStreams()
	if fence.need > 0 && !s.releaseAfterAcks(c, fence) {
		return false
	}
	return c.flush() == nil
}

// watchHangup closes c if its peer disconnects while c is blocked (the connection
// goroutine is not reading then). It peeks without consuming input, so pipelined commands
// stay in the socket; when such input is pending it stops watching. The returned stop
// function ends the watch and must be called before the connection is read again.
func (c *Client) watchHangup() (stop func()) {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	c.conn.SetReadDeadline(time.Time{}) // blocked clients are exempt from the idle timeout
	done := make(chan struct{})
	go func() {
		defer close(done)
		hangup := false
		var buf [1]byte
		err := rc.Read(func(fd uintptr) bool {
			n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&buf[0])), 1,
				syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
			switch {
			case errno == syscall.EAGAIN || errno == syscall.EINTR:
				return false // not readable yet: wait
			case errno != 0 || n == 0:
				hangup = true // reset or orderly shutdown
			}
			return true
		})
		if err == nil && hangup {
			c.close()
		}
	}()
	return func() {
		c.conn.SetReadDeadline(time.Now())
		<-done
		c.conn.SetReadDeadline(time.Time{})
	}
}

// parseTimeout parses a blocking command's timeout in seconds as Redis 7.0's
// getTimeoutFromObjectOrReply does, replying the error itself. A zero deadline means forever.
// Redis computes (long long)ceill(strtold(arg) * 1000.0) without further checks, so 0.0001
// waits 1 ms, -0.0009 is accepted as 0 (forever) and inf is "negative"; a deadline past the
// end of time wraps in Redis and times out at once, as it does here.
func (c *Client) parseTimeout(arg []byte) (time.Time, bool) {
	ms, ok := timeoutMillis(arg)
	if !ok {
		c.err(ErrTimeoutNotFloat)
		return time.Time{}, false
	}
	if ms < 0 {
		c.err(ErrTimeoutNegative)
		return time.Time{}, false
	}
	if ms == 0 {
		return time.Time{}, true
	}
	if ms > math.MaxInt64-c.now() {
		return time.UnixMilli(c.now()), true
	}
	return time.UnixMilli(c.now() + ms), true
}

// timeoutMillis is (long long)ceill(strtold(arg) * 1000.0) as compiled for x86-64: 80-bit
// extended precision (64-bit mantissa, round to nearest even), rounding up,
// and LLONG_MIN (the "integer indefinite") for results out of range.
func timeoutMillis(arg []byte) (int64, bool) {
	if n, ok := resp.ParseInt(arg); ok {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return math.MinInt64, true
		}
		return n * 1000, true
	}
	x, ok := parseLongDouble(arg)
	if !ok {
		return 0, false
	}
	p := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven)
	p.Mul(x, big.NewFloat(1000))
	if p.IsInf() {
		return math.MinInt64, true
	}
	i, acc := p.Int(nil)
	if acc == big.Below && p.Sign() > 0 {
		i.Add(i, big.NewInt(1)) // ceill: a positive fraction of a millisecond is one
	}
	if !i.IsInt64() {
		return math.MinInt64, true
	}
	return i.Int64(), true
}

// parseLongDouble parses arg as Redis's string2ld does with glibc's strtold: the whole
// string, no leading space, decimal or hexadecimal, inf/infinity; NaN and values out of
// the long double range are rejected.
func parseLongDouble(arg []byte) (*big.Float, bool) {
	if len(arg) == 0 || len(arg) >= 5*1024 {
		return nil, false
	}
	s := string(arg)
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' || strings.ContainsRune(s, '_') {
		return nil, false
	}
	x := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven)
	low := strings.ToLower(s)
	switch {
	case low == "inf" || low == "infinity":
		return x.SetInf(neg), true
	case strings.HasPrefix(low, "0b") || strings.HasPrefix(low, "0o"):
		return nil, false
	case !strings.HasPrefix(low, "0x") && strings.ContainsAny(low, "p"):
		return nil, false
	}
	if _, _, err := x.Parse(s, 0); err != nil {
		return nil, false
	}
	if exp := x.MantExp(nil); x.Sign() != 0 && (exp > 16384 || exp < -16445) {
		return nil, false // ERANGE: overflow to HUGE_VAL or underflow to zero
	}
	if neg {
		x.Neg(x)
	}
	return x, true
}
