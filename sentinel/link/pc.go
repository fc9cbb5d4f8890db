package link

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// pcSession is one pub/sub connection, subscribed to HelloChannel.
//
// go-redis writes SUBSCRIBE itself, so that one command name is not mapped through
// rename-command (AUTH and CLIENT are). On a transport error go-redis also redials once
// inside Receive before returning it; the session is closed right after.
type pcSession struct {
	c  *redis.Client
	ps *redis.PubSub
}

func (s *pcSession) close() {
	_ = s.ps.Close()
	_ = s.c.Close()
}

// connectPC opens a new pub/sub connection and starts reading it.
func (l *Link) connectPC() {
	c := redis.NewClient(l.options(PC, nil))
	s := &pcSession{c: c, ps: c.Subscribe(context.Background())}
	l.mu.Lock()
	if l.closed || l.pc != nil {
		l.mu.Unlock()
		s.close()
		return
	}
	l.pc = s
	now := l.now()
	l.st.PCConnTime, l.st.PCLastActivity = now, now
	l.mu.Unlock()
	if !l.spawn(func() { l.readPC(s) }) {
		s.close()
	}
}

// readPC subscribes and reports hellos until the connection fails or is closed. An
// error reply to SUBSCRIBE (e.g. -NOAUTH) ends the connection, as in Redis.
func (l *Link) readPC(s *pcSession) {
	ctx := context.Background()
	err := s.ps.Subscribe(ctx, HelloChannel)
	if err == nil {
		_, err = s.ps.Receive(ctx)
	}
	if err != nil {
		l.dropPC(s, err)
		return
	}
	l.pcUp(s)
	for {
		msg, err := s.ps.Receive(ctx)
		if err != nil {
			l.dropPC(s, err)
			return
		}
		if m, ok := msg.(*redis.Message); ok {
			l.onMessage(m.Payload)
		}
	}
}

// onMessage handles one message on the hello channel: every message counts as
// activity; our own hellos and malformed ones are not reported.
func (l *Link) onMessage(payload string) {
	h, err := ParseHello(payload)
	own := strings.Contains(payload, l.cfg.MyID)
	if err != nil && !own {
		l.log.Debug().Err(err).Str("payload", payload).Msg("bad hello")
	}
	l.report(Observation{Event: EventHello, Hello: h, Reply: payload}, func(now time.Time) bool {
		l.st.PCLastActivity = now
		return err == nil && !own
	})
}

func (l *Link) pcUp(s *pcSession) {
	l.report(Observation{Event: EventLinkUp, Conn: PC}, func(time.Time) bool {
		if l.pc != s || l.st.PCUp {
			return false
		}
		l.st.PCUp = true
		return true
	})
	l.log.Debug().Msg("pub/sub connection up")
}

// dropPC ends session s if it is still the current one.
func (l *Link) dropPC(s *pcSession, cause error) {
	if s == nil {
		return
	}
	var cur, was bool
	l.report(Observation{Event: EventLinkDown, Conn: PC, Err: cause}, func(time.Time) bool {
		if l.pc != s {
			return false
		}
		cur, was = true, l.st.PCUp
		l.pc, l.st.PCUp = nil, false
		return was
	})
	if !cur {
		return
	}
	s.close()
	if was {
		l.log.Info().Err(cause).Msg("pub/sub connection down")
	}
}
