package server

import (
	"strings"
	"testing"
)

// TestDebugHTStats checks DEBUG HTSTATS and HTSTATS-KEY: Redis's report for a database
// and for a hashtable set, and their errors.
func TestDebugHTStats(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	args := []string{"SADD", "big"}
	for i := 0; i < 600; i++ { // past set-max-intset-entries, with a non-integer member
		args = append(args, "m"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+strings.Repeat("y", i/26))
	}
	c.do(args...)
	c.do("HSET", "small", "f", "v")
	if got := c.do("DEBUG", "HTSTATS-KEY", "big"); !strings.Contains(got, "Hash table 0 stats (main hash table):\n table size: ") ||
		!strings.Contains(got, " different slots: ") || !strings.Contains(got, " max chain length: ") {
		t.Errorf("DEBUG HTSTATS-KEY big: %q", got)
	}
	if got := c.do("DEBUG", "HTSTATS", "0"); !strings.Contains(got, "[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 4\n number of elements: 2\n") ||
		!strings.Contains(got, "[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n") {
		t.Errorf("DEBUG HTSTATS 0: %q", got)
	}
	hsRunSteps(t, c, []hsStep{
		{[]string{"DEBUG", "HTSTATS-KEY", "small"}, "-ERR The value stored at the specified key is not represented using an hash table\r\n"},
		{[]string{"DEBUG", "HTSTATS-KEY", "nokey"}, "-ERR no such key\r\n"},
		{[]string{"DEBUG", "HTSTATS", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DEBUG", "HTSTATS", "99"}, "-ERR Out of range database\r\n"},
	})
}

// TestDebugLoadAOF checks DEBUG LOADAOF: the dataset is replaced by what the AOF holds.
func TestDebugLoadAOF(t *testing.T) {
	ts := newAOFServer(t, t.TempDir(), nil)
	c := ts.dial(t)
	c.do("SET", "k", "v")
	c.do("RPUSH", "l", "a", "b")
	ts.mu.Lock()
	ts.dbs[0].Keys.Delete("k") // behind the AOF's back: LOADAOF brings it back
	ts.mu.Unlock()
	hsRunSteps(t, c, []hsStep{
		{[]string{"DEBUG", "LOADAOF"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$1\r\nv\r\n"},
		{[]string{"LRANGE", "l", "0", "-1"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{[]string{"DBSIZE"}, ":2\r\n"},
	})
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dirty != 0 {
		t.Errorf("dirty after DEBUG LOADAOF: %d, want 0", ts.dirty)
	}
}
