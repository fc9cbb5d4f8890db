package server

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"unsafe"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// setCommands returns the set commands.
func setCommands() []*Command {
	const (
		r  = FlagReadonly
		rf = FlagReadonly | FlagFast
		wf = FlagWrite | FlagFast
		wd = FlagWrite | FlagDenyOOM
	)
	cmd := func(name string, arity int, flags Flag, first, last int, h Handler) *Command {
		step := 1
		if first == 0 {
			step = 0
		}
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: step, Handler: h, Group: "set"}
	}
	return []*Command{
		cmd("sadd", -3, wd|FlagFast, 1, 1, cmdSadd),
		cmd("scard", 2, rf, 1, 1, cmdScard),
		cmd("sdiff", -2, r, 1, -1, cmdSdiff),
		cmd("sdiffstore", -3, wd, 1, -1, cmdSdiffstore),
		cmd("sinter", -2, r, 1, -1, cmdSinter),
		cmd("sintercard", -3, r, 0, 0, cmdSintercard), // movablekeys: numkeys at 1
		cmd("sinterstore", -3, wd, 1, -1, cmdSinterstore),
		cmd("sismember", 3, rf, 1, 1, cmdSismember),
		cmd("smembers", 2, r, 1, 1, cmdSmembers),
		cmd("smismember", -3, rf, 1, 1, cmdSmismember),
		cmd("smove", 4, wf, 1, 2, cmdSmove),
		cmd("spop", -2, wf, 1, 1, cmdSpop),
		cmd("srandmember", -2, r, 1, 1, cmdSrandmember),
		cmd("srem", -3, wf, 1, 1, cmdSrem),
		cmd("sscan", -3, r, 1, 1, cmdSscan),
		cmd("sunion", -2, r, 1, -1, cmdSunion),
		cmd("sunionstore", -3, wd, 1, -1, cmdSunionstore),
	}
}

var argSrem = []byte("SREM")

// maxIntset is set-max-intset-entries.
func (c *Client) maxIntset() int { return c.srv.cfg.SetMaxIntsetEntries }

// readSet looks a set up for reading: (nil, true) when missing, ok=false after WRONGTYPE.
func (c *Client) readSet(key []byte) (*store.Set, bool) {
	o, ok := c.readTyped(key, store.TypeSet)
	if !ok || o == nil {
		return nil, ok
	}
	return o.Ptr.(*store.Set), true
}

// writeSet is readSet for write commands.
func (c *Client) writeSet(key []byte) (*store.Set, bool) {
	o, ok := c.writeTyped(key, store.TypeSet)
	if !ok || o == nil {
		return nil, ok
	}
	return o.Ptr.(*store.Set), true
}

// setElems returns the members of a set object in iteration order (ascending for an
// intset), for an RDB entry (rdb.Entry.Elems, KindSet). Hashtable members alias the
// set's strings: read them, never modify them, before the execution lock is released.
func setElems(o *store.Object) [][]byte {
	s := o.Ptr.(*store.Set)
	out := make([][]byte, 0, s.Len())
	s.Each(func(v int64) { out = append(out, strconv.AppendInt(nil, v, 10)) },
		func(m string) { out = append(out, unsafe.Slice(unsafe.StringData(m), len(m))) })
	return out
}

// newSetFromElems builds a set object from loaded members (copied), with the encoding
// Redis 7.0's loader gives it under set-max-intset-entries; false when empty.
func (s *Server) newSetFromElems(elems [][]byte) (store.Object, error) {
	if len(elems) == 0 {
		return store.Object{}, errEmptyValue
	}
	set := store.NewIntset()
	for _, m := range elems {
		if !set.Add(m, s.cfg.SetMaxIntsetEntries) {
			return store.Object{}, errDupSetMember
		}
	}
	return store.Object{Type: store.TypeSet, Ptr: set}, nil
}

// writeSetMembers replies the members of s in iteration order (no header).
func writeSetMembers(c *Client, s *store.Set) {
	if s.IsIntset() {
		for _, v := range s.Ints() {
			c.w.BulkInt(v)
		}
		return
	}
	s.Dict().Range(func(m string, _ struct{}) bool {
		c.w.BulkString(m)
		return true
	})
}

func cmdSadd(c *Client) {
	key := c.args[1]
	s, ok := c.writeSet(key)
	if !ok {
		return
	}
	if s == nil {
		s = store.NewSetFor(c.args[2])
		c.dbAdd(key, store.Object{Type: store.TypeSet, Ptr: s})
	}
	max := c.maxIntset()
	added := int64(0)
	for _, m := range c.args[2:] {
		if s.Add(m, max) {
			added++
		}
	}
	if added > 0 {
		c.touch(key)
		c.notify(NotifySet, "sadd", key)
		c.addDirty(added)
	}
	c.w.Int(added)
}

func cmdSrem(c *Client) {
	key := c.args[1]
	s, ok := c.writeSet(key)
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	c.removeMembers(key, c.args[2:], NotifySet, "srem", s.Remove, s.Len)
}

func cmdSmove(c *Client) {
	srcKey, dstKey, ele := c.args[1], c.args[2], c.args[3]
	srcObj := c.lookupWrite(srcKey)
	dstObj := c.lookupWrite(dstKey)
	if srcObj == nil {
		c.w.Int(0)
		return
	}
	if srcObj.Type != store.TypeSet || (dstObj != nil && dstObj.Type != store.TypeSet) {
		c.err(ErrWrongType)
		return
	}
	src := srcObj.Ptr.(*store.Set)
	if dstObj != nil && dstObj.Ptr.(*store.Set) == src {
		if src.Has(ele) {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
		return
	}
	if !src.Remove(ele) {
		c.w.Int(0)
		return
	}
	c.notify(NotifySet, "srem", srcKey)
	if src.Len() == 0 {
		c.dbDelete(srcKey)
		c.notify(NotifyGeneric, "del", srcKey)
	}
	var dst *store.Set
	if dstObj == nil {
		dst = store.NewSetFor(ele)
		c.dbAdd(dstKey, store.Object{Type: store.TypeSet, Ptr: dst})
	} else {
		dst = dstObj.Ptr.(*store.Set)
	}
	c.touch(srcKey)
	c.addDirty(1)
	if dst.Add(ele, c.maxIntset()) {
		c.addDirty(1)
		c.touch(dstKey)
		c.notify(NotifySet, "sadd", dstKey)
	}
	c.w.Int(1)
}

func cmdSismember(c *Client) {
	s, ok := c.readSet(c.args[1])
	if !ok {
		return
	}
	if s != nil && s.Has(c.args[2]) {
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

func cmdSmismember(c *Client) {
	s, ok := c.readSet(c.args[1])
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, m := range c.args[2:] {
		if s != nil && s.Has(m) {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
	}
}

func cmdScard(c *Client) {
	s, ok := c.readSet(c.args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(s.Len()))
}

func cmdSpop(c *Client) {
	if len(c.args) == 3 {
		spopCount(c)
		return
	}
	if len(c.args) > 3 {
		c.err(ErrSyntax)
		return
	}
	key := c.args[1]
	s, ok := c.writeSet(key)
	if !ok {
		return
	}
	if s == nil {
		c.w.Null()
		return
	}
	ele := []byte(s.Random())
	s.Remove(ele)
	c.notify(NotifySet, "spop", key)
	c.propagate(argSrem, key, ele)
	c.w.Bulk(ele)
	if s.Len() == 0 {
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
	}
	c.touch(key)
	c.addDirty(1)
}

// spopMoveStrategyMul is SPOP_MOVE_STRATEGY_MUL: when fewer than count/5 elements would
// remain, SPOP builds the remaining set instead of popping one by one.
const spopMoveStrategyMul = 5

func spopCount(c *Client) {
	l, ok := resp.ParseInt(c.args[2])
	if !ok || l < 0 {
		c.err(ErrOutOfRange)
		return
	}
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeSet)
	if !ok {
		return
	}
	if o == nil || l == 0 {
		c.w.Set(0)
		return
	}
	s := o.Ptr.(*store.Set)
	count, size := uint64(l), uint64(s.Len())
	c.notify(NotifySet, "spop", key)
	c.addDirty(l)
	if count >= size {
		// CASE 1: the whole set, replied as SUNION of it would (which looks the key up
		// again for reading), then DEL.
		c.lookupRead(key)
		tmp := store.NewIntset()
		max := c.maxIntset()
		s.Each(func(v int64) { tmp.AddInt(v, max) }, func(m string) { tmp.AddString(m, max) })
		c.w.Set(tmp.Len())
		writeSetMembers(c, tmp)
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
		c.propagate(argDel, key)
		c.touch(key)
		return
	}
	c.w.Set(int(count))
	remaining := size - count
	if remaining*spopMoveStrategyMul > count {
		// CASE 2: pop count random elements.
		for ; count > 0; count-- {
			ele := []byte(s.Random())
			c.w.Bulk(ele)
			s.Remove(ele)
			c.propagate(argSrem, key, ele)
		}
	} else {
		// CASE 3: move the remaining elements to a new set, reply the old one.
		var kept *store.Set
		max := c.maxIntset()
		for ; remaining > 0; remaining-- {
			ele := []byte(s.Random())
			if kept == nil {
				kept = store.NewSetFor(ele)
			}
			kept.Add(ele, max)
			s.Remove(ele)
		}
		s.Range(func(m string) bool {
			ele := []byte(m)
			c.w.Bulk(ele)
			c.propagate(argSrem, key, ele)
			return true
		})
		o.Ptr = kept
	}
	c.touch(key)
}

func cmdSrandmember(c *Client) {
	if len(c.args) == 3 {
		srandmemberCount(c)
		return
	}
	if len(c.args) > 3 {
		c.err(ErrSyntax)
		return
	}
	s, ok := c.readSet(c.args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Null()
		return
	}
	c.w.BulkString(s.Random())
}

func srandmemberCount(c *Client) {
	l, ok := resp.ParseInt(c.args[2])
	if !ok {
		c.err(ErrNotInt)
		return
	}
	if l == math.MinInt64 {
		c.err(ErrRandCountRange)
		return
	}
	s, ok := c.readSet(c.args[1])
	if !ok {
		return
	}
	if s == nil || l == 0 {
		c.w.Array(0)
		return
	}
	count, uniq := uint64(l), true
	if l < 0 {
		count, uniq = uint64(-l), false
	}
	size := uint64(s.Len())
	if !uniq || count == 1 {
		c.w.Array(int(count))
		for ; count > 0 && !c.w.Full(); count-- {
			c.w.BulkString(s.Random())
		}
		return
	}
	if count >= size {
		c.w.Array(int(size))
		writeSetMembers(c, s)
		return
	}
	c.w.Array(int(count))
	if count*srandmemberSubStrategyMul <= size {
		// CASE 4: few members of a big set, drawn at random until count are distinct
		seen := make(map[string]struct{}, count)
		for uint64(len(seen)) < count {
			m := s.Random()
			if _, dup := seen[m]; !dup {
				seen[m] = struct{}{}
				c.w.BulkString(m)
			}
		}
		return
	}
	// CASE 3: a large part of the set, a random subset of a copy
	members := s.Members()
	for i := 0; i < int(count); i++ {
		j := i + rand.IntN(len(members)-i)
		members[i], members[j] = members[j], members[i]
		c.w.BulkString(members[i])
	}
}

// srandmemberSubStrategyMul is SRANDMEMBER_SUB_STRATEGY_MUL: below count*3 members
// SRANDMEMBER copies the set, above it draws members at random.
const srandmemberSubStrategyMul = 3

// lookupSets fetches the sets at keys for an algebra command: nil entries for missing
// keys; ok=false after replying WRONGTYPE. Like Redis 7.0, STORE variants also read
// their sources with lookupKeyRead (keyspace hits/misses are counted).
func lookupSets(c *Client, keys [][]byte) ([]*store.Set, bool) {
	sets := make([]*store.Set, len(keys))
	for i, key := range keys {
		o := c.lookupRead(key)
		if o == nil {
			continue
		}
		if o.Type != store.TypeSet {
			c.err(ErrWrongType)
			return nil, false
		}
		sets[i] = o.Ptr.(*store.Set)
	}
	return sets, true
}

func cmdSmembers(c *Client)    { sinterGeneric(c, c.args[1:2], nil, false, 0) }
func cmdSinter(c *Client)      { sinterGeneric(c, c.args[1:], nil, false, 0) }
func cmdSinterstore(c *Client) { sinterGeneric(c, c.args[2:], c.args[1], false, 0) }

func cmdSintercard(c *Client) {
	numkeys, ok := resp.ParseInt(c.args[1])
	if !ok || numkeys < 1 {
		c.err(ErrNumkeys)
		return
	}
	if numkeys > int64(len(c.args)-2) {
		c.err(ErrSetNumkeysArgs)
		return
	}
	limit := int64(0)
	for j := 2 + int(numkeys); j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		if bytes.EqualFold(c.args[j], []byte("limit")) && more > 0 {
			j++
			if limit, ok = resp.ParseInt(c.args[j]); !ok || limit < 0 {
				c.err(ErrLimitNegative)
				return
			}
			continue
		}
		c.err(ErrSyntax)
		return
	}
	sinterGeneric(c, c.args[2:2+numkeys], nil, true, limit)
}

// storeResult is the end of every *STORE command: set dst to result, or delete dst
// when the result is empty.
func storeResult(c *Client, dst []byte, result *store.Set, event string) {
	if n := result.Len(); n > 0 {
		c.setKey(dst, store.Object{Type: store.TypeSet, Ptr: result}, false)
		c.w.Int(int64(n))
		c.notify(NotifySet, event, dst)
		c.addDirty(1)
		return
	}
	c.w.Int(0)
	if c.dbDelete(dst) {
		c.addDirty(1)
		c.touch(dst)
		c.notify(NotifyGeneric, "del", dst)
	}
}

// sinterGeneric is Redis's sinterGenericCommand: SINTER, SINTERSTORE, SINTERCARD, SMEMBERS.
func sinterGeneric(c *Client, keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, ok := lookupSets(c, keys)
	if !ok {
		return
	}
	for _, s := range sets {
		if s == nil {
			switch {
			case dst != nil:
				c.w.Int(0)
				if c.dbDelete(dst) {
					c.touch(dst)
					c.notify(NotifyGeneric, "del", dst)
					c.addDirty(1)
				}
			case cardOnly:
				c.w.Int(0)
			default:
				c.w.Set(0)
			}
			return
		}
	}
	if len(sets) == 1 && dst == nil && !cardOnly {
		// SMEMBERS and one-key SINTER: every member in iteration order
		c.w.Set(sets[0].Len())
		writeSetMembers(c, sets[0])
		return
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Len() < sets[j].Len() })
	first, others := sets[0], sets[1:]
	var result *store.Set
	if dst != nil {
		result = store.NewIntset()
	}
	max := c.maxIntset()
	var ints []int64
	var strs []string
	card := int64(0)
	if first.IsIntset() {
	nextInt:
		for _, v := range first.Ints() {
			for _, o := range others {
				if o != first && !o.ContainsInt(v) {
					continue nextInt
				}
			}
			card++
			if cardOnly {
				if limit > 0 && card >= limit {
					break
				}
				continue
			}
			ints = append(ints, v)
		}
	} else {
		first.Dict().Range(func(m string, _ struct{}) bool {
			for _, o := range others {
				if o != first && !o.Contains(m) {
					return true
				}
			}
			card++
			if cardOnly {
				return limit == 0 || card < limit
			}
			strs = append(strs, m)
			return true
		})
	}
	switch {
	case cardOnly:
		c.w.Int(card)
	case dst != nil:
		for _, v := range ints {
			result.AddInt(v, max)
		}
		for _, m := range strs {
			result.AddString(m, max)
		}
		storeResult(c, dst, result, "sinterstore")
	default:
		c.w.Set(int(card))
		for _, v := range ints {
			c.w.BulkInt(v)
		}
		for _, m := range strs {
			c.w.BulkString(m)
		}
	}
}

const (
	setOpUnion = iota
	setOpDiff
)

func cmdSunion(c *Client)      { sunionDiffGeneric(c, c.args[1:], nil, setOpUnion) }
func cmdSunionstore(c *Client) { sunionDiffGeneric(c, c.args[2:], c.args[1], setOpUnion) }
func cmdSdiff(c *Client)       { sunionDiffGeneric(c, c.args[1:], nil, setOpDiff) }
func cmdSdiffstore(c *Client)  { sunionDiffGeneric(c, c.args[2:], c.args[1], setOpDiff) }

// sunionDiffGeneric is Redis's sunionDiffGenericCommand, including its choice between
// the two DIFF algorithms (which decides the encoding of an SDIFFSTORE result).
func sunionDiffGeneric(c *Client, keys [][]byte, dst []byte, op int) {
	sets, ok := lookupSets(c, keys)
	if !ok {
		return
	}
	result := store.NewIntset()
	max := c.maxIntset()
	addInt := func(v int64) { result.AddInt(v, max) }
	addStr := func(m string) { result.AddString(m, max) }
	switch {
	case op == setOpUnion:
		for _, s := range sets {
			if s != nil {
				s.Each(addInt, addStr)
			}
		}
	case sets[0] == nil:
	case diffAlgorithm(sets) == 1:
		first := sets[0]
		rest := make([]*store.Set, 0, len(sets)-1)
		for _, s := range sets[1:] {
			if s != nil {
				rest = append(rest, s)
			}
		}
		sort.SliceStable(rest, func(i, j int) bool { return rest[i].Len() > rest[j].Len() })
		first.Each(func(v int64) {
			for _, s := range rest {
				if s == first || s.ContainsInt(v) {
					return
				}
			}
			addInt(v)
		}, func(m string) {
			for _, s := range rest {
				if s == first || s.Contains(m) {
					return
				}
			}
			addStr(m)
		})
	default:
		for j, s := range sets {
			if s == nil {
				continue
			}
			if j == 0 {
				s.Each(addInt, addStr)
			} else {
				s.Each(func(v int64) { result.RemoveInt(v) }, func(m string) { result.RemoveString(m) })
			}
			if result.Len() == 0 {
				break
			}
		}
	}
	if dst != nil {
		event := "sunionstore"
		if op == setOpDiff {
			event = "sdiffstore"
		}
		storeResult(c, dst, result, event)
		return
	}
	c.w.Set(result.Len())
	writeSetMembers(c, result)
}

// diffAlgorithm picks SDIFF's algorithm as Redis does: 1 (check each element of the
// first set against the others) unless the total work of 2 (add all, remove all) is
// smaller than half of it.
func diffAlgorithm(sets []*store.Set) int {
	var one, two int64
	for _, s := range sets {
		if s == nil {
			continue
		}
		one += int64(sets[0].Len())
		two += int64(s.Len())
	}
	if one/2 <= two {
		return 1
	}
	return 2
}

func cmdSscan(c *Client) {
	cursor, ok := parseScanCursor(c.args[2])
	if !ok {
		c.err(ErrInvalidCursor)
		return
	}
	s, ok := c.readSet(c.args[1])
	if !ok {
		return
	}
	if s == nil {
		writeEmptyScan(c)
		return
	}
	opt, ok := parseCollScanOpts(c, c.args[3:])
	if !ok {
		return
	}
	var items []string
	if d := s.Dict(); d != nil {
		cursor = scanDict(d, cursor, opt.count, 1, func(m string, _ struct{}) { items = append(items, m) })
	} else {
		cursor = 0
		items = s.Members()
	}
	out := items[:0]
	for _, m := range items {
		if !opt.usePattern || collScanMatch(opt.pattern, []byte(m)) {
			out = append(out, m)
		}
	}
	writeScanReply(c, cursor, out)
}
