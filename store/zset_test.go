package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var testLim = Limits{MaxEntries: 128, MaxValue: 64}

// model is a naive sorted set used as the reference in property tests.
type model map[string]float64

func (m model) sorted() []ZEntry {
	out := make([]ZEntry, 0, len(m))
	for k, v := range m {
		out = append(out, ZEntry{k, v})
	}
	slices.SortFunc(out, func(a, b ZEntry) int {
		if a.Score != b.Score {
			if a.Score < b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Member, b.Member)
	})
	return out
}

func entries(z *ZSet) []ZEntry {
	var out []ZEntry
	z.Range(false, func(m string, s float64) bool { out = append(out, ZEntry{m, s}); return true })
	return out
}

func checkSkiplist(t *testing.T, z *ZSet) {
	t.Helper()
	if z.zsl == nil {
		return
	}
	zsl := z.zsl
	// level 0 order, backward pointers and tail
	n := 0
	var prev *zslNode
	for x := zsl.header.level[0].forward; x != nil; x = x.level[0].forward {
		if x.backward != prev {
			t.Fatalf("backward pointer of %q: got %v, want %v", x.member, x.backward, prev)
		}
		if prev != nil && !prev.before(x.score, x.member) {
			t.Fatalf("order: %q (%v) before %q (%v)", prev.member, prev.score, x.member, x.score)
		}
		prev = x
		n++
	}
	if zsl.tail != prev || n != zsl.length || n != z.dict.Len() {
		t.Fatalf("tail/length: got length %d dict %d, walked %d", zsl.length, z.dict.Len(), n)
	}
	// spans: every level's spans sum to the rank distance
	for lvl := 0; lvl < zsl.level; lvl++ {
		rank := 0
		for x := zsl.header; x != nil; x = x.level[lvl].forward {
			if x != zsl.header {
				if got := zsl.rank(x.score, x.member); got != rank {
					t.Fatalf("level %d: rank of %q got %d, want %d", lvl, x.member, got, rank)
				}
			}
			if x.level[lvl].forward != nil {
				rank += x.level[lvl].span
			}
		}
	}
}

func TestZSetAgainstModel(t *testing.T) {
	for _, lim := range []Limits{testLim, {MaxEntries: 0, MaxValue: 0}, {MaxEntries: 16, MaxValue: 64}} {
		t.Run(fmt.Sprintf("entries=%d", lim.MaxEntries), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(lim.MaxEntries)))
			z, m := NewZSet(), model{}
			for step := 0; step < 5000; step++ {
				member := fmt.Sprintf("m%d", rng.IntN(300))
				score := float64(rng.IntN(50))
				switch rng.IntN(6) {
				case 0, 1, 2:
					res, _ := z.Add(member, score, 0, lim)
					_, had := m[member]
					if had && m[member] != score && res != Updated || !had && res != Added {
						t.Fatalf("step %d: Add(%s, %v) = %v (had %v)", step, member, score, res, had)
					}
					m[member] = score
				case 3:
					_, had := m[member]
					if got := z.Delete(member); got != had {
						t.Fatalf("step %d: Delete(%s) = %v, want %v", step, member, got, had)
					}
					delete(m, member)
				case 4:
					r := ScoreRange{Min: score, Max: score + float64(rng.IntN(5)), MinEx: rng.IntN(2) == 0}
					want := 0
					for _, s := range m {
						if r.GteMin(s) && r.LteMax(s) {
							want++
						}
					}
					if got := z.CountInRange(&r); got != want {
						t.Fatalf("step %d: CountInRange(%+v) = %d, want %d", step, r, got, want)
					}
					if rng.IntN(4) == 0 {
						if got := z.DeleteRangeByScore(&r); got != want {
							t.Fatalf("step %d: DeleteRangeByScore = %d, want %d", step, got, want)
						}
						for k, s := range m {
							if r.GteMin(s) && r.LteMax(s) {
								delete(m, k)
							}
						}
					}
				case 5:
					if e, ok := z.Pop(rng.IntN(2) == 0); ok {
						delete(m, e.Member)
					}
				}
			}
			checkSkiplist(t, z)
			want := m.sorted()
			if got := entries(z); !slices.Equal(got, want) {
				t.Fatalf("entries differ: got %d, want %d", len(got), len(want))
			}
			for i, e := range want {
				if r, ok := z.Rank(e.Member); !ok || r != i {
					t.Fatalf("Rank(%s) = %d %v, want %d", e.Member, r, ok, i)
				}
				if it := z.At(i); !it.Valid() || it.Member() != e.Member {
					t.Fatalf("At(%d) wrong", i)
				}
			}
		})
	}
}

func TestZSetEncodingConversion(t *testing.T) {
	lim := Limits{MaxEntries: 3, MaxValue: 5}
	cases := []struct {
		name    string
		members []string
		want    string
	}{
		{"small", []string{"a", "b", "c"}, "listpack"},
		{"too many", []string{"a", "b", "c", "d"}, "skiplist"},
		{"too long", []string{"a", "abcdef"}, "skiplist"},
		{"exactly max value", []string{"abcde"}, "listpack"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			z := NewZSet()
			for i, m := range tc.members {
				z.Add(m, float64(i), 0, lim)
			}
			if got := z.Encoding(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	// never back on deletion
	z := NewZSet()
	for _, m := range []string{"a", "b", "c", "d"} {
		z.Add(m, 1, 0, lim)
	}
	z.Delete("a")
	z.Delete("b")
	if got := z.Encoding(); got != "skiplist" {
		t.Errorf("after deletes: got %s, want skiplist", got)
	}
	z.ConvertToListpackIfFits(lim, 1, 2)
	if got := z.Encoding(); got != "listpack" {
		t.Errorf("after ConvertToListpackIfFits: got %s, want listpack", got)
	}
}

func TestZSetNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	cases := []struct {
		name     string
		skiplist bool
		wantNeg  bool
	}{
		{"listpack stores -0 as integer 0", false, false},
		{"skiplist keeps -0", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			z := NewZSet()
			if tc.skiplist {
				z = NewZSetSkiplist()
			}
			z.Add("a", negZero, 0, testLim)
			s, _ := z.Score("a")
			if got := math.Signbit(s); got != tc.wantNeg {
				t.Errorf("signbit: got %v, want %v", got, tc.wantNeg)
			}
		})
	}
}

func TestZSetAddFlags(t *testing.T) {
	cases := []struct {
		name      string
		flags     AddFlags
		score     float64
		wantRes   AddResult
		wantScore float64 // stored score of "a" afterwards (initially 5)
	}{
		{"plain update", 0, 7, Updated, 7},
		{"same score", 0, 5, 0, 5},
		{"nx existing", AddNX, 7, AddNop, 5},
		{"xx existing", AddXX, 7, Updated, 7},
		{"gt smaller", AddGT, 4, AddNop, 5},
		{"gt greater", AddGT, 6, Updated, 6},
		{"lt greater", AddLT, 6, AddNop, 5},
		{"lt smaller", AddLT, 4, Updated, 4},
		{"incr", AddIncr, 2, Updated, 7},
		{"incr gt negative", AddIncr | AddGT, -1, AddNop, 5},
		{"incr to -inf", AddIncr, math.Inf(-1), Updated, math.Inf(-1)},
		{"nan input", 0, math.NaN(), AddedNaN, 5},
	}
	for _, tc := range cases {
		for _, skiplist := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/skiplist=%v", tc.name, skiplist), func(t *testing.T) {
				z := NewZSet()
				if skiplist {
					z = NewZSetSkiplist()
				}
				z.Add("a", 5, 0, testLim)
				res, _ := z.Add("a", tc.score, tc.flags, testLim)
				if res != tc.wantRes {
					t.Errorf("result: got %v, want %v", res, tc.wantRes)
				}
				if s, _ := z.Score("a"); s != tc.wantScore {
					t.Errorf("score: got %v, want %v", s, tc.wantScore)
				}
			})
		}
	}
	z := NewZSet()
	z.Add("a", math.Inf(1), 0, testLim)
	if res, _ := z.Add("a", math.Inf(-1), AddIncr, testLim); res != AddedNaN {
		t.Errorf("inf + -inf: got %v, want AddedNaN", res)
	}
}

func TestZSetLexRange(t *testing.T) {
	members := []string{"", "a", "aa", "b", "c"}
	val := func(s string) LexBound { return LexBound{S: s} }
	minInf, maxInf := LexBound{Kind: LexMinInf}, LexBound{Kind: LexMaxInf}
	cases := []struct {
		name string
		r    LexRange
		want []string
	}{
		{"all", LexRange{Min: minInf, Max: maxInf, MinEx: true, MaxEx: true}, members},
		{"inclusive", LexRange{Min: val("a"), Max: val("b")}, []string{"a", "aa", "b"}},
		{"exclusive", LexRange{Min: val("a"), Max: val("b"), MinEx: true, MaxEx: true}, []string{"aa"}},
		{"reversed", LexRange{Min: val("b"), Max: val("a")}, nil},
		{"max to min", LexRange{Min: maxInf, Max: minInf, MinEx: true, MaxEx: true}, nil},
		{"min to min", LexRange{Min: minInf, Max: minInf, MinEx: true, MaxEx: true}, nil},
		{"empty string", LexRange{Min: val(""), Max: val("")}, []string{""}},
	}
	for _, tc := range cases {
		for _, skiplist := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/skiplist=%v", tc.name, skiplist), func(t *testing.T) {
				z := NewZSet()
				if skiplist {
					z = NewZSetSkiplist()
				}
				for _, m := range members {
					z.Add(m, 0, 0, testLim)
				}
				var got []string
				for it := z.FirstInLex(&tc.r); it.Valid() && tc.r.LteMax(it.Member()); it.Next() {
					got = append(got, it.Member())
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %q, want %q", got, tc.want)
				}
				if n := z.CountInLex(&tc.r); n != len(tc.want) {
					t.Errorf("CountInLex: got %d, want %d", n, len(tc.want))
				}
			})
		}
	}
}

func TestZSetDeleteRangeByRankSkiplist(t *testing.T) {
	z := NewZSetSkiplist()
	for i := 0; i < 100; i++ {
		z.Add(fmt.Sprintf("m%02d", i), float64(i), 0, testLim)
	}
	if got := z.DeleteRangeByRank(10, 19); got != 10 {
		t.Fatalf("got %d, want 10", got)
	}
	checkSkiplist(t, z)
	if it := z.At(10); it.Member() != "m20" {
		t.Errorf("At(10): got %s, want m20", it.Member())
	}
}

func BenchmarkZSetAddSkiplist(b *testing.B) {
	z := NewZSetSkiplist()
	members := make([]string, 1<<16)
	for i := range members {
		members[i] = fmt.Sprintf("member:%d", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Add(members[i&(1<<16-1)], float64(i), 0, testLim)
	}
}

func BenchmarkZSetRank(b *testing.B) {
	z := NewZSetSkiplist()
	members := make([]string, 100000)
	for i := range members {
		members[i] = fmt.Sprintf("m:%012d", rand.IntN(1000000))
		z.Add(members[i], float64(rand.IntN(1000000)), 0, testLim)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Rank(members[i%len(members)])
	}
}
