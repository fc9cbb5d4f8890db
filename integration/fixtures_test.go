package integration

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

var updateFixtures = flag.Bool("update-fixtures", false, "regenerate testdata/rdb from a real redis-server 7.0")

// TestGenerateRDBFixtures regenerates testdata/rdb/*.rdb and their .golden files with a
// real redis-server 7.0 (scripts/gen-rdb-fixtures.sh runs it). The golden text is what
// redis-server itself reports for every key, so the rdb package's fixture test checks the
// decoder against Redis, not against itself.
func TestGenerateRDBFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to regenerate testdata/rdb")
	}
	ctx := context.Background()
	out := filepath.Join(testutil.ModuleRoot(t), "testdata", "rdb")
	for _, compress := range []string{"yes", "no"} {
		dir := t.TempDir()
		_, addr := testutil.StartRedis(t, "--dir", dir, "--rdbcompression", compress)
		c := redis.NewClient(&redis.Options{Addr: addr})
		fillFixture(t, ctx, c)
		golden := goldenContent(t, ctx, c)
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		name := "redis-7.0-compress-" + compress
		data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".rdb"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".golden"), []byte(golden), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fillFixture writes every type in every encoding Redis 7.0 uses, small and large values,
// with and without expiry (far in the future), in three databases.
func fillFixture(t *testing.T, ctx context.Context, c *redis.Client) {
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, db := range []int{0, 3, 15} {
		p := c.Pipeline()
		p.Select(ctx, db)
		pre := fmt.Sprintf("db%d:", db)
		p.Set(ctx, pre+"str:int8", "-7", 0)
		p.Set(ctx, pre+"str:int16", "-3000", 0)
		p.Set(ctx, pre+"str:int32", "2000000000", 0)
		p.Set(ctx, pre+"str:int64", "9000000000000000000", 0)
		p.Set(ctx, pre+"str:leadingzero", "007", 0)
		p.Set(ctx, pre+"str:embstr", "hello world", 0)
		p.Set(ctx, pre+"str:raw", strings.Repeat("x", 100), 0)
		p.Set(ctx, pre+"str:random", fmt.Sprintf("%x", make([]byte, 50)), 0)
		p.Set(ctx, pre+"str:binary", "\x00\x01\xff\r\n", 0)
		p.Set(ctx, pre+"str:empty", "", 0)
		p.Set(ctx, pre+"str:big", strings.Repeat("abcdefghijklmnopqrstuvwxyz", 1000), 0)
		p.Set(ctx, pre+"str:ttl", "expiring", 0)
		p.ExpireAt(ctx, pre+"str:ttl", far)
		p.RPush(ctx, pre+"list:small", "a", "1", "-300", "70000", "5000000000", "")
		for i := 0; i < 3000; i++ {
			p.RPush(ctx, pre+"list:big", fmt.Sprintf("item-%d-%s", i, strings.Repeat("y", i%90)))
		}
		p.RPush(ctx, pre+"list:hugeelem", strings.Repeat("H", 20000), "tail")
		p.SAdd(ctx, pre+"set:intset16", 3, -5, 7)
		p.SAdd(ctx, pre+"set:intset32", 100000, -100000)
		p.SAdd(ctx, pre+"set:intset64", int64(5000000000), 1)
		p.SAdd(ctx, pre+"set:hashtable", "a", "b", "c")
		for i := 0; i < 600; i++ {
			p.SAdd(ctx, pre+"set:bigints", i)
		}
		p.HSet(ctx, pre+"hash:listpack", "f1", "v1", "n", "42", "neg", "-1")
		p.HSet(ctx, pre+"hash:longvalue", "f", strings.Repeat("v", 100))
		for i := 0; i < 700; i++ {
			p.HSet(ctx, pre+"hash:big", fmt.Sprintf("field%d", i), fmt.Sprintf("value%d", i))
		}
		p.ZAdd(ctx, pre+"zset:listpack", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: -0.1, Member: "c"}, redis.Z{Score: 1e20, Member: "d"})
		for i := 0; i < 300; i++ {
			p.ZAdd(ctx, pre+"zset:skiplist", redis.Z{Score: float64(i) / 7, Member: fmt.Sprintf("m%d", i)})
		}
		p.ZAdd(ctx, pre+"zset:longmember", redis.Z{Score: 1, Member: strings.Repeat("m", 80)})
		p.ExpireAt(ctx, pre+"zset:skiplist", far)
		p.ExpireAt(ctx, pre+"hash:big", far)
		p.ExpireAt(ctx, pre+"list:small", far)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// goldenContent renders what redis-server reports for every key: db, key, type, encoding,
// absolute expiry (unix ms, -1 none), value (collections in Redis's order; sets sorted).
func goldenContent(t *testing.T, ctx context.Context, c *redis.Client) string {
	var lines []string
	for db := 0; db < 16; db++ {
		conn := c.Conn()
		conn.Select(ctx, db)
		keys := conn.Keys(ctx, "*").Val()
		for _, k := range keys {
			typ := conn.Type(ctx, k).Val()
			enc := conn.ObjectEncoding(ctx, k).Val()
			exp, _ := conn.Do(ctx, "PEXPIRETIME", k).Int64()
			if exp < 0 {
				exp = -1
			}
			var val []string
			switch typ {
			case "string":
				val = []string{conn.Get(ctx, k).Val()}
			case "list":
				val = conn.LRange(ctx, k, 0, -1).Val()
			case "set":
				val = conn.SMembers(ctx, k).Val()
				sort.Strings(val)
			case "hash":
				for f, v := range conn.HGetAll(ctx, k).Val() {
					val = append(val, f+"="+v)
				}
				sort.Strings(val)
			case "zset":
				for _, z := range conn.ZRangeWithScores(ctx, k, 0, -1).Val() {
					val = append(val, fmt.Sprintf("%v=%v", z.Member, z.Score))
				}
			}
			lines = append(lines, fmt.Sprintf("%d %q %s %s %d %q", db, k, typ, enc, exp, val))
		}
		conn.Close()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
