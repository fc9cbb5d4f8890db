package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

func waitLoaded(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, "dataset loaded", func() bool {
		return c.Ping(ctx).Err() == nil && c.Get(ctx, "__probe__").Err() == redis.Nil
	})
}

// TestDumpInteropWithRedis: a dump Vigil writes passes redis-check-rdb and loads into
// redis-server 7.0 with the same content; a dump redis-server writes loads into Vigil.
func TestDumpInteropWithRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()

	// Vigil -> Redis
	vdir := t.TempDir()
	_, vaddr := testutil.StartVigil(t, "--dir", vdir)
	v := redis.NewClient(&redis.Options{Addr: vaddr, Protocol: 2})
	defer v.Close()
	populate(t, ctx, v)
	want := dumpContent(t, ctx, v)
	if err := v.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	check := testutil.RequireRedis(t, "redis-check-rdb")
	if out, err := exec.Command(check, filepath.Join(vdir, "dump.rdb")).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-rdb rejected Vigil's dump: %v\n%s", err, out)
	}
	_, raddr := testutil.StartRedis(t, "--dir", vdir)
	r := redis.NewClient(&redis.Options{Addr: raddr})
	defer r.Close()
	waitLoaded(t, ctx, r)
	if got := dumpContent(t, ctx, r); got != want {
		t.Errorf("redis-server loading Vigil's dump:\ngot:\n%s\nwant:\n%s", got, want)
	}

	// Redis -> Vigil
	rdir := t.TempDir()
	_, raddr2 := testutil.StartRedis(t, "--dir", rdir)
	r2 := redis.NewClient(&redis.Options{Addr: raddr2})
	defer r2.Close()
	populate(t, ctx, r2)
	want2 := dumpContent(t, ctx, r2)
	if err := r2.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	_, vaddr2 := testutil.StartVigil(t, "--dir", rdir)
	v2 := redis.NewClient(&redis.Options{Addr: vaddr2, Protocol: 2})
	defer v2.Close()
	waitLoaded(t, ctx, v2)
	if got := dumpContent(t, ctx, v2); got != want2 {
		t.Errorf("Vigil loading redis-server's dump:\ngot:\n%s\nwant:\n%s", got, want2)
	}
}

// TestRestartKeepsData: with save points configured, SIGTERM saves, and a restart from
// the same directory comes back with the same data.
func TestRestartKeepsData(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	p, addr := testutil.StartVigil(t, "--dir", dir, "--save", "3600 1")
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	populate(t, ctx, c)
	want := dumpContent(t, ctx, c)
	c.Close()
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM: got %d, want 0", code)
	}
	_, addr2 := testutil.StartVigil(t, "--dir", dir)
	c2 := redis.NewClient(&redis.Options{Addr: addr2, Protocol: 2})
	defer c2.Close()
	waitLoaded(t, ctx, c2)
	if got := dumpContent(t, ctx, c2); got != want {
		t.Errorf("after restart:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestKillDuringBgsaveKeepsOldDump: kill -9 while a BGSAVE writes leaves the previous
// dump intact and loadable (the new one is written to a temporary file and renamed).
func TestKillDuringBgsaveKeepsOldDump(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	p, addr := testutil.StartVigil(t, "--dir", dir)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	c.Set(ctx, "generation", "1", 0)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	pipe := c.Pipeline()
	for i := 0; i < 200000; i++ {
		pipe.Set(ctx, "k"+string(rune('a'+i%26))+time.Duration(i).String(), "value", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "generation", "2", 0)
	c.BgSave(ctx)
	p.Kill()
	c.Close()
	now, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if string(now) != string(old) && len(now) < len(old) {
		t.Fatalf("dump.rdb changed into something smaller than the old dump: a partial file?")
	}
	_, addr2 := testutil.StartVigil(t, "--dir", dir)
	c2 := redis.NewClient(&redis.Options{Addr: addr2, Protocol: 2})
	defer c2.Close()
	waitLoaded(t, ctx, c2)
	if g := c2.Get(ctx, "generation").Val(); g != "1" && g != "2" {
		t.Fatalf("generation after restart: got %q, want the old or the new complete dump", g)
	}
}
