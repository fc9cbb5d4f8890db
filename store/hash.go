package store

import (
	"math/rand/v2"
	"unsafe"
)

// bstr returns a string aliasing b, for lookups only: never store it.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// HashPair is one field of a listpack-encoded hash.
type HashPair struct {
	Field, Value string
}

// ListpackLimits are the thresholds above which a small (listpack) hash or sorted set
// is converted to its large encoding: hash-max-listpack-entries and -value.
type ListpackLimits struct {
	// Entries is the largest number of entries kept in a listpack.
	Entries int
	// Value is the longest field or value (in bytes) kept in a listpack.
	Value int
}

// Hash is a hash value. A small hash is a listpack: its field/value pairs in insertion
// order, updated in place. When it grows beyond the ListpackLimits it becomes a Dict and
// never goes back, as in Redis 7.0 (OBJECT ENCODING "listpack" / "hashtable").
type Hash struct {
	lp []HashPair    // listpack encoding, used while d == nil
	d  *Dict[string] // hashtable encoding
}

// NewHash returns an empty listpack-encoded hash.
func NewHash() *Hash { return &Hash{} }

// Len returns the number of fields.
func (h *Hash) Len() int {
	if h.d != nil {
		return h.d.Len()
	}
	return len(h.lp)
}

// IsListpack reports whether h still has the small encoding.
func (h *Hash) IsListpack() bool { return h.d == nil }

// Encoding returns the name OBJECT ENCODING reports.
func (h *Hash) Encoding() string {
	if h.d != nil {
		return "hashtable"
	}
	return "listpack"
}

// Pairs returns the pairs of a listpack-encoded hash in order (nil for a hashtable).
// The slice must not be modified.
func (h *Hash) Pairs() []HashPair { return h.lp }

// Dict returns the table of a hashtable-encoded hash (nil for a listpack).
func (h *Hash) Dict() *Dict[string] { return h.d }

func (h *Hash) index(field string) int {
	for i := range h.lp {
		if h.lp[i].Field == field {
			return i
		}
	}
	return -1
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) (string, bool) {
	if h.d != nil {
		return h.d.Get(bstr(field))
	}
	if i := h.index(bstr(field)); i >= 0 {
		return h.lp[i].Value, true
	}
	return "", false
}

// Has reports whether field exists.
func (h *Hash) Has(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// Set sets field to value (both copied) and reports whether the field is new. A field or
// value longer than lim.Value, or more than lim.Entries fields, converts a listpack to a
// hashtable (Redis's hashTypeSet).
func (h *Hash) Set(field, value []byte, lim ListpackLimits) bool {
	if h.d == nil && (len(field) > lim.Value || len(value) > lim.Value) {
		h.Convert()
	}
	if h.d != nil {
		if ref := h.d.Ref(bstr(field)); ref != nil {
			*ref = string(value)
			return false
		}
		h.d.Add(string(field), string(value))
		return true
	}
	if i := h.index(bstr(field)); i >= 0 {
		h.lp[i].Value = string(value)
		return false
	}
	h.lp = append(h.lp, HashPair{Field: string(field), Value: string(value)})
	if len(h.lp) > lim.Entries {
		h.Convert()
	}
	return true
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field []byte) bool {
	if h.d != nil {
		if _, ok := h.d.Delete(bstr(field)); !ok {
			return false
		}
		h.d.ShrinkIfNeeded()
		return true
	}
	i := h.index(bstr(field))
	if i < 0 {
		return false
	}
	copy(h.lp[i:], h.lp[i+1:])
	h.lp[len(h.lp)-1] = HashPair{}
	h.lp = h.lp[:len(h.lp)-1]
	return true
}

// Convert switches a listpack to the hashtable encoding (a no-op for a hashtable).
func (h *Hash) Convert() {
	if h.d != nil {
		return
	}
	d := NewDict[string]()
	for _, p := range h.lp {
		d.Add(p.Field, p.Value)
	}
	h.d, h.lp = d, nil
}

// Range calls fn for every field in order (insertion order for a listpack, table order
// for a hashtable) until fn returns false. fn must not modify h.
func (h *Hash) Range(fn func(field, value string) bool) {
	if h.d != nil {
		h.d.Range(fn)
		return
	}
	for _, p := range h.lp {
		if !fn(p.Field, p.Value) {
			return
		}
	}
}

// Random returns a random field and its value; h must not be empty.
func (h *Hash) Random() (string, string) {
	if h.d != nil {
		f, v, _ := h.d.Random()
		return f, v
	}
	p := h.lp[rand.IntN(len(h.lp))]
	return p.Field, p.Value
}

// RandomDistinct calls fn for count distinct random fields, count < Len(). A listpack
// yields them in listpack order (as Redis's lpRandomPairsUnique); a hashtable in random order.
func (h *Hash) RandomDistinct(count int, fn func(field, value string)) {
	if h.d == nil {
		// selection sampling (Knuth's algorithm S): uniform subset, original order
		n, need := len(h.lp), count
		for i := 0; i < n && need > 0; i++ {
			if rand.IntN(n-i) < need {
				fn(h.lp[i].Field, h.lp[i].Value)
				need--
			}
		}
		return
	}
	fields := h.d.Keys()
	for i := 0; i < count; i++ {
		j := i + rand.IntN(len(fields)-i)
		fields[i], fields[j] = fields[j], fields[i]
		v, _ := h.d.Get(fields[i])
		fn(fields[i], v)
	}
}

// Clone returns a deep copy of h with the same encoding (for COPY).
func (h *Hash) Clone() *Hash {
	if h.d == nil {
		return &Hash{lp: append([]HashPair(nil), h.lp...)}
	}
	d := NewDict[string]()
	h.d.Range(func(f, v string) bool { d.Add(f, v); return true })
	return &Hash{d: d}
}

// Copy returns a deep copy of h (COPY, through the generic key commands' valueCopier).
func (h *Hash) Copy() any { return h.Clone() }

// GetField returns a copy of the value of field (SORT BY/GET through fieldGetter).
func (h *Hash) GetField(field []byte) ([]byte, bool) {
	v, ok := h.Get(field)
	if !ok {
		return nil, false
	}
	return []byte(v), true
}
