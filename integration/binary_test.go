package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

func TestVersionCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	out, err := exec.Command(testutil.VigilBinary(t), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("vigil version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "redis 7.0.15 compatible") {
		t.Errorf("got %q, want it to name the Redis version", out)
	}
	out, err = exec.Command(testutil.VigilBinary(t), "nosuch").CombinedOutput()
	if err == nil {
		t.Errorf("vigil nosuch: got success, want an error exit (output %q)", out)
	}
}

// TestRedisServerSymlink starts the binary through a symlink named redis-server, as an
// existing service file would, talks to it with redis-cli and go-redis, and stops it with
// SIGTERM, expecting a clean exit.
func TestRedisServerSymlink(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	cli := testutil.RequireRedis(t, "redis-cli")
	link := filepath.Join(t.TempDir(), "redis-server")
	if err := os.Symlink(testutil.VigilBinary(t), link); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	p := testutil.Start(t, "redis-server(vigil)", link, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.WaitForPort(t, addr, 10*time.Second, p)

	out, err := exec.Command(cli, "-p", strconv.Itoa(port), "SET", "greeting", "hello").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "OK" {
		t.Fatalf("redis-cli SET: got %q (%v), want OK", out, err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	if v, err := rdb.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("go-redis GET: got %q (%v), want hello", v, err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM: got %d, want 0\n%s", code, p.Output())
	}
}
