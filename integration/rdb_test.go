package integration

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/rdb"
)

// populate writes every type in every encoding Redis 7.0 uses, small and large, with and
// without expiry, in two databases.
func populate(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for db := 0; db < 2; db++ {
		p := c.Pipeline()
		p.Select(ctx, db)
		pre := fmt.Sprintf("db%d:", db)
		p.Set(ctx, pre+"str:embstr", "hello", 0)
		p.Set(ctx, pre+"str:int", "12345", 0)
		p.Set(ctx, pre+"str:neg", "-99", 0)
		p.Set(ctx, pre+"str:big", strings.Repeat("abcdefghij", 500), 0)
		p.Set(ctx, pre+"str:ttl", "v", time.Hour)
		p.RPush(ctx, pre+"list:small", "a", "1", "-300", "70000", "5000000000")
		for i := 0; i < 2000; i++ {
			p.RPush(ctx, pre+"list:big", fmt.Sprintf("item-%d-%s", i, strings.Repeat("y", i%50)))
		}
		p.SAdd(ctx, pre+"set:intset", 3, -5, 100000, 7)
		p.SAdd(ctx, pre+"set:hashtable", "a", "b", "c")
		for i := 0; i < 600; i++ {
			p.SAdd(ctx, pre+"set:bigint", i)
		}
		p.HSet(ctx, pre+"hash:small", "f1", "v1", "n", "42")
		for i := 0; i < 300; i++ {
			p.HSet(ctx, pre+"hash:big", "field"+strconv.Itoa(i), "value"+strconv.Itoa(i))
		}
		p.ZAdd(ctx, pre+"zset:small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: -0.1, Member: "c"})
		for i := 0; i < 300; i++ {
			p.ZAdd(ctx, pre+"zset:big", redis.Z{Score: float64(i) / 3, Member: "m" + strconv.Itoa(i)})
		}
		p.Expire(ctx, pre+"zset:big", time.Hour)
		_, err := p.Exec(ctx)
		must(err)
	}
}

// dumpContent renders a server's whole dataset (types, values, TTL presence) for comparison.
func dumpContent(t *testing.T, ctx context.Context, c *redis.Client) string {
	t.Helper()
	var out []string
	for db := 0; db < 2; db++ {
		conn := c.Conn()
		conn.Select(ctx, db)
		keys, err := conn.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			typ := conn.Type(ctx, k).Val()
			var val string
			switch typ {
			case "string":
				val = conn.Get(ctx, k).Val()
			case "list":
				val = strings.Join(conn.LRange(ctx, k, 0, -1).Val(), ",")
			case "set":
				m := conn.SMembers(ctx, k).Val()
				sort.Strings(m)
				val = strings.Join(m, ",")
			case "hash":
				h := conn.HGetAll(ctx, k).Val()
				var kv []string
				for f, v := range h {
					kv = append(kv, f+"="+v)
				}
				sort.Strings(kv)
				val = strings.Join(kv, ",")
			case "zset":
				for _, z := range conn.ZRangeWithScores(ctx, k, 0, -1).Val() {
					val += fmt.Sprintf("%v:%v,", z.Member, z.Score)
				}
			}
			ttl := conn.TTL(ctx, k).Val() > 0
			out = append(out, fmt.Sprintf("%d %s %s ttl=%v %s", db, k, typ, ttl, val))
		}
		conn.Close()
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestRDBFromRedis decodes a dump that redis-server 7.0 wrote and checks it key by key
// against the live server; then re-encodes it with Vigil's encoder, loads that file into
// a fresh redis-server 7.0 (after redis-check-rdb accepts it) and compares again.
func TestRDBFromRedisAndBack(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	_, addr := testutil.StartRedis(t, "--dir", dir, "--dbfilename", "src.rdb")
	src := redis.NewClient(&redis.Options{Addr: addr})
	defer src.Close()
	populate(t, ctx, src)
	want := dumpContent(t, ctx, src)
	if err := src.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(filepath.Join(dir, "src.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := rdb.NewDecoder(f)
	if err := d.Header(); err != nil {
		t.Fatal(err)
	}
	var entries []*rdb.Entry
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("decoding Redis's dump: %v", err)
		}
		entries = append(entries, e)
	}
	if d.Version != 10 {
		t.Errorf("RDB version: got %d, want 10", d.Version)
	}

	// Re-encode with Vigil's encoder.
	dir2 := t.TempDir()
	out, err := os.Create(filepath.Join(dir2, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	enc := rdb.NewEncoder(out, rdb.Options{Compress: true, Checksum: true})
	enc.Header([][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}})
	byDB := map[int][]*rdb.Entry{}
	for _, e := range entries {
		byDB[e.DB] = append(byDB[e.DB], e)
	}
	for db := 0; db < 2; db++ {
		enc.SelectDB(db, len(byDB[db]), 0)
		for _, e := range byDB[db] {
			if err := enc.Entry(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	out.Close()

	check := testutil.RequireRedis(t, "redis-check-rdb")
	if msg, err := exec.Command(check, filepath.Join(dir2, "dump.rdb")).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-rdb rejected Vigil's dump: %v\n%s", err, msg)
	}
	_, addr2 := testutil.StartRedis(t, "--dir", dir2, "--dbfilename", "dump.rdb")
	dst := redis.NewClient(&redis.Options{Addr: addr2})
	defer dst.Close()
	if got := dumpContent(t, ctx, dst); got != want {
		t.Errorf("content after Redis -> Vigil codec -> Redis differs:\ngot:\n%s\nwant:\n%s", got, want)
	}
}
