package rdb

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

func corrupt(what string) error { return fmt.Errorf("%w: %s", ErrCorrupt, what) }

// listpackEntries decodes a listpack blob into its elements (integers as decimal strings).
func listpackEntries(b []byte) ([][]byte, error) {
	if len(b) < 7 {
		return nil, corrupt("listpack too short")
	}
	total := int(binary.LittleEndian.Uint32(b))
	if total != len(b) || b[len(b)-1] != 0xFF {
		return nil, corrupt("listpack header size or terminator")
	}
	count := int(binary.LittleEndian.Uint16(b[4:]))
	var out [][]byte
	p := 6
	for p < len(b)-1 {
		start := p
		c := b[p]
		var val []byte
		switch {
		case c&0x80 == 0: // 7-bit uint
			val = strconv.AppendInt(nil, int64(c&0x7f), 10)
			p++
		case c&0xC0 == 0x80: // 6-bit string
			n := int(c & 0x3f)
			if p+1+n > len(b)-1 {
				return nil, corrupt("listpack string overflow")
			}
			val = append([]byte(nil), b[p+1:p+1+n]...)
			p += 1 + n
		case c&0xE0 == 0xC0: // 13-bit int
			if p+2 > len(b)-1 {
				return nil, corrupt("listpack int overflow")
			}
			v := int64(uint16(c&0x1f)<<8 | uint16(b[p+1]))
			if v >= 1<<12 {
				v -= 1 << 13
			}
			val = strconv.AppendInt(nil, v, 10)
			p += 2
		case c&0xF0 == 0xE0: // 12-bit string
			if p+2 > len(b)-1 {
				return nil, corrupt("listpack string overflow")
			}
			n := int(c&0x0f)<<8 | int(b[p+1])
			if p+2+n > len(b)-1 {
				return nil, corrupt("listpack string overflow")
			}
			val = append([]byte(nil), b[p+2:p+2+n]...)
			p += 2 + n
		case c == 0xF0: // 32-bit string
			if p+5 > len(b)-1 {
				return nil, corrupt("listpack string overflow")
			}
			n := int(binary.LittleEndian.Uint32(b[p+1:]))
			if n < 0 || p+5+n > len(b)-1 {
				return nil, corrupt("listpack string overflow")
			}
			val = append([]byte(nil), b[p+5:p+5+n]...)
			p += 5 + n
		case c >= 0xF1 && c <= 0xF4:
			size := map[byte]int{0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[c]
			if p+1+size > len(b)-1 {
				return nil, corrupt("listpack int overflow")
			}
			var u uint64
			for i := size - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[p+1+i])
			}
			shift := 64 - 8*size
			v := int64(u<<shift) >> shift
			val = strconv.AppendInt(nil, v, 10)
			p += 1 + size
		default:
			return nil, corrupt(fmt.Sprintf("listpack encoding %#x", c))
		}
		// backlen: size of encoding+data, 1..5 bytes
		entry := p - start
		bl := 1
		for l := entry; l >= 128; l >>= 7 {
			bl++
		}
		if p+bl > len(b)-1 {
			return nil, corrupt("listpack backlen overflow")
		}
		p += bl
		out = append(out, val)
	}
	if count != 65535 && count != len(out) {
		return nil, corrupt("listpack count mismatch")
	}
	return out, nil
}

// ziplistEntries decodes a ziplist blob.
func ziplistEntries(b []byte) ([][]byte, error) {
	if len(b) < 11 {
		return nil, corrupt("ziplist too short")
	}
	if int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xFF {
		return nil, corrupt("ziplist header size or terminator")
	}
	count := int(binary.LittleEndian.Uint16(b[8:]))
	var out [][]byte
	p := 10
	end := len(b) - 1
	for p < end {
		if b[p] == 0xFE {
			p += 5
		} else {
			p++
		}
		if p >= end {
			return nil, corrupt("ziplist prevlen overflow")
		}
		c := b[p]
		var val []byte
		switch c >> 6 {
		case 0:
			n := int(c & 0x3f)
			if p+1+n > end {
				return nil, corrupt("ziplist string overflow")
			}
			val = append([]byte(nil), b[p+1:p+1+n]...)
			p += 1 + n
			out = append(out, val)
			continue
		case 1:
			if p+2 > end {
				return nil, corrupt("ziplist string overflow")
			}
			n := int(c&0x3f)<<8 | int(b[p+1])
			if p+2+n > end {
				return nil, corrupt("ziplist string overflow")
			}
			val = append([]byte(nil), b[p+2:p+2+n]...)
			p += 2 + n
			out = append(out, val)
			continue
		case 2:
			if p+5 > end {
				return nil, corrupt("ziplist string overflow")
			}
			n := int(binary.BigEndian.Uint32(b[p+1:]))
			if n < 0 || p+5+n > end {
				return nil, corrupt("ziplist string overflow")
			}
			val = append([]byte(nil), b[p+5:p+5+n]...)
			p += 5 + n
			out = append(out, val)
			continue
		}
		var v int64
		size := 0
		switch c {
		case 0xC0:
			size = 2
		case 0xD0:
			size = 4
		case 0xE0:
			size = 8
		case 0xF0:
			size = 3
		case 0xFE:
			size = 1
		default:
			if c >= 0xF1 && c <= 0xFD {
				v = int64(c&0x0f) - 1
			} else {
				return nil, corrupt(fmt.Sprintf("ziplist encoding %#x", c))
			}
		}
		if size > 0 {
			if p+1+size > end {
				return nil, corrupt("ziplist int overflow")
			}
			var u uint64
			for i := size - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[p+1+i])
			}
			shift := 64 - 8*size
			v = int64(u<<shift) >> shift
		}
		p += 1 + size
		out = append(out, strconv.AppendInt(nil, v, 10))
	}
	if count != 65535 && count != len(out) {
		return nil, corrupt("ziplist count mismatch")
	}
	return out, nil
}

// intsetEntries decodes an intset blob into decimal strings.
func intsetEntries(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, corrupt("intset too short")
	}
	width := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if width != 2 && width != 4 && width != 8 {
		return nil, corrupt("intset encoding")
	}
	if n < 0 || 8+n*width != len(b) {
		return nil, corrupt("intset size")
	}
	out := make([][]byte, 0, n)
	var prev int64
	for i := 0; i < n; i++ {
		p := b[8+i*width:]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && v <= prev {
			return nil, corrupt("intset not sorted or has duplicates")
		}
		prev = v
		out = append(out, strconv.AppendInt(nil, v, 10))
	}
	return out, nil
}

// zipmapEntries decodes the old zipmap hash encoding (RDB < 4 era).
func zipmapEntries(b []byte) ([][]byte, error) {
	if len(b) < 2 {
		return nil, corrupt("zipmap too short")
	}
	p := 1 // zmlen byte
	var out [][]byte
	readLen := func() (int, error) {
		if p >= len(b) {
			return 0, corrupt("zipmap overflow")
		}
		c := b[p]
		if c < 254 {
			p++
			return int(c), nil
		}
		if c == 254 {
			if p+5 > len(b) {
				return 0, corrupt("zipmap overflow")
			}
			n := int(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
			return n, nil
		}
		return -1, nil // 255: end
	}
	for {
		kl, err := readLen()
		if err != nil {
			return nil, err
		}
		if kl < 0 {
			break
		}
		if p+kl > len(b) {
			return nil, corrupt("zipmap key overflow")
		}
		key := append([]byte(nil), b[p:p+kl]...)
		p += kl
		vl, err := readLen()
		if err != nil || vl < 0 {
			return nil, corrupt("zipmap value length")
		}
		if p >= len(b) {
			return nil, corrupt("zipmap overflow")
		}
		free := int(b[p])
		p++
		if p+vl+free > len(b) {
			return nil, corrupt("zipmap value overflow")
		}
		out = append(out, key, append([]byte(nil), b[p:p+vl]...))
		p += vl + free
	}
	return out, nil
}
