package config

import (
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  bool
	}{
		{"empty", "", nil, false},
		{"blanks", "  \t ", nil, false},
		{"words", "save 60  1", []string{"save", "60", "1"}, false},
		{"double quotes", `a "b c" d`, []string{"a", "b c", "d"}, false},
		{"escapes", `"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}, false},
		{"hex", `"\x41\x7a\xZZ"`, []string{"Az" + "xZZ"}, false},
		{"single quotes", `'it\'s' 'a\nb'`, []string{"it's", `a\nb`}, false},
		{"empty quotes", `save ""`, []string{"save", ""}, false},
		{"quote inside word", `ab"c d"e`, nil, true},
		{"quote starts mid word", `ab"c d"`, []string{"abc d"}, false},
		{"unterminated double", `"abc`, nil, true},
		{"unterminated single", `'abc`, nil, true},
		{"closing quote glued", `"a"b`, nil, true},
		{"nul ends line", "a\x00b", []string{"a"}, false},
		{"vertical tab inside word", "a\vb", []string{"a\vb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitArgs(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("splitArgs(%q) error = %v, want error %v", tt.in, err, tt.err)
			}
			if !tt.err && !slices.Equal(got, tt.want) {
				t.Fatalf("splitArgs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReprRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", `q"uote`, `back\slash`, "\x00\x01\xff\n\t", "é"} {
		t.Run(s, func(t *testing.T) {
			got, err := splitArgs(repr(s))
			if err != nil || len(got) != 1 || got[0] != s {
				t.Fatalf("splitArgs(repr(%q)) = %q, %v; want [%q]", s, got, err, s)
			}
		})
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"100", 100, true}, {"1b", 1, true}, {"1k", 1000, true}, {"1kb", 1024, true},
		{"2m", 2000000, true}, {"2MB", 2 << 20, true}, {"1g", 1000000000, true}, {"1Gb", 1 << 30, true},
		{"", 0, true}, {"kb", 0, true}, {"-1", 0, false}, {"1x", 0, false}, {"1 kb", 0, false},
		{"1.5gb", 0, false}, {"18446744073709551615", 1<<64 - 1, true}, {"18446744073709551616", 0, false},
		{"17179869184gb", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseMemory(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseMemory(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseLL(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"-7", -7, true}, {"01", 0, false}, {"-0", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"", 0, false}, {"1e3", 0, false},
		{"9223372036854775807", 1<<63 - 1, true}, {"9223372036854775808", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseLL(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseLL(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestFormatMemory(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{{0, "0"}, {1000, "1000"}, {1024, "1kb"}, {3 << 20, "3mb"}, {2 << 30, "2gb"}, {1536, "1536"}}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatMemory(tt.in); got != tt.want {
				t.Fatalf("formatMemory(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeyspaceEvents(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"KEA", "AKE"}, {"Ex", "xE"}, {"g$lshzxetd", "A"}, {"Kmn", "nKm"}, {"KA$", "AK"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, ok := parseKeyspaceEvents(tt.in)
			if !ok {
				t.Fatalf("parseKeyspaceEvents(%q) failed", tt.in)
			}
			if got := formatKeyspaceEvents(f); got != tt.want {
				t.Fatalf("format(parse(%q)) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
