package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// syncCommands returns REPLCONF, SYNC and PSYNC. What they serve today is the RDB-only
// transfer (`redis-cli --rdb FILE`, REPLCONF rdb-only 1): a point-in-time snapshot
// streamed to the client, diskless when it announced `capa eof`, else through a
// temporary file with a length prefix, as Redis does. Serving replicas (the stream after
// the snapshot, backlog, partial resync) belongs to the replication milestone.
func syncCommands() []*Command {
	return []*Command{
		{Name: "replconf", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagAllowBusy, Handler: cmdReplconf, Group: "server"},
		{Name: "sync", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoMulti, Handler: cmdSync, Group: "server"},
		{Name: "psync", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagNoMulti, Handler: cmdSync, Group: "server"},
		{Name: "replicaof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale, Handler: cmdReplicaof, Group: "server"},
		{Name: "slaveof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale, Handler: cmdReplicaof, Group: "server"},
		{Name: "wait", Arity: 3, Flags: FlagNoScript, Handler: cmdWait, Group: "generic"},
		{Name: "failover", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagStale, Handler: cmdFailover, Group: "server"},
	}
}

// replState is what a client told us with REPLCONF and, once it is a replica of ours,
// its replication state (under the execution lock).
type replState struct {
	listeningPort int
	ipAddress     string
	capaEOF       bool
	capaPSync2    bool
	rdbOnly       bool

	state     replicaState
	ackOff    int64     // the offset it acknowledged last
	ackTime   time.Time // when it last sent an ACK (or a keep-alive)
	waitSince time.Time // when it started waiting for a full sync
	oldSync   bool      // it sent SYNC, not PSYNC: no ACKs expected
	waitAck   bool      // diskless: its stream is held until its first ACK
}

func cmdReplconf(c *Client) {
	if len(c.args) >= 2 && argEqualFold(c.args[1], "fence") {
		// Vigil's: a sentinel renews the fenced-mode write lease (fence.go)
		c.srv.fenceRenew(c, c.args[2:])
		return
	}
	if len(c.args)%2 == 0 {
		c.err(ErrSyntax)
		return
	}
	for i := 1; i < len(c.args); i += 2 {
		opt, val := c.args[i], c.args[i+1]
		switch {
		case argEqualFold(opt, "listening-port"):
			port, err := strconv.Atoi(string(val))
			if err != nil {
				c.err(ErrNotInt)
				return
			}
			c.repl.listeningPort = port
		case argEqualFold(opt, "ip-address"):
			if len(val) >= 256 {
				c.err(fmt.Sprintf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(val)))
				return
			}
			c.repl.ipAddress = string(val)
		case argEqualFold(opt, "capa"):
			switch {
			case argEqualFold(val, "eof"):
				c.repl.capaEOF = true
			case argEqualFold(val, "psync2"):
				c.repl.capaPSync2 = true
			}
		case argEqualFold(opt, "rdb-only"):
			v, err := strconv.Atoi(string(val))
			if err != nil || (v != 0 && v != 1) {
				c.err(ErrNotInt)
				return
			}
			c.repl.rdbOnly = v == 1
		case argEqualFold(opt, "getack"):
			if c.has(ClientMaster) && c.srv.repl.link != nil {
				c.srv.repl.link.ackNow = true
			}
			return // never replied to
		case argEqualFold(opt, "ack"):
			return // ACKs arrive on replica sessions (serveReplica); never replied to
		default:
			c.err(fmt.Sprintf("ERR Unrecognized REPLCONF option: %s", opt))
			return
		}
	}
	c.ok()
}

// sendRDBOnly streams a point-in-time snapshot to c, then closes the connection. It runs
// on the connection goroutine, outside the execution lock.
func (s *Server) sendRDBOnly(c *Client, psync bool) {
	defer c.close()
	var sn *snapshot
	for sn == nil { // one snapshot at a time: wait for a running BGSAVE/rewrite to end
		s.mu.Lock()
		if s.snap == nil && !s.persist.bgsaveRunning {
			var err error
			if sn, err = s.beginSnapshot(s.rdbAux(), s.rdbOptions(), nil); err != nil {
				s.mu.Unlock()
				s.log.Warn().Err(err).Msg("rdb-only transfer: snapshot failed")
				return
			}
			s.snap = sn
		}
		s.mu.Unlock()
		if sn == nil {
			select {
			case <-c.closed:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	s.log.Info().Str("addr", c.addr).Bool("diskless", c.repl.capaEOF).Msg("starting RDB-only transfer")
	if psync {
		if _, err := fmt.Fprintf(c.conn, "+FULLRESYNC %s 0\r\n", s.replID); err != nil {
			s.runSnapshot(sn, io.Discard)
			return
		}
	}
	var err error
	if c.repl.capaEOF {
		err = s.sendDiskless(c, sn)
	} else {
		err = s.sendViaFile(c, sn)
	}
	if err != nil {
		s.log.Warn().Err(err).Str("addr", c.addr).Msg("RDB-only transfer failed")
		return
	}
	s.log.Info().Str("addr", c.addr).Msg("RDB-only transfer done")
}

// sendDiskless writes $EOF:<mark>\r\n, the snapshot, then the 40-byte mark.
func (s *Server) sendDiskless(c *Client, sn *snapshot) error {
	var m [20]byte
	if _, err := rand.Read(m[:]); err != nil {
		s.dropSnapshot(sn, err)
		return err
	}
	mark := hex.EncodeToString(m[:])
	if _, err := io.WriteString(c.conn, "$EOF:"+mark+"\r\n"); err != nil {
		s.runSnapshot(sn, io.Discard)
		return err
	}
	if _, err := s.runSnapshot(sn, c.conn); err != nil {
		return err
	}
	_, err := io.WriteString(c.conn, mark)
	return err
}

// sendViaFile writes the snapshot to a temporary file, then $<size>\r\n and the file.
func (s *Server) sendViaFile(c *Client, sn *snapshot) error {
	f, err := os.CreateTemp(filepath.Dir(s.dumpPath()), "temp-sync-*.rdb")
	if err != nil {
		s.runSnapshot(sn, io.Discard)
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := s.runSnapshot(sn, f); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.conn, "$%d\r\n", size); err != nil {
		return err
	}
	_, err = io.Copy(c.conn, f)
	return err
}
