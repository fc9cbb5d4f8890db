package link

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Send runs one command on the command connection and returns its reply as go-redis
// decodes RESP2 (string, int64, []any, nil); an error reply comes back as an error
// whose text is the message. argv[0] goes through rename-command. Use it for one-off
// commands such as SENTINEL is-master-down-by-addr to a peer or SCRIPT KILL. It blocks
// for one round trip (bounded by ctx and Config.Timeout) and never writes to the
// observation channel.
func (l *Link) Send(ctx context.Context, argv ...string) (any, error) {
	if len(argv) == 0 {
		return nil, ErrNoCommand
	}
	s, err := l.current()
	if err != nil {
		return nil, err
	}
	args := make([]any, len(argv))
	args[0] = l.command(argv[0])
	for i, a := range argv[1:] {
		args[i+1] = a
	}
	return l.do(ctx, s, args...)
}

// PromoteNoOne sends Redis Sentinel's promotion transaction: MULTI, SLAVEOF NO ONE,
// CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE pubsub, EXEC (names through
// rename-command). It returns the reply to SLAVEOF inside EXEC ("OK" when accepted); the
// other replies are ignored. When the transaction went through it sends an INFO at once,
// so the promotion is confirmed by an EventInfo without waiting for the next poll.
func (l *Link) PromoteNoOne(ctx context.Context) (string, error) {
	return l.slaveOf(ctx, "NO", "ONE")
}

// ReplicaOf sends the same transaction with SLAVEOF host port, and the same immediate
// INFO afterwards.
func (l *Link) ReplicaOf(ctx context.Context, host string, port int) (string, error) {
	return l.slaveOf(ctx, host, strconv.Itoa(port))
}

func (l *Link) slaveOf(ctx context.Context, a, b string) (string, error) {
	s, err := l.current()
	if err != nil {
		return "", err
	}
	if s.local != nil {
		return l.slaveOfLocal(ctx, s, a, b)
	}
	var exec *redis.Cmd
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, l.command("MULTI"))
		p.Do(ctx, l.command("SLAVEOF"), a, b)
		p.Do(ctx, l.command("CONFIG"), "REWRITE")
		p.Do(ctx, l.command("CLIENT"), "KILL", "TYPE", "normal")
		p.Do(ctx, l.command("CLIENT"), "KILL", "TYPE", "pubsub")
		exec = p.Do(ctx, l.command("EXEC"))
		return nil
	})
	if _, isReply := isRedisErr(err); err != nil && !isReply {
		l.dropCC(s, err)
		return "", err
	}
	l.log.Info().Str("slaveof", a+" "+b).Msg("slaveof transaction sent")
	l.sendInfo(s)
	return execFirst(exec.Result())
}

// execFirst returns the first reply inside EXEC's array.
func execFirst(v any, err error) (string, error) {
	if err != nil {
		return "", err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return "", fmt.Errorf("%w: EXEC returned %v", ErrReply, v)
	}
	switch r := arr[0].(type) {
	case string:
		return r, nil
	case error:
		return "", r
	}
	return "", fmt.Errorf("%w: SLAVEOF returned %v", ErrReply, arr[0])
}
