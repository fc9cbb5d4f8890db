package server

import (
	"bytes"

	"github.com/vigil-db/vigil/store"
)

// The generic key commands (COPY, SORT) need a few things from the collection types that
// the list, hash, set and zset families define in store. They reach them only through the
// small interfaces below, so that this family does not depend on their representation.
// A collection's Ptr value implements the ones that apply to it:
//
//	list:  elementLister (head to tail), valueCopier
//	set:   elementLister (any order; sorted for an intset), valueCopier
//	zset:  elementLister (ascending score, then member), valueCopier, optionally skiplistConverter
//	hash:  fieldGetter, valueCopier
//
// SORT ... STORE builds its list with the list family's newListFromElems.

// elementLister returns the elements of a list, set or sorted set.
type elementLister interface {
	Elements() [][]byte
}

// fieldGetter returns one field of a hash.
type fieldGetter interface {
	GetField(field []byte) ([]byte, bool)
}

// valueCopier returns a deep copy of a collection (COPY).
type valueCopier interface {
	Copy() any
}

// skiplistConverter is implemented by sorted sets: Redis 7.0's SORT converts a listpack
// sorted set to a skiplist, which OBJECT ENCODING then reports.
type skiplistConverter interface {
	ConvertToSkiplist()
}

// collectionElements returns the elements of a list, set or sorted set value.
func collectionElements(o *store.Object) [][]byte {
	if l, ok := o.Ptr.(elementLister); ok {
		return l.Elements()
	}
	return nil
}

// sortPrepareZSet applies SORT's encoding side effect on a sorted set.
func sortPrepareZSet(o *store.Object) {
	if z, ok := o.Ptr.(skiplistConverter); ok {
		z.ConvertToSkiplist()
	}
}

// hashField returns field of the hash value o.
func hashField(o *store.Object, field []byte) ([]byte, bool) {
	if h, ok := o.Ptr.(fieldGetter); ok {
		return h.GetField(field)
	}
	return nil, false
}

// dupObject deep-copies a value for COPY; ok is false for a value it cannot copy.
func dupObject(o *store.Object) (store.Object, bool) {
	dup := *o
	if o.Type == store.TypeString {
		dup.Str = bytes.Clone(o.Str)
		return dup, true
	}
	cp, ok := o.Ptr.(valueCopier)
	if !ok {
		return store.Object{}, false
	}
	dup.Ptr = cp.Copy()
	return dup, true
}
