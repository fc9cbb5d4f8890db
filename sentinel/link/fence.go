package link

import (
	"context"
	"strconv"
)

// Fence is what a sentinel sends to renew the write lease of a master in fenced mode
// (Vigil's; docs/safety.md): its id, the majority of the sentinels monitoring the
// master, and its down-after-milliseconds for it.
type Fence struct {
	ID          string
	Majority    int
	DownAfterMs int64
}

// SetFence makes the link renew the master's write lease after each available PING
// reply (nil stops it). The owner sets it only while it agrees that the instance is
// the master and no failover of it is under way.
func (l *Link) SetFence(f *Fence) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f == nil || l.fence == nil || *f != *l.fence {
		l.fenceToken = "0"
	}
	if f != nil {
		cp := *f
		f = &cp
	}
	l.fence = f
}

// renewFence sends REPLCONF FENCE <id> <majority> <down-after-ms> <token> after an
// available PING reply, on the PING's goroutine. The token is the master's reply to our
// previous renewal: it was received before this PING was sent, so the lease the master
// counts from it ends no later than down-after after this PING's reply, before we could
// see the master subjectively down (docs/safety.md). An error reply (another process
// run, a master without fenced mode) restarts with "0".
func (l *Link) renewFence(ctx context.Context, s *ccSession) {
	l.mu.Lock()
	f, tok := l.fence, l.fenceToken
	l.mu.Unlock()
	if f == nil {
		return
	}
	text, isErr, terr := replyText(l.do(ctx, s, l.command("REPLCONF"), "FENCE", f.ID,
		strconv.Itoa(f.Majority), strconv.FormatInt(f.DownAfterMs, 10), tok))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fence == nil || *l.fence != *f {
		return // changed meanwhile: SetFence reset the token
	}
	switch {
	case terr != nil || isErr:
		if isErr {
			l.log.Debug().Str("reply", text).Msg("fence renewal refused")
		}
		l.fenceToken = "0"
	default:
		l.fenceToken = text
	}
}
