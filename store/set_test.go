package store

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

func TestIntsetValue(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-1", -1, true},
		{"123", 123, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false},
		{"-0", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1.0", 0, false},
	}
	for _, tc := range cases {
		got, ok := IntsetValue([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("IntsetValue(%q): got %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSetEncoding(t *testing.T) {
	cases := []struct {
		name    string
		first   string
		adds    []string
		removes []string
		max     int
		want    string
		members string // sorted members
	}{
		{"ints stay intset and sorted", "3", []string{"3", "1", "2", "-7"}, nil, 512, "intset", "-7,1,2,3"},
		{"string first", "a", []string{"a"}, nil, 512, "hashtable", "a"},
		{"string later converts", "1", []string{"1", "x"}, nil, 512, "hashtable", "1,x"},
		{"no conversion back", "1", []string{"1", "x"}, []string{"x"}, 512, "hashtable", "1"},
		{"at max", "1", []string{"1", "2"}, nil, 2, "intset", "1,2"},
		{"above max", "1", []string{"1", "2", "3"}, nil, 2, "hashtable", "1,2,3"},
		{"max zero", "1", []string{"1"}, nil, 0, "hashtable", "1"},
		{"non-canonical int", "01", []string{"01"}, nil, 512, "hashtable", "01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSetFor([]byte(tc.first))
			for _, m := range tc.adds {
				s.Add([]byte(m), tc.max)
			}
			for _, m := range tc.removes {
				s.Remove([]byte(m))
			}
			if got := s.Encoding(); got != tc.want {
				t.Errorf("got encoding %q, want %q", got, tc.want)
			}
			got := s.Members()
			if s.IsIntset() && !sort.SliceIsSorted(s.Ints(), func(i, j int) bool { return s.Ints()[i] < s.Ints()[j] }) {
				t.Errorf("intset not sorted: %v", s.Ints())
			}
			sort.Strings(got)
			if strings.Join(got, ",") != tc.members {
				t.Errorf("got members %q, want %q", strings.Join(got, ","), tc.members)
			}
		})
	}
}

// TestSetMatchesMapModel applies random operations to a Set and a Go map and compares.
func TestSetMatchesMapModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		max := r.IntN(50)
		s, model := NewIntset(), map[string]bool{}
		for i := 0; i < 500; i++ {
			var m string
			if r.IntN(10) == 0 {
				m = fmt.Sprintf("s%d", r.IntN(20))
			} else {
				m = fmt.Sprint(r.IntN(80) - 40)
			}
			if r.IntN(3) < 2 {
				if got := s.Add([]byte(m), max); got == model[m] {
					t.Fatalf("seed %d: Add(%q) = %v, model had it: %v", seed, m, got, model[m])
				}
				model[m] = true
			} else {
				if got := s.Remove([]byte(m)); got != model[m] {
					t.Fatalf("seed %d: Remove(%q) = %v, want %v", seed, m, got, model[m])
				}
				delete(model, m)
			}
			if s.Len() != len(model) {
				t.Fatalf("seed %d: got len %d, want %d", seed, s.Len(), len(model))
			}
		}
		for m := range model {
			if !s.Has([]byte(m)) || !s.Contains(m) {
				t.Fatalf("seed %d: %q missing", seed, m)
			}
		}
		if len(model) > 0 && !model[s.Random()] {
			t.Fatalf("seed %d: Random returned a non-member", seed)
		}
		c := s.Clone()
		if c.Encoding() != s.Encoding() || c.Len() != s.Len() {
			t.Fatalf("seed %d: clone differs", seed)
		}
	}
}

func TestSetContainsInt(t *testing.T) {
	for _, s := range []*Set{NewIntset(), NewSetFor([]byte("x"))} {
		s.Add([]byte("42"), 512)
		s.Add([]byte("-3"), 512)
		for _, tc := range []struct {
			v    int64
			want bool
		}{{42, true}, {-3, true}, {0, false}} {
			if got := s.ContainsInt(tc.v); got != tc.want {
				t.Errorf("%s ContainsInt(%d): got %v, want %v", s.Encoding(), tc.v, got, tc.want)
			}
		}
	}
}
