package server

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unsafe"

	"github.com/vigil-db/vigil/server/resp"
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
func (s *Server) newHashFromPairs(pairs [][]byte) (store.Object, bool) {
	if len(pairs) < 2 {
		return store.Object{}, false
	}
	h := store.NewHash()
	lim := store.ListpackLimits{Entries: s.cfg.HashMaxListpackEntries, Value: s.cfg.HashMaxListpackValue}
	if len(pairs)/2 > lim.Entries {
		h.Convert()
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Set(pairs[i], pairs[i+1], lim)
	}
	return store.Object{Type: store.TypeHash, Ptr: h}, true
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
	deleted, removed := int64(0), false
	for _, f := range c.args[2:] {
		if h.Delete(f) {
			deleted++
			if h.Len() == 0 {
				c.dbDelete(key)
				removed = true
				break
			}
		}
	}
	if deleted > 0 {
		c.touch(key)
		c.notify(NotifyHash, "hdel", key)
		if removed {
			c.notify(NotifyGeneric, "del", key)
		}
		c.addDirty(deleted)
	}
	c.w.Int(deleted)
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
		c.err(ErrHashOverflow)
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
	incr, ok := parseLongDouble(c.args[3])
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
	old := new(big.Float).SetPrec(ldPrec)
	if v, found := h.Get(c.args[2]); found {
		if old, ok = parseLongDouble([]byte(v)); !ok {
			c.err(ErrHashNotFloat)
			return
		}
	}
	sum, ok := addLongDouble(old, incr)
	if !ok {
		c.err(ErrHashIncrNaNInf)
		return
	}
	val := appendLongDouble(nil, sum)
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
				c.err(ErrHashWithvaluesRange)
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
		for ; count > 0; count-- {
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
	cursor, ok := parseCollScanCursor(c.args[2])
	if !ok {
		c.err(ErrSetScanCursor)
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

// Long doubles. HINCRBYFLOAT computes in C long double, which on x86-64 is the 80-bit
// extended format (64-bit mantissa, 15-bit exponent): parsing (strtold), addition and
// "%.17Lf" formatting are reproduced with math/big at 64 bits of precision.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // largest MantExp of a finite long double
	ldMinExp = -16444 // MantExp of the smallest subnormal
	// ldMaxChars is MAX_LONG_DOUBLE_CHARS: string2ld rejects longer inputs.
	ldMaxChars = 5 * 1024
)

// parseLongDouble is Redis's string2ld: strtold over the whole string, no leading space,
// NaN and out-of-range values rejected, "inf"/"infinity" accepted (returned as ±Inf).
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars || isSpaceC(b[0]) {
		return nil, false
	}
	s, neg := b, false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var f *big.Float
	var ok bool
	switch {
	case bytes.EqualFold(s, []byte("inf")) || bytes.EqualFold(s, []byte("infinity")):
		f, ok = new(big.Float).SetInf(false), true
	case len(s) >= 2 && s[0] == '0' && s[1]|0x20 == 'x':
		f, ok = parseLDHex(s[2:])
	default:
		f, ok = parseLDDec(s)
	}
	if !ok {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

// addLongDouble returns a+b rounded to long double; ok=false when infinite.
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// appendLongDouble formats f as ld2string(LD_STR_HUMAN): "%.17Lf" without trailing
// zeros (or '.'), and "-0" written "0".
func appendLongDouble(dst []byte, f *big.Float) []byte {
	start := len(dst)
	dst = f.Append(dst, 'f', 17)
	l := len(dst)
	for l > start && dst[l-1] == '0' {
		l--
	}
	if l > start && dst[l-1] == '.' {
		l--
	}
	dst = dst[:l]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

func parseLDDec(s []byte) (*big.Float, bool) {
	i, digits, frac := 0, 0, 0
	mant := make([]byte, 0, len(s))
	for ; i < len(s) && isDigitC(s[i]); i++ {
		mant = append(mant, s[i])
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigitC(s[i]); i++ {
			mant = append(mant, s[i])
			digits++
			frac++
		}
	}
	if digits == 0 {
		return nil, false
	}
	exp, ok := parseLDExp(s[i:], 'e')
	if !ok {
		return nil, false
	}
	mant = bytes.TrimLeft(mant, "0")
	if len(mant) == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	e10 := exp - int64(frac)
	if lead := e10 + int64(len(mant)) - 1; lead > 4933 || lead < -4952 {
		return nil, false
	}
	n, _ := new(big.Int).SetString(string(mant), 10)
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	if e10 >= 0 {
		z.SetInt(n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(e10), nil)))
	} else {
		d := new(big.Int).Exp(big.NewInt(10), big.NewInt(-e10), nil)
		z.SetRat(new(big.Rat).SetFrac(n, d))
	}
	return ldRangeCheck(z)
}

func parseLDHex(s []byte) (*big.Float, bool) {
	i, digits := 0, 0
	frac := int64(0)
	n := new(big.Int)
	for ; i < len(s) && hexDigitC(s[i]) >= 0; i++ {
		n.Lsh(n, 4).Or(n, big.NewInt(int64(hexDigitC(s[i]))))
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && hexDigitC(s[i]) >= 0; i++ {
			n.Lsh(n, 4).Or(n, big.NewInt(int64(hexDigitC(s[i]))))
			digits++
			frac += 4
		}
	}
	if digits == 0 {
		return nil, false
	}
	exp, ok := parseLDExp(s[i:], 'p')
	if !ok {
		return nil, false
	}
	if n.Sign() == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	e2 := exp - frac
	if lead := e2 + int64(n.BitLen()); lead > ldMaxExp+1 || lead < ldMinExp-2 {
		return nil, false
	}
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).SetInt(n)
	z.SetMantExp(z, int(e2))
	return ldRangeCheck(z)
}

// parseLDExp parses an optional exponent (marker, sign, digits) that must end s.
func parseLDExp(s []byte, marker byte) (int64, bool) {
	if len(s) == 0 {
		return 0, true
	}
	if s[0]|0x20 != marker {
		return 0, false
	}
	s = s[1:]
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var e int64
	for _, ch := range s {
		if !isDigitC(ch) {
			return 0, false
		}
		if e < 1<<40 {
			e = e*10 + int64(ch-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

func ldRangeCheck(z *big.Float) (*big.Float, bool) {
	if z.Sign() == 0 {
		return nil, false // underflow: strtold reports ERANGE with a zero result
	}
	if e := z.MantExp(nil); e > ldMaxExp || e < ldMinExp {
		return nil, false
	}
	return z, true
}

func isDigitC(ch byte) bool { return ch >= '0' && ch <= '9' }

func isSpaceC(ch byte) bool { return ch == ' ' || (ch >= '\t' && ch <= '\r') }

func hexDigitC(ch byte) int {
	switch {
	case ch >= '0' && ch <= '9':
		return int(ch - '0')
	case ch|0x20 >= 'a' && ch|0x20 <= 'f':
		return int(ch|0x20-'a') + 10
	}
	return -1
}
