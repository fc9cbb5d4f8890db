package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// childPids returns the pids of the processes whose parent is pid (what `pgrep -P` finds).
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// procCmdline returns /proc/pid/cmdline with NULs as spaces, trimmed.
func procCmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// saveChild waits for the one child of pid, a background save's writer, and returns it.
func saveChild(t *testing.T, pid int) int {
	t.Helper()
	var child int
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "a writer child under the server", func() bool {
		kids := childPids(t, pid)
		if len(kids) == 1 {
			child = kids[0]
		}
		return len(kids) == 1
	})
	return child
}

func persistenceField(t *testing.T, ctx context.Context, c *redis.Client, field string) string {
	t.Helper()
	info, err := c.Info(ctx, "persistence").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO persistence has no %s:\n%s", field, info)
	return ""
}

// TestBgsaveWriterChild checks that BGSAVE writes through a child process as Redis's does:
// the child is under the server (pgrep -P), titled redis-rdb-bgsave, writes
// temp-<child pid>.rdb; killing it fails the save (rdb_last_bgsave_status:err, the temp
// file removed, the old dump kept); a later BGSAVE succeeds and its dump loads; SHUTDOWN
// NOSAVE during a save kills the child and removes its file.
func TestBgsaveWriterChild(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	p, addr := testutil.StartVigil(t, "--dir", dir, "--enable-debug-command", "yes")
	pid := p.Cmd.Process.Pid
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	for i := range 20 {
		c.Set(ctx, "k"+strconv.Itoa(i), i, 0)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, "dump.rdb")
	before, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "later", "x", 0)

	// killed: the save fails, its file goes, the old dump stays
	c.ConfigSet(ctx, "rdb-key-save-delay", "100000") // 0.1 s per key
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	child := saveChild(t, pid)
	if got := procCmdline(child); !strings.HasPrefix(got, "redis-rdb-bgsave 127.0.0.1:") {
		t.Errorf("child's title: got %q, want redis-rdb-bgsave 127.0.0.1:<port>", got)
	}
	temp := filepath.Join(dir, "temp-"+strconv.Itoa(child)+".rdb")
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the child's temp file", func() bool {
		_, err := os.Stat(temp)
		return err == nil
	})
	if got := persistenceField(t, ctx, c, "rdb_bgsave_in_progress"); got != "1" {
		t.Errorf("rdb_bgsave_in_progress during the save: got %s, want 1", got)
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the save to end", func() bool {
		return persistenceField(t, ctx, c, "rdb_bgsave_in_progress") == "0"
	})
	if got := persistenceField(t, ctx, c, "rdb_last_bgsave_status"); got != "err" {
		t.Errorf("rdb_last_bgsave_status after kill -9 of the child: got %s, want err", got)
	}
	if _, err := os.Stat(temp); !os.IsNotExist(err) {
		t.Errorf("temp file %s after the child was killed: %v, want removed", temp, err)
	}
	if after, _ := os.ReadFile(dump); string(after) != string(before) {
		t.Errorf("the dump changed after a killed save")
	}
	if !strings.Contains(p.Output(), "Background saving terminated by signal 9") {
		t.Errorf("log lacks Redis's line for a killed child:\n%s", p.Output())
	}

	// completed: the dump has the new key, no child left
	c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the save to succeed", func() bool {
		return persistenceField(t, ctx, c, "rdb_bgsave_in_progress") == "0" &&
			persistenceField(t, ctx, c, "rdb_last_bgsave_status") == "ok"
	})
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the child reaped", func() bool {
		return len(childPids(t, pid)) == 0
	})
	if err := c.Do(ctx, "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 21 {
		t.Errorf("DBSIZE after loading the child's dump: got %d (%v), want 21", n, err)
	}

	// SHUTDOWN NOSAVE during a save: the child is killed, its file removed
	c.ConfigSet(ctx, "rdb-key-save-delay", "100000")
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	child = saveChild(t, pid)
	temp = filepath.Join(dir, "temp-"+strconv.Itoa(child)+".rdb")
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the child's temp file", func() bool {
		_, err := os.Stat(temp)
		return err == nil
	})
	testutil.DialRaw(t, addr).Send([]byte("SHUTDOWN"), []byte("NOSAVE"))
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Fatalf("exit status after SHUTDOWN NOSAVE: got %d, want 0\n%s", code, p.Output())
	}
	if _, err := os.Stat(temp); !os.IsNotExist(err) {
		t.Errorf("temp file %s after SHUTDOWN: %v, want removed", temp, err)
	}
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "the child to exit", func() bool {
		return syscall.Kill(child, 0) != nil
	})
}

// TestProcTitle checks the process title Redis sets from proc-title-template, at start-up
// and after CONFIG SET.
func TestProcTitle(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()
	p, addr := testutil.StartVigil(t)
	pid := p.Cmd.Process.Pid
	port := strings.TrimPrefix(addr, "127.0.0.1:")
	if got, want := procCmdline(pid), " 127.0.0.1:"+port; !strings.HasSuffix(got, want) {
		t.Errorf("title at start-up: got %q, want <argv[0]>%s", got, want)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	if err := c.ConfigSet(ctx, "proc-title-template", "TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file}").Err(); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(procCmdline(pid))
	if len(f) != 5 || f[0] != "TEST" || !strings.HasSuffix(f[1], "vigil") || f[2] != addr || f[3] != port || f[4] != "0" {
		t.Errorf("title after CONFIG SET: got %q, want TEST <argv[0]> %s %s 0", procCmdline(pid), addr, port)
	}
	if err := c.ConfigSet(ctx, "proc-title-template", "{invalid-var}").Err(); err == nil ||
		!strings.Contains(err.Error(), "template format is invalid") {
		t.Errorf("CONFIG SET proc-title-template {invalid-var}: got %v, want template format is invalid", err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after the title changes: %v", err)
	}
}
