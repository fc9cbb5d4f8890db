package server

import (
	"math"
	"strconv"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// Range commands of the sorted-set family (ZRANGE and its legacy forms, ZRANGESTORE,
// ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*) and the parsing of scores and ranges, which follows
// C's strtod as Redis uses it.

// --- number and range parsing ---

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
func isHexDigit(b byte) bool {
	return isDigit(b) || (b|0x20 >= 'a' && b|0x20 <= 'f')
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && isArg(b[:len(prefix)], prefix)
}

// strtod parses the longest prefix of b that C's strtod accepts: leading white space,
// a sign, then inf/infinity, nan[(chars)], a hexadecimal or a decimal number. It returns
// the value, the bytes consumed (0: no conversion) and whether the result overflowed or
// underflowed (errno ERANGE).
func strtod(b []byte) (float64, int, bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	switch {
	case hasPrefixFold(b[i:], "infinity"):
		return sign(math.Inf(1)), i + 8, false
	case hasPrefixFold(b[i:], "inf"):
		return sign(math.Inf(1)), i + 3, false
	case hasPrefixFold(b[i:], "nan"):
		n := i + 3
		if n < len(b) && b[n] == '(' {
			j := n + 1
			for j < len(b) && (isDigit(b[j]) || b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z' || b[j] == '_') {
				j++
			}
			if j < len(b) && b[j] == ')' {
				n = j + 1
			}
		}
		return math.NaN(), n, false
	}
	if i+1 < len(b) && b[i] == '0' && b[i+1]|0x20 == 'x' {
		return strtodHex(b, i, sign)
	}
	j, digits, nonzero := i, 0, false
	for j < len(b) && isDigit(b[j]) {
		nonzero = nonzero || b[j] != '0'
		j++
		digits++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && isDigit(b[j]) {
			nonzero = nonzero || b[j] != '0'
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	j = skipExponent(b, j, 'e')
	f, err := strconv.ParseFloat(k(b[i:j]), 64)
	erange := err != nil || (f == 0 && nonzero)
	return sign(f), j, erange
}

// skipExponent consumes an exponent (marker, sign, digits) at j if it is complete.
func skipExponent(b []byte, j int, marker byte) int {
	if j < len(b) && b[j]|0x20 == marker {
		e := j + 1
		if e < len(b) && (b[e] == '+' || b[e] == '-') {
			e++
		}
		if e < len(b) && isDigit(b[e]) {
			for e < len(b) && isDigit(b[e]) {
				e++
			}
			return e
		}
	}
	return j
}

func strtodHex(b []byte, i int, sign func(float64) float64) (float64, int, bool) {
	j, digits, nonzero := i+2, 0, false
	for j < len(b) && isHexDigit(b[j]) {
		nonzero = nonzero || b[j] != '0'
		j++
		digits++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && isHexDigit(b[j]) {
			nonzero = nonzero || b[j] != '0'
			j++
			digits++
		}
	}
	if digits == 0 { // "0x" alone: only the 0 converts
		return sign(0), i + 1, false
	}
	mantEnd := j
	j = skipExponent(b, j, 'p')
	var buf [64]byte
	s := append(buf[:0], b[i:mantEnd]...)
	if j == mantEnd {
		s = append(s, "p0"...)
	} else {
		s = append(s, b[mantEnd:j]...)
	}
	f, err := strconv.ParseFloat(k(s), 64)
	erange := err != nil || (f == 0 && nonzero)
	return sign(f), j, erange
}

// parseFloatArg is Redis's getDoubleFromObject: the whole argument must be a number, no
// leading space, no overflow, no underflow to zero, not NaN.
func parseFloatArg(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, n, erange := strtod(b)
	if n != len(b) || f != f || (erange && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// parseScoreBound parses one end of a score range: [(]number, as zslParseRange.
func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := false
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, n, _ := strtod(b)
	if (n != len(b) && b[n] != 0) || f != f {
		return 0, false, false
	}
	return f, ex, true
}

func parseScoreRange(min, max []byte) (store.ScoreRange, bool) {
	var r store.ScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = parseScoreBound(min); !ok {
		return r, false
	}
	r.Max, r.MaxEx, ok = parseScoreBound(max)
	return r, ok
}

// parseLexBound parses one end of a lex range: "-", "+", "(str" or "[str". The string
// aliases b: the range must not outlive the command.
func parseLexBound(b []byte) (store.LexBound, bool, bool) {
	if len(b) == 0 {
		return store.LexBound{}, false, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return store.LexBound{}, false, false
		}
		if b[0] == '+' {
			return store.LexBound{Kind: store.LexMaxInf}, true, true
		}
		return store.LexBound{Kind: store.LexMinInf}, true, true
	case '(':
		return store.LexBound{S: k(b[1:])}, true, true
	case '[':
		return store.LexBound{S: k(b[1:])}, false, true
	}
	return store.LexBound{}, false, false
}

func parseLexRange(min, max []byte) (store.LexRange, bool) {
	var r store.LexRange
	var ok bool
	if r.Min, r.MinEx, ok = parseLexBound(min); !ok {
		return r, false
	}
	r.Max, r.MaxEx, ok = parseLexBound(max)
	return r, ok
}

// --- ZRANGE family ---

type zrangeType uint8

const (
	zrangeAuto zrangeType = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

type zrangeDir uint8

const (
	zdirAuto zrangeDir = iota
	zdirForward
	zdirReverse
)

func cmdZRange(c *Client)           { zrangeGeneric(c, 1, false, zrangeAuto, zdirAuto) }
func cmdZRangeStore(c *Client)      { zrangeGeneric(c, 2, true, zrangeAuto, zdirAuto) }
func cmdZRevRange(c *Client)        { zrangeGeneric(c, 1, false, zrangeRank, zdirReverse) }
func cmdZRangeByScore(c *Client)    { zrangeGeneric(c, 1, false, zrangeScore, zdirForward) }
func cmdZRevRangeByScore(c *Client) { zrangeGeneric(c, 1, false, zrangeScore, zdirReverse) }
func cmdZRangeByLex(c *Client)      { zrangeGeneric(c, 1, false, zrangeLex, zdirForward) }
func cmdZRevRangeByLex(c *Client)   { zrangeGeneric(c, 1, false, zrangeLex, zdirReverse) }
func cmdZCount(c *Client)           { zcountGeneric(c, false) }
func cmdZLexCount(c *Client)        { zcountGeneric(c, true) }
func cmdZRemRangeByRank(c *Client)  { zremrangeGeneric(c, zrangeRank) }
func cmdZRemRangeByScore(c *Client) { zremrangeGeneric(c, zrangeScore) }
func cmdZRemRangeByLex(c *Client)   { zremrangeGeneric(c, zrangeLex) }

// zrangeOpts are the parsed options of a ZRANGE-like command.
type zrangeOpts struct {
	typ        zrangeType
	reverse    bool
	withScores bool
	offset     int64
	limit      int64
	start, end int64
	score      store.ScoreRange
	lex        store.LexRange
}

// parseZRange parses <src> <min> <max> [BYSCORE|BYLEX] [REV] [WITHSCORES] [LIMIT o c]
// from argStart (the src key), replying the error itself.
func parseZRange(c *Client, argStart int, storeDst bool, typ zrangeType, dir zrangeDir) (zrangeOpts, bool) {
	opt := zrangeOpts{limit: -1}
	args := c.args
	for j := argStart + 3; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case !storeDst && isArg(args[j], "withscores"):
			opt.withScores = true
		case isArg(args[j], "limit") && left >= 2:
			var ok1, ok2 bool
			opt.offset, ok1 = resp.ParseInt(args[j+1])
			if ok1 {
				opt.limit, ok2 = resp.ParseInt(args[j+2])
			}
			if !ok1 || !ok2 {
				c.err(ErrNotInt)
				return opt, false
			}
			j += 2
		case dir == zdirAuto && isArg(args[j], "rev"):
			dir = zdirReverse
		case typ == zrangeAuto && isArg(args[j], "bylex"):
			typ = zrangeLex
		case typ == zrangeAuto && isArg(args[j], "byscore"):
			typ = zrangeScore
		default:
			c.err(ErrSyntax)
			return opt, false
		}
	}
	if typ == zrangeAuto {
		typ = zrangeRank
	}
	opt.typ, opt.reverse = typ, dir == zdirReverse
	if opt.limit != -1 && typ == zrangeRank {
		c.err(ErrZRangeLimit)
		return opt, false
	}
	if opt.withScores && typ == zrangeLex {
		c.err(ErrZRangeScoresLex)
		return opt, false
	}
	minArg, maxArg := args[argStart+1], args[argStart+2]
	if opt.reverse && typ != zrangeRank {
		minArg, maxArg = maxArg, minArg
	}
	var ok bool
	switch typ {
	case zrangeRank:
		var ok2 bool
		opt.start, ok = resp.ParseInt(minArg)
		if ok {
			opt.end, ok2 = resp.ParseInt(maxArg)
		}
		if !ok || !ok2 {
			c.err(ErrNotInt)
			return opt, false
		}
	case zrangeScore:
		if opt.score, ok = parseScoreRange(minArg, maxArg); !ok {
			c.err(ErrZMinMaxNotFloat)
			return opt, false
		}
	case zrangeLex:
		if opt.lex, ok = parseLexRange(minArg, maxArg); !ok {
			c.err(ErrZMinMaxNotLex)
			return opt, false
		}
	}
	return opt, true
}

// zrangeGeneric is Redis's zrangeGenericCommand for ZRANGE, ZRANGESTORE and the legacy
// Z[REV]RANGE[BYSCORE|BYLEX] commands.
func zrangeGeneric(c *Client, argStart int, storeDst bool, typ zrangeType, dir zrangeDir) {
	opt, ok := parseZRange(c, argStart, storeDst, typ, dir)
	if !ok {
		return
	}
	sink := zrangeSink{c: c, withScores: opt.withScores || storeDst}
	if storeDst {
		sink.dstKey = c.args[1]
		sink.lim = c.zsetLimits()
	}
	o := c.lookupRead(c.args[argStart])
	if o == nil {
		if storeDst {
			sink.begin(-1)
			sink.finish()
		} else {
			c.w.Array(0)
		}
		return
	}
	if o.Type != store.TypeZSet {
		c.err(ErrWrongType)
		return
	}
	zs := zsetOf(o)
	switch opt.typ {
	case zrangeRank:
		zrangeByRank(&sink, zs, opt.start, opt.end, opt.reverse)
	case zrangeScore:
		zrangeByScore(&sink, zs, &opt)
	case zrangeLex:
		zrangeByLex(&sink, zs, &opt)
	}
}

func zrangeByRank(sink *zrangeSink, zs *store.ZSet, start, end int64, reverse bool) {
	llen := int64(zs.Len())
	start, end, ok := clampRank(start, end, llen)
	if !ok {
		sink.begin(0)
		sink.finish()
		return
	}
	n := end - start + 1
	sink.begin(int(n))
	first := start
	if reverse {
		first = llen - 1 - start
	}
	it := zs.At(int(first))
	for ; n > 0; n-- {
		sink.emit(it.Member(), it.Score())
		it.Step(reverse)
	}
	sink.finish()
}

func zrangeByScore(sink *zrangeSink, zs *store.ZSet, opt *zrangeOpts) {
	sink.begin(-1)
	offset, limit, r := opt.offset, opt.limit, &opt.score
	if offset > 0 && offset >= int64(zs.Len()) {
		sink.finish()
		return
	}
	var it store.ZIter
	if opt.reverse {
		it = zs.LastInRange(r)
	} else {
		it = zs.FirstInRange(r)
	}
	for ; it.Valid() && offset != 0; offset-- {
		it.Step(opt.reverse)
	}
	for ; it.Valid() && limit != 0; limit-- {
		s := it.Score()
		if (opt.reverse && !r.GteMin(s)) || (!opt.reverse && !r.LteMax(s)) {
			break
		}
		sink.emit(it.Member(), s)
		it.Step(opt.reverse)
	}
	sink.finish()
}

func zrangeByLex(sink *zrangeSink, zs *store.ZSet, opt *zrangeOpts) {
	sink.begin(-1)
	offset, limit, r := opt.offset, opt.limit, &opt.lex
	var it store.ZIter
	if opt.reverse {
		it = zs.LastInLex(r)
	} else {
		it = zs.FirstInLex(r)
	}
	for ; it.Valid() && offset != 0; offset-- {
		it.Step(opt.reverse)
	}
	for ; it.Valid() && limit != 0; limit-- {
		m := it.Member()
		if (opt.reverse && !r.GteMin(m)) || (!opt.reverse && !r.LteMax(m)) {
			break
		}
		sink.emit(m, it.Score())
		it.Step(opt.reverse)
	}
	sink.finish()
}

// zrangeSink receives a range's members: the client's reply, or the destination set of
// ZRANGESTORE (dstKey set).
type zrangeSink struct {
	c          *Client
	withScores bool
	dstKey     []byte
	dst        *store.ZSet
	lim        store.Limits
	n          int
	mark       int // offset of a deferred array header in c.w.B; -1 when written
}

func (s *zrangeSink) begin(length int) {
	if s.dstKey != nil {
		s.dst = store.NewZSet()
		return
	}
	if length > 0 {
		if s.withScores && s.c.w.Proto == 2 {
			length *= 2
		}
		s.c.w.Array(length)
		s.mark = -1
		return
	}
	s.mark = len(s.c.w.B)
}

func (s *zrangeSink) emit(member string, score float64) {
	s.n++
	if s.dst != nil {
		s.dst.Add(member, score, 0, s.lim)
		return
	}
	w := &s.c.w
	if s.withScores && w.Proto > 2 {
		w.Array(2)
	}
	w.BulkString(member)
	if s.withScores {
		w.Double(score)
	}
}

func (s *zrangeSink) finish() {
	c := s.c
	if s.dstKey == nil {
		if s.mark >= 0 {
			n := s.n
			if s.withScores && c.w.Proto == 2 {
				n *= 2
			}
			insertArrayHeader(&c.w, s.mark, n)
		}
		return
	}
	c.storeZSetResult(s.dstKey, s.dst, "zrangestore")
}

// storeZSetResult stores a computed set at dst (or deletes dst when it is empty) and
// replies its size, as the *STORE commands do.
func (c *Client) storeZSetResult(dst []byte, zs *store.ZSet, event string) {
	if zs.Len() > 0 {
		c.setKey(dst, store.Object{Type: store.TypeZSet, Ptr: zs}, false)
		c.w.Int(int64(zs.Len()))
		c.notify(NotifyZSet, event, dst)
		c.addDirty(1)
		return
	}
	c.w.Int(0)
	if c.dbDelete(dst) {
		c.touch(dst)
		c.notify(NotifyGeneric, "del", dst)
		c.addDirty(1)
	}
}

// insertArrayHeader inserts an array header of n elements at offset mark of w.B (a
// deferred length, as Redis's setDeferredArrayLen).
func insertArrayHeader(w *resp.Writer, mark, n int) {
	var buf [24]byte
	h := append(buf[:0], '*')
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	end := len(w.B)
	w.B = append(w.B, h...)
	copy(w.B[mark+len(h):], w.B[mark:end])
	copy(w.B[mark:], h)
}

// --- ZCOUNT / ZLEXCOUNT / ZREMRANGEBY* ---

func zcountGeneric(c *Client, lex bool) {
	var sr store.ScoreRange
	var lr store.LexRange
	var ok bool
	if lex {
		if lr, ok = parseLexRange(c.args[2], c.args[3]); !ok {
			c.err(ErrZMinMaxNotLex)
			return
		}
	} else if sr, ok = parseScoreRange(c.args[2], c.args[3]); !ok {
		c.err(ErrZMinMaxNotFloat)
		return
	}
	o, ok := c.readTyped(c.args[1], store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	if lex {
		c.w.Int(int64(zsetOf(o).CountInLex(&lr)))
	} else {
		c.w.Int(int64(zsetOf(o).CountInRange(&sr)))
	}
}

var zremEvents = [...]string{zrangeRank: "zremrangebyrank", zrangeScore: "zremrangebyscore", zrangeLex: "zremrangebylex"}

// parseZRemRange parses the <start> <stop> or <min> <max> of ZREMRANGEBY*.
func parseZRemRange(c *Client, opt *zrangeOpts) bool {
	var ok bool
	switch opt.typ {
	case zrangeRank:
		var ok2 bool
		opt.start, ok = resp.ParseInt(c.args[2])
		if ok {
			opt.end, ok2 = resp.ParseInt(c.args[3])
		}
		if !ok || !ok2 {
			c.err(ErrNotInt)
			return false
		}
	case zrangeScore:
		if opt.score, ok = parseScoreRange(c.args[2], c.args[3]); !ok {
			c.err(ErrZMinMaxNotFloat)
			return false
		}
	case zrangeLex:
		if opt.lex, ok = parseLexRange(c.args[2], c.args[3]); !ok {
			c.err(ErrZMinMaxNotLex)
			return false
		}
	}
	return true
}

// clampRank turns start/end (negative: from the end) into valid ranks of a set of llen
// members; false when the range is empty.
func clampRank(start, end, llen int64) (int64, int64, bool) {
	if start < 0 {
		start += llen
	}
	if end < 0 {
		end += llen
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= llen {
		return 0, 0, false
	}
	return start, min(end, llen-1), true
}

func zremrangeGeneric(c *Client, typ zrangeType) {
	key := c.args[1]
	opt := zrangeOpts{typ: typ}
	if !parseZRemRange(c, &opt) {
		return
	}
	o, ok := c.writeTyped(key, store.TypeZSet)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	zs := zsetOf(o)
	deleted := 0
	switch typ {
	case zrangeRank:
		start, end, ok := clampRank(opt.start, opt.end, int64(zs.Len()))
		if !ok {
			c.w.Int(0)
			return
		}
		deleted = zs.DeleteRangeByRank(int(start), int(end))
	case zrangeScore:
		deleted = zs.DeleteRangeByScore(&opt.score)
	case zrangeLex:
		deleted = zs.DeleteRangeByLex(&opt.lex)
	}
	removed := zs.Len() == 0
	if removed {
		c.dbDelete(key)
	}
	if deleted > 0 {
		c.touch(key)
		c.notify(NotifyZSet, zremEvents[typ], key)
		if removed {
			c.notify(NotifyGeneric, "del", key)
		}
		c.addDirty(int64(deleted))
	}
	c.w.Int(int64(deleted))
}
