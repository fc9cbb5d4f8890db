package server

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unsafe"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// hashCommands returns the hash commands.
func hashCommands() []*Command {
	const (
		r  = FlagReadonly
		rf = FlagReadonly | FlagFast
		wf = FlagWrite | FlagFast
		wd = FlagWrite | FlagDenyOOM | FlagFast
	)
	cmd := func(name string, arity int, flags Flag, h Handler) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Handler: h, Group: "hash"}
	}
	return []*Command{
		cmd("hdel", -3, wf, cmdHdel),
		cmd("hexists", 3, rf, cmdHexists),
		cmd("hget", 3, rf, cmdHget),
		cmd("hgetall", 2, r, cmdHgetall),
		cmd("hincrby", 4, wd, cmdHincrby),
		cmd("hincrbyfloat", 4, wd, cmdHincrbyfloat),
		cmd("hkeys", 2, r, cmdHkeys),
		cmd("hlen", 2, rf, cmdHlen),
		cmd("hmget", -3, rf, cmdHmget),
		cmd("hmset", -4, wd, cmdHset),
		cmd("hrandfield", -2, r, cmdHrandfield),
		cmd("hscan", -3, r, cmdHscan),
		cmd("hset", -4, wd, cmdHset),
		cmd("hsetnx", 4, wd, cmdHsetnx),
		cmd("hstrlen", 3, rf, cmdHstrlen),
		cmd("hvals", 2, r, cmdHvals),
	}
}

// hashPairs returns the fields and values of a hash object, alternating, in iteration
// order (listpack order for a small hash), for an RDB entry (rdb.Entry.Pairs, KindHash).
// The slices alias the hash's strings: read them, never modify them, before the
// execution lock is released.
func hashPairs(o *store.Object) [][]byte {
	h := o.Ptr.(*store.Hash)
	out := make([][]byte, 0, 2*h.Len())
	h.Range(func(f, v string) bool {
		out = append(out, unsafe.Slice(unsafe.StringData(f), len(f)), unsafe.Slice(unsafe.StringData(v), len(v)))
		return true
	})
	return out
}

// newHashFromPairs builds a hash object from loaded fields and values (copied), with the
// encoding Redis 7.0's loader gives it under the current limits; false when empty, as
// Redis drops empty keys when loading.
func (s *Server) newHashFromPairs(pairs [][]byte) (store.Object, error) {
	if len(pairs) < 2 {
		return store.Object{}, errEmptyValue
	}
	h := store.NewHash()
	lim := store.ListpackLimits{Entries: s.cfg.HashMaxListpackEntries, Value: s.cfg.HashMaxListpackValue}
	if len(pairs)/2 > lim.Entries {
		h.Convert()
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if !h.Set(pairs[i], pairs[i+1], lim) {
			if h.Encoding() == "listpack" {
				return store.Object{}, errDupListpackField
			}
			return store.Object{}, errDupHashField
		}
	}
	return store.Object{Type: store.TypeHash, Ptr: h}, nil
}

// hashLimits returns the listpack thresholds of the current configuration.
func (c *Client) hashLimits() store.ListpackLimits {
	return store.ListpackLimits{Entries: c.srv.cfg.HashMaxListpackEntries, Value: c.srv.cfg.HashMaxListpackValue}
}

// readHash looks a hash up for reading: (nil, true) when missing, ok=false after WRONGTYPE.
func (c *Client) readHash(key []byte) (*store.Hash, bool) {
	o, ok := c.readTyped(key, store.TypeHash)
	if !ok || o == nil {
		return nil, ok
	}
	return o.Ptr.(*store.Hash), true
}

// writeHash is readHash for write commands.
func (c *Client) writeHash(key []byte) (*store.Hash, bool) {
	o, ok := c.writeTyped(key, store.TypeHash)
	if !ok || o == nil {
		return nil, ok
	}
	return o.Ptr.(*store.Hash), true
}

// hashOrCreate is hashTypeLookupWriteOrCreate: the hash at key, created empty if missing.
func (c *Client) hashOrCreate(key []byte) (*store.Hash, bool) {
	h, ok := c.writeHash(key)
	if !ok || h != nil {
		return h, ok
	}
	h = store.NewHash()
	c.dbAdd(key, store.Object{Type: store.TypeHash, Ptr: h})
	return h, true
}

func cmdHset(c *Client) {
	if len(c.args)%2 == 1 {
		c.err(fmt.Sprintf(ErrWrongArgs, c.cmd.Name))
		return
	}
	key := c.args[1]
	h, ok := c.hashOrCreate(key)
	if !ok {
		return
	}
	lim := c.hashLimits()
	if h.IsListpack() {
		// hashTypeTryConversion: a long field or value converts before anything is set
		for _, a := range c.args[2:] {
			if len(a) > lim.Value {
				h.Convert()
				break
			}
		}
	}
	created := int64(0)
	for i := 2; i < len(c.args); i += 2 {
		if h.Set(c.args[i], c.args[i+1], lim) {
			created++
		}
	}
	if c.cmd.Name == "hset" {
		c.w.Int(created)
	} else {
		c.ok()
	}
	c.touch(key)
	c.notify(NotifyHash, "hset", key)
	c.addDirty(int64(len(c.args)-2) / 2)
}

func cmdHsetnx(c *Client) {
	key := c.args[1]
	h, ok := c.hashOrCreate(key)
	if !ok {
		return
	}
	if h.Has(c.args[2]) {
		c.w.Int(0)
		return
	}
	h.Set(c.args[2], c.args[3], c.hashLimits())
	c.w.Int(1)
	c.touch(key)
	c.notify(NotifyHash, "hset", key)
	c.addDirty(1)
}

func cmdHget(c *Client) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.args[2]); found {
			c.w.BulkString(v)
			return
		}
	}
	c.w.Null()
}

func cmdHmget(c *Client) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, f := range c.args[2:] {
		if h != nil {
			if v, found := h.Get(f); found {
				c.w.BulkString(v)
				continue
			}
		}
		c.w.Null()
	}
}

func cmdHdel(c *Client) {
	key := c.args[1]
	h, ok := c.writeHash(key)
	if !ok {
		return
	}
	if h == nil {
		c.w.Int(0)
		return
	}
	c.removeMembers(key, c.args[2:], NotifyHash, "hdel", h.Delete, h.Len)
}

func cmdHlen(c *Client) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	if h == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(h.Len()))
}

func cmdHstrlen(c *Client) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(c.args[2])
		n = len(v)
	}
	c.w.Int(int64(n))
}

func cmdHexists(c *Client) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	if h != nil && h.Has(c.args[2]) {
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

func cmdHincrby(c *Client) {
	incr, ok := resp.ParseInt(c.args[3])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	key := c.args[1]
	h, ok := c.hashOrCreate(key)
	if !ok {
		return
	}
	var old int64
	if v, found := h.Get(c.args[2]); found {
		if old, ok = resp.ParseInt([]byte(v)); !ok {
			c.err(ErrHashNotInt)
			return
		}
	}
	if (incr < 0 && old < 0 && incr < math.MinInt64-old) || (incr > 0 && old > 0 && incr > math.MaxInt64-old) {
		c.err(ErrIncrOverflow)
		return
	}
	var buf [24]byte
	h.Set(c.args[2], strconv.AppendInt(buf[:0], old+incr, 10), c.hashLimits())
	c.w.Int(old + incr)
	c.touch(key)
	c.notify(NotifyHash, "hincrby", key)
	c.addDirty(1)
}

var argHset = []byte("HSET")

func cmdHincrbyfloat(c *Client) {
	incr, ok := store.ParseLongDouble(c.args[3])
	if !ok {
		c.err(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.err(ErrHashIncrArgNaNInf)
		return
	}
	key := c.args[1]
	h, ok := c.hashOrCreate(key)
	if !ok {
		return
	}
	old := new(big.Float).SetPrec(64)
	if v, found := h.Get(c.args[2]); found {
		if old, ok = store.ParseLongDouble([]byte(v)); !ok {
			c.err(ErrHashNotFloat)
			return
		}
	}
	sum, ok := store.AddLongDouble(old, incr)
	if !ok {
		c.err(ErrIncrNaNInf)
		return
	}
	val := store.AppendLongDouble(nil, sum)
	h.Set(c.args[2], val, c.hashLimits())
	c.w.Bulk(val)
	c.touch(key)
	c.notify(NotifyHash, "hincrbyfloat", key)
	c.addDirty(1)
	c.propagate(argHset, c.args[1], c.args[2], val)
}

// hashFlags selects what genericHgetallCommand replies.
const (
	hashKeys = 1 << iota
	hashValues
)

func cmdHgetall(c *Client) { hgetall(c, hashKeys|hashValues) }
func cmdHkeys(c *Client)   { hgetall(c, hashKeys) }
func cmdHvals(c *Client)   { hgetall(c, hashValues) }

func hgetall(c *Client, what int) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if what == hashKeys|hashValues {
		c.w.Map(n)
	} else {
		c.w.Array(n)
	}
	if h == nil {
		return
	}
	h.Range(func(f, v string) bool {
		if what&hashKeys != 0 {
			c.w.BulkString(f)
		}
		if what&hashValues != 0 {
			c.w.BulkString(v)
		}
		return true
	})
}

func cmdHrandfield(c *Client) {
	if len(c.args) >= 3 {
		l, ok := resp.ParseInt(c.args[2])
		if !ok {
			c.err(ErrNotInt)
			return
		}
		if l == math.MinInt64 {
			c.err(ErrRandCountRange)
			return
		}
		withValues := false
		if len(c.args) > 4 || (len(c.args) == 4 && !bytes.EqualFold(c.args[3], []byte("withvalues"))) {
			c.err(ErrSyntax)
			return
		}
		if len(c.args) == 4 {
			withValues = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.err(ErrValueOutOfRange)
				return
			}
		}
		hrandfieldCount(c, l, withValues)
		return
	}
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	if h == nil {
		c.w.Null()
		return
	}
	f, _ := h.Random()
	c.w.BulkString(f)
}

func hrandfieldCount(c *Client, l int64, withValues bool) {
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	if h == nil || l == 0 {
		c.w.Array(0)
		return
	}
	count, uniq := uint64(l), true
	if l < 0 {
		count, uniq = uint64(-l), false
	}
	size := uint64(h.Len())
	resp3 := c.w.Proto == 3
	emit := func(f, v string) {
		if withValues && resp3 {
			c.w.Array(2)
		}
		c.w.BulkString(f)
		if withValues {
			c.w.BulkString(v)
		}
	}
	header := func(n uint64) {
		if withValues && !resp3 {
			c.w.Array(int(n * 2))
		} else {
			c.w.Array(int(n))
		}
	}
	if !uniq || count == 1 {
		header(count)
		for ; count > 0 && !c.w.Full(); count-- {
			emit(h.Random())
		}
		return
	}
	if count >= size {
		header(size)
		h.Range(func(f, v string) bool { emit(f, v); return true })
		return
	}
	header(count)
	h.RandomDistinct(int(count), emit)
}

func cmdHscan(c *Client) {
	cursor, ok := parseScanCursor(c.args[2])
	if !ok {
		c.err(ErrInvalidCursor)
		return
	}
	h, ok := c.readHash(c.args[1])
	if !ok {
		return
	}
	if h == nil {
		writeEmptyScan(c)
		return
	}
	opt, ok := parseCollScanOpts(c, c.args[3:])
	if !ok {
		return
	}
	var items []string
	if d := h.Dict(); d != nil {
		opt.count *= 2 // fields and values
		cursor = scanDict(d, cursor, opt.count, 2, func(f, v string) { items = append(items, f, v) })
	} else {
		cursor = 0
		for _, p := range h.Pairs() {
			items = append(items, p.Field, p.Value)
		}
	}
	out := items[:0]
	for i := 0; i < len(items); i += 2 {
		if opt.usePattern && !collScanMatch(opt.pattern, []byte(items[i])) {
			continue
		}
		out = append(out, items[i], items[i+1])
	}
	writeScanReply(c, cursor, out)
}

// collection SCAN helpers (HSCAN, SSCAN): Redis's scanGenericCommand for an object.

type collScanOpts struct {
	count      int64
	pattern    []byte
	usePattern bool
}

// parseCollScanOpts parses COUNT and MATCH (args are those after the cursor); TYPE is
// SCAN's alone.
func parseCollScanOpts(c *Client, args [][]byte) (collScanOpts, bool) {
	o, ok := c.parseScanOptions(args, false)
	return collScanOpts{count: o.count, pattern: o.pattern, usePattern: !o.matchAll}, ok
}

// scanDict runs dictScan until count elements were emitted, the scan ended, or
// count*10 extra iterations passed (Redis's maxiterations).
// Each entry counts as per elements (2 for a hash: field and value).
func scanDict[V any](d *store.Dict[V], cursor uint64, count, per int64, fn func(string, V)) uint64 {
	maxIter := count * 10 // wraps like C's long for huge counts: then effectively unbounded
	n := uint64(0)
	for {
		cursor = d.Scan(cursor, func(k string, v V) { fn(k, v); n += uint64(per) })
		if cursor == 0 || maxIter == 0 || n >= uint64(count) {
			return cursor
		}
		maxIter--
	}
}

func writeScanReply(c *Client, cursor uint64, items []string) {
	c.w.Array(2)
	c.w.BulkInt(int64(cursor))
	c.w.Array(len(items))
	for _, it := range items {
		c.w.BulkString(it)
	}
}

func writeEmptyScan(c *Client) { c.w.Raw([]byte("*2\r\n$1\r\n0\r\n*0\r\n")) }

// collScanMatch is Redis's stringmatchlen (case-sensitive) for SCAN's MATCH.
func collScanMatch(pattern, s []byte) bool { return config.Glob(k(pattern), k(s), false) }
