package server

import (
	"errors"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/resp"
)

const (
	readChunk = 16 << 10 // bytes read per syscall at least
	maxBatch  = 1024     // commands executed per lock acquisition
	// batchReplyMax ends a batch early once its replies take this many bytes: a pipeline
	// of big replies is answered as fast as the client reads, not all held in memory.
	batchReplyMax = 256 << 10
	// bigArg is Redis's PROTO_MBULK_BIG_ARG: a bulk this long gets a query buffer of
	// its whole size at once
	bigArg        = 32 << 10
	bigArgUpfront = 1 << 20
)

// serveConn runs one client connection: read, parse outside the lock, execute a batch
// under the lock, flush once per batch.
func (s *Server) serveConn(conn net.Conn) {
	c := s.newClient(conn)
	if c == nil {
		return
	}
	q := &queryBuf{buf: make([]byte, readChunk)}
	c.qbufCap.Store(readChunk)
	defer func() {
		if r := recover(); r != nil {
			// before freeClient, which would wait for the lock the panic left held
			s.bugReport(c, r, debug.Stack())
		}
		size := cap(q.buf)
		q.buf = nil
		q.forget()
		s.freeClient(c)
		s.releasedQueryBuf(size) // unreachable now: a GC cycle would free it
	}()
	go c.writer()

	more := false // the buffer may hold complete commands beyond the last batch
	defer s.leaveTurn(c)
	for {
		fresh := !more // this batch's commands came with a read
		// Read only when the last batch took every complete command of the buffer: a
		// pipeline longer than maxBatch that arrived in one read (the client may have
		// sent its last byte) is executed batch by batch without waiting for more input.
		if !more {
			before := cap(q.buf)
			q.makeRoom()
			c.qbufCap.Store(int64(cap(q.buf)))
			if n := cap(q.buf); n > before { // the old buffer is garbage: Redis frees it
				s.evict.bufGrown.Add(int64(n - before))
				// the buffer counts once allocated, before the bytes arrive (Redis evicts
				// a client as its query buffer grows for a big argument)
				if s.cfg.MaxMemoryClients != 0 && !s.evictAfterRead(c) {
					return
				}
			}
			if !s.readQuery(c, q) {
				return
			}
			c.qbufLen.Store(int64(q.end - q.start))
			q.peak = max(q.peak, q.end-q.start)
		}
		// before AUTH one command at a time, as Redis does, so that AUTH lifts the
		// unauthenticated limits for what follows it
		lim := s.limits(c)
		batch := maxBatch
		if lim.Unauthenticated {
			batch = 1
		}
		from := q.start
		cmds, perr := q.parse(lim, batch)
		c.qbufSkip.Store(int64(q.skip))
		more = perr == nil && len(cmds) == batch && q.start < q.end
		// while the batch runs its commands are still in the buffer, as in Redis's
		// querybuf, which is trimmed once the commands it holds have run
		c.qbufLen.Store(int64(q.end - from))
		if at := c.arrivedAt(); fresh && at != 0 && s.inArrivalOrder(c, cmds) {
			s.awaitTurn(c, at) // input that arrived before this batch's runs first (arrival.go)
		}
		if !s.execBatch(c, cmds) {
			return
		}
		c.qbufLen.Store(int64(q.end - q.start))
		if perr != nil {
			s.mu.Lock()
			c.err("ERR " + perr.Error())
			c.queueOutput()
			s.mu.Unlock()
			c.flush()
			return
		}
		// the next command will not fit: Redis closes the client once it has that much
		if int64(max(q.end-q.start, q.need)) > s.cfg.ClientQueryBufferLimit {
			s.log.Warn().Str("addr", c.addr).Msg("closing client that reached max query buffer length")
			return
		}
		q.peak = max(q.peak, q.need)
		if len(q.buf) > queryBufResize {
			s.resizeQueryBuf(c, q)
		}
	}
}

// resizeQueryBuf is Redis's clientsCronResizeQueryBuffer for a busy client, run by the
// connection itself at most once per queryResizeEvery: a buffer over queryBufResize
// bytes and twice the peak use since the last check shrinks to that peak (so a big
// argument's buffer stays while big arguments keep coming, as Redis keeps one of the last
// bulk's size); the peak restarts from what the buffer holds.
func (s *Server) resizeQueryBuf(c *Client, q *queryBuf) {
	now := time.Now()
	if now.Before(q.resizeAt) {
		return
	}
	q.resizeAt = now.Add(queryResizeEvery)
	if q.start == q.end && len(q.buf)/2 > q.peak {
		s.shrinkQueryBuf(c, q, max(q.peak, readChunk))
	}
	q.peak = max(q.end-q.start, q.need)
}

// shrinkQueryBuf replaces an emptied big query buffer by one of size bytes: a big
// argument is done, its memory goes back.
func (s *Server) shrinkQueryBuf(c *Client, q *queryBuf, size int) {
	old := cap(q.buf)
	q.buf, q.start, q.end = make([]byte, size), 0, 0
	c.qbufCap.Store(int64(size))
	size = old - size + readChunk // releasedQueryBuf counts what a readChunk buffer replaced
	q.forget()
	if n := cap(q.pool) + cap(q.scratch); n > maxKeptArgs {
		// the argument vectors of a command of many arguments go too, as Redis's argv
		q.pool, q.scratch, q.cmds = nil, nil, nil
		size += n * argSliceSize
	}
	s.mu.Lock()
	if c.block == nil { // a blocked command runs its args again when served
		c.args = nil
	}
	s.mu.Unlock()
	s.releasedQueryBuf(size)
}

// queryIdleRelease is how long an empty query buffer stays allocated while its client
// sends nothing: then clientsCron wakes the connection's read (releaseIdleQueryBufs) and
// the buffer is released, as Redis frees the query buffer of a client idle for more
// than 2 seconds.
const queryIdleRelease = 2 * time.Second

// readQuery reads more input into q. It returns false when the connection is done.
func (s *Server) readQuery(c *Client, q *queryBuf) bool {
	for {
		if t := s.idleTimeout(c); t > 0 {
			c.conn.SetReadDeadline(time.Now().Add(t))
		}
		buf := q.buf[q.end:]
		if q.buf == nil {
			buf = q.idle[:]
		}
		n, err := c.read(buf)
		var ne net.Error
		if n == 0 && errors.As(err, &ne) && ne.Timeout() && c.qbufRelease.Swap(false) {
			// woken by clientsCron: an idle client's empty buffer goes, the next bytes
			// arrive in the small fixed one
			if q.start == q.end && q.buf != nil {
				s.releaseQueryBuf(c, q)
			}
			c.conn.SetReadDeadline(time.Time{})
			continue
		}
		if q.buf == nil { // back from idle: a buffer again, with what arrived
			q.buf = make([]byte, readChunk)
			q.end = copy(q.buf, q.idle[:n])
			c.qbufCap.Store(readChunk)
			s.stats.netInput.Add(int64(n))
			if n > 0 {
				return true
			}
		}
		return s.afterRead(c, q, n, err)
	}
}

// read reads from c's connection; through recvmsg, to learn when the input arrived, when
// the socket gives receive times (arrival_linux.go).
func (c *Client) read(buf []byte) (int, error) {
	if c.arrival == nil {
		return c.conn.Read(buf)
	}
	return c.arrival.read(c.raw, buf)
}

// arrivedAt is when the input c read last arrived (unix ns; 0 when not known).
func (c *Client) arrivedAt() int64 {
	if c.arrival == nil {
		return 0
	}
	return c.arrival.at
}

// releaseQueryBuf drops an idle client's empty query buffer.
func (s *Server) releaseQueryBuf(c *Client, q *queryBuf) {
	size := cap(q.buf)
	q.buf, q.start, q.end = nil, 0, 0
	c.qbufCap.Store(0)
	s.mu.Lock()
	if c.block == nil {
		c.args = nil // they alias the buffer
	}
	s.mu.Unlock()
	q.forget()
	s.releasedQueryBuf(size)
}

// releaseIdleQueryBufs wakes the reads of the clients idle for queryIdleRelease whose
// query buffer is empty, so that they release it (under mu).
func (s *Server) releaseIdleQueryBufs() {
	now := time.Now()
	for _, c := range s.clients {
		if c.qbufCap.Load() > 0 && c.qbufLen.Load() == 0 && c.block == nil && !c.held &&
			now.Sub(c.lastAt) > queryIdleRelease && !c.has(ClientReplica|ClientMaster) {
			c.qbufRelease.Store(true)
			c.conn.SetReadDeadline(now)
		}
	}
}

// afterRead accounts a read of n bytes into q's free space; false when the connection
// is done.
func (s *Server) afterRead(c *Client, q *queryBuf, n int, err error) bool {
	if n > 0 {
		q.end += n
		s.stats.netInput.Add(int64(n))
	}
	if err == nil || n > 0 {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !c.has(ClientKilled) {
		s.log.Debug().Int64("client", c.id).Msg("client timed out")
	} else if !errors.Is(err, io.EOF) && !c.has(ClientKilled) {
		s.log.Debug().Err(err).Int64("client", c.id).Msg("client read error")
	}
	return false
}

// queryBuf is a connection's input (Redis's querybuf): buf[start:end] is read and not
// yet executed.
type queryBuf struct {
	buf        []byte
	start, end int
	idle       [64]byte // what an idle client sends first, its buffer released (readQuery)
	// need is the parser's hint: the unparsed bytes the next command needs at least.
	// Parsing waits for them, so that a command of many arguments arriving slowly is
	// not parsed again on every read.
	need int
	// peak is the most the buffer held (or a command needed) since resizeAt was last set
	// (resizeQueryBuf)
	peak     int
	resizeAt time.Time
	// skip is where a big pending bulk's data begins, when the buffer ends in one: CLIENT
	// LIST's qbuf leaves out what precedes it, as Redis trims its query buffer to such a
	// bulk
	skip int

	cmds          [][][]byte // the last batch parsed
	pool, scratch [][]byte   // the batch's arguments; they alias buf
}

// parse parses up to batch complete commands from the front of the buffer. The error
// is a protocol error that must close the connection once the commands before it ran.
func (q *queryBuf) parse(lim resp.Limits, batch int) ([][][]byte, error) {
	q.cmds, q.pool = q.cmds[:0], q.pool[:0]
	for q.start < q.end && len(q.cmds) < batch && q.end-q.start >= q.need {
		args, consumed, need, _, err := resp.Parse(q.buf[q.start:q.end], q.scratch, lim)
		q.scratch = args
		if err == resp.ErrIncomplete {
			q.need = need
			if need-(q.end-q.start) >= bigArg {
				q.skip = resp.PendingBulkStart(q.buf[q.start:q.end])
			}
			break
		}
		if err != nil {
			return q.cmds, err
		}
		q.start += consumed
		q.need, q.skip = 0, 0
		if len(args) == 0 {
			continue
		}
		q.pool = append(q.pool, args...)
		q.cmds = append(q.cmds, q.pool[len(q.pool)-len(args):len(q.pool):len(q.pool)])
	}
	return q.cmds, nil
}

// forget drops the parse slices' references into a buffer being replaced.
func (q *queryBuf) forget() {
	clear(q.pool[:cap(q.pool)])
	clear(q.scratch[:cap(q.scratch)])
	clear(q.cmds[:cap(q.cmds)])
}

// maxKeptArgs is how many argument slots the parse vectors keep across a shrink of the
// query buffer; argSliceSize is the size of one ([]byte header).
const (
	maxKeptArgs  = 4096
	argSliceSize = 24
)

// queryBufResize is Redis's PROTO_RESIZE_THRESHOLD: a query buffer larger than this
// shrinks to its recent peak use; queryResizeEvery is how often the peak is checked, as
// clientsCron visits every client about once per 100 ms at hz 10.
const (
	queryBufResize   = 32 << 10
	queryResizeEvery = 100 * time.Millisecond
)

// makeRoom makes space for the next read: it moves the unparsed bytes to the front and
// grows the buffer geometrically, never past twice what has arrived, so that a big
// argument is allocated as its bytes arrive and never at the length it announces.
func (q *queryBuf) makeRoom() {
	if q.start == q.end {
		q.start, q.end = 0, 0
	}
	data := q.end - q.start
	rest := q.need - data // a big argument: room for all of it at once (below)
	upfront := rest >= bigArg && rest <= bigArgUpfront && len(q.buf)-q.start < q.need
	if len(q.buf)-q.end >= readChunk/4 && !upfront {
		return
	}
	if q.start > 0 && len(q.buf)-data >= readChunk/4 && !upfront {
		copy(q.buf, q.buf[q.start:q.end])
		q.start, q.end = 0, data
		return
	}
	n := 2 * len(q.buf)
	if q.need > data {
		n = min(n, q.need+readChunk) // the known rest of a command, no more
		if upfront {
			// a big argument: room for all of it at once, as Redis sizes its query
			// buffer for a bulk of PROTO_MBULK_BIG_ARG bytes or more (so that it counts
			// for maxmemory-clients before it arrives); a longer one grows with what
			// arrives, so that a header alone never allocates much
			n = q.need + readChunk
		}
	}
	nb := make([]byte, max(n, data+readChunk))
	copy(nb, q.buf[q.start:q.end])
	q.buf, q.start, q.end = nb, 0, data
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
		s.leaveTurn(c)
		s.clock = time.Now() // dispatch and call advance it: one clock read per command
		startOffset := s.repl.offset
		if c.has(ClientKilled) { // CLIENT KILL while this goroutine waited for the lock
			s.mu.Unlock()
			return false
		}
		postponed, settling := false, false
		c.held = false
		c.fenceData = false
		first := i
		for ; i < len(cmds); i++ {
			if !s.processCommand(c, cmds[i]) {
				if c.settleFor != nil {
					settling = true // cmds[i] runs again once other clients read their input
					break
				}
				postponed = true // CLIENT PAUSE holds cmds[i]: run it again after the pause
				c.held = true
				break
			}
			if c.block != nil || c.detach != nil || c.has(ClientCloseAfterReply|ClientKilled) {
				i++
				break
			}
			if len(c.w.B) > batchReplyMax && i+1 < len(cmds) {
				// backpressure: the replies so far go out (the flush below waits for
				// the client to read them) before the rest of the pipeline runs
				i++
				break
			}
		}
		var fence fenceHold
		if s.fenceMustHold(c) {
			fence = s.holdForAcks(c, i-first) // fenced mode: the replies wait for the ACKs
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
		c.waitStreams()
		if fence.need > 0 && !s.releaseAfterAcks(c, fence) {
			return false
		}
		if closing || blocked != nil || postponed || settling || detach != nil {
			// what follows waits, or the connection ends or changes hands: the
			// replies go out first
			if err := c.flush(); err != nil {
				return false
			}
		} else if left, err := c.flushNoWait(); err != nil {
			return false
		} else if left && !s.outputLeft(c) {
			// no limit bounds this client's output: past outputNoWaitMax unsent, the
			// rest of its pipeline waits for it to read (backpressure)
			if err := c.flush(); err != nil {
				return false
			}
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
		if settling {
			c.awaitSettled()
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
	c.w.B = make([]byte, 0, replyBufInitial)
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if s.cfg.TCPKeepalive > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(s.cfg.TCPKeepalive)
		}
	}
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw, c.rawWriteF = raw, c.rawWrite
			if _, tcp := conn.(*net.TCPConn); tcp {
				c.arrival = newArrivalReader(raw)
			}
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
	if c.has(ClientReplica) && slices.Contains(s.repl.replicas, c) {
		s.removeReplica(c) // it ended before its session began (serveReplica)
	}
	s.forgetClientMem(c)
	delete(s.clients, c.id)
	c.args = nil // they alias the query buffer
	s.mu.Unlock()
	c.flush()
	c.close()
	size := c.buffers() // with what a closed connection could not send
	c.outMu.Lock()
	c.pending = nil
	c.outMu.Unlock()
	s.releasedClient(size)
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

// limits are the parser's limits for what c sends: Redis's unauthenticated limits
// before AUTH, and no proto-max-bulk-len for our master's stream (nil c: a stream from
// the master too).
func (s *Server) limits(c *Client) resp.Limits {
	if c == nil || c.has(ClientMaster) {
		return resp.Limits{MaxBulkLen: -1}
	}
	return resp.Limits{MaxBulkLen: s.cfg.ProtoMaxBulkLen, Unauthenticated: !c.authed}
}

// idleTimeout returns the read deadline to apply to c, 0 for none.
func (s *Server) idleTimeout(c *Client) time.Duration {
	if s.cfg.Timeout <= 0 || c.has(ClientReplica|ClientMaster|ClientPubSub) || c.block != nil {
		return 0
	}
	return s.cfg.Timeout
}
