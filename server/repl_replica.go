package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/replica"
	"github.com/vigil-db/vigil/resp"
)

// The replica side of replication: REPLICAOF, the link to the master (handshake, full
// or partial sync, applying the stream with exact offsets, ACKs), and role changes.

// masterLink is one target master. A new REPLICAOF makes a new link; the goroutine of
// an abandoned link notices (s.repl.link != l) and exits without touching shared state.
type masterLink struct {
	host string
	port int
	stop chan struct{} // closed when abandoned

	// under the execution lock
	state   linkState
	conn    net.Conn
	client  *Client // the master client while connected
	reploff int64   // offset applied (replicated to our own backlog)
	curOff  int64   // offset before the command being applied (GETACK's answer)
	ackNow  bool    // GETACK seen: send an ACK after this batch
	// failoverPsync: this is an old master handing over (FAILOVER): PSYNC ... FAILOVER
	failoverPsync bool

	unapplied atomic.Int64 // bytes read but not applied (inside MULTI, partial command)
	lastIO    atomic.Int64 // unix ms of the last byte from the master
	xferTotal atomic.Int64 // RDB payload size (-1 before the $ line, 0 for EOF framing)
	xferRead  atomic.Int64
	wmu       sync.Mutex // serializes writes to conn
}

func (l *masterLink) addr() string { return net.JoinHostPort(l.host, strconv.Itoa(l.port)) }

func (l *masterLink) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// cmdReplicaof is REPLICAOF / SLAVEOF host port | NO ONE.
func cmdReplicaof(c *Client) {
	s := c.srv
	if s.repl.failover.state != failoverNone {
		c.err("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if argEqualFold(c.args[1], "no") && argEqualFold(c.args[2], "one") {
		if s.isReplica() {
			s.becomeMaster("user request from '" + string(c.appendInfo(nil, c)) + "'")
		}
		c.ok()
		return
	}
	if c.has(ClientReplica) {
		c.err("ERR Command is not valid when client is a replica.")
		return
	}
	port, ok := resp.ParseInt(c.args[2])
	if !ok || port < 0 || port > 65535 {
		c.err("ERR Invalid master port")
		return
	}
	host := string(c.args[1])
	if s.isReplica() && strings.EqualFold(host, s.repl.masterHost) && int(port) == s.repl.masterPort {
		s.log.Info().Msg("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		c.w.Simple("OK Already connected to specified master")
		return
	}
	s.becomeReplica(host, int(port))
	s.log.Info().Str("master", net.JoinHostPort(host, strconv.Itoa(int(port)))).
		Msg(fmt.Sprintf("REPLICAOF %s:%d enabled (user request from '%s')", host, port, c.appendInfo(nil, c)))
	c.ok()
}

// configuredMaster parses the replicaof directive ("host port"; "" = none).
func configuredMaster(v string) (string, int, bool) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return "", 0, false
	}
	port, err := strconv.Atoi(f[1])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, false
	}
	return f[0], port, true
}

// StartReplication connects to the master of the replicaof directive. The role itself
// is set when the server is created, so that the dump loads as a replica's (expired
// keys kept, repl-id/offset restored for a PSYNC).
func (s *Server) StartReplication() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isReplica() && s.repl.link == nil {
		s.becomeReplica(s.repl.masterHost, s.repl.masterPort)
	}
}

// becomeReplica is replicationSetMaster: follow host:port from now on.
func (s *Server) becomeReplica(host string, port int) {
	s.replDistribute()
	r := &s.repl
	wasMaster := !s.isReplica()
	if r.link != nil {
		s.stopLink(r.link)
	}
	if wasMaster {
		// replicationCacheMasterUsingMyself: PSYNC the new master with our own history
		s.createBacklog()
		r.cached = &cachedMaster{replid: s.replID, offset: r.offset, db: max(r.seldb, 0)}
	}
	for _, c := range s.clients {
		if c.block != nil {
			if c.wait != nil {
				s.removeWaiter(c)
			}
			s.unblockWithError(c, "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
			c.flags |= ClientCloseAfterReply
		}
	}
	r.masterHost, r.masterPort = host, port
	l := &masterLink{host: host, port: port, stop: make(chan struct{}), state: linkConnect,
		failoverPsync: s.repl.failover.state == failoverInProgress}
	l.xferTotal.Store(-1)
	r.link = l
	s.log.Info().Str("master", l.addr()).Msg("Connecting to MASTER " + l.addr())
	go s.runLink(l)
}

// becomeMaster is replicationUnsetMaster: stop replicating, keep the data, and shift the
// replication id so that former siblings can PSYNC with us.
func (s *Server) becomeMaster(reason string) {
	s.replDistribute()
	r := &s.repl
	if r.link != nil {
		s.stopLink(r.link)
	}
	r.link = nil
	r.cached = nil
	r.masterHost, r.masterPort = "", 0
	s.forgetReplicaExpires()
	s.createBacklog()
	s.shiftReplicationID()
	s.disconnectReplicas()
	r.seldb = -1
	r.noReplicasSince = time.Now()
	r.downSince = time.Time{}
	s.log.Info().Msg("MASTER MODE enabled (" + reason + ")")
}

// stopLink abandons l: its connection is closed and an applied master is cached so that
// the next link can PSYNC.
func (s *Server) stopLink(l *masterLink) {
	close(l.stop)
	if l.client != nil {
		s.cacheMaster(l)
	}
	if l.conn != nil {
		l.conn.Close()
	}
	l.state = linkNone
}

// cacheMaster remembers the connected master (replid, applied offset, selected db) and
// drops its client.
func (s *Server) cacheMaster(l *masterLink) {
	mc := l.client
	s.repl.cached = &cachedMaster{replid: s.replID, offset: l.reploff, db: mc.dbIndex}
	l.client = nil
	s.releaseClientState(mc)
	delete(s.clients, mc.id)
	mc.close()
}

// runLink connects to the master and keeps the link up until abandoned: every second
// after a failure, at once after a link that was streaming drops.
func (s *Server) runLink(l *masterLink) {
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-retry.C:
		}
		streamed, err := s.linkSession(l)
		if l.stopped() {
			return
		}
		s.mu.Lock()
		if s.repl.link == l {
			if l.client != nil {
				s.cacheMaster(l)
			}
			l.conn = nil
			l.state = linkConnect
			if streamed {
				s.repl.downSince = time.Now()
			}
		}
		s.mu.Unlock()
		if err != nil {
			s.log.Warn().Err(err).Str("master", l.addr()).Msg("replication link: " + err.Error())
		}
		if streamed {
			retry.Reset(0)
		} else {
			retry.Reset(time.Second)
		}
	}
}

// errLinkStopped ends a session whose link was abandoned.
var errLinkStopped = errors.New("link abandoned")

// linkSession runs one connection: handshake, sync, stream. streamed reports whether it
// reached the streaming state.
func (s *Server) linkSession(l *masterLink) (streamed bool, err error) {
	s.setLinkState(l, linkConnecting, nil)
	d := net.Dialer{Timeout: s.cfg.ReplTimeout}
	if t := s.fenceLinkTimeout(); t > 0 {
		// fenced mode: a cut link is dropped, and a connect given up, after the ack
		// timeout, so that the link comes back on a fresh connection soon after the
		// network heals (fenceLinkTimeout)
		d.Timeout = min(d.Timeout, t)
		d.Control = func(_, _ string, raw syscall.RawConn) error { return userTimeoutControl(raw, t) }
	}
	if src := s.cfg.BindSourceAddr; src != "" { // bind-source-addr
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	conn, err := d.Dial("tcp", l.addr())
	if err != nil {
		return false, fmt.Errorf("Error condition on socket for SYNC: %w", err)
	}
	defer conn.Close()
	if !s.setLinkState(l, linkHandshake, conn) {
		return false, errLinkStopped
	}
	s.log.Info().Str("master", l.addr()).Msg("MASTER <-> REPLICA sync started")
	br := bufio.NewReaderSize(conn, 64<<10)
	reply, err := s.handshake(l, conn, br)
	if l.failoverPsync { // set before the goroutine started: read-only here
		s.mu.Lock()
		if err != nil {
			s.abortFailover("Write error to failover target")
		} else {
			s.failoverPsyncDone(reply)
		}
		s.mu.Unlock()
		if l.stopped() {
			return false, errLinkStopped
		}
	}
	if err != nil {
		return false, err
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		id, off := "", int64(-1)
		if len(f) >= 3 {
			id = f[1]
			off, _ = strconv.ParseInt(f[2], 10, 64)
		}
		if len(id) != 40 {
			id = zeroReplID // unusable for a later PSYNC
		}
		s.log.Info().Str("master", l.addr()).Msg("Full resync from master: " + id + ":" + strconv.FormatInt(off, 10))
		if err := s.fullSync(l, conn, br, id, off); err != nil {
			return false, err
		}
	case strings.HasPrefix(reply, "+CONTINUE"):
		if !s.continueSync(l, conn, strings.TrimSpace(strings.TrimPrefix(reply, "+CONTINUE"))) {
			return false, errLinkStopped
		}
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		return false, fmt.Errorf("Master is currently unable to PSYNC but should be in the future: %s", reply)
	default:
		s.log.Info().Msg("Retrying with SYNC... (master replied " + reply + ")")
		if _, err := conn.Write([]byte("SYNC\r\n")); err != nil {
			return false, err
		}
		if err := s.fullSync(l, conn, br, zeroReplID, 0); err != nil {
			return false, err
		}
	}
	return true, s.streamFromMaster(l, conn, br)
}

// setLinkState moves l to st (and records conn) unless l was abandoned.
func (s *Server) setLinkState(l *masterLink, st linkState, conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.link != l || l.stopped() {
		return false
	}
	l.state = st
	if conn != nil {
		l.conn = conn
	}
	return true
}

// readLine reads one reply line with the 5 s sync timeout, skipping keep-alive newlines
// when skipEmpty.
func readLine(conn net.Conn, br *bufio.Reader, timeout time.Duration, skipEmpty bool) (string, error) {
	for {
		conn.SetReadDeadline(time.Now().Add(timeout))
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" && skipEmpty {
			continue
		}
		return line, nil
	}
}

// handshake sends PING, AUTH, REPLCONF and PSYNC and returns the PSYNC reply line.
func (s *Server) handshake(l *masterLink, conn net.Conn, br *bufio.Reader) (string, error) {
	const syncTimeout = 5 * time.Second
	conn.SetWriteDeadline(time.Now().Add(syncTimeout))
	if _, err := conn.Write(appendMultibulk(nil, [][]byte{[]byte("PING")})); err != nil {
		return "", err
	}
	pong, err := readLine(conn, br, syncTimeout, false)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(pong, "+") && !strings.HasPrefix(pong, "-NOAUTH") && !strings.HasPrefix(pong, "-NOPERM") &&
		!strings.HasPrefix(pong, "-ERR operation not permitted") {
		return "", fmt.Errorf("Error reply to PING from master: '%s'", pong)
	}
	s.mu.Lock()
	cfg := s.cfg
	var out []byte
	auth := cfg.MasterAuth != ""
	if auth {
		if cfg.MasterUser != "" {
			out = appendMultibulk(out, [][]byte{[]byte("AUTH"), []byte(cfg.MasterUser), []byte(cfg.MasterAuth)})
		} else {
			out = appendMultibulk(out, [][]byte{[]byte("AUTH"), []byte(cfg.MasterAuth)})
		}
	}
	port := cfg.Port
	if cfg.ReplicaAnnouncePort != 0 {
		port = cfg.ReplicaAnnouncePort
	}
	out = appendMultibulk(out, [][]byte{[]byte("REPLCONF"), []byte("listening-port"), []byte(strconv.Itoa(port))})
	ip := cfg.ReplicaAnnounceIP != ""
	if ip {
		out = appendMultibulk(out, [][]byte{[]byte("REPLCONF"), []byte("ip-address"), []byte(cfg.ReplicaAnnounceIP)})
	}
	out = appendMultibulk(out, [][]byte{[]byte("REPLCONF"), []byte("capa"), []byte("eof"), []byte("capa"), []byte("psync2")})
	psync := [][]byte{[]byte("PSYNC"), []byte("?"), []byte("-1")}
	if c := s.repl.cached; c != nil {
		psync = [][]byte{[]byte("PSYNC"), []byte(c.replid), []byte(strconv.FormatInt(c.offset+1, 10))}
		s.log.Info().Msg(fmt.Sprintf("Trying a partial resynchronization (request %s:%d).", c.replid, c.offset+1))
	} else {
		s.log.Info().Msg("Partial resynchronization not possible (no cached master)")
	}
	if l.failoverPsync {
		psync = append(psync, []byte("FAILOVER"))
	}
	s.mu.Unlock()
	if _, err := conn.Write(out); err != nil {
		return "", err
	}
	replies := 2
	if auth {
		if line, err := readLine(conn, br, syncTimeout, false); err != nil {
			return "", err
		} else if strings.HasPrefix(line, "-") {
			return "", fmt.Errorf("Unable to AUTH to MASTER: %s", line)
		}
	}
	if ip {
		replies++
	}
	for i := 0; i < replies; i++ { // listening-port [ip-address] capa: errors are ignored
		if _, err := readLine(conn, br, syncTimeout, false); err != nil {
			return "", err
		}
	}
	if _, err := conn.Write(appendMultibulk(nil, psync)); err != nil {
		return "", err
	}
	return readLine(conn, br, syncTimeout, true)
}

// continueSync is the +CONTINUE [newid] path: resurrect the cached master on conn.
func (s *Server) continueSync(l *masterLink, conn net.Conn, newID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.link != l || l.stopped() {
		return false
	}
	r := &s.repl
	cached := r.cached
	if cached == nil { // cannot happen: we sent PSYNC with a cached master
		cached = &cachedMaster{replid: s.replID, offset: r.offset}
	}
	if len(newID) == 40 && newID != cached.replid {
		s.replID2 = cached.replid
		r.secondOffset = r.offset + 1
		s.replID = newID
		s.log.Info().Msg("Master replication ID changed to " + newID)
		s.disconnectReplicas()
	}
	r.cached = nil
	s.createBacklog()
	s.newMasterClient(l, conn, cached.offset, cached.db)
	s.log.Info().Str("master", l.addr()).Msg("Successful partial resynchronization with master.")
	s.log.Info().Msg("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	return true
}

// newMasterClient registers the master's connection as the master client and moves the
// link to connected (under the lock).
func (s *Server) newMasterClient(l *masterLink, conn net.Conn, offset int64, db int) {
	mc := &Client{
		srv: s, conn: conn, addr: conn.RemoteAddr().String(), laddr: conn.LocalAddr().String(),
		kick: make(chan struct{}, 1), closed: make(chan struct{}),
		authed: true, user: "default", flags: ClientMaster | ClientDenyBlocking,
	}
	mc.w.Proto = 2
	mc.id = s.nextID.Add(1)
	now := time.Now()
	mc.ctime, mc.lastAt = now, now
	if db >= 0 && db < len(s.dbs) {
		mc.dbIndex = db
	}
	s.clients[mc.id] = mc
	l.client = mc
	l.reploff = offset
	l.state = linkConnected
	l.lastIO.Store(now.UnixMilli())
	s.repl.offset = offset
	s.repl.downSince = time.Time{}
}

// fullSync receives the RDB payload and loads it (readSyncBulkPayload).
func (s *Server) fullSync(l *masterLink, conn net.Conn, br *bufio.Reader, id string, off int64) error {
	if !s.setLinkState(l, linkTransfer, nil) {
		return errLinkStopped
	}
	line, err := readLine(conn, br, s.cfg.ReplTimeout, true)
	if err != nil {
		return err
	}
	var payload io.Reader
	switch {
	case strings.HasPrefix(line, "-"):
		return fmt.Errorf("MASTER aborted replication with an error: %s", line)
	case strings.HasPrefix(line, "$EOF:") && len(line) == 5+replica.EOFMarkLen:
		l.xferTotal.Store(0)
		payload = replica.MarkReader(br, []byte(line[5:]))
		s.log.Info().Msg("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
	case strings.HasPrefix(line, "$"):
		n, err := strconv.ParseInt(line[1:], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", line)
		}
		l.xferTotal.Store(n)
		payload = replica.LengthReader(br, n)
		s.log.Info().Msg(fmt.Sprintf("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", n))
	default:
		return fmt.Errorf("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", line)
	}
	eof := l.xferTotal.Load() == 0
	payload = &transferReader{r: payload, l: l, conn: conn, timeout: s.cfg.ReplTimeout}
	tmp := filepath.Join(filepath.Dir(s.dumpPath()), fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	background := false // the disk copy is finished in the background
	defer func() {
		if !background {
			os.Remove(tmp)
		}
	}()
	s.mu.Lock()
	empty := s.totalKeys() == 0
	toDisk := s.cfg.ReplDisklessLoad == "disabled"
	s.mu.Unlock()
	if !empty {
		// keep serving the old data until the whole payload is safely on disk
		if err := writeFileSynced(tmp, func(w io.Writer) error { _, err := io.Copy(w, payload); return err }); err != nil {
			return err
		}
		f, err := os.Open(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		return s.loadSyncPayload(l, conn, f, tmp, id, off, eof)
	}
	// Nothing to lose: load while receiving (on-empty-db), which overlaps the master's
	// encoding with our decoding; with repl-diskless-load disabled the payload is also
	// written to the dump file as Redis does.
	if !toDisk {
		return s.loadSyncPayload(l, conn, payload, "", id, off, eof)
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	tee := &teeReader{r: payload, w: bw}
	if err := s.loadSyncPayload(l, conn, tee, "", id, off, eof); err != nil {
		f.Close()
		return err
	}
	// the data is loaded and the link is up: make the copy durable (fsync, then rename
	// over the dump, atomically) off the critical path
	background = true
	go func() {
		err := tee.err
		if err == nil {
			err = bw.Flush()
		}
		if err := config.CommitFile(f, s.dumpPath(), 0o644, err); err != nil {
			s.log.Warn().Err(err).Msg("could not keep the master's RDB on disk")
		}
	}()
	return nil
}

// teeReader copies what is read to w, remembering the first write error without
// failing the read (the data loads even if the disk copy fails).
type teeReader struct {
	r   io.Reader
	w   io.Writer
	err error
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 && t.err == nil {
		_, t.err = t.w.Write(p[:n])
	}
	return n, err
}

// loadSyncPayload replaces the dataset with the RDB read from r (a complete file when
// file is set, which then becomes the dump file; else the payload being received).
func (s *Server) loadSyncPayload(l *masterLink, conn net.Conn, r io.Reader, file, id string, off int64, eof bool) error {
	s.mu.Lock()
	if s.repl.link != l || l.stopped() {
		s.mu.Unlock()
		return errLinkStopped
	}
	if file != "" {
		if err := os.Rename(file, s.dumpPath()); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	aofOn := s.aof.status != aofOff
	if aofOn {
		s.aofDisable()
	}
	s.repl.cached = nil
	s.disconnectReplicas()
	s.freeBacklog()
	for id := range s.dbs {
		s.emptyDB(id)
	}
	s.forgetReplicaExpires()
	s.persist.loading = true
	s.mu.Unlock()
	s.log.Info().Msg("MASTER <-> REPLICA sync: Flushing old data")
	s.log.Info().Msg("MASTER <-> REPLICA sync: Loading DB in memory")
	loadStart := time.Now()
	stopKeepalive := keepAliveWhileLoading(l, conn)
	var aux [][2]string
	_, _, err := s.loadRDB(r, loadOptions{aux: &aux})
	if err == nil {
		_, err = io.Copy(io.Discard, r) // the rest of the payload (an EOF mark)
	}
	stopKeepalive()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.persist.loading = false
	if err != nil {
		for id := range s.dbs {
			s.emptyDB(id)
		}
		return fmt.Errorf("Failed trying to load the MASTER synchronization DB from disk: %w", err)
	}
	if s.repl.link != l || l.stopped() {
		return errLinkStopped
	}
	db := 0
	for _, kv := range aux {
		if kv[0] == "repl-stream-db" {
			db, _ = strconv.Atoi(kv[1])
		}
	}
	s.replID = id
	s.clearReplicationID2()
	s.repl.offset = off
	s.createBacklog()
	s.newMasterClient(l, conn, off, db)
	if aofOn {
		s.aofEnable()
	}
	s.log.Info().Dur("load_ms", time.Since(loadStart)).Int64("bytes", l.xferRead.Load()).Msg("MASTER <-> REPLICA sync: Finished with success")
	if eof { // the master holds the stream until this first ACK
		l.wmu.Lock()
		conn.Write(ackCommand(off))
		l.wmu.Unlock()
	}
	return nil
}

// keepAliveWhileLoading writes a newline to the master once per second until stopped,
// so that it keeps considering us alive while we flush and load.
func keepAliveWhileLoading(l *masterLink, conn net.Conn) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				l.wmu.Lock()
				conn.Write([]byte("\n"))
				l.wmu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}

// transferReader counts payload bytes for INFO and refreshes the read deadline.
type transferReader struct {
	r       io.Reader
	l       *masterLink
	conn    net.Conn
	timeout time.Duration
}

func (c *transferReader) Read(p []byte) (int, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.timeout))
	n, err := c.r.Read(p)
	c.l.xferRead.Add(int64(n))
	c.l.lastIO.Store(time.Now().UnixMilli())
	return n, err
}

func ackCommand(off int64) []byte {
	return appendMultibulk(nil, [][]byte{[]byte("REPLCONF"), []byte("ACK"), []byte(strconv.FormatInt(off, 10))})
}

// streamFromMaster applies the master's stream until the connection ends: commands run
// as the master client; the applied offset advances after each command outside MULTI,
// and exactly the applied bytes are proxied to our backlog and sub-replicas.
func (s *Server) streamFromMaster(l *masterLink, conn net.Conn, br *bufio.Reader) error {
	buf := make([]byte, max(64<<10, br.Buffered()))
	end := copy(buf, mustPeek(br))
	applied, parsed := 0, 0 // buf[:applied] is applied; buf[applied:parsed] parsed in MULTI
	ackStop := s.ackEverySecond(l, conn)
	defer ackStop()
	var cmds [][][]byte
	var lens []int
	var pool, scratch [][]byte
	for {
		// parse every complete command after the parsed ones
		cmds, lens, pool = cmds[:0], lens[:0], pool[:0]
		pos := parsed
		for pos < end {
			args, consumed, _, _, err := resp.Parse(buf[pos:end], scratch, s.limits(nil))
			scratch = args
			if err == resp.ErrIncomplete {
				break
			}
			if err != nil {
				return fmt.Errorf("protocol error from master: %w", err)
			}
			if len(args) > 0 && buf[pos] != '*' {
				return fmt.Errorf("protocol error from master: inline command")
			}
			pos += consumed
			pool = append(pool, args...)
			cmds = append(cmds, pool[len(pool)-len(args):len(pool):len(pool)])
			lens = append(lens, consumed)
		}
		held := false
		if len(cmds) > 0 || pos > parsed {
			var ack []byte
			var err error
			applied, parsed, ack, err = s.applyFromMaster(l, buf, applied, parsed, cmds, lens)
			if err != nil {
				return err
			}
			held = parsed < pos
			if ack != nil {
				l.wmu.Lock()
				conn.Write(ack)
				l.wmu.Unlock()
			}
		}
		l.unapplied.Store(int64(end - applied))
		// keep buf[applied:end]
		if applied > 0 && (applied == end || end == len(buf)) {
			copy(buf, buf[applied:end])
			end -= applied
			parsed -= applied
			applied = 0
		}
		if end == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:end])
			buf = nb
		}
		deadline := time.Now().Add(s.cfg.ReplTimeout)
		if held {
			// CLIENT PAUSE holds the master's writes: keep reading (slave_read_repl_offset
			// grows) and try again shortly
			deadline = time.Now().Add(replPausePoll)
		}
		conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf[end:])
		if n > 0 {
			end += n
			l.lastIO.Store(time.Now().UnixMilli())
			s.stats.replInput.Add(int64(n))
		}
		if err != nil && n == 0 {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if held && time.Since(time.UnixMilli(l.lastIO.Load())) < s.cfg.ReplTimeout {
					continue // the poll of a held stream
				}
				return errors.New("MASTER timeout: no data nor PING received...")
			}
			return fmt.Errorf("connection with master lost: %w", err)
		}
	}
}

func mustPeek(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return b
}

// replPausePoll is how often a master stream held by CLIENT PAUSE tries again.
const replPausePoll = 50 * time.Millisecond

// applyFromMaster runs cmds (whose wire lengths are lens, starting at buf[parsed]) under
// the lock and proxies what became applied. It returns the new applied and parsed
// positions (a command CLIENT PAUSE holds, and those after it, stay unparsed) and the
// ACK to send if a GETACK was seen.
func (s *Server) applyFromMaster(l *masterLink, buf []byte, applied, parsed int, cmds [][][]byte, lens []int) (int, int, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.link != l || l.client == nil {
		return applied, parsed, nil, errLinkStopped
	}
	mc := l.client
	defer s.crashOnPanic(mc)
	s.clock = time.Now()
	pos := parsed
	start := applied
	for i, args := range cmds {
		l.curOff = l.reploff + int64(applied-start)
		if len(args) > 0 {
			if !s.processCommand(mc, args) {
				break // held by CLIENT PAUSE, as Redis pauses its master client too
			}
			mc.w.B = mc.w.B[:0] // a master gets no replies
		}
		pos += lens[i]
		if !mc.has(ClientMulti) {
			applied = pos
		}
	}
	if applied > start {
		s.replFeedBytes(buf[start:applied]) // proxied to our backlog and sub-replicas
		l.reploff += int64(applied - start)
	}
	s.replDistribute()
	var ack []byte
	if l.ackNow {
		l.ackNow = false
		ack = ackCommand(l.curOff)
	}
	return applied, pos, ack, nil
}

// ackEverySecond sends REPLCONF ACK <applied offset> every second while streaming.
func (s *Server) ackEverySecond(l *masterLink, conn net.Conn) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			period := time.Second
			select {
			case <-done:
				return
			case <-t.C:
			}
			s.mu.Lock()
			off := l.reploff
			live := s.repl.link == l && l.client != nil
			if s.repl.failover.state != failoverNone {
				period = 100 * time.Millisecond
			}
			s.mu.Unlock()
			if !live {
				return
			}
			l.wmu.Lock()
			conn.SetWriteDeadline(time.Now().Add(s.cfg.ReplTimeout))
			_, err := conn.Write(ackCommand(off))
			l.wmu.Unlock()
			if err != nil {
				return
			}
			t.Reset(period)
		}
	}()
	return func() { close(done) }
}

// gateReadOnly refuses writes from normal clients on a read-only replica.
func (s *Server) gateReadOnly(c *Client, cmd *Command) string {
	if s.isReplica() && s.cfg.ReplicaReadOnly && c.gateFlags(cmd)&FlagWrite != 0 {
		return ErrReadOnly
	}
	return ""
}

// gateMasterDown is replica-serve-stale-data no while the link is down.
func (s *Server) gateMasterDown(c *Client, cmd *Command) string {
	if !s.isReplica() || s.cfg.ReplicaServeStaleData || s.linkUp() {
		return ""
	}
	stale := cmd.Flags&FlagStale != 0
	if cmd.Name == "exec" {
		_, missing := c.queuedFlags()
		stale = missing&FlagStale == 0
	}
	if !stale {
		return ErrMasterDown
	}
	return ""
}
