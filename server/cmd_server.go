package server

import (
	"math"
	"strconv"
	"time"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// serverCommands returns DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, ROLE, SHUTDOWN, INFO,
// DEBUG and OBJECT.
func serverCommands() []*Command {
	return []*Command{
		{Name: "dbsize", Arity: 1, Flags: FlagReadonly | FlagFast, Handler: cmdDbsize, Group: "server"},
		{Name: "flushdb", Arity: -1, Flags: FlagWrite, Handler: cmdFlushdb, Group: "server"},
		{Name: "flushall", Arity: -1, Flags: FlagWrite, Handler: cmdFlushall, Group: "server"},
		{Name: "swapdb", Arity: 3, Flags: FlagWrite | FlagFast | FlagArrivalOrder, Handler: cmdSwapdb, Group: "server"},
		{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Handler: cmdTime, Group: "server"},
		{Name: "role", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Handler: cmdRole, Group: "server"},
		{Name: "shutdown", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagNoMulti | FlagAllowBusy,
			Handler: cmdShutdown, Group: "server"},
		{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, Handler: cmdInfo, Group: "server"},
		{Name: "debug", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagProtected,
			Handler: cmdDebug, Group: "server"},
		objectCommand(),
		memoryCommand(),
	}
}

// debugAllowed applies enable-debug-command (yes, no, or local connections only).
func (s *Server) debugAllowed(c *Client) bool {
	switch s.cfg.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		return c.has(ClientUnixSocket) || isLoopbackAddr(c.addr)
	}
	return false
}

func isLoopbackAddr(addr string) bool {
	return len(addr) > 4 && (addr[:4] == "127." || (len(addr) > 5 && addr[:5] == "[::1]"))
}

func cmdDbsize(c *Client) { c.w.Int(int64(c.db().Len())) }

// flushAsync parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC (getFlushCommandFlags). Vigil
// frees a flushed dataset the same way in both modes (the collector reclaims it), so
// the result only validates the syntax.
func flushArgs(c *Client) bool {
	switch {
	case len(c.args) > 2:
		c.err(ErrSyntax)
		return false
	case len(c.args) == 2 && !argEqualFold(c.args[1], "sync") && !argEqualFold(c.args[1], "async"):
		c.err(ErrSyntax)
		return false
	}
	return true
}

// flushAsync reports whether a FLUSHDB or FLUSHALL (with valid arguments) frees lazily:
// ASYNC, or no argument with lazyfree-lazy-user-flush.
func flushAsync(c *Client) bool {
	if len(c.args) == 2 {
		return argEqualFold(c.args[1], "async")
	}
	return c.srv.cfg.LazyfreeLazyUserFlush
}

// emptyDB is emptyData for one database: watchers are touched, then the dicts are
// replaced by new ones (never cleared: a running snapshot may hold the old ones). It
// returns the number of keys removed.
func (s *Server) emptyDB(id int) int64 {
	db := s.dbs[id]
	n := int64(db.Keys.Len())
	s.touchAllWatched(id)
	if n == 0 && db.Expires.Len() == 0 {
		return 0
	}
	db.Keys = store.NewDict[store.Object]()
	db.Expires = store.NewDict[int64]()
	return n
}

func cmdFlushdb(c *Client) {
	if !flushArgs(c) {
		return
	}
	total := c.srv.totalKeys()
	removed := c.srv.emptyDB(c.dbIndex)
	c.srv.flushedKeys(removed, total, flushAsync(c))
	c.addDirty(removed) // propagated even when the database was empty
	c.ok()
}

func cmdFlushall(c *Client) {
	if !flushArgs(c) {
		return
	}
	s := c.srv
	var removed int64
	for id := range s.dbs {
		removed += s.emptyDB(id)
	}
	s.flushedKeys(removed, removed, flushAsync(c))
	c.addDirty(removed) // propagated even when every database was empty
	// flushAllDataAndResetRDB: a running BGSAVE's child is killed (its dump would
	// bring the old data back), then with save points configured the empty dataset is
	// saved at once, which leaves the dirty counter at 0 (Redis 7.0.15 adds nothing for
	// FLUSHALL itself).
	s.killSaveChild()
	if len(s.cfg.Save) > 0 {
		if err := s.saveLocked(); err != nil {
			s.log.Warn().Err(err).Msg("save after FLUSHALL failed")
		}
	}
	c.ok()
}

func cmdSwapdb(c *Client) {
	id1, ok1 := parseDBIndex(c.args[1])
	if !ok1 {
		c.err(ErrInvalidFirstDB)
		return
	}
	id2, ok2 := parseDBIndex(c.args[2])
	if !ok2 {
		c.err(ErrInvalidSecondDB)
		return
	}
	s := c.srv
	if id1 < 0 || id1 >= len(s.dbs) || id2 < 0 || id2 >= len(s.dbs) {
		c.err(ErrDBIndex)
		return
	}
	if id1 != id2 {
		s.swapDBs(id1, id2)
	}
	c.addDirty(1)
	c.ok()
}

// parseDBIndex is getIntFromObject: a strict integer that fits in a C int.
func parseDBIndex(b []byte) (int, bool) {
	n, ok := resp.ParseInt(b)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// swapDBs is dbSwapDatabases: the contents move, the per-id state (blocked and watching
// clients) stays with the id. Watchers of both ids are touched, and clients blocked on a
// key that now exists as a list or sorted set are signalled.
func (s *Server) swapDBs(id1, id2 int) {
	s.touchAllWatchedSwap(id1, id2)
	db1, db2 := s.dbs[id1], s.dbs[id2]
	db1.Keys, db2.Keys = db2.Keys, db1.Keys
	db1.Expires, db2.Expires = db2.Expires, db1.Expires
	s.scanForReadyKeys(id1)
	s.scanForReadyKeys(id2)
}

// scanForReadyKeys is scanDatabaseForReadyKeys.
func (s *Server) scanForReadyKeys(id int) {
	db := s.dbs[id]
	for key := range s.dbState[id].blocking {
		if o := db.Keys.Ref(key); o != nil && (o.Type == store.TypeList || o.Type == store.TypeZSet) {
			s.signalReady(id, []byte(key))
		}
	}
}

func cmdTime(c *Client) {
	now := time.Now()
	var buf [20]byte
	c.w.Array(2)
	c.w.Bulk(strconv.AppendInt(buf[:0], now.Unix(), 10))
	c.w.Bulk(strconv.AppendInt(buf[:0], int64(now.Nanosecond()/1000), 10))
}

func cmdShutdown(c *Client) {
	var opts ShutdownOptions
	for _, a := range c.args[1:] {
		switch {
		case argEqualFold(a, "nosave"):
			opts.NoSave = true
		case argEqualFold(a, "save"):
			opts.Save = true
		case argEqualFold(a, "now"):
			opts.Now = true
		case argEqualFold(a, "force"):
			opts.Force = true
		case argEqualFold(a, "abort"):
			opts.Abort = true
		default:
			c.err(ErrSyntax)
			return
		}
	}
	if (opts.Abort && (opts.NoSave || opts.Save || opts.Now || opts.Force)) || (opts.NoSave && opts.Save) {
		c.err(ErrSyntax)
		return
	}
	s := c.srv
	if opts.Abort {
		if !s.abortShutdown() {
			c.err(ErrNoShutdown)
			return
		}
		c.ok()
		return
	}
	if !opts.Now && !opts.Force && s.cfg.ShutdownTimeout > 0 && !s.isReplica() && s.replicasLagging() {
		// wait for the replicas outside the lock, on this connection's goroutine
		c.detach = func() {
			if err := s.shutdown(opts); err != nil {
				c.conn.Write([]byte("-" + ErrShutdownFailed + "\r\n"))
			}
		}
		return
	}
	if err := s.prepareShutdown(opts); err != nil {
		c.err(ErrShutdownFailed)
		return
	}
	// Redis exits without replying: the connection just closes.
	c.flags |= ClientKilled
	go s.Close()
}
