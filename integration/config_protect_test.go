package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// fatalBlock returns the FATAL CONFIG FILE ERROR block of a start-up output,
// without the "(config file ...)" line Redis adds for command-line options too.
func fatalBlock(out string) string {
	i := strings.Index(out, "*** FATAL CONFIG FILE ERROR")
	if i < 0 {
		return ""
	}
	block := out[i:]
	if j := strings.Index(block, "\n(config file"); j >= 0 {
		block = block[:j]
	}
	return strings.TrimSpace(block)
}

// startFails runs bin with args, which must exit with status 1, and returns its output.
func startFails(t *testing.T, name, bin string, args ...string) string {
	t.Helper()
	p := testutil.Start(t, name, bin, args...)
	if code := p.Wait(10 * time.Second); code != 1 {
		t.Fatalf("%s %q: exit status %d, want 1\n%s", name, args, code, p.Output())
	}
	return p.Output()
}

// TestConfigRefusesUnhonouredAccessRules checks that a server given ACL rules,
// an ACL file or TLS (which Vigil cannot honour) refuses to start naming the
// line, instead of running without the protection asked for.
func TestConfigRefusesUnhonouredAccessRules(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	vigil := testutil.VigilBinary(t)
	for _, line := range []string{
		"user default on >secret ~* &* +@all -flushall",
		"user default on >a >b ~* &* +@all",
		"user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all",
		"user alice on >pw ~* &* +@all",
		"aclfile /etc/redis/users.acl",
		"tls-port 6380",
		"tls-replication yes",
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(path, []byte("port 0\n"+line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := startFails(t, "vigil", vigil, "server", path)
		want := "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> '" + line + "'\n"
		if !strings.Contains(out, want) || !strings.Contains(out, "not supported by Vigil") {
			t.Errorf("%q: got output %q, want it to contain %q and the reason", line, out, want)
		}
	}
}

// TestConfigDefaultUser compares with redis-server the `user default` lines
// Vigil honours: all permissions with nopass, with a password (which is then
// required), and with the hash of requirepass that Redis's CONFIG REWRITE writes.
func TestConfigDefaultUser(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, args := range [][]string{
		{"--user", "default", "on", "nopass", "~*", "&*", "+@all"},
		{"--user", "default", "on", ">secret", "~*", "&*", "+@all"},
		{"--requirepass", "secret", "--user", "default", "on",
			"#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", "allkeys", "allchannels", "allcommands"},
	} {
		_, redisAddr := testutil.StartRedis(t, args...)
		_, vigilAddr := testutil.StartVigil(t, args...)
		rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
		for _, cmd := range [][]string{{"SET", "a", "1"}, {"AUTH", "wrong"}, {"AUTH", "secret"}, {"SET", "a", "1"}} {
			if got, want := vc.Do(cmd...), rc.Do(cmd...); got != want {
				t.Errorf("%q then %q:\n got %q\nwant %q", args, cmd, got, want)
			}
		}
	}
}

// TestRenameCommand compares rename-command with redis-server 7.0: the old
// name is unknown, the new one works, "" removes the command, and COMMAND
// INFO/DOCS/LIST/COUNT follow (a renamed command keeps its own name there).
func TestRenameCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	renames := []string{"--rename-command", "flushall", "myflush", "--rename-command", "CONFIG", "",
		"--rename-command", "object", "obj"}
	_, redisAddr := testutil.StartRedis(t, renames...)
	_, vigilAddr := testutil.StartVigil(t, renames...)
	_, plainAddr := testutil.StartVigil(t)
	rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
	for _, cmd := range [][]string{
		{"FLUSHALL"}, {"flushall", "async"}, {"SET", "k", "v"}, {"MYFLUSH"}, {"myflush", "x"}, {"DBSIZE"},
		{"CONFIG", "GET", "port"}, {"COMMAND", "INFO", "myflush", "flushall", "config"},
		{"COMMAND", "DOCS", "myflush"}, {"COMMAND", "DOCS", "config"},
		{"COMMAND", "LIST", "FILTERBY", "PATTERN", "flushal*"}, {"COMMAND", "LIST", "FILTERBY", "PATTERN", "myflush"},
		{"COMMAND", "LIST", "FILTERBY", "PATTERN", "config*"},
		{"COMMAND", "GETKEYS", "flushall"}, {"MULTI"}, {"MYFLUSH"}, {"EXEC"},
		{"OBJECT", "HELP"}, {"obj", "help"}, {"obj", "foo"}, {"OBJ"}, {"OBJ", "ENCODING"}, {"SET", "n", "1"}, {"OBJ", "ENCODING", "n"},
		{"COMMAND", "INFO", "obj|encoding", "object|encoding"},
	} {
		if got, want := vc.Do(cmd...), rc.Do(cmd...); got != want {
			t.Errorf("%q:\n got %q\nwant %q", cmd, got, want)
		}
	}
	n := replyInt(t, testutil.DialRaw(t, plainAddr).Do("COMMAND", "COUNT"))
	m := replyInt(t, vc.Do("COMMAND", "COUNT"))
	if m != n-1 {
		t.Errorf("COMMAND COUNT: got %d with CONFIG removed, %d without renames; want one less", m, n)
	}
}

// replyInt parses an integer reply.
func replyInt(t *testing.T, reply string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(reply, ":"), "\r\n"))
	if err != nil {
		t.Fatalf("integer reply: got %q", reply)
	}
	return n
}

// TestRenameCommandStartupErrors compares the fatal errors of bad rename-command
// lines with redis-server's.
func TestRenameCommandStartupErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	real := testutil.RequireRedis(t, "redis-server")
	vigil := testutil.VigilBinary(t)
	for _, args := range [][]string{
		{"--rename-command", "foo", "bar"},
		{"--rename-command", "get", "set"},
		{"--rename-command", "get", "x", "--rename-command", "set", "x"},
		{"--rename-command", "config", "", "--rename-command", "config", "cfg"},
	} {
		all := append([]string{"--port", "0"}, args...)
		want := fatalBlock(startFails(t, "redis-server", real, all...))
		got := fatalBlock(startFails(t, "vigil", vigil, append([]string{"server"}, all...)...))
		if want == "" || got != want {
			t.Errorf("%q:\n got %q\nwant %q", args, got, want)
		}
	}
}

// TestRenameCommandKeptByRewrite checks that a renamed CONFIG still rewrites
// the file and keeps the rename-command lines, as Redis does.
func TestRenameCommandKeptByRewrite(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	port := strconv.Itoa(testutil.FreePort(t))
	text := "port " + port + "\nbind 127.0.0.1\ndir " + dir + "\nrename-command CONFIG cfg\nrename-command DEBUG \"\"\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.Start(t, "vigil", testutil.VigilBinary(t), "server", path)
	addr := "127.0.0.1:" + port
	testutil.WaitForPort(t, addr, 10*time.Second, p)
	c := testutil.DialRaw(t, addr)
	if got := c.Do("CFG", "SET", "maxmemory-samples", "7"); got != "+OK\r\n" {
		t.Fatalf("CFG SET: got %q, want +OK", got)
	}
	if got := c.Do("CFG", "REWRITE"); got != "+OK\r\n" {
		t.Fatalf("CFG REWRITE: got %q, want +OK", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rename-command CONFIG cfg\n", "rename-command DEBUG \"\"\n", "maxmemory-samples 7\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, data)
		}
	}
}

// TestSentinelRenameCommand compares rename-command in sentinel.conf, which
// renames the sentinel's own commands, with redis-sentinel; the lines survive
// the config rewrites.
func TestSentinelRenameCommand(t *testing.T) {
	redisAddr, vigilAddr, _, vigilConf := startSentinelPair(t, "rename-command ping foo\nrename-command info \"\"\n")
	rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
	for _, cmd := range [][]string{{"PING"}, {"FOO"}, {"foo", "a", "b"}, {"INFO"}, {"COMMAND", "COUNT"},
		{"SENTINEL", "FLUSHCONFIG"}} {
		if got, want := vc.Do(cmd...), rc.Do(cmd...); got != want {
			t.Errorf("%q:\n got %q\nwant %q", cmd, got, want)
		}
	}
	data, err := os.ReadFile(vigilConf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "rename-command ping foo\nrename-command info \"\"\n") {
		t.Errorf("rewritten sentinel.conf lost the rename-command lines:\n%s", data)
	}
}

// TestSentinelRenameCommandStartupError compares the fatal error of a
// rename-command line naming a command the sentinel does not have.
func TestSentinelRenameCommandStartupError(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	real := resolve(t, testutil.RequireRedis(t, "redis-server"))
	var outs [2]string
	for i, target := range []string{real, testutil.VigilBinary(t)} {
		dir := t.TempDir()
		link := filepath.Join(dir, "redis-sentinel")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "s.conf")
		if err := os.WriteFile(path, []byte("port 0\nrename-command ping foo\nrename-command get bar\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		outs[i] = fatalBlock(startFails(t, "sentinel", link, path))
	}
	if outs[0] == "" || outs[1] != outs[0] {
		t.Errorf("got %q\nwant %q", outs[1], outs[0])
	}
}
