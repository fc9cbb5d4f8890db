package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

// digestDataset is a group of commands building values of one type in several encodings;
// keys lists what DEBUG DIGEST-VALUE compares afterwards.
type digestDataset struct {
	name string
	cmds [][]string
	keys []string
}

func digestDatasets() []digestDataset {
	long := strings.Repeat("x", 100)
	var bigList, bigSet, bigHash, bigZSet, intSet []string
	for i := 0; i < 1000; i++ {
		bigList = append(bigList, fmt.Sprintf("element-%d-%s", i, long[:i%100]))
		bigSet = append(bigSet, fmt.Sprintf("member-%d", i))
		bigHash = append(bigHash, fmt.Sprintf("field-%d", i), fmt.Sprintf("%d", i*7))
		bigZSet = append(bigZSet, fmt.Sprintf("%d.%d", i/3, i%10), fmt.Sprintf("m%d", i))
		intSet = append(intSet, fmt.Sprint(i*3-500))
	}
	cmd := func(args ...string) []string { return args }
	with := func(head []string, tail []string) []string { return append(append([]string{}, head...), tail...) }
	return []digestDataset{
		{"strings", [][]string{
			cmd("SET", "int", "12345"), cmd("SET", "neg", "-98765"), cmd("SET", "small", "7"),
			cmd("SET", "emb", "hello world"), cmd("SET", "raw", long), cmd("SET", "empty", ""),
			cmd("SET", "bin", "a\x00b\xffc"), cmd("SET", "float", "3.14"), cmd("APPEND", "appended", "abc"),
			cmd("INCR", "counter"), cmd("INCRBYFLOAT", "fl", "1.5"),
			cmd("SET", "ttl-int", "5", "EX", "1000"), cmd("SET", "ttl-raw", long, "PX", "100000000"),
		}, []string{"int", "neg", "small", "emb", "raw", "empty", "bin", "float", "appended", "counter", "fl", "ttl-int", "ttl-raw"}},
		{"lists", [][]string{
			cmd("RPUSH", "l", "a", "b", "c"), cmd("LPUSH", "rev", "a", "b", "c"),
			cmd("RPUSH", "ints", "1", "-2", "300", "70000", "9999999999", "01"),
			with([]string{"RPUSH", "big"}, bigList),
			cmd("RPUSH", "ttl", "x", "y"), cmd("EXPIRE", "ttl", "1000"),
			cmd("RPUSH", "edited", "a", "b", "c", "d"), cmd("LSET", "edited", "1", "B"), cmd("LREM", "edited", "0", "c"),
		}, []string{"l", "rev", "ints", "big", "ttl", "edited"}},
		{"sets", [][]string{
			cmd("SADD", "intset", "3", "1", "2", "-7"), cmd("SADD", "strs", "a", "b", "c"),
			cmd("SADD", "mixed", "1", "a", "2"), with([]string{"SADD", "big"}, bigSet),
			with([]string{"SADD", "bigints"}, intSet),
			cmd("SADD", "ttl", "x"), cmd("PEXPIRE", "ttl", "100000000"),
			cmd("SADD", "shrunk", "a", "b", "c"), cmd("SREM", "shrunk", "b"),
		}, []string{"intset", "strs", "mixed", "big", "bigints", "ttl", "shrunk"}},
		{"hashes", [][]string{
			cmd("HSET", "small", "f1", "v1", "f2", "v2"), cmd("HSET", "ints", "1", "2", "-3", "400000"),
			cmd("HSET", "longval", "f", long), with([]string{"HSET", "big"}, bigHash),
			cmd("HSET", "ttl", "f", "v"), cmd("EXPIRE", "ttl", "1000"),
			cmd("HSET", "edited", "a", "1", "b", "2"), cmd("HDEL", "edited", "a"), cmd("HINCRBY", "edited", "b", "5"),
		}, []string{"small", "ints", "longval", "big", "ttl", "edited"}},
		{"zsets", [][]string{
			cmd("ZADD", "small", "1", "a", "2", "b", "1.1", "c"),
			cmd("ZADD", "special", "-inf", "lo", "+inf", "hi", "0", "zero", "-0", "negzero", "1e300", "huge", "0.1", "tenth"),
			cmd("ZADD", "intmembers", "1", "100", "2", "-5"),
			cmd("ZADD", "longmember", "1", long),
			with([]string{"ZADD", "big"}, bigZSet),
			cmd("ZADD", "ttl", "1", "x"), cmd("EXPIRE", "ttl", "1000"),
			cmd("ZADD", "edited", "1", "a", "2", "b"), cmd("ZINCRBY", "edited", "0.5", "a"), cmd("ZREM", "edited", "b"),
		}, []string{"small", "special", "intmembers", "longmember", "big", "ttl", "edited"}},
	}
}

// TestDebugDigestMatchesRedis builds the same dataset on redis-server 7.0 and on Vigil,
// type by type, and compares DEBUG DIGEST-VALUE for every key and DEBUG DIGEST for the
// whole dataset (replication tests rely on DEBUG DIGEST to compare a master with its
// replicas). A type whose commands Vigil does not have yet is skipped with a note.
func TestDebugDigestMatchesRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	common := []string{"--enable-debug-command", "yes"}
	_, redisAddr := testutil.StartRedis(t, common...)
	_, vigilAddr := testutil.StartVigil(t, common...)
	ref := testutil.DialRaw(t, redisAddr)
	vig := testutil.DialRaw(t, vigilAddr)

	both := func(t *testing.T, args ...string) (string, string) {
		t.Helper()
		return ref.Do(args...), vig.Do(args...)
	}
	same := func(t *testing.T, args ...string) {
		t.Helper()
		r, v := both(t, args...)
		if r != v {
			t.Errorf("%s: redis %q, vigil %q", strings.Join(args, " "), r, v)
		}
	}
	build := func(t *testing.T, ds digestDataset) bool {
		t.Helper()
		for _, c := range ds.cmds {
			r, v := both(t, c...)
			if strings.HasPrefix(v, "-ERR unknown command") {
				return false
			}
			if r != v {
				t.Fatalf("%s: redis %q, vigil %q", strings.Join(c, " "), r, v)
			}
		}
		return true
	}

	var built []digestDataset
	for _, ds := range digestDatasets() {
		t.Run(ds.name, func(t *testing.T) {
			same(t, "FLUSHALL")
			for _, db := range []string{"0", "9"} {
				same(t, "SELECT", db)
				if !build(t, ds) {
					t.Skipf("vigil has no %s commands yet", ds.name)
				}
				same(t, append([]string{"DEBUG", "DIGEST-VALUE"}, ds.keys...)...)
				same(t, "DEBUG", "DIGEST")
			}
			same(t, "SELECT", "0")
			same(t, "SWAPDB", "0", "5")
			same(t, "DEBUG", "DIGEST")
			for _, key := range ds.keys {
				same(t, "PERSIST", key)
			}
			same(t, "DEBUG", "DIGEST")
			built = append(built, ds)
		})
	}

	t.Run("all types together", func(t *testing.T) {
		same(t, "FLUSHALL")
		for i, ds := range built {
			same(t, "SELECT", fmt.Sprint(i%3))
			for _, c := range ds.cmds {
				same(t, c...)
			}
		}
		same(t, "SELECT", "0")
		same(t, "DEBUG", "DIGEST")
		same(t, "FLUSHDB")
		same(t, "DEBUG", "DIGEST")
		same(t, "FLUSHALL")
		same(t, "DEBUG", "DIGEST")
	})
}
