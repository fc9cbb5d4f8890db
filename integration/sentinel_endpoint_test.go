package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// startSentinelPair starts real redis-sentinel 7.0 and Vigil's sentinel (both
// invoked through a symlink named redis-sentinel) on the same config text,
// each in its own directory. It returns their addresses and config paths.
func startSentinelPair(t *testing.T, conf string) (redisAddr, vigilAddr, redisConf, vigilConf string) {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	real := testutil.RequireRedis(t, "redis-server")
	start := func(name, target string) (string, string) {
		dir := t.TempDir()
		link := filepath.Join(dir, "redis-sentinel")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		port := testutil.FreePort(t)
		path := filepath.Join(dir, "sentinel.conf")
		text := "port " + strconv.Itoa(port) + "\nbind 127.0.0.1\ndir " + dir + "\n" + conf
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		p := testutil.StartIn(t, dir, name, link, path)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		testutil.WaitForPort(t, addr, 10*time.Second, p)
		return addr, path
	}
	redisAddr, redisConf = start("redis-sentinel", resolve(t, real))
	vigilAddr, vigilConf = start("vigil-sentinel", testutil.VigilBinary(t))
	return
}

func resolve(t *testing.T, p string) string {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The master port is closed on both sides: nothing answers there, so no
// reply below depends on timing.
const sentinelDiffConf = "sentinel monitor mymaster 127.0.0.1 1 2\nsentinel down-after-milliseconds mymaster 60000\n"

// TestSentinelDifferential sends the same commands to real redis-sentinel and
// to Vigil's sentinel and compares the raw RESP bytes (RESP2 then RESP3).
func TestSentinelDifferential(t *testing.T) {
	redisAddr, vigilAddr, _, _ := startSentinelPair(t, sentinelDiffConf)
	cmds := [][]string{
		{"PING"}, {"PING", "hello"}, {"PING", "a", "b"}, {"GET", "x"}, {"ROLE"}, {"ROLE", "x"},
		{"SENTINEL"}, {"SENTINEL", "foo"}, {"SENTINEL", "masters", "x"}, {"SENTINEL", "master"},
		{"SENTINEL", "master", "nope"}, {"SENTINEL", "replicas", "nope"}, {"SENTINEL", "replicas", "mymaster"},
		{"SENTINEL", "slaves", "mymaster"}, {"SENTINEL", "sentinels", "mymaster"},
		{"SENTINEL", "get-master-addr-by-name", "nope"}, {"SENTINEL", "get-master-addr-by-name", "mymaster"},
		{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "1", "0", "*"},
		{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "x", "0", "*"},
		{"SENTINEL", "is-master-down-by-addr", "1.1.1.1", "1", "x", "*"},
		{"SENTINEL", "ckquorum", "mymaster"}, {"SENTINEL", "ckquorum", "nope"},
		{"SENTINEL", "failover", "mymaster"}, {"SENTINEL", "failover", "nope"},
		{"SENTINEL", "monitor", "a", "127.0.0.1", "x", "1"}, {"SENTINEL", "monitor", "a", "127.0.0.1", "1", "x"},
		{"SENTINEL", "monitor", "a", "127.0.0.1", "1", "0"}, {"SENTINEL", "monitor", "a", "localhost", "1", "1"},
		{"SENTINEL", "monitor", "mymaster", "127.0.0.1", "1", "1"}, {"SENTINEL", "monitor", "a", "127.0.0.1", "70000", "1"},
		{"SENTINEL", "set", "mymaster", "foo", "1"}, {"SENTINEL", "set", "mymaster", "quorum", "x"},
		{"SENTINEL", "set", "mymaster", "quorum"}, {"SENTINEL", "set", "nope", "quorum", "1"},
		{"SENTINEL", "set", "mymaster", "notification-script", "/bin/true"},
		{"SENTINEL", "set", "mymaster", "quorum", "3"}, {"SENTINEL", "set", "mymaster", "parallel-syncs", "2", "failover-timeout", "0"},
		{"SENTINEL", "config", "get", "*"}, {"SENTINEL", "config", "get", "announce-*"},
		{"SENTINEL", "config", "set", "foo", "1"}, {"SENTINEL", "config", "set", "announce-port", "x"},
		{"SENTINEL", "config", "set", "announce-port", "26999"}, {"SENTINEL", "config", "get", "announce-port"},
		{"SENTINEL", "config"}, {"SENTINEL", "config", "get"}, {"SENTINEL", "config", "foo", "bar"},
		{"SENTINEL", "simulate-failure", "help"}, {"SENTINEL", "simulate-failure", "foo"},
		{"SENTINEL", "debug"}, {"SENTINEL", "debug", "foo", "1"}, {"SENTINEL", "debug", "ping-period", "x"},
		{"SENTINEL", "debug", "ping-period", "1000"}, {"SENTINEL", "reset", "nomatch"},
		{"SENTINEL", "pending-scripts"}, {"SENTINEL", "remove", "nope"}, {"SENTINEL", "flushconfig"},
		{"SENTINEL", "help"}, {"SENTINEL", "myid", "x"}, {"SENTINEL", "info-cache", "nope"},
		{"PUBLISH", "foo", "bar"}, {"PUBLISH", "x"}, {"AUTH", "x"}, {"AUTH", "a", "b"},
		{"COMMAND", "COUNT"}, {"SUBSCRIBE", "+switch-master"}, {"PING"}, {"GET", "x"},
		{"UNSUBSCRIBE"}, {"PSUBSCRIBE", "+nothing-*"}, {"PUNSUBSCRIBE", "+nothing-*"},
	}
	forEachProto(t, redisAddr, vigilAddr, func(proto string, rc, vc *testutil.RawConn) {
		for _, cmd := range cmds {
			got, want := vc.Do(cmd...), rc.Do(cmd...)
			if got != want {
				t.Errorf("RESP%s %q:\n got %q\nwant %q", proto, cmd, got, want)
			}
		}
	})
}

// forEachProto runs fn on a fresh connection to each sentinel in RESP2, then in RESP3.
func forEachProto(t *testing.T, redisAddr, vigilAddr string, fn func(proto string, rc, vc *testutil.RawConn)) {
	t.Helper()
	for _, proto := range []string{"2", "3"} {
		rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
		if proto == "3" {
			rc.Do("HELLO", "3")
			vc.Do("HELLO", "3")
		}
		fn(proto, rc, vc)
	}
}

// TestSentinelMasterMapShape compares SENTINEL MASTER field names and order
// (values depend on timing), and the INFO sentinel section.
func TestSentinelMasterMapShape(t *testing.T) {
	redisAddr, vigilAddr, _, _ := startSentinelPair(t, sentinelDiffConf)
	rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
	keys := func(raw string) []string {
		_, elems, ok := testutil.SplitAggregate([]byte(raw))
		if !ok {
			t.Fatalf("not an aggregate: %q", raw)
		}
		var out []string
		for i := 0; i < len(elems); i += 2 {
			out = append(out, string(elems[i]))
		}
		return out
	}
	got, want := keys(vc.Do("SENTINEL", "MASTER", "mymaster")), keys(rc.Do("SENTINEL", "MASTER", "mymaster"))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("SENTINEL MASTER fields:\n got %v\nwant %v", got, want)
	}
	re := regexp.MustCompile(`sentinel_tilt_since_seconds:-?\d+`)
	gi := re.ReplaceAllString(vc.Do("INFO", "sentinel"), "")
	wi := re.ReplaceAllString(rc.Do("INFO", "sentinel"), "")
	if gi != wi {
		t.Fatalf("INFO sentinel:\n got %q\nwant %q", gi, wi)
	}
}

// TestSentinelConfigRewriteMatchesRedis compares the section each sentinel
// generates in its file at first start (myid, epochs), ignoring the myid
// value, dir and the `user default` line Vigil does not write.
func TestSentinelConfigRewriteMatchesRedis(t *testing.T) {
	conf := sentinelDiffConf + "# a comment\nsentinel known-replica mymaster 127.0.0.1 2\nsentinel current-epoch 5\n"
	_, _, redisConf, vigilConf := startSentinelPair(t, conf)
	norm := func(path string) []string {
		var out []string
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "myid written to "+path, func() bool {
			data, _ := os.ReadFile(path)
			return strings.Contains(string(data), "sentinel myid ")
		})
		data, _ := os.ReadFile(path)
		head, tail, _ := strings.Cut(string(data), "# Generated by CONFIG REWRITE\n")
		// Redis appends new lines in hash-table order: compare them as a set.
		tailLines := strings.Split(tail, "\n")
		sort.Strings(tailLines)
		for _, l := range append(strings.Split(head, "\n"), tailLines...) {
			switch {
			case strings.HasPrefix(l, "port "), strings.HasPrefix(l, "dir "), strings.HasPrefix(l, "user default"):
				continue
			case strings.HasPrefix(l, "sentinel myid "):
				l = "sentinel myid X"
			}
			out = append(out, l)
		}
		return out
	}
	got, want := norm(vigilConf), norm(redisConf)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("generated config:\n--- vigil\n%s\n--- redis-sentinel\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSentinelStartupErrors compares fatal config errors and the missing-file exit.
func TestSentinelStartupErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	real := resolve(t, testutil.RequireRedis(t, "redis-server"))
	vigil := testutil.VigilBinary(t)
	for _, line := range []string{"sentinel bogus x", "sentinel monitor m2 127.0.0.1 6399 0", "foo-unknown-line",
		"sentinel down-after-milliseconds nope 5", "sentinel myid abc"} {
		var outs [2]string
		for i, target := range []string{real, vigil} {
			dir := t.TempDir()
			link := filepath.Join(dir, "redis-sentinel")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "s.conf")
			os.WriteFile(path, []byte("port 0\n"+line+"\n"), 0o644)
			p := testutil.Start(t, "sentinel", link, path)
			if code := p.Wait(10 * time.Second); code != 1 {
				t.Fatalf("%s with %q: exit %d, want 1", target, line, code)
			}
			outs[i] = p.Output()
		}
		if !strings.Contains(outs[0], strings.TrimSpace(outs[1])) {
			t.Errorf("%q:\n got %q\nwant %q", line, outs[1], outs[0])
		}
	}
}
