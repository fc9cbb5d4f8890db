package rdb

import (
	"strings"
	"testing"
)

// Hand-built blobs in the encodings Redis 2.6-6.2 wrote (ziplist, zipmap), plus intset
// and listpack edge cases.
func TestBlobDecoders(t *testing.T) {
	ziplist := []byte{24, 0, 0, 0, 19, 0, 0, 0, 4, 0,
		0x00, 0x01, 'a', // "a"
		0x03, 0xF2, // 1 (immediate)
		0x02, 0x02, 'b', 'c', // "bc"
		0x04, 0xC0, 0x2C, 0x01, // 300 (int16)
		0xFF}
	zipmap := []byte{0x01, 0x01, 'f', 0x01, 0x00, 'v', 0xFF}
	intset := []byte{2, 0, 0, 0, 3, 0, 0, 0, 0xFB, 0xFF, 3, 0, 7, 0}
	cases := []struct {
		name string
		fn   func([]byte) ([][]byte, error)
		in   []byte
		want string // elements joined by "|", or "ERR"
	}{
		{"ziplist", ziplistEntries, ziplist, "a|1|bc|300"},
		{"ziplist bad size", ziplistEntries, ziplist[:23], "ERR"},
		{"zipmap", zipmapEntries, zipmap, "f|v"},
		{"zipmap truncated", zipmapEntries, zipmap[:4], "ERR"},
		{"intset", intsetEntries, intset, "-5|3|7"},
		{"intset unsorted", intsetEntries, []byte{2, 0, 0, 0, 2, 0, 0, 0, 7, 0, 3, 0}, "ERR"},
		{"intset bad width", intsetEntries, []byte{3, 0, 0, 0, 0, 0, 0, 0}, "ERR"},
		{"listpack round trip", listpackEntries, encodeListpack([][]byte{[]byte("x"), []byte("-4096"), []byte("127"), []byte("128"), []byte("70000"), []byte("-9000000000"), []byte(strings.Repeat("s", 5000))}), "x|-4096|127|128|70000|-9000000000|" + strings.Repeat("s", 5000)},
		{"listpack bad terminator", listpackEntries, []byte{7, 0, 0, 0, 0, 0, 0xFE}, "ERR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			items, err := tc.fn(tc.in)
			if tc.want == "ERR" {
				if err == nil {
					t.Fatalf("got %q, want an error", items)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, it := range items {
				parts = append(parts, string(it))
			}
			if got := strings.Join(parts, "|"); got != tc.want {
				t.Errorf("got %.80q, want %.80q", got, tc.want)
			}
		})
	}
}
