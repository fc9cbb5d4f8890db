package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/rs/zerolog"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/store"
)

func TestParseAOFManifest(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    string // format() of the result
		wantErr string
	}{
		{"redis 7.0 fresh", "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
			"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", ""},
		{"comments, history, any key order", "# c\ntype h seq 1 file a.1.incr.aof\nfile a.2.base.rdb seq 2 type b\nfile a.2.incr.aof seq 2 type i\nfile a.3.incr.aof seq 3 type i\n",
			"file a.2.base.rdb seq 2 type b\nfile a.1.incr.aof seq 1 type h\nfile a.2.incr.aof seq 2 type i\nfile a.3.incr.aof seq 3 type i\n", ""},
		{"unknown keys ignored", "file a seq 1 type b startoffset 0 endoffset 9\n", "file a seq 1 type b\n", ""},
		{"quoted name", "file \"my file\" seq 1 type b\n", "file \"my file\" seq 1 type b\n", ""},
		{"empty", "", "", "Found an empty AOF manifest"},
		{"blank line", "\n", "", "Invalid AOF manifest file format"},
		{"too few fields", "file a seq 1\n", "", "Invalid AOF manifest file format"},
		{"odd fields", "file a seq 1 type b x\n", "", "Invalid AOF manifest file format"},
		{"missing seq", "file a foo 1 type b\n", "", "Invalid AOF manifest file format"},
		{"path", "file ../a seq 1 type b\n", "", "File can't be a path, just a filename"},
		{"duplicate base", "file a seq 1 type b\nfile b seq 2 type b\n", "", "Found duplicate base file information"},
		{"non-monotonic", "file a seq 2 type i\nfile b seq 2 type i\n", "", "Found a non-monotonic sequence number"},
		{"unknown type", "file a seq 1 type x\n", "", "Unknown AOF file type"},
		{"no final newline", "file a seq 1 type b", "", "too long line"},
		{"unbalanced quotes", "file \"a seq 1 type b\n", "", "Invalid AOF manifest file format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseAOFManifest(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parse %q: got error %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse %q: %v", tc.in, err)
			}
			if got := string(m.format()); got != tc.want {
				t.Errorf("parse %q then format: got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestManifestRewriteSteps(t *testing.T) {
	m := &aofManifest{}
	m.installBase("appendonly.aof", true, 0)
	m.newIncr("appendonly.aof")
	if got, want := string(m.format()), "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"; got != want {
		t.Fatalf("fresh: got %q, want %q", got, want)
	}
	// a rewrite: new incr at the start, new base at the end keeping the new incr only
	m.newIncr("appendonly.aof")
	m.installBase("appendonly.aof", false, 1)
	// history order as Redis builds it: the old base pushed first, then the incr files
	want := "file appendonly.aof.2.base.aof seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.1.base.rdb seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(m.format()); got != want {
		t.Errorf("after rewrite: got %q, want %q", got, want)
	}
}

func TestAOFReader(t *testing.T) {
	set := "*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n"
	cases := []struct {
		name    string
		in      string
		want    []string
		wantErr error
		wantOff int64 // reader offset after the last complete command
	}{
		{"two commands", set + set, []string{"set a 1", "set a 1"}, nil, int64(2 * len(set))},
		{"annotation", "#TS:1700000000\r\n" + set, []string{"set a 1"}, nil, int64(len(set) + 16)},
		{"empty arg", "*2\r\n$3\r\nget\r\n$0\r\n\r\n", []string{"get "}, nil, 19},
		{"truncated in bulk", set + set[:len(set)-3], []string{"set a 1"}, errAOFTruncated, int64(len(set))},
		{"truncated in header", set + "*3\r", []string{"set a 1"}, errAOFTruncated, int64(len(set))},
		{"truncated after count", set + "*3\r\n", []string{"set a 1"}, errAOFTruncated, int64(len(set))},
		{"garbage", set + "garbage\r\n", []string{"set a 1"}, errAOFFormat, int64(len(set))},
		{"bad bulk prefix", "*1\r\n+OK\r\n", nil, errAOFFormat, 0},
		{"zero args", "*0\r\n", nil, errAOFFormat, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &aofReader{br: bufio.NewReader(strings.NewReader(tc.in))}
			var got []string
			var err error
			var off int64
			for {
				var argv [][]byte
				argv, err = r.next()
				if err != nil {
					break
				}
				off = r.off
				got = append(got, string(bytes.Join(argv, []byte(" "))))
			}
			if err == io.EOF {
				err = nil
			}
			if !errors.Is(err, tc.wantErr) || strings.Join(got, "|") != strings.Join(tc.want, "|") || off != tc.wantOff {
				t.Errorf("read %q: got %q, err %v, offset %d; want %q, err %v, offset %d", tc.in, got, err, off, tc.want, tc.wantErr, tc.wantOff)
			}
		})
	}
}

// newAOFServer starts a test server with appendonly yes in dir and loads its AOF.
func newAOFServer(t *testing.T, dir string, mutate func(*config.Server)) *testServer {
	t.Helper()
	ts := newTestServer(t, func(c *config.Server) {
		c.AppendOnly = true
		c.AppendDirname = filepath.Join(dir, "appendonlydir")
		c.AppendFsync = "always"
		if mutate != nil {
			mutate(c)
		}
	})
	if err := ts.LoadData(); err != nil {
		t.Fatalf("LoadData: %v", err)
	}
	t.Cleanup(func() {
		ts.mu.Lock()
		ts.aofShutdown()
		ts.mu.Unlock()
	})
	return ts
}

func readAOFFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func respCmd(args ...string) string {
	return string(appendMultibulk(nil, func() [][]byte {
		out := make([][]byte, len(args))
		for i, a := range args {
			out[i] = []byte(a)
		}
		return out
	}()))
}

// TestAOFIncrFormat checks the bytes Redis 7.0 writes for the same commands (compared with
// redis-server 7.0.15's appendonlydir): a SELECT before the first record and on every
// database change, MULTI/EXEC around transactions, the client's own spelling, PXAT for
// relative expiries, PUBLISH left out.
func TestAOFIncrFormat(t *testing.T) {
	dir := t.TempDir()
	ts := newAOFServer(t, dir, nil)
	c := ts.dial(t)
	c.do("set", "a", "1")
	c.do("SELECT", "3")
	c.do("set", "b", "2")
	c.do("SELECT", "0")
	c.do("MULTI")
	c.do("SET", "x", "1")
	c.do("INCR", "x")
	c.do("EXEC")
	c.do("PUBLISH", "ch", "m")
	c.do("GET", "a")
	want := respCmd("SELECT", "0") + respCmd("set", "a", "1") + respCmd("SELECT", "3") + respCmd("set", "b", "2") +
		respCmd("SELECT", "0") + respCmd("MULTI") + respCmd("SET", "x", "1") + respCmd("INCR", "x") + respCmd("EXEC")
	if got := readAOFFile(t, dir, "appendonly.aof.1.incr.aof"); got != want {
		t.Errorf("incr file:\ngot  %q\nwant %q", got, want)
	}
	if got, want := readAOFFile(t, dir, "appendonly.aof.manifest"), "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"; got != want {
		t.Errorf("manifest: got %q, want %q", got, want)
	}
}

// contentOf renders db 0..3 (keys sorted with their type and string value) via the server.
func contentOf(t *testing.T, ts *testServer) string {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []string
	for _, db := range ts.dbs[:4] {
		db.Keys.Range(func(k string, o store.Object) bool {
			v := ""
			if o.Str != nil {
				v = string(o.Str)
			}
			_, ttl := db.Expires.Get(k)
			out = append(out, fmt.Sprintf("%d %s %s %s ttl=%v", db.ID, k, o.Type, v, ttl))
			return true
		})
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestAOFRewriteAndReload(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run(fmt.Sprintf("preamble=%v", preamble), func(t *testing.T) {
			dir := t.TempDir()
			mut := func(c *config.Server) { c.AOFUseRDBPreamble = preamble }
			ts := newAOFServer(t, dir, mut)
			c := ts.dial(t)
			for i := 0; i < 300; i++ {
				c.do("SET", fmt.Sprintf("s%d", i), fmt.Sprint(i))
			}
			c.do("RPUSH", "list", "a", "b", "c")
			c.do("HSET", "hash", "f", "v")
			c.do("SADD", "set", "1", "2", "x")
			c.do("SET", "ttl", "v", "EX", "1000")
			c.do("SELECT", "2")
			c.do("SET", "db2", "v")
			if got := c.do("BGREWRITEAOF"); got != "+Background append only file rewriting started\r\n" {
				t.Fatalf("BGREWRITEAOF: got %q", got)
			}
			// writes during and after the rewrite go to the new incr file
			c.do("SET", "during", "1")
			c.do("DEL", "db2")
			aofWaitFor(t, "rewrite done", func() bool {
				ts.mu.Lock()
				defer ts.mu.Unlock()
				return !ts.aof.rewriting
			})
			c.do("SELECT", "0")
			c.do("INCR", "s1")
			c.do("LPUSH", "list", "z")
			ext := "aof"
			if preamble {
				ext = "rdb"
			}
			wantManifest := fmt.Sprintf("file appendonly.aof.2.base.%s seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n", ext)
			if got := readAOFFile(t, dir, "appendonly.aof.manifest"); got != wantManifest {
				t.Errorf("manifest: got %q, want %q", got, wantManifest)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "appendonlydir"))
			if len(entries) != 3 {
				t.Errorf("appendonlydir holds %d files, want 3 (history deleted)", len(entries))
			}
			want := contentOf(t, ts)
			ts.mu.Lock()
			ts.aofShutdown()
			ts.mu.Unlock()

			ts2 := newAOFServer(t, dir, mut)
			if got := contentOf(t, ts2); got != want {
				t.Errorf("reloaded:\ngot  %s\nwant %s", got, want)
			}
		})
	}
}

func TestAOFTruncatedTail(t *testing.T) {
	set := func(k string) string { return respCmd("set", k, "v") }
	cases := []struct {
		name      string
		files     map[string]string
		manifest  string
		truncated bool // aof-load-truncated
		wantErr   string
		wantKeys  string
		wantSize  int64 // size of the last incr file after loading, -1 to skip
	}{
		{"clean", map[string]string{"a.1.incr.aof": set("a") + set("b")}, "file a.1.incr.aof seq 1 type i\n", true, "", "a b", -1},
		{"truncated tail dropped", map[string]string{"a.1.incr.aof": set("a") + set("b")[:10]}, "file a.1.incr.aof seq 1 type i\n", true, "", "a", int64(len(set("a")))},
		{"truncated refused", map[string]string{"a.1.incr.aof": set("a") + set("b")[:10]}, "file a.1.incr.aof seq 1 type i\n", false, "Unexpected end of file reading the append only file a.1.incr.aof", "", -1},
		{"incomplete multi reverted", map[string]string{"a.1.incr.aof": set("a") + respCmd("MULTI") + set("b")}, "file a.1.incr.aof seq 1 type i\n", true, "", "a", int64(len(set("a")))},
		{"truncated not last", map[string]string{"a.1.incr.aof": set("a")[:5], "a.2.incr.aof": set("b")}, "file a.1.incr.aof seq 1 type i\nfile a.2.incr.aof seq 2 type i\n", true, "the truncated file is not the last file", "", -1},
		{"corrupt", map[string]string{"a.1.incr.aof": set("a") + "garbage\r\n" + set("b")}, "file a.1.incr.aof seq 1 type i\n", true, "Bad file format", "", -1},
		{"unknown command", map[string]string{"a.1.incr.aof": respCmd("nosuchcmd", "x")}, "file a.1.incr.aof seq 1 type i\n", true, "Unknown command 'nosuchcmd'", "", -1},
		{"missing file", map[string]string{}, "file a.1.incr.aof seq 1 type i\n", true, "doesn't exist", "", -1},
		{"aof base then incr", map[string]string{"a.1.base.aof": respCmd("SELECT", "0") + set("base"), "a.1.incr.aof": set("incr")}, "file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\n", true, "", "base incr", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			adir := filepath.Join(dir, "appendonlydir")
			os.MkdirAll(adir, 0o755)
			for name, data := range tc.files {
				os.WriteFile(filepath.Join(adir, name), []byte(data), 0o644)
			}
			os.WriteFile(filepath.Join(adir, "a.manifest"), []byte(tc.manifest), 0o644)
			ts := newTestServer(t, func(c *config.Server) {
				c.AppendOnly = true
				c.AppendDirname = adir
				c.AppendFilename = "a"
				c.AOFLoadTruncated = tc.truncated
			})
			err := ts.LoadData()
			t.Cleanup(func() {
				ts.mu.Lock()
				ts.aofShutdown()
				ts.mu.Unlock()
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ts.mu.Lock()
			var keys []string
			ts.dbs[0].Keys.Range(func(k string, _ store.Object) bool { keys = append(keys, k); return true })
			ts.mu.Unlock()
			sort.Strings(keys)
			if got := strings.Join(keys, " "); got != tc.wantKeys {
				t.Errorf("keys: got %q, want %q", got, tc.wantKeys)
			}
			if tc.wantSize >= 0 {
				st, _ := os.Stat(filepath.Join(adir, "a.1.incr.aof"))
				// the file was truncated, then reopened for appending (still that size: nothing written)
				if st.Size() != tc.wantSize {
					t.Errorf("incr size after load: got %d, want %d", st.Size(), tc.wantSize)
				}
			}
		})
	}
}

// TestAOFAlwaysGroupCommit: with appendfsync always, every reply to a write comes after the
// write is fsynced: when a client sees +OK, the file already holds its SET.
func TestAOFAlwaysGroupCommit(t *testing.T) {
	dir := t.TempDir()
	ts := newAOFServer(t, dir, nil)
	const clients, perClient = 8, 50
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	start := time.Now()
	for i := 0; i < clients; i++ {
		c := ts.dial(t)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < perClient; j++ {
				key := fmt.Sprintf("k-%d-%d", i, j)
				c.send("SET", key, "v")
				c.r.ReadString('\n')
				data, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
				if !bytes.Contains(data, []byte(key)) {
					errs <- key
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for k := range errs {
		t.Errorf("reply to SET %s arrived before the AOF held it", k)
	}
	l := ts.aof.log
	t.Logf("%d writes in %v; synced offset %d", clients*perClient, time.Since(start), l.synced.Load())
}

func TestAOFConfigSetAndBgsaveCoordination(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, func(c *config.Server) { c.AppendDirname = filepath.Join(dir, "appendonlydir") })
	c := ts.dial(t)
	c.do("SET", "before", "1")
	if got := c.do("CONFIG", "SET", "appendonly", "yes"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET appendonly yes: got %q", got)
	}
	c.do("SET", "after", "1")
	aofWaitFor(t, "first rewrite", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.aof.status == aofOn
	})
	if got, want := readAOFFile(t, dir, "appendonly.aof.manifest"), "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"; got != want {
		t.Errorf("manifest: got %q, want %q", got, want)
	}
	if got := readAOFFile(t, dir, "appendonly.aof.1.incr.aof"); got != respCmd("SELECT", "0")+respCmd("SET", "after", "1") {
		t.Errorf("incr: got %q", got)
	}
	// BGREWRITEAOF while a BGSAVE runs is scheduled; BGSAVE while a rewrite runs is refused
	ts.mu.Lock()
	ts.persist.bgsaveRunning = true
	ts.mu.Unlock()
	if got := c.do("BGREWRITEAOF"); got != "+Background append only file rewriting scheduled\r\n" {
		t.Errorf("BGREWRITEAOF during BGSAVE: got %q", got)
	}
	ts.mu.Lock()
	ts.persist.bgsaveRunning = false
	ts.aof.scheduled = false
	ts.aof.rewriting = true
	ts.mu.Unlock()
	if got := c.do("BGREWRITEAOF"); got != "-"+ErrAOFRewriteRunning+"\r\n" {
		t.Errorf("BGREWRITEAOF during rewrite: got %q", got)
	}
	if got := c.do("BGSAVE"); got != "-ERR "+errAOFChildActive.Error()+"\r\n" {
		t.Errorf("BGSAVE during rewrite: got %q", got)
	}
	if got := c.do("BGSAVE", "SCHEDULE"); got != "+Background saving scheduled\r\n" {
		t.Errorf("BGSAVE SCHEDULE during rewrite: got %q", got)
	}
	ts.mu.Lock()
	ts.aof.rewriting = false
	ts.persist.bgsaveScheduled = false
	info := ts.aofInfo()
	ts.mu.Unlock()
	if info[0] != [2]string{"aof_enabled", "1"} || len(info) != 18 {
		t.Errorf("aofInfo: got %v", info)
	}
	if got := c.do("CONFIG", "SET", "appendonly", "no"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET appendonly no: got %q", got)
	}
	c.do("SET", "off", "1")
	if got := readAOFFile(t, dir, "appendonly.aof.1.incr.aof"); strings.Contains(got, "off") {
		t.Errorf("write after appendonly no reached the AOF: %q", got)
	}
	ts.mu.Lock()
	info = ts.aofInfo()
	ts.mu.Unlock()
	if info[0] != [2]string{"aof_enabled", "0"} || len(info) != 12 {
		t.Errorf("aofInfo when off: got %v", info)
	}
}

func aofWaitFor(t *testing.T, what string, fn func() bool) {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, 5*time.Millisecond, what, fn)
}

// TestAOFEnabledInsideExec: CONFIG SET appendonly yes inside MULTI schedules the first
// rewrite (Redis's in_exec branch of startAppendOnly); the cron starts it after EXEC.
func TestAOFEnabledInsideExec(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, func(c *config.Server) { c.AppendDirname = filepath.Join(dir, "appendonlydir") })
	c := ts.dial(t)
	logged := &testutil.LockedBuffer{}
	ts.mu.Lock()
	ts.log = zerolog.New(logged)
	ts.mu.Unlock()
	c.do("MULTI")
	c.do("SET", "foo", "bar")
	c.do("CONFIG", "SET", "appendonly", "yes")
	if got, want := c.do("EXEC"), "*2\r\n+OK\r\n+OK\r\n"; got != want {
		t.Fatalf("EXEC: got %q, want %q", got, want)
	}
	if msg := logged.String(); !strings.Contains(msg, "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.") {
		t.Errorf("log: got %q, want the transaction's scheduling warning", msg)
	}
	aofWaitFor(t, "the scheduled rewrite to enable the AOF", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.aof.status == aofOn
	})
	if got := infoField(t, c, "stats", "total_forks"); got != "1" {
		t.Errorf("total_forks: got %s, want 1 (the rewrite)", got)
	}
}
