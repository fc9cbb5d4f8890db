package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func hashFields(h *Hash) string {
	var parts []string
	h.Range(func(f, v string) bool { parts = append(parts, f+"="+v); return true })
	return strings.Join(parts, ",")
}

func TestHashListpackOrderAndConversion(t *testing.T) {
	lim := ListpackLimits{Entries: 3, Value: 4}
	cases := []struct {
		name     string
		ops      func(h *Hash)
		want     string // listpack order, or "" to skip the order check
		encoding string
		length   int
	}{
		{"insertion order", func(h *Hash) {
			h.Set([]byte("b"), []byte("1"), lim)
			h.Set([]byte("a"), []byte("2"), lim)
		}, "b=1,a=2", "listpack", 2},
		{"update in place", func(h *Hash) {
			h.Set([]byte("b"), []byte("1"), lim)
			h.Set([]byte("a"), []byte("2"), lim)
			h.Set([]byte("b"), []byte("3"), lim)
		}, "b=3,a=2", "listpack", 2},
		{"delete then re-add goes last", func(h *Hash) {
			h.Set([]byte("b"), []byte("1"), lim)
			h.Set([]byte("a"), []byte("2"), lim)
			h.Delete([]byte("b"))
			h.Set([]byte("b"), []byte("4"), lim)
		}, "a=2,b=4", "listpack", 2},
		{"entries at limit", func(h *Hash) {
			for _, f := range []string{"x", "y", "z"} {
				h.Set([]byte(f), []byte("v"), lim)
			}
		}, "x=v,y=v,z=v", "listpack", 3},
		{"entries above limit", func(h *Hash) {
			for _, f := range []string{"w", "x", "y", "z"} {
				h.Set([]byte(f), []byte("v"), lim)
			}
		}, "", "hashtable", 4},
		{"value at limit", func(h *Hash) { h.Set([]byte("f"), []byte("1234"), lim) }, "f=1234", "listpack", 1},
		{"value above limit", func(h *Hash) { h.Set([]byte("f"), []byte("12345"), lim) }, "", "hashtable", 1},
		{"field above limit", func(h *Hash) { h.Set([]byte("12345"), []byte("v"), lim) }, "", "hashtable", 1},
		{"never converts back", func(h *Hash) {
			h.Set([]byte("f"), []byte("12345"), lim)
			h.Delete([]byte("f"))
			h.Set([]byte("g"), []byte("1"), lim)
		}, "", "hashtable", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHash()
			tc.ops(h)
			if got := h.Encoding(); got != tc.encoding {
				t.Errorf("got encoding %q, want %q", got, tc.encoding)
			}
			if got := h.Len(); got != tc.length {
				t.Errorf("got len %d, want %d", got, tc.length)
			}
			if tc.want != "" {
				if got := hashFields(h); got != tc.want {
					t.Errorf("got fields %q, want %q", got, tc.want)
				}
			}
		})
	}
}

// TestHashMatchesMapModel applies random operations to a Hash and a Go map and compares.
func TestHashMatchesMapModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		lim := ListpackLimits{Entries: 1 + r.IntN(40), Value: 1 + r.IntN(10)}
		h, model := NewHash(), map[string]string{}
		for i := 0; i < 500; i++ {
			f := fmt.Sprintf("f%d", r.IntN(60))
			switch r.IntN(3) {
			case 0, 1:
				v := strings.Repeat("v", r.IntN(12))
				_, existed := model[f]
				if added := h.Set([]byte(f), []byte(v), lim); added == existed {
					t.Fatalf("seed %d: Set(%q) added=%v, model existed=%v", seed, f, added, existed)
				}
				model[f] = v
			case 2:
				_, existed := model[f]
				if got := h.Delete([]byte(f)); got != existed {
					t.Fatalf("seed %d: Delete(%q) = %v, want %v", seed, f, got, existed)
				}
				delete(model, f)
			}
			if h.Len() != len(model) {
				t.Fatalf("seed %d: got len %d, want %d", seed, h.Len(), len(model))
			}
		}
		for f, v := range model {
			if got, ok := h.Get([]byte(f)); !ok || got != v {
				t.Fatalf("seed %d: Get(%q) = %q, %v, want %q", seed, f, got, ok, v)
			}
		}
		n := 0
		h.Range(func(f, v string) bool {
			n++
			if model[f] != v {
				t.Fatalf("seed %d: Range gave %q=%q, want %q", seed, f, v, model[f])
			}
			return true
		})
		if n != len(model) {
			t.Fatalf("seed %d: Range visited %d, want %d", seed, n, len(model))
		}
		c := h.Clone()
		if c.Encoding() != h.Encoding() || hashFields(c) != hashFields(h) && h.IsListpack() {
			t.Fatalf("seed %d: clone differs", seed)
		}
	}
}

func TestHashRandomDistinct(t *testing.T) {
	for _, listpack := range []bool{true, false} {
		h := NewHash()
		for i := 0; i < 20; i++ {
			h.Set([]byte(fmt.Sprintf("f%02d", i)), []byte("v"), ListpackLimits{Entries: 128, Value: 64})
		}
		if !listpack {
			h.Convert()
		}
		for count := 1; count < 20; count++ {
			seen := map[string]bool{}
			prev := ""
			h.RandomDistinct(count, func(f, _ string) {
				if seen[f] {
					t.Fatalf("listpack=%v count %d: %q twice", listpack, count, f)
				}
				seen[f] = true
				if listpack && f < prev {
					t.Fatalf("listpack=%v count %d: %q after %q, want listpack order", listpack, count, f, prev)
				}
				prev = f
			})
			if len(seen) != count {
				t.Fatalf("listpack=%v: got %d fields, want %d", listpack, len(seen), count)
			}
		}
	}
}
