package server

import (
	"unsafe"

	"github.com/vigil-db/vigil/store"
)

// k returns a string that aliases b, for lookups only: never store it.
func k(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// sb returns a []byte aliasing s, for read-only use (matching, lookups): never modify or keep it.
func sb(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

var (
	argDel    = []byte("DEL")
	argUnlink = []byte("UNLINK")
)

// keyIsExpired reports whether key in db has a TTL in the past (at the command's time snapshot).
func (s *Server) keyIsExpired(db *store.DB, key string) bool {
	if db.Expires.Len() == 0 || s.persist.loading { // nothing expires while loading (Redis)
		return false
	}
	when, ok := db.Expires.Get(key)
	return ok && when <= s.nowMs
}

// expireIfNeeded is Redis's expireIfNeeded: it returns true if the key is logically
// expired, deleting it (and propagating DEL/UNLINK) when this server may do so.
func (s *Server) expireIfNeeded(c *Client, db *store.DB, key string, forceDelete bool) bool {
	if !s.keyIsExpired(db, key) {
		return false
	}
	if s.isReplica() {
		if c != nil && c.has(ClientMaster) {
			return false
		}
		if !forceDelete {
			return true
		}
	}
	if s.expiryPaused() {
		return true
	}
	s.deleteExpiredKey(db, key)
	return true
}

// deleteExpiredKey removes an expired key: delete, notify "expired", touch watchers,
// propagate DEL (or UNLINK with lazyfree-lazy-expire), count it.
func (s *Server) deleteExpiredKey(db *store.DB, key string) {
	owned := []byte(key)
	s.preserve(db.Keys, key)
	db.Keys.Delete(key)
	db.Expires.Delete(key)
	s.notify(NotifyExpired, "expired", owned, db.ID)
	s.touchWatched(db.ID, key)
	cmd := argDel
	if s.cfg.LazyfreeLazyExpire {
		cmd = argUnlink
	}
	s.propagateRecord(db.ID, [][]byte{cmd, owned})
	s.stats.expiredKeys++
}

// lookup is Redis's lookupKey: expiry, LRU/LFU update, hit/miss statistics.
func (c *Client) lookup(key []byte, write bool) *store.Object {
	s := c.srv
	db := c.db()
	o := db.Keys.Ref(k(key))
	if o != nil && s.expireIfNeeded(c, db, k(key), write) {
		o = nil
	}
	if o != nil && write {
		s.preserve(db.Keys, k(key))
	}
	if o != nil {
		s.touchObject(o)
		if !write {
			s.stats.keyspaceHits++
		}
	} else if !write {
		s.stats.keyspaceMiss++
		s.notify(NotifyKeyMiss, "keymiss", key, c.dbIndex)
	}
	return o
}

// lookupRead returns the value at key for a read command, or nil.
func (c *Client) lookupRead(key []byte) *store.Object { return c.lookup(key, false) }

// lookupWrite returns the value at key for a write command, or nil.
func (c *Client) lookupWrite(key []byte) *store.Object { return c.lookup(key, true) }

// readTyped looks key up for reading; if it holds another type it replies WRONGTYPE and
// returns ok=false. A missing key is (nil, true).
func (c *Client) readTyped(key []byte, t store.Type) (*store.Object, bool) {
	o := c.lookupRead(key)
	if o != nil && o.Type != t {
		c.err(ErrWrongType)
		return nil, false
	}
	return o, true
}

// writeTyped is readTyped for write commands.
func (c *Client) writeTyped(key []byte, t store.Type) (*store.Object, bool) {
	o := c.lookupWrite(key)
	if o != nil && o.Type != t {
		c.err(ErrWrongType)
		return nil, false
	}
	return o, true
}

// dbAdd adds a new key (which must not exist) and returns its stored object. Lists and
// sorted sets are signalled as ready for blocked clients and the "new" keyspace event
// fires, as Redis's dbAdd does (loading uses dbAddNew, which does neither notify).
func (c *Client) dbAdd(key []byte, o store.Object) *store.Object {
	return c.srv.dbAdd(c.db(), key, o)
}

func (s *Server) dbAdd(db *store.DB, key []byte, o store.Object) *store.Object {
	if o.LRU == 0 {
		o.LRU = s.initialLRU()
	}
	s.preserve(db.Keys, k(key))
	ref := db.Keys.Add(string(key), o)
	if o.Type == store.TypeList || o.Type == store.TypeZSet {
		s.signalReady(db.ID, key)
	}
	s.notify(NotifyNew, "new", key, db.ID)
	return ref
}

// dbAddNew is dbAdd for a key that should be absent: it reports false, changing
// nothing, if the key exists (loading a dump). The keyspace keeps key itself: the
// caller hands over a string nothing else will modify.
func (s *Server) dbAddNew(db *store.DB, key string, o store.Object) bool {
	if o.LRU == 0 {
		o.LRU = s.initialLRU()
	}
	s.preserve(db.Keys, key)
	if _, added := db.Keys.AddIfAbsent(key, o); !added {
		return false
	}
	if o.Type == store.TypeList || o.Type == store.TypeZSet {
		s.signalReady(db.ID, []byte(key))
	}
	return true
}

// setKey is Redis's setKey: add or overwrite the value, drop the TTL unless keepTTL,
// and touch watchers.
func (c *Client) setKey(key []byte, o store.Object, keepTTL bool) {
	db := c.db()
	c.srv.preserve(db.Keys, k(key))
	if ref := db.Keys.Ref(k(key)); ref != nil {
		o.LRU = ref.LRU
		*ref = o
		if !keepTTL {
			db.Expires.Delete(k(key))
		}
	} else {
		c.dbAdd(key, o)
	}
	c.touch(key)
}

// dbDelete removes key and its TTL. It returns false if the key did not exist.
func (c *Client) dbDelete(key []byte) bool { return c.srv.dbDelete(c.db(), key) }

func (s *Server) dbDelete(db *store.DB, key []byte) bool {
	_, ok := s.dbDeleteValue(db, key)
	return ok
}

// dbDeleteValue is dbDelete returning the value removed.
func (s *Server) dbDeleteValue(db *store.DB, key []byte) (store.Object, bool) {
	s.preserve(db.Keys, k(key))
	o, ok := db.Keys.Delete(k(key))
	if !ok {
		return o, false
	}
	if db.Expires.Len() > 0 {
		db.Expires.Delete(k(key))
	}
	return o, true
}

// getExpire returns the absolute expiry of key in unix ms, or -1 if it has none.
func (c *Client) getExpire(key []byte) int64 {
	if when, ok := c.db().Expires.Get(k(key)); ok {
		return when
	}
	return -1
}

// setExpire sets the absolute expiry of an existing key.
func (c *Client) setExpire(key []byte, whenMs int64) {
	db := c.db()
	c.srv.preserve(db.Keys, k(key))
	c.srv.rememberReplicaExpire(c, key)
	if ref := db.Expires.Ref(k(key)); ref != nil {
		*ref = whenMs
		return
	}
	db.Expires.Add(string(key), whenMs)
}

// removeExpire drops key's TTL and reports whether it had one.
func (c *Client) removeExpire(key []byte) bool {
	c.srv.preserve(c.db().Keys, k(key))
	_, ok := c.db().Expires.Delete(k(key))
	return ok
}

// touch is Redis's signalModifiedKey: it invalidates WATCHes on key.
func (c *Client) touch(key []byte) { c.srv.touchWatched(c.dbIndex, k(key)) }

// now returns the command's time snapshot in unix milliseconds.
func (c *Client) now() int64 { return c.srv.nowMs }

// expiryPaused reports whether clients are paused, during which expired keys are
// reported missing but not deleted.
func (s *Server) expiryPaused() bool { return s.pauseActive() }
