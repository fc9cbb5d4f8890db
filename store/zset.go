package store

import (
	"math/rand/v2"
	"sort"
	"strings"
	"unsafe"
)

// ZEntry is one member of a sorted set with its score.
type ZEntry struct {
	Member string
	Score  float64
}

// ZSet is a sorted set, ordered by score and then by member (byte order). Like Redis it
// has two encodings: "listpack", a sorted slice used while the set is small, and
// "skiplist", a skiplist with spans (for ranks) plus a Dict from member to score, used
// once the set outgrows the zset-max-listpack-* limits. The caller decides when to
// convert (ConvertToSkiplist, ConvertToListpack); Add does it by itself.
//
// Member strings passed in may alias a caller's buffer: the set clones what it keeps.
// Member strings handed out are immutable and may be kept or shared with other sets.
type ZSet struct {
	lp   []ZEntry // listpack encoding (zsl == nil): entries in order
	zsl  *skiplist
	dict *Dict[float64]
}

// NewZSet returns an empty listpack-encoded sorted set.
func NewZSet() *ZSet { return &ZSet{} }

// NewZSetSkiplist returns an empty skiplist-encoded sorted set.
func NewZSetSkiplist() *ZSet { return &ZSet{zsl: newSkiplist(), dict: NewDict[float64]()} }

// IsListpack reports whether the set uses the listpack encoding.
func (z *ZSet) IsListpack() bool { return z.zsl == nil }

// Encoding returns the encoding OBJECT ENCODING reports: "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.zsl == nil {
		return "listpack"
	}
	return "skiplist"
}

// Len returns the number of members.
func (z *ZSet) Len() int {
	if z.zsl == nil {
		return len(z.lp)
	}
	return z.zsl.length
}

// lpScore is the score as a listpack stores it: Redis stores integral scores as
// integers, which turns -0 into 0.
func lpScore(s float64) float64 {
	if s == 0 {
		return 0
	}
	return s
}

func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

func (z *ZSet) lpFind(member string) int {
	for i := range z.lp {
		if z.lp[i].Member == member {
			return i
		}
	}
	return -1
}

// lpInsert inserts a member that is not present, keeping the order.
func (z *ZSet) lpInsert(member string, score float64) {
	score = lpScore(score)
	i := sort.Search(len(z.lp), func(i int) bool { return zless(score, member, z.lp[i].Score, z.lp[i].Member) })
	z.lp = append(z.lp, ZEntry{})
	copy(z.lp[i+1:], z.lp[i:])
	z.lp[i] = ZEntry{Member: member, Score: score}
}

func (z *ZSet) lpDeleteRange(from, to int) { // [from, to)
	n := copy(z.lp[from:], z.lp[to:])
	clear(z.lp[from+n:])
	z.lp = z.lp[:from+n]
}

// Score returns the score of member.
func (z *ZSet) Score(member string) (float64, bool) {
	if z.zsl == nil {
		if i := z.lpFind(member); i >= 0 {
			return z.lp[i].Score, true
		}
		return 0, false
	}
	return z.dict.Get(member)
}

// Insert adds member, which must not be present, without any encoding conversion.
func (z *ZSet) Insert(member string, score float64) {
	member = strings.Clone(member)
	if z.zsl == nil {
		z.lpInsert(member, score)
		return
	}
	z.zsl.insert(score, member)
	z.dict.Add(member, score)
}

// Delete removes member and reports whether it was present.
func (z *ZSet) Delete(member string) bool {
	if z.zsl == nil {
		i := z.lpFind(member)
		if i < 0 {
			return false
		}
		z.lpDeleteRange(i, i+1)
		return true
	}
	score, ok := z.dict.Delete(member)
	if !ok {
		return false
	}
	z.zsl.delete(score, member)
	z.dict.ShrinkIfNeeded()
	return true
}

// AddFlags are ZADD's input options.
type AddFlags uint8

// ZADD options.
const (
	AddIncr AddFlags = 1 << iota // add the score to the current one (0 if absent)
	AddNX                        // only add new members
	AddXX                        // only update existing members
	AddGT                        // only update when the new score is greater
	AddLT                        // only update when the new score is less
)

// AddResult reports what Add did.
type AddResult uint8

// Add outcomes.
const (
	AddedNaN AddResult = 1 << iota // the resulting score is NaN: nothing done
	Added                          // the member was added
	Updated                        // the score changed
	AddNop                         // nothing done because of NX, XX, GT or LT
)

// Limits are the listpack thresholds (zset-max-listpack-entries/-value).
type Limits struct {
	MaxEntries int
	MaxValue   int
}

// Add is Redis's zsetAdd: add member or update its score following flags, converting to
// the skiplist encoding when a new member would exceed lim. It returns what happened and
// the member's resulting score.
func (z *ZSet) Add(member string, score float64, flags AddFlags, lim Limits) (AddResult, float64) {
	if score != score {
		return AddedNaN, 0
	}
	cur, exists := z.Score(member)
	if exists {
		if flags&AddNX != 0 {
			return AddNop, 0
		}
		if flags&AddIncr != 0 {
			score += cur
			if score != score {
				return AddedNaN, 0
			}
		}
		if (flags&AddLT != 0 && score >= cur) || (flags&AddGT != 0 && score <= cur) {
			return AddNop, 0
		}
		if score == cur {
			return 0, score
		}
		if z.zsl == nil {
			i := z.lpFind(member)
			m := z.lp[i].Member
			z.lpDeleteRange(i, i+1)
			z.lpInsert(m, score)
		} else {
			z.zsl.updateScore(cur, member, score)
			*z.dict.Ref(member) = score
		}
		return Updated, score
	}
	if flags&AddXX != 0 {
		return AddNop, 0
	}
	if z.zsl == nil && (len(z.lp)+1 > lim.MaxEntries || len(member) > lim.MaxValue) {
		z.ConvertToSkiplist()
	}
	z.Insert(member, score)
	return Added, score
}

// ConvertToSkiplist switches to the skiplist encoding (no-op if already there).
func (z *ZSet) ConvertToSkiplist() {
	if z.zsl != nil {
		return
	}
	zsl, d := newSkiplist(), NewDict[float64]()
	for i := len(z.lp) - 1; i >= 0; i-- { // from the tail: each insert stops at the head
		e := z.lp[i]
		zsl.insert(e.Score, e.Member)
		d.Add(e.Member, e.Score)
	}
	z.lp, z.zsl, z.dict = nil, zsl, d
}

// ConvertToListpack switches to the listpack encoding (no-op if already there).
func (z *ZSet) ConvertToListpack() {
	if z.zsl == nil {
		return
	}
	lp := make([]ZEntry, 0, z.zsl.length)
	for x := z.zsl.header.level[0].forward; x != nil; x = x.level[0].forward {
		lp = append(lp, ZEntry{Member: x.member, Score: lpScore(x.score)})
	}
	z.lp, z.zsl, z.dict = lp, nil, nil
}

// ConvertToListpackIfFits is zsetConvertToListpackIfNeeded: back to listpack when the
// set fits lim (maxLen is its longest member, total the sum of member lengths).
func (z *ZSet) ConvertToListpackIfFits(lim Limits, maxLen, total int) {
	if z.zsl != nil && z.zsl.length <= lim.MaxEntries && maxLen <= lim.MaxValue && total < 1<<30 {
		z.ConvertToListpack()
	}
}

// Rank returns the 0-based rank of member counted from the lowest score.
func (z *ZSet) Rank(member string) (int, bool) {
	if z.zsl == nil {
		i := z.lpFind(member)
		return i, i >= 0
	}
	score, ok := z.dict.Get(member)
	if !ok {
		return 0, false
	}
	return z.zsl.rank(score, member) - 1, true
}

// ZIter walks a sorted set in either direction. It is invalidated by any change.
type ZIter struct {
	z *ZSet
	i int
	n *zslNode
}

// Valid reports whether the iterator is on a member.
func (it *ZIter) Valid() bool {
	if it.z.zsl == nil {
		return it.i >= 0 && it.i < len(it.z.lp)
	}
	return it.n != nil
}

// Member returns the current member.
func (it *ZIter) Member() string {
	if it.z.zsl == nil {
		return it.z.lp[it.i].Member
	}
	return it.n.member
}

// Score returns the current score.
func (it *ZIter) Score() float64 {
	if it.z.zsl == nil {
		return it.z.lp[it.i].Score
	}
	return it.n.score
}

// Next moves towards higher scores.
func (it *ZIter) Next() {
	if it.z.zsl == nil {
		it.i++
	} else {
		it.n = it.n.level[0].forward
	}
}

// Prev moves towards lower scores.
func (it *ZIter) Prev() {
	if it.z.zsl == nil {
		it.i--
	} else {
		it.n = it.n.backward
	}
}

// Step moves forward, or backward when reverse is set.
func (it *ZIter) Step(reverse bool) {
	if reverse {
		it.Prev()
	} else {
		it.Next()
	}
}

func (z *ZSet) invalidIter() ZIter { return ZIter{z: z, i: -1} }

// At returns an iterator on the member of 0-based rank r (invalid if out of range).
func (z *ZSet) At(r int) ZIter {
	if r < 0 || r >= z.Len() {
		return z.invalidIter()
	}
	if z.zsl == nil {
		return ZIter{z: z, i: r}
	}
	switch r {
	case 0:
		return ZIter{z: z, n: z.zsl.header.level[0].forward}
	case z.zsl.length - 1:
		return ZIter{z: z, n: z.zsl.tail}
	}
	return ZIter{z: z, n: z.zsl.byRank(r + 1)}
}

// ScoreRange is a score interval; MinEx/MaxEx make a bound exclusive.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// GteMin reports whether v satisfies the lower bound.
func (r *ScoreRange) GteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

// LteMax reports whether v satisfies the upper bound.
func (r *ScoreRange) LteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

func (r *ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// LexBound is one end of a lexicographic range: "-", "+", or a string.
type LexBound struct {
	Kind LexKind
	S    string
}

// LexKind tells the infinite bounds from a string bound.
type LexKind uint8

// Lex bound kinds.
const (
	LexValue  LexKind = iota
	LexMinInf         // "-"
	LexMaxInf         // "+"
)

// LexRange is a lexicographic interval; MinEx/MaxEx make a bound exclusive ("-" and
// "+" are always exclusive, as in Redis).
type LexRange struct {
	Min, Max     LexBound
	MinEx, MaxEx bool
}

// cmpLex is Redis's sdscmplex, where the infinite bounds are shared sentinels.
func cmpLex(a, b LexBound) int {
	if a.Kind != LexValue && a.Kind == b.Kind {
		return 0
	}
	if a.Kind == LexMinInf || b.Kind == LexMaxInf {
		return -1
	}
	if a.Kind == LexMaxInf || b.Kind == LexMinInf {
		return 1
	}
	return strings.Compare(a.S, b.S)
}

// GteMin reports whether member satisfies the lower bound.
func (r *LexRange) GteMin(member string) bool {
	c := cmpLex(LexBound{S: member}, r.Min)
	if r.MinEx {
		return c > 0
	}
	return c >= 0
}

// LteMax reports whether member satisfies the upper bound.
func (r *LexRange) LteMax(member string) bool {
	c := cmpLex(LexBound{S: member}, r.Max)
	if r.MaxEx {
		return c < 0
	}
	return c <= 0
}

func (r *LexRange) empty() bool {
	c := cmpLex(r.Min, r.Max)
	return c > 0 || (c == 0 && (r.MinEx || r.MaxEx))
}

// FirstInRange returns an iterator on the lowest member inside r (invalid if none).
func (z *ZSet) FirstInRange(r *ScoreRange) ZIter {
	if z.zsl == nil {
		if r.empty() {
			return z.invalidIter()
		}
		i := sort.Search(len(z.lp), func(i int) bool { return r.GteMin(z.lp[i].Score) })
		if i < len(z.lp) && r.LteMax(z.lp[i].Score) {
			return ZIter{z: z, i: i}
		}
		return z.invalidIter()
	}
	return ZIter{z: z, n: z.zsl.firstInRange(r)}
}

// LastInRange returns an iterator on the highest member inside r (invalid if none).
func (z *ZSet) LastInRange(r *ScoreRange) ZIter {
	if z.zsl == nil {
		if r.empty() {
			return z.invalidIter()
		}
		i := sort.Search(len(z.lp), func(i int) bool { return !r.LteMax(z.lp[i].Score) }) - 1
		if i >= 0 && r.GteMin(z.lp[i].Score) {
			return ZIter{z: z, i: i}
		}
		return z.invalidIter()
	}
	return ZIter{z: z, n: z.zsl.lastInRange(r)}
}

// FirstInLex returns an iterator on the lowest member inside r (invalid if none).
func (z *ZSet) FirstInLex(r *LexRange) ZIter {
	if z.zsl == nil {
		if r.empty() {
			return z.invalidIter()
		}
		i := sort.Search(len(z.lp), func(i int) bool { return r.GteMin(z.lp[i].Member) })
		if i < len(z.lp) && r.LteMax(z.lp[i].Member) {
			return ZIter{z: z, i: i}
		}
		return z.invalidIter()
	}
	return ZIter{z: z, n: z.zsl.firstInLex(r)}
}

// LastInLex returns an iterator on the highest member inside r (invalid if none).
func (z *ZSet) LastInLex(r *LexRange) ZIter {
	if z.zsl == nil {
		if r.empty() {
			return z.invalidIter()
		}
		i := sort.Search(len(z.lp), func(i int) bool { return !r.LteMax(z.lp[i].Member) }) - 1
		if i >= 0 && r.GteMin(z.lp[i].Member) {
			return ZIter{z: z, i: i}
		}
		return z.invalidIter()
	}
	return ZIter{z: z, n: z.zsl.lastInLex(r)}
}

// rankOf returns the 0-based rank of a valid iterator.
func (z *ZSet) rankOf(it ZIter) int {
	if z.zsl == nil {
		return it.i
	}
	return z.zsl.rank(it.n.score, it.n.member) - 1
}

// CountInRange returns how many members have a score inside r.
func (z *ZSet) CountInRange(r *ScoreRange) int {
	first := z.FirstInRange(r)
	if !first.Valid() {
		return 0
	}
	last := z.LastInRange(r)
	return z.rankOf(last) - z.rankOf(first) + 1
}

// CountInLex returns how many members are inside r.
func (z *ZSet) CountInLex(r *LexRange) int {
	first := z.FirstInLex(r)
	if !first.Valid() {
		return 0
	}
	last := z.LastInLex(r)
	return z.rankOf(last) - z.rankOf(first) + 1
}

// DeleteRangeByRank removes the members of 0-based ranks start..end (inclusive, valid).
func (z *ZSet) DeleteRangeByRank(start, end int) int {
	if z.zsl == nil {
		z.lpDeleteRange(start, end+1)
		return end - start + 1
	}
	n := z.zsl.deleteRangeByRank(start+1, end+1, z.dict)
	z.dict.ShrinkIfNeeded()
	return n
}

// DeleteRangeByScore removes the members whose score is inside r.
func (z *ZSet) DeleteRangeByScore(r *ScoreRange) int {
	if z.zsl == nil {
		first := z.FirstInRange(r)
		if !first.Valid() {
			return 0
		}
		last := z.LastInRange(r)
		z.lpDeleteRange(first.i, last.i+1)
		return last.i - first.i + 1
	}
	n := z.zsl.deleteRangeByScore(r, z.dict)
	z.dict.ShrinkIfNeeded()
	return n
}

// DeleteRangeByLex removes the members inside r.
func (z *ZSet) DeleteRangeByLex(r *LexRange) int {
	if z.zsl == nil {
		first := z.FirstInLex(r)
		if !first.Valid() {
			return 0
		}
		last := z.LastInLex(r)
		z.lpDeleteRange(first.i, last.i+1)
		return last.i - first.i + 1
	}
	n := z.zsl.deleteRangeByLex(r, z.dict)
	z.dict.ShrinkIfNeeded()
	return n
}

// Pop removes and returns the member with the lowest (max=false) or highest score.
func (z *ZSet) Pop(max bool) (ZEntry, bool) {
	n := z.Len()
	if n == 0 {
		return ZEntry{}, false
	}
	if z.zsl == nil {
		if max {
			e := z.lp[n-1]
			z.lp[n-1] = ZEntry{}
			z.lp = z.lp[:n-1]
			return e, true
		}
		e := z.lp[0]
		z.lp[0] = ZEntry{}
		z.lp = z.lp[1:]
		return e, true
	}
	x := z.zsl.header.level[0].forward
	if max {
		x = z.zsl.tail
	}
	e := ZEntry{Member: x.member, Score: x.score}
	z.Delete(e.Member)
	return e, true
}

// Range calls fn for each member in order (reverse: from the highest score) until fn
// returns false. fn must not modify the set.
func (z *ZSet) Range(reverse bool, fn func(member string, score float64) bool) {
	if z.zsl == nil {
		if reverse {
			for i := len(z.lp) - 1; i >= 0; i-- {
				if !fn(z.lp[i].Member, z.lp[i].Score) {
					return
				}
			}
			return
		}
		for _, e := range z.lp {
			if !fn(e.Member, e.Score) {
				return
			}
		}
		return
	}
	if reverse {
		for x := z.zsl.tail; x != nil; x = x.backward {
			if !fn(x.member, x.score) {
				return
			}
		}
		return
	}
	for x := z.zsl.header.level[0].forward; x != nil; x = x.level[0].forward {
		if !fn(x.member, x.score) {
			return
		}
	}
}

// Random returns a random member (the set must not be empty).
func (z *ZSet) Random() ZEntry {
	if z.zsl == nil {
		return z.lp[rand.IntN(len(z.lp))]
	}
	m, s, _ := z.dict.Random()
	return ZEntry{Member: m, Score: s}
}

// Dict returns the member-to-score dict of a skiplist-encoded set (for SCAN), or nil
// for a listpack-encoded one, which is scanned whole with Range.
func (z *ZSet) Dict() *Dict[float64] { return z.dict }

// Elements returns the members in order (lowest score first); they alias the set.
func (z *ZSet) Elements() [][]byte {
	out := make([][]byte, 0, z.Len())
	z.Range(false, func(m string, _ float64) bool {
		out = append(out, unsafe.Slice(unsafe.StringData(m), len(m)))
		return true
	})
	return out
}

// Copy returns a deep copy (COPY).
func (z *ZSet) Copy() any { return z.Clone() }

// Clone returns a deep copy with the same encoding (COPY, DEBUG RELOAD).
func (z *ZSet) Clone() *ZSet {
	if z.zsl == nil {
		return &ZSet{lp: append([]ZEntry(nil), z.lp...)}
	}
	out := NewZSetSkiplist()
	for x := z.zsl.tail; x != nil; x = x.backward {
		out.zsl.insert(x.score, x.member)
		out.dict.Add(x.member, x.score)
	}
	return out
}

// NewZSetFromSorted builds a set from entries already in order with distinct members,
// listpack-encoded when they fit lim (as zsetConvertToListpackIfNeeded decides).
func NewZSetFromSorted(entries []ZEntry, lim Limits) *ZSet {
	maxLen, total := 0, 0
	for _, e := range entries {
		maxLen = max(maxLen, len(e.Member))
		total += len(e.Member)
	}
	if len(entries) <= lim.MaxEntries && maxLen <= lim.MaxValue && total < 1<<30 {
		lp := make([]ZEntry, len(entries))
		for i, e := range entries {
			lp[i] = ZEntry{Member: e.Member, Score: lpScore(e.Score)}
		}
		return &ZSet{lp: lp}
	}
	z := NewZSetSkiplist()
	for i := len(entries) - 1; i >= 0; i-- {
		z.zsl.insert(entries[i].Score, entries[i].Member)
		z.dict.Add(entries[i].Member, entries[i].Score)
	}
	return z
}
