package server

import (
	"math"
	"math/bits"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// bitmapCommands returns SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
func bitmapCommands() []*Command {
	cmd := func(name string, arity int, flags Flag, first, last int, h Handler) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Handler: h, Group: "bitmap"}
	}
	return []*Command{
		cmd("setbit", 4, FlagWrite|FlagDenyOOM|FlagGrowsByOffset, 1, 1, cmdSetbit),
		cmd("getbit", 3, FlagReadonly|FlagFast, 1, 1, cmdGetbit),
		cmd("bitcount", -2, FlagReadonly, 1, 1, cmdBitcount),
		cmd("bitpos", -3, FlagReadonly, 1, 1, cmdBitpos),
		cmd("bitop", -4, FlagWrite|FlagDenyOOM, 2, -1, cmdBitop),
		cmd("bitfield", -2, FlagWrite|FlagDenyOOM|FlagGrowsByOffset, 1, 1, cmdBitfield),
		cmd("bitfield_ro", -2, FlagReadonly|FlagFast, 1, 1, cmdBitfieldRO),
	}
}

// bitOffset is getBitOffsetFromArgument: a bit offset, or with hash and bits > 0 the
// "#n" form meaning n*bits. Offsets at or beyond proto-max-bulk-len bytes are refused.
func (c *Client) bitOffset(arg []byte, hash bool, width int) (uint64, bool) {
	p := arg
	useHash := hash && width > 0 && len(p) > 0 && p[0] == '#'
	if useHash {
		p = p[1:]
	}
	v, ok := resp.ParseInt(p)
	if !ok {
		c.err(ErrBitOffset)
		return 0, false
	}
	if useHash {
		v *= int64(width)
	}
	if v < 0 || (!c.has(ClientMaster) && v>>3 >= c.srv.cfg.ProtoMaxBulkLen) {
		c.err(ErrBitOffset)
		return 0, false
	}
	return uint64(v), true
}

// stringForBits is lookupStringForBitCommand: the string at key made raw and grown with
// zeros to hold bit maxbit (created if missing). grown reports a new key or a longer value.
func (c *Client) stringForBits(key []byte, maxbit uint64) (o *store.Object, grown, ok bool) {
	need := int(maxbit>>3) + 1
	o, ok = c.writeTyped(key, store.TypeString)
	if !ok {
		return nil, false, false
	}
	if o == nil {
		return c.dbAdd(key, store.NewRawString(make([]byte, need))), true, true
	}
	o.Enc = store.EncRaw
	if len(o.Str) < need {
		o.Str = growZero(o.Str, need)
		grown = true
	}
	return o, grown, true
}

func cmdSetbit(c *Client) {
	key := c.args[1]
	off, ok := c.bitOffset(c.args[2], false, 0)
	if !ok {
		return
	}
	on, ok := resp.ParseInt(c.args[3])
	if !ok || on&^1 != 0 {
		c.err(ErrBitValue)
		return
	}
	o, grown, ok := c.stringForBits(key, off)
	if !ok {
		return
	}
	byteIdx := off >> 3
	shift := 7 - off&7
	old := (o.Str[byteIdx] >> shift) & 1
	if grown || int64(old) != on {
		o.Str[byteIdx] = o.Str[byteIdx]&^(1<<shift) | byte(on)<<shift
		c.touch(key)
		c.notify(NotifyString, "setbit", key)
		c.addDirty(1)
	}
	c.w.Int(int64(old))
}

func cmdGetbit(c *Client) {
	off, ok := c.bitOffset(c.args[2], false, 0)
	if !ok {
		return
	}
	o, ok := c.readTyped(c.args[1], store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	byteIdx := off >> 3
	var bit byte
	if byteIdx < uint64(len(o.Str)) {
		bit = (o.Str[byteIdx] >> (7 - off&7)) & 1
	}
	c.w.Int(int64(bit))
}

// bitRange is the parsed [start end [BYTE|BIT]] range of BITCOUNT and BITPOS.
type bitRange struct {
	start, end int64 // byte indexes, after clamping
	firstMask  byte  // bits of the first byte outside the range (BIT mode)
	lastMask   byte  // bits of the last byte outside the range (BIT mode)
}

// clampBitRange converts negative indexes and clamps to a string of n bytes, as
// bitcountCommand and bitposCommand do; in BIT mode it computes the edge masks.
func clampBitRange(start, end, n int64, isBit bool) bitRange {
	total := n
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= total {
		end = total - 1
	}
	r := bitRange{start: start, end: end}
	if isBit && start <= end {
		r.firstMask = ^byte((1 << (8 - start&7)) - 1)
		r.lastMask = byte((1 << (7 - end&7)) - 1)
		r.start >>= 3
		r.end >>= 3
	}
	return r
}

// parseBitUnit parses BYTE or BIT; ok is false on anything else.
func parseBitUnit(b []byte) (isBit, ok bool) {
	switch {
	case isOpt(b, "bit"):
		return true, true
	case isOpt(b, "byte"):
		return false, true
	}
	return false, false
}

func cmdBitcount(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeString)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	p := o.Str
	var r bitRange
	switch len(c.args) {
	case 2:
		r = bitRange{start: 0, end: int64(len(p)) - 1}
	case 4, 5:
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
		isBit := false
		if len(c.args) == 5 {
			if isBit, ok = parseBitUnit(c.args[4]); !ok {
				c.err(ErrSyntax)
				return
			}
		}
		if start < 0 && end < 0 && start > end {
			c.w.Int(0)
			return
		}
		r = clampBitRange(start, end, int64(len(p)), isBit)
	default:
		c.err(ErrSyntax)
		return
	}
	if r.start > r.end {
		c.w.Int(0)
		return
	}
	count := popcount(p[r.start : r.end+1])
	count -= int64(bits.OnesCount8(p[r.start]&r.firstMask) + bits.OnesCount8(p[r.end]&r.lastMask))
	c.w.Int(count)
}

func popcount(p []byte) int64 {
	n := 0
	for len(p) >= 8 {
		n += bits.OnesCount64(uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56)
		p = p[8:]
	}
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

func cmdBitpos(c *Client) {
	bit, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.err(ErrBitArg)
		return
	}
	o := c.lookupRead(c.args[1])
	if o == nil {
		if bit == 1 {
			c.w.Int(-1)
		} else {
			c.w.Int(0)
		}
		return
	}
	if o.Type != store.TypeString {
		c.err(ErrWrongType)
		return
	}
	p := o.Str
	n := int64(len(p))
	endGiven := false
	var r bitRange
	switch len(c.args) {
	case 3:
		r = bitRange{start: 0, end: n - 1}
	case 4, 5, 6:
		start, ok := resp.ParseInt(c.args[3])
		if !ok {
			c.err(ErrNotInt)
			return
		}
		isBit := false
		if len(c.args) == 6 {
			if isBit, ok = parseBitUnit(c.args[5]); !ok {
				c.err(ErrSyntax)
				return
			}
		}
		end := n - 1
		if len(c.args) >= 5 {
			if end, ok = resp.ParseInt(c.args[4]); !ok {
				c.err(ErrNotInt)
				return
			}
			endGiven = true
		}
		r = clampBitRange(start, end, n, isBit)
	default:
		c.err(ErrSyntax)
		return
	}
	if r.start > r.end {
		c.w.Int(-1)
		return
	}
	c.w.Int(bitposInRange(p, r, byte(bit), endGiven))
}

// bitposInRange finds the first bit equal to bit in the bytes r.start..r.end, ignoring
// the bits masked out at the edges. When no bit is found: -1, except that looking for 0
// without an explicit end answers the first bit after the string (zero padding).
func bitposInRange(p []byte, r bitRange, bit byte, endGiven bool) int64 {
	for i := r.start; i <= r.end; i++ {
		b := p[i]
		var ignore byte
		if i == r.start {
			ignore |= r.firstMask
		}
		if i == r.end {
			ignore |= r.lastMask
		}
		if bit == 1 {
			b &^= ignore
		} else {
			b = ^(b | ignore)
		}
		if b != 0 {
			return i<<3 + int64(bits.LeadingZeros8(b))
		}
	}
	if bit == 1 || endGiven {
		return -1
	}
	return (r.end + 1) << 3
}

// BITOP operations.
const (
	bitopAnd = iota
	bitopOr
	bitopXor
	bitopNot
)

func cmdBitop(c *Client) {
	var op int
	switch name := c.args[1]; {
	case isOpt(name, "and"):
		op = bitopAnd
	case isOpt(name, "or"):
		op = bitopOr
	case isOpt(name, "xor"):
		op = bitopXor
	case isOpt(name, "not"):
		op = bitopNot
	default:
		c.err(ErrSyntax)
		return
	}
	if op == bitopNot && len(c.args) != 4 {
		c.err(ErrBitopNot)
		return
	}
	target := c.args[2]
	srcKeys := c.args[3:]
	srcs := make([][]byte, len(srcKeys))
	maxLen := 0
	for i, key := range srcKeys {
		o := c.lookupRead(key)
		if o == nil {
			continue
		}
		if o.Type != store.TypeString {
			c.err(ErrWrongType)
			return
		}
		srcs[i] = o.Str
		maxLen = max(maxLen, len(o.Str))
	}
	if maxLen == 0 {
		if c.dbDelete(target) {
			c.touch(target)
			c.notify(NotifyGeneric, "del", target)
			c.addDirty(1)
		}
		c.w.Int(0)
		return
	}
	res := make([]byte, maxLen)
	bitopCompute(res, srcs, op)
	c.setStringKey(target, store.NewRawString(res))
	c.notify(NotifyString, "set", target)
	c.addDirty(1)
	c.w.Int(int64(maxLen))
}

// bitopCompute fills res with op applied to srcs; missing bytes count as zero.
func bitopCompute(res []byte, srcs [][]byte, op int) {
	if op == bitopNot {
		s := srcs[0]
		for i := range res {
			res[i] = ^s[i]
		}
		return
	}
	copy(res, srcs[0])
	for _, s := range srcs[1:] {
		switch op {
		case bitopAnd:
			for i := range res {
				if i < len(s) {
					res[i] &= s[i]
				} else {
					res[i] = 0
				}
			}
		case bitopOr:
			for i := range s {
				res[i] |= s[i]
			}
		case bitopXor:
			for i := range s {
				res[i] ^= s[i]
			}
		}
	}
}

// BITFIELD.

const (
	bfGet = iota
	bfSet
	bfIncrby
)

const (
	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	offset   uint64
	value    int64 // SET value or INCRBY increment
	opcode   int
	overflow int
	bits     int
	signed   bool
}

func cmdBitfield(c *Client) { c.bitfieldGeneric(false) }

func cmdBitfieldRO(c *Client) { c.bitfieldGeneric(true) }

// bitfieldType is getBitfieldTypeFromArgument: i1..i64 or u1..u63.
func (c *Client) bitfieldType(arg []byte) (signed bool, width int, ok bool) {
	p := cstr(arg)
	if len(p) == 0 || (p[0] != 'i' && p[0] != 'u') {
		c.err(ErrBitfieldType)
		return false, 0, false
	}
	signed = p[0] == 'i'
	n, ok := resp.ParseInt(p[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.err(ErrBitfieldType)
		return false, 0, false
	}
	return signed, int(n), true
}

// parseBitfieldOps parses BITFIELD's subcommands, replying any error itself.
func (c *Client) parseBitfieldOps() (ops []bitfieldOp, readonly bool, highest uint64, ok bool) {
	overflow := bfWrap
	readonly = true
	args := c.args
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var op bitfieldOp
		switch sub := args[j]; {
		case isOpt(sub, "get") && rem >= 2:
			op.opcode = bfGet
		case isOpt(sub, "set") && rem >= 3:
			op.opcode = bfSet
		case isOpt(sub, "incrby") && rem >= 3:
			op.opcode = bfIncrby
		case isOpt(sub, "overflow") && rem >= 1:
			j++
			switch t := args[j]; {
			case isOpt(t, "wrap"):
				overflow = bfWrap
			case isOpt(t, "sat"):
				overflow = bfSat
			case isOpt(t, "fail"):
				overflow = bfFail
			default:
				c.err(ErrBitfieldOverflow)
				return nil, false, 0, false
			}
			continue
		default:
			c.err(ErrSyntax)
			return nil, false, 0, false
		}
		if op.signed, op.bits, ok = c.bitfieldType(args[j+1]); !ok {
			return nil, false, 0, false
		}
		if op.offset, ok = c.bitOffset(args[j+2], true, op.bits); !ok {
			return nil, false, 0, false
		}
		if op.opcode != bfGet {
			readonly = false
			highest = max(highest, op.offset+uint64(op.bits)-1)
			if op.value, ok = resp.ParseInt(args[j+3]); !ok {
				c.err(ErrNotInt)
				return nil, false, 0, false
			}
			j++
		}
		op.overflow = overflow
		ops = append(ops, op)
		j += 2
	}
	return ops, readonly, highest, true
}

func (c *Client) bitfieldGeneric(roCommand bool) {
	key := c.args[1]
	ops, readonly, highest, ok := c.parseBitfieldOps()
	if !ok {
		return
	}
	var o *store.Object
	grown := false
	if readonly {
		if o, ok = c.readTyped(key, store.TypeString); !ok {
			return
		}
	} else {
		if roCommand {
			c.err(ErrBitfieldROWrite)
			return
		}
		if o, grown, ok = c.stringForBits(key, highest); !ok {
			return
		}
	}
	c.w.Array(len(ops))
	changes := int64(0)
	for i := range ops {
		op := &ops[i]
		if op.opcode == bfGet {
			var p []byte
			if o != nil {
				p = o.Str
			}
			v := getUnsignedBitfield(p, op.offset, op.bits)
			if op.signed {
				c.w.Int(signExtend(v, op.bits))
			} else {
				c.w.Int(int64(v))
			}
			continue
		}
		reply, out, changed, write := bitfieldWrite(o.Str, op)
		if !write {
			c.w.Null()
			continue
		}
		c.w.Int(reply)
		setUnsignedBitfield(o.Str, op.offset, op.bits, out)
		if grown || changed {
			changes++
		}
	}
	if changes > 0 {
		c.touch(key)
		c.notify(NotifyString, "setbit", key)
		c.addDirty(changes)
	}
}

// bitfieldWrite computes a SET or INCRBY: the reply, the bits to store, whether the
// value changes and whether to write at all (false on overflow with OVERFLOW FAIL).
func bitfieldWrite(p []byte, op *bitfieldOp) (reply int64, bits uint64, changed, write bool) {
	old := getUnsignedBitfield(p, op.offset, op.bits)
	if op.signed {
		oldval := signExtend(old, op.bits)
		var newval, wrapped int64
		var overflow bool
		if op.opcode == bfIncrby {
			overflow, wrapped = signedOverflow(oldval, op.value, op.bits, op.overflow)
			newval = oldval + op.value
			if overflow {
				newval = wrapped
			}
			reply = newval
		} else {
			newval = op.value
			overflow, wrapped = signedOverflow(newval, 0, op.bits, op.overflow)
			if overflow {
				newval = wrapped
			}
			reply = oldval
		}
		return reply, uint64(newval), oldval != newval, !(overflow && op.overflow == bfFail)
	}
	var newval, wrapped uint64
	var overflow bool
	if op.opcode == bfIncrby {
		newval = old + uint64(op.value)
		overflow, wrapped = unsignedOverflow(old, op.value, op.bits, op.overflow)
		if overflow {
			newval = wrapped
		}
		reply = int64(newval)
	} else {
		newval = uint64(op.value)
		overflow, wrapped = unsignedOverflow(newval, 0, op.bits, op.overflow)
		if overflow {
			newval = wrapped
		}
		reply = int64(old)
	}
	return reply, newval, old != newval, !(overflow && op.overflow == bfFail)
}

// unsignedOverflow is checkUnsignedBitfieldOverflow.
func unsignedOverflow(value uint64, incr int64, width int, owtype int) (bool, uint64) {
	maxv := uint64(1)<<width - 1
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << width) }
	switch {
	case value > maxv || (incr > 0 && incr > maxincr):
		switch owtype {
		case bfWrap:
			return true, wrap()
		case bfSat:
			return true, maxv
		}
		return true, 0
	case incr < 0 && incr < minincr:
		switch owtype {
		case bfWrap:
			return true, wrap()
		case bfSat:
			return true, 0
		}
		return true, 0
	}
	return false, 0
}

// signedOverflow is checkSignedBitfieldOverflow.
func signedOverflow(value, incr int64, width int, owtype int) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if width != 64 {
		maxv = int64(1)<<(width-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() int64 {
		r := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if r&(uint64(1)<<(width-1)) != 0 {
				r |= mask
			} else {
				r &^= mask
			}
		}
		return int64(r)
	}
	switch {
	case value > maxv || (width != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		switch owtype {
		case bfWrap:
			return true, wrap()
		case bfSat:
			return true, maxv
		}
		return true, 0
	case value < minv || (width != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		switch owtype {
		case bfWrap:
			return true, wrap()
		case bfSat:
			return true, minv
		}
		return true, 0
	}
	return false, 0
}

// getUnsignedBitfield reads width bits at bit offset, most significant first; bits
// beyond p read as zero.
func getUnsignedBitfield(p []byte, offset uint64, width int) uint64 {
	var v uint64
	for j := 0; j < width; j++ {
		byteIdx := offset >> 3
		var bit uint64
		if byteIdx < uint64(len(p)) {
			bit = uint64(p[byteIdx]>>(7-offset&7)) & 1
		}
		v = v<<1 | bit
		offset++
	}
	return v
}

// setUnsignedBitfield writes the low width bits of v at bit offset (p is large enough).
func setUnsignedBitfield(p []byte, offset uint64, width int, v uint64) {
	for j := 0; j < width; j++ {
		bit := byte(v>>(width-1-j)) & 1
		byteIdx := offset >> 3
		shift := 7 - offset&7
		p[byteIdx] = p[byteIdx]&^(1<<shift) | bit<<shift
		offset++
	}
}

// signExtend interprets the low width bits of v as a two's complement number.
func signExtend(v uint64, width int) int64 {
	if width < 64 && v&(uint64(1)<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}
