package server

import "unsafe"

// sb returns a []byte aliasing s, for read-only use (matching, lookups): never modify or keep it.
func sb(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// globMatch is Redis 7.0's stringmatchlen: glob-style matching with *, ?, [...] (with ^
// negation, a-z ranges and \ escapes) and \ escapes, byte for byte. Redis compares plain
// C chars, which are signed: ranges over bytes >= 0x80 behave as they do in Redis. Reads
// past the end of the pattern see the NUL terminator Redis's sds strings carry.
func globMatch(pattern, s []byte, nocase bool) bool {
	skip := false
	return globMatchImpl(pattern, s, nocase, &skip)
}

// at returns b[i], or 0 past the end (the sds terminator).
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func globMatchImpl(pat, s []byte, nocase bool, skipLonger *bool) bool {
	for len(pat) > 0 && len(s) > 0 {
		switch pat[0] {
		case '*':
			for len(pat) > 0 && at(pat, 1) == '*' {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatchImpl(pat[1:], s, nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			var ok bool
			if pat, ok = matchClass(pat, s[0], nocase); !ok {
				return false
			}
			s = s[1:]
		case '\\':
			if len(pat) >= 2 {
				pat = pat[1:]
			}
			fallthrough
		default:
			if !eqByte(pat[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		}
		pat = pat[1:]
		if len(s) == 0 {
			for len(pat) > 0 && pat[0] == '*' {
				pat = pat[1:]
			}
			break
		}
	}
	return len(pat) == 0 && len(s) == 0
}

func eqByte(a, b byte, nocase bool) bool {
	if nocase {
		return lowerByte(a) == lowerByte(b)
	}
	return a == b
}

// matchClass matches c against the class starting at pat[0] == '['. It returns the
// pattern positioned on the class's last byte (the ']', or the last byte when unclosed).
func matchClass(pat []byte, c byte, nocase bool) ([]byte, bool) {
	// pat0 is the whole pattern from '[' so that an unclosed class can step back one byte.
	full := pat
	pat = pat[1:]
	not := at(pat, 0) == '^'
	if not {
		pat = pat[1:]
	}
	match := false
	for {
		switch {
		case at(pat, 0) == '\\' && len(pat) >= 2:
			pat = pat[1:]
			if pat[0] == c {
				match = true
			}
		case at(pat, 0) == ']':
			goto done
		case len(pat) == 0:
			// unclosed: step back onto the last byte of the pattern
			pat = full[len(full)-1:]
			goto done
		case len(pat) >= 3 && pat[1] == '-':
			start, end, ch := int(int8(pat[0])), int(int8(pat[2])), int(int8(c))
			if start > end {
				start, end = end, start
			}
			if nocase {
				start, end, ch = lowerInt(start), lowerInt(end), lowerInt(ch)
			}
			pat = pat[2:]
			if ch >= start && ch <= end {
				match = true
			}
		default:
			if eqByte(pat[0], c, nocase) {
				match = true
			}
		}
		pat = pat[1:]
	}
done:
	if not {
		match = !match
	}
	return pat, match
}

func lowerInt(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
