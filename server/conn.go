package server

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/vigil-db/vigil/resp"
)

const (
	readChunk = 16 << 10 // bytes read per syscall at least
	maxBatch  = 1024     // commands executed per lock acquisition
)

// serveConn runs one client connection: read, parse outside the lock, execute a batch
// under the lock, flush once per batch.
func (s *Server) serveConn(conn net.Conn) {
	c := s.newClient(conn)
	if c == nil {
		return
	}
	defer s.freeClient(c)
	go c.writer()

	buf := make([]byte, readChunk)
	start, end := 0, 0
	var cmds [][][]byte
	var pool, scratch [][]byte
	more := false // the buffer may hold complete commands beyond the last batch
	for {
		// compact and grow the buffer
		if start == end {
			start, end = 0, 0
		} else if start > 0 && end == len(buf) {
			copy(buf, buf[start:end])
			end -= start
			start = 0
		}
		if !more && len(buf)-end < readChunk/4 {
			nb := make([]byte, max(2*len(buf), end+readChunk))
			copy(nb, buf[:end])
			buf = nb
		}
		// Read only when the last batch took every complete command of the buffer: a
		// pipeline longer than maxBatch that arrived in one read (the client may have
		// sent its last byte) is executed batch by batch without waiting for more input.
		if !more {
			if t := s.idleTimeout(c); t > 0 {
				conn.SetReadDeadline(time.Now().Add(t))
			}
			n, err := conn.Read(buf[end:])
			if n > 0 {
				end += n
				s.stats.netInput.Add(int64(n))
			}
			if err != nil {
				if n == 0 {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() && !c.has(ClientKilled) {
						s.log.Debug().Int64("client", c.id).Msg("client timed out")
					} else if !errors.Is(err, io.EOF) && !c.has(ClientKilled) {
						s.log.Debug().Err(err).Int64("client", c.id).Msg("client read error")
					}
					return
				}
			}
		}
		// parse every complete command in the buffer
		cmds = cmds[:0]
		pool = pool[:0]
		var perr error
		for start < end && len(cmds) < maxBatch {
			args, consumed, need, _, err := resp.Parse(buf[start:end], scratch, s.limits())
			scratch = args
			if err == resp.ErrIncomplete {
				if need > 0 && need > len(buf)-start {
					// a big bulk: grow once to its size
					if int64(need) > s.cfg.ClientQueryBufferLimit {
						perr = &resp.ProtocolError{Msg: "invalid bulk length"}
						break
					}
					nb := make([]byte, need+readChunk)
					copy(nb, buf[start:end])
					end -= start
					start = 0
					buf = nb
				}
				break
			}
			if err != nil {
				perr = err
				break
			}
			start += consumed
			if len(args) == 0 {
				continue
			}
			pool = append(pool, args...)
			cmds = append(cmds, pool[len(pool)-len(args):len(pool):len(pool)])
		}
		more = perr == nil && len(cmds) == maxBatch && start < end
		if int64(end-start) > s.cfg.ClientQueryBufferLimit {
			s.log.Warn().Str("addr", c.addr).Msg("closing client that reached max query buffer length")
			return
		}
		c.qbufLen.Store(int64(end - start))
		if !s.execBatch(c, cmds) {
			return
		}
		if perr != nil {
			s.mu.Lock()
			c.err("ERR " + perr.Error())
			c.queueOutput()
			s.mu.Unlock()
			c.flush()
			return
		}
	}
}

// execBatch executes cmds under the lock, flushing and waiting where a command blocks.
// It returns false when the connection must be closed.
func (s *Server) execBatch(c *Client, cmds [][][]byte) bool {
	if len(cmds) == 0 {
		return true
	}
	i := 0
	for i < len(cmds) {
		s.mu.Lock()
		s.clock = time.Now() // dispatch and call advance it: one clock read per command
		startOffset := s.repl.offset
		if c.has(ClientKilled) { // CLIENT KILL while this goroutine waited for the lock
			s.mu.Unlock()
			return false
		}
		postponed := false
		for ; i < len(cmds); i++ {
			if !s.processCommand(c, cmds[i]) {
				postponed = true // CLIENT PAUSE holds cmds[i]: run it again after the pause
				break
			}
			if c.block != nil || c.detach != nil || c.has(ClientCloseAfterReply|ClientKilled) {
				i++
				break
			}
		}
		c.queueOutput()
		s.replDistribute()
		if s.repl.offset != startOffset {
			s.streamBarrier(c) // the batch wrote: its stream reaches the replicas first
		}
		detach := c.detach
		ticket := s.aofTicket() // the replies may only go out once the AOF holds the writes
		// c.flags and c.block change under the lock (other clients touch WATCHed keys,
		// serve blocked clients): read them before releasing it
		closing := c.has(ClientCloseAfterReply | ClientKilled)
		blocked := c.block // read under the lock: another client may serve c at any time
		s.mu.Unlock()
		if !ticket.wait() {
			return false
		}
		c.flushStreams()
		if err := c.flush(); err != nil {
			return false
		}
		if closing {
			return false
		}
		if blocked != nil && !s.waitUnblocked(c, blocked) {
			return false
		}
		if postponed && !s.waitUnpaused(c) {
			return false
		}
		if detach != nil {
			// the connection leaves the command loop (SYNC/PSYNC): the stream owns it now
			detach()
			return false
		}
	}
	return true
}

// newClient registers a new connection, enforcing maxclients and protected mode.
func (s *Server) newClient(conn net.Conn) *Client {
	c := &Client{
		srv:    s,
		conn:   conn,
		addr:   conn.RemoteAddr().String(),
		laddr:  conn.LocalAddr().String(),
		kick:   make(chan struct{}, 1),
		closed: make(chan struct{}),
		authed: true,
		user:   "default",
	}
	c.w.Proto = 2
	c.w.B = make([]byte, 0, 4096)
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if s.cfg.TCPKeepalive > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(s.cfg.TCPKeepalive)
		}
	}
	if conn.LocalAddr().Network() == "unix" {
		c.flags |= ClientUnixSocket
		c.addr = s.cfg.UnixSocket + ":0"
		c.laddr = s.cfg.UnixSocket + ":0"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) >= s.cfg.MaxClients {
		s.stats.rejectedConns.Add(1)
		conn.Write([]byte("-" + ErrMaxClients + "\r\n"))
		conn.Close()
		return nil
	}
	if !c.has(ClientUnixSocket) && s.cfg.ProtectedDenies(conn.RemoteAddr()) {
		s.stats.rejectedConns.Add(1)
		conn.Write([]byte(ErrDenied))
		conn.Close()
		return nil
	}
	c.id = s.nextID.Add(1)
	c.authed = s.cfg.RequirePass == ""
	now := time.Now()
	c.ctime, c.lastAt = now, now
	s.clients[c.id] = c
	return c
}

// freeClient unregisters c and releases everything it holds.
func (s *Server) freeClient(c *Client) {
	s.mu.Lock()
	s.releaseClientState(c)
	delete(s.clients, c.id)
	s.mu.Unlock()
	c.flush()
	c.close()
}

// releaseClientState drops subscriptions, watches and blocking registrations (under mu).
func (s *Server) releaseClientState(c *Client) {
	if c.wait != nil {
		s.removeWaiter(c)
	}
	if c.block != nil {
		s.unblock(c)
	}
	s.unwatchAll(c)
	s.unsubscribeAll(c)
	s.removeMonitor(c)
}

func (s *Server) limits() resp.Limits {
	return resp.Limits{MaxBulkLen: s.cfg.ProtoMaxBulkLen}
}

// idleTimeout returns the read deadline to apply to c, 0 for none.
func (s *Server) idleTimeout(c *Client) time.Duration {
	if s.cfg.Timeout <= 0 || c.has(ClientReplica|ClientMaster|ClientPubSub) || c.block != nil {
		return 0
	}
	return s.cfg.Timeout
}
