package resp

import (
	"bytes"
	"errors"
	"strconv"
)

// ErrMalformedValue is returned by ParseValue for input that is not one complete RESP3 value.
var ErrMalformedValue = errors.New("resp: malformed value")

// Value is one parsed RESP3 reply, kept with its type so that it can be written back in
// either protocol (for example captured COMMAND INFO or COMMAND DOCS metadata).
type Value struct {
	Kind  byte     // '*' array, '~' set, '%' map (Elems holds key, value, ...), '$' bulk, '+' simple, ':' int, '_' null
	Str   string   // the text of a bulk or simple string
	Int   int64    // the value of an integer
	Elems []*Value // the elements of an array, set or map
}

// ParseValue parses one RESP3 value (of the kinds Value holds) from the front of b and
// returns it with the rest of b.
func ParseValue(b []byte) (*Value, []byte, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		return nil, nil, ErrMalformedValue
	}
	kind, head, rest := b[0], string(b[1:i]), b[i+2:]
	n, err := strconv.ParseInt(head, 10, 64)
	if err != nil && kind != '+' && kind != '_' {
		return nil, nil, ErrMalformedValue
	}
	v := &Value{Kind: kind}
	switch kind {
	case '$':
		if n < 0 || int64(len(rest)) < n+2 {
			return nil, nil, ErrMalformedValue
		}
		v.Str, rest = string(rest[:n]), rest[n+2:]
	case '+':
		v.Str = head
	case ':':
		v.Int = n
	case '_':
	case '*', '~', '%':
		count := n
		if kind == '%' {
			count *= 2
		}
		if count < 0 || count > int64(len(rest)) {
			return nil, nil, ErrMalformedValue
		}
		v.Elems = make([]*Value, 0, count)
		for j := int64(0); j < count; j++ {
			var e *Value
			if e, rest, err = ParseValue(rest); err != nil {
				return nil, nil, err
			}
			v.Elems = append(v.Elems, e)
		}
	default:
		return nil, nil, ErrMalformedValue
	}
	return v, rest, nil
}

// Write encodes v for w's protocol (maps and sets become arrays in RESP2).
func (v *Value) Write(w *Writer) {
	switch v.Kind {
	case '$':
		w.BulkString(v.Str)
	case '+':
		w.Simple(v.Str)
	case ':':
		w.Int(v.Int)
	case '_':
		w.Null()
	case '*':
		w.Array(len(v.Elems))
	case '~':
		w.Set(len(v.Elems))
	case '%':
		w.Map(len(v.Elems) / 2)
	}
	for _, e := range v.Elems {
		e.Write(w)
	}
}

// Get returns the value of key in a map, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != '%' {
		return nil
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if v.Elems[i].Str == key {
			return v.Elems[i+1]
		}
	}
	return nil
}

// Strings returns the strings of a set's or an array's elements.
func (v *Value) Strings() []string {
	if v == nil {
		return nil
	}
	out := make([]string, 0, len(v.Elems))
	for _, e := range v.Elems {
		out = append(out, e.Str)
	}
	return out
}
