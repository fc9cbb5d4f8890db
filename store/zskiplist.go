package store

import "math/rand/v2"

// The skiplist behind skiplist-encoded sorted sets: a translation of Redis's t_zset.c
// zsl* functions (William Pugh's skiplist with repeated scores, ordering by member on
// equal scores, spans on every level for O(log N) ranks, and a backward pointer on
// level 0 for reverse iteration).

const (
	zslMaxLevel = 32
	zslP        = 0.25
)

type zslLevel struct {
	forward *zslNode
	span    int
}

type zslNode struct {
	score    float64
	level    []zslLevel // points into the node's own allocation for levels 1-4
	inline   [1]zslLevel
	member   string
	backward *zslNode
}

// newNode allocates a node with its level array in the same allocation for levels
// up to 4, so that a hop reads one memory region (as Redis's flexible array member).
func newNode(level int, score float64, member string) *zslNode {
	var x *zslNode
	switch {
	case level == 1:
		x = &zslNode{}
		x.level = x.inline[:]
	case level <= 4:
		n := &struct {
			zslNode
			levels [4]zslLevel
		}{}
		x = &n.zslNode
		x.level = n.levels[:level]
	default:
		x = &zslNode{level: make([]zslLevel, level)}
	}
	x.score, x.member = score, member
	return x
}

type skiplist struct {
	header, tail *zslNode
	length       int
	level        int
}

func newSkiplist() *skiplist {
	return &skiplist{header: &zslNode{level: make([]zslLevel, zslMaxLevel)}, level: 1}
}

func zslRandomLevel() int {
	level := 1
	for level < zslMaxLevel && rand.Float64() < zslP {
		level++
	}
	return level
}

// before reports whether node x sorts before (score, member).
func (x *zslNode) before(score float64, member string) bool {
	return x.score < score || (x.score == score && x.member < member)
}

// insert adds a member that must not be present and returns its node.
func (zsl *skiplist) insert(score float64, member string) *zslNode {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i != zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for x.level[i].forward != nil && x.level[i].forward.before(score, member) {
			rank[i] += x.level[i].span
			x = x.level[i].forward
		}
		update[i] = x
	}
	level := zslRandomLevel()
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].level[i].span = zsl.length
		}
		zsl.level = level
	}
	x = newNode(level, score, member)
	for i := 0; i < level; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
	return x
}

func (zsl *skiplist) deleteNode(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.level[zsl.level-1].forward == nil {
		zsl.level--
	}
	zsl.length--
}

// seek fills update with the last node of each level that sorts before (score, member)
// and returns the level-0 successor.
func (zsl *skiplist) seek(score float64, member string, update *[zslMaxLevel]*zslNode) *zslNode {
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && x.level[i].forward.before(score, member) {
			x = x.level[i].forward
		}
		update[i] = x
	}
	return x.level[0].forward
}

// delete removes the node with this score and member; it reports whether it was found.
func (zsl *skiplist) delete(score float64, member string) bool {
	var update [zslMaxLevel]*zslNode
	x := zsl.seek(score, member, &update)
	if x != nil && x.score == score && x.member == member {
		zsl.deleteNode(x, &update)
		return true
	}
	return false
}

// updateScore moves an existing member from score cur to score next.
func (zsl *skiplist) updateScore(cur float64, member string, next float64) {
	var update [zslMaxLevel]*zslNode
	x := zsl.seek(cur, member, &update)
	if x == nil || x.score != cur || x.member != member {
		panic("store: zset skiplist and dict disagree on a member's score")
	}
	if (x.backward == nil || x.backward.score < next) && (x.level[0].forward == nil || x.level[0].forward.score > next) {
		x.score = next
		return
	}
	zsl.deleteNode(x, &update)
	zsl.insert(next, x.member)
}

// rank returns the 1-based rank of (score, member), 0 if absent.
func (zsl *skiplist) rank(score float64, member string) int {
	rank := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && (x.level[i].forward.before(score, member) ||
			(x.level[i].forward.score == score && x.level[i].forward.member == member)) {
			rank += x.level[i].span
			x = x.level[i].forward
		}
		if x != zsl.header && x.score == score && x.member == member {
			return rank
		}
	}
	return 0
}

// byRank returns the node of 1-based rank r, or nil.
func (zsl *skiplist) byRank(r int) *zslNode {
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= r {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

func (zsl *skiplist) isInRange(r *ScoreRange) bool {
	if r.empty() {
		return false
	}
	if zsl.tail == nil || !r.GteMin(zsl.tail.score) {
		return false
	}
	first := zsl.header.level[0].forward
	return first != nil && r.LteMax(first.score)
}

func (zsl *skiplist) firstInRange(r *ScoreRange) *zslNode {
	if !zsl.isInRange(r) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.score) {
			x = x.level[i].forward
		}
	}
	x = x.level[0].forward
	if !r.LteMax(x.score) {
		return nil
	}
	return x
}

func (zsl *skiplist) lastInRange(r *ScoreRange) *zslNode {
	if !zsl.isInRange(r) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && r.LteMax(x.level[i].forward.score) {
			x = x.level[i].forward
		}
	}
	if !r.GteMin(x.score) {
		return nil
	}
	return x
}

func (zsl *skiplist) isInLex(r *LexRange) bool {
	if r.empty() {
		return false
	}
	if zsl.tail == nil || !r.GteMin(zsl.tail.member) {
		return false
	}
	first := zsl.header.level[0].forward
	return first != nil && r.LteMax(first.member)
}

func (zsl *skiplist) firstInLex(r *LexRange) *zslNode {
	if !zsl.isInLex(r) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.member) {
			x = x.level[i].forward
		}
	}
	x = x.level[0].forward
	if !r.LteMax(x.member) {
		return nil
	}
	return x
}

func (zsl *skiplist) lastInLex(r *LexRange) *zslNode {
	if !zsl.isInLex(r) {
		return nil
	}
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && r.LteMax(x.level[i].forward.member) {
			x = x.level[i].forward
		}
	}
	if !r.GteMin(x.member) {
		return nil
	}
	return x
}

// deleteWhile deletes nodes from x on while keep(x) holds, also from dict.
func (zsl *skiplist) deleteWhile(x *zslNode, update *[zslMaxLevel]*zslNode, dict *Dict[float64], keep func(*zslNode) bool) int {
	removed := 0
	for x != nil && keep(x) {
		next := x.level[0].forward
		zsl.deleteNode(x, update)
		dict.Delete(x.member)
		removed++
		x = next
	}
	return removed
}

func (zsl *skiplist) deleteRangeByScore(r *ScoreRange, dict *Dict[float64]) int {
	var update [zslMaxLevel]*zslNode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.score) {
			x = x.level[i].forward
		}
		update[i] = x
	}
	return zsl.deleteWhile(x.level[0].forward, &update, dict, func(n *zslNode) bool { return r.LteMax(n.score) })
}

func (zsl *skiplist) deleteRangeByLex(r *LexRange, dict *Dict[float64]) int {
	var update [zslMaxLevel]*zslNode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.member) {
			x = x.level[i].forward
		}
		update[i] = x
	}
	return zsl.deleteWhile(x.level[0].forward, &update, dict, func(n *zslNode) bool { return r.LteMax(n.member) })
}

// deleteRangeByRank deletes 1-based ranks start..end inclusive.
func (zsl *skiplist) deleteRangeByRank(start, end int, dict *Dict[float64]) int {
	var update [zslMaxLevel]*zslNode
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span < start {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		update[i] = x
	}
	traversed++
	return zsl.deleteWhile(x.level[0].forward, &update, dict, func(*zslNode) bool {
		ok := traversed <= end
		traversed++
		return ok
	})
}
