package store

import (
	"math/rand"
	"slices"
	"strconv"
	"testing"
)

func listContents(l *List) []string {
	out := make([]string, l.Len())
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

func TestListOperations(t *testing.T) {
	cases := []struct {
		name string
		run  func(l *List)
		want []string
	}{
		{"push both ends", func(l *List) { l.PushBack("b"); l.PushFront("a"); l.PushBack("c") }, []string{"a", "b", "c"}},
		{"pop both ends", func(l *List) {
			for _, v := range []string{"a", "b", "c", "d"} {
				l.PushBack(v)
			}
			l.PopFront()
			l.PopBack()
		}, []string{"b", "c"}},
		{"insert head middle tail", func(l *List) {
			l.PushBack("b")
			l.PushBack("d")
			l.Insert(0, "a")
			l.Insert(2, "c")
			l.Insert(4, "e")
		}, []string{"a", "b", "c", "d", "e"}},
		{"remove", func(l *List) {
			for _, v := range []string{"a", "b", "c", "d", "e"} {
				l.PushBack(v)
			}
			l.Remove(1)
			l.Remove(2)
		}, []string{"a", "c", "e"}},
		{"trim", func(l *List) {
			for _, v := range []string{"a", "b", "c", "d", "e"} {
				l.PushBack(v)
			}
			l.TrimFront(1)
			l.TrimBack(2)
		}, []string{"b", "c"}},
		{"remove equal from head limited", func(l *List) {
			for _, v := range []string{"x", "a", "x", "b", "x"} {
				l.PushBack(v)
			}
			l.RemoveEqual("x", 2, false)
		}, []string{"a", "b", "x"}},
		{"remove equal from tail limited", func(l *List) {
			for _, v := range []string{"x", "a", "x", "b", "x"} {
				l.PushBack(v)
			}
			l.RemoveEqual("x", 2, true)
		}, []string{"x", "a", "b"}},
		{"remove equal all", func(l *List) {
			for _, v := range []string{"x", "a", "x", "b", "x"} {
				l.PushBack(v)
			}
			l.RemoveEqual("x", 0, true)
		}, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := NewList()
			tc.run(l)
			if got := listContents(l); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestListMatchesSliceModel runs random operations against List and a plain slice.
func TestListMatchesSliceModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		l := NewList()
		var model []string
		for step := 0; step < 3000; step++ {
			v := strconv.Itoa(rng.Intn(8))
			switch op := rng.Intn(9); {
			case op == 0 || (op == 1 && len(model) < 50):
				l.PushFront(v)
				model = append([]string{v}, model...)
			case op <= 2:
				l.PushBack(v)
				model = append(model, v)
			case op == 3 && len(model) > 0:
				if got := l.PopFront(); got != model[0] {
					t.Fatalf("seed %d step %d: PopFront got %q, want %q", seed, step, got, model[0])
				}
				model = model[1:]
			case op == 4 && len(model) > 0:
				if got := l.PopBack(); got != model[len(model)-1] {
					t.Fatalf("seed %d step %d: PopBack got %q, want %q", seed, step, got, model[len(model)-1])
				}
				model = model[:len(model)-1]
			case op == 5:
				i := rng.Intn(len(model) + 1)
				l.Insert(i, v)
				model = slices.Insert(model, i, v)
			case op == 6 && len(model) > 0:
				i := rng.Intn(len(model))
				l.Remove(i)
				model = slices.Delete(model, i, i+1)
			case op == 7 && len(model) > 0:
				a, b := rng.Intn(len(model)/4+1), rng.Intn(len(model)/4+1)
				if a+b > len(model) {
					break
				}
				l.TrimFront(a)
				l.TrimBack(b)
				model = model[a : len(model)-b]
			case op == 8:
				limit, fromTail := rng.Intn(3), rng.Intn(2) == 1
				got := l.RemoveEqual(v, limit, fromTail)
				want := removeEqualModel(&model, v, limit, fromTail)
				if got != want {
					t.Fatalf("seed %d step %d: RemoveEqual got %d, want %d", seed, step, got, want)
				}
			}
			if got := listContents(l); !slices.Equal(got, model) {
				t.Fatalf("seed %d step %d: got %q, want %q", seed, step, got, model)
			}
		}
	}
}

func removeEqualModel(model *[]string, v string, limit int, fromTail bool) int {
	m := *model
	removed := 0
	if fromTail {
		for i := len(m) - 1; i >= 0; i-- {
			if m[i] == v && (limit == 0 || removed < limit) {
				m = slices.Delete(m, i, i+1)
				removed++
			}
		}
	} else {
		for i := 0; i < len(m); {
			if m[i] == v && (limit == 0 || removed < limit) {
				m = slices.Delete(m, i, i+1)
				removed++
				continue
			}
			i++
		}
	}
	*model = m
	return removed
}

func TestListShrinksAfterPops(t *testing.T) {
	l := NewList()
	for i := 0; i < 10000; i++ {
		l.PushBack("x")
	}
	for i := 0; i < 9990; i++ {
		l.PopFront()
	}
	if got := len(l.buf); got > 128 {
		t.Errorf("buffer capacity after popping to 10 elements: got %d, want <= 128", got)
	}
	if got := l.Encoding(); got != "quicklist" {
		t.Errorf("Encoding: got %q, want quicklist", got)
	}
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewList()
	for i := 0; i < b.N; i++ {
		l.PushFront("value")
		if l.Len() > 1000 {
			l.PopBack()
		}
	}
}
