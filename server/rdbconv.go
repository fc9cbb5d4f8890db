package server

import (
	"fmt"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/store"
)

// objectToEntry converts a stored value to its RDB form. The slices alias the object:
// the encoder consumes them before the execution lock is released.
func (s *Server) objectToEntry(key string, o *store.Object, expireMs int64) (*rdb.Entry, error) {
	e := &rdb.Entry{Key: []byte(key), ExpireMs: expireMs, Idle: -1, Freq: -1}
	switch o.Type {
	case store.TypeString:
		e.Kind, e.Str = rdb.KindString, o.Str
	default:
		return nil, fmt.Errorf("type %s not convertible yet", o.Type)
	}
	return e, nil
}

// entryToObject builds the stored value of a loaded key.
func (s *Server) entryToObject(e *rdb.Entry) (store.Object, error) {
	switch e.Kind {
	case rdb.KindString:
		return newStringObject(e.Str), nil
	}
	return store.Object{}, fmt.Errorf("type %s not loadable yet", e.Kind)
}

// newStringObject returns a string object with Redis's encoding for v (owned by the object).
func newStringObject(v []byte) store.Object {
	return store.Object{Type: store.TypeString, Str: v}
}
