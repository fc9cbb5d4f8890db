package server

import (
	"errors"
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

// The errors of entryToObject: Redis's rdbLoadObject texts for duplicates, which
// it checks whatever sanitize-dump-payload says for values stored as plain
// lists of members (and Vigil checks for every encoding: it cannot hold a value
// with duplicates). RESTORE answers them "Bad data format".
var (
	errDupSetMember = errors.New("Duplicate set members detected")
	errDupHashField = errors.New("Duplicate hash fields detected")
	// errDupListpackField is Redis's text for a duplicate found while the hash is
	// still small enough for a listpack (Redis checks it only when sanitizing).
	errDupListpackField = errors.New("Hash with dup elements")
	errDupZSetMember    = errors.New("Duplicate zset fields detected")
	errEmptyValue       = errors.New("empty value")
)

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
		return s.newHashFromPairs(e.Pairs)
	case rdb.KindSet:
		return s.newSetFromElems(e.Elems)
	case rdb.KindZSet:
		return s.newZSetFromMembers(e.ZSet)
	}
	return store.Object{}, fmt.Errorf("type %s not loadable yet", e.Kind)
}
