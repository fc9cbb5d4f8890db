package integration

import (
	"context"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// replDBs are the databases the replication dataset writes to.
var replDBs = []int{0, 1, 2, 3, 5, 9}

// binKey is a key with NUL, CR, LF and non-UTF-8 bytes.
const binKey = "bin\x00key\r\n\xff\xfe"

// bigValue returns n pseudo-random bytes (seeded: both runs of a test write the same).
func bigValue(seed int64, n int) string {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return string(b)
}

// writeDataset feeds m, on one connection (so SELECTs go through the stream), commands of
// every group, with tag making the key names of each call distinct. It covers what
// replication must carry exactly: relative TTLs (rewritten to PXAT/PEXPIREAT), commands
// whose effect is random or computed (SPOP, INCRBYFLOAT, HINCRBYFLOAT), MULTI/EXEC,
// FLUSHDB, several DBs, values over 1 MB and binary keys.
func writeDataset(t *testing.T, m *rnode, tag string) {
	t.Helper()
	ctx := context.Background()
	conn := m.c.Conn()
	defer conn.Close()
	k := func(s string) string { return tag + ":" + s }
	do := func(args ...any) {
		t.Helper()
		if err := conn.Do(ctx, args...).Err(); err != nil && err.Error() != "redis: nil" {
			t.Fatalf("%s: %v: %v", m.name, args, err)
		}
	}
	in := func(db int, cmds ...[]any) {
		t.Helper()
		do("SELECT", db)
		for _, c := range cmds {
			do(c...)
		}
	}
	future := time.Now().Add(2000 * time.Second)
	in(0,
		// strings, with every relative-expiry form
		[]any{"SET", k("s"), "v"}, []any{"SET", k("ex"), "v", "EX", 1000}, []any{"SET", k("px"), "v", "PX", 1000000},
		[]any{"SET", k("exat"), "v", "EXAT", future.Unix()}, []any{"SET", k("pxat"), "v", "PXAT", future.UnixMilli()},
		[]any{"SET", k("nxex"), "v", "NX", "EX", 500}, []any{"SETEX", k("setex"), 700, "v"}, []any{"PSETEX", k("psetex"), 700000, "v"},
		[]any{"SET", k("ex"), "v2", "KEEPTTL"}, []any{"SET", k("s"), "v3", "GET"}, []any{"GETSET", k("s"), "v4"},
		[]any{"INCR", k("n")}, []any{"INCRBY", k("n"), 41}, []any{"DECR", k("n")},
		[]any{"INCRBYFLOAT", k("f"), "0.1"}, []any{"INCRBYFLOAT", k("f"), "1e3"},
		[]any{"APPEND", k("app"), "ab"}, []any{"APPEND", k("app"), "cd"}, []any{"SETRANGE", k("app"), 10, "x"},
		[]any{"MSET", k("m1"), "1", k("m2"), "2"}, []any{"MSETNX", k("m3"), "3"}, []any{"SETNX", k("m1"), "no"},
		[]any{"SET", k("getex"), "v"}, []any{"GETEX", k("getex"), "EX", 900}, []any{"SET", k("gd"), "v"}, []any{"GETDEL", k("gd")},
		[]any{"SETBIT", k("bits"), 100, 1},
		// lists
		[]any{"RPUSH", k("l"), "a", "b", "c", "d", "e"}, []any{"LPUSH", k("l"), "z"}, []any{"LINSERT", k("l"), "BEFORE", "c", "bc"},
		[]any{"LSET", k("l"), 0, "Z"}, []any{"LREM", k("l"), 0, "d"}, []any{"LPOP", k("l")}, []any{"RPOP", k("l"), 1},
		[]any{"RPUSH", k("l2"), "1", "2", "3", "4"}, []any{"LTRIM", k("l2"), 1, -1}, []any{"LMOVE", k("l2"), k("l3"), "LEFT", "RIGHT"},
		[]any{"RPOPLPUSH", k("l2"), k("l3")}, []any{"BLPOP", k("l2"), 1},
		// hashes
		[]any{"HSET", k("h"), "a", "1", "b", "2", "c", "3"}, []any{"HINCRBY", k("h"), "a", 10}, []any{"HINCRBYFLOAT", k("h"), "b", "2.5"},
		[]any{"HDEL", k("h"), "c"}, []any{"HSETNX", k("h"), "d", "4"}, []any{"HMSET", k("h2"), "x", "y"},
		// sets, with SPOP (random on the master, replicated as its effect)
		[]any{"SADD", k("set"), "a", "b", "c", "d", "e", "f"}, []any{"SREM", k("set"), "a"}, []any{"SPOP", k("set")},
		[]any{"SPOP", k("set"), 2}, []any{"SADD", k("iset"), 1, 2, 3, 4}, []any{"SMOVE", k("iset"), k("set"), 1},
		[]any{"SINTERSTORE", k("inter"), k("set"), k("iset")}, []any{"SUNIONSTORE", k("union"), k("set"), k("iset")},
		// zsets
		[]any{"ZADD", k("z"), 1, "a", 2, "b", 3, "c", 4, "d"}, []any{"ZINCRBY", k("z"), "0.5", "a"}, []any{"ZREM", k("z"), "d"},
		[]any{"ZPOPMIN", k("z")}, []any{"ZADD", k("z"), "NX", "-inf", "lo"}, []any{"ZRANGESTORE", k("zr"), k("z"), 0, 1},
		[]any{"ZUNIONSTORE", k("zu"), 2, k("z"), k("zr"), "WEIGHTS", 1, 2}, []any{"ZREMRANGEBYSCORE", k("zu"), "-inf", 0},
		// expiry commands
		[]any{"RPUSH", k("e1"), "x"}, []any{"EXPIRE", k("e1"), 1000}, []any{"SADD", k("e2"), "x"}, []any{"PEXPIRE", k("e2"), 1000000},
		[]any{"HSET", k("e3"), "f", "v"}, []any{"EXPIREAT", k("e3"), future.Unix()}, []any{"ZADD", k("e4"), 1, "m"},
		[]any{"PEXPIREAT", k("e4"), future.UnixMilli()}, []any{"SET", k("e5"), "v", "EX", 100}, []any{"PERSIST", k("e5")},
		[]any{"SET", k("e6"), "v"}, []any{"EXPIRE", k("e6"), 100}, []any{"EXPIRE", k("e6"), 50, "LT"}, []any{"EXPIRE", k("e6"), 10, "GT"},
		[]any{"SET", k("past"), "v"}, []any{"EXPIRE", k("past"), -1},
		// keyspace
		[]any{"SET", k("r1"), "v"}, []any{"RENAME", k("r1"), k("r2")}, []any{"COPY", k("r2"), k("r3")}, []any{"DEL", k("r2")},
		[]any{"SET", k("u"), "v"}, []any{"UNLINK", k("u")}, []any{"SET", k("mv"), "v"}, []any{"MOVE", k("mv"), 2},
		// binary keys and values
		[]any{"SET", tag + binKey, "val\x00\r\n\xff"}, []any{"HSET", tag + binKey + "h", "f\x00", "\x00v"},
		[]any{"RPUSH", tag + binKey + "l", "\xff\x00"},
		// values over 1 MB
		[]any{"SET", k("big"), bigValue(1, 2<<20)}, []any{"RPUSH", k("bigl"), "small", bigValue(2, 1200<<10)},
		[]any{"HSET", k("bigh"), "f", bigValue(3, 1100<<10)}, []any{"SADD", k("bigs"), bigValue(4, 1<<20+1)},
		[]any{"ZADD", k("bigz"), 1, bigValue(5, 1<<20+7)},
	)
	// a transaction with several writes, and one with a single write
	in(1, []any{"MULTI"}, []any{"SET", k("tx1"), "a", "EX", 600}, []any{"INCR", k("tx2")}, []any{"RPUSH", k("tx3"), "x"},
		[]any{"SPOP", k("nosuch")}, []any{"EXEC"})
	in(1, []any{"MULTI"}, []any{"SET", k("tx4"), "b"}, []any{"EXEC"})
	in(2, []any{"SET", k("db2"), "v"}, []any{"HSET", k("db2h"), "f", "v"})
	// FLUSHDB of a full DB, then FLUSHDB of an empty one, then a key
	in(3, []any{"SET", k("gone1"), "v"}, []any{"RPUSH", k("gone2"), "v"}, []any{"FLUSHDB"}, []any{"FLUSHDB"}, []any{"SET", k("after"), "v"})
	in(5, []any{"ZADD", k("db5"), 1, "a"}, []any{"SET", k("db5s"), strings.Repeat("x", 100), "PX", 999999})
	in(9, []any{"SET", k("db9"), "v"}, []any{"SWAPDB", 9, 9})
	do("SELECT", 0)
}
