// Package strint is Redis's string2ll: the one test, shared by the protocol parser,
// the keyspace (which strings are stored as integers, which set members fit an intset)
// and the RDB encoder, of whether a string is the canonical decimal form of an int64.
package strint

// Parse returns the int64 that b spells in canonical decimal form: an optional '-',
// no '+', no spaces, no leading zeros, no "-0", within the int64 range. ok is false
// for anything else.
func Parse(b []byte) (v int64, ok bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		nu := u*10 + uint64(c-'0')
		if nu/10 != u {
			return 0, false
		}
		u = nu
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
