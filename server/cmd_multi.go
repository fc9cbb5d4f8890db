package server

import (
	"fmt"
	"strings"

	"github.com/vigil-db/vigil/store"
)

// multiCommands returns MULTI, EXEC, DISCARD, WATCH, UNWATCH.
func multiCommands() []*Command {
	const ctl = FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy
	return []*Command{
		{Name: "multi", Arity: 1, Flags: ctl, Handler: cmdMulti, Group: "transactions"},
		{Name: "exec", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagSkipSlowlog | FlagArrivalOrder, Handler: cmdExec, Group: "transactions"},
		{Name: "discard", Arity: 1, Flags: ctl, Handler: cmdDiscard, Group: "transactions"},
		{Name: "watch", Arity: -2, Flags: ctl, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdWatch, Group: "transactions"},
		{Name: "unwatch", Arity: 1, Flags: ctl, Handler: cmdUnwatch, Group: "transactions"},
	}
}

// queueMulti queues cmd (with copied arguments) while c is inside MULTI and replies
// +QUEUED. A transaction that is already doomed (a queueing error or a touched WATCH)
// keeps nothing, as Redis does, but still replies +QUEUED.
func (s *Server) queueMulti(c *Client, cmd *Command) {
	if !c.has(ClientDirtyCAS | ClientDirtyExec) {
		args := cloneArgs(c.args)
		c.multi = append(c.multi, queuedCommand{cmd: cmd, args: args})
		for _, a := range args {
			c.multiMem += len(a)
		}
		c.multiMem += 8 * len(args) // one pointer per argument, like Redis's argv_len_sums
		if s.cfg.MaxMemoryClients != 0 {
			s.checkClientsMem(c)
		}
	}
	c.w.Simple("QUEUED")
}

// cloneArgs copies args into one allocation: queued commands outlive the read buffer.
func cloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// queuedFlags returns the union of the flags of the queued commands, and the union of
// the flags they lack (Redis's mstate.cmd_flags and cmd_inv_flags). Gates use them to
// judge EXEC as a whole: EXEC is a write if any queued command is, it may not run on a
// stale replica if any queued command lacks "stale", and so on.
func (c *Client) queuedFlags() (union, missing Flag) {
	for _, q := range c.multi {
		union |= q.cmd.Flags
		missing |= ^q.cmd.Flags
	}
	return union, missing
}

// gateFlags returns the flags a dispatcher gate should judge cmd by. For EXEC it is
// Redis's view of the whole transaction: a write (denyoom, may_replicate) if any queued
// command is one, allowed while loading (on a stale replica) only if every queued
// command is. Gates that refuse EXEC make it reply EXECABORT (see execAbort).
func (c *Client) gateFlags(cmd *Command) Flag {
	if len(c.multi) == 0 || cmd.Name != "exec" {
		return cmd.Flags
	}
	union, missing := c.queuedFlags()
	f := cmd.Flags | union&(FlagWrite|FlagDenyOOM|FlagMayReplicate)
	return f &^ (missing & (FlagLoading | FlagStale))
}

// discardTransaction drops the queue, leaves MULTI and drops every WATCH.
func (s *Server) discardTransaction(c *Client) {
	clear(c.multi)
	c.multi = nil
	c.multiMem = 0
	c.flags &^= ClientMulti | ClientDirtyCAS | ClientDirtyExec
	s.unwatchAll(c)
}

// execAbort answers an EXEC that a dispatcher gate refused (OOM, READONLY, NOAUTH,
// arity...): the transaction is discarded and the gate's error is wrapped in EXECABORT
// (Redis's execCommandAbort). msg is the gate's error text.
func (s *Server) execAbort(c *Client, msg string) {
	s.discardTransaction(c)
	c.err(fmt.Sprintf(ErrExecAbortBecause, strings.TrimPrefix(msg, "ERR ")))
}

func cmdMulti(c *Client) {
	if c.has(ClientMulti) {
		c.err(ErrMultiNested)
		return
	}
	c.flags |= ClientMulti
	c.ok()
}

func cmdDiscard(c *Client) {
	if !c.has(ClientMulti) {
		c.err(ErrDiscardWithoutMulti)
		return
	}
	c.srv.discardTransaction(c)
	c.ok()
}

// cmdExec runs the queued commands as one execution unit: their propagation records
// are fed together (wrapped in MULTI/EXEC by the core when there is more than one) and
// blocked clients are served only after it. Blocking commands do not block inside.
func cmdExec(c *Client) {
	s := c.srv
	if !c.has(ClientMulti) {
		c.err(ErrExecWithoutMulti)
		return
	}
	if s.isWatchedKeyExpired(c) {
		c.flags |= ClientDirtyCAS
	}
	if c.has(ClientDirtyCAS | ClientDirtyExec) {
		if c.has(ClientDirtyExec) {
			c.err(ErrExecAbort)
		} else {
			c.w.NullArray()
		}
		s.discardTransaction(c)
		return
	}
	hadDeny := c.has(ClientDenyBlocking)
	c.flags |= ClientDenyBlocking
	s.unwatchAll(c)
	execCmd, execArgs := c.cmd, c.args
	queue := c.multi
	c.w.Array(len(queue))
	wasInExec := s.inExec
	s.inExec = true
	for _, q := range queue {
		c.args = q.args
		s.call(c, q.cmd)
	}
	s.inExec = wasInExec
	if !hadDeny {
		c.flags &^= ClientDenyBlocking
	}
	// EXEC itself neither failed nor wrote: what the queued commands did is theirs.
	c.cmd, c.args = execCmd, execArgs
	c.failed, c.propagateSelf, c.overridden = false, false, false
	s.discardTransaction(c)
}

func cmdWatch(c *Client) {
	if c.has(ClientMulti) {
		c.err(ErrWatchInMulti)
		return
	}
	// no point in watching once the transaction is doomed
	if !c.has(ClientDirtyCAS) {
		for _, key := range c.args[1:] {
			c.srv.watchKey(c, key)
		}
	}
	c.ok()
}

func cmdUnwatch(c *Client) {
	c.srv.unwatchAll(c)
	c.flags &^= ClientDirtyCAS
	c.ok()
}

// watchKey adds key of c's database to c's watched keys, remembering whether it was
// already logically expired (such a key being deleted later is no change).
func (s *Server) watchKey(c *Client, key []byte) {
	for _, wk := range c.watched {
		if wk.db == c.dbIndex && wk.key == k(key) {
			return
		}
	}
	ks := string(key)
	st := s.dbState[c.dbIndex].watched
	st[ks] = append(st[ks], c)
	c.watched = append(c.watched, watchedKey{db: c.dbIndex, key: ks, expired: s.keyIsExpired(c.db(), ks)})
	c.listMem += int64(len(ks) + watchedKeyOverhead)
}

// unwatchAll drops every WATCH of c. The caller clears ClientDirtyCAS if it must.
func (s *Server) unwatchAll(c *Client) {
	for _, wk := range c.watched {
		c.listMem -= int64(len(wk.key) + watchedKeyOverhead)
		st := s.dbState[wk.db].watched
		if list := removeClient(st[wk.key], c); len(list) == 0 {
			delete(st, wk.key)
		} else {
			st[wk.key] = list
		}
	}
	clear(c.watched)
	c.watched = c.watched[:0]
}

// watchedEntry returns c's watch of key in db, or nil.
func (c *Client) watchedEntry(db int, key string) *watchedKey {
	for i := range c.watched {
		if c.watched[i].db == db && c.watched[i].key == key {
			return &c.watched[i]
		}
	}
	return nil
}

// isWatchedKeyExpired reports whether a key c watches has expired since WATCH (EXEC then
// fails as if it had been touched).
func (s *Server) isWatchedKeyExpired(c *Client) bool {
	for _, wk := range c.watched {
		if !wk.expired && s.keyIsExpired(s.dbs[wk.db], wk.key) {
			return true
		}
	}
	return false
}

// touchWatched marks every client watching key in db as dirty (Redis's touchWatchedKey)
// and drops their watches. Watchers are visited in WATCH order. A watcher that saw the key
// already expired is spared when the key is now gone (deleting an expired key changes
// nothing logically); if the key exists the visit stops there, as Redis 7.0's loop does.
func (s *Server) touchWatched(db int, key string) {
	st := s.dbState[db].watched
	if len(st) == 0 {
		return
	}
	clients, ok := st[key]
	if !ok {
		return
	}
	clients = append([]*Client(nil), clients...) // unwatchAll edits the list
	for _, wc := range clients {
		if wk := wc.watchedEntry(db, key); wk != nil && wk.expired {
			if s.dbs[db].Keys.Ref(key) == nil {
				wk.expired = false
				continue
			}
			break
		}
		wc.flags |= ClientDirtyCAS
		s.unwatchAll(wc)
	}
}

// touchAllWatched is touchWatched for every watched key of database db that exists,
// for FLUSHDB and FLUSHALL: call it before emptying the database.
func (s *Server) touchAllWatched(db int) { s.touchAllWatchedInDB(db, nil) }

// touchAllWatchedSwap invalidates the watches SWAPDB db1 db2 breaks: call it before
// swapping the contents.
func (s *Server) touchAllWatchedSwap(db1, db2 int) {
	s.touchAllWatchedInDB(db1, s.dbs[db2])
	s.touchAllWatchedInDB(db2, s.dbs[db1])
}

// touchAllWatchedInDB is Redis's touchAllWatchedKeysInDb: the contents of database id
// emptied are about to be replaced by replacedWith (nil: by nothing). A watch breaks if
// its key exists on either side, except that a key already expired at WATCH time stays
// unchanged if it is gone or still expired afterwards. Watches are not dropped here.
func (s *Server) touchAllWatchedInDB(emptied int, replacedWith *store.DB) {
	st := s.dbState[emptied].watched
	if len(st) == 0 {
		return
	}
	db := s.dbs[emptied]
	for key, clients := range st {
		inEmptied := db.Keys.Ref(key) != nil
		inReplacement := replacedWith != nil && replacedWith.Keys.Ref(key) != nil
		if !inEmptied && !inReplacement {
			continue
		}
		for _, wc := range clients {
			wk := wc.watchedEntry(emptied, key)
			if wk == nil {
				continue
			}
			if wk.expired {
				if !inReplacement {
					wk.expired = false
					continue
				}
				if s.keyIsExpired(replacedWith, key) {
					continue
				}
			} else if !inEmptied && s.keyIsExpired(replacedWith, key) {
				wk.expired = true
				continue
			}
			wc.flags |= ClientDirtyCAS
		}
	}
}
