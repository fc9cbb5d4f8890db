package server

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// keyCommands returns the generic key commands (Redis's db.c and expire.c).
func keyCommands() []*Command {
	w, r, f, oom := FlagWrite, FlagReadonly, FlagFast, FlagDenyOOM
	return []*Command{
		{Name: "del", Arity: -2, Flags: w, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdDel, Group: "generic"},
		{Name: "unlink", Arity: -2, Flags: w | f, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdDel, Group: "generic"},
		{Name: "exists", Arity: -2, Flags: r | f, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdExists, Group: "generic"},
		{Name: "touch", Arity: -2, Flags: r | f, FirstKey: 1, LastKey: -1, Step: 1, Handler: cmdTouch, Group: "generic"},
		{Name: "type", Arity: 2, Flags: r | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdType, Group: "generic"},
		{Name: "keys", Arity: 2, Flags: r, Handler: cmdKeys, Group: "generic"},
		{Name: "scan", Arity: -2, Flags: r | FlagTouchesArbitraryKeys, Handler: cmdScan, Group: "generic"},
		{Name: "randomkey", Arity: 1, Flags: r | FlagTouchesArbitraryKeys, Handler: cmdRandomKey, Group: "generic"},
		{Name: "rename", Arity: 3, Flags: w | FlagArrivalOrder, FirstKey: 1, LastKey: 2, Step: 1, Handler: cmdRename, Group: "generic"},
		{Name: "renamenx", Arity: 3, Flags: w | f | FlagArrivalOrder, FirstKey: 1, LastKey: 2, Step: 1, Handler: cmdRenameNX, Group: "generic"},
		{Name: "move", Arity: 3, Flags: w | f | FlagArrivalOrder, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdMove, Group: "generic"},
		{Name: "copy", Arity: -3, Flags: w | oom | FlagArrivalOrder, FirstKey: 1, LastKey: 2, Step: 1, Handler: cmdCopy, Group: "generic"},
		{Name: "expire", Arity: -3, Flags: w | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdExpire, Group: "generic"},
		{Name: "pexpire", Arity: -3, Flags: w | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdPExpire, Group: "generic"},
		{Name: "expireat", Arity: -3, Flags: w | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdExpireAt, Group: "generic"},
		{Name: "pexpireat", Arity: -3, Flags: w | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdPExpireAt, Group: "generic"},
		{Name: "ttl", Arity: 2, Flags: r | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdTTL, Group: "generic"},
		{Name: "pttl", Arity: 2, Flags: r | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdPTTL, Group: "generic"},
		{Name: "expiretime", Arity: 2, Flags: r | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdExpireTime, Group: "generic"},
		{Name: "pexpiretime", Arity: 2, Flags: r | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdPExpireTime, Group: "generic"},
		{Name: "persist", Arity: 2, Flags: w | f, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdPersist, Group: "generic"},
		{Name: "sort", Arity: -2, Flags: w | oom | FlagArrivalOrder, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdSort, Group: "generic"},
		{Name: "sort_ro", Arity: -2, Flags: r, FirstKey: 1, LastKey: 1, Step: 1, Handler: cmdSortRO, Group: "generic"},
	}
}

// lookupNoTouch is lookupKeyReadWithFlags(LOOKUP_NOTOUCH): expiry and statistics, but the
// LRU/LFU data is left alone (TYPE, EXISTS, TTL...).
func (c *Client) lookupNoTouch(key []byte) *store.Object {
	s := c.srv
	db := c.db()
	o := db.Keys.Ref(k(key))
	if o != nil && s.expireIfNeeded(c, db, k(key), false) {
		o = nil
	}
	if o != nil {
		s.stats.keyspaceHits++
	} else {
		s.stats.keyspaceMiss++
		s.notify(NotifyKeyMiss, "keymiss", key, c.dbIndex)
	}
	return o
}

// lookupWriteIn is lookupKeyWrite on another database (MOVE, COPY destinations).
func (c *Client) lookupWriteIn(db *store.DB, key []byte) *store.Object {
	o := db.Keys.Ref(k(key))
	if o != nil && c.srv.expireIfNeeded(c, db, k(key), true) {
		return nil
	}
	if o != nil {
		c.srv.preserve(db.Keys, k(key))
		c.srv.touchObject(o)
	}
	return o
}

// setExpireIn sets the expiry of key, which exists in db (MOVE, COPY destinations).
func (s *Server) setExpireIn(db *store.DB, key []byte, whenMs int64) {
	s.preserve(db.Keys, k(key))
	db.Expires.Set(string(key), whenMs)
}

// cmdDel is DEL and UNLINK (delGenericCommand): both free at once, the reply is the same.
func cmdDel(c *Client) {
	n := int64(0)
	lazy := c.srv.cfg.LazyfreeLazyUserDel || (c.cmd != nil && c.cmd.Name == "unlink")
	for _, key := range c.args[1:] {
		c.srv.expireIfNeeded(c, c.db(), k(key), false)
		if o, ok := c.srv.dbDeleteValue(c.db(), key); ok {
			c.srv.freedValue(&o, lazy)
			c.touch(key)
			c.notify(NotifyGeneric, "del", key)
			c.addDirty(1)
			n++
		}
	}
	c.w.Int(n)
}

func cmdExists(c *Client) {
	n := int64(0)
	for _, key := range c.args[1:] {
		if c.lookupNoTouch(key) != nil {
			n++
		}
	}
	c.w.Int(n)
}

func cmdTouch(c *Client) {
	n := int64(0)
	for _, key := range c.args[1:] {
		if c.lookupRead(key) != nil {
			n++
		}
	}
	c.w.Int(n)
}

func cmdType(c *Client) {
	o := c.lookupNoTouch(c.args[1])
	if o == nil {
		c.w.Simple("none")
		return
	}
	c.w.Simple(o.Type.String())
}

func cmdKeys(c *Client) {
	pattern := c.args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	db := c.db()
	s := c.srv
	var matched []string
	db.Keys.Range(func(key string, _ store.Object) bool {
		if (all || config.Glob(k(pattern), key, false)) && !s.keyIsExpired(db, key) {
			matched = append(matched, key)
		}
		return true
	})
	c.w.Array(len(matched))
	for _, key := range matched {
		c.w.BulkString(key)
	}
}

// parseScanCursor is parseScanCursorOrReply: C's strtoul in base 10 (optional sign,
// negative values wrap), refusing leading spaces, trailing bytes and overflow.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) > 0 && isCSpace(b[0]) {
		return 0, false
	}
	i, neg := 0, false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	digits := i
	var v uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if i == digits {
		// no digits: strtoul consumes nothing, so only the empty string is accepted
		return 0, len(b) == 0
	}
	if i != len(b) {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

type scanOptions struct {
	count    int64
	pattern  []byte
	matchAll bool
	typeName []byte
}

// parseScanOptions parses COUNT, MATCH and TYPE from args (the arguments after the cursor).
func (c *Client) parseScanOptions(args [][]byte, allowType bool) (scanOptions, bool) {
	opt := scanOptions{count: 10, matchAll: true}
	for i := 0; i < len(args); i += 2 {
		left := len(args) - i
		switch {
		case bytes.EqualFold(args[i], []byte("count")) && left >= 2:
			n, ok := resp.ParseInt(args[i+1])
			if !ok {
				c.err(ErrNotInt)
				return opt, false
			}
			if n < 1 {
				c.err(ErrSyntax)
				return opt, false
			}
			opt.count = n
		case bytes.EqualFold(args[i], []byte("match")) && left >= 2:
			opt.pattern = args[i+1]
			opt.matchAll = len(opt.pattern) == 1 && opt.pattern[0] == '*'
		case allowType && bytes.EqualFold(args[i], []byte("type")) && left >= 2:
			opt.typeName = args[i+1]
		default:
			c.err(ErrSyntax)
			return opt, false
		}
	}
	return opt, true
}

func cmdScan(c *Client) {
	cursor, ok := parseScanCursor(c.args[1])
	if !ok {
		c.err(ErrInvalidCursor)
		return
	}
	opt, ok := c.parseScanOptions(c.args[2:], true)
	if !ok {
		return
	}
	db := c.db()
	var keys []string
	maxIter := opt.count * 10
	for {
		cursor = db.Keys.Scan(cursor, func(key string, _ store.Object) { keys = append(keys, key) })
		if cursor == 0 || maxIter == 0 || int64(len(keys)) >= opt.count {
			break
		}
		maxIter--
	}
	out := keys[:0]
	for _, key := range keys {
		kb := sb(key)
		if !opt.matchAll && !config.Glob(k(opt.pattern), key, false) {
			continue
		}
		if opt.typeName != nil {
			name := "none"
			if o := c.lookupNoTouch(kb); o != nil {
				name = o.Type.String()
			}
			if !bytes.EqualFold(opt.typeName, []byte(name)) {
				continue
			}
		}
		if c.srv.expireIfNeeded(c, db, key, false) {
			continue
		}
		out = append(out, key)
	}
	c.w.Array(2)
	c.w.BulkString(strconv.FormatUint(cursor, 10))
	c.w.Array(len(out))
	for _, key := range out {
		c.w.BulkString(key)
	}
}

// cmdRandomKey is dbRandomKey: expired keys found on the way are deleted (on a master).
func cmdRandomKey(c *Client) {
	db := c.db()
	s := c.srv
	maxTries := 100
	allVolatile := db.Keys.Len() == db.Expires.Len()
	for {
		key, _, ok := db.Keys.Random()
		if !ok {
			c.w.Null()
			return
		}
		if _, ttl := db.Expires.Get(key); ttl {
			if allVolatile && s.isReplica() {
				maxTries--
				if maxTries == 0 {
					c.w.BulkString(key)
					return
				}
			}
			if s.expireIfNeeded(c, db, key, false) {
				continue
			}
		}
		c.w.BulkString(key)
		return
	}
}

func cmdRename(c *Client)   { renameGeneric(c, false) }
func cmdRenameNX(c *Client) { renameGeneric(c, true) }

func renameGeneric(c *Client, nx bool) {
	src, dst := c.args[1], c.args[2]
	o := c.lookupWrite(src)
	if o == nil {
		c.err(ErrNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.w.Int(0)
		} else {
			c.ok()
		}
		return
	}
	val := *o
	expire := c.getExpire(src)
	if c.lookupWrite(dst) != nil {
		if nx {
			c.w.Int(0)
			return
		}
		c.dbDelete(dst)
	}
	c.dbAdd(dst, val)
	if expire != -1 {
		c.setExpire(dst, expire)
	}
	c.dbDelete(src)
	c.touch(src)
	c.touch(dst)
	c.notify(NotifyGeneric, "rename_from", src)
	c.notify(NotifyGeneric, "rename_to", dst)
	c.addDirty(1)
	if nx {
		c.w.Int(1)
	} else {
		c.ok()
	}
}

// selectableDB parses a database index argument as MOVE and COPY do (getIntFromObject,
// then selectDb).
func (c *Client) selectableDB(arg []byte) (*store.DB, bool) {
	id, ok := resp.ParseInt(arg)
	if !ok {
		c.err(ErrNotInt)
		return nil, false
	}
	if id < math.MinInt32 || id > math.MaxInt32 {
		c.err(ErrIntRange)
		return nil, false
	}
	if id < 0 || id >= int64(len(c.srv.dbs)) {
		c.err(ErrDBIndex)
		return nil, false
	}
	return c.srv.dbs[id], true
}

func cmdMove(c *Client) {
	key := c.args[1]
	src := c.db()
	dst, ok := c.selectableDB(c.args[2])
	if !ok {
		return
	}
	if src == dst {
		c.err(ErrSameObject)
		return
	}
	o := c.lookupWrite(key)
	if o == nil {
		c.w.Int(0)
		return
	}
	expire := c.getExpire(key)
	if c.lookupWriteIn(dst, key) != nil {
		c.w.Int(0)
		return
	}
	c.srv.dbAdd(dst, key, *o)
	if expire != -1 {
		c.srv.setExpireIn(dst, key, expire)
	}
	c.dbDelete(key)
	c.srv.touchWatched(src.ID, k(key))
	c.srv.touchWatched(dst.ID, k(key))
	c.srv.notify(NotifyGeneric, "move_from", key, src.ID)
	c.srv.notify(NotifyGeneric, "move_to", key, dst.ID)
	c.addDirty(1)
	c.w.Int(1)
}

func cmdCopy(c *Client) {
	key, newKey := c.args[1], c.args[2]
	src, dst := c.db(), c.db()
	replace := false
	for j := 3; j < len(c.args); j++ {
		switch {
		case bytes.EqualFold(c.args[j], []byte("replace")):
			replace = true
		case bytes.EqualFold(c.args[j], []byte("db")) && j+1 < len(c.args):
			db, ok := c.selectableDB(c.args[j+1])
			if !ok {
				return
			}
			dst = db
			j++
		default:
			c.err(ErrSyntax)
			return
		}
	}
	if src == dst && bytes.Equal(key, newKey) {
		c.err(ErrSameObject)
		return
	}
	o := c.lookupRead(key)
	if o == nil {
		c.w.Int(0)
		return
	}
	expire := c.getExpire(key)
	del := false
	if c.lookupWriteIn(dst, newKey) != nil {
		if !replace {
			c.w.Int(0)
			return
		}
		del = true
	}
	dup, ok := dupObject(o)
	if !ok {
		c.err(ErrUnknownTypeObject)
		return
	}
	dup.LRU = 0 // a new object: dbAdd gives it a fresh LRU/LFU
	if del {
		c.srv.dbDelete(dst, newKey)
	}
	c.srv.dbAdd(dst, newKey, dup)
	if expire != -1 {
		c.srv.setExpireIn(dst, newKey, expire)
	}
	c.srv.touchWatched(dst.ID, k(newKey))
	c.srv.notify(NotifyGeneric, "copy_to", newKey, dst.ID)
	c.addDirty(1)
	c.w.Int(1)
}

// Expire flags (EXPIRE_NX ...).
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags is parseExtendedExpireArgumentsOrReply.
func (c *Client) parseExpireFlags() (int, bool) {
	flags := 0
	for _, a := range c.args[3:] {
		switch {
		case bytes.EqualFold(a, []byte("nx")):
			flags |= expireNX
		case bytes.EqualFold(a, []byte("xx")):
			flags |= expireXX
		case bytes.EqualFold(a, []byte("gt")):
			flags |= expireGT
		case bytes.EqualFold(a, []byte("lt")):
			flags |= expireLT
		default:
			c.err(fmt.Sprintf(ErrUnsupportedOption, cstr(a)))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.err(ErrExpireNXIncompatible)
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.err(ErrExpireGTLT)
		return 0, false
	}
	return flags, true
}

func cmdExpire(c *Client)    { expireGeneric(c, c.now(), true) }
func cmdPExpire(c *Client)   { expireGeneric(c, c.now(), false) }
func cmdExpireAt(c *Client)  { expireGeneric(c, 0, true) }
func cmdPExpireAt(c *Client) { expireGeneric(c, 0, false) }

var argPExpireAt = []byte("PEXPIREAT")

// expireGeneric is expireGenericCommand: basetime is the command time for relative forms
// and 0 for the absolute ones.
func expireGeneric(c *Client, basetime int64, seconds bool) {
	key := c.args[1]
	flags, ok := c.parseExpireFlags()
	if !ok {
		return
	}
	when, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.err(fmt.Sprintf(ErrInvalidExpire, c.cmd.Name))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		c.err(fmt.Sprintf(ErrInvalidExpire, c.cmd.Name))
		return
	}
	when += basetime
	if c.lookupWrite(key) == nil {
		c.w.Int(0)
		return
	}
	if flags != 0 && !expireFlagsAllow(flags, c.getExpire(key), when) {
		c.w.Int(0)
		return
	}
	if when <= c.now() && !c.srv.isReplica() {
		c.dbDelete(key)
		c.addDirty(1)
		cmd := argDel
		if c.srv.cfg.LazyfreeLazyExpire {
			cmd = argUnlink
		}
		c.propagate(cmd, key)
		c.touch(key)
		c.notify(NotifyGeneric, "del", key)
		c.w.Int(1)
		return
	}
	c.setExpire(key, when)
	c.w.Int(1)
	argv := make([][]byte, len(c.args))
	copy(argv, c.args)
	if c.cmd.Name != "pexpireat" {
		argv[0] = argPExpireAt
	}
	if basetime != 0 || seconds {
		argv[2] = strconv.AppendInt(nil, when, 10)
	}
	c.addDirty(1)
	c.propagate(argv...)
	c.touch(key)
	c.notify(NotifyGeneric, "expire", key)
}

// expireFlagsAllow applies NX/XX/GT/LT against the current expiry (-1: none, which GT
// and LT treat as infinite).
func expireFlagsAllow(flags int, current, when int64) bool {
	if flags&expireNX != 0 && current != -1 {
		return false
	}
	if flags&expireXX != 0 && current == -1 {
		return false
	}
	if flags&expireGT != 0 && (when <= current || current == -1) {
		return false
	}
	if flags&expireLT != 0 && current != -1 && when >= current {
		return false
	}
	return true
}

func cmdTTL(c *Client)         { ttlGeneric(c, false, false) }
func cmdPTTL(c *Client)        { ttlGeneric(c, true, false) }
func cmdExpireTime(c *Client)  { ttlGeneric(c, false, true) }
func cmdPExpireTime(c *Client) { ttlGeneric(c, true, true) }

// ttlGeneric is ttlGenericCommand: -2 missing, -1 no expiry, else the remaining time
// (or the absolute time), seconds rounded to nearest.
func ttlGeneric(c *Client, ms, abs bool) {
	if c.lookupNoTouch(c.args[1]) == nil {
		c.w.Int(-2)
		return
	}
	expire := c.getExpire(c.args[1])
	if expire == -1 {
		c.w.Int(-1)
		return
	}
	ttl := expire
	if !abs {
		ttl = expire - c.now()
	}
	if ttl < 0 {
		ttl = 0
	}
	if !ms {
		ttl = (ttl + 500) / 1000
	}
	c.w.Int(ttl)
}

func cmdPersist(c *Client) {
	key := c.args[1]
	if c.lookupWrite(key) == nil || !c.removeExpire(key) {
		c.w.Int(0)
		return
	}
	c.touch(key)
	c.notify(NotifyGeneric, "persist", key)
	c.addDirty(1)
	c.w.Int(1)
}
