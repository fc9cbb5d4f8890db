package store

import (
	"fmt"
	"strings"
	"testing"
)

func TestStringEncoding(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"0", "int"},
		{"12345", "int"},
		{"-1", "int"},
		{"9223372036854775807", "int"},
		{"-9223372036854775808", "int"},
		{"9223372036854775808", "embstr"},
		{"-9223372036854775809", "embstr"},
		{"-0", "embstr"},
		{"01", "embstr"},
		{"+1", "embstr"},
		{" 1", "embstr"},
		{"1.5", "embstr"},
		{"", "embstr"},
		{"abc", "embstr"},
		{strings.Repeat("x", 44), "embstr"},
		{strings.Repeat("x", 45), "raw"},
		{strings.Repeat("1", 45), "raw"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := StringEncoding([]byte(tc.in)).String(); got != tc.want {
				t.Errorf("StringEncoding(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestNewEmbstrOrRawNeverInt(t *testing.T) {
	if got := NewEmbstrOrRaw([]byte("3000")).Enc.String(); got != "embstr" {
		t.Errorf("NewEmbstrOrRaw(3000) encoding = %s, want embstr", got)
	}
	if got := NewEmbstrOrRaw([]byte(strings.Repeat("1", 45))).Enc.String(); got != "raw" {
		t.Errorf("NewEmbstrOrRaw(45 digits) encoding = %s, want raw", got)
	}
}

// TestLongDoubleIncr checks cur+incr formatted as INCRBYFLOAT replies; the wanted values
// were taken from redis-server 7.0.15 on x86-64.
func TestLongDoubleIncr(t *testing.T) {
	cases := []struct {
		cur, incr, want string
	}{
		{"0", "10.5", "10.5"},
		{"0", "3.0e3", "3000"},
		{"0.1", "0.2", "0.3"},
		{"0.3", "-0.3", "0"},
		{"1500000000000000000", "0.1", "1500000000000000000.125"},
		{"0", "-0", "0"},
		{"-0", "-0", "0"},
		{"0", "5.0e-18", "0"},
		{"0", "-1e-20", "0"},
		{"0", "33.333333333333333333", "33.33333333333333333"},
		{"0", "9007199254740993", "9007199254740993"},
		{"0", "18446744073709551617", "18446744073709551616"},
		{"0", "0x1p-2", "0.25"},
		{"0", "0X1.8P1", "3"},
		{"0", "1e30", "1000000000000000000024696061952"},
		{"0", "0.1234567890123456789", "0.12345678901234568"},
		{"100", "0.5", "100.5"},
		{"0", ".5", "0.5"},
		{"0", "5.", "5"},
		{"0", "+5", "5"},
	}
	for _, tc := range cases {
		t.Run(tc.cur+"+"+tc.incr, func(t *testing.T) {
			a, ok := ParseLongDouble([]byte(tc.cur))
			if !ok {
				t.Fatalf("ParseLongDouble(%q) failed", tc.cur)
			}
			b, ok := ParseLongDouble([]byte(tc.incr))
			if !ok {
				t.Fatalf("ParseLongDouble(%q) failed", tc.incr)
			}
			sum, ok := AddLongDouble(a, b)
			if !ok {
				t.Fatalf("AddLongDouble(%s, %s) overflowed", tc.cur, tc.incr)
			}
			if got := string(AppendLongDouble(nil, sum)); got != tc.want {
				t.Errorf("%s + %s = %s, want %s", tc.cur, tc.incr, got, tc.want)
			}
		})
	}
}

func TestParseLongDoubleRejects(t *testing.T) {
	for _, in := range []string{"", " 1", "1 ", "\t1", "abc", "1e", "1e+", "0x", "0x1p", "1_0", "nan", "NaN",
		"-nan", "infin", "1.2.3", ".", "-", "1\x00", "1e5000", "-1e5000", "1e-5000", "0b101", "0o17",
		"1e99999999999999999999", strings.Repeat("1", 5120)} {
		t.Run(in, func(t *testing.T) {
			if _, ok := ParseLongDouble([]byte(in)); ok {
				t.Errorf("ParseLongDouble(%q) accepted, want rejected", in)
			}
		})
	}
}

func TestParseLongDoubleAccepts(t *testing.T) {
	for _, in := range []string{"inf", "-inf", "INF", "infinity", "Infinity", "0e5000", "1e-4940", "1e4932",
		"-1.18e4932", "0x10", "0x.8", "1E2", "1e+2", "-.5e-3"} {
		t.Run(in, func(t *testing.T) {
			if _, ok := ParseLongDouble([]byte(in)); !ok {
				t.Errorf("ParseLongDouble(%q) rejected, want accepted", in)
			}
		})
	}
}

func TestAddLongDoubleOverflow(t *testing.T) {
	cases := []struct{ a, b string }{
		{"inf", "1"},
		{"1", "-inf"},
		{"inf", "-inf"},
		{"1e4932", "1e4932"},
		{"-1.1e4932", "-1.1e4932"},
	}
	for _, tc := range cases {
		t.Run(tc.a+"+"+tc.b, func(t *testing.T) {
			a, _ := ParseLongDouble([]byte(tc.a))
			b, _ := ParseLongDouble([]byte(tc.b))
			if _, ok := AddLongDouble(a, b); ok {
				t.Errorf("AddLongDouble(%s, %s) ok, want NaN/Infinity failure", tc.a, tc.b)
			}
		})
	}
}

func TestLCS(t *testing.T) {
	cases := []struct {
		a, b    string
		minLen  int64
		want    string
		matches []LCSMatch
	}{
		{"ohmytext", "mynewtext", 0, "mytext", []LCSMatch{{4, 7, 5, 8}, {2, 3, 0, 1}}},
		{"ohmytext", "mynewtext", 4, "mytext", []LCSMatch{{4, 7, 5, 8}}},
		{"", "abc", 0, "", nil},
		{"abc", "abc", 0, "abc", []LCSMatch{{0, 2, 0, 2}}},
		{"ABCBDAB", "BDCABA", 0, "BDAB", []LCSMatch{{5, 6, 3, 4}, {3, 4, 0, 1}}}, // from redis-server 7.0.15
	}
	for _, tc := range cases {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			got, matches, n := LCS([]byte(tc.a), []byte(tc.b), true, tc.minLen)
			if string(got) != tc.want || n != len(tc.want) {
				t.Errorf("LCS(%q, %q) = %q (len %d), want %q", tc.a, tc.b, got, n, tc.want)
			}
			if fmt.Sprint(matches) != fmt.Sprint(tc.matches) {
				t.Errorf("LCS(%q, %q) matches = %v, want %v", tc.a, tc.b, matches, tc.matches)
			}
		})
	}
}
