package server

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/store"
)

// fakeZSet stands in for the sorted set type: the digest only needs Range.
type fakeZSet []struct {
	m string
	s float64
}

func (z fakeZSet) Range(reverse bool, fn func(member string, score float64) bool) {
	for _, e := range z {
		if !fn(e.m, e.s) {
			return
		}
	}
}

func (z fakeZSet) Encoding() string { return "listpack" }

// TestDigestValueMatchesRedis checks DEBUG DIGEST-VALUE against digests taken from
// redis-server 7.0.15 for the same values.
func TestDigestValueMatchesRedis(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "s", "hello")
	c.do("SET", "i", "12345")
	c.do("RPUSH", "l", "a", "b", "c")
	c.do("SADD", "set", "a", "b", "c")
	c.do("SADD", "iset", "1", "2", "3")
	c.do("HSET", "h", "f1", "v1", "f2", "v2")
	c.do("SET", "t", "v")
	c.do("PEXPIREAT", "t", "99999999999999")
	ts.put(0, "z", store.Object{Type: store.TypeZSet, Ptr: fakeZSet{{"c", math.Inf(-1)}, {"a", 1.1}, {"b", 2}}})
	// redis-cli: SET s hello; SET i 12345; RPUSH l a b c; SADD set a b c; SADD iset 1 2 3;
	// HSET h f1 v1 f2 v2; ZADD z 1.1 a 2 b -inf c; SET t v; PEXPIREAT t 99999999999999
	cases := []struct{ key, want string }{
		{"s", "36b23a1456b2dce2c3ed252c456761301dba8060"},
		{"i", "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"},
		{"l", "8bf72d812571eea9b927f3c11beb0c4165a6ff89"},
		{"set", "593c2414786d75446e97f4ea5d4b731f3313da72"},
		{"iset", "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"},
		{"h", "047cc60ea73a34cde6d08a2721a4a26d19ee6570"},
		{"z", "32e97b3c33cdb278f8135d919422c3c9f833b0d3"},
		{"t", "311b17018163335616e089f6b951c82c477335ac"},
		{"missing", "0000000000000000000000000000000000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			want := "*1\r\n+" + tc.want + "\r\n"
			if got := c.do("DEBUG", "DIGEST-VALUE", tc.key); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if got, want := c.do("DEBUG", "DIGEST"), "+baed15e49f02118491b31ad849b8e5efba3e4769\r\n"; got != want {
		t.Errorf("DEBUG DIGEST: got %q, want %q", got, want)
	}
	// the same string in database 3 as well
	c.do("SELECT", "3")
	c.do("SET", "s", "hello")
	if got, want := c.do("DEBUG", "DIGEST"), "+5fb96c578e732f98e77e95b49141f3738bab86bf\r\n"; got != want {
		t.Errorf("DEBUG DIGEST with db 3: got %q, want %q", got, want)
	}
}

func TestDigestEmptyAndOrder(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	if got, want := c.do("DEBUG", "DIGEST"), "+"+strings.Repeat("0", 40)+"\r\n"; got != want {
		t.Fatalf("empty dataset: got %q, want %q", got, want)
	}
	c.do("RPUSH", "a", "x", "y")
	c.do("RPUSH", "b", "y", "x")
	c.do("SADD", "s1", "x", "y")
	c.do("SADD", "s2", "y", "x")
	got := c.do("DEBUG", "DIGEST-VALUE", "a", "b", "s1", "s2")
	parts := strings.Split(got, "\r\n")
	if len(parts) < 5 || parts[1] == parts[2] {
		t.Errorf("lists in a different order must differ: %q", got)
	}
	if len(parts) < 5 || parts[3] != parts[4] {
		t.Errorf("sets with the same members must be equal: %q", got)
	}
}

func TestDigestPrimitives(t *testing.T) {
	// mixDigest("abc") from a zero digest is SHA1(SHA1("abc")).
	var d digest
	d.mix([]byte("abc"))
	inner := sha1.Sum([]byte("abc"))
	if want := sha1.Sum(inner[:]); d != want {
		t.Errorf("mix(abc): got %s, want %s", hex.EncodeToString(d[:]), hex.EncodeToString(want[:]))
	}
	var x1, x2 digest
	x1.xor([]byte("a"))
	x1.xor([]byte("b"))
	x2.xor([]byte("b"))
	x2.xor([]byte("a"))
	if x1 != x2 {
		t.Errorf("xor digest depends on order: %x vs %x", x1, x2)
	}
	var m1, m2 digest
	m1.mix([]byte("a"))
	m1.mix([]byte("b"))
	m2.mix([]byte("b"))
	m2.mix([]byte("a"))
	if m1 == m2 {
		t.Errorf("mix digest does not depend on order")
	}
}

func TestDebugReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"DEBUG"}, "-ERR wrong number of arguments for 'debug' command\r\n"},
		{[]string{"DEBUG", "nosuch"}, "-ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.\r\n"},
		{[]string{"DEBUG", "digest", "x"}, "-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n"},
		{[]string{"DEBUG", "DIGEST-VALUE"}, "*0\r\n"},
		{[]string{"DEBUG", "sleep", "0"}, "+OK\r\n"},
		{[]string{"DEBUG", "sleep", "x"}, "+OK\r\n"},
		{[]string{"DEBUG", "object", "nokey"}, "-ERR no such key\r\n"},
		{[]string{"DEBUG", "populate", "x"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"DEBUG", "populate", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"DEBUG", "populate", "2", "k", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"DEBUG", "populate", "3", "p", "0"}, "+OK\r\n"},
		{[]string{"GET", "p:2"}, "$7\r\nvalue:2\r\n"},
		{[]string{"DEBUG", "populate", "2", "q", "10"}, "+OK\r\n"},
		{[]string{"GET", "q:1"}, "$10\r\nvalue:1\x00\x00\x00\r\n"},
		{[]string{"DEBUG", "populate", "2", "r", "3"}, "+OK\r\n"},
		{[]string{"GET", "r:1"}, "$3\r\nval\r\n"},
		{[]string{"DEBUG", "populate", "2"}, "+OK\r\n"},
		{[]string{"GET", "key:1"}, "$7\r\nvalue:1\r\n"},
		{[]string{"DBSIZE"}, ":9\r\n"},
		{[]string{"DEBUG", "ERROR", "oops\nnow"}, "-oops now\r\n"},
		{[]string{"DEBUG", "PROTOCOL", "double"}, "$5\r\n3.141\r\n"},
		{[]string{"DEBUG", "PROTOCOL", "bignum"}, "$37\r\n1234567999999999999999999999999999999\r\n"},
		{[]string{"DEBUG", "PROTOCOL", "push"}, "-ERR RESP2 is not supported by this command\r\n"},
		{[]string{"DEBUG", "PROTOCOL", "map"}, "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"},
		{[]string{"DEBUG", "PROTOCOL", "x"}, "-" + ErrDebugProtocol + "\r\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := ts.prop.take(); len(got) != 0 {
		t.Errorf("DEBUG POPULATE propagated %q, want nothing", got)
	}
}

func TestDebugProtocolRESP3(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	ts.setProto(t, c, 3)
	cases := []struct{ typ, want string }{
		{"double", ",3.141\r\n"},
		{"bignum", "(1234567999999999999999999999999999999\r\n"},
		{"null", "_\r\n"},
		{"set", "~3\r\n:0\r\n:1\r\n:2\r\n"},
		{"map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"},
		{"true", "#t\r\n"},
		{"verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			if got := c.do("DEBUG", "PROTOCOL", tc.typ); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDebugObject(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "e", "hello")
	c.do("RPUSH", "l", "a", "b", "c")
	cases := []struct{ key, pattern string }{
		{"e", `^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:\d+\r\n$`},
		{"l", `^\+Value at:0x[0-9a-f]+ refcount:1 encoding:quicklist serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+ ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:16\r\n$`},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			got := c.do("DEBUG", "OBJECT", tc.key)
			if !regexp.MustCompile(tc.pattern).MatchString(got) {
				t.Errorf("got %q, want a match for %s", got, tc.pattern)
			}
		})
	}
}

func TestDebugSetActiveExpire(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	if got := c.do("DEBUG", "SET-ACTIVE-EXPIRE", "0"); got != "+OK\r\n" {
		t.Fatalf("got %q", got)
	}
	ts.locked(func() {
		if ts.activeExpireEnabled {
			t.Error("active expiry still enabled after DEBUG SET-ACTIVE-EXPIRE 0")
		}
	})
	c.do("SET", "k", "v", "PX", "1")
	time.Sleep(5 * time.Millisecond)
	ts.locked(func() {
		ts.nowMs = time.Now().UnixMilli()
		ts.databasesCron()
		if ts.dbs[0].Keys.Len() != 1 {
			t.Error("the active expire cycle ran while disabled")
		}
	})
	c.do("DEBUG", "SET-ACTIVE-EXPIRE", "1")
	ts.locked(func() {
		ts.nowMs = time.Now().UnixMilli()
		ts.databasesCron()
		if ts.dbs[0].Keys.Len() != 0 {
			t.Error("the active expire cycle did not delete the expired key once enabled")
		}
	})
}

func TestDebugChangeReplID(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	var before string
	ts.locked(func() { before = ts.replID })
	if got := c.do("DEBUG", "CHANGE-REPL-ID"); got != "+OK\r\n" {
		t.Fatalf("got %q", got)
	}
	ts.locked(func() {
		if ts.replID == before || len(ts.replID) != 40 || ts.replID2 != zeroReplID {
			t.Errorf("got replid %q replid2 %q, want a new id and a zero replid2 (old %q)", ts.replID, ts.replID2, before)
		}
	})
}

func TestLpEntrySize(t *testing.T) {
	cases := []struct {
		elem string
		want int
	}{
		{"a", 3},     // 7-bit string: header, 1 byte, backlen
		{"7", 2},     // 7-bit uint
		{"1000", 3},  // 13-bit int
		{"-1", 3},    // 13-bit int
		{"40000", 5}, // 24-bit int
		{"01", 4},    // not canonical: a string
		{strings.Repeat("x", 63), 65},
		{strings.Repeat("x", 64), 67},
		{strings.Repeat("x", 200), 204},
	}
	for _, tc := range cases {
		if got := lpEntrySize([]byte(tc.elem)); got != tc.want {
			t.Errorf("lpEntrySize(%q): got %d, want %d", tc.elem, got, tc.want)
		}
	}
}

func TestLeadingFloatInt(t *testing.T) {
	fcases := []struct {
		in   string
		want float64
	}{{"1.5", 1.5}, {"1.5abc", 1.5}, {"x", 0}, {" 2", 2}, {"", 0}, {"-0.25s", -0.25}}
	for _, tc := range fcases {
		if got := leadingFloat(tc.in); got != tc.want {
			t.Errorf("leadingFloat(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
	icases := []struct {
		in   string
		want int64
	}{{"1", 1}, {"12x", 12}, {"x", 0}, {"-3", -3}, {"", 0}}
	for _, tc := range icases {
		if got := leadingInt([]byte(tc.in)); got != tc.want {
			t.Errorf("leadingInt(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestDebugHelpListsOnlyImplemented: every subcommand DEBUG HELP names answers
// something other than "unknown subcommand".
func TestDebugHelpListsOnlyImplemented(t *testing.T) {
	table := debugSubcommands()
	for _, line := range debugHelpLines {
		if strings.HasPrefix(line, " ") {
			continue
		}
		name := strings.ToLower(strings.Fields(line)[0])
		if _, ok := table[name]; !ok {
			t.Errorf("DEBUG HELP lists %q, which is not implemented", name)
		}
	}
}

func TestDebugPauseCronAndReplyBuffer(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"DEBUG", "PAUSE-CRON", "1"}, "+OK\r\n"},
		{[]string{"DEBUG", "PAUSE-CRON", "0"}, "+OK\r\n"},
		{[]string{"DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"}, "+OK\r\n"},
		{[]string{"DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset"}, "+OK\r\n"},
		{[]string{"DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"}, "+OK\r\n"},
		{[]string{"DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DEBUG", "REPLYBUFFER", "RESIZING", "0"}, "+OK\r\n"},
		{[]string{"DEBUG", "REPLYBUFFER", "foo", "x"}, "-ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG HELP.\r\n"},
		{[]string{"DEBUG", "POPULATE", "10", "p", "-1"}, "-ERR value is out of range, must be positive\r\n"},
	}
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
		}
	}
	// with the cron paused, an expired key is not collected in the background
	c.do("DEBUG", "PAUSE-CRON", "1")
	c.do("SET", "k", "v", "PX", "1")
	for until := time.Now().Add(2 * time.Millisecond); time.Now().Before(until); {
	} // the key's millisecond passes
	keysAfterCron := func() int {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.cron()
		return ts.dbs[0].Keys.Len()
	}
	if n := keysAfterCron(); n != 1 {
		t.Errorf("keys after a paused cron: got %d, want 1 (cron did work while paused)", n)
	}
	c.do("DEBUG", "PAUSE-CRON", "0")
	if n := keysAfterCron(); n != 0 {
		t.Errorf("keys after cron resumed: got %d, want 0 (the expired key collected)", n)
	}
}
