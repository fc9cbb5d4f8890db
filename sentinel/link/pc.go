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
	o := l.record(EventHello, func(now time.Time) { l.st.PCLastActivity = now })
	if strings.Contains(payload, l.cfg.MyID) {
		return
	}
	h, err := ParseHello(payload)
	if err != nil {
		l.log.Debug().Err(err).Str("payload", payload).Msg("bad hello")
		return
	}
	o.Hello, o.Reply = h, payload
	l.emit(o)
}

func (l *Link) pcUp(s *pcSession) {
	var up bool
	o := l.record(EventLinkUp, func(time.Time) {
		if l.pc == s && !l.st.PCUp {
			l.st.PCUp, up = true, true
		}
	})
	if up {
		o.Conn = PC
		l.log.Debug().Msg("pub/sub connection up")
		l.emit(o)
	}
}

// dropPC ends session s if it is still the current one.
func (l *Link) dropPC(s *pcSession, cause error) {
	if s == nil {
		return
	}
	var was, cur bool
	o := l.record(EventLinkDown, func(time.Time) {
		if l.pc == s {
			cur, was = true, l.st.PCUp
			l.pc, l.st.PCUp = nil, false
		}
	})
	if !cur {
		return
	}
	s.close()
	if was {
		o.Conn, o.Err = PC, cause
		l.log.Info().Err(cause).Msg("pub/sub connection down")
		l.emit(o)
	}
}
