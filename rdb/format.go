package rdb

import (
	"errors"
	"fmt"
)

// Version is the RDB version Vigil writes (Redis 7.0's).
const Version = 10

// Value type bytes of the RDB format.
const (
	typeString           = 0
	typeList             = 1
	typeSet              = 2
	typeZSet             = 3
	typeHash             = 4
	typeZSet2            = 5
	typeModule           = 6
	typeModule2          = 7
	typeHashZipmap       = 9
	typeListZiplist      = 10
	typeSetIntset        = 11
	typeZSetZiplist      = 12
	typeHashZiplist      = 13
	typeListQuicklist    = 14
	typeStreamListpacks  = 15
	typeHashListpack     = 16
	typeZSetListpack     = 17
	typeListQuicklist2   = 18
	typeStreamListpacks2 = 19
)

// Opcodes.
const (
	opFunction2 = 0xF5
	opFunction  = 0xF6
	opModuleAux = 0xF7
	opIdle      = 0xF8
	opFreq      = 0xF9
	opAux       = 0xFA
	opResizeDB  = 0xFB
	opExpireMs  = 0xFC
	opExpire    = 0xFD
	opSelectDB  = 0xFE
	opEOF       = 0xFF
)

// String encodings (length byte 11xxxxxx).
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// Kind is the Redis type of a decoded value.
type Kind uint8

// The kinds.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
)

// String returns the Redis type name.
func (k Kind) String() string {
	return [...]string{"string", "list", "set", "zset", "hash"}[k]
}

// ZMember is one sorted-set element.
type ZMember struct {
	Member []byte
	Score  float64
}

// Entry is one key of a dump.
type Entry struct {
	// DB is the database number (from the last SELECTDB).
	DB int
	// Key is the key.
	Key []byte
	// Kind is the value's type.
	Kind Kind
	// ExpireMs is the absolute expiry in unix milliseconds, or -1.
	ExpireMs int64
	// Idle is the LRU idle time in seconds, or -1; Freq the LFU counter, or -1.
	Idle int64
	Freq int
	// Str is a string value.
	Str []byte
	// Elems are list elements or set members, in file order.
	Elems [][]byte
	// Pairs are hash fields and values, alternating, in file order.
	Pairs [][]byte
	// ZSet are sorted-set members in file order.
	ZSet []ZMember
}

// Errors returned by the decoder.
var (
	ErrSignature = errors.New("rdb: Wrong signature trying to load DB from file")
	ErrChecksum  = errors.New("rdb: checksum mismatch (RDB file was saved with checksum but it does not match)")
	ErrCorrupt   = errors.New("rdb: corrupt or truncated data")
)

// VersionError is returned for RDB versions Vigil cannot read.
type VersionError struct{ Version int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("rdb: Can't handle RDB format version %d", e.Version)
}

// UnsupportedTypeError is returned for a key whose type Vigil does not hold (streams,
// module types): the load fails rather than starting with a partial data set.
type UnsupportedTypeError struct {
	Key  []byte
	Type string
}

func (e *UnsupportedTypeError) Error() string {
	return fmt.Sprintf("rdb: key %q has type %s, which Vigil does not support", e.Key, e.Type)
}

func typeName(t byte) string {
	switch t {
	case typeModule, typeModule2:
		return "module"
	case typeStreamListpacks, typeStreamListpacks2:
		return "stream"
	}
	return fmt.Sprintf("unknown(%d)", t)
}
