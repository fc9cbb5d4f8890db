package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/resp"
)

// The master side of replication: PSYNC/SYNC, full syncs from a point-in-time snapshot,
// the replica sessions (ACKs), WAIT and min-replicas-to-write.

// appendStream queues stream bytes for a replica. While the replica is not online they
// are held (not written) until its RDB has been sent.
func (c *Client) appendStream(b []byte) {
	c.outMu.Lock()
	c.writeStreamLocked(b)
	n := c.stream.n + int(c.outFlight.Load()) // what a stalled writer is sending counts too
	c.outMu.Unlock()
	c.srv.checkOutputLimit(c, n)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// writeStreamLocked appends b to the replica's stream (under outMu). A removed replica's
// stream takes nothing more.
func (c *Client) writeStreamLocked(b []byte) {
	if c.streamShut {
		return
	}
	c.stream.write(&c.srv.streamPool, b)
	c.streamSeq += int64(len(b))
}

// shutStream drops the replica's unsent stream: its chunks go back to the pool, and the
// stream takes no more (a writer that still sends a part gives that part back itself).
func (c *Client) shutStream() {
	c.outMu.Lock()
	c.stream.release(&c.srv.streamPool)
	c.streamShut = true
	c.outMu.Unlock()
}

// release lets the replica's writer send what was held, and wakes it.
func (c *Client) release() {
	c.hold.Store(false)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// cmdSync is SYNC and PSYNC (syncCommand in Redis).
func cmdSync(c *Client) {
	s := c.srv
	if c.repl.rdbOnly {
		psync := argEqualFold(c.args[0], "psync")
		c.detach = func() { s.sendRDBOnly(c, psync) }
		return
	}
	if c.has(ClientReplica) {
		return // already a replica: ignored, as Redis does
	}
	psync := argEqualFold(c.args[0], "psync")
	if psync && len(c.args) == 4 && argEqualFold(c.args[3], "failover") {
		if !s.acceptFailoverPsync(c) {
			return
		}
	} else if psync && len(c.args) > 3 {
		c.err(ErrSyntax)
		return
	}
	switch {
	case s.repl.failover.state != failoverNone:
		c.err("NOMASTERLINK Can't SYNC while failing over")
		return
	case s.isReplica() && !s.linkUp():
		c.err("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	case len(c.w.B) > 0:
		c.err("ERR SYNC and PSYNC are invalid with pending output")
		return
	}
	if psync {
		off, ok := resp.ParseInt(c.args[2])
		if !ok {
			c.err(ErrNotInt)
			return
		}
		if s.tryPartialResync(c, string(c.args[1]), off) {
			s.repl.syncPartialOK++
			return
		}
		if string(c.args[1]) != "?" {
			s.repl.syncPartialErr++
		}
	} else {
		c.repl.oldSync = true
	}
	s.repl.syncFull++
	if s.repl.backlog == nil && !s.isReplica() {
		s.replID = newRunID()
		s.clearReplicationID2()
		s.createBacklog()
		s.log.Info().Str("replid", s.replID).Msg("Replication backlog created, my new replication IDs are '" + s.replID + "' and '" + s.replID2 + "'")
	}
	s.attachReplica(c, replWaitBgsaveStart)
	s.log.Info().Str("replica", c.replicaAddr()).Msg("Replica " + c.replicaAddr() + " asks for synchronization")
	s.startFullSyncIfReady(time.Now())
}

// attachReplica turns c into a replica connection in state st; its connection goroutine
// becomes the session reading its ACKs.
func (s *Server) attachReplica(c *Client, st replicaState) {
	s.replDistribute() // the bytes fed so far go to the others only: c starts after them
	c.flags |= ClientReplica
	c.outMu.Lock()
	if len(c.pending) > 0 { // replies the socket did not take yet go first
		c.writeStreamLocked(c.pending)
		c.pending = nil
	}
	c.coalesce.Store(true) // from here its output goes to its stream (streambuf.go)
	c.outMu.Unlock()
	c.repl.state = st
	c.repl.waitSince = time.Now()
	c.repl.ackTime = time.Now()
	if c.conn != nil {
		if tc, ok := c.conn.(*net.TCPConn); ok {
			tc.SetNoDelay(!s.cfg.ReplDisableTCPNoDelay)
		}
		if t := s.fenceLinkTimeout(); t > 0 {
			if err := setUserTimeout(c.conn, t); err != nil {
				s.log.Warn().Err(err).Str("replica", c.replicaAddr()).Msg("fenced mode: setting TCP_USER_TIMEOUT on the replica's connection")
			}
		}
	}
	s.repl.replicas = append(s.repl.replicas, c)
	c.detach = func() { s.serveReplica(c) }
}

// tryPartialResync is masterTryPartialResynchronization: it accepts the replica and
// queues +CONTINUE and the backlog from offset when Redis would.
func (s *Server) tryPartialResync(c *Client, replid string, offset int64) bool {
	r := &s.repl
	if !strings.EqualFold(replid, s.replID) &&
		!(strings.EqualFold(replid, s.replID2) && offset <= r.secondOffset) {
		if replid != "?" {
			if !strings.EqualFold(replid, s.replID) && !strings.EqualFold(replid, s.replID2) {
				s.log.Info().Msg(fmt.Sprintf("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", replid, s.replID, s.replID2))
			} else {
				s.log.Info().Msg(fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", offset, r.secondOffset))
			}
		}
		return false
	}
	if r.backlog == nil || !r.backlog.Covers(offset) {
		s.log.Info().Msg(fmt.Sprintf("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", c.replicaAddr(), offset))
		return false
	}
	s.attachReplica(c, replOnline)
	if c.repl.capaPSync2 {
		c.w.Raw([]byte("+CONTINUE " + s.replID + "\r\n"))
	} else {
		c.w.Raw([]byte("+CONTINUE\r\n"))
	}
	c.w.B = r.backlog.AppendFrom(c.w.B, offset)
	s.log.Info().Str("replica", c.replicaAddr()).Int64("offset", offset).
		Msg(fmt.Sprintf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", c.replicaAddr(), r.offset-offset+1, offset))
	s.refreshGoodReplicas()
	return true
}

// startFullSyncIfReady starts a snapshot for the replicas waiting for one, when none is
// running and (diskless) the sync delay has passed or enough replicas wait.
func (s *Server) startFullSyncIfReady(now time.Time) {
	r := &s.repl
	var waiting []*Client
	var oldest time.Time
	diskless := s.cfg.ReplDisklessSync
	for _, c := range r.replicas {
		if c.repl.state != replWaitBgsaveStart {
			continue
		}
		waiting = append(waiting, c)
		if oldest.IsZero() || c.repl.waitSince.Before(oldest) {
			oldest = c.repl.waitSince
		}
		if !c.repl.capaEOF {
			diskless = false
		}
	}
	if len(waiting) == 0 || r.syncRunning || s.snap != nil || s.persist.bgsaveRunning || s.aof.rewriting {
		return
	}
	if diskless && s.cfg.ReplDisklessSyncDelay > 0 && now.Sub(oldest) < s.cfg.ReplDisklessSyncDelay &&
		(s.cfg.ReplDisklessSyncMaxReplicas == 0 || len(waiting) < s.cfg.ReplDisklessSyncMaxReplicas) {
		return
	}
	s.replDistribute() // bytes before the snapshot point are not for the waiting replicas
	s.nowMs = now.UnixMilli()
	r.seldb = -1 // the stream after the snapshot starts with SELECT
	offset := r.offset
	for _, c := range waiting {
		c.hold.Store(true)
		c.repl.state = replWaitBgsaveEnd
		c.outMu.Lock()
		c.stream.release(&s.streamPool) // drop keep-alives not yet written
		c.outMu.Unlock()
	}
	header := "+FULLRESYNC " + s.replID + " " + strconv.FormatInt(offset, 10) + "\r\n"
	if diskless {
		sn, err := s.beginSnapshot(s.rdbAux(), s.rdbOptions(), nil)
		if err != nil {
			s.failFullSync(waiting, err)
			return
		}
		s.snap = sn
		r.syncRunning = true
		s.log.Info().Int("replicas", len(waiting)).Msg("Starting BGSAVE for SYNC with target: replicas sockets")
		go s.sendDisklessSync(sn, waiting, header)
		return
	}
	files := make(chan string, 1)
	err := s.bgsave(func(err error) {
		if err != nil {
			close(files)
			return
		}
		files <- s.dumpPath()
	})
	if err != nil {
		s.failFullSync(waiting, err)
		return
	}
	r.syncRunning = true
	s.log.Info().Int("replicas", len(waiting)).Msg("Starting BGSAVE for SYNC with target: disk")
	go s.sendDiskSync(waiting, header, files)
}

func (s *Server) failFullSync(waiting []*Client, err error) {
	s.log.Warn().Err(err).Msg("BGSAVE for replication failed")
	for _, c := range waiting {
		c.hold.Store(false)
		c.appendStream([]byte("-ERR BGSAVE failed, replication can't continue\r\n"))
		c.flags |= ClientCloseAfterReply
		c.close()
	}
}

// fanout writes to every replica of a diskless sync, dropping the ones that fail.
type fanout struct {
	conns []net.Conn
	ok    []bool
	alive int
}

func (f *fanout) Write(p []byte) (int, error) {
	if err := f.writeEach(func(int) []byte { return p }); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeEach writes to each replica still alive its own bytes, msg(i).
func (f *fanout) writeEach(msg func(i int) []byte) error {
	for i, conn := range f.conns {
		if !f.ok[i] {
			continue
		}
		conn.SetWriteDeadline(time.Now().Add(60 * time.Second))
		if _, err := conn.Write(msg(i)); err != nil {
			f.ok[i] = false
			f.alive--
			conn.Close()
		}
	}
	if f.alive == 0 {
		return io.ErrClosedPipe
	}
	return nil
}

// syncHeader is what a replica gets before its RDB: +FULLRESYNC for PSYNC, nothing for
// a plain SYNC, whose reply is the payload itself (Redis's CLIENT_PRE_PSYNC), as tools
// that read the stream with SYNC (redis-cli --replica, Redis's test suite) expect.
func syncHeader(c *Client, header string) string {
	if c.repl.oldSync {
		return ""
	}
	return header
}

// sendDisklessSync streams one snapshot to every waiting replica:
// +FULLRESYNC, $EOF:<mark>, the RDB, the mark. Their stream stays held until their first
// ACK (serveReplica), so that the mark is the last thing they read before it.
func (s *Server) sendDisklessSync(sn *snapshot, replicas []*Client, header string) {
	var m [20]byte
	rand.Read(m[:])
	mark := hex.EncodeToString(m[:])
	f := &fanout{ok: make([]bool, len(replicas))}
	for i, c := range replicas {
		c.flushMu.Lock()
		f.conns = append(f.conns, c.conn)
		f.ok[i] = true
		f.alive++
	}
	defer func() {
		for _, c := range replicas {
			c.conn.SetWriteDeadline(time.Time{}) // the stream has no deadline: repl-timeout watches it
			c.flushMu.Unlock()
		}
	}()
	err := f.writeEach(func(i int) []byte { return []byte(syncHeader(replicas[i], header) + "$EOF:" + mark + "\r\n") })
	if err == nil {
		_, err = s.runSnapshot(sn, f)
	} else {
		s.runSnapshot(sn, io.Discard)
	}
	if err == nil {
		_, err = f.Write([]byte(mark))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repl.syncRunning = false
	for i, c := range replicas {
		if err != nil || !f.ok[i] {
			c.flags |= ClientKilled
			c.close()
			continue
		}
		c.repl.state = replOnline
		c.repl.waitAck = true
		c.repl.ackTime = time.Now()
		s.log.Info().Str("replica", c.replicaAddr()).Msg("Synchronization with replica " + c.replicaAddr() + " succeeded")
	}
	if err != nil {
		s.log.Warn().Err(err).Msg("diskless full sync failed")
	}
	s.startFullSyncIfReady(time.Now())
}

// sendDiskSync waits for the BGSAVE, then sends $<size> and the file to each replica.
func (s *Server) sendDiskSync(replicas []*Client, header string, files <-chan string) {
	for _, c := range replicas {
		c.flushMu.Lock()
		c.conn.Write([]byte(syncHeader(c, header)))
	}
	var path string
	keepalive := time.NewTicker(time.Second)
	for path == "" {
		select {
		case p, ok := <-files:
			if !ok {
				p = "-"
			}
			path = p
		case <-keepalive.C:
			for _, c := range replicas {
				c.conn.Write([]byte("\n"))
			}
		}
	}
	keepalive.Stop()
	s.mu.Lock()
	s.repl.syncRunning = false
	for _, c := range replicas {
		c.repl.state = replSendBulk
	}
	s.mu.Unlock()
	done := make(chan struct{}, len(replicas))
	for _, c := range replicas {
		go func() {
			defer func() { done <- struct{}{} }()
			err := s.sendFile(c, path)
			s.mu.Lock()
			if err != nil {
				s.log.Warn().Err(err).Str("replica", c.replicaAddr()).Msg("sending the RDB to the replica failed")
				c.flags |= ClientKilled
				c.close()
			} else {
				c.repl.state = replOnline
				c.repl.ackTime = time.Now()
				s.log.Info().Str("replica", c.replicaAddr()).Msg("Synchronization with replica " + c.replicaAddr() + " succeeded")
			}
			s.mu.Unlock()
			c.flushMu.Unlock()
			c.release()
		}()
	}
	for range replicas {
		<-done
	}
	s.mu.Lock()
	s.startFullSyncIfReady(time.Now())
	s.mu.Unlock()
}

func (s *Server) sendFile(c *Client, path string) error {
	if path == "-" {
		return fmt.Errorf("BGSAVE failed, replication can't continue")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.conn, "$%d\r\n", st.Size()); err != nil {
		return err
	}
	_, err = io.Copy(c.conn, f)
	return err
}

// serveReplica is the session of an attached replica on its connection goroutine: it
// reads REPLCONF ACKs (and keep-alive newlines) until the connection ends.
func (s *Server) serveReplica(c *Client) {
	defer func() {
		s.mu.Lock()
		s.removeReplica(c)
		s.mu.Unlock()
	}()
	defer s.crashOnPanic(c) // runs first: the cleanup above would wait for a lock left held
	buf := make([]byte, 4096)
	start, end := 0, 0
	var scratch [][]byte
	for {
		if start == end {
			start, end = 0, 0
		} else if end == len(buf) {
			copy(buf, buf[start:end])
			end -= start
			start = 0
			if end == len(buf) {
				return // a replica never sends commands this long
			}
		}
		n, err := c.conn.Read(buf[end:])
		if n <= 0 && err != nil {
			return
		}
		end += n
		for start < end {
			if buf[start] == '\n' { // keep-alive from a replica loading our RDB
				start++
				s.mu.Lock()
				c.repl.ackTime = time.Now()
				s.mu.Unlock()
				continue
			}
			args, consumed, _, _, perr := resp.Parse(buf[start:end], scratch, s.limits(c))
			scratch = args
			if perr == resp.ErrIncomplete {
				break
			}
			if perr != nil {
				return
			}
			start += consumed
			s.replicaCommand(c, args)
		}
	}
}

// replicaCommand handles what a replica sends: REPLCONF ACK <offset> [FACK <offset>].
func (s *Server) replicaCommand(c *Client, args [][]byte) {
	if len(args) < 3 || !argEqualFold(args[0], "replconf") || !argEqualFold(args[1], "ack") {
		return
	}
	off, ok := resp.ParseInt(args[2])
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if off > c.repl.ackOff {
		c.repl.ackOff = off
	}
	c.repl.ackTime = time.Now()
	if c.repl.waitAck && c.repl.state == replOnline {
		c.repl.waitAck = false
		c.release()
	}
	s.checkWaiters()
	s.fenceAcked()
}

// replicasAcked counts online replicas that acknowledged offset.
func (s *Server) replicasAcked(offset int64) int {
	n := 0
	for _, c := range s.repl.replicas {
		if c.repl.state == replOnline && c.repl.ackOff >= offset {
			n++
		}
	}
	return n
}

// waitState is a client blocked in WAIT.
type waitState struct {
	offset   int64
	replicas int
}

// cmdWait is WAIT numreplicas timeout.
func cmdWait(c *Client) {
	s := c.srv
	if s.isReplica() {
		c.err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	n, ok := resp.ParseInt(c.args[1])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	ms, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.err("ERR timeout is negative")
		return
	}
	target := c.woff
	acked := s.replicasAcked(target)
	if int64(acked) >= n || !c.canBlock() {
		c.w.Int(int64(acked))
		return
	}
	var deadline time.Time
	if ms > 0 {
		deadline = s.clock.Add(time.Duration(ms) * time.Millisecond)
	}
	c.wait = &waitState{offset: target, replicas: int(n)}
	s.repl.waiters = append(s.repl.waiters, c)
	c.blockOn(nil, deadline, nil, func(c *Client) {
		s.removeWaiter(c)
		c.w.Int(int64(s.replicasAcked(target)))
	})
	s.requestAcks()
}

// requestAcks sends REPLCONF GETACK * to the replicas (once per batch of WAITs, never
// while clients are paused).
func (s *Server) requestAcks() {
	if s.pauseActive() {
		return
	}
	s.requestAcksNow()
}

// requestAcksNow sends REPLCONF GETACK * to the replicas.
func (s *Server) requestAcksNow() {
	s.replFeedBytes([]byte("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"))
	s.replDistribute()
}

func (s *Server) removeWaiter(c *Client) {
	w := s.repl.waiters
	for i, x := range w {
		if x == c {
			s.repl.waiters = append(w[:i], w[i+1:]...)
			break
		}
	}
	c.wait = nil
}

// checkWaiters answers the WAITs that enough replicas acknowledged.
func (s *Server) checkWaiters() {
	for i := 0; i < len(s.repl.waiters); i++ {
		c := s.repl.waiters[i]
		if c.wait == nil || c.block == nil {
			continue
		}
		if n := s.replicasAcked(c.wait.offset); n >= c.wait.replicas {
			s.removeWaiter(c)
			i--
			c.w.Int(int64(n))
			c.queueOutput()
			s.unblockAndWake(c)
		}
	}
}

// gateNoReplicas is min-replicas-to-write (NOREPLICAS).
func (s *Server) gateNoReplicas(c *Client, cmd *Command) string {
	if !s.minReplicasEnabled() || s.isReplica() || c.gateFlags(cmd)&FlagWrite == 0 {
		return ""
	}
	if s.repl.goodReplicas < s.cfg.MinReplicasToWrite {
		return ErrNoReplicas
	}
	return ""
}
