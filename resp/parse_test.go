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
		{"count above INT_MAX", "*2147483648\r\n", nil, 0, "invalid multibulk length"},
		{"count INT_MAX is legal", "*2147483647\r\n$1\r\na\r\n", nil, 0, "incomplete"},
		{"count above a million is legal", "*1048577\r\n", nil, 0, "incomplete"},
		{"expected dollar", "*1\r\n:1\r\n", nil, 0, "expected '$', got ':'"},
		{"expected dollar shows the byte", "*1\r\n\xcd\r\n", nil, 0, "expected '$', got '\xcd'"},
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
	cases := []struct {
		name string
		in   string
		need int
	}{
		{"bulk body", "*1\r\n$100\r\nabc", 4 + 6 + 100 + 2},
		{"bulk body then more args", "*3\r\n$100\r\nabc", 4 + 6 + 100 + 2 + 2*minArgLen},
		{"after the header", "*3\r\n", 4 + 3*minArgLen},
		{"after one arg", "*3\r\n$1\r\na\r\n", 11 + 2*minArgLen},
		{"huge announced bulk is only a hint", "*1\r\n$536870912\r\n", 4 + 12 + 536870912 + 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, need, _, err := Parse([]byte(tc.in), nil, Limits{})
			if !errors.Is(err, ErrIncomplete) || need != tc.need {
				t.Fatalf("Parse(%q): got need %d err %v, want %d incomplete", tc.in, need, err, tc.need)
			}
		})
	}
}

// TestParseUnauthenticated: before AUTH, Redis closes the connection on more than 10
// arguments or a bulk above 16384 bytes, as soon as the header announces it.
func TestParseUnauthenticated(t *testing.T) {
	big := strings.Repeat("x", UnauthMaxBulk)
	cases := []struct {
		name string
		in   string
		err  string // "" for a complete command, "incomplete", or the protocol error
	}{
		{"ten args", "*10\r\n" + strings.Repeat("$1\r\na\r\n", 10), ""},
		{"eleven args", "*11\r\n", "unauthenticated multibulk length"},
		{"huge count", "*1048576\r\n", "unauthenticated multibulk length"},
		{"count above INT_MAX is invalid first", "*2147483648\r\n", "invalid multibulk length"},
		{"16384-byte bulk", "*2\r\n$4\r\nAUTH\r\n$16384\r\n" + big + "\r\n", ""},
		{"16385-byte bulk", "*2\r\n$4\r\nAUTH\r\n$16385\r\n", "unauthenticated bulk length"},
		{"512 MB bulk", "*1\r\n$536870912\r\n", "unauthenticated bulk length"},
		{"bulk above proto-max-bulk-len is invalid first", "*1\r\n$536870913\r\n", "invalid bulk length"},
		{"inline is not limited", "AUTH " + big + "\r\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, _, err := Parse([]byte(tc.in), nil, Limits{Unauthenticated: true})
			var pe *ProtocolError
			switch {
			case tc.err == "":
				if err != nil {
					t.Fatalf("got err %v, want none", err)
				}
			case tc.err == "incomplete":
				if !errors.Is(err, ErrIncomplete) {
					t.Fatalf("got err %v, want incomplete", err)
				}
			case !errors.As(err, &pe) || pe.Msg != tc.err:
				t.Fatalf("got err %v, want protocol error %q", err, tc.err)
			}
		})
	}
}

// TestParseNoBulkLimit: a negative MaxBulkLen (our master's stream) accepts any length,
// even one that does not fit the buffer's arithmetic.
func TestParseNoBulkLimit(t *testing.T) {
	for _, in := range []string{"*1\r\n$536870913\r\n", "*1\r\n$9223372036854775807\r\n"} {
		_, _, need, _, err := Parse([]byte(in), nil, Limits{MaxBulkLen: -1})
		if !errors.Is(err, ErrIncomplete) || need <= len(in) {
			t.Errorf("Parse(%q): got need %d err %v, want incomplete needing more", in, need, err)
		}
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
func parseAll(data []byte) string { return parseAllWith(data, Limits{}) }

// render appends one parsed command to b.
func render(b *bytes.Buffer, args [][]byte) {
	for _, a := range args {
		b.Write(a)
		b.WriteByte(0)
	}
	b.WriteByte('\n')
}

// parseAllWith is parseAll under lim.
func parseAllWith(data []byte, lim Limits) string {
	var b bytes.Buffer
	for len(data) > 0 {
		args, consumed, _, _, err := Parse(data, nil, lim)
		if err != nil {
			if !errors.Is(err, ErrIncomplete) {
				b.WriteString("ERR:" + err.Error())
			}
			break
		}
		if consumed <= 0 || consumed > len(data) {
			panic("bad consumed count")
		}
		render(&b, args)
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

// FuzzParseUnauthenticated feeds arbitrary bytes in chunks of arbitrary sizes to the
// parser in unauthenticated mode, the way a connection that has not sent AUTH reads
// them. It checks that parsing never panics, that every command it returns stays within
// the unauthenticated limits, that the need hint asks for no more than the largest
// command such a client may send (so a buffer grown to it stays small), and that the
// chunked stream parses as the whole one.
func FuzzParseUnauthenticated(f *testing.F) {
	for _, s := range []string{"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n", "*11\r\n", "*1\r\n$536870912\r\n",
		"*1\r\n$16385\r\n", "AUTH x\r\nPING\r\n", "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$16384\r\n"} {
		f.Add([]byte(s), []byte{1, 7, 3})
	}
	lim := Limits{Unauthenticated: true}
	// the largest buffer a legal unauthenticated command needs: every header line at
	// its limit, every bulk at its limit
	maxCommand := maxInline(lim) + UnauthMaxMultibulk*(maxInline(lim)+UnauthMaxBulk+4)
	f.Fuzz(func(t *testing.T, data, chunks []byte) {
		var buf []byte
		var got bytes.Buffer
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(chunks) > 0 {
				n = min(n, int(chunks[i%len(chunks)])+1)
			}
			buf = append(buf, rest[:n]...)
			rest = rest[n:]
			var stop bool
			buf, stop = parseChunk(t, buf, lim, maxCommand, &got)
			if stop {
				break
			}
		}
		if whole := parseAllWith(data, lim); got.String() != whole {
			t.Fatalf("chunked %v: got %q, want %q", chunks, got.String(), whole)
		}
	})
}

// parseChunk parses every complete command of buf, checking the unauthenticated
// invariants, renders them into out and returns what is left (stop after an error).
func parseChunk(t *testing.T, buf []byte, lim Limits, maxCommand int, out *bytes.Buffer) ([]byte, bool) {
	for len(buf) > 0 {
		args, consumed, need, inline, err := Parse(buf, nil, lim)
		if errors.Is(err, ErrIncomplete) {
			if need > maxCommand {
				t.Fatalf("need %d for %q, want at most %d", need, buf, maxCommand)
			}
			return buf, false
		}
		if err != nil {
			out.WriteString("ERR:" + err.Error())
			return buf, true
		}
		if !inline {
			if len(args) > UnauthMaxMultibulk {
				t.Fatalf("got %d arguments, want at most %d", len(args), UnauthMaxMultibulk)
			}
			for _, a := range args {
				if len(a) > UnauthMaxBulk {
					t.Fatalf("got a %d-byte argument, want at most %d", len(a), UnauthMaxBulk)
				}
			}
		}
		render(out, args)
		buf = buf[consumed:]
	}
	return buf, false
}
