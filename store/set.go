package store

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"

	"github.com/vigil-db/vigil/internal/strint"
)

// maxIntsetCap is Redis's hard cap on intset entries, whatever set-max-intset-entries says.
const maxIntsetCap = 1 << 30

// Set is a set value. While every member is the canonical decimal form of an int64 and
// there are at most set-max-intset-entries of them, it is an intset (a sorted []int64);
// otherwise a Dict. Like Redis 7.0 it never converts back (OBJECT ENCODING "intset" /
// "hashtable"; 7.0 has no listpack sets).
type Set struct {
	ints []int64         // intset encoding, sorted, used while d == nil
	d    *Dict[struct{}] // hashtable encoding
}

// NewIntset returns an empty intset-encoded set.
func NewIntset() *Set { return &Set{} }

// NewSetFor returns an empty set with the encoding Redis's setTypeCreate picks for a set
// whose first member is first: an intset if first is an integer, else a hashtable.
func NewSetFor(first []byte) *Set {
	if _, ok := IntsetValue(first); ok {
		return &Set{}
	}
	return &Set{d: NewDict[struct{}]()}
}

// IntsetValue parses b as Redis's string2ll does (no spaces, '+' or leading zeros): the
// members an intset can hold.
func IntsetValue(b []byte) (int64, bool) { return strint.Parse(b) }

// Len returns the number of members.
func (s *Set) Len() int {
	if s.d != nil {
		return s.d.Len()
	}
	return len(s.ints)
}

// IsIntset reports whether s has the intset encoding.
func (s *Set) IsIntset() bool { return s.d == nil }

// Encoding returns the name OBJECT ENCODING reports.
func (s *Set) Encoding() string {
	if s.d != nil {
		return "hashtable"
	}
	return "intset"
}

// Ints returns the members of an intset in ascending order (nil for a hashtable). The
// slice must not be modified.
func (s *Set) Ints() []int64 { return s.ints }

// Dict returns the table of a hashtable-encoded set (nil for an intset).
func (s *Set) Dict() *Dict[struct{}] { return s.d }

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.d != nil {
		_, ok := s.d.Get(bstr(m))
		return ok
	}
	v, ok := IntsetValue(m)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.ints, v)
	return found
}

// Contains is Has for a string member.
func (s *Set) Contains(m string) bool {
	if s.d != nil {
		_, ok := s.d.Get(m)
		return ok
	}
	return s.Has(unsafe.Slice(unsafe.StringData(m), len(m)))
}

// ContainsInt reports whether the decimal form of v is a member.
func (s *Set) ContainsInt(v int64) bool {
	if s.d != nil {
		var buf [24]byte
		_, ok := s.d.Get(bstr(strconv.AppendInt(buf[:0], v, 10)))
		return ok
	}
	_, found := slices.BinarySearch(s.ints, v)
	return found
}

// Add adds m (copied) and reports whether it was new. A member that is not an integer,
// or more than maxIntset members, converts an intset to a hashtable (setTypeAdd).
func (s *Set) Add(m []byte, maxIntset int) bool {
	if s.d != nil {
		if _, ok := s.d.Get(bstr(m)); ok {
			return false
		}
		s.d.Add(string(m), struct{}{})
		return true
	}
	v, ok := IntsetValue(m)
	if !ok {
		s.Convert()
		s.d.Add(string(m), struct{}{})
		return true
	}
	return s.AddInt(v, maxIntset)
}

// AddString is Add for a string member; the set keeps m itself (strings are immutable).
func (s *Set) AddString(m string, maxIntset int) bool {
	if s.d != nil {
		if _, ok := s.d.Get(m); ok {
			return false
		}
		s.d.Add(m, struct{}{})
		return true
	}
	if v, ok := IntsetValue(unsafe.Slice(unsafe.StringData(m), len(m))); ok {
		return s.AddInt(v, maxIntset)
	}
	s.Convert()
	s.d.Add(m, struct{}{})
	return true
}

// AddInt adds the decimal form of v and reports whether it was new.
func (s *Set) AddInt(v int64, maxIntset int) bool {
	if s.d != nil {
		var buf [24]byte
		b := strconv.AppendInt(buf[:0], v, 10)
		if _, ok := s.d.Get(bstr(b)); ok {
			return false
		}
		s.d.Add(string(b), struct{}{})
		return true
	}
	i, found := slices.BinarySearch(s.ints, v)
	if found {
		return false
	}
	s.ints = slices.Insert(s.ints, i, v)
	if maxIntset > maxIntsetCap {
		maxIntset = maxIntsetCap
	}
	if len(s.ints) > maxIntset {
		s.Convert()
	}
	return true
}

// RemoveString is Remove for a string member.
func (s *Set) RemoveString(m string) bool {
	return s.Remove(unsafe.Slice(unsafe.StringData(m), len(m)))
}

// RemoveInt removes the decimal form of v and reports whether it was a member.
func (s *Set) RemoveInt(v int64) bool {
	if s.d != nil {
		var buf [24]byte
		return s.Remove(strconv.AppendInt(buf[:0], v, 10))
	}
	i, found := slices.BinarySearch(s.ints, v)
	if !found {
		return false
	}
	s.ints = slices.Delete(s.ints, i, i+1)
	return true
}

// Each calls onInt for every member of an intset, or onStr for every member of a
// hashtable, in iteration order, without formatting integers.
func (s *Set) Each(onInt func(int64), onStr func(string)) {
	if s.d == nil {
		for _, v := range s.ints {
			onInt(v)
		}
		return
	}
	s.d.Range(func(m string, _ struct{}) bool { onStr(m); return true })
}

// Remove removes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	if s.d != nil {
		if _, ok := s.d.Delete(bstr(m)); !ok {
			return false
		}
		s.d.ShrinkIfNeeded()
		return true
	}
	v, ok := IntsetValue(m)
	if !ok {
		return false
	}
	i, found := slices.BinarySearch(s.ints, v)
	if !found {
		return false
	}
	s.ints = slices.Delete(s.ints, i, i+1)
	return true
}

// Convert switches an intset to the hashtable encoding (a no-op for a hashtable).
func (s *Set) Convert() {
	if s.d != nil {
		return
	}
	d := NewDict[struct{}]()
	var buf [24]byte
	for _, v := range s.ints {
		d.Add(string(strconv.AppendInt(buf[:0], v, 10)), struct{}{})
	}
	s.d, s.ints = d, nil
}

// Range calls fn for every member in iteration order (ascending for an intset, table
// order for a hashtable) until fn returns false. Intset members are formatted for fn.
func (s *Set) Range(fn func(m string) bool) {
	if s.d != nil {
		s.d.Range(func(k string, _ struct{}) bool { return fn(k) })
		return
	}
	for _, v := range s.ints {
		if !fn(strconv.FormatInt(v, 10)) {
			return
		}
	}
}

// Members returns every member in iteration order.
func (s *Set) Members() []string {
	out := make([]string, 0, s.Len())
	s.Range(func(m string) bool { out = append(out, m); return true })
	return out
}

// Random returns a random member; s must not be empty.
func (s *Set) Random() string {
	if s.d != nil {
		m, _, _ := s.d.Random()
		return m
	}
	return strconv.FormatInt(s.ints[rand.IntN(len(s.ints))], 10)
}

// Clone returns a deep copy of s with the same encoding (for COPY).
func (s *Set) Clone() *Set {
	if s.d == nil {
		return &Set{ints: slices.Clone(s.ints)}
	}
	d := NewDict[struct{}]()
	s.d.Range(func(k string, _ struct{}) bool { d.Add(k, struct{}{}); return true })
	return &Set{d: d}
}

// Copy returns a deep copy of s (COPY, through the generic key commands' valueCopier).
func (s *Set) Copy() any { return s.Clone() }

// Elements returns copies of the members in iteration order, ascending for an intset
// (SORT through elementLister).
func (s *Set) Elements() [][]byte {
	out := make([][]byte, 0, s.Len())
	if s.d == nil {
		for _, v := range s.ints {
			out = append(out, strconv.AppendInt(nil, v, 10))
		}
		return out
	}
	s.d.Range(func(m string, _ struct{}) bool { out = append(out, []byte(m)); return true })
	return out
}
