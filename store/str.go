package store

import (
	"math/big"
)

// Redis 7.0 string encoding thresholds.
const (
	// embstrSizeLimit is OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings are "raw".
	embstrSizeLimit = 44
	// maxIntStrLen is the longest string tryObjectEncoding tries to turn into an integer.
	maxIntStrLen = 20
)

// StringEncoding returns the encoding Redis's tryObjectEncoding picks for a string
// value freshly stored by SET, MSET, GETSET, APPEND on a new key...: "int" for a
// canonical int64 of at most 20 characters, "embstr" up to 44 bytes, "raw" otherwise.
func StringEncoding(b []byte) Encoding {
	if len(b) <= maxIntStrLen && isInt64(b) {
		return EncInt
	}
	if len(b) <= embstrSizeLimit {
		return EncEmbstr
	}
	return EncRaw
}

// NewString returns a string object holding b (not copied), encoded as
// StringEncoding(b) says.
func NewString(b []byte) Object {
	return Object{Type: TypeString, Enc: StringEncoding(b), Str: b}
}

// NewRawString returns a string object holding b (not copied) with the raw encoding,
// as Redis creates for values built in place (SETRANGE, SETBIT, BITOP results).
func NewRawString(b []byte) Object {
	return Object{Type: TypeString, Enc: EncRaw, Str: b}
}

// NewEmbstrOrRaw returns a string object holding b (not copied) encoded as
// createStringObject would: embstr up to 44 bytes, raw otherwise, never int
// (INCRBYFLOAT results).
func NewEmbstrOrRaw(b []byte) Object {
	if len(b) <= embstrSizeLimit {
		return Object{Type: TypeString, Enc: EncEmbstr, Str: b}
	}
	return NewRawString(b)
}

// String returns the OBJECT ENCODING name of a string encoding.
func (e Encoding) String() string {
	switch e {
	case EncInt:
		return "int"
	case EncEmbstr:
		return "embstr"
	}
	return "raw"
}

// isInt64 is Redis's string2ll acceptance test: a canonical signed decimal that fits
// in an int64 (no sign '+', no spaces, no leading zeros, "-0" rejected).
func isInt64(b []byte) bool {
	if len(b) == 0 || len(b) > maxIntStrLen {
		return false
	}
	if len(b) == 1 && b[0] == '0' {
		return true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		if v > (1<<64-1)/10 {
			return false
		}
		nv := v*10 + uint64(c-'0')
		if nv < v*10 {
			return false
		}
		v = nv
	}
	if neg {
		return v <= 1<<63
	}
	return v <= 1<<63-1
}

// Long doubles. Redis's INCRBYFLOAT and HINCRBYFLOAT compute in C long double, which on
// x86-64 is the 80-bit extended format: a 64-bit mantissa and a 15-bit exponent. The
// helpers below reproduce strtold parsing, addition and "%.17Lf" formatting exactly
// with math/big at 64 bits of precision (subnormal precision loss is not modelled).
const (
	ldPrec = 64
	// ldMaxExp is the largest exponent (mantissa in [0.5, 1)) of a finite long double.
	ldMaxExp = 16384
	// ldMinExp is the exponent of the smallest subnormal long double (2^-16445).
	ldMinExp = -16444
	// maxLongDoubleChars is MAX_LONG_DOUBLE_CHARS: longer inputs are rejected.
	maxLongDoubleChars = 5 * 1024
)

// ParseLongDouble parses b as Redis's string2ld does (strtold on the whole string, no
// leading space, NaN and out-of-range values rejected; "inf" is accepted).
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars || isCSpace(b[0]) {
		return nil, false
	}
	neg := false
	s := b
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var f *big.Float
	var ok bool
	switch {
	case equalFoldASCII(s, "inf") || equalFoldASCII(s, "infinity"):
		f, ok = new(big.Float).SetInf(false), true
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		f, ok = parseHexFloat(s[2:])
	default:
		f, ok = parseDecFloat(s)
	}
	if !ok {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

// AddLongDouble returns a+b rounded to long double precision; ok is false when the
// result is NaN or infinite (Redis's "increment would produce NaN or Infinity").
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// AppendLongDouble appends f formatted as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf" with trailing zeros (and a trailing '.') removed and "-0" written "0".
func AppendLongDouble(dst []byte, f *big.Float) []byte {
	if f.IsInf() {
		if f.Sign() < 0 {
			return append(dst, "-inf"...)
		}
		return append(dst, "inf"...)
	}
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

// parseDecFloat parses digits[.digits][e[sign]digits] exactly and rounds it to nearest.
func parseDecFloat(s []byte) (*big.Float, bool) {
	i := 0
	var mant []byte
	frac := 0
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		mant = append(mant, s[i])
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			mant = append(mant, s[i])
			i++
			digits++
			frac++
		}
	}
	if digits == 0 {
		return nil, false
	}
	exp, ok := parseExponent(s[i:], 'e', 'E')
	if !ok {
		return nil, false
	}
	// strip leading zeros
	j := 0
	for j < len(mant) && mant[j] == '0' {
		j++
	}
	mant = mant[j:]
	if len(mant) == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	e10 := exp - int64(frac)
	// decimal exponent of the leading digit: reject far out-of-range values early
	lead := e10 + int64(len(mant)) - 1
	if lead > 4933 {
		return nil, false
	}
	if lead < -4952 {
		return nil, false
	}
	n, _ := new(big.Int).SetString(string(mant), 10)
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	if e10 >= 0 {
		n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(e10), nil))
		z.SetInt(n)
	} else {
		d := new(big.Int).Exp(big.NewInt(10), big.NewInt(-e10), nil)
		z.SetRat(new(big.Rat).SetFrac(n, d))
	}
	return checkLongDoubleRange(z)
}

// parseHexFloat parses the part after "0x": hexdigits[.hexdigits][p[sign]digits].
func parseHexFloat(s []byte) (*big.Float, bool) {
	i := 0
	n := new(big.Int)
	digits := 0
	frac := int64(0)
	for i < len(s) && isHex(s[i]) {
		n.Lsh(n, 4).Or(n, big.NewInt(int64(hexVal(s[i]))))
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isHex(s[i]) {
			n.Lsh(n, 4).Or(n, big.NewInt(int64(hexVal(s[i]))))
			i++
			digits++
			frac += 4
		}
	}
	if digits == 0 {
		return nil, false
	}
	exp, ok := parseExponent(s[i:], 'p', 'P')
	if !ok {
		return nil, false
	}
	if n.Sign() == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	e2 := exp - frac
	lead := e2 + int64(n.BitLen())
	if lead > ldMaxExp+1 || lead < ldMinExp-2 {
		return nil, false
	}
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).SetInt(n)
	z.SetMantExp(z, int(e2))
	return checkLongDoubleRange(z)
}

// parseExponent parses an optional exponent marker, sign and digits, which must end s.
// Huge exponents saturate (the value is then out of range anyway).
func parseExponent(s []byte, lo, up byte) (int64, bool) {
	if len(s) == 0 {
		return 0, true
	}
	if s[0] != lo && s[0] != up {
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
	for _, c := range s {
		if !isDigit(c) {
			return 0, false
		}
		if e < 1<<40 {
			e = e*10 + int64(c-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

func checkLongDoubleRange(z *big.Float) (*big.Float, bool) {
	if z.Sign() == 0 {
		return nil, false // underflow to zero: strtold reports ERANGE
	}
	e := z.MantExp(nil)
	if e > ldMaxExp || e < ldMinExp {
		return nil, false
	}
	return z, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func hexVal(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}

// LongDoubleZero returns a long double 0 (the value of a missing key).
func LongDoubleZero() *big.Float { return new(big.Float).SetPrec(ldPrec) }

// LCSMatch is one range of an LCS match: a[AStart..AEnd] equals b[BStart..BEnd].
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd int
}

// LCS computes the longest common subsequence of a and b with Redis's dynamic
// programming table and backtracking, so that ties resolve as in Redis. It returns the
// subsequence, its length and, if withRanges, the matching ranges of at least minLen
// bytes (0 = all) in the order Redis emits them (from the end of the strings).
func LCS(a, b []byte, withRanges bool, minLen int64) (result []byte, matches []LCSMatch, n int) {
	alen, blen := len(a), len(b)
	w := blen + 1
	tab := make([]uint32, (alen+1)*(blen+1))
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				tab[i*w+j] = tab[(i-1)*w+j-1] + 1
			} else {
				tab[i*w+j] = max(tab[(i-1)*w+j], tab[i*w+j-1])
			}
		}
	}
	total := tab[alen*w+blen]
	result = make([]byte, total)
	idx := total
	cur := LCSMatch{AStart: alen} // AStart == alen: no range open
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			switch {
			case cur.AStart == alen:
				cur = LCSMatch{i - 1, i - 1, j - 1, j - 1}
			case cur.AStart == i && cur.BStart == j:
				cur.AStart--
				cur.BStart--
			default:
				emit = true
			}
			if cur.AStart == 0 || cur.BStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if tab[(i-1)*w+j] > tab[i*w+j-1] {
				i--
			} else {
				j--
			}
			if cur.AStart != alen {
				emit = true
			}
		}
		if emit {
			size := int64(cur.AEnd - cur.AStart + 1)
			if withRanges && (minLen == 0 || size >= minLen) {
				matches = append(matches, cur)
			}
			cur.AStart = alen
		}
	}
	return result, matches, int(total)
}
