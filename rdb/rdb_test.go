package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"testing"
)

func sampleEntries() []*Entry {
	big := make([][]byte, 300)
	for i := range big {
		big[i] = []byte(fmt.Sprintf("element-%d-%s", i, bytes.Repeat([]byte("x"), i%70)))
	}
	var bigPairs [][]byte
	var bigZ []ZMember
	for i := 0; i < 200; i++ {
		bigPairs = append(bigPairs, []byte("f"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)))
		bigZ = append(bigZ, ZMember{[]byte("m" + strconv.Itoa(i)), float64(i) * 1.5})
	}
	return []*Entry{
		{Key: []byte("s1"), Kind: KindString, Str: []byte("hello"), ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("s2"), Kind: KindString, Str: []byte("12345"), ExpireMs: 1893456000000, Idle: -1, Freq: -1},
		{Key: []byte("s3"), Kind: KindString, Str: []byte("-7"), ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("s4"), Kind: KindString, Str: bytes.Repeat([]byte("abc"), 100), ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("s5"), Kind: KindString, Str: []byte("007"), ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("l1"), Kind: KindList, Elems: [][]byte{[]byte("a"), []byte("1"), []byte("-300"), []byte("70000"), []byte("5000000000")}, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("l2"), Kind: KindList, Elems: big, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("set1"), Kind: KindSet, Elems: [][]byte{[]byte("-5"), []byte("3"), []byte("100000")}, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("set2"), Kind: KindSet, Elems: [][]byte{[]byte("a"), []byte("b")}, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("h1"), Kind: KindHash, Pairs: [][]byte{[]byte("f"), []byte("v"), []byte("n"), []byte("42")}, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("h2"), Kind: KindHash, Pairs: bigPairs, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("z1"), Kind: KindZSet, ZSet: []ZMember{{[]byte("a"), 1}, {[]byte("b"), 2.5}, {[]byte("c"), -0.1}}, ExpireMs: -1, Idle: -1, Freq: -1},
		{Key: []byte("z2"), Kind: KindZSet, ZSet: bigZ, ExpireMs: 1893456000123, Idle: -1, Freq: -1},
	}
}

func encodeAll(t *testing.T, entries []*Entry, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf, opt)
	if err := enc.Header([][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}}); err != nil {
		t.Fatal(err)
	}
	enc.SelectDB(0, len(entries), 2)
	for _, e := range entries {
		if err := enc.Entry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeAll(data []byte) ([]*Entry, *Decoder, error) {
	d := NewDecoder(bytes.NewReader(data))
	if err := d.Header(); err != nil {
		return nil, d, err
	}
	var out []*Entry
	for {
		e, err := d.Next()
		if err == io.EOF {
			return out, d, nil
		}
		if err != nil {
			return out, d, err
		}
		out = append(out, e)
	}
}

// normalize sorts what the encoder may legitimately reorder (intset members).
func normalize(e *Entry) *Entry {
	c := *e
	if c.Kind == KindSet && allInts(c.Elems) {
		vals := make([]int64, len(c.Elems))
		for i, s := range c.Elems {
			vals[i], _ = canonicalInt(s)
		}
		sortInt64(vals)
		c.Elems = nil
		for _, v := range vals {
			c.Elems = append(c.Elems, strconv.AppendInt(nil, v, 10))
		}
	}
	if c.Kind == KindZSet && len(c.ZSet) > 128 {
		// ZSET_2 is written highest score first
		z := append([]ZMember(nil), c.ZSet...)
		for i, j := 0, len(z)-1; i < j; i, j = i+1, j-1 {
			z[i], z[j] = z[j], z[i]
		}
		c.ZSet = z
	}
	return &c
}

func TestRoundTrip(t *testing.T) {
	for _, opt := range []Options{{Compress: true, Checksum: true}, {}} {
		name := fmt.Sprintf("compress=%v,checksum=%v", opt.Compress, opt.Checksum)
		t.Run(name, func(t *testing.T) {
			in := sampleEntries()
			data := encodeAll(t, in, opt)
			out, d, err := decodeAll(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Aux) != 2 || d.Aux[0] != [2]string{"redis-ver", "7.0.15"} {
				t.Errorf("aux: got %q", d.Aux)
			}
			if len(out) != len(in) {
				t.Fatalf("got %d entries, want %d", len(out), len(in))
			}
			for i := range in {
				want := in[i]
				got := out[i]
				if want.Kind == KindZSet && len(want.ZSet) > 128 {
					got = normalize(got)
				}
				if !reflect.DeepEqual(normalize(got), normalize(want)) {
					t.Errorf("entry %s: got %+v, want %+v", want.Key, got, want)
				}
			}
		})
	}
}

func TestChecksumMismatch(t *testing.T) {
	data := encodeAll(t, sampleEntries(), Options{Checksum: true})
	data[len(data)-1] ^= 0xff
	if _, _, err := decodeAll(data); !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v, want ErrChecksum", err)
	}
}

func TestBadHeaders(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"RODIS0010", "Wrong signature"},
		{"REDIS0011", "Can't handle RDB format version 11"},
		{"REDIS00x1", "Wrong signature"},
	}
	for _, tc := range cases {
		_, _, err := decodeAll([]byte(tc.in))
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestUnsupportedTypeNamesKey(t *testing.T) {
	data := []byte("REDIS0010\xfe\x00\x13\x06mystrm")
	_, _, err := decodeAll(data)
	var ue *UnsupportedTypeError
	if !errors.As(err, &ue) || string(ue.Key) != "mystrm" || ue.Type != "stream" {
		t.Fatalf("got %v, want UnsupportedTypeError for key mystrm type stream", err)
	}
}

func TestFormatScore(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{1, "1"}, {2.5, "2.5"}, {0.1, "0.10000000000000001"}, {-3, "-3"}, {1e17, "100000000000000000"}, {math.Copysign(0, -1), "0"}, {1e20, "1e+20"}} {
		if got := string(formatScore(tc.in)); got != tc.want {
			t.Errorf("formatScore(%v): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzDecode feeds corrupted and truncated dumps: the decoder must return an error, never
// panic or hang.
func FuzzDecode(f *testing.F) {
	f.Add(encodeAllF(sampleEntries(), Options{Compress: true, Checksum: true}))
	f.Add([]byte("REDIS0010\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data))
		d.SkipChecksum = true
		if d.Header() != nil {
			return
		}
		for i := 0; i < 100000; i++ {
			if _, err := d.Next(); err != nil {
				return
			}
		}
		t.Fatal("decoder did not finish")
	})
}

func encodeAllF(entries []*Entry, opt Options) []byte {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, opt)
	enc.Header(nil)
	enc.SelectDB(0, len(entries), 0)
	for _, e := range entries {
		enc.Entry(e)
	}
	enc.Finish()
	return buf.Bytes()
}

func TestDumpPayload(t *testing.T) {
	// DUMP of SET s hello on redis-server 7.0.15
	redisPayload := []byte("\x00\x05hello\n\x00cr\xdfve4 \n")
	e, err := ParseDumpPayload(redisPayload, false)
	if err != nil || string(e.Str) != "hello" {
		t.Fatalf("parse Redis's payload: got %+v, %v", e, err)
	}
	if got := DumpPayload(&Entry{Kind: KindString, Str: []byte("hello"), ExpireMs: -1, Idle: -1, Freq: -1}, Options{}); !bytes.Equal(got, redisPayload) {
		t.Errorf("DumpPayload: got %q, want %q", got, redisPayload)
	}
	// DUMP of RPUSH l a b 1 on redis-server 7.0.15
	listPayload := []byte("\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81a\x02\x81b\x02\x01\x01\xff\n\x00\xe0\x1b\xabJG\xceY\"")
	l := &Entry{Kind: KindList, Elems: [][]byte{[]byte("a"), []byte("b"), []byte("1")}, ExpireMs: -1, Idle: -1, Freq: -1}
	if got := DumpPayload(l, Options{}); !bytes.Equal(got, listPayload) {
		t.Errorf("DumpPayload(list): got %q, want %q", got, listPayload)
	}
	bad := append([]byte(nil), redisPayload...)
	bad[len(bad)-1] ^= 1
	if _, err := ParseDumpPayload(bad, false); !errors.Is(err, ErrDumpPayload) {
		t.Errorf("corrupt checksum: got %v, want ErrDumpPayload", err)
	}
	if _, err := ParseDumpPayload([]byte("x"), false); !errors.Is(err, ErrDumpPayload) {
		t.Errorf("short payload: got %v, want ErrDumpPayload", err)
	}
}

func TestCanonicalInt(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"123", 123, true}, {"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true}, {"9223372036854775808", 0, false},
		{"-0", 0, false}, {"007", 0, false}, {"+1", 0, false}, {"", 0, false}, {"-", 0, false},
		{"1a", 0, false}, {" 1", 0, false}, {"key:1", 0, false},
	}
	for _, tc := range cases {
		got, ok := canonicalInt([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("canonicalInt(%q): got %d,%v, want %d,%v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
