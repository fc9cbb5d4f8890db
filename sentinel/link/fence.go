package link

import (
	"strconv"
	"time"
)

// Fence is what a sentinel sends to renew the write lease of a master in fenced mode
// (Vigil's; docs/safety.md): its id, the majority of the sentinels monitoring the
// master, and its down-after-milliseconds for it.
type Fence struct {
	ID          string
	Majority    int
	DownAfterMs int64
	// LeaseMs is how long the master counts a renewal (its INFO's fenced_lease_ms; 0:
	// not reported yet). Only the renewal period derives from it; it is not sent.
	LeaseMs int64
}

// Bounds of the renewal period (RenewPeriod).
const (
	FenceMinPeriod = 50 * time.Millisecond
	FenceMaxPeriod = time.Second
)

// fenceLeaseMargin is the master's cap on its lease, as a part of down-after-milliseconds
// (server/fence.go's constant of the same name).
const fenceLeaseMargin = 0.9

// RenewPeriod is the pause between two renewals of f: a quarter of the lease the master
// counts, min(LeaseMs, 0.9 × DownAfterMs), within [FenceMinPeriod, FenceMaxPeriod]. A
// renewal's lease counts from the previous renewal's token, so it holds for about
// lease − period − two round trips after it arrives: a quarter keeps the lease held
// through two renewals lost in a row.
func (f Fence) RenewPeriod() time.Duration {
	lease := time.Duration(float64(time.Duration(f.DownAfterMs)*time.Millisecond) * fenceLeaseMargin)
	if l := time.Duration(f.LeaseMs) * time.Millisecond; l > 0 && (l < lease || lease <= 0) {
		lease = l
	}
	if lease <= 0 {
		return FenceMaxPeriod
	}
	return min(max(lease/4, FenceMinPeriod), FenceMaxPeriod)
}

// SetFence makes the link renew the master's write lease every f.RenewPeriod() (nil
// stops it). The owner sets it only while it agrees that the instance is the master and
// no failover of it is under way. A new or changed fence is renewed at once.
func (l *Link) SetFence(f *Fence) {
	l.mu.Lock()
	changed := (f == nil) != (l.fence == nil) || (f != nil && !f.sameRenewal(*l.fence))
	if changed {
		l.fenceToken = "0"
	}
	if f != nil {
		cp := *f
		f = &cp
	}
	l.fence = f
	l.mu.Unlock()
	if changed && f != nil {
		select {
		case l.fenceWake <- struct{}{}:
		default:
		}
	}
}

// sameRenewal reports whether f and g send the same renewal (LeaseMs only sets the
// period): a token stays good across a change of the lease's length.
func (f Fence) sameRenewal(g Fence) bool {
	return f.ID == g.ID && f.Majority == g.Majority && f.DownAfterMs == g.DownAfterMs
}

// fenceLoop renews the lease while the owner sets a fence, on the fence's own period,
// independently of PING: a renewal is itself a round trip that shows the master
// available (renewFence). Started by New.
func (l *Link) fenceLoop() {
	defer l.wg.Done()
	t := time.NewTimer(l.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
		case <-l.fenceWake:
		}
		l.mu.Lock()
		f, cc, up := l.fence, l.cc, l.st.CCUp
		l.mu.Unlock()
		wait := FenceMaxPeriod // no fence: SetFence wakes us
		switch {
		case f != nil && cc != nil && up:
			l.renewFence(cc)
			wait = f.RenewPeriod()
		case f != nil: // not connected: try again at the next tick
			wait = l.cfg.Tick
		}
		t.Stop()
		t.Reset(wait)
	}
}

// renewFence sends REPLCONF FENCE <id> <majority> <down-after-ms> <token>. The token is
// the master's reply to our previous renewal; without one ("0"), the reply only brings a
// token, and we renew with it at once, so the first round after a promotion (or a
// restart of either side) already gives the lease.
//
// A reply that is not an error counts as an available PING reply (LastAvail, ActPing
// cleared; reported as EventFence), in the same step that stores the token: every later
// SDOWN of ours counts from a time after the token was issued, so the lease the master
// counts from it (at most 0.9 × down-after) ends before we could see it down
// (docs/safety.md). An error reply (another process run, a master without fenced mode)
// or no reply restarts with "0".
func (l *Link) renewFence(s *ccSession) {
	for range 2 {
		l.mu.Lock()
		f, tok := l.fence, l.fenceToken
		l.mu.Unlock()
		if f == nil {
			return
		}
		ctx, cancel := l.ctx()
		text, isErr, terr := replyText(l.do(ctx, s, l.command("REPLCONF"), "FENCE", f.ID,
			strconv.Itoa(f.Majority), strconv.FormatInt(f.DownAfterMs, 10), tok))
		cancel()
		ok := terr == nil && !isErr
		if isErr {
			l.log.Debug().Str("reply", text).Msg("fence renewal refused")
		}
		fetched := false
		l.report(Observation{Event: EventFence, OK: ok, Reply: text, Err: terr}, func(now time.Time) bool {
			if terr == nil {
				l.st.LastPong = now
			}
			if ok {
				l.st.LastAvail = now
				l.st.ActPing = time.Time{}
			}
			if l.fence != nil && l.fence.sameRenewal(*f) { // else SetFence reset the token meanwhile
				l.fenceToken = "0"
				if ok {
					l.fenceToken = text
					fetched = tok == "0"
				}
			}
			return ok
		})
		if !fetched {
			return
		}
	}
}
