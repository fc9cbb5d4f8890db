package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestKeyLoadDelay: key-load-delay and loading-process-events-interval-bytes slow a
// restart's load down as Redis does (operators rehearse slow restarts with them, and
// Redis's Sentinel suite fails a rebooting master over with them): after a restart the
// server answers -LOADING to PING while it loads, then holds every key. Run on
// redis-server and on Vigil.
func TestKeyLoadDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, impl := range []string{testutil.ImplRedis, testutil.ImplVigil} {
		t.Run(impl, func(t *testing.T) {
			testutil.RequireReplImpls(t, impl)
			n := startRepl(t, "server", impl)
			n.must("DEBUG", "POPULATE", "2000")
			n.must("SAVE")
			for _, kv := range [][2]string{{"key-load-delay", "2000"}, {"loading-process-events-interval-bytes", "1024"}} {
				n.must("CONFIG", "SET", kv[0], kv[1])
				if got := n.must("CONFIG", "GET", kv[0]); !strings.Contains(strings.Join(toStrings(got), " "), kv[1]) {
					t.Fatalf("CONFIG GET %s: got %v, want %s", kv[0], got, kv[1])
				}
			}
			n.Kill9()
			n.Args = append(n.Args, "--key-load-delay", "2000", "--loading-process-events-interval-bytes", "1024")
			n.Start(t)
			sawLoading := false
			testutil.CheckFor(t, sentinelWait, 20*time.Millisecond, "the dump loaded", func() bool {
				_, err := n.do("PING")
				if err != nil && strings.HasPrefix(err.Error(), "LOADING") {
					sawLoading = true
				}
				return err == nil
			})
			if !sawLoading {
				t.Errorf("PING never answered -LOADING while 2000 keys loaded at 2 ms each")
			}
			if got := n.must("DBSIZE"); got != int64(2000) {
				t.Errorf("DBSIZE after the load: got %v, want 2000", got)
			}
		})
	}
}

// toStrings flattens a go-redis reply (map or slice) into its strings.
func toStrings(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, toStrings(e)...)
		}
	case map[any]any:
		for k, e := range x {
			out = append(out, toStrings(k)...)
			out = append(out, toStrings(e)...)
		}
	case string:
		out = append(out, x)
	}
	return out
}
