package server

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
)

func TestServerCommandReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"DBSIZE"}, ":0\r\n"},
		{[]string{"SET", "a", "1"}, "+OK\r\n"},
		{[]string{"RPUSH", "l", "x"}, ":1\r\n"},
		{[]string{"DBSIZE"}, ":2\r\n"},
		{[]string{"DBSIZE", "x"}, "-ERR wrong number of arguments for 'dbsize' command\r\n"},
		{[]string{"FLUSHDB", "x"}, "-ERR syntax error\r\n"},
		{[]string{"FLUSHDB", "async", "sync"}, "-ERR syntax error\r\n"},
		{[]string{"FLUSHALL", "x"}, "-ERR syntax error\r\n"},
		{[]string{"FLUSHDB", "ASYNC"}, "+OK\r\n"},
		{[]string{"DBSIZE"}, ":0\r\n"},
		{[]string{"FLUSHALL", "sync"}, "+OK\r\n"},
		{[]string{"SWAPDB", "0"}, "-ERR wrong number of arguments for 'swapdb' command\r\n"},
		{[]string{"SWAPDB", "x", "1"}, "-ERR invalid first DB index\r\n"},
		{[]string{"SWAPDB", "0", "x"}, "-ERR invalid second DB index\r\n"},
		{[]string{"SWAPDB", "x", "y"}, "-ERR invalid first DB index\r\n"},
		{[]string{"SWAPDB", "2147483648", "0"}, "-ERR invalid first DB index\r\n"},
		{[]string{"SWAPDB", "-1", "0"}, "-ERR DB index is out of range\r\n"},
		{[]string{"SWAPDB", "0", "16"}, "-ERR DB index is out of range\r\n"},
		{[]string{"SWAPDB", "0", "0"}, "+OK\r\n"},
		{[]string{"ROLE"}, "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"},
		{[]string{"ROLE", "x"}, "-ERR wrong number of arguments for 'role' command\r\n"},
		{[]string{"TIME", "x"}, "-ERR wrong number of arguments for 'time' command\r\n"},
		{[]string{"SHUTDOWN", "x"}, "-ERR syntax error\r\n"},
		{[]string{"SHUTDOWN", "nosave", "save"}, "-ERR syntax error\r\n"},
		{[]string{"SHUTDOWN", "nosave", "abort"}, "-ERR syntax error\r\n"},
		{[]string{"SHUTDOWN", "abort"}, "-ERR No shutdown in progress.\r\n"},
		{[]string{"SHUTDOWN", "abort", "abort"}, "-ERR No shutdown in progress.\r\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTimeReply(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	for _, proto := range []int{2, 3} {
		ts.setProto(t, c, proto)
		got := c.do("TIME")
		m := regexp.MustCompile(`^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$`).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("RESP%d: got %q, want two bulk integers", proto, got)
		}
		var secs int64
		fmt.Sscan(m[1], &secs)
		if d := time.Now().Unix() - secs; d < -1 || d > 1 {
			t.Errorf("RESP%d: seconds %d are %d s away from now", proto, secs, d)
		}
	}
}

func TestServerCommandsPropagation(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"FLUSHALL"}, []string{"FLUSHALL"}}, // even on an empty dataset
		{[]string{"FLUSHDB", "ASYNC"}, []string{"FLUSHDB ASYNC"}},
		{[]string{"flushall", "sync"}, []string{"flushall sync"}},
		{[]string{"SWAPDB", "0", "1"}, []string{"SWAPDB 0 1"}},
		{[]string{"SWAPDB", "3", "3"}, []string{"SWAPDB 3 3"}},
		{[]string{"SWAPDB", "0", "99"}, nil},
		{[]string{"FLUSHDB", "x"}, nil},
		{[]string{"DEBUG", "POPULATE", "10"}, nil},
		{[]string{"DBSIZE"}, nil},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			c.do(tc.args...)
			if got := ts.prop.take(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFlushDirtyBookkeeping(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump.rdb")
	ts := newTestServer(t, func(c *config.Server) {
		c.DBFilename = dump
		c.Save = []config.SavePoint{{Seconds: 3600, Changes: 1}}
	})
	c := ts.dial(t)
	c.do("SET", "a", "1")
	c.do("SET", "b", "1")
	c.do("FLUSHDB") // 2 keys removed: dirty 2 -> 4
	ts.locked(func() {
		if ts.dirty != 4 {
			t.Errorf("dirty after FLUSHDB: got %d, want 4", ts.dirty)
		}
	})
	c.do("SET", "a", "1")
	c.do("FLUSHALL") // saves (dirty -> 0); redis-server 7.0.15 adds nothing after it
	ts.locked(func() {
		if ts.dirty != 0 {
			t.Errorf("dirty after FLUSHALL with save points: got %d, want 0", ts.dirty)
		}
		if ts.persist.saves != 1 {
			t.Errorf("saves after FLUSHALL: got %d, want 1", ts.persist.saves)
		}
	})
	if _, err := os.Stat(dump); err != nil {
		t.Errorf("FLUSHALL with save points did not write the dump: %v", err)
	}
}

// TestFlushdbDuringBgsaveKeepsSnapshot checks that FLUSHDB does not disturb a running
// BGSAVE (Redis leaves the child alone): the dump has the data as it was when it began.
func TestFlushdbDuringBgsaveKeepsSnapshot(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump.rdb")
	ts := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	c := ts.dial(t)
	const n = 20000
	c.do("DEBUG", "POPULATE", fmt.Sprint(n))
	c.do("SELECT", "1")
	c.do("SET", "db1key", "x")
	c.do("SELECT", "0")
	var started bool
	done := make(chan error, 1)
	ts.locked(func() {
		started = ts.bgsave(func(err error) { done <- err }) == nil
	})
	if !started {
		t.Fatal("BGSAVE did not start")
	}
	if got := c.do("FLUSHDB"); got != "+OK\r\n" {
		t.Fatalf("FLUSHDB during BGSAVE: got %q", got)
	}
	if got := c.do("DBSIZE"); got != ":0\r\n" {
		t.Fatalf("DBSIZE after FLUSHDB: got %q", got)
	}
	c.do("SET", "after", "flush")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("BGSAVE failed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BGSAVE did not finish")
	}
	ts2 := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	if err := ts2.LoadDump(); err != nil {
		t.Fatal(err)
	}
	c2 := ts2.dial(t)
	if got, want := c2.do("DBSIZE"), fmt.Sprintf(":%d\r\n", n); got != want {
		t.Errorf("keys in the snapshot: got %q, want %q", got, want)
	}
	if got := c2.do("GET", "after"); got != "$-1\r\n" {
		t.Errorf("a key written after the snapshot started is in it: %q", got)
	}
	c2.do("SELECT", "1")
	if got := c2.do("GET", "db1key"); got != "$1\r\nx\r\n" {
		t.Errorf("db 1 in the snapshot: got %q", got)
	}
}

// TestFlushallKillsBgsaveChild checks Redis's flushAllDataAndResetRDB: FLUSHALL during a
// BGSAVE kills the writer child (SIGUSR1: not a failed save) and removes its file, so that
// the old data does not come back with its dump.
func TestFlushallKillsBgsaveChild(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, func(c *config.Server) { c.DBFilename = filepath.Join(dir, "dump.rdb"); c.RDBKeySaveDelay = 100000 })
	c := ts.dial(t)
	c.do("SET", "k", "v")
	done := make(chan error, 1)
	var child *saveChild
	ts.locked(func() {
		if err := ts.bgsave(func(err error) { done <- err }); err != nil {
			t.Fatalf("BGSAVE: %v", err)
		}
		child = ts.persist.child
	})
	temp := filepath.Join(dir, tempRDBName(child.pid))
	testutil.CheckFor(t, 5*time.Second, time.Millisecond, "the child's temp file", func() bool {
		_, err := os.Stat(temp)
		return err == nil
	})
	if got := c.do("FLUSHALL"); got != "+OK\r\n" {
		t.Fatalf("FLUSHALL during BGSAVE: got %q", got)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("BGSAVE killed by FLUSHALL: got success, want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BGSAVE did not end after FLUSHALL")
	}
	if o := child.outcome(); o.bySignal != int(syscall.SIGUSR1) {
		t.Errorf("child's end: got %+v, want SIGUSR1", o)
	}
	ts.locked(func() {
		if !ts.persist.lastBgsaveOK || ts.persist.bgsaveRunning {
			t.Errorf("after FLUSHALL: lastBgsaveOK %v (want true), bgsaveRunning %v (want false)",
				ts.persist.lastBgsaveOK, ts.persist.bgsaveRunning)
		}
	})
	for _, f := range []string{temp, filepath.Join(dir, "dump.rdb")} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s after FLUSHALL killed the save: %v, want absent", f, err)
		}
	}
}

func TestSwapdbServesBlockedClient(t *testing.T) {
	ts := newTestServer(t, nil)
	blocked := ts.dial(t)
	c := ts.dial(t)
	blocked.do("SELECT", "1")
	blocked.send("BLPOP", "q", "0")
	testutil.CheckFor(t, 5*time.Second, time.Millisecond, "BLPOP blocked in db 1", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return len(ts.dbState[1].blocking["q"]) == 1
	})
	c.do("RPUSH", "q", "x") // in db 0: nobody waits there
	ts.prop.take()
	if got := c.do("SWAPDB", "0", "1"); got != "+OK\r\n" {
		t.Fatalf("SWAPDB: got %q", got)
	}
	if got, want := blocked.read(), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n"; got != want {
		t.Errorf("blocked client: got %q, want %q", got, want)
	}
	// SWAPDB, then the pop served in db 1 (the list is now there)
	if got, want := ts.prop.take(), []string{"SWAPDB 0 1", "LPOP q"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("propagated %q, want %q", got, want)
	}
	c.do("SELECT", "1")
	if got := c.do("EXISTS", "q"); got != ":0\r\n" {
		t.Errorf("list after serving: got %q, want it gone", got)
	}
}

func TestSwapdbAndFlushTouchWatchers(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	other := ts.dial(t)
	cases := []struct {
		name  string
		setup []string
		act   []string
		want  string
	}{
		{"swapdb with the key in the watched db", []string{"SET", "k", "v"}, []string{"SWAPDB", "0", "1"}, "*-1\r\n"},
		{"swapdb with the key arriving", nil, []string{"SWAPDB", "0", "1"}, "*-1\r\n"}, // k is in db 1 now
		{"flushdb", []string{"SET", "k", "v"}, []string{"FLUSHDB"}, "*-1\r\n"},
		{"flushall", []string{"SET", "k", "v"}, []string{"FLUSHALL"}, "*-1\r\n"},
		{"flushall without the key", nil, []string{"FLUSHALL"}, "*1\r\n+PONG\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				c.do(tc.setup...)
			}
			c.do("WATCH", "k")
			other.do(tc.act...)
			c.do("MULTI")
			c.do("PING")
			if got := c.do("EXEC"); got != tc.want {
				t.Errorf("EXEC: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestShutdown(t *testing.T) {
	t.Run("failed save keeps running", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "gone")
		ts := newTestServer(t, func(c *config.Server) {
			c.DBFilename = filepath.Join(dir, "dump.rdb")
			c.Save = []config.SavePoint{{Seconds: 3600, Changes: 1}}
		})
		c := ts.dial(t)
		for _, args := range [][]string{{"SHUTDOWN"}, {"SHUTDOWN", "SAVE"}, {"SHUTDOWN", "NOW"}} {
			if got, want := c.do(args...), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"; got != want {
				t.Errorf("%v: got %q, want %q", args, got, want)
			}
		}
		if got := c.do("PING"); got != "+PONG\r\n" {
			t.Errorf("PING after a failed SHUTDOWN: got %q", got)
		}
		c.send("SHUTDOWN", "FORCE") // the failed save is ignored
		waitDone(t, ts)
	})
	t.Run("nosave", func(t *testing.T) {
		ts := newTestServer(t, func(c *config.Server) { c.Save = []config.SavePoint{{Seconds: 1, Changes: 1}} })
		c := ts.dial(t)
		c.send("SHUTDOWN", "NOSAVE")
		waitDone(t, ts)
		c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.r.ReadByte(); err == nil {
			t.Error("SHUTDOWN replied instead of closing the connection")
		}
	})
	t.Run("save", func(t *testing.T) {
		dump := filepath.Join(t.TempDir(), "dump.rdb")
		ts := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
		c := ts.dial(t)
		c.do("SET", "k", "v")
		c.send("SHUTDOWN", "SAVE")
		waitDone(t, ts)
		if _, err := os.Stat(dump); err != nil {
			t.Errorf("SHUTDOWN SAVE wrote no dump: %v", err)
		}
	})
}

// waitDone waits until the server has shut down.
func waitDone(t *testing.T, ts *testServer) {
	t.Helper()
	select {
	case <-ts.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server still running")
	}
}
