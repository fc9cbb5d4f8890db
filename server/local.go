package server

import (
	"bytes"
	"errors"
	"strconv"
	"sync"
	"time"
)

// LocalClient is a client of the server in the same process that has no
// connection at all (a node's agent watching its own server). Its commands go
// through the dispatcher like a socket client's (every gate: LOADING,
// MASTERDOWN, BUSY…; the execution lock; MULTI/EXEC), so PING, INFO, REPLICAOF
// NO ONE or REPLCONF FENCE make the same state change and get the same reply.
// It is not registered among the clients: CLIENT LIST, connected_clients and
// CLIENT KILL do not see it. It is authenticated (the caller is the process).
// Safe for concurrent use: one Do at a time.
type LocalClient struct {
	s  *Server
	mu sync.Mutex
	c  *Client
}

// NewLocalClient returns a connectionless client named name (CLIENT GETNAME).
func (s *Server) NewLocalClient(name string) *LocalClient {
	c := &Client{srv: s, authed: true, user: "default", name: name, flags: ClientDenyBlocking,
		kick: make(chan struct{}, 1), closed: make(chan struct{})}
	c.w.Proto = 2
	now := time.Now()
	c.ctime, c.lastAt = now, now
	c.id = s.nextID.Add(1)
	return &LocalClient{s: s, c: c}
}

// Do runs the commands in order, as one pipeline of a client (no other Do of
// lc interleaves), each under the execution lock as a socket client's batch
// runs, and returns one reply per command decoded as a RESP2 client decodes
// it: string (status or bulk), int64, []any, nil, or an error value for an
// error reply (its message without '-'). It fails with ErrStopped once the
// server is stopping.
func (lc *LocalClient) Do(cmds ...[]string) ([]any, error) {
	s := lc.s
	lc.mu.Lock()
	defer lc.mu.Unlock()
	out := make([]any, 0, len(cmds))
	for _, cmd := range cmds {
		select {
		case <-s.done:
			return out, ErrStopped
		default:
		}
		args := make([][]byte, len(cmd))
		for i, a := range cmd {
			args[i] = []byte(a)
		}
		reply, ok := lc.exec(args)
		if !ok {
			return out, ErrStopped
		}
		v, _, err := decodeReply(reply)
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// exec is execBatch for one command without a connection: under the lock,
// then the replication stream and the AOF before the reply is returned; a
// command postponed by CLIENT PAUSE runs once the pause ends.
func (lc *LocalClient) exec(args [][]byte) ([]byte, bool) {
	s, c := lc.s, lc.c
	for {
		s.mu.Lock()
		s.clock = time.Now()
		startOffset := s.repl.offset
		done := s.processCommand(c, args)
		reply := bytes.Clone(c.w.B)
		c.w.B = c.w.B[:0]
		s.replDistribute()
		if s.repl.offset != startOffset {
			s.streamBarrier(c)
		}
		ticket := s.aofTicket()
		s.mu.Unlock()
		if !ticket.wait() {
			return nil, false
		}
		c.waitStreams()
		if done {
			return reply, true
		}
		if c.settleFor != nil {
			c.awaitSettled()
			continue
		}
		if !s.waitUnpaused(c) {
			return nil, false
		}
	}
}

// errLocalReply is a reply the decoder does not understand (a bug of ours).
var errLocalReply = errors.New("server: local client: malformed reply")

// decodeReply decodes one RESP2 reply from the front of b.
func decodeReply(b []byte) (any, []byte, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		return nil, nil, errLocalReply
	}
	kind, head, rest := b[0], string(b[1:i]), b[i+2:]
	switch kind {
	case '+':
		return head, rest, nil
	case '-':
		return errors.New(head), rest, nil
	}
	n, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return nil, nil, errLocalReply
	}
	switch kind {
	case ':':
		return n, rest, nil
	case '$':
		if n < 0 {
			return nil, rest, nil
		}
		if int64(len(rest)) < n+2 {
			return nil, nil, errLocalReply
		}
		return string(rest[:n]), rest[n+2:], nil
	case '*':
		if n < 0 {
			return nil, rest, nil
		}
		if n > int64(len(rest)) {
			return nil, nil, errLocalReply
		}
		arr := make([]any, 0, n)
		for range n {
			var v any
			if v, rest, err = decodeReply(rest); err != nil {
				return nil, nil, err
			}
			arr = append(arr, v)
		}
		return arr, rest, nil
	}
	return nil, nil, errLocalReply
}
