package config

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These differential tests compare this package with a real redis-server 7.0
// (/usr/bin/redis-server). They skip under -short and when the binary is
// missing, unless VIGIL_REQUIRE_REDIS=1, in which case they fail.
//
// They live here rather than in integration/ because they test this package's
// pure functions, not the vigil binary.

func redisServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("differential test against redis-server skipped in -short mode")
	}
	path := "/usr/bin/redis-server"
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("redis-server"); lerr == nil {
			return p
		}
		if os.Getenv("VIGIL_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis-server not found and VIGIL_REQUIRE_REDIS=1: %v", err)
		}
		t.Skip("redis-server not found; install redis-server 7.0 or set VIGIL_REQUIRE_REDIS=1 to fail")
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// respConn is a minimal RESP2 client: enough for CONFIG GET and CONFIG SET.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func (rc *respConn) do(t *testing.T, args ...string) any {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		t.Fatal(err)
	}
	v, err := rc.read()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// read returns a string, an error (for -ERR replies) or a []any.
func (rc *respConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return errors.New(line[1:]), nil
	case ':':
		return line[1:], nil
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			v, err := rc.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("bad RESP line %q", line)
}

// startRedis runs redis-server --port N --save "" in dir and connects to it.
func startRedis(t *testing.T, bin, dir string) (*respConn, int) {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--save", "")
	cmd.Dir = dir
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("redis-server output:\n%s", logs.String())
		}
	})
	var c net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redis-server did not accept connections on port %d: %v", port, err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{c: c, r: bufio.NewReader(c)}, port
}

func reply(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(v)
}

// TestRedisConfigGet compares CONFIG GET * of Default() with redis-server
// started without a file. Default() differs only where the command line does:
// port, save "" and dir (the process working directory).
func TestRedisConfigGet(t *testing.T) {
	bin := redisServer(t)
	dir := t.TempDir()
	rc, port := startRedis(t, bin, dir)

	cfg := Default()
	cfg.Port, cfg.Save, cfg.Dir = port, nil, dir
	ours := map[string]string{}
	for _, kv := range Get(cfg, []string{"*"}) {
		ours[kv.Key] = kv.Value
	}
	flat, ok := rc.do(t, "CONFIG", "GET", "*").([]any)
	if !ok {
		t.Fatalf("CONFIG GET * reply is not an array")
	}
	theirs := map[string]string{}
	for i := 0; i+1 < len(flat); i += 2 {
		theirs[reply(flat[i])] = reply(flat[i+1])
	}
	for k, v := range theirs {
		t.Run(k, func(t *testing.T) {
			got, ok := ours[k]
			if !ok {
				t.Fatalf("CONFIG GET * lacks %q (redis-server has %q)", k, v)
			}
			if got != v {
				t.Fatalf("CONFIG GET %s = %q, redis-server says %q", k, got, v)
			}
		})
	}
	for k := range ours {
		if _, ok := theirs[k]; !ok && !vigilOwn[k] {
			t.Errorf("CONFIG GET * has %q that redis-server does not list", k)
		}
	}
}

// vigilOwn are the directives Redis does not have (fenced mode, docs/safety.md); the
// comparisons with redis-server leave them out.
var vigilOwn = map[string]bool{"fenced-mode": true, "fenced-replicas": true, "fenced-lease-ms": true}

// TestRedisConfigSet sends the same CONFIG SET commands to redis-server and to
// Set, and compares the replies and the values read back.
func TestRedisConfigSet(t *testing.T) {
	bin := redisServer(t)
	dir := t.TempDir()
	rc, port := startRedis(t, bin, dir)
	cfg := Default()
	cfg.Port, cfg.Save, cfg.Dir = port, nil, dir

	var cases [][]string
	// Every directive set to its current value: checks mutability and that
	// the CONFIG GET text parses back. bind is left alone (it would rebind).
	for _, kv := range Get(cfg, []string{"*"}) {
		if kv.Key != "bind" && !vigilOwn[kv.Key] {
			cases = append(cases, []string{kv.Key, kv.Value})
		}
	}
	cases = append(cases,
		[]string{"maxmemory", "1GB"}, []string{"maxmemory", "1x"}, []string{"maxmemory", "-1"}, []string{"maxmemory", ""},
		[]string{"maxmemory", "0"}, []string{"maxmemory-samples", "0"}, []string{"hz", "0"}, []string{"hz", "501"}, []string{"hz", "10"},
		[]string{"slave-priority", "abc"}, []string{"slave-priority", "-1"}, []string{"slave-priority", "01"},
		[]string{"appendonly", "maybe"}, []string{"loglevel", "loud"}, []string{"maxmemory-policy", "ALLKEYS-LRU"},
		[]string{"save", "1 2 3"}, []string{"save", "a b"}, []string{"save", "60  1"}, []string{"save", "60 1 60 1"}, []string{"save", ""},
		[]string{"notify-keyspace-events", "KEA"}, []string{"notify-keyspace-events", "Z"}, []string{"notify-keyspace-events", "Ex"},
		[]string{"client-output-buffer-limit", "normal 1 2 3 x"}, []string{"client-output-buffer-limit", "master 1 2 3"},
		[]string{"client-output-buffer-limit", "replica 1mb 2kb 3"}, []string{"client-output-buffer-limit", "pubsub 1 2 -1"},
		[]string{"latency-tracking-info-percentiles", "50 101"}, []string{"latency-tracking-info-percentiles", "a"},
		[]string{"latency-tracking-info-percentiles", "99.90 50.0 1e1"}, []string{"latency-tracking-info-percentiles", ""},
		[]string{"maxmemory-clients", "200%"}, []string{"maxmemory-clients", "10%"}, []string{"maxmemory-clients", "x"},
		[]string{"shutdown-on-sigint", "save now"}, []string{"shutdown-on-sigint", "save nosave"}, []string{"shutdown-on-sigint", "force default"},
		[]string{"shutdown-on-sigint", ""}, []string{"oom-score-adj-values", "1 2"}, []string{"oom-score-adj-values", "1 2 3000"},
		[]string{"oom-score-adj", "relative"}, []string{"replica-announce-port", "70000"}, []string{"repl-backlog-size", "0"},
		[]string{"dbfilename", "a/b"}, []string{"dir", "/"}, []string{"databases", "3"}, []string{"foo", "1"},
		[]string{"proto-max-bulk-len", "1000"}, []string{"lua-time-limit", "100"}, []string{"list-max-ziplist-size", "-5"},
		[]string{"maxmemory", "1", "maxmemory", "2"}, []string{"maxmemory", "5mb", "save", "1 2 3"},
		[]string{"masterauth", `a "b`}, []string{"requirepass", ""}, []string{"cluster-announce-hostname", "a_b"},
	)
	for _, c := range cases {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			want := reply(rc.do(t, append([]string{"CONFIG", "SET"}, c...)...))
			var pairs [][2]string
			for i := 0; i+1 < len(c); i += 2 {
				pairs = append(pairs, [2]string{c[i], c[i+1]})
			}
			got := "OK"
			if _, err := Set(cfg, pairs); err != nil {
				got = err.Error()
			}
			if got != want {
				t.Fatalf("CONFIG SET %q: got %q, redis-server says %q", c, got, want)
			}
			for _, p := range pairs {
				wantV := reply(rc.do(t, "CONFIG", "GET", p[0]))
				gotV := "[]"
				if kv := Get(cfg, []string{p[0]}); len(kv) == 1 {
					gotV = fmt.Sprint([]any{kv[0].Key, kv[0].Value})
				}
				if gotV != wantV {
					t.Fatalf("after CONFIG SET %q: CONFIG GET %s = %s, redis-server says %s", c, p[0], gotV, wantV)
				}
			}
		})
	}
}

// TestRedisLoadErrors runs redis-server on bad config files and compares its
// fatal error text with LoadError.Error().
func TestRedisLoadErrors(t *testing.T) {
	bin := redisServer(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		conf string
		args []string
	}{
		{"unknown", "port 7779\nfoo bar\n", nil},
		{"yes/no", "appendonly maybe\n", nil},
		{"integer", "hz abc\n", nil},
		{"range", "\n# c\nmaxmemory-samples 0\n", nil},
		{"memory", "maxmemory 1x\n", nil},
		{"enum", "loglevel loud\n", nil},
		{"wrong args", "port 1 2\n", nil},
		{"missing arg", "port\n", nil},
		{"save", "save 1\n", nil},
		{"unbalanced", "bind \"a\n", nil},
		{"quote glued", "requirepass \"a\"b\n", nil},
		{"sentinel", "sentinel monitor a b c\n", nil},
		{"notify", "notify-keyspace-events Z\n", nil},
		{"obuf", "client-output-buffer-limit normal 1 2\n", nil},
		{"percent", "maxmemory-clients 101%\n", nil},
		{"octal", "unixsocketperm 8\n", nil},
		{"octal range", "unixsocketperm 1000\n", nil},
		{"dbfilename", "dbfilename a/b\n", nil},
		{"master port", "replicaof a b\n", nil},
		{"dir", "dir /nonexistent-vigil\n", nil},
		{"cluster replicaof", "cluster-enabled yes\nreplicaof 1.2.3.4 5\n", nil},
		{"socket mark", "socket-mark-id -1\n", nil},
		{"option after file", "port 1\n\n\n", []string{"--port", "7778", "--replicaof", "1.2.3.4"}},
		{"option bad value", "", []string{"--maxmemory", "1x", "2"}},
		{"option unknown", "", []string{"--foo", "bar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.NewReplacer(" ", "_", "/", "_").Replace(tt.name)+".conf", tt.conf)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{p}, tt.args...)...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("redis-server %s: err %v, want exit status 1; output:\n%s", p, err, out)
			}
			_, _, lerr := LoadEnv(p, tt.args, nil)
			if lerr == nil {
				t.Fatalf("LoadEnv(%s, %q) succeeded, redis-server said:\n%s", p, tt.args, out)
			}
			got := strings.TrimSuffix(lerr.Error(), "\n(config file "+p+")") + "\n"
			if got != string(out) {
				t.Fatalf("LoadEnv(%s, %q) error:\n%q\nredis-server:\n%q", p, tt.args, got, out)
			}
		})
	}
}
