package store

import "unsafe"

// List is the value of a Redis list: a double-ended queue of byte strings held in a
// ring buffer, so that pushes and pops at both ends are O(1) and indexing is O(1).
// Inserting or removing in the middle moves the elements of the shorter side.
// Elements are Go strings (immutable copies of the pushed arguments).
//
// Redis 7.0 always reports a list's encoding as "quicklist".
type List struct {
	buf  []string // ring storage; len(buf) is 0 or a power of two
	head int      // index in buf of element 0
	n    int      // number of elements
}

const minListCap = 4

// NewList returns an empty list.
func NewList() *List { return &List{} }

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// Encoding returns the encoding OBJECT ENCODING reports: always "quicklist" in Redis 7.0.
func (l *List) Encoding() string { return "quicklist" }

func (l *List) slot(i int) int { return (l.head + i) & (len(l.buf) - 1) }

// At returns element i (0 <= i < Len()).
func (l *List) At(i int) string { return l.buf[l.slot(i)] }

// Set replaces element i (0 <= i < Len()).
func (l *List) Set(i int, v string) { l.buf[l.slot(i)] = v }

// resize moves the elements into a buffer of capacity c (a power of two >= n).
func (l *List) resize(c int) {
	nb := make([]string, c)
	if l.n > 0 {
		end := l.head + l.n
		if end <= len(l.buf) {
			copy(nb, l.buf[l.head:end])
		} else {
			k := copy(nb, l.buf[l.head:])
			copy(nb[k:], l.buf[:end-len(l.buf)])
		}
	}
	l.buf, l.head = nb, 0
}

func (l *List) grow() {
	if l.n < len(l.buf) {
		return
	}
	l.resize(max(minListCap, 2*len(l.buf)))
}

// shrink releases memory once the list uses less than a quarter of its buffer.
func (l *List) shrink() {
	if l.n == 0 {
		l.buf, l.head = nil, 0
		return
	}
	if c := len(l.buf); c > 64 && l.n < c/4 {
		l.resize(c / 2)
	}
}

// PushFront adds v at the head.
func (l *List) PushFront(v string) {
	l.grow()
	l.head = (l.head - 1) & (len(l.buf) - 1)
	l.buf[l.head] = v
	l.n++
}

// PushBack adds v at the tail.
func (l *List) PushBack(v string) {
	l.grow()
	l.buf[l.slot(l.n)] = v
	l.n++
}

// PopFront removes and returns the head; the list must not be empty.
func (l *List) PopFront() string {
	v := l.buf[l.head]
	l.buf[l.head] = ""
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.shrink()
	return v
}

// PopBack removes and returns the tail; the list must not be empty.
func (l *List) PopBack() string {
	s := l.slot(l.n - 1)
	v := l.buf[s]
	l.buf[s] = ""
	l.n--
	l.shrink()
	return v
}

// Insert inserts v so that it becomes element i (0 <= i <= Len()).
func (l *List) Insert(i int, v string) {
	if i <= l.n/2 {
		l.PushFront("")
		for j := 0; j < i; j++ {
			l.Set(j, l.At(j+1))
		}
	} else {
		l.PushBack("")
		for j := l.n - 1; j > i; j-- {
			l.Set(j, l.At(j-1))
		}
	}
	l.Set(i, v)
}

// Remove deletes element i (0 <= i < Len()).
func (l *List) Remove(i int) {
	if i < l.n/2 {
		for j := i; j > 0; j-- {
			l.Set(j, l.At(j-1))
		}
		l.PopFront()
		return
	}
	for j := i; j < l.n-1; j++ {
		l.Set(j, l.At(j+1))
	}
	l.PopBack()
}

// TrimFront removes the first n elements (n <= Len()).
func (l *List) TrimFront(n int) {
	for i := 0; i < n; i++ {
		l.buf[l.slot(i)] = ""
	}
	if n > 0 {
		l.head = l.slot(n)
		l.n -= n
		l.shrink()
	}
}

// TrimBack removes the last n elements (n <= Len()).
func (l *List) TrimBack(n int) {
	for i := l.n - n; i < l.n; i++ {
		l.buf[l.slot(i)] = ""
	}
	if n > 0 {
		l.n -= n
		l.shrink()
	}
}

// RemoveEqual removes the elements equal to v, at most limit of them (0: all), scanning
// from the head, or from the tail when fromTail is set (LREM). It returns how many it removed.
func (l *List) RemoveEqual(v string, limit int, fromTail bool) int {
	removed := 0
	if !fromTail {
		w := 0
		for r := 0; r < l.n; r++ {
			e := l.At(r)
			if e == v && (limit == 0 || removed < limit) {
				removed++
				continue
			}
			if w != r {
				l.Set(w, e)
			}
			w++
		}
		l.TrimBack(l.n - w)
		return removed
	}
	w := l.n - 1
	for r := l.n - 1; r >= 0; r-- {
		e := l.At(r)
		if e == v && (limit == 0 || removed < limit) {
			removed++
			continue
		}
		if w != r {
			l.Set(w, e)
		}
		w--
	}
	l.TrimFront(w + 1)
	return removed
}

// Elements returns the elements head to tail (for SORT and RDB). The slices alias the
// list's strings: never modify them.
func (l *List) Elements() [][]byte {
	out := make([][]byte, l.n)
	for i := range out {
		v := l.At(i)
		out[i] = unsafe.Slice(unsafe.StringData(v), len(v))
	}
	return out
}

// Copy returns a copy of the list (COPY). Strings are immutable, so they are shared.
func (l *List) Copy() any {
	c := &List{}
	for i := 0; i < l.n; i++ {
		c.PushBack(l.At(i))
	}
	return c
}
