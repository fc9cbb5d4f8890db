package resp

import (
	"math"
	"strconv"
)

// Writer appends RESP replies to B. Proto selects RESP2 (2) or RESP3 (3) for the
// types that differ between the two (null, map, set, double, boolean, push).
//
// Limit bounds the reply that starts at B[Mark]: once it is longer than Limit bytes,
// Full reports true and every method but Error appends nothing more, so that a reply
// nobody can receive does not take the machine's memory. The caller then drops
// B[Mark:] and replies an error. Limit 0 means no bound.
type Writer struct {
	B     []byte
	Proto int
	Limit int
	Mark  int
}

// Full reports whether the reply started at Mark has passed Limit.
func (w *Writer) Full() bool { return w.Limit > 0 && len(w.B)-w.Mark > w.Limit }

// Simple appends a simple string: +s.
func (w *Writer) Simple(s string) {
	if w.Full() {
		return
	}
	w.B = append(w.B, '+')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// OK appends +OK.
func (w *Writer) OK() {
	if w.Full() {
		return
	}
	w.B = append(w.B, "+OK\r\n"...)
}

// Error appends an error reply. msg is the full text without the leading '-'
// (for example "ERR syntax error" or "WRONGTYPE ..."). CR and LF are replaced by spaces.
func (w *Writer) Error(msg string) {
	w.B = append(w.B, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.B = append(w.B, c)
	}
	w.B = append(w.B, '\r', '\n')
}

// Int appends an integer reply.
func (w *Writer) Int(n int64) {
	if w.Full() {
		return
	}
	w.B = append(w.B, ':')
	w.B = strconv.AppendInt(w.B, n, 10)
	w.B = append(w.B, '\r', '\n')
}

// Bulk appends a bulk string.
func (w *Writer) Bulk(b []byte) { appendBulk(w, b) }

// BulkString appends a bulk string from a Go string.
func (w *Writer) BulkString(s string) { appendBulk(w, s) }

// appendBulk is Bulk for either form of the bytes.
func appendBulk[T string | []byte](w *Writer, s T) {
	if w.Full() {
		return
	}
	w.B = append(w.B, '$')
	w.B = strconv.AppendInt(w.B, int64(len(s)), 10)
	w.B = append(w.B, '\r', '\n')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// BulkInt appends the decimal form of n as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null appends a null bulk ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.Full() {
		return
	}
	if w.Proto == 3 {
		w.B = append(w.B, "_\r\n"...)
	} else {
		w.B = append(w.B, "$-1\r\n"...)
	}
}

// NullArray appends a null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.Full() {
		return
	}
	if w.Proto == 3 {
		w.B = append(w.B, "_\r\n"...)
	} else {
		w.B = append(w.B, "*-1\r\n"...)
	}
}

func (w *Writer) header(c byte, n int) {
	if w.Full() {
		return
	}
	w.B = append(w.B, c)
	w.B = strconv.AppendInt(w.B, int64(n), 10)
	w.B = append(w.B, '\r', '\n')
}

// Array appends an array header of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map appends a map header of n pairs (%n in RESP3, *2n in RESP2).
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.header('%', n)
	} else {
		w.header('*', 2*n)
	}
}

// Set appends a set header (~n in RESP3, *n in RESP2).
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.header('~', n)
	} else {
		w.header('*', n)
	}
}

// Push appends a push header (>n in RESP3, *n in RESP2).
func (w *Writer) Push(n int) {
	if w.Proto == 3 {
		w.header('>', n)
	} else {
		w.header('*', n)
	}
}

// Double appends a double: ",d" in RESP3, a bulk string in RESP2, formatted as Redis's
// addReplyDouble does (%.17g, with inf/-inf/nan spelled as Redis spells them).
func (w *Writer) Double(f float64) {
	if w.Full() {
		return
	}
	if w.Proto == 3 {
		w.B = append(w.B, ',')
		w.B = AppendDoubleRESP3(w.B, f)
		w.B = append(w.B, '\r', '\n')
		return
	}
	var tmp [32]byte
	w.Bulk(AppendDouble(tmp[:0], f))
}

// Bool appends a boolean (#t/#f in RESP3, :1/:0 in RESP2).
func (w *Writer) Bool(b bool) {
	if w.Full() {
		return
	}
	switch {
	case w.Proto == 3 && b:
		w.B = append(w.B, "#t\r\n"...)
	case w.Proto == 3:
		w.B = append(w.B, "#f\r\n"...)
	case b:
		w.B = append(w.B, ":1\r\n"...)
	default:
		w.B = append(w.B, ":0\r\n"...)
	}
}

// Verbatim appends a verbatim string (=len\r\nfmt:text in RESP3, bulk in RESP2).
func (w *Writer) Verbatim(s, format string) { appendVerbatim(w, s, format) }

// VerbatimBytes is Verbatim of bytes.
func (w *Writer) VerbatimBytes(b []byte, format string) { appendVerbatim(w, b, format) }

func appendVerbatim[T string | []byte](w *Writer, s T, format string) {
	if w.Full() {
		return
	}
	if w.Proto != 3 {
		appendBulk(w, s)
		return
	}
	w.header('=', len(s)+4)
	w.B = append(w.B, format...)
	w.B = append(w.B, ':')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// Raw appends already-encoded RESP bytes.
func (w *Writer) Raw(b []byte) {
	if w.Full() {
		return
	}
	w.B = append(w.B, b...)
}

// AppendDouble formats f as Redis's addReplyDouble does for RESP2 bulk replies ("%.17g").
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return appendG17(dst, f)
}

// AppendDoubleRESP3 formats f for a RESP3 double frame.
func AppendDoubleRESP3(dst []byte, f float64) []byte { return AppendDouble(dst, f) }

// appendG17 mimics C's printf("%.17g").
func appendG17(dst []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// %g uses scientific notation when exp < -4 or exp >= precision.
	s := strconv.FormatFloat(f, 'e', 16, 64)
	// recompute exponent from the formatted string (rounding may change it)
	if i := indexByte(s, 'e'); i >= 0 {
		e, _ := strconv.Atoi(s[i+1:])
		exp = e
	}
	if exp < -4 || exp >= 17 {
		mant, e := splitExp(s)
		mant = trimZeros(mant)
		dst = append(dst, mant...)
		dst = append(dst, 'e')
		if e < 0 {
			dst = append(dst, '-')
			e = -e
		} else {
			dst = append(dst, '+')
		}
		if e < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(e), 10)
	}
	return append(dst, trimZeros(strconv.FormatFloat(f, 'f', 16-exp, 64))...)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func splitExp(s string) (string, int) {
	i := indexByte(s, 'e')
	e, _ := strconv.Atoi(s[i+1:])
	return s[:i], e
}

func trimZeros(s string) string {
	if indexByte(s, '.') < 0 {
		return s
	}
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return s[:i]
}
