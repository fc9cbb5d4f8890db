package server

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigil-db/vigil/resp"
)

// Fenced mode (fenced-mode yes; docs/safety.md argues why the parts lose nothing):
//
//   - a batch of commands that wrote is answered only once fenced-replicas replicas have
//     acknowledged the stream offset at its end. The first waiter asks the replicas with
//     REPLCONF GETACK * (one request outstanding at a time: the ACKs answer every batch
//     written before the request, and the next request carries every batch written
//     since — a group commit across clients, as the AOF's); replicas answer GETACK at
//     once. A batch not acknowledged within the ack timeout is answered with an error per
//     command instead of its replies (the writes may or may not survive a failover);
//   - writes fail at once (NOREPLICAS) while fewer than fenced-replicas replicas are
//     online, and (FENCED) while the master holds no lease: a majority of the sentinels
//     must renew it (REPLCONF FENCE, sent by each sentinel every lease/4 while it agrees
//     this instance is the master; sentinel/link/fence.go). A renewal carries the token the
//     master gave in its reply to the sentinel's previous renewal: the master's clock when
//     it replied.
//     The sentinel sent the renewal after receiving that token, so the master counts the
//     lease from the token's time, never from a later one: a renewal delayed in the
//     network (or replayed after a partition heals) extends nothing;
//   - reads of data need the lease too (gateFenced), and a batch that read or wrote data
//     waits for the ACK of the offset at its end unless everything is acknowledged
//     already (fenceMustHold); an ACK that arrives after the lease expired does not count
//     (fenceWait). So reads are linearizable too.

// fenceState is the fenced-mode state (under Server.mu, but acked and the wake channel).
type fenceState struct {
	acked atomic.Int64  // highest offset acknowledged by fenced-replicas replicas
	wake  chan struct{} // closed when acked advances or a replica leaves (under Server.mu)
	// asked is the offset the last GETACK was sent at; askOpen while its ACKs are awaited
	asked   int64
	askOpen bool
	need    int64   // the highest offset a waiting batch needs
	offs    []int64 // fenceAcked's scratch: the online replicas' ACKed offsets

	nonce     string             // this process's token prefix: tokens of another run are refused
	renewals  map[string]renewal // sentinel id → its last valid renewal
	until     time.Time          // the lease holds before this time (recomputed on each renewal)
	holding   bool               // the lease was valid at the last check (for the transition log)
	expiredAt time.Time          // when the lease was last found expired
}

// renewal is one sentinel's last renewal of the lease.
type renewal struct {
	from      time.Time     // the token's time: the lease counts from it
	majority  int           // the majority size the sentinel announced
	downAfter time.Duration // its down-after-milliseconds for this master
}

// fenceAckTimeoutNoLease is how long a batch waits for its ACKs when the lease is off
// (fenced-lease-ms 0); otherwise it waits up to the lease time.
const fenceAckTimeoutNoLease = 2 * time.Second

// fenceLinkTimeout is, in fenced mode, how long a replication connection may leave
// data unacknowledged by the peer's TCP before the kernel drops it (TCP_USER_TIMEOUT, set
// on both ends) and how long a replica's connect to its master may take: the ack
// timeout (fenced-lease-ms, or fenceAckTimeoutNoLease without a lease). A replica that
// cannot acknowledge within it is no use to fenced writes; dropping its connection makes
// writes fail at once with NOREPLICAS rather than after the timeout, and the replica
// reconnects on a fresh connection within about this time after the network heals,
// instead of waiting for TCP's retransmission backoff (several seconds after a cut of
// 8 s). 0 outside fenced mode: the link then behaves as Redis's (repl-timeout only).
func (s *Server) fenceLinkTimeout() time.Duration {
	if !s.cfg.FencedMode {
		return 0
	}
	if t := time.Duration(s.cfg.FencedLeaseMs) * time.Millisecond; t > 0 {
		return t
	}
	return fenceAckTimeoutNoLease
}

// fenceLeaseMargin is the part of the sentinels' down-after-milliseconds a lease may
// use at most: the rest covers clock rate drift (docs/safety.md: ρ ≤ 5%).
const fenceLeaseMargin = 0.9

func newFenceState() fenceState {
	var b [8]byte
	rand.Read(b[:])
	return fenceState{nonce: hex.EncodeToString(b[:]), renewals: map[string]renewal{}}
}

// fenced reports whether this server applies fenced mode now (a master with it on).
func (s *Server) fenced() bool { return s.cfg.FencedMode && !s.isReplica() }

// gateFenced refuses writes in fenced mode while fewer than fenced-replicas replicas
// are online or the lease is not held, and reads of data without the lease (a new
// master may exist then, with writes this one never saw) or while fewer replicas are
// online than needed to acknowledge a write the read may show (see gates). A batch let
// through waits for the ACKs of what it may show (fenceMustHold).
func (s *Server) gateFenced(c *Client, cmd *Command) string {
	if !s.fenced() || c.has(ClientMaster) {
		return ""
	}
	flags := c.gateFlags(cmd)
	if cmd.Name == "exec" {
		union, _ := c.queuedFlags()
		flags |= union & fenceDataFlags
	}
	if flags&fenceDataFlags == 0 {
		return ""
	}
	if !s.leaseValid(s.clock) {
		// a master without the lease may have been replaced: the connection closes
		// once the error is out, so that a client re-resolves the master through the
		// sentinels instead of staying on this one (as Redis's sentinels close a
		// demoted master's clients with CLIENT KILL, which cannot reach a cut-off or
		// paused one). Checked before the replicas: a resumed old master has lost
		// them too, and NOREPLICAS would keep its clients
		c.flags |= ClientCloseAfterReply
		return ErrFencedLease
	}
	if s.onlineReplicas() < s.cfg.FencedReplicas &&
		(flags&FlagWrite != 0 || s.repl.offset > s.repl.fence.acked.Load()) {
		return ErrNoReplicas
	}
	return ""
}

// fenceDataFlags mark the commands whose replies show the data (Redis's write and
// readonly flags): fenced mode refuses them without the lease and holds their replies
// until the replicas acknowledged every write they may show.
const fenceDataFlags = FlagWrite | FlagReadonly

// onlineReplicas counts the replicas streaming from us (past their first ACK).
func (s *Server) onlineReplicas() int {
	n := 0
	for _, r := range s.repl.replicas {
		if r.repl.state == replOnline && !r.repl.waitAck {
			n++
		}
	}
	return n
}

// leaseDuration is the lease time: fenced-lease-ms, capped by the sentinels' announced
// down-after-milliseconds less the drift margin. 0 when the lease is off.
func (s *Server) leaseDuration() time.Duration {
	d := time.Duration(s.cfg.FencedLeaseMs) * time.Millisecond
	if d == 0 {
		return 0
	}
	for _, r := range s.repl.fence.renewals {
		if m := time.Duration(float64(r.downAfter) * fenceLeaseMargin); r.downAfter > 0 && m < d {
			d = m
		}
	}
	return d
}

// leaseState counts the sentinels whose renewal is still valid at now, the majority
// they announced (the largest announced) and how long the lease still holds (INFO).
func (s *Server) leaseState(now time.Time) (valid, majority int, remaining time.Duration) {
	d := s.leaseDuration()
	for _, r := range s.repl.fence.renewals {
		majority = max(majority, r.majority)
		if r.from.Add(d).After(now) {
			valid++
		}
	}
	return valid, majority, max(s.repl.fence.until.Sub(now), 0)
}

// leaseUntil is when the lease ends, given the renewals: the majority-th latest end of
// a renewal (zero without a majority of renewals).
func (s *Server) leaseUntil() time.Time {
	d := s.leaseDuration()
	majority := 0
	ends := make([]time.Time, 0, len(s.repl.fence.renewals))
	for _, r := range s.repl.fence.renewals {
		majority = max(majority, r.majority)
		ends = append(ends, r.from.Add(d))
	}
	if majority == 0 || len(ends) < majority {
		return time.Time{}
	}
	for i := 1; i < len(ends); i++ { // latest first
		for j := i; j > 0 && ends[j].After(ends[j-1]); j-- {
			ends[j], ends[j-1] = ends[j-1], ends[j]
		}
	}
	return ends[majority-1]
}

// leaseValid reports whether writes may be accepted under the lease at now, and logs
// the transitions (log and the fenced_lease INFO field say so). It is on the write
// path: one comparison with the end computed at the last renewal.
func (s *Server) leaseValid(now time.Time) bool {
	if s.cfg.FencedLeaseMs == 0 {
		return true
	}
	f := &s.repl.fence
	ok := now.Before(f.until)
	if ok != f.holding {
		f.holding = ok
		valid, majority, _ := s.leaseState(now)
		if ok {
			s.log.Info().Int("sentinels", valid).Int("majority", majority).Msg("fenced mode: write lease acquired, accepting writes and reads")
		} else {
			f.expiredAt = now
			s.log.Warn().Int("sentinels", valid).Int("majority", majority).Msg("fenced mode: write lease expired, refusing writes and reads")
		}
	}
	return ok
}

// fenceCron notices the lease's expiry when no write asks (log, INFO, the sentinels'
// event). Run by cron.
func (s *Server) fenceCron() {
	if s.fenced() {
		s.leaseValid(time.Now())
	}
	if f := &s.repl.fence; f.wake != nil { // the waiters look at their deadlines
		close(f.wake)
		f.wake = nil
	}
}

// fenceRenew is REPLCONF FENCE <sentinel-id> <majority> <down-after-ms> <token>: a
// sentinel renews the lease. The reply is a new token ("+<nonce>-<ns>") that the sentinel
// sends with its next renewal; the token "0" (a sentinel's first renewal) only asks for one.
func (s *Server) fenceRenew(c *Client, args [][]byte) {
	if len(args) != 4 {
		c.err(ErrSyntax)
		return
	}
	majority, ok1 := resp.ParseInt(args[1])
	downAfter, ok2 := resp.ParseInt(args[2])
	if !ok1 || !ok2 || majority < 1 || majority > 1000 || downAfter < 0 || len(args[0]) == 0 || len(args[0]) > 64 {
		c.err(ErrFencedRenew)
		return
	}
	now := time.Now()
	f := &s.repl.fence
	if tok := string(args[3]); tok != "0" {
		from, ok := s.parseFenceToken(tok, now)
		if !ok {
			c.err(ErrFencedRenew)
			return
		}
		id := string(args[0])
		if _, known := f.renewals[id]; !known && len(f.renewals) >= 1000 {
			c.err(ErrFencedRenew)
			return
		}
		if old, known := f.renewals[id]; !known || !old.from.After(from) {
			f.renewals[id] = renewal{from: from, majority: int(majority), downAfter: time.Duration(downAfter) * time.Millisecond}
		}
		f.until = s.leaseUntil()
		s.leaseValid(now)
	}
	c.w.Raw([]byte("+" + f.nonce + "-" + strconv.FormatInt(now.Sub(s.startTime).Nanoseconds(), 10) + "\r\n"))
}

// parseFenceToken returns the time a token of ours was issued; false for a token of
// another process run or from the future.
func (s *Server) parseFenceToken(tok string, now time.Time) (time.Time, bool) {
	nonce, ns, ok := strings.Cut(tok, "-")
	if !ok || nonce != s.repl.fence.nonce {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	// startTime carries the monotonic clock: the token's time is monotonic too
	t := s.startTime.Add(time.Duration(n))
	if t.After(now) {
		return time.Time{}, false
	}
	return t, true
}

// fenceBatch is called under the lock at the end of a batch that wrote, before the
// stream is distributed: it returns the offset the batch's replies must wait for and
// asks the replicas for their ACKs unless a request is outstanding.
func (s *Server) fenceBatch() int64 {
	f := &s.repl.fence
	need := s.repl.offset
	f.need = max(f.need, need)
	if !f.askOpen {
		f.askOpen = true
		f.asked = need
		s.requestAcksNow()
	}
	return need
}

// fenceAcked recomputes the acknowledged offset after an ACK or a replica's departure
// (under the lock), and sends the next GETACK when batches wait beyond the last one.
func (s *Server) fenceAcked() {
	if !s.cfg.FencedMode {
		return
	}
	f := &s.repl.fence
	n := max(s.cfg.FencedReplicas, 1)
	offs := f.offs[:0]
	for _, r := range s.repl.replicas {
		if r.repl.state == replOnline && !r.repl.waitAck {
			offs = append(offs, r.repl.ackOff)
		}
	}
	f.offs = offs
	var acked int64
	if len(offs) >= n {
		for i := 1; i < len(offs); i++ { // descending
			for j := i; j > 0 && offs[j] > offs[j-1]; j-- {
				offs[j], offs[j-1] = offs[j-1], offs[j]
			}
		}
		acked = offs[n-1]
	}
	if acked > f.acked.Load() {
		f.acked.Store(acked)
	}
	if f.askOpen && acked >= f.asked {
		f.askOpen = false
		if f.need > acked {
			f.askOpen = true
			f.asked = s.repl.offset
			s.requestAcksNow()
		}
	}
	if f.wake != nil {
		close(f.wake)
		f.wake = nil
	}
}

// fenceWait returns once the replicas acknowledged offset need while the lease holds
// (true), or false when the wait timed out (checked when woken: by ACKs, departures, and
// cron every 100 ms), the lease expired, fewer than fenced-replicas replicas remain
// online, this server is no longer a master, or c closed. An ACK seen after the lease
// expired does not count: a failover may have chosen a replica that lacks the batch's
// writes before they reached the replica that acknowledged them (docs/safety.md, reads).
// Called without the lock.
func (s *Server) fenceWait(c *Client, need int64) bool {
	var deadline time.Time
	for {
		s.mu.Lock()
		// no timer per batch: cron wakes the waiters every 100 ms to look at the time
		now := time.Now()
		if !s.fenced() || !s.leaseValid(now) {
			s.mu.Unlock()
			return false
		}
		if s.repl.fence.acked.Load() >= need {
			s.mu.Unlock()
			return true
		}
		if s.onlineReplicas() < s.cfg.FencedReplicas {
			s.mu.Unlock()
			return false
		}
		if deadline.IsZero() {
			t := time.Duration(s.cfg.FencedLeaseMs) * time.Millisecond
			if t == 0 {
				t = fenceAckTimeoutNoLease
			}
			deadline = now.Add(t)
		} else if !now.Before(deadline) {
			s.mu.Unlock()
			return false
		}
		f := &s.repl.fence
		if f.wake == nil {
			f.wake = make(chan struct{})
		}
		wake := f.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-c.closed:
			return false
		}
	}
}

// fenceHold is what a fenced batch waits for: the offset, and its replies held back
// from the output (held) with their number (n).
type fenceHold struct {
	need int64
	held []byte
	n    int
	hold bool
}

// fenceMustHold reports whether the replies of c's batch must wait for the replicas'
// ACKs (under the lock, at its end): in fenced mode, when the batch read or wrote data
// while writes (its own or others') are not yet acknowledged up to the offset now, since
// its replies may show them. A batch whose commands do not touch data (PING, INFO,
// PUBLISH, REPLCONF FENCE...) is not held, although PUBLISH moves the offset: its reply
// shows no data, and a sentinel sends its hello PUBLISH on the connection that carries
// its PINGs and lease renewals, which a slow replica must not hold up. When everything
// is acknowledged, nothing waits.
func (s *Server) fenceMustHold(c *Client) bool {
	return c.fenceData && s.fenced() && s.repl.offset > s.repl.fence.acked.Load()
}

// holdForAcks takes the replies of a fenced batch of n commands that wrote out of c's
// output until the replicas acknowledge it, and asks for the ACKs. A batch that ended
// blocked or detached keeps its replies in place (others may append to them); it is
// closed instead if the ACKs do not come. Called under the lock before queueOutput.
func (s *Server) holdForAcks(c *Client, n int) fenceHold {
	h := fenceHold{need: s.fenceBatch(), n: n}
	if c.block == nil && c.detach == nil {
		h.held = append(c.fenceHeld[:0], c.w.B...)
		h.hold = true
		c.w.B = c.w.B[:0]
	}
	return h
}

// releaseAfterAcks waits for the ACKs of a fenced batch, then queues its held replies,
// or an error per command when they did not come in time. False: close the connection
// (its replies, if not held, are dropped unsent). Called without the lock.
func (s *Server) releaseAfterAcks(c *Client, h fenceHold) bool {
	ok := s.fenceWait(c, h.need)
	if !h.hold {
		if !ok {
			c.outMu.Lock()
			c.pending = nil
			c.outMu.Unlock()
			c.close()
		}
		return ok
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.fenceHeld = h.held[:0]
	if cap(c.fenceHeld) > replyBufShrink {
		c.fenceHeld = nil // a big reply went through: give its memory back
	}
	if ok {
		c.w.B = append(c.w.B, h.held...)
	} else if s.fenceFail(c, h.n) {
		c.close()
		return false
	}
	c.queueOutput()
	return true
}

// fenceFail replaces the held replies of a batch of n commands whose writes were not
// acknowledged by an error per command. A client whose replies are not one per command
// (CLIENT REPLY OFF/SKIP, subscribed) is closed instead. Called under the lock.
func (s *Server) fenceFail(c *Client, n int) (close bool) {
	if c.has(ClientReplyOff | ClientReplySkip | ClientReplySkipNext | ClientPubSub) {
		return true
	}
	s.stats.fencedTimeouts++
	for range n {
		c.err(ErrFencedTimeout)
	}
	return false
}

// infoFenced writes the fenced-mode fields of INFO replication (Vigil's own).
func infoFenced(w *infoWriter, st *StatsReplication) {
	if !st.FencedMode {
		return
	}
	w.int("fenced_mode", 1)
	w.int("fenced_replicas", int64(st.FencedReplicas))
	w.int("fenced_acked_offset", st.FencedAcked)
	w.int("fenced_ack_timeouts", st.FencedTimeouts)
	w.str("fenced_lease", st.FencedLease)
	w.int("fenced_lease_sentinels", int64(st.FencedLeaseSentinels))
	w.int("fenced_lease_majority", int64(st.FencedLeaseMajority))
	w.int("fenced_lease_remaining_ms", st.FencedLeaseRemaining.Milliseconds())
	w.int("fenced_lease_ms", st.FencedLeaseTime.Milliseconds())
}

// fenceStats fills the fenced-mode fields of st (under the lock).
func (s *Server) fenceStats(st *StatsReplication, now time.Time) {
	if !s.cfg.FencedMode {
		return
	}
	st.FencedMode = true
	st.FencedReplicas = s.cfg.FencedReplicas
	st.FencedAcked = s.repl.fence.acked.Load()
	st.FencedTimeouts = s.stats.fencedTimeouts
	switch {
	case s.cfg.FencedLeaseMs == 0:
		st.FencedLease = "off"
	case s.isReplica():
		st.FencedLease = "replica"
	case s.leaseValid(now):
		st.FencedLease = "valid"
	default:
		st.FencedLease = "expired"
	}
	st.FencedLeaseSentinels, st.FencedLeaseMajority, st.FencedLeaseRemaining = s.leaseState(now)
	st.FencedLeaseTime = s.leaseDuration()
}
