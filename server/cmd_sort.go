package server

import (
	"bytes"
	"math"
	"sort"
	"strconv"

	"github.com/vigil-db/vigil/resp"
	"github.com/vigil-db/vigil/store"
)

// SORT and SORT_RO, after Redis 7.0's sort.c.

func cmdSort(c *Client)   { sortGeneric(c, false) }
func cmdSortRO(c *Client) { sortGeneric(c, true) }

// sortOptions is the parsed SQL-like syntax of SORT.
type sortOptions struct {
	desc, alpha, dontSort bool
	limitStart, limitCnt  int64
	by                    []byte // nil: sort by the elements themselves
	store                 []byte // nil: reply to the client
	gets                  [][]byte
}

// sortItem is redisSortObject: an element, its numeric score or its comparison string.
type sortItem struct {
	elem   []byte
	score  float64
	cmp    []byte
	hasCmp bool
}

func (c *Client) parseSortOptions(readonly bool) (sortOptions, bool) {
	opt := sortOptions{limitCnt: -1}
	args := c.args
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case bytes.EqualFold(a, []byte("asc")):
			opt.desc = false
		case bytes.EqualFold(a, []byte("desc")):
			opt.desc = true
		case bytes.EqualFold(a, []byte("alpha")):
			opt.alpha = true
		case bytes.EqualFold(a, []byte("limit")) && left >= 2:
			start, ok1 := resp.ParseInt(args[j+1])
			cnt, ok2 := resp.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				c.err(ErrNotInt)
				return opt, false
			}
			opt.limitStart, opt.limitCnt = start, cnt
			j += 2
		case !readonly && bytes.EqualFold(a, []byte("store")) && left >= 1:
			opt.store = args[j+1]
			j++
		case bytes.EqualFold(a, []byte("by")) && left >= 1:
			opt.by = args[j+1]
			opt.dontSort = bytes.IndexByte(cstr(opt.by), '*') < 0
			j++
		case bytes.EqualFold(a, []byte("get")) && left >= 1:
			opt.gets = append(opt.gets, args[j+1])
			j++
		default:
			c.err(ErrSyntax)
			return opt, false
		}
	}
	return opt, true
}

func sortGeneric(c *Client, readonly bool) {
	opt, ok := c.parseSortOptions(readonly)
	if !ok {
		return
	}
	o := c.lookupRead(c.args[1])
	if o != nil && o.Type != store.TypeList && o.Type != store.TypeSet && o.Type != store.TypeZSet {
		c.err(ErrWrongType)
		return
	}
	typ := store.TypeList
	var elems [][]byte
	if o != nil {
		typ = o.Type
		if typ == store.TypeZSet {
			sortPrepareZSet(o)
		}
		elems = collectionElements(o)
	}
	// a set has no order of its own: force an ALPHA sort when the result is stored
	if opt.dontSort && typ == store.TypeSet && opt.store != nil {
		opt.dontSort, opt.alpha, opt.by = false, true, nil
	}

	n := int64(len(elems))
	// limited to the object's size first, so that start+count cannot overflow (sort.c)
	start := min(max(opt.limitStart, 0), n)
	end := n - 1
	if cnt := min(opt.limitCnt, n); cnt >= 0 {
		end = start + cnt - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}

	var items []sortItem
	if opt.dontSort && typ != store.TypeSet {
		// lists and sorted sets keep their own order: load just the range, reversed for DESC
		if end >= start {
			items = make([]sortItem, 0, end-start+1)
			for i := start; i <= end; i++ {
				idx := i
				if opt.desc {
					idx = n - 1 - i
				}
				items = append(items, sortItem{elem: elems[idx]})
			}
			end -= start
			start = 0
		}
	} else {
		items = make([]sortItem, len(elems))
		for i, e := range elems {
			items[i].elem = e
		}
	}

	if !opt.dontSort {
		if !c.loadSortKeys(items, &opt) {
			c.err(ErrSortScores)
			return
		}
		sortItems(items, &opt)
	}

	outLen := end - start + 1
	if len(opt.gets) > 0 {
		outLen *= int64(len(opt.gets))
	}
	if opt.store == nil {
		c.w.Array(int(outLen))
		for j := start; j <= end; j++ {
			if len(opt.gets) == 0 {
				c.w.Bulk(items[j].elem)
			}
			for _, pat := range opt.gets {
				if v, ok := c.lookupByPattern(pat, items[j].elem); ok {
					c.w.Bulk(v)
				} else {
					c.w.Null()
				}
			}
		}
		return
	}
	c.sortStore(&opt, items, start, end, outLen)
}

// sortStore writes the result as a list at the STORE key (or deletes it when empty).
func (c *Client) sortStore(opt *sortOptions, items []sortItem, start, end, outLen int64) {
	out := make([][]byte, 0, max(outLen, 0))
	for j := start; j <= end; j++ {
		if len(opt.gets) == 0 {
			out = append(out, bytes.Clone(items[j].elem))
			continue
		}
		for _, pat := range opt.gets {
			v, _ := c.lookupByPattern(pat, items[j].elem)
			out = append(out, bytes.Clone(v))
		}
	}
	dst := opt.store
	if outLen > 0 {
		lo, _ := newListFromElems(out)
		c.setKey(dst, lo, false)
		c.notify(NotifyList, "sortstore", dst)
		c.addDirty(outLen)
	} else if c.dbDelete(dst) {
		c.touch(dst)
		c.notify(NotifyGeneric, "del", dst)
		c.addDirty(1)
	}
	c.w.Int(outLen)
}

// loadSortKeys computes each item's score (numeric) or comparison string (ALPHA with BY).
// It returns false when a score is not a valid double.
func (c *Client) loadSortKeys(items []sortItem, opt *sortOptions) bool {
	ok := true
	for i := range items {
		it := &items[i]
		byval := it.elem
		if opt.by != nil {
			v, found := c.lookupByPattern(opt.by, it.elem)
			if !found {
				continue
			}
			byval = v
		}
		if opt.alpha {
			if opt.by != nil {
				it.cmp, it.hasCmp = byval, true
			}
			continue
		}
		f, good := cStrtod(byval)
		if !good {
			ok = false
		}
		it.score = f
	}
	return ok
}

// sortItems is qsort with sortCompare; glibc's qsort is a stable merge sort.
func sortItems(items []sortItem, opt *sortOptions) {
	storing := opt.store != nil
	cmp := func(a, b *sortItem) int {
		switch {
		case !opt.alpha:
			if a.score > b.score {
				return 1
			}
			if a.score < b.score {
				return -1
			}
			return bytes.Compare(a.elem, b.elem)
		case opt.by != nil:
			if !a.hasCmp || !b.hasCmp {
				switch {
				case a.hasCmp == b.hasCmp:
					return 0
				case !a.hasCmp:
					return -1
				}
				return 1
			}
			if storing {
				return bytes.Compare(a.cmp, b.cmp)
			}
			return bytes.Compare(cstr(a.cmp), cstr(b.cmp))
		case storing:
			return bytes.Compare(a.elem, b.elem)
		}
		return bytes.Compare(cstr(a.elem), cstr(b.elem))
	}
	sort.SliceStable(items, func(i, j int) bool {
		r := cmp(&items[i], &items[j])
		if opt.desc {
			r = -r
		}
		return r < 0
	})
}

// lookupByPattern is lookupKeyByPattern: "#" is the element itself; otherwise the first
// '*' is replaced by the element and the key read as a string, or, with "->field" after
// the '*', as a hash field.
func (c *Client) lookupByPattern(pattern, subst []byte) ([]byte, bool) {
	pat := cstr(pattern)
	if len(pat) == 1 && pat[0] == '#' {
		return subst, true
	}
	star := bytes.IndexByte(pat, '*')
	if star < 0 {
		return nil, false
	}
	var field []byte
	keyPat := pattern
	if f := bytes.Index(pat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pat) {
		arrow := star + 1 + f
		field = pattern[arrow+2:]
		keyPat = pattern[:arrow]
	}
	key := make([]byte, 0, len(keyPat)-1+len(subst))
	key = append(key, keyPat[:star]...)
	key = append(key, subst...)
	key = append(key, keyPat[star+1:]...)
	o := c.lookupRead(key)
	if o == nil {
		return nil, false
	}
	if field != nil {
		if o.Type != store.TypeHash {
			return nil, false
		}
		return hashField(o, field)
	}
	if o.Type != store.TypeString {
		return nil, false
	}
	return o.Str, true
}

// cStrtod is strtod as SORT uses it: the whole (C) string must convert, to a finite or
// infinite value that is not NaN and without overflow or underflow.
func cStrtod(b []byte) (float64, bool) {
	s := cstr(b)
	if len(s) == 0 {
		return 0, true // strtod("") converts nothing and leaves the end at the terminator
	}
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	body := s[i:]
	if len(body) == 0 {
		return 0, false
	}
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if !validStrtodBody(body) {
		return 0, false
	}
	text := string(s[i:])
	if isHexFloat(body) && !bytes.ContainsAny(body, "pP") {
		text += "p0"
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, false
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return f, false
	}
	if f != 0 && math.Abs(f) < 2.2250738585072014e-308 {
		return f, false // glibc reports subnormal results as ERANGE
	}
	if f == 0 && hasNonZeroDigit(body) {
		return f, false // underflow to zero
	}
	return f, true
}

func isHexFloat(b []byte) bool {
	return len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')
}

func hasNonZeroDigit(b []byte) bool {
	hex := isHexFloat(b)
	if hex {
		b = b[2:]
	}
	for _, ch := range b {
		if (ch == 'e' || ch == 'E') && !hex || ch == 'p' || ch == 'P' {
			break
		}
		if ch >= '1' && ch <= '9' || hex && (ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F') {
			return true
		}
	}
	return false
}

// validStrtodBody reports whether b (after the sign) is entirely one number strtod
// accepts: inf, infinity, nan, a decimal or a hexadecimal float.
func validStrtodBody(b []byte) bool {
	lower := bytes.ToLower(b)
	switch string(lower) {
	case "inf", "infinity", "nan":
		return true
	}
	if bytes.HasPrefix(lower, []byte("nan(")) && lower[len(lower)-1] == ')' {
		for _, ch := range lower[4 : len(lower)-1] {
			if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch == '_') {
				return false
			}
		}
		return true
	}
	digit := func(ch byte) bool { return ch >= '0' && ch <= '9' }
	expChar := byte('e')
	if isHexFloat(lower) {
		lower = lower[2:]
		digit = func(ch byte) bool { return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' }
		expChar = 'p'
	}
	i, nd := 0, 0
	for i < len(lower) && digit(lower[i]) {
		i, nd = i+1, nd+1
	}
	if i < len(lower) && lower[i] == '.' {
		i++
		for i < len(lower) && digit(lower[i]) {
			i, nd = i+1, nd+1
		}
	}
	if nd == 0 {
		return false
	}
	if i < len(lower) && lower[i] == expChar {
		i++
		if i < len(lower) && (lower[i] == '+' || lower[i] == '-') {
			i++
		}
		ne := 0
		for i < len(lower) && lower[i] >= '0' && lower[i] <= '9' {
			i, ne = i+1, ne+1
		}
		if ne == 0 {
			return false
		}
	}
	return i == len(lower)
}
