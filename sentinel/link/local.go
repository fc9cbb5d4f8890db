package link

import (
	"context"
	"errors"
	"net"
)

// Local is an instance in the sentinel's own process (a node's server), reached
// by direct calls instead of a command connection.
type Local interface {
	// Do runs the commands in order as the instance runs them for one client
	// (nothing else interleaves with them) and returns one reply per command:
	// string, int64, []any, nil, or an error value for an error reply (its
	// message). err means the instance cannot run commands (it is stopping):
	// the link treats it as a transport failure.
	Do(cmds ...[]string) (replies []any, err error)
}

// replyError is an error reply of a Local instance, typed as go-redis types the
// ones it reads, so isRedisErr and execFirst treat both alike.
type replyError string

func (e replyError) Error() string { return string(e) }

// RedisError marks replyError as a reply (go-redis's redis.Error).
func (replyError) RedisError() {}

// connectLocal opens the direct "connection": up at once, with no handshake
// (AUTH and CLIENT SETNAME concern sockets). The hello's IP defaults to the
// host of Addr.
func (l *Link) connectLocal() {
	s := &ccSession{local: l.cfg.Local}
	if host, _, err := net.SplitHostPort(l.cfg.Addr); err == nil {
		s.localIP = host
	}
	l.mu.Lock()
	if l.closed || l.cc != nil {
		l.mu.Unlock()
		return
	}
	l.cc = s
	l.st.CCConnTime = l.now()
	l.mu.Unlock()
	l.ccUp(s)
	l.sendPing(s)
}

// doLocal runs commands on a local session, converting error replies (also
// inside arrays, as EXEC's) to replyError. A failure ends the session.
func (l *Link) doLocal(ctx context.Context, s *ccSession, cmds ...[]any) ([]any, error) {
	argv := make([][]string, len(cmds))
	for i, c := range cmds {
		argv[i] = make([]string, len(c))
		for j, a := range c {
			argv[i][j], _ = a.(string)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vs, err := s.local.Do(argv...)
	if err != nil {
		l.dropCC(s, err)
		return nil, err
	}
	for i, v := range vs {
		vs[i] = localValue(v)
	}
	return vs, nil
}

func localValue(v any) any {
	switch v := v.(type) {
	case error:
		var re replyError
		if errors.As(v, &re) {
			return re
		}
		return replyError(v.Error())
	case []any:
		for i, e := range v {
			v[i] = localValue(e)
		}
	}
	return v
}

// slaveOfLocal is slaveOf's transaction through Local, in one Do.
func (l *Link) slaveOfLocal(ctx context.Context, s *ccSession, a, b string) (string, error) {
	vs, err := l.doLocal(ctx, s,
		[]any{l.command("MULTI")},
		[]any{l.command("SLAVEOF"), a, b},
		[]any{l.command("CONFIG"), "REWRITE"},
		[]any{l.command("CLIENT"), "KILL", "TYPE", "normal"},
		[]any{l.command("CLIENT"), "KILL", "TYPE", "pubsub"},
		[]any{l.command("EXEC")})
	if err != nil {
		return "", err
	}
	l.log.Info().Str("slaveof", a+" "+b).Msg("slaveof transaction run in process")
	l.sendInfo(s)
	exec := vs[len(vs)-1]
	if e, ok := exec.(error); ok {
		return execFirst(nil, e)
	}
	return execFirst(exec, nil)
}
