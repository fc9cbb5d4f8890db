package rdb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Decoder reads a dump. Call Header once, then Next until it returns io.EOF (after the
// EOF opcode and a verified checksum).
type Decoder struct {
	r       *bufio.Reader
	crc     uint64
	Version int
	// Aux holds the AUX fields in file order (key, value pairs).
	Aux [][2]string
	// Warnings collects what was skipped (module aux data, function libraries, empty keys).
	Warnings []string
	// ResizeHint, if set, receives each RESIZEDB record: the database about to be read
	// and its key and expiry counts, so that the loader can size its tables.
	ResizeHint func(db, keys, expires int)
	// SkipChecksum disables the CRC check (rdbchecksum no on the loading side).
	SkipChecksum bool
	// Functions collects FUNCTION2 library payloads (skipped by the server with a warning).
	Functions [][]byte

	db       int
	expire   int64
	idle     int64
	freq     int
	done     bool
	scratch  [8]byte
	maxAlloc int
	free     []*Entry // entries given back by Recycle
	consumed int64    // bytes of the dump decoded so far
}

// Consumed returns how many bytes of the dump the decoder has decoded so far (what
// Redis's loader counts against loading-process-events-interval-bytes).
func (d *Decoder) Consumed() int64 { return d.consumed }

// Recycle gives e back to the decoder, which reuses it for a later entry instead
// of allocating one. The caller must not use e afterwards; the slices e held are
// not touched (only the fields are cleared), so values taken from them stay valid.
func (d *Decoder) Recycle(e *Entry) {
	if e != nil && len(d.free) < 4096 {
		*e = Entry{}
		d.free = append(d.free, e)
	}
}

// NewDecoder returns a decoder reading r.
func NewDecoder(r io.Reader) *Decoder {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Decoder{r: br, expire: -1, idle: -1, freq: -1, maxAlloc: 1 << 16}
}

func (d *Decoder) read(p []byte) error {
	if _, err := io.ReadFull(d.r, p); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: unexpected end of file", ErrCorrupt)
		}
		return err
	}
	d.consumed += int64(len(p))
	d.crc = CRC64(d.crc, p)
	return nil
}

func (d *Decoder) byte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, fmt.Errorf("%w: unexpected end of file", ErrCorrupt)
		}
		return 0, err
	}
	d.consumed++
	d.scratch[0] = b
	d.crc = CRC64(d.crc, d.scratch[:1])
	return b, nil
}

// Header reads and checks the "REDIS0010" magic.
func (d *Decoder) Header() error {
	var magic [9]byte
	if err := d.read(magic[:]); err != nil {
		return err
	}
	if string(magic[:5]) != "REDIS" {
		return ErrSignature
	}
	v, err := strconv.Atoi(string(magic[5:]))
	if err != nil {
		return ErrSignature
	}
	if v < 1 || v > Version {
		return &VersionError{v}
	}
	d.Version = v
	return nil
}

// readLen reads a length; encoded reports the special string encodings (11xxxxxx).
func (d *Decoder) readLen() (n uint64, encoded bool, err error) {
	b, err := d.byte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		b2, err := d.byte()
		return uint64(b&0x3f)<<8 | uint64(b2), false, err
	case 3:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case 0x80:
		var buf [4]byte
		err := d.read(buf[:])
		return uint64(binary.BigEndian.Uint32(buf[:])), false, err
	case 0x81:
		var buf [8]byte
		err := d.read(buf[:])
		return binary.BigEndian.Uint64(buf[:]), false, err
	}
	return 0, false, fmt.Errorf("%w: unknown length encoding %#x", ErrCorrupt, b)
}

func (d *Decoder) length() (int, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if enc || n > math.MaxInt32*4 {
		return 0, fmt.Errorf("%w: bad length", ErrCorrupt)
	}
	return int(n), nil
}

// readBytes reads n raw bytes without trusting n for a single huge allocation.
func (d *Decoder) readBytes(n int) ([]byte, error) {
	if n <= d.maxAlloc {
		b := make([]byte, n)
		return b, d.read(b)
	}
	var out []byte
	chunk := make([]byte, d.maxAlloc)
	for n > 0 {
		c := min(n, len(chunk))
		if err := d.read(chunk[:c]); err != nil {
			return nil, err
		}
		out = append(out, chunk[:c]...)
		n -= c
	}
	return out, nil
}

// readString reads a string object (raw, integer-encoded or LZF).
func (d *Decoder) readString() ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if !enc {
		if n > 1<<40 {
			return nil, fmt.Errorf("%w: string length %d", ErrCorrupt, n)
		}
		return d.readBytes(int(n))
	}
	switch n {
	case encInt8:
		b, err := d.byte()
		return strconv.AppendInt(nil, int64(int8(b)), 10), err
	case encInt16:
		var buf [2]byte
		err := d.read(buf[:])
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(buf[:]))), 10), err
	case encInt32:
		var buf [4]byte
		err := d.read(buf[:])
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(buf[:]))), 10), err
	case encLZF:
		clen, err := d.length()
		if err != nil {
			return nil, err
		}
		ulen, err := d.length()
		if err != nil {
			return nil, err
		}
		c, err := d.readBytes(clen)
		if err != nil {
			return nil, err
		}
		return lzfDecompress(c, ulen)
	}
	return nil, fmt.Errorf("%w: unknown string encoding %d", ErrCorrupt, n)
}

func (d *Decoder) readStringDouble() (float64, error) {
	n, err := d.byte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	buf := make([]byte, n)
	if err := d.read(buf); err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(buf), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad double %q", ErrCorrupt, buf)
	}
	return f, nil
}

func (d *Decoder) readBinaryDouble() (float64, error) {
	var buf [8]byte
	if err := d.read(buf[:]); err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(buf[:])), nil
}

// Next returns the next key, or io.EOF after the end of the dump.
func (d *Decoder) Next() (*Entry, error) {
	if d.done {
		return nil, io.EOF
	}
	for {
		op, err := d.byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case opEOF:
			return nil, d.finish()
		case opSelectDB:
			n, err := d.length()
			if err != nil {
				return nil, err
			}
			d.db = n
		case opResizeDB:
			keys, err := d.length()
			if err != nil {
				return nil, err
			}
			expires, err := d.length()
			if err != nil {
				return nil, err
			}
			if d.ResizeHint != nil {
				d.ResizeHint(d.db, keys, expires)
			}
		case opAux:
			k, err := d.readString()
			if err != nil {
				return nil, err
			}
			v, err := d.readString()
			if err != nil {
				return nil, err
			}
			d.Aux = append(d.Aux, [2]string{string(k), string(v)})
		case opExpireMs:
			var buf [8]byte
			if err := d.read(buf[:]); err != nil {
				return nil, err
			}
			d.expire = int64(binary.LittleEndian.Uint64(buf[:]))
		case opExpire:
			var buf [4]byte
			if err := d.read(buf[:]); err != nil {
				return nil, err
			}
			d.expire = int64(binary.LittleEndian.Uint32(buf[:])) * 1000
		case opIdle:
			n, _, err := d.readLen()
			if err != nil {
				return nil, err
			}
			d.idle = int64(n)
		case opFreq:
			b, err := d.byte()
			if err != nil {
				return nil, err
			}
			d.freq = int(b)
		case opModuleAux:
			if err := d.skipModuleAux(); err != nil {
				return nil, err
			}
		case opFunction2:
			lib, err := d.readString()
			if err != nil {
				return nil, err
			}
			d.Functions = append(d.Functions, lib)
			d.Warnings = append(d.Warnings, "function library skipped (Vigil has no scripting)")
		case opFunction:
			return nil, fmt.Errorf("%w: pre-release FUNCTION opcode (Redis 7.0 release candidates) is not supported", ErrCorrupt)
		default:
			e, err := d.readEntry(op)
			if err != nil {
				return nil, err
			}
			if e == nil {
				continue // empty collection skipped
			}
			return e, nil
		}
	}
}

func (d *Decoder) finish() error {
	d.done = true
	if d.Version < 5 {
		return io.EOF
	}
	var buf [8]byte
	if _, err := io.ReadFull(d.r, buf[:]); err != nil {
		return fmt.Errorf("%w: missing checksum", ErrCorrupt)
	}
	want := binary.LittleEndian.Uint64(buf[:])
	if want != 0 && !d.SkipChecksum && want != d.crc {
		return ErrChecksum
	}
	return io.EOF
}

func (d *Decoder) readEntry(t byte) (*Entry, error) {
	key, err := d.readString()
	if err != nil {
		return nil, err
	}
	var e *Entry
	if n := len(d.free); n > 0 {
		e, d.free = d.free[n-1], d.free[:n-1]
	} else {
		e = new(Entry)
	}
	*e = Entry{DB: d.db, Key: key, ExpireMs: d.expire, Idle: d.idle, Freq: d.freq}
	d.expire, d.idle, d.freq = -1, -1, -1
	if err := d.readValue(t, e); err != nil {
		if _, ok := err.(*UnsupportedTypeError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("key %q: %w", key, err)
	}
	if e.Kind != KindString && len(e.Elems) == 0 && len(e.Pairs) == 0 && len(e.ZSet) == 0 {
		d.Warnings = append(d.Warnings, fmt.Sprintf("empty %s key %q skipped", e.Kind, key))
		return nil, nil
	}
	return e, nil
}

func (d *Decoder) readStrings(n int) ([][]byte, error) {
	out := make([][]byte, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		s, err := d.readString()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (d *Decoder) readValue(t byte, e *Entry) error {
	var err error
	switch t {
	case typeString:
		e.Kind = KindString
		e.Str, err = d.readString()
	case typeList, typeSet, typeHash:
		n, err := d.length()
		if err != nil {
			return err
		}
		if t == typeHash {
			e.Kind = KindHash
			e.Pairs, err = d.readStrings(2 * n)
			return err
		}
		e.Kind = KindList
		if t == typeSet {
			e.Kind = KindSet
		}
		e.Elems, err = d.readStrings(n)
		return err
	case typeZSet, typeZSet2:
		return d.readZSet(t, e)
	case typeHashZipmap, typeListZiplist, typeSetIntset, typeZSetZiplist, typeHashZiplist, typeHashListpack, typeZSetListpack:
		return d.readBlobValue(t, e)
	case typeListQuicklist, typeListQuicklist2:
		return d.readQuicklist(t, e)
	case typeModule, typeModule2, typeStreamListpacks, typeStreamListpacks2:
		return &UnsupportedTypeError{Key: e.Key, Type: typeName(t)}
	default:
		return fmt.Errorf("%w: unknown value type %d", ErrCorrupt, t)
	}
	return err
}

func (d *Decoder) readZSet(t byte, e *Entry) error {
	e.Kind = KindZSet
	n, err := d.length()
	if err != nil {
		return err
	}
	e.ZSet = make([]ZMember, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		m, err := d.readString()
		if err != nil {
			return err
		}
		var score float64
		if t == typeZSet {
			score, err = d.readStringDouble()
		} else {
			score, err = d.readBinaryDouble()
		}
		if err != nil {
			return err
		}
		if math.IsNaN(score) {
			return fmt.Errorf("%w: zset score is NaN", ErrCorrupt)
		}
		e.ZSet = append(e.ZSet, ZMember{Member: m, Score: score})
	}
	return nil
}

func (d *Decoder) readBlobValue(t byte, e *Entry) error {
	blob, err := d.readString()
	if err != nil {
		return err
	}
	var items [][]byte
	switch t {
	case typeHashZipmap:
		items, err = zipmapEntries(blob)
	case typeSetIntset:
		items, err = intsetEntries(blob)
	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		items, err = ziplistEntries(blob)
	default:
		items, err = listpackEntries(blob)
	}
	if err != nil {
		return err
	}
	switch t {
	case typeListZiplist:
		e.Kind, e.Elems = KindList, items
	case typeSetIntset:
		e.Kind, e.Elems = KindSet, items
	case typeHashZipmap, typeHashZiplist, typeHashListpack:
		if len(items)%2 != 0 {
			return fmt.Errorf("%w: odd hash blob", ErrCorrupt)
		}
		e.Kind, e.Pairs = KindHash, items
	case typeZSetZiplist, typeZSetListpack:
		if len(items)%2 != 0 {
			return fmt.Errorf("%w: odd zset blob", ErrCorrupt)
		}
		e.Kind = KindZSet
		for i := 0; i < len(items); i += 2 {
			f, err := strconv.ParseFloat(string(items[i+1]), 64)
			if err != nil || math.IsNaN(f) {
				return fmt.Errorf("%w: bad zset score %q", ErrCorrupt, items[i+1])
			}
			e.ZSet = append(e.ZSet, ZMember{Member: items[i], Score: f})
		}
	}
	return nil
}

func (d *Decoder) readQuicklist(t byte, e *Entry) error {
	e.Kind = KindList
	n, err := d.length()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		container := uint64(2)
		if t == typeListQuicklist2 {
			container, _, err = d.readLen()
			if err != nil {
				return err
			}
		}
		blob, err := d.readString()
		if err != nil {
			return err
		}
		switch {
		case container == 1: // PLAIN node: one raw element
			e.Elems = append(e.Elems, blob)
		case container != 2:
			return fmt.Errorf("%w: quicklist container %d", ErrCorrupt, container)
		case t == typeListQuicklist:
			items, err := ziplistEntries(blob)
			if err != nil {
				return err
			}
			e.Elems = append(e.Elems, items...)
		default:
			items, err := listpackEntries(blob)
			if err != nil {
				return err
			}
			e.Elems = append(e.Elems, items...)
		}
	}
	return nil
}

// skipModuleAux skips a module aux payload: module id, when opcode, when, then the
// module's values serialized with RDB module opcodes until EOF.
func (d *Decoder) skipModuleAux() error {
	id, _, err := d.readLen()
	if err != nil {
		return err
	}
	if _, _, err := d.readLen(); err != nil { // when_opcode
		return err
	}
	if _, _, err := d.readLen(); err != nil { // when
		return err
	}
	for {
		op, _, err := d.readLen()
		if err != nil {
			return err
		}
		switch op {
		case 0: // EOF
			d.Warnings = append(d.Warnings, fmt.Sprintf("module aux data skipped (module id %#x)", id))
			return nil
		case 1, 2: // SINT, UINT
			if _, _, err := d.readLen(); err != nil {
				return err
			}
		case 3: // FLOAT
			var buf [4]byte
			if err := d.read(buf[:]); err != nil {
				return err
			}
		case 4: // DOUBLE
			var buf [8]byte
			if err := d.read(buf[:]); err != nil {
				return err
			}
		case 5: // STRING
			if _, err := d.readString(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unknown module opcode %d", ErrCorrupt, op)
		}
	}
}
