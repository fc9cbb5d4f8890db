package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestServerPathsFollowDir starts redis-server and Vigil from an unrelated working
// directory with `--dir D` and relative pidfile, logfile, dbfilename, AOF and unixsocket: every file
// lands in D (Redis chdirs there; Vigil resolves against it), none in the working
// directory, the pidfile goes at exit, a restart loads from D, and after CONFIG SET dir
// the next SAVE writes into the new directory.
func TestServerPathsFollowDir(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	impls := map[string][]string{
		"redis-server": {testutil.RequireRedis(t, "redis-server")},
		"vigil":        {testutil.VigilBinary(t), "server"},
	}
	for name, cmd := range impls {
		t.Run(name, func(t *testing.T) {
			dir, cwd := t.TempDir(), t.TempDir()
			port := testutil.FreePort(t)
			addr := "127.0.0.1:" + strconv.Itoa(port)
			args := append(cmd[1:], "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
				"--pidfile", "p.pid", "--logfile", "l.log", "--dbfilename", "d.rdb", "--appendonly", "yes",
				"--unixsocket", "s.sock", "--enable-protected-configs", "yes")
			start := func() *testutil.Proc {
				p := testutil.StartIn(t, cwd, name, cmd[0], args...)
				testutil.WaitForPort(t, addr, 10*time.Second, p)
				return p
			}
			p := start()
			pid := strconv.Itoa(p.Cmd.Process.Pid) + "\n"
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "pidfile in dir", func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "p.pid"))
				return string(b) == pid
			})
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "log file in dir", func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "l.log"))
				return strings.Contains(string(b), "Ready to accept connections")
			})
			c := testutil.DialRaw(t, addr)
			if got := c.Do("SET", "k", "v"); got != "+OK\r\n" {
				t.Fatalf("SET: got %q", got)
			}
			if got := c.Do("SAVE"); got != "+OK\r\n" {
				t.Fatalf("SAVE: got %q", got)
			}
			for _, f := range []string{"d.rdb", "appendonlydir", "s.sock"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s not in dir: %v", f, err)
				}
			}
			if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
				t.Errorf("the working directory got %d entries, want none (first %q)", len(ents), ents[0].Name())
			}
			p.Signal(syscall.SIGTERM)
			if code := p.Wait(10 * time.Second); code != 0 {
				t.Fatalf("exit status after SIGTERM: got %d, want 0", code)
			}
			if _, err := os.Stat(filepath.Join(dir, "p.pid")); !os.IsNotExist(err) {
				t.Errorf("pidfile after exit: got err %v, want it removed", err)
			}
			start()
			c = testutil.DialRaw(t, addr)
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "dataset loaded from dir", func() bool {
				return c.Do("GET", "k") == "$1\r\nv\r\n"
			})
			// CONFIG SET dir moves where the next dump goes
			dir2 := t.TempDir()
			if got := c.Do("CONFIG", "SET", "dir", dir2); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET dir: got %q", got)
			}
			if got := c.Do("SAVE"); got != "+OK\r\n" {
				t.Fatalf("SAVE after CONFIG SET dir: got %q", got)
			}
			if _, err := os.Stat(filepath.Join(dir2, "d.rdb")); err != nil {
				t.Errorf("dump after CONFIG SET dir: %v", err)
			}
		})
	}
}

// TestSentinelScriptFollowsDir is issue 14 item 1 with both sentinels: started from an
// unrelated working directory, the pidfile lands in dir, a notification script given
// relative to dir is accepted and runs there, and the rewritten config file loads again
// on restart.
func TestSentinelScriptFollowsDir(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	impls := map[string]string{
		"redis-sentinel": resolve(t, testutil.RequireRedis(t, "redis-server")),
		"vigil":          testutil.VigilBinary(t),
	}
	for name, target := range impls {
		t.Run(name, func(t *testing.T) {
			dir, cwd := t.TempDir(), t.TempDir()
			link := filepath.Join(cwd, "redis-sentinel")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
				t.Fatal(err)
			}
			// relative to its working directory, which must be the sentinel's dir
			script := "#!/bin/sh\necho \"$1\" >> events.txt\n"
			if err := os.WriteFile(filepath.Join(dir, "scripts", "notify.sh"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			port := testutil.FreePort(t)
			addr := "127.0.0.1:" + strconv.Itoa(port)
			conf := filepath.Join(dir, "sentinel.conf")
			text := "port " + strconv.Itoa(port) + "\nbind 127.0.0.1\ndir " + dir + "\npidfile s.pid\n" +
				"sentinel deny-scripts-reconfig no\n" + sentinelDiffConf
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			start := func() *testutil.Proc {
				p := testutil.StartIn(t, cwd, name, link, conf)
				testutil.WaitForPort(t, addr, 10*time.Second, p)
				return p
			}
			p := start()
			pid := strconv.Itoa(p.Cmd.Process.Pid) + "\n"
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "pidfile in dir", func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "s.pid"))
				return string(b) == pid
			})
			c := testutil.DialRaw(t, addr)
			if got := c.Do("SENTINEL", "SET", "mymaster", "notification-script", "scripts/notify.sh"); got != "+OK\r\n" {
				t.Fatalf("SENTINEL SET notification-script: got %q", got)
			}
			// the master's port is closed: +sdown (a warning event) runs the script
			if got := c.Do("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "100"); got != "+OK\r\n" {
				t.Fatalf("SENTINEL SET down-after-milliseconds: got %q", got)
			}
			testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, "the script ran in dir on +sdown", func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "events.txt"))
				return strings.Contains(string(b), "+sdown")
			})
			p.Signal(syscall.SIGTERM)
			p.Wait(10 * time.Second)
			start()
			c = testutil.DialRaw(t, addr)
			if got := c.Do("SENTINEL", "MASTER", "mymaster"); !strings.Contains(got, "scripts/notify.sh") {
				t.Fatalf("SENTINEL MASTER after restart: got %q, want the notification script", got)
			}
		})
	}
}
