package resp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		args     []string
		consumed int
		err      string // "" ok, "incomplete", or protocol error text
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}, 20, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO", ""}, 20, ""},
		{"binary bulk", "*1\r\n$4\r\na\r\nb\r\n", []string{"a\r\nb"}, 14, ""},
		{"zero count", "*0\r\n", nil, 4, ""},
		{"negative count", "*-1\r\n", nil, 5, ""},
		{"inline", "PING\r\n", []string{"PING"}, 6, ""},
		{"inline lf only", "SET a b\n", []string{"SET", "a", "b"}, 8, ""},
		{"inline quotes", "SET \"a b\" 'c d'\r\n", []string{"SET", "a b", "c d"}, 17, ""},
		{"inline hex escape", "ECHO \"\\x41\\n\"\r\n", []string{"ECHO", "A\n"}, 15, ""},
		{"empty inline", "\r\n", nil, 2, ""},
		{"inline NUL ends the line", "SET a\x00b c\r\n", []string{"SET", "a"}, 11, ""},
		{"incomplete header", "*2\r", nil, 0, "incomplete"},
		{"incomplete bulk", "*1\r\n$5\r\nab", nil, 0, "incomplete"},
		{"incomplete inline", "PING", nil, 0, "incomplete"},
		{"bad count", "*x\r\n", nil, 0, "invalid multibulk length"},
		{"count too big", "*1048577\r\n", nil, 0, "invalid multibulk length"},
		{"expected dollar", "*1\r\n:1\r\n", nil, 0, "expected '$', got ':'"},
		{"bad bulk len", "*1\r\n$x\r\n", nil, 0, "invalid bulk length"},
		{"negative bulk len", "*1\r\n$-1\r\n", nil, 0, "invalid bulk length"},
		{"unbalanced quotes", "SET \"a b\r\n", nil, 0, "unbalanced quotes in request"},
		{"closing quote not followed by space", "SET \"a\"b\r\n", nil, 0, "unbalanced quotes in request"},
		{"leading zero count", "*01\r\n$1\r\na\r\n", nil, 0, "invalid multibulk length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args, consumed, _, _, err := Parse([]byte(tc.in), nil, Limits{})
			switch {
			case tc.err == "incomplete":
				if !errors.Is(err, ErrIncomplete) {
					t.Fatalf("got err %v, want incomplete", err)
				}
				return
			case tc.err != "":
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.Msg != tc.err {
					t.Fatalf("got err %v, want protocol error %q", err, tc.err)
				}
				return
			case err != nil:
				t.Fatalf("got err %v, want none", err)
			}
			if consumed != tc.consumed {
				t.Errorf("got consumed %d, want %d", consumed, tc.consumed)
			}
			var got []string
			for _, a := range args {
				got = append(got, string(a))
			}
			if strings.Join(got, "|") != strings.Join(tc.args, "|") || len(got) != len(tc.args) {
				t.Errorf("got args %q, want %q", got, tc.args)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	in := "*1\r\n$11\r\nhello world\r\n"
	_, _, _, _, err := Parse([]byte(in), nil, Limits{MaxBulkLen: 10})
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Msg != "invalid bulk length" {
		t.Fatalf("got %v, want invalid bulk length", err)
	}
	long := strings.Repeat("a", 70000)
	_, _, _, _, err = Parse([]byte(long), nil, Limits{})
	if !errors.As(err, &pe) || pe.Msg != "too big inline request" {
		t.Fatalf("got %v, want too big inline request", err)
	}
}

func TestParseNeedHint(t *testing.T) {
	in := []byte("*1\r\n$100\r\nabc")
	_, _, need, _, err := Parse(in, nil, Limits{})
	if !errors.Is(err, ErrIncomplete) || need != 4+6+100+2 {
		t.Fatalf("got need %d err %v, want %d incomplete", need, err, 112)
	}
}

// FuzzParse feeds arbitrary bytes, split at an arbitrary point, and checks that parsing
// never panics, that a split stream parses to the same commands as the whole one, and
// that consumed counts stay within the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "SET \"a\\x41\" 'b'\n", "*1\r\n$-1\r\n", "*0\r\n*1\r\n$0\r\n\r\n"} {
		f.Add([]byte(s), uint(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		whole := parseAll(data)
		if len(data) > 0 {
			cut := int(split % uint(len(data)+1))
			if got := parseSplit(data, cut); got != whole {
				t.Fatalf("split at %d: got %q, want %q", cut, got, whole)
			}
		}
	})
}

// parseAll parses every complete command of data and renders them (stopping at an error).
func parseAll(data []byte) string {
	var b bytes.Buffer
	for len(data) > 0 {
		args, consumed, _, _, err := Parse(data, nil, Limits{})
		if err != nil {
			if !errors.Is(err, ErrIncomplete) {
				b.WriteString("ERR:" + err.Error())
			}
			break
		}
		if consumed <= 0 || consumed > len(data) {
			panic("bad consumed count")
		}
		for _, a := range args {
			b.Write(a)
			b.WriteByte(0)
		}
		b.WriteByte('\n')
		data = data[consumed:]
	}
	return b.String()
}

// parseSplit simulates two reads: the first cut bytes, then the rest.
func parseSplit(data []byte, cut int) string {
	var b bytes.Buffer
	buf := append([]byte(nil), data[:cut]...)
	rest := data[cut:]
	for {
		args, consumed, _, _, err := Parse(buf, nil, Limits{})
		if errors.Is(err, ErrIncomplete) {
			if len(rest) == 0 {
				break
			}
			buf = append(buf, rest...)
			rest = nil
			continue
		}
		if err != nil {
			b.WriteString("ERR:" + err.Error())
			break
		}
		for _, a := range args {
			b.Write(a)
			b.WriteByte(0)
		}
		b.WriteByte('\n')
		buf = buf[consumed:]
		if len(buf) == 0 && len(rest) == 0 {
			break
		}
	}
	return b.String()
}
