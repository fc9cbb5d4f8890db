package server

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// stringCommands returns the string commands.
func stringCommands() []*Command {
	const (
		rf  = FlagReadonly | FlagFast
		wdf = FlagWrite | FlagDenyOOM | FlagFast
		wd  = FlagWrite | FlagDenyOOM
		wf  = FlagWrite | FlagFast
	)
	cmd := func(name string, arity int, flags Flag, first, last, step int, h Handler) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: step, Handler: h, Group: "string"}
	}
	return []*Command{
		cmd("get", 2, rf, 1, 1, 1, cmdGet),
		cmd("set", -3, wd, 1, 1, 1, cmdSet),
		cmd("setnx", 3, wdf, 1, 1, 1, cmdSetnx),
		cmd("setex", 4, wd, 1, 1, 1, cmdSetex),
		cmd("psetex", 4, wd, 1, 1, 1, cmdPsetex),
		cmd("getset", 3, wdf, 1, 1, 1, cmdGetset),
		cmd("getdel", 2, wf, 1, 1, 1, cmdGetdel),
		cmd("getex", -2, wf, 1, 1, 1, cmdGetex),
		cmd("mget", -2, rf, 1, -1, 1, cmdMget),
		cmd("mset", -3, wd, 1, -1, 2, cmdMset),
		cmd("msetnx", -3, wd, 1, -1, 2, cmdMsetnx),
		cmd("append", 3, wdf, 1, 1, 1, cmdAppend),
		cmd("strlen", 2, rf, 1, 1, 1, cmdStrlen),
		cmd("getrange", 4, FlagReadonly, 1, 1, 1, cmdGetrange),
		cmd("substr", 4, FlagReadonly, 1, 1, 1, cmdGetrange),
		cmd("setrange", 4, wd|FlagGrowsByOffset, 1, 1, 1, cmdSetrange),
		cmd("incr", 2, wdf, 1, 1, 1, cmdIncr),
		cmd("decr", 2, wdf, 1, 1, 1, cmdDecr),
		cmd("incrby", 3, wdf, 1, 1, 1, cmdIncrby),
		cmd("decrby", 3, wdf, 1, 1, 1, cmdDecrby),
		cmd("incrbyfloat", 3, wdf, 1, 1, 1, cmdIncrbyfloat),
		cmd("lcs", -3, FlagReadonly, 1, 2, 1, cmdLcs),
	}
}

var (
	argSET       = []byte("SET")
	argPXAT      = []byte("PXAT")
	argKEEPTTL   = []byte("KEEPTTL")
	argPEXPIREAT = []byte("PEXPIREAT")
	argPERSIST   = []byte("PERSIST")
)

// strOpt is a flag of SET/GETEX's extended arguments (Redis's OBJ_SET_* / OBJ_* flags).
type strOpt uint16

const (
	optNX strOpt = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// cstr returns b up to its first NUL byte: Redis compares option names as C strings.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// isOpt reports whether the C string in b equals lower (lower case) ignoring case.
func isOpt(b []byte, lower string) bool {
	b = cstr(b)
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseStringOpts is Redis's parseExtendedStringArgumentsOrReply over args[start:],
// for SET (forSet) or GETEX. It returns the flags and the expire argument, or ok=false
// for a syntax error.
func parseStringOpts(args [][]byte, start int, forSet bool) (flags strOpt, expire []byte, ok bool) {
	for j := start; j < len(args); j++ {
		opt := args[j]
		next := j < len(args)-1
		var ex strOpt
		switch {
		case forSet && isOpt(opt, "nx") && flags&optXX == 0:
			flags |= optNX
			continue
		case forSet && isOpt(opt, "xx") && flags&optNX == 0:
			flags |= optXX
			continue
		case forSet && isOpt(opt, "get"):
			flags |= optGet
			continue
		case forSet && isOpt(opt, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
			continue
		case !forSet && isOpt(opt, "persist") && flags&(optExpire|optKeepTTL) == 0:
			flags |= optPersist
			continue
		case isOpt(opt, "ex"):
			ex = optEX
		case isOpt(opt, "px"):
			ex = optPX
		case isOpt(opt, "exat"):
			ex = optEXAT
		case isOpt(opt, "pxat"):
			ex = optPXAT
		default:
			return 0, nil, false
		}
		// the same expire option may repeat (the last one wins), others conflict
		if !next || flags&(optKeepTTL|optPersist|(optExpire&^ex)) != 0 {
			return 0, nil, false
		}
		flags |= ex
		expire = args[j+1]
		j++
	}
	return flags, expire, true
}

// expireMillis is getExpireMillisecondsOrReply: it validates an EX/PX/EXAT/PXAT argument
// and returns the absolute expiry in unix ms, replying the error itself.
func (c *Client) expireMillis(arg []byte, flags strOpt) (int64, bool) {
	ms, ok := resp.ParseInt(arg)
	if !ok {
		c.err(ErrNotInt)
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.err(fmt.Sprintf(ErrInvalidExpire, c.cmd.Name))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		ms += c.now()
	}
	if ms <= 0 {
		c.err(fmt.Sprintf(ErrInvalidExpire, c.cmd.Name))
		return 0, false
	}
	return ms, true
}

// getGeneric replies the string at key (or null); on WRONGTYPE it replies the error and
// returns false.
func (c *Client) getGeneric(key []byte) bool {
	o, ok := c.readTyped(key, store.TypeString)
	if !ok {
		return false
	}
	if o == nil {
		c.w.Null()
	} else {
		c.w.Bulk(o.Str)
	}
	return true
}

// storeString is Redis's setKey for a key already looked up for writing (ref is its
// value or nil): it overwrites or adds o, drops the TTL unless keepTTL, and touches
// watchers.
func (c *Client) storeString(key []byte, ref *store.Object, o store.Object, keepTTL bool) {
	if ref != nil {
		o.LRU = ref.LRU
		*ref = o
		if !keepTTL {
			if db := c.db(); db.Expires.Len() > 0 {
				db.Expires.Delete(k(key))
			}
		}
	} else {
		c.dbAdd(key, o)
	}
	c.touch(key)
}

// setStringKey is setKey with its own write lookup (lazy expiry of the old value).
func (c *Client) setStringKey(key []byte, o store.Object) {
	c.storeString(key, c.lookupWrite(key), o, false)
}

func cmdGet(c *Client) {
	c.getGeneric(c.args[1])
}

func cmdSet(c *Client) {
	flags, expire, ok := parseStringOpts(c.args, 3, true)
	if !ok {
		c.err(ErrSyntax)
		return
	}
	c.setGeneric(flags, c.args[1], c.args[2], expire, false)
}

func cmdSetnx(c *Client) { c.setGeneric(optNX, c.args[1], c.args[2], nil, true) }

func cmdSetex(c *Client) { c.setGeneric(optEX, c.args[1], c.args[3], c.args[2], false) }

func cmdPsetex(c *Client) { c.setGeneric(optPX, c.args[1], c.args[3], c.args[2], false) }

// setGeneric is Redis's setGenericCommand. intReply selects SETNX's :1/:0 replies
// instead of +OK/null.
func (c *Client) setGeneric(flags strOpt, key, val, expire []byte, intReply bool) {
	var when int64
	if expire != nil {
		var ok bool
		if when, ok = c.expireMillis(expire, flags); !ok {
			return
		}
	}
	get := flags&optGet != 0
	if get && !c.getGeneric(key) {
		return
	}
	ref := c.lookupWrite(key)
	if (flags&optNX != 0 && ref != nil) || (flags&optXX != 0 && ref == nil) {
		switch {
		case get:
		case intReply:
			c.w.Int(0)
		default:
			c.w.Null()
		}
		return
	}
	c.storeString(key, ref, store.NewString(bytes.Clone(val)), flags&optKeepTTL != 0)
	c.addDirty(1)
	c.notify(NotifyString, "set", key)
	if expire != nil {
		c.setExpire(key, when)
		var tmp [20]byte
		c.propagate(argSET, key, val, argPXAT, strconv.AppendInt(tmp[:0], when, 10))
		c.notify(NotifyGeneric, "expire", key)
	}
	switch {
	case get:
		if expire == nil {
			c.propagateWithoutGet()
		}
	case intReply:
		c.w.Int(1)
	default:
		c.ok()
	}
}

// propagateWithoutGet propagates SET's arguments minus every GET option.
func (c *Client) propagateWithoutGet() {
	argv := make([][]byte, 0, len(c.args))
	for j, a := range c.args {
		if j >= 3 && isOpt(a, "get") {
			continue
		}
		argv = append(argv, a)
	}
	c.propagate(argv...)
}

func cmdGetset(c *Client) {
	key := c.args[1]
	if !c.getGeneric(key) {
		return
	}
	c.setStringKey(key, store.NewString(bytes.Clone(c.args[2])))
	c.notify(NotifyString, "set", key)
	c.addDirty(1)
	c.propagate(argSET, key, c.args[2])
}

// delArg returns DEL or UNLINK depending on a lazyfree option.
func delArg(lazy bool) []byte {
	if lazy {
		return argUnlink
	}
	return argDel
}

func cmdGetdel(c *Client) {
	key := c.args[1]
	if !c.getGeneric(key) {
		return
	}
	if c.dbDelete(key) {
		c.propagate(delArg(c.srv.cfg.LazyfreeLazyUserDel), key)
		c.touch(key)
		c.notify(NotifyGeneric, "del", key)
		c.addDirty(1)
	}
}

func cmdGetex(c *Client) {
	key := c.args[1]
	flags, expire, ok := parseStringOpts(c.args, 2, false)
	if !ok {
		c.err(ErrSyntax)
		return
	}
	o, ok := c.readTyped(key, store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	var when int64
	if expire != nil {
		if when, ok = c.expireMillis(expire, flags); !ok {
			return
		}
	}
	c.w.Bulk(o.Str)
	switch {
	case flags&(optEXAT|optPXAT) != 0 && when <= c.now() && !c.srv.isReplica():
		c.dbDelete(key)
		c.propagate(delArg(c.srv.cfg.LazyfreeLazyExpire), key)
		c.touch(key)
		c.notify(NotifyGeneric, "del", key)
		c.addDirty(1)
	case expire != nil:
		c.setExpire(key, when)
		var tmp [20]byte
		c.propagate(argPEXPIREAT, key, strconv.AppendInt(tmp[:0], when, 10))
		c.touch(key)
		c.notify(NotifyGeneric, "expire", key)
		c.addDirty(1)
	case flags&optPersist != 0:
		if c.removeExpire(key) {
			c.touch(key)
			c.propagate(argPERSIST, key)
			c.notify(NotifyGeneric, "persist", key)
			c.addDirty(1)
		}
	}
}

func cmdMget(c *Client) {
	keys := c.args[1:]
	c.w.Array(len(keys))
	for _, key := range keys {
		o := c.lookupRead(key)
		if o == nil || o.Type != store.TypeString {
			c.w.Null()
			continue
		}
		c.w.Bulk(o.Str)
	}
}

func cmdMset(c *Client) { c.msetGeneric(false) }

func cmdMsetnx(c *Client) { c.msetGeneric(true) }

func (c *Client) msetGeneric(nx bool) {
	if len(c.args)%2 == 0 {
		c.err(fmt.Sprintf(ErrWrongArgs, c.cmd.Name))
		return
	}
	if nx {
		for j := 1; j < len(c.args); j += 2 {
			if c.lookupWrite(c.args[j]) != nil {
				c.w.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(c.args); j += 2 {
		c.setStringKey(c.args[j], store.NewString(bytes.Clone(c.args[j+1])))
		c.notify(NotifyString, "set", c.args[j])
	}
	c.addDirty(int64(len(c.args)-1) / 2)
	if nx {
		c.w.Int(1)
	} else {
		c.ok()
	}
}

// checkStringLength refuses a string of size+add bytes over proto-max-bulk-len
// (except for our master's stream).
func (c *Client) checkStringLength(size, add int64) bool {
	if c.has(ClientMaster) {
		return true
	}
	total := int64(uint64(size) + uint64(add))
	if total > c.srv.cfg.ProtoMaxBulkLen || total < size || total < add {
		c.err(ErrStringTooLong)
		return false
	}
	return true
}

func cmdAppend(c *Client) {
	key, val := c.args[1], c.args[2]
	o, ok := c.writeTyped(key, store.TypeString)
	if !ok {
		return
	}
	var total int
	if o == nil {
		c.dbAdd(key, store.NewString(bytes.Clone(val)))
		total = len(val)
	} else {
		if !c.checkStringLength(int64(len(o.Str)), int64(len(val))) {
			return
		}
		o.Str = append(o.Str, val...)
		o.Enc = store.EncRaw
		total = len(o.Str)
	}
	c.touch(key)
	c.notify(NotifyString, "append", key)
	c.addDirty(1)
	c.w.Int(int64(total))
}

func cmdStrlen(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(len(o.Str)))
}

var emptyBulk = []byte{}

func cmdGetrange(c *Client) {
	start, ok1 := resp.ParseInt(c.args[2])
	if !ok1 {
		c.err(ErrNotInt)
		return
	}
	end, ok2 := resp.ParseInt(c.args[3])
	if !ok2 {
		c.err(ErrNotInt)
		return
	}
	o, ok := c.readTyped(c.args[1], store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		c.w.Bulk(emptyBulk)
		return
	}
	s := o.Str
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.w.Bulk(emptyBulk)
		return
	}
	r := clampBitRange(start, end, n, false) // the same clamping as BITCOUNT's byte mode
	if r.start > r.end || n == 0 {
		c.w.Bulk(emptyBulk)
		return
	}
	c.w.Bulk(s[r.start : r.end+1])
}

func cmdSetrange(c *Client) {
	key, val := c.args[1], c.args[3]
	offset, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if offset < 0 {
		c.err(ErrOffsetRange)
		return
	}
	o, ok := c.writeTyped(key, store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		if len(val) == 0 {
			c.w.Int(0)
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		buf := make([]byte, offset+int64(len(val)))
		copy(buf[offset:], val)
		o = c.dbAdd(key, store.NewRawString(buf))
	} else {
		if len(val) == 0 {
			c.w.Int(int64(len(o.Str)))
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		o.Str = growZero(o.Str, int(offset)+len(val))
		copy(o.Str[offset:], val)
		o.Enc = store.EncRaw
	}
	c.touch(key)
	c.notify(NotifyString, "setrange", key)
	c.addDirty(1)
	c.w.Int(int64(len(o.Str)))
}

// growZero extends b with zero bytes to at least n bytes (sdsgrowzero).
func growZero(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	if cap(b) >= n {
		old := len(b)
		b = b[:n]
		clear(b[old:])
		return b
	}
	return append(b, make([]byte, n-len(b))...)
}

func cmdIncr(c *Client) { c.incrDecr(1) }

func cmdDecr(c *Client) { c.incrDecr(-1) }

func cmdIncrby(c *Client) {
	incr, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	c.incrDecr(incr)
}

func cmdDecrby(c *Client) {
	incr, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if incr == math.MinInt64 {
		c.err(ErrDecrOverflow)
		return
	}
	c.incrDecr(-incr)
}

// incrDecr is Redis's incrDecrCommand. The value is updated in place (its TTL is kept).
func (c *Client) incrDecr(incr int64) {
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeString)
	if !ok {
		return
	}
	var value int64
	if o != nil {
		if value, ok = resp.ParseInt(o.Str); !ok {
			c.err(ErrNotInt)
			return
		}
	}
	if (incr < 0 && value < 0 && incr < math.MinInt64-value) ||
		(incr > 0 && value > 0 && incr > math.MaxInt64-value) {
		c.err(ErrIncrOverflow)
		return
	}
	value += incr
	if o != nil {
		o.Str = strconv.AppendInt(o.Str[:0], value, 10)
		o.Enc = store.EncInt
	} else {
		c.dbAdd(key, store.Object{Type: store.TypeString, Enc: store.EncInt, Str: strconv.AppendInt(nil, value, 10)})
	}
	c.touch(key)
	c.notify(NotifyString, "incrby", key)
	c.addDirty(1)
	c.w.Int(value)
}

func cmdIncrbyfloat(c *Client) {
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeString)
	if !ok {
		return
	}
	cur := store.LongDoubleZero()
	if o != nil {
		if cur, ok = store.ParseLongDouble(o.Str); !ok {
			c.err(ErrNotFloat)
			return
		}
	}
	incr, ok := store.ParseLongDouble(c.args[2])
	if !ok {
		c.err(ErrNotFloat)
		return
	}
	sum, ok := store.AddLongDouble(cur, incr)
	if !ok {
		c.err(ErrIncrNaNInf)
		return
	}
	out := store.AppendLongDouble(nil, sum)
	if o != nil {
		lru := o.LRU
		*o = store.NewEmbstrOrRaw(out)
		o.LRU = lru
	} else {
		c.dbAdd(key, store.NewEmbstrOrRaw(out))
	}
	c.touch(key)
	c.notify(NotifyString, "incrbyfloat", key)
	c.addDirty(1)
	c.w.Bulk(out)
	// a copy: the stored value may change later in the same execution unit (MULTI)
	c.propagate(argSET, key, bytes.Clone(out), argKEEPTTL)
}

// lcsOpts are LCS's options.
type lcsOpts struct {
	getLen, getIdx, withMatchLen bool
	minMatchLen                  int64
}

func cmdLcs(c *Client) {
	oa, ob := c.lookupRead(c.args[1]), c.lookupRead(c.args[2])
	if (oa != nil && oa.Type != store.TypeString) || (ob != nil && ob.Type != store.TypeString) {
		c.err(ErrLCSWrongType)
		return
	}
	var a, b []byte
	if oa != nil {
		a = oa.Str
	}
	if ob != nil {
		b = ob.Str
	}
	var opts lcsOpts
	for j := 3; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		switch opt := c.args[j]; {
		case isOpt(opt, "idx"):
			opts.getIdx = true
		case isOpt(opt, "len"):
			opts.getLen = true
		case isOpt(opt, "withmatchlen"):
			opts.withMatchLen = true
		case isOpt(opt, "minmatchlen") && more > 0:
			n, ok := resp.ParseInt(c.args[j+1])
			if !ok {
				c.err(ErrNotInt)
				return
			}
			opts.minMatchLen = max(n, 0)
			j++
		default:
			c.err(ErrSyntax)
			return
		}
	}
	if opts.getIdx && opts.getLen {
		c.err(ErrLCSIdxAndLen)
		return
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		c.err(ErrLCSTooLong)
		return
	}
	if size := uint64(len(a)+1) * uint64(len(b)+1) * 4; size > uint64(c.srv.cfg.ProtoMaxBulkLen) {
		c.err(ErrLCSMemory)
		return
	}
	c.lcsReply(a, b, opts)
}

// lcsReply replies as Redis's lcsCommand does: the LCS string, its length (LEN), or
// the matching ranges (IDX), emitted from the end of the strings backwards.
func (c *Client) lcsReply(a, b []byte, opts lcsOpts) {
	if opts.getLen {
		_, _, n := store.LCS(a, b, false, 0)
		c.w.Int(int64(n))
		return
	}
	result, matches, n := store.LCS(a, b, opts.getIdx, opts.minMatchLen)
	if !opts.getIdx {
		c.w.Bulk(result)
		return
	}
	c.w.Map(2)
	c.w.BulkString("matches")
	c.w.Array(len(matches))
	for _, m := range matches {
		if opts.withMatchLen {
			c.w.Array(3)
		} else {
			c.w.Array(2)
		}
		c.w.Array(2)
		c.w.Int(int64(m.AStart))
		c.w.Int(int64(m.AEnd))
		c.w.Array(2)
		c.w.Int(int64(m.BStart))
		c.w.Int(int64(m.BEnd))
		if opts.withMatchLen {
			c.w.Int(int64(m.AEnd - m.AStart + 1))
		}
	}
	c.w.BulkString("len")
	c.w.Int(int64(n))
}
