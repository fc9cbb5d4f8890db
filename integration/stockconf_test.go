package integration

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestStockRedisConf starts Vigil with the redis.conf that Debian's redis-server package
// installs, overriding only what would clash with the machine (port, dir, daemonize,
// logfile, pidfile, unixsocket) exactly as a user could with redis-server.
func TestStockRedisConf(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	const conf = "/etc/redis/redis.conf"
	if _, err := os.Stat(conf); err != nil {
		msg := conf + " not found: it comes with Debian's redis-server package (apt-get install redis-server)"
		if os.Getenv("VIGIL_REQUIRE_REDIS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	port := testutil.FreePort(t)
	p := testutil.Start(t, "vigil", testutil.VigilBinary(t), "server", conf,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no",
		"--logfile", "", "--pidfile", dir+"/vigil.pid", "--unixsocket", "")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.WaitForPort(t, addr, 10*time.Second, p)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	cfgFile, err := c.ConfigGet(ctx, "dir").Result()
	if err != nil || cfgFile["dir"] != dir {
		t.Errorf("CONFIG GET dir: got %v (%v), want %s", cfgFile, err, dir)
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(20 * time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM: got %d, want 0", code)
	}
	if !strings.Contains(p.Output(), "accepted for compatibility") {
		t.Errorf("expected warnings for the directives Vigil ignores, got:\n%s", p.Output())
	}
	if _, err := os.Stat(dir + "/dump.rdb"); err != nil {
		t.Errorf("the stock save points should have saved on SIGTERM: %v", err)
	}
}
