package server

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// ZUNION, ZINTER, ZDIFF (and their STORE forms), ZINTERCARD, ZRANDMEMBER and ZSCAN.

// zopSrc is one input of a set operation: a sorted set, a set, or nothing (missing key).
type zopSrc struct {
	obj    *store.Object
	zs     *store.ZSet
	set    *store.Set // every member scores 1
	weight float64
}

func (s *zopSrc) length() int {
	switch {
	case s.zs != nil:
		return s.zs.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

func (s *zopSrc) find(member string) (float64, bool) {
	switch {
	case s.zs != nil:
		return s.zs.Score(member)
	case s.set != nil:
		return 1, s.set.Contains(member)
	}
	return 0, false
}

// each visits the members (sorted sets from the highest score, as Redis's zuiNext).
func (s *zopSrc) each(fn func(member string, score float64) bool) {
	switch {
	case s.zs != nil:
		s.zs.Range(true, fn)
	case s.set != nil:
		s.set.Range(func(m string) bool { return fn(m, 1) })
	}
}

type zsetOp uint8

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

type zaggregate uint8

const (
	aggSum zaggregate = iota
	aggMin
	aggMax
)

func (a zaggregate) apply(target *float64, v float64) {
	switch a {
	case aggSum:
		*target += v
		if *target != *target { // inf + -inf
			*target = 0
		}
	case aggMin:
		if v < *target {
			*target = v
		}
	case aggMax:
		if v > *target {
			*target = v
		}
	}
}

func cmdZUnion(c *Client)      { zsetOpGeneric(c, nil, 1, zopUnion, false) }
func cmdZInter(c *Client)      { zsetOpGeneric(c, nil, 1, zopInter, false) }
func cmdZDiff(c *Client)       { zsetOpGeneric(c, nil, 1, zopDiff, false) }
func cmdZInterCard(c *Client)  { zsetOpGeneric(c, nil, 1, zopInter, true) }
func cmdZUnionStore(c *Client) { zsetOpGeneric(c, c.args[1], 2, zopUnion, false) }
func cmdZInterStore(c *Client) { zsetOpGeneric(c, c.args[1], 2, zopInter, false) }
func cmdZDiffStore(c *Client)  { zsetOpGeneric(c, c.args[1], 2, zopDiff, false) }

// zopOpts are the options after the keys of a set operation.
type zopOpts struct {
	agg        zaggregate
	withScores bool
	limit      int64
}

// zsetOpSources parses numkeys and looks the keys up; it returns the sources and the
// index of the first option.
func zsetOpSources(c *Client, numkeysIdx int) ([]zopSrc, int, bool) {
	setnum, ok := resp.ParseInt(c.args[numkeysIdx])
	if !ok {
		c.err(ErrNotInt)
		return nil, 0, false
	}
	if setnum < 1 {
		c.err(fmt.Sprintf(ErrZAtLeastOneKey, c.cmd.Name))
		return nil, 0, false
	}
	if setnum > int64(len(c.args)-(numkeysIdx+1)) {
		c.err(ErrSyntax)
		return nil, 0, false
	}
	srcs := make([]zopSrc, setnum)
	j := numkeysIdx + 1
	for i := range srcs {
		srcs[i].weight = 1
		o := c.lookupRead(c.args[j])
		j++
		if o == nil {
			continue
		}
		srcs[i].obj = o
		switch o.Type {
		case store.TypeZSet:
			srcs[i].zs = zsetOf(o)
		case store.TypeSet:
			srcs[i].set = o.Ptr.(*store.Set)
		default:
			c.err(ErrWrongType)
			return nil, 0, false
		}
	}
	return srcs, j, true
}

func parseZsetOpOptions(c *Client, j int, srcs []zopSrc, dst []byte, op zsetOp, cardOnly bool) (zopOpts, bool) {
	var opt zopOpts
	args := c.args
	for j < len(args) {
		remaining := len(args) - j
		switch {
		case op != zopDiff && !cardOnly && remaining >= len(srcs)+1 && isArg(args[j], "weights"):
			j++
			for i := range srcs {
				f, ok := parseFloatArg(args[j])
				if !ok {
					c.err(ErrZWeightNotFloat)
					return opt, false
				}
				srcs[i].weight = f
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && isArg(args[j], "aggregate"):
			switch a := args[j+1]; {
			case isArg(a, "sum"):
				opt.agg = aggSum
			case isArg(a, "min"):
				opt.agg = aggMin
			case isArg(a, "max"):
				opt.agg = aggMax
			default:
				c.err(ErrSyntax)
				return opt, false
			}
			j += 2
		case dst == nil && !cardOnly && isArg(args[j], "withscores"):
			opt.withScores = true
			j++
		case cardOnly && remaining >= 2 && isArg(args[j], "limit"):
			n, ok := resp.ParseInt(args[j+1])
			if !ok || n < 0 {
				c.err(ErrLimitNegative)
				return opt, false
			}
			opt.limit = n
			j += 2
		default:
			c.err(ErrSyntax)
			return opt, false
		}
	}
	return opt, true
}

// zsetOpGeneric is Redis's zunionInterDiffGenericCommand.
func zsetOpGeneric(c *Client, dst []byte, numkeysIdx int, op zsetOp, cardOnly bool) {
	srcs, j, ok := zsetOpSources(c, numkeysIdx)
	if !ok {
		return
	}
	opt, ok := parseZsetOpOptions(c, j, srcs, dst, op, cardOnly)
	if !ok {
		return
	}
	if op != zopDiff {
		slices.SortStableFunc(srcs, func(a, b zopSrc) int { return cmp.Compare(a.length(), b.length()) })
	}
	var entries []store.ZEntry
	switch op {
	case zopInter:
		var card int64
		entries, card = zinter(srcs, opt, cardOnly)
		if cardOnly {
			c.w.Int(card)
			return
		}
	case zopUnion:
		entries = zunion(srcs, opt.agg)
	case zopDiff:
		entries = zdiff(srcs)
	}
	slices.SortFunc(entries, func(a, b store.ZEntry) int {
		if a.Score != b.Score {
			return cmp.Compare(a.Score, b.Score)
		}
		return cmp.Compare(a.Member, b.Member)
	})
	if dst != nil {
		event := [...]string{zopUnion: "zunionstore", zopInter: "zinterstore", zopDiff: "zdiffstore"}[op]
		c.storeZSetResult(dst, store.NewZSetFromSorted(entries, c.zsetLimits()), event)
		return
	}
	if opt.withScores && c.w.Proto == 2 {
		c.w.Array(2 * len(entries))
	} else {
		c.w.Array(len(entries))
	}
	for _, e := range entries {
		if opt.withScores && c.w.Proto > 2 {
			c.w.Array(2)
		}
		c.w.BulkString(e.Member)
		if opt.withScores {
			c.w.Double(e.Score)
		}
	}
}

func zinter(srcs []zopSrc, opt zopOpts, cardOnly bool) ([]store.ZEntry, int64) {
	var out []store.ZEntry
	var card int64
	if srcs[0].length() == 0 {
		return nil, 0
	}
	srcs[0].each(func(member string, s0 float64) bool {
		score := srcs[0].weight * s0
		if score != score {
			score = 0
		}
		for j := 1; j < len(srcs); j++ {
			var v float64
			if srcs[j].obj == srcs[0].obj {
				v = s0 * srcs[j].weight
			} else if found, ok := srcs[j].find(member); ok {
				v = found * srcs[j].weight
			} else {
				return true
			}
			opt.agg.apply(&score, v)
		}
		if cardOnly {
			card++
			return opt.limit == 0 || card < opt.limit
		}
		out = append(out, store.ZEntry{Member: member, Score: score})
		return true
	})
	return out, card
}

func zunion(srcs []zopSrc, agg zaggregate) []store.ZEntry {
	acc := make(map[string]float64, srcs[len(srcs)-1].length())
	for i := range srcs {
		w := srcs[i].weight
		srcs[i].each(func(member string, s float64) bool {
			score := w * s
			if score != score {
				score = 0
			}
			if cur, ok := acc[member]; ok {
				agg.apply(&cur, score)
				acc[member] = cur
			} else {
				acc[member] = score
			}
			return true
		})
	}
	out := make([]store.ZEntry, 0, len(acc))
	for m, s := range acc {
		out = append(out, store.ZEntry{Member: m, Score: s})
	}
	return out
}

func zdiff(srcs []zopSrc) []store.ZEntry {
	if srcs[0].length() == 0 {
		return nil
	}
	for j := 1; j < len(srcs); j++ {
		if srcs[j].obj == srcs[0].obj {
			return nil
		}
	}
	var out []store.ZEntry
	srcs[0].each(func(member string, score float64) bool {
		for j := 1; j < len(srcs); j++ {
			if _, ok := srcs[j].find(member); ok {
				return true
			}
		}
		out = append(out, store.ZEntry{Member: member, Score: score})
		return true
	})
	return out
}

// --- ZRANDMEMBER ---

func cmdZRandMember(c *Client) {
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
		if len(c.args) > 4 || (len(c.args) == 4 && !isArg(c.args[3], "withscores")) {
			c.err(ErrSyntax)
			return
		}
		withScores := len(c.args) == 4
		if withScores && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
			c.err(ErrValueOutOfRange)
			return
		}
		zrandMemberWithCount(c, l, withScores)
		return
	}
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	c.w.BulkString(zsetOf(o).Random().Member)
}

func zrandEmit(c *Client, e store.ZEntry, withScores bool) {
	if withScores && c.w.Proto > 2 {
		c.w.Array(2)
	}
	c.w.BulkString(e.Member)
	if withScores {
		c.w.Double(e.Score)
	}
}

func zrandMemberWithCount(c *Client, l int64, withScores bool) {
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil || l == 0 {
		c.w.Array(0)
		return
	}
	zs := zsetOf(o)
	size := int64(zs.Len())
	count, uniq := l, true
	if l < 0 {
		count, uniq = -l, false
	}
	header := func(n int64) {
		if withScores && c.w.Proto == 2 {
			n *= 2
		}
		c.w.Array(int(n))
	}
	if !uniq || count == 1 { // with repetitions, random order
		header(count)
		for ; count > 0 && !c.w.Full(); count-- {
			zrandEmit(c, zs.Random(), withScores)
		}
		return
	}
	header(min(count, size))
	if count >= size { // the whole set, walked from the tail as Redis does
		zs.Range(true, func(m string, s float64) bool {
			zrandEmit(c, store.ZEntry{Member: m, Score: s}, withScores)
			return true
		})
		return
	}
	// count distinct members: a partial Fisher-Yates shuffle of the ranks
	all := make([]store.ZEntry, 0, size)
	zs.Range(false, func(m string, s float64) bool {
		all = append(all, store.ZEntry{Member: m, Score: s})
		return true
	})
	for i := int64(0); i < count; i++ {
		j := i + rand.Int64N(size-i)
		all[i], all[j] = all[j], all[i]
		zrandEmit(c, all[i], withScores)
	}
}

// --- ZSCAN ---

func cmdZScan(c *Client) {
	cursor, ok := parseScanCursor(c.args[2])
	if !ok {
		c.err(ErrInvalidCursor)
		return
	}
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		writeEmptyScan(c)
		return
	}
	opt, ok := parseCollScanOpts(c, c.args[3:])
	if !ok {
		return
	}
	zs := zsetOf(o)
	var items []store.ZEntry
	keep := func(m string, s float64) {
		if !opt.usePattern || collScanMatch(opt.pattern, sb(m)) {
			items = append(items, store.ZEntry{Member: m, Score: s})
		}
	}
	listpack := zs.IsListpack()
	if listpack {
		zs.Range(false, func(m string, s float64) bool { keep(m, s); return true })
		cursor = 0
	} else {
		cursor = scanDict(zs.Dict(), cursor, opt.count*2, 2, keep)
	}
	c.w.Array(2)
	c.w.BulkInt(int64(cursor))
	c.w.Array(2 * len(items))
	var buf [32]byte
	for _, e := range items {
		c.w.BulkString(e.Member)
		if listpack {
			c.w.Bulk(appendListpackScore(buf[:0], e.Score))
		} else {
			c.w.Bulk(resp.AppendDouble(buf[:0], e.Score))
		}
	}
}

// appendListpackScore formats a score as a listpack holds it: integral scores within
// ±2^62 are stored as integers, the others as %.17g strings.
func appendListpackScore(dst []byte, s float64) []byte {
	if s >= -(1<<62) && s <= 1<<62 && s == math.Trunc(s) {
		return strconv.AppendInt(dst, int64(s), 10)
	}
	return resp.AppendDouble(dst, s)
}
