package rdb

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"strconv"

	"github.com/vigil-db/vigil/internal/strint"
)

// Options choose encodings, mirroring the server's configuration.
type Options struct {
	// Compress enables LZF for strings longer than 20 bytes (rdbcompression).
	Compress bool
	// Checksum writes the CRC-64 trailer (rdbchecksum); otherwise 0 is written.
	Checksum bool
	// HashMaxListpackEntries/Value, ZSetMaxListpackEntries/Value, SetMaxIntsetEntries and
	// ListMaxListpackSize choose compact encodings as Redis does (0 = Redis's defaults).
	HashMaxListpackEntries, HashMaxListpackValue int
	ZSetMaxListpackEntries, ZSetMaxListpackValue int
	SetMaxIntsetEntries                          int
}

func (o *Options) defaults() {
	if o.HashMaxListpackEntries == 0 {
		o.HashMaxListpackEntries = 128
	}
	if o.HashMaxListpackValue == 0 {
		o.HashMaxListpackValue = 64
	}
	if o.ZSetMaxListpackEntries == 0 {
		o.ZSetMaxListpackEntries = 128
	}
	if o.ZSetMaxListpackValue == 0 {
		o.ZSetMaxListpackValue = 64
	}
	if o.SetMaxIntsetEntries == 0 {
		o.SetMaxIntsetEntries = 512
	}
}

// Encoder writes an RDB version 10 stream.
type Encoder struct {
	w   *bufio.Writer
	cw  *crcWriter
	opt Options
	err error
	lzf lzfScratch
}

// crcWriter computes the checksum over what the buffered writer flushes: large chunks,
// which the slicing-by-8 CRC handles fast.
type crcWriter struct {
	w   io.Writer
	crc uint64
	on  bool
}

func (c *crcWriter) Write(p []byte) (int, error) {
	if c.on {
		c.crc = CRC64(c.crc, p)
	}
	return c.w.Write(p)
}

// DropScratch lets the memory the encoder keeps for compression go (it stays usable).
func (e *Encoder) DropScratch() { e.lzf = lzfScratch{} }

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer, opt Options) *Encoder {
	opt.defaults()
	cw := &crcWriter{w: w, on: opt.Checksum}
	return &Encoder{w: bufio.NewWriterSize(cw, 64<<10), cw: cw, opt: opt}
}

// Flush writes buffered bytes to the underlying writer.
func (e *Encoder) Flush() error {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

func (e *Encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	_, e.err = e.w.Write(p)
}

func (e *Encoder) writeByte(b byte) { e.write([]byte{b}) }

func (e *Encoder) writeLen(n uint64) {
	var b [9]byte
	switch {
	case n < 1<<6:
		b[0] = byte(n)
		e.write(b[:1])
	case n < 1<<14:
		b[0] = byte(n>>8) | 0x40
		b[1] = byte(n)
		e.write(b[:2])
	case n <= math.MaxUint32:
		b[0] = 0x80
		binary.BigEndian.PutUint32(b[1:], uint32(n))
		e.write(b[:5])
	default:
		b[0] = 0x81
		binary.BigEndian.PutUint64(b[1:], n)
		e.write(b[:9])
	}
}

// canonicalInt reports whether s is the canonical decimal form of an int64 (no sign but
// '-', no leading zeros, no "-0"), without allocating.
func canonicalInt(s []byte) (int64, bool) { return strint.Parse(s) }

// writeString writes a string object with Redis's choice of encoding.
func (e *Encoder) writeString(s []byte) {
	if len(s) <= 11 {
		if v, ok := canonicalInt(s); ok {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				e.write([]byte{0xC0 | encInt8, byte(int8(v))})
				return
			case v >= math.MinInt16 && v <= math.MaxInt16:
				var b [3]byte
				b[0] = 0xC0 | encInt16
				binary.LittleEndian.PutUint16(b[1:], uint16(int16(v)))
				e.write(b[:])
				return
			case v >= math.MinInt32 && v <= math.MaxInt32:
				var b [5]byte
				b[0] = 0xC0 | encInt32
				binary.LittleEndian.PutUint32(b[1:], uint32(int32(v)))
				e.write(b[:])
				return
			}
		}
	}
	if e.opt.Compress && len(s) > 20 {
		if c := lzfCompress(s, len(s)-4, &e.lzf); c != nil {
			e.writeByte(0xC0 | encLZF)
			e.writeLen(uint64(len(c)))
			e.writeLen(uint64(len(s)))
			e.write(c)
			return
		}
	}
	e.writeLen(uint64(len(s)))
	e.write(s)
}

// Header writes the magic and the AUX fields in order.
func (e *Encoder) Header(aux [][2]string) error {
	e.write([]byte("REDIS0010"))
	for _, kv := range aux {
		e.writeByte(opAux)
		e.writeString([]byte(kv[0]))
		e.writeString([]byte(kv[1]))
	}
	return e.err
}

// SelectDB starts database db, announcing its sizes.
func (e *Encoder) SelectDB(db int, keys, expires int) error {
	e.writeByte(opSelectDB)
	e.writeLen(uint64(db))
	e.writeByte(opResizeDB)
	e.writeLen(uint64(keys))
	e.writeLen(uint64(expires))
	return e.err
}

// Entry writes one key.
func (e *Encoder) Entry(en *Entry) error {
	if en.ExpireMs >= 0 {
		var b [9]byte
		b[0] = opExpireMs
		binary.LittleEndian.PutUint64(b[1:], uint64(en.ExpireMs))
		e.write(b[:])
	}
	if en.Idle >= 0 {
		e.writeByte(opIdle)
		e.writeLen(uint64(en.Idle))
	}
	if en.Freq >= 0 {
		e.writeByte(opFreq)
		e.writeByte(byte(en.Freq))
	}
	e.writeValueHeader(en)
	e.writeString(en.Key)
	e.writeValue(en)
	return e.err
}

// valueType is the RDB type Entry will be written with.
func (e *Encoder) valueType(en *Entry) byte {
	switch en.Kind {
	case KindString:
		return typeString
	case KindList:
		return typeListQuicklist2
	case KindSet:
		if len(en.Elems) <= e.opt.SetMaxIntsetEntries && allInts(en.Elems) {
			return typeSetIntset
		}
		return typeSet
	case KindHash:
		if len(en.Pairs)/2 <= e.opt.HashMaxListpackEntries && allShort(en.Pairs, e.opt.HashMaxListpackValue) {
			return typeHashListpack
		}
		return typeHash
	default:
		if len(en.ZSet) <= e.opt.ZSetMaxListpackEntries && zsetShort(en.ZSet, e.opt.ZSetMaxListpackValue) {
			return typeZSetListpack
		}
		return typeZSet2
	}
}

func (e *Encoder) writeValueHeader(en *Entry) { e.writeByte(e.valueType(en)) }

// WriteValue writes only a value (type byte excluded), as DUMP's payload needs.
func (e *Encoder) writeValue(en *Entry) {
	switch t := e.valueType(en); t {
	case typeString:
		e.writeString(en.Str)
	case typeListQuicklist2:
		e.writeQuicklist(en.Elems)
	case typeSetIntset:
		e.writeString(encodeIntset(en.Elems))
	case typeSet:
		e.writeLen(uint64(len(en.Elems)))
		for _, m := range en.Elems {
			e.writeString(m)
		}
	case typeHashListpack:
		e.writeString(encodeListpack(en.Pairs))
	case typeHash:
		e.writeLen(uint64(len(en.Pairs) / 2))
		for _, s := range en.Pairs {
			e.writeString(s)
		}
	case typeZSetListpack:
		items := make([][]byte, 0, 2*len(en.ZSet))
		for _, m := range en.ZSet {
			items = append(items, m.Member, formatScore(m.Score))
		}
		e.writeString(encodeListpack(items))
	case typeZSet2:
		e.writeLen(uint64(len(en.ZSet)))
		var b [8]byte
		for i := len(en.ZSet) - 1; i >= 0; i-- { // Redis writes highest score first
			e.writeString(en.ZSet[i].Member)
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(en.ZSet[i].Score))
			e.write(b[:])
		}
	}
}

// writeQuicklist writes a QUICKLIST_2 list of packed listpack nodes of up to 8 KB
// (list-max-listpack-size -2), large elements as PLAIN nodes.
func (e *Encoder) writeQuicklist(elems [][]byte) {
	var nodes [][][]byte
	var cur [][]byte
	size := 0
	var plain []int
	for _, el := range elems {
		if len(el) >= 1<<30 {
			if len(cur) > 0 {
				nodes, cur, size = append(nodes, cur), nil, 0
			}
			plain = append(plain, len(nodes))
			nodes = append(nodes, [][]byte{el})
			continue
		}
		if len(cur) > 0 && size+len(el)+11 > 8192 {
			nodes, cur, size = append(nodes, cur), nil, 0
		}
		cur = append(cur, el)
		size += len(el) + 11
	}
	if len(cur) > 0 {
		nodes = append(nodes, cur)
	}
	e.writeLen(uint64(len(nodes)))
	pi := 0
	for i, n := range nodes {
		if pi < len(plain) && plain[pi] == i {
			pi++
			e.writeLen(1)
			e.writeString(n[0])
			continue
		}
		e.writeLen(2)
		e.writeString(encodeListpack(n))
	}
}

// Finish writes the EOF opcode and the checksum, and flushes.
func (e *Encoder) Finish() error {
	e.writeByte(opEOF)
	if e.Flush() != nil {
		return e.err
	}
	var b [8]byte
	if e.opt.Checksum {
		binary.LittleEndian.PutUint64(b[:], e.cw.crc)
	}
	_, e.err = e.cw.w.Write(b[:])
	return e.err
}

func allInts(items [][]byte) bool {
	for _, s := range items {
		if _, ok := canonicalInt(s); !ok {
			return false
		}
	}
	return true
}

func allShort(items [][]byte, max int) bool {
	for _, s := range items {
		if len(s) > max {
			return false
		}
	}
	return true
}

func zsetShort(z []ZMember, max int) bool {
	for _, m := range z {
		if len(m.Member) > max {
			return false
		}
	}
	return true
}

// formatScore formats a score as Redis 7.0's zzlInsertAt stores it in a listpack: whole
// numbers within +-2^62 as integers (double2ll; -0 becomes 0), others with %.17g.
func formatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	if f == math.Trunc(f) && f >= -(1<<62) && f <= 1<<62 {
		return strconv.AppendInt(nil, int64(f), 10)
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}

func encodeIntset(items [][]byte) []byte {
	vals := make([]int64, len(items))
	width := 2
	for i, s := range items {
		v, _ := canonicalInt(s)
		vals[i] = v
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			width = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && width < 4:
			width = 4
		}
	}
	sortInt64(vals)
	b := make([]byte, 8+width*len(vals))
	binary.LittleEndian.PutUint32(b, uint32(width))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(vals)))
	for i, v := range vals {
		p := b[8+i*width:]
		switch width {
		case 2:
			binary.LittleEndian.PutUint16(p, uint16(int16(v)))
		case 4:
			binary.LittleEndian.PutUint32(p, uint32(int32(v)))
		default:
			binary.LittleEndian.PutUint64(p, uint64(v))
		}
	}
	return b
}

func sortInt64(v []int64) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// encodeListpack builds a listpack of items, storing canonical integers as integers.
func encodeListpack(items [][]byte) []byte {
	b := make([]byte, 6, 7+len(items)*4)
	for _, s := range items {
		start := len(b)
		if v, ok := canonicalInt(s); ok {
			switch {
			case v >= 0 && v <= 127:
				b = append(b, byte(v))
			case v >= -4096 && v <= 4095:
				u := uint16(v) & 0x1fff
				b = append(b, 0xC0|byte(u>>8), byte(u))
			case v >= -32768 && v <= 32767:
				b = append(b, 0xF1, byte(v), byte(v>>8))
			case v >= -8388608 && v <= 8388607:
				b = append(b, 0xF2, byte(v), byte(v>>8), byte(v>>16))
			case v >= math.MinInt32 && v <= math.MaxInt32:
				b = append(b, 0xF3, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
			default:
				b = append(b, 0xF4)
				b = binary.LittleEndian.AppendUint64(b, uint64(v))
			}
		} else {
			n := len(s)
			switch {
			case n < 64:
				b = append(b, 0x80|byte(n))
			case n < 4096:
				b = append(b, 0xE0|byte(n>>8), byte(n))
			default:
				b = append(b, 0xF0)
				b = binary.LittleEndian.AppendUint32(b, uint32(n))
			}
			b = append(b, s...)
		}
		b = appendBacklen(b, len(b)-start)
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	n := len(items)
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(n))
	return b
}

// appendBacklen appends the backward length of an entry of l bytes.
func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	default:
		return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
}
