package resp

import (
	"bytes"
	"errors"
	"math"

	"github.com/vigil-db/vigil/internal/strint"
)

// Limits bounds what Parse accepts. Zero values mean Redis's defaults.
type Limits struct {
	// MaxBulkLen is the largest bulk string (proto-max-bulk-len). Default 512 MB;
	// negative means no limit (Redis does not apply it to its master's stream).
	MaxBulkLen int64
	// MaxInline is the largest inline request or header line. Default 64 KB (PROTO_INLINE_MAX_SIZE).
	MaxInline int
	// MaxMultibulk is the largest argument count. Default INT_MAX, as Redis 7.0.
	MaxMultibulk int64
	// Unauthenticated applies Redis's limits for a client that still has to AUTH: at most
	// 10 arguments and 16384 bytes per bulk, so that a stranger cannot make the server
	// allocate (networking.c processMultibulkBuffer).
	Unauthenticated bool
}

const (
	defaultMaxBulk      = 512 << 20
	defaultMaxInline    = 64 << 10
	defaultMaxMultibulk = math.MaxInt32
	// UnauthMaxMultibulk and UnauthMaxBulk are Redis's limits before AUTH.
	UnauthMaxMultibulk = 10
	UnauthMaxBulk      = 16384
	// minArgLen is the wire size of the smallest argument ("$0\r\n\r\n"): the
	// lower bound of what each argument still to come needs.
	minArgLen = 6
)

// ProtocolError is a malformed request. Its text is Redis's reply text without "-ERR ";
// after it the connection must be closed once the error has been written.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// ErrIncomplete is returned by Parse when the buffer holds only part of a command.
var ErrIncomplete = errors.New("resp: incomplete command")

// Parse reads one command from the front of buf. It returns the arguments (aliasing buf,
// appended to args[:0]), the number of bytes consumed, and an error. A consumed count with
// no arguments means an empty inline line or a "*0"/"*-1" header, which Redis skips.
// When the command is incomplete, err is ErrIncomplete and need is a lower bound of the
// total buffer length required (0 if unknown): callers need not parse again before that
// many bytes are buffered. It is a hint, never a size to allocate: a client announces
// lengths it may never send.
// Inline reports whether the command was in the inline format.
func Parse(buf []byte, args [][]byte, lim Limits) (out [][]byte, consumed, need int, inline bool, err error) {
	args = args[:0]
	if len(buf) == 0 {
		return args, 0, 0, false, ErrIncomplete
	}
	if buf[0] != '*' {
		out, consumed, err = parseInline(buf, args, lim)
		return out, consumed, 0, true, err
	}
	return parseMultibulk(buf, args, lim)
}

func maxInline(lim Limits) int {
	if lim.MaxInline > 0 {
		return lim.MaxInline
	}
	return defaultMaxInline
}

func parseMultibulk(buf []byte, args [][]byte, lim Limits) ([][]byte, int, int, bool, error) {
	nl := bytes.IndexByte(buf, '\r')
	if nl < 0 || nl+1 >= len(buf) {
		if len(buf) > maxInline(lim) {
			return args, 0, 0, false, &ProtocolError{"too big mbulk count string"}
		}
		return args, 0, 0, false, ErrIncomplete
	}
	if nl > maxInline(lim) {
		return args, 0, 0, false, &ProtocolError{"too big mbulk count string"}
	}
	maxMB := lim.MaxMultibulk
	if maxMB <= 0 {
		maxMB = defaultMaxMultibulk
	}
	n, ok := parseInt(buf[1:nl])
	if !ok || n > maxMB {
		return args, 0, 0, false, &ProtocolError{"invalid multibulk length"}
	}
	if n > UnauthMaxMultibulk && lim.Unauthenticated {
		return args, 0, 0, false, &ProtocolError{"unauthenticated multibulk length"}
	}
	pos := nl + 2
	if n <= 0 {
		return args, pos, 0, false, nil
	}
	maxBulk := lim.MaxBulkLen
	if maxBulk == 0 {
		maxBulk = defaultMaxBulk
	} else if maxBulk < 0 {
		maxBulk = math.MaxInt64
	}
	for i := int64(0); i < n; i++ {
		rest := n - i // arguments still to come, this one included
		if pos >= len(buf) {
			return args, 0, needAtLeast(pos, rest), false, ErrIncomplete
		}
		if buf[pos] != '$' {
			return args, 0, 0, false, &ProtocolError{"expected '$', got '" + string(buf[pos:pos+1]) + "'"}
		}
		end := bytes.IndexByte(buf[pos:], '\r')
		if end < 0 || pos+end+1 >= len(buf) {
			if len(buf)-pos > maxInline(lim) {
				return args, 0, 0, false, &ProtocolError{"too big bulk count string"}
			}
			return args, 0, needAtLeast(pos, rest), false, ErrIncomplete
		}
		if end > maxInline(lim) {
			return args, 0, 0, false, &ProtocolError{"too big bulk count string"}
		}
		l, ok := parseInt(buf[pos+1 : pos+end])
		if !ok || l < 0 || l > maxBulk {
			return args, 0, 0, false, &ProtocolError{"invalid bulk length"}
		}
		if l > UnauthMaxBulk && lim.Unauthenticated {
			return args, 0, 0, false, &ProtocolError{"unauthenticated bulk length"}
		}
		start := pos + end + 2
		if l > int64(len(buf)-start-2) {
			return args, 0, needAtLeast(start, rest-1) + int(min(l, math.MaxInt32)+2), false, ErrIncomplete
		}
		stop := start + int(l)
		args = append(args, buf[start:stop:stop])
		pos = stop + 2
	}
	return args, pos, 0, false, nil
}

// needAtLeast is the buffer length that pos plus rest more arguments need at least,
// capped so that the sum stays an int on every platform.
func needAtLeast(pos int, rest int64) int {
	return pos + int(min(rest, math.MaxInt32/minArgLen)*minArgLen)
}

func parseInline(buf []byte, args [][]byte, lim Limits) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > maxInline(lim) {
			return args, 0, &ProtocolError{"too big inline request"}
		}
		return args, 0, ErrIncomplete
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	out, ok := SplitArgs(line, args)
	if !ok {
		return args, 0, &ProtocolError{"unbalanced quotes in request"}
	}
	return out, nl + 1, nil
}

// parseInt parses a signed decimal like Redis's string2ll: no spaces, no '+', no leading zeros.
func parseInt(b []byte) (int64, bool) { return strint.Parse(b) }

// SplitArgs splits a line the way Redis's sdssplitargs does (used for inline commands and
// config files): spaces separate arguments, "double quotes" support \n \r \t \b \a \\ \" and
// \xHH escapes, 'single quotes' support \'. A closing quote must be followed by a space or
// the end of the line; a NUL byte ends the line, as in C. It returns false on unbalanced
// quotes. Arguments are fresh copies. config uses it for redis.conf lines too, as Redis
// uses sdssplitargs for both.
func SplitArgs(line []byte, args [][]byte) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		cur = []byte{}
		for !done {
			if inq {
				if i >= len(line) {
					return args, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if insq {
				if i >= len(line) {
					return args, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
			if i >= len(line) && !inq && !insq {
				done = true
			}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// ParseInt parses a decimal integer with Redis's strict string2ll rules.
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }

// AppendRepr appends s quoted as Redis's sdscatrepr does (MONITOR, config rewrites):
// SplitArgs of the result gives s back.
func AppendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch < 0x7f {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}

// PendingBulkStart returns where the data of the bulk that an incomplete multibulk
// command in buf is waiting for begins (0 when buf holds no such bulk header yet): what
// precedes it is parsed headers and complete arguments, which Redis no longer counts in
// its query buffer once it has read a big bulk's header.
func PendingBulkStart(buf []byte) int {
	if len(buf) == 0 || buf[0] != '*' {
		return 0
	}
	nl := bytes.IndexByte(buf, '\r')
	if nl < 0 || nl+1 >= len(buf) {
		return 0
	}
	n, ok := parseInt(buf[1:nl])
	pos := nl + 2
	for i := int64(0); ok && i < n && pos < len(buf) && buf[pos] == '$'; i++ {
		end := bytes.IndexByte(buf[pos:], '\r')
		if end < 0 || pos+end+1 >= len(buf) {
			return 0
		}
		l, ok := parseInt(buf[pos+1 : pos+end])
		if !ok || l < 0 {
			return 0
		}
		start := pos + end + 2
		if l > int64(len(buf)-start-2) {
			return start
		}
		pos = start + int(l) + 2
	}
	return 0
}
