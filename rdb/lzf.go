package rdb

import "errors"

// ErrLZF reports a corrupt LZF payload.
var ErrLZF = errors.New("rdb: invalid LZF compressed string")

// lzfDecompress decodes in into exactly outLen bytes (liblzf's lzf_decompress).
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	// A back-reference of 2 or 3 bytes expands to at most 264 bytes: anything claiming
	// more is corrupt, and must not make us allocate the claimed size.
	if outLen < 0 || outLen > len(in)*132+32 {
		return nil, ErrLZF
	}
	out := make([]byte, 0, min(outLen, 1<<20))
	i := 0
	for i < len(in) {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, ErrLZF
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, ErrLZF
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, ErrLZF
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - int(in[i]) - 1
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, ErrLZF
		}
		for j := 0; j < n; j++ {
			out = append(out, out[ref+j])
		}
	}
	if len(out) != outLen {
		return nil, ErrLZF
	}
	return out, nil
}

const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
)

// lzfScratch is lzfCompress's memory, kept by an encoder for all its strings: a snapshot
// compresses every string value, and a fresh hash table (256 KB) and output buffer per
// string made most of a BGSAVE's or full sync's garbage. The table is clean between
// calls: the slots a call wrote are reset after it (all of them past lzfTouchedMax).
type lzfScratch struct {
	htab    []int32
	touched []int32 // slots written by the current call, while under lzfTouchedMax
	dirty   bool    // more were written: the whole table is reset
	out     []byte
}

const (
	lzfTouchedMax = lzfHSize / 4
	lzfKeepMax    = 1 << 20 // the largest output buffer kept
)

// set writes slot of the table, remembering it for the reset.
func (sc *lzfScratch) set(slot uint32, v int32) {
	sc.htab[slot] = v
	if !sc.dirty {
		if len(sc.touched) == lzfTouchedMax {
			sc.dirty = true
			return
		}
		sc.touched = append(sc.touched, int32(slot))
	}
}

// reset cleans the table for the next call.
func (sc *lzfScratch) reset() {
	if sc.dirty {
		clear(sc.htab)
	} else {
		for _, t := range sc.touched {
			sc.htab[t] = 0
		}
	}
	sc.touched, sc.dirty = sc.touched[:0], false
}

// lzfCompress compresses in into at most maxOut bytes, a port of liblzf's lzf_compress
// (VERY_FAST variant). It returns nil when the output would not fit, in which case
// callers store the string uncompressed. The result is in sc's buffer (nil sc: fresh
// memory) and valid until sc's next use.
func lzfCompress(in []byte, maxOut int, sc *lzfScratch) []byte {
	inLen := len(in)
	if inLen == 0 || maxOut <= 0 {
		return nil
	}
	if sc == nil {
		sc = &lzfScratch{}
	}
	if sc.htab == nil {
		sc.htab = make([]int32, lzfHSize)
	}
	defer sc.reset()
	htab := sc.htab
	var out []byte
	switch {
	case maxOut+1 > lzfKeepMax:
		out = make([]byte, maxOut+1) // a rare big string: not kept for the next ones
	case cap(sc.out) < maxOut+1:
		sc.out = make([]byte, maxOut+1)
		fallthrough
	default:
		out = sc.out[:maxOut+1]
	}
	op, ip, lit := 1, 0, 0 // op starts one past the first literal-run header
	idx := func(h uint32) uint32 { return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1) }
	next := func(v uint32, p int) uint32 { return v<<8 | uint32(in[p+2]) }
	var hval uint32
	if inLen >= 2 {
		hval = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip < inLen-2 {
		hval = next(hval, ip)
		slot := idx(hval)
		ref := int(htab[slot])
		sc.set(slot, int32(ip))
		off := ip - ref - 1
		if ref < ip && off < lzfMaxOff && ref > 0 && in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			length := 2
			maxLen := inLen - ip - length
			if maxLen > lzfMaxRef {
				maxLen = lzfMaxRef
			}
			if op+3+1 >= maxOut {
				b := 0
				if lit == 0 {
					b = 1
				}
				if op-b+3+1 >= maxOut {
					return nil
				}
			}
			out[op-lit-1] = byte(lit - 1)
			if lit == 0 {
				op--
			}
			for {
				length++
				if !(length < maxLen && in[ref+length] == in[ip+length]) {
					break
				}
			}
			length -= 2
			ip++
			if length < 7 {
				out[op] = byte(off>>8) + byte(length<<5)
				op++
			} else {
				out[op] = byte(off>>8) + (7 << 5)
				out[op+1] = byte(length - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++
			ip += length + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = next(hval, ip)
			sc.set(idx(hval), int32(ip))
			ip++
			hval = next(hval, ip)
			sc.set(idx(hval), int32(ip))
			ip++
			continue
		}
		if op >= maxOut {
			return nil
		}
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > maxOut {
		return nil
	}
	for ip < inLen {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return out[:op]
}
