package server

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// listCommands returns the list commands, blocking ones included.
func listCommands() []*Command {
	const (
		w  = FlagWrite
		r  = FlagReadonly
		d  = FlagDenyOOM
		f  = FlagFast
		ns = FlagNoScript
		bl = FlagBlocking
	)
	list := func(name string, arity int, flags Flag, first, last int, h Handler) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Handler: h, Group: "list"}
	}
	noKeys := func(name string, arity int, flags Flag, h Handler) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, Handler: h, Group: "list"}
	}
	return []*Command{
		list("blmove", 6, w|d|ns|bl, 1, 2, cmdBlmove),
		noKeys("blmpop", -5, w|bl, cmdBlmpop),
		list("blpop", -3, w|ns|bl, 1, -2, cmdBlpop),
		list("brpop", -3, w|ns|bl, 1, -2, cmdBrpop),
		list("brpoplpush", 4, w|d|ns|bl, 1, 2, cmdBrpoplpush),
		list("lindex", 3, r, 1, 1, cmdLindex),
		list("linsert", 5, w|d, 1, 1, cmdLinsert),
		list("llen", 2, r|f, 1, 1, cmdLlen),
		list("lmove", 5, w|d|FlagArrivalOrder, 1, 2, cmdLmove),
		noKeys("lmpop", -4, w, cmdLmpop),
		list("lpop", -2, w|f, 1, 1, cmdLpop),
		list("lpos", -3, r, 1, 1, cmdLpos),
		list("lpush", -3, w|d|f|FlagArrivalOrder, 1, 1, cmdLpush),
		list("lpushx", -3, w|d|f, 1, 1, cmdLpushx),
		list("lrange", 4, r, 1, 1, cmdLrange),
		list("lrem", 4, w, 1, 1, cmdLrem),
		list("lset", 4, w|d, 1, 1, cmdLset),
		list("ltrim", 4, w, 1, 1, cmdLtrim),
		list("rpop", -2, w|f, 1, 1, cmdRpop),
		list("rpoplpush", 3, w|d|FlagArrivalOrder, 1, 2, cmdRpoplpush),
		list("rpush", -3, w|d|f|FlagArrivalOrder, 1, 1, cmdRpush),
		list("rpushx", -3, w|d|f, 1, 1, cmdRpushx),
	}
}

// Arguments of the records that list commands propagate instead of their own argv.
var (
	argLpop      = []byte("LPOP")
	argRpop      = []byte("RPOP")
	argLmove     = []byte("LMOVE")
	argRpoplpush = []byte("RPOPLPUSH")
	argLeft      = []byte("left")
	argRight     = []byte("right")
)

// end is a side of a list: the head (LEFT) or the tail (RIGHT).
type end bool

const (
	head end = false
	tail end = true
)

func (e end) arg() []byte {
	if e == head {
		return argLeft
	}
	return argRight
}

func (e end) popEvent() string {
	if e == head {
		return "lpop"
	}
	return "rpop"
}

func (e end) pushEvent() string {
	if e == head {
		return "lpush"
	}
	return "rpush"
}

func (e end) popCmd() []byte {
	if e == head {
		return argLpop
	}
	return argRpop
}

func listOf(o *store.Object) *store.List { return o.Ptr.(*store.List) }

func newListObject() store.Object {
	return store.Object{Type: store.TypeList, Ptr: store.NewList()}
}

// listElems returns the elements of a list object for an RDB entry (rdb.Entry.Elems,
// KindList). The slices alias the list's strings: read them, never modify them, before
// the execution lock is released.
func listElems(o *store.Object) [][]byte {
	l := listOf(o)
	out := make([][]byte, l.Len())
	for i := range out {
		v := l.At(i)
		out[i] = unsafe.Slice(unsafe.StringData(v), len(v))
	}
	return out
}

// newListFromElems builds a list object from loaded elements (copied); nil when there are
// none, as Redis drops empty lists when loading.
func newListFromElems(elems [][]byte) (store.Object, bool) {
	if len(elems) == 0 {
		return store.Object{}, false
	}
	o := newListObject()
	l := listOf(&o)
	for _, e := range elems {
		l.PushBack(string(e))
	}
	return o, true
}

func pushAt(l *store.List, e end, v string) {
	if e == head {
		l.PushFront(v)
	} else {
		l.PushBack(v)
	}
}

func popAt(l *store.List, e end) string {
	if e == head {
		return l.PopFront()
	}
	return l.PopBack()
}

// parseEnd parses LEFT/RIGHT (getListPositionFromObjectOrReply), replying a syntax error.
func (c *Client) parseEnd(arg []byte) (end, bool) {
	switch {
	case strings.EqualFold(k(arg), "left"):
		return head, true
	case strings.EqualFold(k(arg), "right"):
		return tail, true
	}
	c.err(ErrSyntax)
	return head, false
}

// parseLong is getLongFromObjectOrReply: msg replaces the default error when not empty.
func (c *Client) parseLong(arg []byte, msg string) (int64, bool) {
	v, ok := resp.ParseInt(arg)
	if !ok {
		if msg == "" {
			msg = ErrNotInt
		}
		c.err(msg)
	}
	return v, ok
}

// parseLongMin is getRangeLongFromObjectOrReply(min, LONG_MAX) with an explicit message
// used both for non-integers and for values below min.
func (c *Client) parseLongMin(arg []byte, min int64, msg string) (int64, bool) {
	v, ok := resp.ParseInt(arg)
	if !ok || v < min {
		c.err(msg)
		return 0, false
	}
	return v, true
}

// listElementsRemoved is Redis's listElementsRemoved: event, delete when emptied, touch, dirty.
// It reports whether the key was deleted.
func (c *Client) listElementsRemoved(key []byte, e end, l *store.List, n int) bool {
	c.notify(NotifyList, e.popEvent(), key)
	deleted := false
	if l.Len() == 0 {
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
		deleted = true
	}
	c.touch(key)
	c.addDirty(int64(n))
	return deleted
}

// --- push ---

func cmdLpush(c *Client)  { pushGeneric(c, head, false) }
func cmdRpush(c *Client)  { pushGeneric(c, tail, false) }
func cmdLpushx(c *Client) { pushGeneric(c, head, true) }
func cmdRpushx(c *Client) { pushGeneric(c, tail, true) }

func pushGeneric(c *Client, e end, xx bool) {
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		if xx {
			c.w.Int(0)
			return
		}
		o = c.dbAdd(key, newListObject())
	}
	l := listOf(o)
	for _, v := range c.args[2:] {
		pushAt(l, e, string(v))
	}
	c.w.Int(int64(l.Len()))
	c.touch(key)
	c.notify(NotifyList, e.pushEvent(), key)
	c.addDirty(int64(len(c.args) - 2))
}

// --- pop ---

func cmdLpop(c *Client) { popGeneric(c, head) }
func cmdRpop(c *Client) { popGeneric(c, tail) }

func popGeneric(c *Client, e end) {
	if len(c.args) > 3 {
		c.err(fmt.Sprintf(ErrWrongArgs, c.cmd.Name))
		return
	}
	hasCount := len(c.args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = c.parseLongMin(c.args[2], 0, ErrOutOfRange); !ok {
			return
		}
	}
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		if hasCount {
			c.w.NullArray()
		} else {
			c.w.Null()
		}
		return
	}
	l := listOf(o)
	if !hasCount {
		c.w.BulkString(popAt(l, e))
		c.listElementsRemoved(key, e, l, 1)
		return
	}
	if count == 0 {
		c.w.Array(0)
		return
	}
	n := popRangeReply(c, l, e, count)
	c.listElementsRemoved(key, e, l, n)
}

// popRangeReply pops up to count elements from side e, replying them as an array in pop
// order, and returns how many it popped.
func popRangeReply(c *Client, l *store.List, e end, count int64) int {
	n := l.Len()
	if count < int64(n) {
		n = int(count)
	}
	c.w.Array(n)
	if e == head {
		for i := 0; i < n; i++ {
			c.w.BulkString(l.At(i))
		}
		l.TrimFront(n)
	} else {
		for i := l.Len() - 1; i >= l.Len()-n; i-- {
			c.w.BulkString(l.At(i))
		}
		l.TrimBack(n)
	}
	return n
}

// popRangeWithKey is listPopRangeAndReplyWithKey: [key, [elements...]]. It propagates
// the pop as "LPOP|RPOP key n", as LMPOP and BLMPOP do.
func popRangeWithKey(c *Client, key []byte, o *store.Object, e end, count int64) {
	l := listOf(o)
	c.w.Array(2)
	c.w.Bulk(key)
	n := popRangeReply(c, l, e, count)
	c.listElementsRemoved(key, e, l, n)
	c.propagate(e.popCmd(), key, strconv.AppendInt(nil, int64(n), 10))
}

// --- read ---

func cmdLlen(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(listOf(o).Len()))
}

func cmdLindex(c *Client) {
	o, ok := c.readTyped(c.args[1], store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Null()
		return
	}
	idx, ok := c.parseLong(c.args[2], "")
	if !ok {
		return
	}
	l := listOf(o)
	if idx < 0 {
		idx += int64(l.Len())
	}
	if idx < 0 || idx >= int64(l.Len()) {
		c.w.Null()
		return
	}
	c.w.BulkString(l.At(int(idx)))
}

// normRange applies Redis's range rules (negative from the end, clamped); ok=false: empty.
func normRange(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), true
}

func cmdLrange(c *Client) {
	start, ok := c.parseLong(c.args[2], "")
	if !ok {
		return
	}
	stop, ok := c.parseLong(c.args[3], "")
	if !ok {
		return
	}
	o, ok := c.readTyped(c.args[1], store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Array(0)
		return
	}
	l := listOf(o)
	from, to, ok := normRange(start, stop, l.Len())
	if !ok {
		c.w.Array(0)
		return
	}
	c.w.Array(to - from + 1)
	for i := from; i <= to; i++ {
		c.w.BulkString(l.At(i))
	}
}

// lposOptions are LPOS's RANK, COUNT and MAXLEN; count -1 means COUNT was not given.
type lposOptions struct {
	rank, count, maxlen int64
}

func (c *Client) parseLposOptions() (lposOptions, bool) {
	opt := lposOptions{rank: 1, count: -1}
	for j := 3; j < len(c.args); j++ {
		name, more := k(c.args[j]), j < len(c.args)-1
		var ok bool
		switch {
		case more && strings.EqualFold(name, "rank"):
			j++
			if opt.rank, ok = c.parseLong(c.args[j], ""); !ok {
				return opt, false
			}
			if opt.rank == 0 {
				c.err(ErrListRankZero)
				return opt, false
			}
		case more && strings.EqualFold(name, "count"):
			j++
			if opt.count, ok = c.parseLongMin(c.args[j], 0, ErrListCountNegative); !ok {
				return opt, false
			}
		case more && strings.EqualFold(name, "maxlen"):
			j++
			if opt.maxlen, ok = c.parseLongMin(c.args[j], 0, ErrListMaxlenNegative); !ok {
				return opt, false
			}
		default:
			c.err(ErrSyntax)
			return opt, false
		}
	}
	return opt, true
}

func cmdLpos(c *Client) {
	opt, ok := c.parseLposOptions()
	if !ok {
		return
	}
	fromTail := false
	rank := opt.rank
	if rank < 0 {
		rank = -rank // -LONG_MIN stays negative, as in Redis: every match then qualifies
		fromTail = true
	}
	o, ok := c.readTyped(c.args[1], store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		if opt.count != -1 {
			c.w.Array(0)
		} else {
			c.w.Null()
		}
		return
	}
	l := listOf(o)
	ele := k(c.args[2])
	n := l.Len()
	var matches int64
	var hits []int64
	match := int64(-1)
	for i := 0; i < n && (opt.maxlen == 0 || int64(i) < opt.maxlen); i++ {
		pos := i
		if fromTail {
			pos = n - 1 - i
		}
		if l.At(pos) != ele {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		if opt.count == -1 {
			match = int64(pos)
			break
		}
		hits = append(hits, int64(pos))
		if opt.count != 0 && matches-rank+1 >= opt.count {
			break
		}
	}
	if opt.count != -1 {
		c.w.Array(len(hits))
		for _, h := range hits {
			c.w.Int(h)
		}
		return
	}
	if match == -1 {
		c.w.Null()
		return
	}
	c.w.Int(match)
}

// --- in-place writes ---

func cmdLset(c *Client) {
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.err(ErrNoSuchKey)
		return
	}
	idx, ok := c.parseLong(c.args[2], "")
	if !ok {
		return
	}
	l := listOf(o)
	if idx < 0 {
		idx += int64(l.Len())
	}
	if idx < 0 || idx >= int64(l.Len()) {
		c.err(ErrIndexOutOfRange)
		return
	}
	l.Set(int(idx), string(c.args[3]))
	c.ok()
	c.touch(key)
	c.notify(NotifyList, "lset", key)
	c.addDirty(1)
}

func cmdLinsert(c *Client) {
	var after bool
	switch {
	case strings.EqualFold(k(c.args[2]), "after"):
		after = true
	case strings.EqualFold(k(c.args[2]), "before"):
	default:
		c.err(ErrSyntax)
		return
	}
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	l := listOf(o)
	pivot := k(c.args[3])
	at := -1
	for i := 0; i < l.Len(); i++ {
		if l.At(i) == pivot {
			at = i
			break
		}
	}
	if at == -1 {
		c.w.Int(-1)
		return
	}
	if after {
		at++
	}
	l.Insert(at, string(c.args[4]))
	c.touch(key)
	c.notify(NotifyList, "linsert", key)
	c.addDirty(1)
	c.w.Int(int64(l.Len()))
}

func cmdLrem(c *Client) {
	count, ok := c.parseLong(c.args[2], "")
	if !ok {
		return
	}
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.w.Int(0)
		return
	}
	l := listOf(o)
	fromTail := count < 0
	limit := count
	if fromTail {
		limit = -count
		if limit < 0 { // LONG_MIN: never reached, removes every match as in Redis
			limit = 0
		}
	}
	removed := l.RemoveEqual(k(c.args[3]), int(limit), fromTail)
	if removed > 0 {
		c.touch(key)
		c.notify(NotifyList, "lrem", key)
		c.addDirty(int64(removed))
	}
	if l.Len() == 0 {
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
	}
	c.w.Int(int64(removed))
}

func cmdLtrim(c *Client) {
	start, ok := c.parseLong(c.args[2], "")
	if !ok {
		return
	}
	stop, ok := c.parseLong(c.args[3], "")
	if !ok {
		return
	}
	key := c.args[1]
	o, ok := c.writeTyped(key, store.TypeList)
	if !ok {
		return
	}
	if o == nil {
		c.ok()
		return
	}
	l := listOf(o)
	n := l.Len()
	ltrim, rtrim := n, 0
	if from, to, ok := normRange(start, stop, n); ok {
		ltrim, rtrim = from, n-to-1
	}
	l.TrimFront(ltrim)
	l.TrimBack(rtrim)
	c.notify(NotifyList, "ltrim", key)
	if l.Len() == 0 {
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
	}
	c.touch(key)
	if ltrim+rtrim > 0 {
		c.addDirty(int64(ltrim + rtrim))
	}
	c.ok()
}

// --- move ---

func cmdLmove(c *Client) {
	from, ok := c.parseEnd(c.args[3])
	if !ok {
		return
	}
	to, ok := c.parseEnd(c.args[4])
	if !ok {
		return
	}
	lmoveGeneric(c, from, to, nil)
}

func cmdRpoplpush(c *Client) { lmoveGeneric(c, tail, head, nil) }

// lmoveGeneric is Redis's lmoveGenericCommand for LMOVE, RPOPLPUSH and the non-blocking
// path of BLMOVE/BRPOPLPUSH; rewrite, when not nil, is the record to propagate instead
// of the command's own argv.
func lmoveGeneric(c *Client, from, to end, rewrite func(src, dst []byte) [][]byte) {
	src, dst := c.args[1], c.args[2]
	sobj, ok := c.writeTyped(src, store.TypeList)
	if !ok {
		return
	}
	if sobj == nil {
		c.w.Null()
		return
	}
	dobj, ok := c.writeTyped(dst, store.TypeList)
	if !ok {
		return
	}
	moveElement(c, src, dst, sobj, dobj, from, to)
	c.touch(src)
	c.addDirty(1)
	if rewrite != nil {
		c.propagate(rewrite(src, dst)...)
	}
}

// moveElement pops from src (sobj, not empty) and pushes onto dst (dobj, nil if missing),
// replying the element, with Redis's events and deletion order. The caller touches src
// and counts the change (a served BLMOVE does neither, as in Redis).
func moveElement(c *Client, src, dst []byte, sobj, dobj *store.Object, from, to end) {
	sl := listOf(sobj)
	v := popAt(sl, from)
	if dobj == nil {
		dobj = c.dbAdd(dst, newListObject())
	}
	c.touch(dst)
	pushAt(listOf(dobj), to, v)
	c.notify(NotifyList, to.pushEvent(), dst)
	c.w.BulkString(v)
	c.notify(NotifyList, from.popEvent(), src)
	if sl.Len() == 0 {
		c.dbDelete(src)
		c.notify(NotifyGeneric, "del", src)
	}
}

func lmoveRecord(from, to end) func(src, dst []byte) [][]byte {
	return func(src, dst []byte) [][]byte {
		return [][]byte{argLmove, src, dst, from.arg(), to.arg()}
	}
}

func rpoplpushRecord(src, dst []byte) [][]byte { return [][]byte{argRpoplpush, src, dst} }
