package server

import (
	"bytes"
	"strings"
	"time"

	"github.com/vigil-db/vigil/store"
)

// Multi-key and blocking list pops: LMPOP, BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.

// --- multi-key pop ---

// mpopArgs are the parsed arguments of LMPOP/BLMPOP.
type mpopArgs struct {
	keys  [][]byte
	where end
	count int64
}

// parseMpop parses "numkeys key... LEFT|RIGHT [COUNT n]" starting at c.args[idx].
func (c *Client) parseMpop(idx int) (mpopArgs, bool) {
	var a mpopArgs
	numkeys, ok := c.parseLongMin(c.args[idx], 1, ErrNumkeys)
	if !ok {
		return a, false
	}
	if numkeys > int64(len(c.args)-idx-2) {
		c.err(ErrSyntax)
		return a, false
	}
	whereIdx := idx + int(numkeys) + 1
	if a.where, ok = c.parseEnd(c.args[whereIdx]); !ok {
		return a, false
	}
	a.keys = c.args[idx+1 : whereIdx]
	a.count = -1
	for j := whereIdx + 1; j < len(c.args); j++ {
		if a.count == -1 && j < len(c.args)-1 && strings.EqualFold(k(c.args[j]), "count") {
			j++
			if a.count, ok = c.parseLongMin(c.args[j], 1, ErrCountPositive); !ok {
				return a, false
			}
			continue
		}
		c.err(ErrSyntax)
		return a, false
	}
	if a.count == -1 {
		a.count = 1
	}
	return a, true
}

// popFirstReady pops from the first non-empty list among keys as LMPOP does. It returns
// false without replying when every key is missing, and true when it replied (popped or
// WRONGTYPE).
func popFirstReady(c *Client, keys [][]byte, where end, count int64) bool {
	for _, key := range keys {
		o, ok := c.writeTyped(key, store.TypeList)
		if !ok {
			return true
		}
		if o == nil {
			continue
		}
		popRangeWithKey(c, key, o, where, count)
		return true
	}
	return false
}

func cmdLmpop(c *Client) {
	a, ok := c.parseMpop(1)
	if !ok {
		return
	}
	if !popFirstReady(c, a.keys, a.where, a.count) {
		c.w.NullArray()
	}
}

// --- blocking ---

// timeoutNullArray is the reply of every list blocking command on timeout (Redis's
// replyToBlockedClientTimedOut replies a null array for BLOCKED_LIST, BLMOVE included).
func timeoutNullArray(c *Client) { c.w.NullArray() }

func cmdBlpop(c *Client) { blockingPop(c, head) }
func cmdBrpop(c *Client) { blockingPop(c, tail) }

// blockingPop is blockingPopGenericCommand for BLPOP/BRPOP.
func blockingPop(c *Client, e end) {
	deadline, ok := c.parseTimeout(c.args[len(c.args)-1])
	if !ok {
		return
	}
	keys := c.args[1 : len(c.args)-1]
	for _, key := range keys {
		o, ok := c.writeTyped(key, store.TypeList)
		if !ok {
			return
		}
		if o == nil {
			continue
		}
		l := listOf(o)
		c.w.Array(2)
		c.w.Bulk(key)
		c.w.BulkString(popAt(l, e))
		c.listElementsRemoved(key, e, l, 1)
		c.propagate(e.popCmd(), key)
		return
	}
	if !c.canBlock() {
		c.w.NullArray()
		return
	}
	c.blockOn(keys, deadline, func(bc *Client, key []byte) bool { return serveBlockedPop(bc, key, e) }, timeoutNullArray)
}

// serveBlockedPop serves a client blocked in BLPOP/BRPOP from key (serveClientBlockedOnList).
func serveBlockedPop(c *Client, key []byte, e end) bool {
	o := c.lookupWrite(key)
	if o == nil || o.Type != store.TypeList {
		return false
	}
	l := listOf(o)
	c.propagate(e.popCmd(), key)
	c.w.Array(2)
	c.w.Bulk(key)
	c.w.BulkString(popAt(l, e))
	c.notify(NotifyList, e.popEvent(), key)
	if l.Len() == 0 {
		c.dbDelete(key)
		c.notify(NotifyGeneric, "del", key)
	}
	return true
}

func cmdBlmove(c *Client) {
	from, ok := c.parseEnd(c.args[3])
	if !ok {
		return
	}
	to, ok := c.parseEnd(c.args[4])
	if !ok {
		return
	}
	deadline, ok := c.parseTimeout(c.args[5])
	if !ok {
		return
	}
	blmoveGeneric(c, from, to, deadline, lmoveRecord(from, to))
}

func cmdBrpoplpush(c *Client) {
	deadline, ok := c.parseTimeout(c.args[3])
	if !ok {
		return
	}
	blmoveGeneric(c, tail, head, deadline, rpoplpushRecord)
}

// blmoveGeneric moves at once when the source exists, else blocks on it. Served or not,
// the move is propagated as rec builds it (LMOVE ... left right, or RPOPLPUSH).
func blmoveGeneric(c *Client, from, to end, deadline time.Time, rec func(src, dst []byte) [][]byte) {
	o, ok := c.writeTyped(c.args[1], store.TypeList)
	if !ok {
		return
	}
	if o != nil {
		lmoveGeneric(c, from, to, rec)
		return
	}
	if !c.canBlock() {
		c.w.Null()
		return
	}
	dst := bytes.Clone(c.args[2])
	serve := func(bc *Client, key []byte) bool { return serveBlockedMove(bc, key, dst, from, to, rec) }
	c.blockOn(c.args[1:2], deadline, serve, timeoutNullArray)
}

// serveBlockedMove serves a client blocked in BLMOVE/BRPOPLPUSH. A destination of the wrong
// type unblocks the client with WRONGTYPE and leaves the source alone (Redis 7.0).
func serveBlockedMove(c *Client, src, dst []byte, from, to end, rec func(src, dst []byte) [][]byte) bool {
	sobj := c.lookupWrite(src)
	if sobj == nil || sobj.Type != store.TypeList {
		return false
	}
	dobj := c.lookupWrite(dst)
	if dobj != nil && dobj.Type != store.TypeList {
		c.err(ErrWrongType)
		return true
	}
	moveElement(c, src, dst, sobj, dobj, from, to)
	c.propagate(rec(src, dst)...)
	return true
}

func cmdBlmpop(c *Client) {
	a, ok := c.parseMpop(2)
	if !ok {
		return
	}
	deadline, ok := c.parseTimeout(c.args[1])
	if !ok {
		return
	}
	if popFirstReady(c, a.keys, a.where, a.count) {
		return
	}
	if !c.canBlock() {
		c.w.NullArray()
		return
	}
	where, count := a.where, a.count
	serve := func(bc *Client, key []byte) bool {
		o := bc.lookupWrite(key)
		if o == nil || o.Type != store.TypeList {
			return false
		}
		popRangeWithKey(bc, key, o, where, count)
		return true
	}
	c.blockOn(a.keys, deadline, serve, timeoutNullArray)
}
