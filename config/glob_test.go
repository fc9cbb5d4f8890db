package config

import "testing"

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		nocase     bool
		want       bool
	}{
		{"*", "", false, false}, // stringmatchlen never enters its loop for ""; KEYS special-cases "*"
		{"*", "anything", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a*", "abc", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"*c", "c", false, true},
		{"**c", "abc", false, true},
		{"a**", "a", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hallo", false, true},
		{"h[a-b]llo", "hcllo", false, false},
		{"[a-]", "]", false, true},
		{`h\*llo`, "h*llo", false, true},
		{`h\*llo`, "hello", false, false},
		{`[\]]`, "]", false, true},
		{`[\-]`, "-", false, true},
		{"abc\\", "abc\\", false, true},
		{"[abc", "a", false, true},
		{"[abc", "c", false, true},
		{"[", "a", false, false},
		{"HELLO", "hello", false, false},
		{"HELLO", "hello", true, true},
		{"h[A-Z]llo", "hello", true, true},
		{"maxmemory*", "maxmemory-policy", true, true},
		{"*max*", "hash-max-listpack-entries", true, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyyd", false, false},
		{"*a", "", false, false},
		{"?", "", false, false},
		{"**", "", false, false},
		{"h[", "h", false, false},
		{"h[a", "ha", false, true},
		{"[", "[", false, false},
		{`\`, `\`, false, true},
		{"a**b", "axxb", false, true},
		{"*a*", "bbb", false, false},
		{"[\xf0-a]", "\xff", false, true}, // signed chars: 0xf0 < 'a'
		{"[\xf0-a]", "b", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"|"+tt.s, func(t *testing.T) {
			if got := Glob(tt.pattern, tt.s, tt.nocase); got != tt.want {
				t.Fatalf("Glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.nocase, got, tt.want)
			}
		})
	}
}

func TestGlobAbusivePattern(t *testing.T) {
	p := ""
	for i := 0; i < 50; i++ {
		p += "a*"
	}
	s := ""
	for i := 0; i < 100; i++ {
		s += "a"
	}
	if Glob(p+"b", s, false) {
		t.Fatalf("Glob(%q, %q) = true, want false", p+"b", s)
	}
}
