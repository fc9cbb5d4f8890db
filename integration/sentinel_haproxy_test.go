package integration

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// haproxyConf fronts servers with a TCP proxy on port whose check asks a
// sentinel's /health/master for each server, named by its address (as
// docs/http.md shows).
func haproxyConf(port int, sentinelHTTP string, servers ...*rnode) string {
	u, _ := url.Parse(sentinelHTTP)
	var b strings.Builder
	fmt.Fprintf(&b, "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n  timeout check 1s\n"+
		"listen redis_master\n  bind 127.0.0.1:%d\n  option httpchk\n"+
		"  http-check send meth GET uri-lf /health/master/mymaster?addr=%%[srv_name]\n"+
		"  http-check expect status 200\n", port)
	for _, s := range servers {
		fmt.Fprintf(&b, "  server %s %s check port %s addr %s inter 200 fall 1 rise 1\n", s.Addr, s.Addr, u.Port(), u.Hostname())
	}
	return b.String()
}

// tcpPortVia is INFO server's tcp_port of the server c reaches, or 0.
func tcpPortVia(c *redis.Client) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "tcp_port:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// TestSentinelHAProxy: HAProxy (Debian's haproxy package) fronts three
// vigil servers and checks each with GET /health/master on a sentinel;
// clients through it reach the master, and after a kill -9 failover they
// reach the promoted replica and can write.
func TestSentinelHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	hp, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found in PATH: `apt-get install haproxy` to run this test")
	}
	master, r1, r2, ss, vs := startHTTPGroup(t)
	port := testutil.FreePort(t)
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConf(port, ss[0].base, master, r1, r2)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.Start(t, "haproxy", hp, "-db", "-f", cfg)
	front := "127.0.0.1:" + strconv.Itoa(port)
	testutil.WaitForPort(t, front, 10*time.Second, p)
	c := redis.NewClient(&redis.Options{Addr: front, MaxRetries: -1, PoolSize: 1, ConnMaxIdleTime: -1})
	t.Cleanup(func() { c.Close() })
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "HAProxy sends clients to the master", func() bool {
		c.Close() // a fresh connection per try: HAProxy picks the server at connect
		c = redis.NewClient(&redis.Options{Addr: front, MaxRetries: -1, PoolSize: 1})
		return tcpPortVia(c) == master.Port
	})

	killed := time.Now()
	master.Kill9()
	promoted, _ := waitPromoted(t, vs, master.Addr, r1, r2)
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "HAProxy sends clients to the promoted replica, which takes writes", func() bool {
		c.Close()
		c = redis.NewClient(&redis.Options{Addr: front, MaxRetries: -1, PoolSize: 1})
		return tcpPortVia(c) == promoted.Port && c.Set(context.Background(), "after", "failover", 0).Err() == nil
	})
	t.Logf("clients through HAProxy write to the promoted replica %v after the kill", time.Since(killed))
}
