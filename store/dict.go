package store

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
)

var hashSeed = maphash.MakeSeed()

// HashKey returns the hash Vigil's dicts use for key.
func HashKey(key string) uint64 { return maphash.String(hashSeed, key) }

type entry[V any] struct {
	key  string
	next *entry[V]
	val  V
}

// Dict is a chained hash table with incremental rehashing, modelled on Redis's dict.c.
// Its Scan keeps Redis's guarantee: an element present for the whole scan is returned at
// least once, even while the table grows or shrinks between calls. Not safe for concurrent use.
type Dict[V any] struct {
	t         [2][]*entry[V]
	used      [2]int
	rehashIdx int  // -1 when not rehashing
	frozen    bool // no resizing (a snapshot is walking the buckets)
}

const dictInitialSize = 4

// dictForceResizeRatio is Redis 7.0's dict_force_resize_ratio: while resizing is avoided,
// a table still grows, and a rehash still proceeds, past this ratio of sizes.
const dictForceResizeRatio = 5

// avoidResize counts the background saves running in this process. While it is not
// zero every dict avoids resizing, as Redis's dicts do while a forked child exists
// (dict_can_resize = DICT_RESIZE_AVOID, a process-wide setting there too): no shrinking;
// growing, and incremental rehash steps, only when the two sizes differ more than
// dictForceResizeRatio times. Redis does it to spare the child's copy-on-write pages;
// Vigil keeps the same observable table sizes (DEBUG HTSTATS, SCAN and SRANDMEMBER
// orders) while its snapshot runs.
var avoidResize atomic.Int32

// AvoidResize makes dicts avoid resizing until release is called (calls nest). The
// server calls it for each background snapshot (BGSAVE, AOF rewrite, full sync).
func AvoidResize() (release func()) {
	avoidResize.Add(1)
	var once atomic.Bool
	return func() {
		if !once.Swap(true) {
			avoidResize.Add(-1)
		}
	}
}

// rehashAllowed is dictRehash's resize-policy check for the current two tables.
func (d *Dict[V]) rehashAllowed() bool {
	if avoidResize.Load() == 0 || !d.rehashing() {
		return true
	}
	s0, s1 := len(d.t[0]), len(d.t[1])
	return !(s1 > s0 && s1/s0 < dictForceResizeRatio || s1 < s0 && s0/s1 < dictForceResizeRatio)
}

// NewDict returns an empty dict.
func NewDict[V any]() *Dict[V] { return &Dict[V]{rehashIdx: -1} }

// Len returns the number of elements.
func (d *Dict[V]) Len() int { return d.used[0] + d.used[1] }

// Buckets returns the number of buckets of both tables (for DEBUG HTSTATS-like reports).
func (d *Dict[V]) Buckets() int { return len(d.t[0]) + len(d.t[1]) }

func (d *Dict[V]) rehashing() bool { return d.rehashIdx >= 0 }

// rehash moves up to n buckets from table 0 to table 1. It returns true while work remains.
func (d *Dict[V]) rehash(n int) bool {
	emptyVisits := n * 10
	for ; n > 0 && d.used[0] != 0; n-- {
		for d.t[0][d.rehashIdx] == nil {
			d.rehashIdx++
			emptyVisits--
			if emptyVisits == 0 {
				return true
			}
		}
		e := d.t[0][d.rehashIdx]
		mask := uint64(len(d.t[1]) - 1)
		for e != nil {
			next := e.next
			h := HashKey(e.key) & mask
			e.next = d.t[1][h]
			d.t[1][h] = e
			d.used[0]--
			d.used[1]++
			e = next
		}
		d.t[0][d.rehashIdx] = nil
		d.rehashIdx++
	}
	if d.used[0] == 0 {
		d.t[0], d.t[1] = d.t[1], nil
		d.used[0], d.used[1] = d.used[1], 0
		d.rehashIdx = -1
		return false
	}
	return true
}

// RehashSteps performs up to n incremental rehash steps (for the server's cron).
func (d *Dict[V]) RehashSteps(n int) bool {
	if !d.rehashing() || d.frozen || !d.rehashAllowed() {
		return false
	}
	return d.rehash(n)
}

func (d *Dict[V]) step() {
	if d.rehashing() && !d.frozen && d.rehashAllowed() {
		d.rehash(1)
	}
}

func nextPow2(n int) int {
	if n <= dictInitialSize {
		return dictInitialSize
	}
	return 1 << bits.Len(uint(n-1))
}

func (d *Dict[V]) resizeTo(n int) {
	size := nextPow2(n)
	if d.rehashing() || size == len(d.t[0]) || (d.frozen && d.t[0] != nil) {
		return
	}
	if d.t[0] == nil {
		d.t[0] = make([]*entry[V], size)
		return
	}
	d.t[1] = make([]*entry[V], size)
	d.rehashIdx = 0
}

// Reserve sizes an empty dict for n keys at once (Redis's dictExpand on RESIZEDB), so
// that loading them does not rehash on the way.
func (d *Dict[V]) Reserve(n int) {
	if d.Len() == 0 && !d.rehashing() && !d.frozen && n > len(d.t[0]) {
		d.t[0] = nil
		d.resizeTo(n)
	}
}

func (d *Dict[V]) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	if len(d.t[0]) == 0 {
		d.resizeTo(dictInitialSize)
		return
	}
	if d.used[0] >= len(d.t[0]) && (avoidResize.Load() == 0 || d.used[0]/len(d.t[0]) > dictForceResizeRatio) {
		d.resizeTo(d.used[0] + 1)
	}
}

// ShrinkIfNeeded starts shrinking the table when it is less than 10% full, as Redis does
// after deletions (htNeedsResize + dictResize).
func (d *Dict[V]) ShrinkIfNeeded() {
	size := len(d.t[0])
	if d.rehashing() || size <= dictInitialSize || avoidResize.Load() != 0 {
		return
	}
	if d.used[0]*100/size < 10 {
		d.resizeTo(d.used[0])
	}
}

func (d *Dict[V]) find(key string) *entry[V] {
	if d.Len() == 0 {
		return nil
	}
	d.step()
	return d.lookup(key, HashKey(key))
}

// lookup returns key's entry, h being HashKey(key), searching the second table only
// while rehashing. It does no rehash step of its own.
func (d *Dict[V]) lookup(key string, h uint64) *entry[V] {
	for t := 0; t < 2; t++ {
		tab := d.t[t]
		if len(tab) == 0 {
			break
		}
		for e := tab[h&uint64(len(tab)-1)]; e != nil; e = e.next {
			if e.key == key {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// AddIfAbsent stores v under key unless key is present, hashing the key once (loading a
// dump checks for duplicates this way). It returns the stored value and whether it was
// added.
func (d *Dict[V]) AddIfAbsent(key string, v V) (*V, bool) {
	h := HashKey(key)
	if d.Len() > 0 {
		d.step()
		if e := d.lookup(key, h); e != nil {
			return &e.val, false
		}
	}
	d.expandIfNeeded()
	t := 0
	if d.rehashing() {
		t = 1
	}
	tab := d.t[t]
	i := h & uint64(len(tab)-1)
	e := &entry[V]{key: key, val: v, next: tab[i]}
	tab[i] = e
	d.used[t]++
	return &e.val, true
}

// Get returns the value stored under key.
func (d *Dict[V]) Get(key string) (V, bool) {
	if e := d.find(key); e != nil {
		return e.val, true
	}
	var zero V
	return zero, false
}

// Ref returns a pointer to the value stored under key, or nil. The pointer stays valid
// until the key is deleted.
func (d *Dict[V]) Ref(key string) *V {
	if e := d.find(key); e != nil {
		return &e.val
	}
	return nil
}

// Set stores v under key and reports whether the key was added (false: replaced).
// The dict keeps key: the caller must not modify its backing bytes afterwards.
func (d *Dict[V]) Set(key string, v V) bool {
	if e := d.find(key); e != nil {
		e.val = v
		return false
	}
	d.insert(key, v)
	return true
}

// Add stores v under key, which must not be present, and returns a pointer to the value.
func (d *Dict[V]) Add(key string, v V) *V { return &d.insert(key, v).val }

func (d *Dict[V]) insert(key string, v V) *entry[V] {
	d.expandIfNeeded()
	t := 0
	if d.rehashing() {
		t = 1
	}
	tab := d.t[t]
	h := HashKey(key) & uint64(len(tab)-1)
	e := &entry[V]{key: key, val: v, next: tab[h]}
	tab[h] = e
	d.used[t]++
	return e
}

// Delete removes key and returns its value.
func (d *Dict[V]) Delete(key string) (V, bool) {
	var zero V
	if d.Len() == 0 {
		return zero, false
	}
	d.step()
	h := HashKey(key)
	for t := 0; t < 2; t++ {
		tab := d.t[t]
		if len(tab) == 0 {
			break
		}
		idx := h & uint64(len(tab)-1)
		var prev *entry[V]
		for e := tab[idx]; e != nil; e = e.next {
			if e.key == key {
				if prev == nil {
					tab[idx] = e.next
				} else {
					prev.next = e.next
				}
				d.used[t]--
				return e.val, true
			}
			prev = e
		}
		if !d.rehashing() {
			break
		}
	}
	return zero, false
}

// Clear removes every element.
func (d *Dict[V]) Clear() { *d = Dict[V]{rehashIdx: -1, frozen: d.frozen} }

// Range calls fn for every element until fn returns false. fn must not modify the dict.
func (d *Dict[V]) Range(fn func(key string, v V) bool) {
	for t := 0; t < 2; t++ {
		for _, e := range d.t[t] {
			for ; e != nil; e = e.next {
				if !fn(e.key, e.val) {
					return
				}
			}
		}
	}
}

// Keys returns every key (in table order).
func (d *Dict[V]) Keys() []string {
	out := make([]string, 0, d.Len())
	d.Range(func(k string, _ V) bool { out = append(out, k); return true })
	return out
}

// Scan visits the buckets at cursor and returns the next cursor (0 when done), exactly as
// Redis's dictScan: the cursor is incremented from its most significant bit so that
// buckets already visited stay visited across resizes.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, v V)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	v := cursor
	emit := func(tab []*entry[V], idx uint64) {
		for e := tab[idx]; e != nil; e = e.next {
			fn(e.key, e.val)
		}
	}
	if !d.rehashing() {
		m0 := uint64(len(d.t[0]) - 1)
		emit(d.t[0], v&m0)
		v |= ^m0
		v = bits.Reverse64(v)
		v++
		return bits.Reverse64(v)
	}
	t0, t1 := d.t[0], d.t[1]
	if len(t0) > len(t1) {
		t0, t1 = t1, t0
	}
	m0, m1 := uint64(len(t0)-1), uint64(len(t1)-1)
	emit(t0, v&m0)
	for {
		emit(t1, v&m1)
		v |= ^m1
		v = bits.Reverse64(v)
		v++
		v = bits.Reverse64(v)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// fairSamples is GETFAIR_NUM_ENTRIES: how many elements Random draws from.
const fairSamples = 15

// Random returns a random element, as Redis's dictGetFairRandomKey: a uniform pick among
// the elements of a few consecutive buckets (dictGetSomeKeys), so that an element of a long
// chain is not less likely than one alone in its bucket.
func (d *Dict[V]) Random() (string, V, bool) {
	var zero V
	if d.Len() == 0 {
		return "", zero, false
	}
	var buf [fairSamples]*entry[V]
	n := d.someEntries(buf[:])
	if n == 0 {
		return d.unfairRandom()
	}
	e := buf[rand.IntN(n)]
	return e.key, e.val, true
}

// unfairRandom is dictGetRandomKey: a random non-empty bucket, then a random element of
// its chain.
func (d *Dict[V]) unfairRandom() (string, V, bool) {
	d.step()
	var he *entry[V]
	for he == nil {
		if d.rehashing() {
			s0, s1 := len(d.t[0]), len(d.t[1])
			h := d.rehashIdx + rand.IntN(s0+s1-d.rehashIdx)
			if h >= s0 {
				he = d.t[1][h-s0]
			} else {
				he = d.t[0][h]
			}
		} else {
			he = d.t[0][rand.IntN(len(d.t[0]))]
		}
	}
	n := 0
	for e := he; e != nil; e = e.next {
		n++
	}
	k := rand.IntN(n)
	for ; k > 0; k-- {
		he = he.next
	}
	return he.key, he.val, true
}

// sampleStack is how many elements Sample gathers without allocating.
const sampleStack = 64

// Sample calls fn for up to n elements taken from a random position of the table, like
// Redis's dictGetSomeKeys (used for eviction and active expiry). fn may not modify the dict.
func (d *Dict[V]) Sample(n int, fn func(key string, v V)) int {
	var stack [sampleStack]*entry[V]
	des := stack[:]
	if n > sampleStack {
		des = make([]*entry[V], n)
	}
	got := d.someEntries(des[:max(n, 0)])
	for _, e := range des[:got] {
		fn(e.key, e.val)
	}
	return got
}

// someEntries is Redis 7.0's dictGetSomeKeys: it fills des with up to len(des) elements
// taken from a random position of the table and returns how many. Once des is full in the
// middle of a chain, the rest of the chain is reservoir-sampled into it, so that the end of
// a long chain can be picked too (Redis 7.0.12's fix for SRANDMEMBER on long chains).
func (d *Dict[V]) someEntries(des []*entry[V]) int {
	n := len(des)
	if d.Len() == 0 || n == 0 {
		return 0
	}
	if n > d.Len() {
		n = d.Len()
	}
	for j := 0; j < n && d.rehashing(); j++ { // rehash work proportional to n
		d.step()
		if d.frozen || !d.rehashAllowed() {
			break
		}
	}
	tables := 1
	if d.rehashing() {
		tables = 2
	}
	maxMask := uint64(len(d.t[0]) - 1)
	if tables == 2 && uint64(len(d.t[1])-1) > maxMask {
		maxMask = uint64(len(d.t[1]) - 1)
	}
	i := rand.Uint64() & maxMask
	emptyLen, stored := 0, 0
	for maxSteps := n * 10; stored < n && maxSteps > 0; maxSteps-- {
		for t := 0; t < tables; t++ {
			if tables == 2 && t == 0 && i < uint64(d.rehashIdx) {
				if i >= uint64(len(d.t[1])) {
					i = uint64(d.rehashIdx)
				} else {
					continue
				}
			}
			if i >= uint64(len(d.t[t])) {
				continue
			}
			e := d.t[t][i]
			if e == nil {
				emptyLen++
				if emptyLen >= 5 && emptyLen > n {
					i = rand.Uint64() & maxMask
					emptyLen = 0
				}
				continue
			}
			emptyLen = 0
			for ; e != nil; e = e.next {
				if stored < n {
					des[stored] = e
				} else if r := rand.IntN(stored + 1); r < n {
					des[r] = e
				}
				stored++
			}
			if stored >= n {
				return n
			}
		}
		i = (i + 1) & maxMask
	}
	return min(stored, n)
}

// --- bucket access for point-in-time snapshots (see server/snapshot.go) ---
//
// A frozen dict neither resizes nor moves elements between its two tables (an incremental
// rehash in progress just pauses), so every element stays in one bucket. Buckets are
// numbered across both tables: 0..len(t0)-1 are table 0's, the rest table 1's.

// FinishRehash completes an incremental rehash at once.
func (d *Dict[V]) FinishRehash() {
	for d.rehashing() {
		d.rehash(1 << 20)
	}
}

// Freeze stops (true) or allows (false) resizing and rehashing. While frozen, elements
// never move between buckets: chains grow instead. Freezing costs O(1).
func (d *Dict[V]) Freeze(on bool) { d.frozen = on }

// BucketCount returns the number of buckets of both tables.
func (d *Dict[V]) BucketCount() int { return len(d.t[0]) + len(d.t[1]) }

// BucketOf returns the bucket that holds key, or the one it would be inserted into when
// absent (-1 if the dict has no table yet). Stable while the dict is frozen.
func (d *Dict[V]) BucketOf(key string) int {
	if len(d.t[0]) == 0 {
		return -1
	}
	h := HashKey(key)
	i0 := int(h & uint64(len(d.t[0])-1))
	if !d.rehashing() {
		return i0
	}
	if i0 >= d.rehashIdx {
		for e := d.t[0][i0]; e != nil; e = e.next {
			if e.key == key {
				return i0
			}
		}
	}
	return len(d.t[0]) + int(h&uint64(len(d.t[1])-1))
}

// WarmBuckets reads the first element of each of the buckets [from, to) (numbered as
// BucketOf does), the first byte of its key, and what touch reads of its value, and
// returns a sum of what it read. A walk over many buckets calls it on the next few dozen
// before visiting them: the reads are independent, so their cache misses overlap instead
// of stalling the walk one bucket at a time. Keep the result somewhere so that the
// compiler keeps the reads.
func (d *Dict[V]) WarmBuckets(from, to int, touch func(v *V) uintptr) uintptr {
	const group = 64
	var heads [group]*entry[V]
	var sum uintptr
	for from < to {
		n := 0
		for ; from < to && n < group; from++ {
			if e := d.bucketHead(from); e != nil {
				heads[n] = e
				n++
			}
		}
		for _, e := range heads[:n] {
			if len(e.key) > 0 {
				sum += uintptr(e.key[0])
			}
		}
		if touch != nil {
			for _, e := range heads[:n] {
				sum += touch(&e.val)
			}
		}
	}
	return sum
}

// RangeBucket calls fn for every element of bucket b (numbered as BucketOf does), with
// a pointer to the stored value (fn must not modify the dict).
func (d *Dict[V]) RangeBucket(b int, fn func(key string, v *V)) {
	for e := d.bucketHead(b); e != nil; e = e.next {
		fn(e.key, &e.val)
	}
}

// bucketHead returns the first element of bucket b (numbered as BucketOf does), or nil
// when the bucket is empty or out of range.
func (d *Dict[V]) bucketHead(b int) *entry[V] {
	t := 0
	if b >= len(d.t[0]) {
		t, b = 1, b-len(d.t[0])
	}
	if b < 0 || b >= len(d.t[t]) {
		return nil
	}
	return d.t[t][b]
}
