package server

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// The sorted-set family, after Redis 7.0's t_zset.c. This file has the command table,
// the member commands (ZADD, ZREM, ZSCORE...) and the pops, blocking ones included;
// cmd_zset_range.go has the range commands and the score/lex parsing, and
// cmd_zset_setops.go ZUNION/ZINTER/ZDIFF, ZRANDMEMBER and ZSCAN.

// zsetCommands returns the sorted-set commands.
func zsetCommands() []*Command {
	const (
		w  = FlagWrite
		r  = FlagReadonly
		d  = FlagDenyOOM
		f  = FlagFast
		bl = FlagBlocking
	)
	z := func(name string, arity int, flags Flag, first, last, step int, h Handler) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: step, Handler: h, Group: "sorted_set"}
	}
	return []*Command{
		z("bzmpop", -5, w|bl, 0, 0, 0, cmdBZMPop),
		z("bzpopmax", -3, w|FlagNoScript|bl|f, 1, -2, 1, cmdBZPopMax),
		z("bzpopmin", -3, w|FlagNoScript|bl|f, 1, -2, 1, cmdBZPopMin),
		z("zadd", -4, w|d|f|FlagArrivalOrder, 1, 1, 1, cmdZAdd),
		z("zcard", 2, r|f, 1, 1, 1, cmdZCard),
		z("zcount", 4, r|f, 1, 1, 1, cmdZCount),
		z("zdiff", -3, r, 0, 0, 0, cmdZDiff),
		z("zdiffstore", -4, w|d|FlagArrivalOrder, 1, 1, 1, cmdZDiffStore),
		z("zincrby", 4, w|d|f|FlagArrivalOrder, 1, 1, 1, cmdZIncrBy),
		z("zinter", -3, r, 0, 0, 0, cmdZInter),
		z("zintercard", -3, r, 0, 0, 0, cmdZInterCard),
		z("zinterstore", -4, w|d|FlagArrivalOrder, 1, 1, 1, cmdZInterStore),
		z("zlexcount", 4, r|f, 1, 1, 1, cmdZLexCount),
		z("zmpop", -4, w, 0, 0, 0, cmdZMPop),
		z("zmscore", -3, r|f, 1, 1, 1, cmdZMScore),
		z("zpopmax", -2, w|f, 1, 1, 1, cmdZPopMax),
		z("zpopmin", -2, w|f, 1, 1, 1, cmdZPopMin),
		z("zrandmember", -2, r, 1, 1, 1, cmdZRandMember),
		z("zrange", -4, r, 1, 1, 1, cmdZRange),
		z("zrangebylex", -4, r, 1, 1, 1, cmdZRangeByLex),
		z("zrangebyscore", -4, r, 1, 1, 1, cmdZRangeByScore),
		z("zrangestore", -5, w|d|FlagArrivalOrder, 1, 2, 1, cmdZRangeStore),
		z("zrank", 3, r|f, 1, 1, 1, cmdZRank),
		z("zrem", -3, w|f, 1, 1, 1, cmdZRem),
		z("zremrangebylex", 4, w, 1, 1, 1, cmdZRemRangeByLex),
		z("zremrangebyrank", 4, w, 1, 1, 1, cmdZRemRangeByRank),
		z("zremrangebyscore", 4, w, 1, 1, 1, cmdZRemRangeByScore),
		z("zrevrange", -4, r, 1, 1, 1, cmdZRevRange),
		z("zrevrangebylex", -4, r, 1, 1, 1, cmdZRevRangeByLex),
		z("zrevrangebyscore", -4, r, 1, 1, 1, cmdZRevRangeByScore),
		z("zrevrank", 3, r|f, 1, 1, 1, cmdZRevRank),
		z("zscan", -3, r, 1, 1, 1, cmdZScan),
		z("zscore", 3, r|f, 1, 1, 1, cmdZScore),
		z("zunion", -3, r, 0, 0, 0, cmdZUnion),
		z("zunionstore", -4, w|d|FlagArrivalOrder, 1, 1, 1, cmdZUnionStore),
	}
}

var (
	argZPopMin = []byte("ZPOPMIN")
	argZPopMax = []byte("ZPOPMAX")
)

func zsetOf(o *store.Object) *store.ZSet { return o.Ptr.(*store.ZSet) }

// zsetLimits returns the listpack thresholds from the configuration.
func (c *Client) zsetLimits() store.Limits {
	return store.Limits{MaxEntries: c.srv.cfg.ZsetMaxListpackEntries, MaxValue: c.srv.cfg.ZsetMaxListpackValue}
}

func isArg(arg []byte, word string) bool { return strings.EqualFold(k(arg), word) }

// --- ZADD / ZINCRBY ---

func cmdZAdd(c *Client)    { zaddGeneric(c, 0) }
func cmdZIncrBy(c *Client) { zaddGeneric(c, store.AddIncr) }

// zaddOptions parses ZADD's flags; it returns the index of the first score.
func zaddOptions(args [][]byte, flags store.AddFlags) (store.AddFlags, bool, int) {
	ch := false
	idx := 2
	for ; idx < len(args); idx++ {
		a := args[idx]
		switch {
		case isArg(a, "nx"):
			flags |= store.AddNX
		case isArg(a, "xx"):
			flags |= store.AddXX
		case isArg(a, "ch"):
			ch = true
		case isArg(a, "incr"):
			flags |= store.AddIncr
		case isArg(a, "gt"):
			flags |= store.AddGT
		case isArg(a, "lt"):
			flags |= store.AddLT
		default:
			return flags, ch, idx
		}
	}
	return flags, ch, idx
}

// zaddCheck validates ZADD's flags and pair count; it returns the error text or "" and
// the number of score-member pairs.
func zaddCheck(flags store.AddFlags, pairsArgs int) (string, int) {
	nx, xx := flags&store.AddNX != 0, flags&store.AddXX != 0
	gt, lt := flags&store.AddGT != 0, flags&store.AddLT != 0
	switch {
	case pairsArgs%2 != 0 || pairsArgs == 0:
		return ErrSyntax, 0
	case nx && xx:
		return ErrZAddXXNX, 0
	case (gt && nx) || (lt && nx) || (gt && lt):
		return ErrZAddGTLTNX, 0
	case flags&store.AddIncr != 0 && pairsArgs > 2:
		return ErrZAddIncrPair, 0
	}
	return "", pairsArgs / 2
}

// zaddGeneric is Redis's zaddGenericCommand, shared by ZADD and ZINCRBY.
func zaddGeneric(c *Client, flags store.AddFlags) {
	key := c.args[1]
	flags, ch, scoreIdx := zaddOptions(c.args, flags)
	incr, xx := flags&store.AddIncr != 0, flags&store.AddXX != 0
	msg, elements := zaddCheck(flags, len(c.args)-scoreIdx)
	if msg != "" {
		c.err(msg)
		return
	}
	var buf [16]float64
	scores := buf[:0]
	for j := 0; j < elements; j++ {
		f, ok := parseFloatArg(c.args[scoreIdx+j*2])
		if !ok {
			c.err(ErrNotFloat)
			return
		}
		scores = append(scores, f)
	}
	o, ok := c.writeTyped(key, store.TypeZSet)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	if o == nil && xx {
		zaddReply(c, incr, ch, processed, score, added, updated)
		return
	}
	lim := c.zsetLimits()
	if o == nil {
		zs := store.NewZSet()
		if lim.MaxEntries == 0 || lim.MaxValue < len(c.args[scoreIdx+1]) {
			zs = store.NewZSetSkiplist()
		}
		o = c.dbAdd(key, store.Object{Type: store.TypeZSet, Ptr: zs})
	}
	zs := zsetOf(o)
	for j := 0; j < elements; j++ {
		res, newScore := zs.Add(k(c.args[scoreIdx+1+j*2]), scores[j], flags, lim)
		if res&store.AddedNaN != 0 {
			c.err(ErrZScoreNaN)
			zaddNotify(c, key, incr, added+updated)
			return
		}
		if res&store.Added != 0 {
			added++
		}
		if res&store.Updated != 0 {
			updated++
		}
		if res&store.AddNop == 0 {
			processed++
		}
		score = newScore
	}
	if added+updated > 0 {
		c.addDirty(int64(added + updated))
	}
	zaddReply(c, incr, ch, processed, score, added, updated)
	zaddNotify(c, key, incr, added+updated)
}

func zaddReply(c *Client, incr, ch bool, processed int, score float64, added, updated int) {
	switch {
	case incr && processed > 0:
		c.w.Double(score)
	case incr:
		c.w.Null()
	case ch:
		c.w.Int(int64(added + updated))
	default:
		c.w.Int(int64(added))
	}
}

func zaddNotify(c *Client, key []byte, incr bool, changed int) {
	if changed == 0 {
		return
	}
	c.touch(key)
	if incr {
		c.notify(NotifyZSet, "zincr", key)
	} else {
		c.notify(NotifyZSet, "zadd", key)
	}
}

// --- ZREM / ZCARD / ZSCORE / ZMSCORE / ZRANK ---

func cmdZRem(c *Client) {
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	zs := zsetOf(o)
	c.removeMembers(key, c.args[2:], NotifyZSet, "zrem", func(m []byte) bool { return zs.Delete(k(m)) }, zs.Len)
}

func cmdZCard(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(zsetOf(o).Len()))
}

func cmdZScore(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	if s, found := zsetOf(o).Score(k(c.args[2])); found {
		c.w.Double(s)
	} else {
		c.w.Null()
	}
}

func cmdZMScore(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, m := range c.args[2:] {
		if o == nil {
			c.w.Null()
			continue
		}
		if s, found := zsetOf(o).Score(k(m)); found {
			c.w.Double(s)
		} else {
			c.w.Null()
		}
	}
}

func cmdZRank(c *Client)    { zrankGeneric(c, false) }
func cmdZRevRank(c *Client) { zrankGeneric(c, true) }

func zrankGeneric(c *Client, reverse bool) {
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	zs := zsetOf(o)
	rank, found := zs.Rank(k(c.args[2]))
	if !found {
		c.w.Null()
		return
	}
	if reverse {
		rank = zs.Len() - 1 - rank
	}
	c.w.Int(int64(rank))
}

// --- pops ---

func cmdZPopMin(c *Client) { zpopMinMax(c, false) }
func cmdZPopMax(c *Client) { zpopMinMax(c, true) }

func zpopMinMax(c *Client, max bool) {
	if len(c.args) > 3 {
		c.err(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(c.args) == 3 {
		n, ok := resp.ParseInt(c.args[2])
		if !ok || n < 0 {
			c.err(ErrOutOfRange)
			return
		}
		count = n
	}
	nested := c.w.Proto > 2 && count != -1
	zpop(c, c.args[1:2], max, false, count, nested, false)
}

// zpop is Redis's genericZpopCommand: pop up to count members (-1: a single one) from
// the first existing key of keys, replying in the shape the flags select. It returns the
// key popped from (nil if none) and how many members were popped.
func zpop(c *Client, keys [][]byte, max, emitKey bool, count int64, nested, nilWhenEmpty bool) ([]byte, int64) {
	var o *store.Object
	var key []byte
	for _, kk := range keys {
		if o = c.lookupWrite(kk); o == nil {
			continue
		}
		if o.Type != store.TypeZSet {
			c.err(ErrWrongType)
			return nil, 0
		}
		key = kk
		break
	}
	if o == nil {
		if nilWhenEmpty {
			c.w.NullArray()
		} else {
			c.w.Array(0)
		}
		return nil, 0
	}
	if count == 0 {
		c.w.Array(0)
		return nil, 0
	}
	if count == -1 {
		count = 1
	}
	zs := zsetOf(o)
	n := min(count, int64(zs.Len()))
	switch {
	case !nested && !emitKey:
		c.w.Array(int(n * 2))
	case nested && !emitKey:
		c.w.Array(int(n))
	case !nested && emitKey:
		c.w.Array(int(n*2 + 1))
		c.w.Bulk(key)
	default:
		c.w.Array(2)
		c.w.Bulk(key)
		c.w.Array(int(n))
	}
	event := "zpopmin"
	if max {
		event = "zpopmax"
	}
	for i := int64(0); i < n; i++ {
		e, _ := zs.Pop(max)
		c.addDirty(1)
		if i == 0 {
			c.notify(NotifyZSet, event, key)
			c.touch(key)
		}
		if nested {
			c.w.Array(2)
		}
		c.w.BulkString(e.Member)
		c.w.Double(e.Score)
	}
	if zs.Len() == 0 {
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
	}
	return key, n
}

// propagateZPop records a pop as ZPOPMIN/ZPOPMAX key [count] (count < 0: none).
func (c *Client) propagateZPop(max bool, key []byte, count int64) {
	name := argZPopMin
	if max {
		name = argZPopMax
	}
	if count < 0 {
		c.propagate(name, key)
		return
	}
	c.propagate(name, key, strconv.AppendInt(nil, count, 10))
}

func cmdZMPop(c *Client)  { zmpopGeneric(c, 1, false) }
func cmdBZMPop(c *Client) { zmpopGeneric(c, 2, true) }

// zmpopGeneric parses [B]ZMPOP [timeout] numkeys key... MIN|MAX [COUNT n].
func zmpopGeneric(c *Client, numkeysIdx int, block bool) {
	numkeys, ok := resp.ParseInt(c.args[numkeysIdx])
	if !ok || numkeys < 1 {
		c.err(ErrNumkeys)
		return
	}
	if numkeys >= int64(len(c.args)) {
		c.err(ErrSyntax)
		return
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	if whereIdx >= len(c.args) {
		c.err(ErrSyntax)
		return
	}
	var max bool
	switch {
	case isArg(c.args[whereIdx], "min"):
	case isArg(c.args[whereIdx], "max"):
		max = true
	default:
		c.err(ErrSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.args); j++ {
		if count == -1 && isArg(c.args[j], "count") && j < len(c.args)-1 {
			j++
			n, ok := resp.ParseInt(c.args[j])
			if !ok || n < 1 {
				c.err(ErrCountPositive)
				return
			}
			count = n
			continue
		}
		c.err(ErrSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := c.args[numkeysIdx+1 : whereIdx]
	if block {
		bzpopGeneric(c, keys, max, c.args[1], count, true)
		return
	}
	if key, n := zpop(c, keys, max, true, count, true, true); key != nil {
		c.propagateZPop(max, key, n)
	}
}

func cmdBZPopMin(c *Client) {
	bzpopGeneric(c, c.args[1:len(c.args)-1], false, c.args[len(c.args)-1], -1, false)
}
func cmdBZPopMax(c *Client) {
	bzpopGeneric(c, c.args[1:len(c.args)-1], true, c.args[len(c.args)-1], -1, false)
}

// bzpopGeneric is Redis's blockingGenericZpopCommand: pop from the first non-empty key,
// or block on keys until one is written. nested selects the BZMPOP reply shape (which
// also replies a null array when empty).
func bzpopGeneric(c *Client, keys [][]byte, max bool, timeoutArg []byte, count int64, nested bool) {
	deadline, ok := c.parseTimeout(timeoutArg)
	if !ok {
		return
	}
	for i, key := range keys {
		o := c.lookupWrite(key)
		if o == nil {
			continue
		}
		if o.Type != store.TypeZSet {
			c.err(ErrWrongType)
			return
		}
		if zsetOf(o).Len() == 0 {
			continue
		}
		_, n := zpop(c, keys[i:i+1], max, true, count, nested, nested)
		if count == -1 {
			n = -1
		}
		c.propagateZPop(max, key, n)
		return
	}
	if !c.canBlock() {
		c.w.NullArray()
		return
	}
	serve := func(c *Client, key []byte) bool {
		o := c.lookupWrite(key)
		if o == nil || o.Type != store.TypeZSet || zsetOf(o).Len() == 0 {
			return false
		}
		_, n := zpop(c, [][]byte{key}, max, true, count, nested, nested)
		if count == -1 {
			n = -1
		}
		c.propagateZPop(max, key, n)
		return true
	}
	c.blockOn(keys, deadline, serve, func(c *Client) { c.w.NullArray() })
}

// --- RDB conversion ---

// zsetMembers returns the members of a sorted set in order (lowest score first), for the
// RDB encoder; the member slices alias the set.
func zsetMembers(o *store.Object) []rdb.ZMember {
	zs := zsetOf(o)
	out := make([]rdb.ZMember, 0, zs.Len())
	zs.Range(false, func(m string, s float64) bool {
		out = append(out, rdb.ZMember{Member: unsafe.Slice(unsafe.StringData(m), len(m)), Score: s})
		return true
	})
	return out
}

// newZSetFromMembers builds a sorted set from loaded members (copied), with the encoding
// Redis 7.0's loader gives a RDB_TYPE_ZSET_2 value: listpack when it fits the
// zset-max-listpack-* limits. Redis refuses empty sorted sets and duplicate members.
func (s *Server) newZSetFromMembers(members []rdb.ZMember) (store.Object, error) {
	if len(members) == 0 {
		return store.Object{}, errEmptyValue
	}
	zs := store.NewZSetSkiplist()
	maxLen, total := 0, 0
	for _, m := range members {
		if _, dup := zs.Score(k(m.Member)); dup {
			return store.Object{}, errDupZSetMember
		}
		zs.Insert(k(m.Member), m.Score)
		maxLen = max(maxLen, len(m.Member))
		total += len(m.Member)
	}
	lim := store.Limits{MaxEntries: s.cfg.ZsetMaxListpackEntries, MaxValue: s.cfg.ZsetMaxListpackValue}
	zs.ConvertToListpackIfFits(lim, maxLen, total)
	return store.Object{Type: store.TypeZSet, Ptr: zs}, nil
}
