package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/store"
)

func TestSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "dump.rdb")
	ts := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	c := ts.dial(t)
	for i := 0; i < 100; i++ {
		c.do("SET", fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
	}
	c.do("SELECT", "2")
	c.do("SET", "indb2", "x")
	if got := c.do("SAVE"); got != "+OK\r\n" {
		t.Fatalf("SAVE: got %q", got)
	}
	if _, err := os.Stat(dump); err != nil {
		t.Fatalf("dump not written: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "temp-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}

	ts2 := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	if err := ts2.LoadDump(); err != nil {
		t.Fatal(err)
	}
	c2 := ts2.dial(t)
	if got := c2.do("GET", "k42"); got != "$3\r\nv42\r\n" {
		t.Errorf("GET k42 after load: got %q", got)
	}
	c2.do("SELECT", "2")
	if got := c2.do("GET", "indb2"); got != "$1\r\nx\r\n" {
		t.Errorf("GET indb2 after load: got %q", got)
	}
}

func TestBgsaveWhileWriting(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump.rdb")
	ts := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	c := ts.dial(t)
	for i := 0; i < 20000; i++ {
		c.send("SET", fmt.Sprintf("k%d", i), "v")
	}
	for i := 0; i < 20000; i++ {
		c.read()
	}
	if got := infoField(t, c, "stats", "total_forks"); got != "0" {
		t.Errorf("total_forks before BGSAVE: got %s, want 0", got)
	}
	if got := c.do("BGSAVE"); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: got %q", got)
	}
	// a background snapshot is where Redis forks: total_forks counts it
	if got := infoField(t, c, "stats", "total_forks"); got != "1" {
		t.Errorf("total_forks after BGSAVE: got %s, want 1", got)
	}
	// writes keep being served while the snapshot is written
	for i := 0; i < 1000; i++ {
		if got := c.do("SET", fmt.Sprintf("k%d", i), "changed"); got != "+OK\r\n" {
			t.Fatalf("SET during BGSAVE: got %q", got)
		}
	}
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, "BGSAVE to finish", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return !ts.persist.bgsaveRunning
	})
	ts.mu.Lock()
	ok := ts.persist.lastBgsaveOK
	ts.mu.Unlock()
	if !ok {
		t.Fatal("BGSAVE failed")
	}
	ts2 := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	if err := ts2.LoadDump(); err != nil {
		t.Fatal(err)
	}
	c2 := ts2.dial(t)
	if got := c2.do("GET", "k5"); got != "$1\r\nv\r\n" {
		t.Errorf("GET k5 from the snapshot: got %q, want the value at BGSAVE time", got)
	}
}

func TestLoadingGate(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	ts.mu.Lock()
	ts.persist.loading = true
	ts.mu.Unlock()
	if got, want := c.do("GET", "k"), "-LOADING Redis is loading the dataset in memory\r\n"; got != want {
		t.Errorf("GET while loading: got %q, want %q", got, want)
	}
	// Redis 7.0's PING has no loading flag: it answers -LOADING, which Sentinel counts as
	// a live instance.
	if got, want := c.do("PING"), "-LOADING Redis is loading the dataset in memory\r\n"; got != want {
		t.Errorf("PING while loading: got %q, want %q", got, want)
	}
	if got := c.do("INFO", "persistence"); !strings.Contains(got, "loading:1\r\n") {
		t.Errorf("INFO while loading lacks loading:1: %q", got)
	}
	ts.mu.Lock()
	ts.persist.loading = false
	ts.mu.Unlock()
	if got := c.do("GET", "k"); got != "$-1\r\n" {
		t.Errorf("GET after loading: got %q", got)
	}
}

// TestNoResizeWhileLoading: the databases cron leaves the tables alone while a dump
// loads (Redis runs no databasesCron then); shrinking the table that RESIZEDB sized
// would make the rest of the load rehash it back.
func TestNoResizeWhileLoading(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	db := ts.dbs[0]
	db.Keys.Reserve(1 << 16)
	db.Keys.Add("k", store.NewString([]byte("v")))
	ts.persist.loading = true
	ts.databasesCron()
	if got := db.Keys.Buckets(); got != 1<<16 {
		t.Errorf("while loading: %d buckets after the cron, want the reserved %d", got, 1<<16)
	}
	ts.persist.loading = false
	ts.databasesCron()
	if got := db.Keys.Buckets(); got == 1<<16 {
		t.Errorf("after loading: the cron did not shrink a table 1/65536 full (%d buckets)", got)
	}
}

// TestRDBKeySaveDelay: rdb-key-save-delay keeps a BGSAVE running (paused between keys
// outside the execution lock, so the server keeps serving) with the value it started
// with; a BGREWRITEAOF meanwhile is scheduled; SHUTDOWN SAVE aborts the running save
// (Redis kills the child) and makes its own.
func TestRDBKeySaveDelay(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "dump.rdb")
	ts := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	c := ts.dial(t)
	for _, k := range []string{"a", "b", "c"} {
		c.do("SET", k, "v")
	}
	if got := c.do("CONFIG", "SET", "rdb-key-save-delay", "100000000"); got != "+OK\r\n" { // 100 s a key
		t.Fatalf("CONFIG SET rdb-key-save-delay: %q", got)
	}
	if got := c.do("BGSAVE"); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: got %q", got)
	}
	c.do("CONFIG", "SET", "rdb-key-save-delay", "0") // the running save keeps its value
	if got := c.do("SET", "d", "v"); got != "+OK\r\n" {
		t.Fatalf("SET during the paused save: %q", got)
	}
	if got := infoField(t, c, "persistence", "rdb_bgsave_in_progress"); got != "1" {
		t.Errorf("rdb_bgsave_in_progress during the paused save: %s, want 1", got)
	}
	if got := c.do("BGREWRITEAOF"); got != "+Background append only file rewriting scheduled\r\n" {
		t.Errorf("BGREWRITEAOF during BGSAVE: %q", got)
	}
	done := make(chan error, 1)
	go func() { done <- ts.shutdown(ShutdownOptions{Save: true}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("SHUTDOWN SAVE during a paused BGSAVE: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SHUTDOWN SAVE did not return while a BGSAVE was paused")
	}
	ts2 := newTestServer(t, func(c *config.Server) { c.DBFilename = dump })
	if err := ts2.LoadDump(); err != nil {
		t.Fatal(err)
	}
	if got := ts2.dial(t).do("DBSIZE"); got != ":4\r\n" {
		t.Errorf("DBSIZE of the dump SHUTDOWN SAVE wrote: %q, want 4 (the save made at shutdown)", got)
	}
}
