// Package store holds the keyspace and the data structures behind Redis's types: the
// Dict (a chained hash table with incremental rehashing and Redis's SCAN cursor), the
// Object that every key maps to, and one file per value type.
//
// It has no network code, no clock and no policy: expiry decisions, notifications,
// propagation and eviction live in the server package, which calls into store while
// holding its execution lock. Nothing here is safe for concurrent use, except
// AvoidResize: one process-wide counter (atomic), Redis's dict_can_resize, that the server
// holds while a background snapshot runs so that dicts avoid resizing as Redis's do while
// a forked child exists.
package store
