package store

// Type is the Redis type of a value, as TYPE reports it.
type Type uint8

// The value types.
const (
	TypeString Type = iota
	TypeList
	TypeSet
	TypeZSet
	TypeHash
)

// String returns the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeHash:
		return "hash"
	}
	return "none"
}

// Encoding is a string object's encoding as OBJECT ENCODING reports it. Collection
// types compute their encoding from their own representation.
type Encoding uint8

// String encodings.
const (
	EncRaw Encoding = iota
	EncEmbstr
	EncInt
)

// Object is the value stored under a key.
type Object struct {
	// Type is the value's type.
	Type Type
	// Enc is the encoding of a string value (raw, embstr or int).
	Enc Encoding
	// LRU is the LRU clock of the last access, or the LFU data (minutes<<8 | counter).
	LRU uint32
	// Str is the value of a string.
	Str []byte
	// Ptr is the value of a collection: *List, *Set, *ZSet or *Hash.
	Ptr any
}

// DB is one logical database: its keys and, separately, the keys that have an expiry
// (absolute unix time in milliseconds), as in Redis.
type DB struct {
	// ID is the database number.
	ID int
	// Keys maps each key to its value.
	Keys *Dict[Object]
	// Expires maps each key with a TTL to its expiry time (unix ms).
	Expires *Dict[int64]
}

// NewDB returns an empty database.
func NewDB(id int) *DB {
	return &DB{ID: id, Keys: NewDict[Object](), Expires: NewDict[int64]()}
}

// Len returns the number of keys.
func (db *DB) Len() int { return db.Keys.Len() }
