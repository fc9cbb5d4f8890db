package resp

import (
	"errors"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		name, in    string
		resp2, rest string
		err         error
	}{
		{"bulk", "$3\r\nfoo\r\nX", "$3\r\nfoo\r\n", "X", nil},
		{"simple", "+ok\r\n", "+ok\r\n", "", nil},
		{"int", ":-7\r\n", ":-7\r\n", "", nil},
		{"null", "_\r\n", "$-1\r\n", "", nil},
		{"set as array", "~2\r\n+a\r\n:1\r\n", "*2\r\n+a\r\n:1\r\n", "", nil},
		{"map as array", "%1\r\n$1\r\nk\r\n*1\r\n:2\r\n", "*2\r\n$1\r\nk\r\n*1\r\n:2\r\n", "", nil},
		{"empty", "", "", "", ErrMalformedValue},
		{"short bulk", "$5\r\nab\r\n", "", "", ErrMalformedValue},
		{"short array", "*2\r\n:1\r\n", "", "", ErrMalformedValue},
		{"huge count", "*99999999999\r\n", "", "", ErrMalformedValue},
		{"bad int", ":x\r\n", "", "", ErrMalformedValue},
		{"unknown type", "!1\r\nx\r\n", "", "", ErrMalformedValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, rest, err := ParseValue([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseValue(%q): got error %v, want %v", tt.in, err, tt.err)
			}
			if err != nil {
				return
			}
			w := Writer{Proto: 2}
			v.Write(&w)
			if string(w.B) != tt.resp2 || string(rest) != tt.rest {
				t.Errorf("ParseValue(%q) in RESP2: got %q rest %q, want %q rest %q", tt.in, w.B, rest, tt.resp2, tt.rest)
			}
			w = Writer{Proto: 3}
			v.Write(&w)
			if string(w.B)+string(rest) != tt.in {
				t.Errorf("ParseValue(%q) in RESP3: got %q, want the input back", tt.in, w.B)
			}
		})
	}
}

func TestValueGetStrings(t *testing.T) {
	v, _, err := ParseValue([]byte("%2\r\n$1\r\na\r\n~2\r\n+x\r\n+y\r\n$1\r\nb\r\n:1\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Get("a").Strings(); len(got) != 2 || got[0] != "x" || got[1] != "y" {
		t.Errorf("Get(a).Strings(): got %q, want [x y]", got)
	}
	if v.Get("c") != nil || v.Get("b").Get("a") != nil {
		t.Errorf("Get of a missing key or on a non-map: got non-nil, want nil")
	}
}
