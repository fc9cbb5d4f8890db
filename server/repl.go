package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/replica"
)

// Replication state, both sides (Redis 7.0's replication.c). Everything here is under the
// execution lock. The role is decided in one place: s.repl.masterHost is set when this
// server replicates from a master (isReplica), and only becomeReplica/becomeMaster
// change it.

// linkState is the state of the link to our master (Redis's repl_state).
type linkState int

const (
	linkNone       linkState = iota // not a replica
	linkConnect                     // must (re)connect
	linkConnecting                  // TCP connect in flight
	linkHandshake                   // PING, AUTH, REPLCONF, PSYNC
	linkTransfer                    // receiving the RDB payload
	linkConnected                   // streaming
)

// String is the ROLE state name.
func (l linkState) String() string {
	return [...]string{"none", "connect", "connecting", "handshake", "sync", "connected"}[l]
}

// replicaState is the state of a replica attached to us (master side).
type replicaState int

const (
	replWaitBgsaveStart replicaState = iota // waiting for a snapshot to start
	replWaitBgsaveEnd                       // snapshot running; stream bytes are buffered
	replSendBulk                            // sending the RDB file
	replOnline                              // streaming
)

func (r replicaState) String() string {
	switch r {
	case replWaitBgsaveStart, replWaitBgsaveEnd:
		return "wait_bgsave"
	case replSendBulk:
		return "send_bulk"
	}
	return "online"
}

// cachedMaster is what a replica remembers of a master to PSYNC with: its replication
// id, the offset applied, and the database its stream had selected.
type cachedMaster struct {
	replid string
	offset int64
	db     int
}

// replicationState is Server.repl.
type replicationState struct {
	offset       int64            // master_repl_offset
	secondOffset int64            // second_repl_offset (-1 unset)
	backlog      *replica.Backlog // nil: no backlog (the offset does not advance)
	seldb        int              // database last selected in the stream (-1 unknown)
	scratch      []byte           // serialization buffer for feeds
	outBuf       []byte           // stream bytes not yet handed to the replicas (replDistribute)

	replicas        []*Client // replicas attached to us, any state
	noReplicasSince time.Time // when the last replica left (backlog TTL)
	lastCron        time.Time // replicationCron runs once per second
	cronTicks       int64     // replicationCron runs so far (ping period counting)
	goodReplicas    int       // min-replicas-to-write: replicas with a fresh ACK
	waiters         []*Client // clients blocked in WAIT
	syncRunning     bool      // a full-sync snapshot is being produced

	masterHost string      // "" = we are a master
	masterPort int         // the master's port
	link       *masterLink // the link to our master, nil when master
	cached     *cachedMaster
	downSince  time.Time // when the link went down (zero: never up or reset)

	syncFull, syncPartialOK, syncPartialErr int64 // INFO stats

	failover failoverState

	shutdownAbort chan struct{} // a shutdown waits for replicas: SHUTDOWN ABORT closes it

	fence fenceState // fenced mode (fence.go)
}

func newReplicationState() replicationState {
	return replicationState{secondOffset: -1, seldb: -1, noReplicasSince: time.Now(), fence: newFenceState()}
}

// isReplica reports whether this server replicates from a master.
func (s *Server) isReplica() bool { return s.repl.masterHost != "" }

// linkUp reports whether we are a replica streaming from its master.
func (s *Server) linkUp() bool {
	return s.repl.link != nil && s.repl.link.state == linkConnected
}

// replFeedRecords serializes the records of one execution unit into the replication
// stream (master only: a replica proxies its master's bytes instead, see replApplied).
func (s *Server) replFeedRecords(recs []Record) {
	r := &s.repl
	if r.backlog == nil || s.isReplica() {
		return
	}
	b := r.scratch[:0]
	for _, rec := range recs {
		if rec.DB != r.seldb {
			b = appendSelect(b, rec.DB)
			r.seldb = rec.DB
		}
		b = appendMultibulk(b, rec.Argv)
	}
	s.replFeedBytes(b)
	r.scratch = b[:0]
}

// replFeedBytes appends raw stream bytes to the backlog and to every replica past the
// start of its full sync, and advances master_repl_offset.
func (s *Server) replFeedBytes(b []byte) {
	r := &s.repl
	if r.backlog == nil || len(b) == 0 {
		return
	}
	r.backlog.Write(b)
	r.offset = r.backlog.End()
	if len(r.replicas) > 0 {
		r.outBuf = append(r.outBuf, b...)
	}
}

// replDistribute hands the stream bytes fed since the last call to every replica past
// the start of its full sync. Feeds are batched this way (one append and one wake-up
// per replica per batch of commands, not per command); it runs before the execution
// lock is released by a command batch, the replica stream applier and cron, and before
// any change to the replica list or states, so that each replica gets each byte once.
func (s *Server) replDistribute() {
	r := &s.repl
	if len(r.outBuf) == 0 {
		return
	}
	for _, c := range r.replicas {
		if c.repl.state != replWaitBgsaveStart {
			c.appendStream(r.outBuf)
		}
	}
	if cap(r.outBuf) > 1<<20 {
		r.outBuf = nil
	} else {
		r.outBuf = r.outBuf[:0]
	}
}

// createBacklog creates the backlog at the current offset. A master that had none gets a
// new replication id, as Redis does when the first replica asks for a full sync.
func (s *Server) createBacklog() {
	r := &s.repl
	if r.backlog != nil {
		return
	}
	r.backlog = replica.NewBacklog(s.backlogSize(), r.offset)
}

func (s *Server) backlogSize() int64 { return max(s.cfg.ReplBacklogSize, 16384) }

// freeBacklog drops the backlog (a replica about to load a new dataset, backlog TTL).
func (s *Server) freeBacklog() { s.repl.backlog = nil }

// shiftReplicationID is Redis's shiftReplicationId: the current history becomes the
// secondary one, so replicas of the old id can still PSYNC up to this offset.
func (s *Server) shiftReplicationID() {
	s.replID2 = s.replID
	s.repl.secondOffset = s.repl.offset + 1
	s.replID = newRunID()
	s.log.Info().Str("replid", s.replID).Str("replid2", s.replID2).Int64("offset", s.repl.secondOffset).
		Msg("Setting secondary replication ID, valid up to offset " + strconv.FormatInt(s.repl.secondOffset, 10) + ". New replication ID is " + s.replID)
}

// clearReplicationID2 forgets the secondary history.
func (s *Server) clearReplicationID2() {
	s.replID2 = zeroReplID
	s.repl.secondOffset = -1
}

// disconnectReplicas closes every attached replica (they reconnect and PSYNC).
func (s *Server) disconnectReplicas() {
	for _, c := range s.repl.replicas {
		c.flags |= ClientKilled
		c.close()
	}
}

// removeReplica forgets c (its connection ended).
func (s *Server) removeReplica(c *Client) {
	r := &s.repl
	for i, x := range r.replicas {
		if x == c {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			c.shutStream() // Redis frees a replica's buffers with it
			break
		}
	}
	if len(r.replicas) == 0 {
		r.noReplicasSince = time.Now()
	}
	s.log.Info().Str("addr", c.replicaAddr()).Msg("Connection with replica " + c.replicaAddr() + " lost.")
	s.refreshGoodReplicas()
	s.checkWaiters()
	s.fenceAcked() // the fenced batches waiting on it may fail now
}

// replicaAddr is the replica's announced ip:port.
func (c *Client) replicaAddr() string {
	return c.replicaIP() + ":" + strconv.Itoa(c.repl.listeningPort)
}

func (c *Client) replicaIP() string {
	if c.repl.ipAddress != "" {
		return c.repl.ipAddress
	}
	host := c.addr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// rdbReplAux returns the repl-stream-db, repl-id and repl-offset AUX fields Redis writes
// when the dump can seed a partial resync (rdbPopulateSaveInfo), or nil.
func (s *Server) rdbReplAux() [][2]string {
	db := -1
	switch {
	case !s.isReplica() && s.repl.backlog != nil:
		db = max(s.repl.seldb, 0)
	case s.isReplica() && s.repl.link != nil && s.repl.link.client != nil:
		db = s.repl.link.client.dbIndex
	case s.isReplica() && s.repl.cached != nil:
		db = s.repl.cached.db
	default:
		return nil
	}
	return [][2]string{
		{"repl-stream-db", strconv.Itoa(db)},
		{"repl-id", s.replID},
		{"repl-offset", strconv.FormatInt(s.repl.offset, 10)},
	}
}

// restoreReplicationInfo applies the repl-* AUX fields of the dump loaded at start-up
// (Redis's loadDataFromDisk): a master keeps serving PSYNCs of its old history, a replica
// PSYNCs from where the dump left off.
func (s *Server) restoreReplicationInfo(aux [][2]string) {
	var id string
	var off int64 = -1
	db := 0
	for _, kv := range aux {
		switch kv[0] {
		case "repl-id":
			id = kv[1]
		case "repl-offset":
			if v, err := strconv.ParseInt(kv[1], 10, 64); err == nil {
				off = v
			}
		case "repl-stream-db":
			if v, err := strconv.Atoi(kv[1]); err == nil {
				db = v
			}
		}
	}
	if len(id) != 40 || off < 0 {
		return
	}
	r := &s.repl
	if s.isReplica() {
		s.replID = id
		r.offset = off
		r.cached = &cachedMaster{replid: id, offset: off, db: db}
		s.createBacklog()
		return
	}
	s.replID2 = id
	r.secondOffset = off + 1
	r.offset = off
	s.createBacklog()
	r.seldb = db
}

// replicationCron is Redis's replicationCron, run once per second (every 100 ms while a
// FAILOVER is in progress) from serverCron.
func (s *Server) replicationCron() {
	defer s.replDistribute() // what cron tasks fed (expiry, pings)
	now := time.Now()
	period := time.Second
	if s.repl.failover.state != failoverNone {
		period = 100 * time.Millisecond
	}
	if now.Sub(s.repl.lastCron) < period {
		return
	}
	s.repl.lastCron = now
	s.repl.cronTicks++
	s.failoverCron(now)
	s.masterCron(now)
	s.refreshGoodReplicas()
}

// masterCron pings replicas, drops timed-out ones, frees an unused backlog and starts
// full syncs that wait for a snapshot.
func (s *Server) masterCron(now time.Time) {
	r := &s.repl
	period := int64(s.cfg.ReplPingReplicaPeriod / time.Second)
	if !s.isReplica() && len(r.replicas) > 0 && period > 0 && r.cronTicks%period == 0 &&
		!(s.pauseActive() && r.failover.state != failoverNone) {
		s.replFeedBytes([]byte("*1\r\n$4\r\nping\r\n"))
	}
	for _, c := range r.replicas {
		switch {
		case c.repl.state == replWaitBgsaveStart:
			c.appendStream([]byte("\n")) // keep-alive, not part of the offset
		case c.repl.state == replOnline && !c.repl.oldSync && now.Sub(c.repl.ackTime) > s.cfg.ReplTimeout:
			s.log.Warn().Str("replica", c.replicaAddr()).Msg("Disconnecting timedout replica (streaming sync): " + c.replicaAddr())
			c.flags |= ClientKilled
			c.close()
		}
	}
	if !s.isReplica() && len(r.replicas) == 0 && r.backlog != nil && s.cfg.ReplBacklogTTL > 0 &&
		now.Sub(r.noReplicasSince) > s.cfg.ReplBacklogTTL {
		s.replID = newRunID() // nobody can PSYNC this history any more
		s.clearReplicationID2()
		s.freeBacklog()
		s.log.Info().Msg("Replication backlog freed after " + strconv.FormatInt(int64(s.cfg.ReplBacklogTTL/time.Second), 10) + " seconds without connected replicas.")
	}
	s.startFullSyncIfReady(now)
}

// refreshGoodReplicas counts replicas whose last ACK is within min-replicas-max-lag.
func (s *Server) refreshGoodReplicas() {
	n := 0
	lag := time.Duration(s.cfg.MinReplicasMaxLag) * time.Second
	now := time.Now()
	for _, c := range s.repl.replicas {
		if c.repl.state == replOnline && now.Sub(c.repl.ackTime) <= lag {
			n++
		}
	}
	s.repl.goodReplicas = n
}

func (s *Server) minReplicasEnabled() bool {
	return s.cfg.MinReplicasToWrite > 0 && s.cfg.MinReplicasMaxLag > 0
}

// replicationStats gathers INFO replication (under the execution lock).
func (s *Server) replicationStats(now time.Time) StatsReplication {
	r := &s.repl
	st := StatsReplication{MinReplicasOn: s.minReplicasEnabled(), GoodReplicas: int64(r.goodReplicas),
		FailoverState: r.failover.state.String(), ReplID: s.replID, ReplID2: s.replID2,
		Offset: r.offset, SecondOffset: r.secondOffset, BacklogSize: s.cfg.ReplBacklogSize}
	s.fenceStats(&st, now)
	if s.isReplica() {
		link := s.linkStats(now)
		st.Replica = &link
	}
	for _, c := range r.replicas {
		lag := int64(0)
		if c.repl.state == replOnline {
			lag = int64(now.Sub(c.repl.ackTime).Seconds())
		}
		st.Replicas = append(st.Replicas, StatsReplica{IP: c.replicaIP(), Port: c.repl.listeningPort,
			State: c.repl.state.String(), Offset: c.repl.ackOff, LagSecs: lag})
	}
	if r.backlog != nil {
		st.BacklogActive, st.BacklogFirst, st.BacklogLen = true, r.backlog.FirstByte(), r.backlog.Histlen()
	}
	return st
}

// linkStats gathers a replica's view of its link to the master.
func (s *Server) linkStats(now time.Time) StatsLink {
	r := &s.repl
	l := r.link
	state := linkConnect
	if l != nil {
		state = l.state
	}
	st := StatsLink{MasterHost: r.masterHost, MasterPort: r.masterPort, Up: state == linkConnected,
		LastIOSecs: -1, Syncing: state == linkTransfer, ReadOffset: 1, Offset: 1, DownSinceSecs: -1,
		Priority: s.cfg.ReplicaPriority, ReadOnly: s.cfg.ReplicaReadOnly, Announced: s.cfg.ReplicaAnnounced}
	if l != nil && l.client != nil {
		st.LastIOSecs = int64(now.Sub(time.UnixMilli(l.lastIO.Load())).Seconds())
		st.Offset = l.reploff
		st.ReadOffset = l.reploff + l.unapplied.Load()
	} else if r.cached != nil {
		st.ReadOffset, st.Offset = r.cached.offset, r.cached.offset
	}
	if st.Syncing && l != nil {
		st.SyncTotal, st.SyncRead = l.xferTotal.Load(), l.xferRead.Load()
		st.SyncLastIOSecs = int64(now.Sub(time.UnixMilli(l.lastIO.Load())).Seconds())
	}
	if !st.Up && !r.downSince.IsZero() {
		st.DownSinceSecs = int64(now.Sub(r.downSince).Seconds())
	}
	return st
}

// infoReplication writes INFO's Replication section in Redis 7.0's field order.
func infoReplication(w *infoWriter, st *StatsReplication) {
	if st.Replica == nil {
		w.str("role", "master")
	} else {
		infoReplicaFields(w, st.Replica)
	}
	w.int("connected_slaves", int64(len(st.Replicas)))
	if st.MinReplicasOn {
		w.int("min_slaves_good_slaves", st.GoodReplicas)
	}
	for i, r := range st.Replicas {
		w.str("slave"+strconv.Itoa(i), "ip="+r.IP+",port="+strconv.Itoa(r.Port)+",state="+r.State+
			",offset="+strconv.FormatInt(r.Offset, 10)+",lag="+strconv.FormatInt(r.LagSecs, 10))
	}
	w.str("master_failover_state", st.FailoverState)
	w.str("master_replid", st.ReplID)
	w.str("master_replid2", st.ReplID2)
	w.int("master_repl_offset", st.Offset)
	w.int("second_repl_offset", st.SecondOffset)
	w.int("repl_backlog_active", b2i(st.BacklogActive))
	w.int("repl_backlog_size", st.BacklogSize)
	w.int("repl_backlog_first_byte_offset", st.BacklogFirst)
	w.int("repl_backlog_histlen", st.BacklogLen)
	infoFenced(w, st)
}

// infoReplicaFields writes the replica-only fields, from role to replica_announced.
func infoReplicaFields(w *infoWriter, l *StatsLink) {
	w.str("role", "slave")
	w.str("master_host", l.MasterHost)
	w.int("master_port", int64(l.MasterPort))
	if l.Up {
		w.str("master_link_status", "up")
	} else {
		w.str("master_link_status", "down")
	}
	w.int("master_last_io_seconds_ago", l.LastIOSecs)
	w.int("master_sync_in_progress", b2i(l.Syncing))
	w.int("slave_read_repl_offset", l.ReadOffset)
	w.int("slave_repl_offset", l.Offset)
	if l.Syncing {
		w.int("master_sync_total_bytes", l.SyncTotal)
		w.int("master_sync_read_bytes", l.SyncRead)
		w.int("master_sync_left_bytes", max(l.SyncTotal-l.SyncRead, 0))
		perc := 0.0
		if l.SyncTotal > 0 {
			perc = float64(l.SyncRead) * 100 / float64(l.SyncTotal)
		}
		w.str("master_sync_perc", strconv.FormatFloat(perc, 'f', 2, 64))
		w.int("master_sync_last_io_seconds_ago", l.SyncLastIOSecs)
	}
	if !l.Up {
		w.int("master_link_down_since_seconds", l.DownSinceSecs)
	}
	w.int("slave_priority", int64(l.Priority))
	w.int("slave_read_only", b2i(l.ReadOnly))
	w.int("replica_announced", b2i(l.Announced))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// cmdRole is ROLE: the master form lists online replicas, the replica form the link.
func cmdRole(c *Client) {
	s := c.srv
	r := &s.repl
	if !s.isReplica() {
		online := 0
		for _, rc := range r.replicas {
			if rc.repl.state == replOnline {
				online++
			}
		}
		c.w.Array(3)
		c.w.BulkString("master")
		c.w.Int(r.offset)
		c.w.Array(online)
		for _, rc := range r.replicas {
			if rc.repl.state != replOnline {
				continue
			}
			c.w.Array(3)
			c.w.BulkString(rc.replicaIP())
			c.w.BulkString(strconv.Itoa(rc.repl.listeningPort))
			c.w.BulkString(strconv.FormatInt(rc.repl.ackOff, 10))
		}
		return
	}
	c.w.Array(5)
	c.w.BulkString("slave")
	c.w.BulkString(r.masterHost)
	c.w.Int(int64(r.masterPort))
	state := linkConnect
	off := int64(-1)
	if l := r.link; l != nil {
		state = l.state
		if l.client != nil {
			off = l.reploff
		}
	}
	c.w.BulkString(state.String())
	c.w.Int(off)
}
