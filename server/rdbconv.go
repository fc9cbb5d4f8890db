package server

import (
	"fmt"
	"unsafe"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/store"
)

// objectToEntry converts a stored value to a new RDB entry (DUMP).
func (s *Server) objectToEntry(key string, o *store.Object, expireMs int64) (*rdb.Entry, error) {
	e := &rdb.Entry{}
	return e, s.fillEntry(e, key, o, expireMs)
}

// fillEntry sets e to the RDB form of a stored value. The slices alias the key and the
// object: the encoder consumes them before the execution lock is released.
func (s *Server) fillEntry(e *rdb.Entry, key string, o *store.Object, expireMs int64) error {
	*e = rdb.Entry{Key: unsafe.Slice(unsafe.StringData(key), len(key)), ExpireMs: expireMs, Idle: -1, Freq: -1}
	switch o.Type {
	case store.TypeString:
		e.Kind, e.Str = rdb.KindString, o.Str
	case store.TypeList:
		e.Kind, e.Elems = rdb.KindList, listElems(o)
	case store.TypeHash:
		e.Kind, e.Pairs = rdb.KindHash, hashPairs(o)
	case store.TypeSet:
		e.Kind, e.Elems = rdb.KindSet, setElems(o)
	case store.TypeZSet:
		e.Kind, e.ZSet = rdb.KindZSet, zsetMembers(o)
	default:
		return fmt.Errorf("type %s not convertible yet", o.Type)
	}
	return nil
}

// entryToObject builds the stored value of a loaded key.
func (s *Server) entryToObject(e *rdb.Entry) (store.Object, error) {
	switch e.Kind {
	case rdb.KindString:
		return store.NewString(e.Str), nil
	case rdb.KindList:
		if o, ok := newListFromElems(e.Elems); ok {
			return o, nil
		}
		return store.Object{}, fmt.Errorf("empty list")
	case rdb.KindHash:
		if o, ok := s.newHashFromPairs(e.Pairs); ok {
			return o, nil
		}
		return store.Object{}, fmt.Errorf("empty hash")
	case rdb.KindSet:
		if o, ok := s.newSetFromElems(e.Elems); ok {
			return o, nil
		}
		return store.Object{}, fmt.Errorf("empty set")
	case rdb.KindZSet:
		return s.newZSetFromMembers(e.ZSet)
	}
	return store.Object{}, fmt.Errorf("type %s not loadable yet", e.Kind)
}
