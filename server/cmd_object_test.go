package server

import (
	"strconv"
	"strings"
	"testing"
)

func TestObjectReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	for _, args := range [][]string{
		{"SET", "int", "123"}, {"SET", "big", "123456"}, {"SET", "emb", "hello"},
		{"SET", "raw", strings.Repeat("a", 45)}, {"SET", "neg", "-1"}, {"SET", "edge", "10000"},
		{"RPUSH", "list", "a"}, {"SADD", "intset", "1"}, {"SADD", "set", "a"}, {"HSET", "hash", "f", "v"},
	} {
		c.do(args...)
	}
	const lfuIdle = "-" + ErrLFUIdleTime + "\r\n"
	const noLFU = "-" + ErrLFUNotSelected + "\r\n"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"OBJECT"}, "-ERR wrong number of arguments for 'object' command\r\n"},
		{[]string{"OBJECT", "nosuch"}, "-ERR unknown subcommand 'nosuch'. Try OBJECT HELP.\r\n"},
		{[]string{"OBJECT", "ENCODING"}, "-ERR wrong number of arguments for 'object|encoding' command\r\n"},
		{[]string{"OBJECT", "help", "x"}, "-ERR wrong number of arguments for 'object|help' command\r\n"},
		{[]string{"OBJECT", "ENCODING", "nokey"}, "$-1\r\n"},
		{[]string{"OBJECT", "REFCOUNT", "nokey"}, "$-1\r\n"},
		{[]string{"OBJECT", "IDLETIME", "nokey"}, "$-1\r\n"},
		{[]string{"OBJECT", "FREQ", "nokey"}, "$-1\r\n"},
		{[]string{"OBJECT", "ENCODING", "int"}, "$3\r\nint\r\n"},
		{[]string{"OBJECT", "ENCODING", "big"}, "$3\r\nint\r\n"},
		{[]string{"OBJECT", "ENCODING", "emb"}, "$6\r\nembstr\r\n"},
		{[]string{"OBJECT", "ENCODING", "raw"}, "$3\r\nraw\r\n"},
		{[]string{"OBJECT", "ENCODING", "list"}, "$9\r\nquicklist\r\n"},
		{[]string{"OBJECT", "ENCODING", "intset"}, "$6\r\nintset\r\n"},
		{[]string{"OBJECT", "ENCODING", "set"}, "$9\r\nhashtable\r\n"},
		{[]string{"OBJECT", "ENCODING", "hash"}, "$8\r\nlistpack\r\n"},
		{[]string{"object", "encoding", "INT"}, "$-1\r\n"},
		{[]string{"OBJECT", "REFCOUNT", "int"}, ":2147483647\r\n"},
		{[]string{"OBJECT", "REFCOUNT", "big"}, ":1\r\n"},
		{[]string{"OBJECT", "REFCOUNT", "neg"}, ":1\r\n"},
		{[]string{"OBJECT", "REFCOUNT", "edge"}, ":1\r\n"},
		{[]string{"OBJECT", "REFCOUNT", "emb"}, ":1\r\n"},
		{[]string{"OBJECT", "IDLETIME", "emb"}, ":0\r\n"},
		{[]string{"OBJECT", "FREQ", "emb"}, noLFU},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}, "+OK\r\n"},
		{[]string{"OBJECT", "IDLETIME", "emb"}, lfuIdle},
		{[]string{"OBJECT", "FREQ", "emb"}, ":0\r\n"},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "noeviction"}, "+OK\r\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := c.do(tc.args...)
			// the LRU clock ticks in whole seconds: a key created a few ms ago may
			// already read as idle for 1 s when the tick falls in between
			idleTick := len(tc.args) > 1 && strings.EqualFold(tc.args[1], "IDLETIME") && tc.want == ":0\r\n" && got == ":1\r\n"
			if got != tc.want && !idleTick {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	ts.setProto(t, c, 3)
	if got := c.do("OBJECT", "ENCODING", "nokey"); got != "_\r\n" {
		t.Errorf("RESP3 missing key: got %q, want %q", got, "_\r\n")
	}
}

func TestObjectHelp(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	got := c.do("OBJECT", "HELP")
	if !strings.HasPrefix(got, "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n") ||
		!strings.HasSuffix(got, "+HELP\r\n+    Prints this help.\r\n") {
		t.Errorf("got %q", got)
	}
}

func TestObjectDoesNotTouchLRU(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "k", "v")
	ts.locked(func() { ts.dbs[0].Keys.Ref("k").LRU = 1 })
	c.do("OBJECT", "ENCODING", "k")
	c.do("OBJECT", "IDLETIME", "k")
	ts.locked(func() {
		if lru := ts.dbs[0].Keys.Ref("k").LRU; lru != 1 {
			t.Errorf("OBJECT touched the LRU clock: got %d, want 1", lru)
		}
	})
}

// TestRestoreIdletimeFreq checks RESTORE's IDLETIME (LRU policies) and FREQ (LFU
// policies), read back with OBJECT IDLETIME and OBJECT FREQ.
func TestRestoreIdletimeFreq(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "foo", "bar")
	dump := c.do("DUMP", "foo")
	n, err := strconv.Atoi(dump[1:strings.Index(dump, "\r\n")])
	if err != nil || !strings.HasPrefix(dump, "$") {
		t.Fatalf("DUMP: %q", dump)
	}
	payload := dump[strings.Index(dump, "\r\n")+2:][:n]
	c.do("DEL", "foo")
	c.do("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	if got := c.do("RESTORE", "foo", "0", payload, "IDLETIME", "1000"); got != "+OK\r\n" {
		t.Fatalf("RESTORE IDLETIME: %q", got)
	}
	// the LRU clock counts seconds: one may tick between RESTORE and OBJECT
	if got := c.do("OBJECT", "IDLETIME", "foo"); got != ":1000\r\n" && got != ":1001\r\n" {
		t.Errorf("OBJECT IDLETIME after RESTORE IDLETIME 1000: %q", got)
	}
	c.do("DEL", "foo")
	c.do("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	if got := c.do("RESTORE", "foo", "0", payload, "FREQ", "100"); got != "+OK\r\n" {
		t.Fatalf("RESTORE FREQ: %q", got)
	}
	if got := c.do("OBJECT", "FREQ", "foo"); got != ":100\r\n" {
		t.Errorf("OBJECT FREQ after RESTORE FREQ 100: %q", got)
	}
}
