package link

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// errRecycled is the LinkDown cause of a connection closed by the recycling rules.
var errRecycled = errors.New("link: connection recycled (no reply in time)")

// ccSession is one command connection: a go-redis client limited to one connection,
// no retries and no pooling surprises. A transport error ends the session; the
// scheduler opens a new one at most once per ping period.
type ccSession struct {
	c       *redis.Client
	local   Local  // instead of c: the instance in this process (Config.Local)
	localIP string // local address of the socket, set by the dialer (guarded by Link.mu)
}

func (s *ccSession) close() {
	if s.c != nil {
		_ = s.c.Close()
	}
}

// options returns go-redis options for one connection of the link. RESP2 as real
// redis-sentinel uses; go-redis still sends HELLO 2 first (without credentials, so a
// password-protected instance answers -NOAUTH and the connection stays RESP2), then
// OnConnect sends Sentinel's own handshake with renamed command names.
func (l *Link) options(conn Conn, s *ccSession) *redis.Options {
	return &redis.Options{
		Addr:             l.cfg.Addr,
		Protocol:         2,
		DisableIdentity:  true,
		MaxRetries:       -1,
		PoolSize:         1,
		PipelinePoolSize: -1,
		DialerRetries:    1,
		DialTimeout:      l.cfg.Timeout,
		ReadTimeout:      l.cfg.Timeout,
		WriteTimeout:     l.cfg.Timeout,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var c net.Conn
			var err error
			if l.cfg.Dial != nil {
				c, err = l.cfg.Dial(ctx, addr)
			} else {
				d := net.Dialer{Timeout: l.cfg.Timeout}
				c, err = d.DialContext(ctx, network, addr)
			}
			if err == nil && s != nil {
				if host, _, herr := net.SplitHostPort(c.LocalAddr().String()); herr == nil {
					l.mu.Lock()
					s.localIP = host
					l.mu.Unlock()
				}
			}
			return c, err
		},
		OnConnect: func(ctx context.Context, cn *redis.Conn) error {
			if err := l.handshake(ctx, cn, conn); err != nil {
				return err
			}
			if s != nil {
				l.ccUp(s)
			}
			return nil
		},
	}
}

// handshake sends AUTH (when a password is configured) and CLIENT SETNAME. Error
// replies are logged and ignored as Redis Sentinel does (a wrong password shows up as
// -NOAUTH replies to PING); a transport error fails the connection.
func (l *Link) handshake(ctx context.Context, cn *redis.Conn, conn Conn) error {
	if l.cfg.AuthPass != "" {
		args := []any{l.command("AUTH")}
		if l.cfg.AuthUser != "" {
			args = append(args, l.cfg.AuthUser)
		}
		args = append(args, l.cfg.AuthPass)
		if err := cn.Do(ctx, args...).Err(); err != nil {
			if _, ok := isRedisErr(err); !ok {
				return err
			}
			l.log.Warn().Err(err).Stringer("conn", conn).Msg("auth refused")
		}
	}
	id := l.cfg.MyID
	if len(id) > 8 {
		id = id[:8]
	}
	name := "sentinel-" + id + "-" + conn.String()
	if err := cn.Do(ctx, l.command("CLIENT"), "SETNAME", name).Err(); err != nil {
		if _, ok := isRedisErr(err); !ok {
			return err
		}
		l.log.Debug().Err(err).Stringer("conn", conn).Msg("client setname refused")
	}
	return nil
}

// connectCC opens a new command connection and sends the PING that dials it.
func (l *Link) connectCC() {
	if l.cfg.Local != nil {
		l.connectLocal()
		return
	}
	s := &ccSession{}
	s.c = redis.NewClient(l.options(CC, s))
	l.mu.Lock()
	if l.closed || l.cc != nil {
		l.mu.Unlock()
		s.close()
		return
	}
	l.cc = s
	l.st.CCConnTime = l.now()
	l.mu.Unlock()
	l.sendPing(s)
}

// ccUp marks s up after its handshake and reports it.
func (l *Link) ccUp(s *ccSession) {
	l.report(Observation{Event: EventLinkUp, Conn: CC}, func(time.Time) bool {
		if l.cc != s || l.st.CCUp {
			return false
		}
		l.st.CCUp = true
		return true
	})
	l.log.Debug().Msg("command connection up")
}

// dropCC ends session s if it is still the current one.
func (l *Link) dropCC(s *ccSession, cause error) {
	if s == nil {
		return
	}
	var cur, was bool
	l.report(Observation{Event: EventLinkDown, Conn: CC, Err: cause}, func(time.Time) bool {
		if l.cc != s {
			return false
		}
		cur, was = true, l.st.CCUp
		l.cc, l.st.CCUp = nil, false
		return was
	})
	if !cur {
		return
	}
	s.close()
	if was {
		l.log.Info().Err(cause).Msg("command connection down")
	}
}

// do runs one command on s; a transport error ends the session.
func (l *Link) do(ctx context.Context, s *ccSession, args ...any) (any, error) {
	if s.local != nil {
		vs, err := l.doLocal(ctx, s, args)
		if err != nil {
			return nil, err
		}
		if e, ok := vs[0].(error); ok {
			return nil, e
		}
		return vs[0], nil
	}
	v, err := s.c.Do(ctx, args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		if _, ok := isRedisErr(err); !ok {
			l.dropCC(s, err)
		}
	}
	return v, err
}

// pingAvailable is Redis's test of a PING reply: +PONG, -LOADING and -MASTERDOWN mean
// the instance is available.
func pingAvailable(reply string) bool {
	return strings.HasPrefix(reply, "PONG") || strings.HasPrefix(reply, "LOADING") ||
		strings.HasPrefix(reply, "MASTERDOWN")
}

// replyText returns a reply as text, or an error reply's message; transport is the
// error when there was no reply at all.
func replyText(v any, err error) (text string, isErr bool, transport error) {
	if err != nil {
		if msg, ok := isRedisErr(err); ok {
			return msg, true, nil
		}
		if errors.Is(err, redis.Nil) {
			return "", false, nil
		}
		return "", false, err
	}
	switch v := v.(type) {
	case string:
		return v, false, nil
	case int64:
		return strconv.FormatInt(v, 10), false, nil
	}
	return "", false, nil
}

// sendPing sends one PING on s in the background.
func (l *Link) sendPing(s *ccSession) {
	if s == nil {
		return
	}
	l.report(Observation{Event: EventPingSent}, func(now time.Time) bool {
		l.pings++
		l.st.LastPing = now
		if l.st.ActPing.IsZero() {
			l.st.ActPing = now
		}
		return true
	})
	if !l.spawn(func() {
		ctx, cancel := l.ctx()
		defer cancel()
		text, _, terr := replyText(l.do(ctx, s, l.command("PING")))
		ok := terr == nil && pingAvailable(text)
		l.report(Observation{Event: EventPingReply, OK: ok, Reply: text, Err: terr}, func(now time.Time) bool {
			l.pings--
			if terr == nil {
				l.st.LastPong = now
			}
			if ok {
				l.st.LastAvail = now
				l.st.ActPing = time.Time{}
			}
			return true
		})
	}) {
		l.update(func(time.Time) { l.pings-- })
	}
}

// sendInfo sends one INFO on s in the background.
func (l *Link) sendInfo(s *ccSession) {
	if s == nil {
		return
	}
	l.update(func(time.Time) { l.infos++ })
	if !l.spawn(func() {
		ctx, cancel := l.ctx()
		defer cancel()
		v, err := l.do(ctx, s, l.command("INFO"))
		text, isStr := v.(string)
		ok := err == nil && isStr
		o := Observation{Event: EventInfo}
		if ok {
			o.Reply, o.Info = text, ParseInfo(text)
		} else {
			l.log.Debug().Err(err).Msg("info failed")
		}
		l.report(o, func(now time.Time) bool {
			l.infos--
			if ok {
				l.infoRefresh = now
			}
			return ok
		})
	}) {
		l.update(func(time.Time) { l.infos-- })
	}
}

// sendHello publishes the current hello on s in the background.
func (l *Link) sendHello(s *ccSession) {
	if s == nil {
		return
	}
	var h *Hello
	l.update(func(time.Time) {
		if l.hello != nil {
			cp := *l.hello
			if cp.IP == "" {
				cp.IP = s.localIP
			}
			h = &cp
			l.pubs++
		}
	})
	if h == nil {
		return
	}
	payload := FormatHello(*h)
	if !l.spawn(func() {
		ctx, cancel := l.ctx()
		defer cancel()
		text, isErr, terr := replyText(l.do(ctx, s, l.command("PUBLISH"), HelloChannel, payload))
		ok := terr == nil && !isErr
		if ok && l.cfg.Kind == KindSentinel && h.GossipPort > 0 {
			_, _, _ = replyText(l.do(ctx, s, l.command("PUBLISH"), GossipChannel, FormatGossip(*h)))
		}
		l.report(Observation{Event: EventPublish, OK: ok, Reply: text, Err: terr}, func(now time.Time) bool {
			l.pubs--
			if ok {
				l.lastPub = now
			}
			return true
		})
	}) {
		l.update(func(time.Time) { l.pubs-- })
	}
}
