package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/store"
)

// addZTestCommand registers ZTEST RESP3|DENYBLOCK-ON|DENYBLOCK-OFF, a test-only way to
// switch a connection to RESP3 (HELLO belongs to another family) and to make it behave
// as inside EXEC.
func addZTestCommand(ts *testServer) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.cmds.add(&Command{Name: "ztest", Arity: 2, Handler: func(c *Client) {
		switch strings.ToLower(string(c.args[1])) {
		case "resp3":
			c.w.Proto = 3
		case "denyblock-on":
			c.flags |= ClientDenyBlocking
		case "denyblock-off":
			c.flags &^= ClientDenyBlocking
		}
		c.ok()
	}})
}

type rawCase struct {
	cmd  string
	want string
}

func runRawCases(t *testing.T, c *rawClient, cases []rawCase) {
	t.Helper()
	for _, tc := range cases {
		if got := c.do(splitCmd(tc.cmd)...); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

func splitCmd(s string) []string { return strings.Fields(s) }

// Expected bytes captured from redis-server 7.0.15 after HELLO 3.
func TestZSetRESP3Replies(t *testing.T) {
	ts := newTestServer(t, nil)
	addZTestCommand(ts)
	c := ts.dial(t)
	c.do("ZTEST", "RESP3")
	runRawCases(t, c, []rawCase{
		{"ZADD r 1 a 2 b 3.5 c", ":3\r\n"},
		{"ZRANGE r 0 -1 WITHSCORES", "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"},
		{"ZRANGE r 0 -1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{"ZRANGE r 0 -1 BYSCORE WITHSCORES", "*0\r\n"},
		{"ZRANGEBYSCORE r -inf +inf WITHSCORES LIMIT 0 2", "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
		{"ZRANGE r 5 6 WITHSCORES", "*0\r\n"},
		{"ZREVRANGE r 0 0 WITHSCORES", "*1\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"},
		{"ZSCORE r c", ",3.5\r\n"},
		{"ZSCORE r nosuch", "_\r\n"},
		{"ZSCORE nokey a", "_\r\n"},
		{"ZMSCORE r a nosuch", "*2\r\n,1\r\n_\r\n"},
		{"ZINCRBY r 1 a", ",2\r\n"},
		{"ZADD r INCR 1 a", ",3\r\n"},
		{"ZADD r XX INCR 1 nosuch", "_\r\n"},
		{"ZRANK r nosuch", "_\r\n"},
		{"ZPOPMIN r", "*2\r\n$1\r\nb\r\n,2\r\n"},
		{"ZPOPMIN r 1", "*1\r\n*2\r\n$1\r\na\r\n,3\r\n"},
		{"ZPOPMIN nokey", "*0\r\n"},
		{"ZPOPMIN nokey 2", "*0\r\n"},
		{"ZPOPMAX r 0", "*0\r\n"},
		{"ZADD r 1 a 2 b 3.5 c", ":2\r\n"},
		{"ZMPOP 1 r MIN COUNT 2", "*2\r\n$1\r\nr\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
		{"ZMPOP 1 nokey MIN", "_\r\n"},
		{"BZPOPMIN r 0", "*3\r\n$1\r\nr\r\n$1\r\nc\r\n,3.5\r\n"},
		{"ZADD r 1 a 2 b 3.5 c", ":3\r\n"},
		{"BZMPOP 0 1 r MAX COUNT 1", "*2\r\n$1\r\nr\r\n*1\r\n*2\r\n$1\r\nc\r\n,3.5\r\n"},
		{"BZPOPMIN nokey 0.01", "_\r\n"},
		{"BZMPOP 0.01 1 nokey MIN", "_\r\n"},
		{"ZUNION 1 r WITHSCORES", "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
		{"ZINTER 1 r WITHSCORES", "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
		{"ZDIFF 1 r WITHSCORES", "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n"},
		{"ZRANDMEMBER r 10 WITHSCORES", "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"},
		{"ZRANDMEMBER nokey", "_\r\n"},
		{"ZSCAN r 0", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"ZADD r inf pinf -inf minf", ":2\r\n"},
		{"ZRANGE r 0 -1 WITHSCORES", "*4\r\n*2\r\n$4\r\nminf\r\n,-inf\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$4\r\npinf\r\n,inf\r\n"},
		{"ZRANDMEMBER r 100", "*4\r\n$4\r\npinf\r\n$1\r\nb\r\n$1\r\na\r\n$4\r\nminf\r\n"},
		{"ZADD one 7 only", ":1\r\n"},
		{"ZRANDMEMBER one -2 WITHSCORES", "*2\r\n*2\r\n$4\r\nonly\r\n,7\r\n*2\r\n$4\r\nonly\r\n,7\r\n"},
	})
}

func TestZSetPropagation(t *testing.T) {
	cases := []struct {
		name  string
		setup []string
		cmd   string
		want  []string
	}{
		{"zadd", nil, "ZADD k 1 a 2 b", []string{"ZADD k 1 a 2 b"}},
		{"zadd no change", []string{"ZADD k 1 a"}, "ZADD k 1 a", nil},
		{"zadd nx existing", []string{"ZADD k 1 a"}, "ZADD k NX 2 a", nil},
		{"zadd xx missing key", nil, "ZADD k XX 1 a", nil},
		{"zadd incr", []string{"ZADD k 1 a"}, "ZADD k INCR 2 a", []string{"ZADD k INCR 2 a"}},
		{"zincrby", nil, "ZINCRBY k 2 a", []string{"ZINCRBY k 2 a"}},
		{"zincrby zero", []string{"ZADD k 1 a"}, "ZINCRBY k 0 a", nil},
		{"zrem", []string{"ZADD k 1 a 2 b"}, "ZREM k a x", []string{"ZREM k a x"}},
		{"zrem nothing", []string{"ZADD k 1 a"}, "ZREM k x", nil},
		{"zremrangebyrank", []string{"ZADD k 1 a 2 b"}, "ZREMRANGEBYRANK k 0 0", []string{"ZREMRANGEBYRANK k 0 0"}},
		{"zremrangebyrank empty", []string{"ZADD k 1 a"}, "ZREMRANGEBYRANK k 5 6", nil},
		{"zremrangebyscore", []string{"ZADD k 1 a 2 b"}, "ZREMRANGEBYSCORE k 1 1", []string{"ZREMRANGEBYSCORE k 1 1"}},
		{"zremrangebylex", []string{"ZADD k 0 a 0 b"}, "ZREMRANGEBYLEX k - +", []string{"ZREMRANGEBYLEX k - +"}},
		{"zpopmin", []string{"ZADD k 1 a 2 b"}, "ZPOPMIN k", []string{"ZPOPMIN k"}},
		{"zpopmax count", []string{"ZADD k 1 a 2 b"}, "ZPOPMAX k 5", []string{"ZPOPMAX k 5"}},
		{"zpopmin missing", nil, "ZPOPMIN k", nil},
		{"zpopmin count 0", []string{"ZADD k 1 a"}, "ZPOPMIN k 0", nil},
		{"zmpop", []string{"ZADD k 1 a 2 b"}, "ZMPOP 2 x k MAX COUNT 5", []string{"ZPOPMAX k 2"}},
		{"zmpop single", []string{"ZADD k 1 a 2 b"}, "ZMPOP 1 k MIN", []string{"ZPOPMIN k 1"}},
		{"zmpop nothing", nil, "ZMPOP 1 k MIN", nil},
		{"bzpopmin served at once", []string{"ZADD k 1 a"}, "BZPOPMIN x k 0", []string{"ZPOPMIN k"}},
		{"bzpopmax served at once", []string{"ZADD k 1 a"}, "BZPOPMAX k 0", []string{"ZPOPMAX k"}},
		{"bzmpop served at once", []string{"ZADD k 1 a 2 b 3 c"}, "BZMPOP 0 1 k MIN COUNT 2", []string{"ZPOPMIN k 2"}},
		{"zunionstore", []string{"ZADD k 1 a"}, "ZUNIONSTORE d 1 k", []string{"ZUNIONSTORE d 1 k"}},
		{"zunionstore empty no dst", nil, "ZUNIONSTORE d 1 k", nil},
		{"zunionstore empty deletes dst", []string{"ZADD d 1 a"}, "ZUNIONSTORE d 1 k", []string{"ZUNIONSTORE d 1 k"}},
		{"zinterstore", []string{"ZADD k 1 a", "ZADD j 2 a"}, "ZINTERSTORE d 2 k j", []string{"ZINTERSTORE d 2 k j"}},
		{"zdiffstore", []string{"ZADD k 1 a 2 b", "ZADD j 2 a"}, "ZDIFFSTORE d 2 k j", []string{"ZDIFFSTORE d 2 k j"}},
		{"zrangestore", []string{"ZADD k 1 a 2 b"}, "ZRANGESTORE d k 0 0", []string{"ZRANGESTORE d k 0 0"}},
		{"zrangestore empty no dst", []string{"ZADD k 1 a"}, "ZRANGESTORE d k 5 6", nil},
		{"read commands", []string{"ZADD k 1 a"}, "ZRANGE k 0 -1", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			for _, s := range tc.setup {
				c.do(splitCmd(s)...)
			}
			ts.prop.take()
			c.do(splitCmd(tc.cmd)...)
			if got := ts.prop.take(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestZSetBlockingPops(t *testing.T) {
	cases := []struct {
		name      string
		block     string
		write     string
		wantReply string
		wantProp  []string
	}{
		{"bzpopmin", "BZPOPMIN k1 k2 0", "ZADD k2 1 a 2 b",
			"*3\r\n$2\r\nk2\r\n$1\r\na\r\n$1\r\n1\r\n", []string{"ZADD k2 1 a 2 b", "ZPOPMIN k2"}},
		{"bzpopmax", "BZPOPMAX k1 0", "ZADD k1 1 a 2 b",
			"*3\r\n$2\r\nk1\r\n$1\r\nb\r\n$1\r\n2\r\n", []string{"ZADD k1 1 a 2 b", "ZPOPMAX k1"}},
		{"bzmpop count", "BZMPOP 0 2 k1 k2 MIN COUNT 10", "ZADD k1 1 a 2 b",
			"*2\r\n$2\r\nk1\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
			[]string{"ZADD k1 1 a 2 b", "ZPOPMIN k1 2"}},
		{"served by zunionstore", "BZPOPMIN d 0", "ZUNIONSTORE d 1 src",
			"*3\r\n$1\r\nd\r\n$1\r\nx\r\n$1\r\n5\r\n", []string{"ZUNIONSTORE d 1 src", "ZPOPMIN d"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			blocked, writer := ts.dial(t), ts.dial(t)
			writer.do("ZADD", "src", "5", "x")
			blocked.send(splitCmd(tc.block)...)
			waitBlocked(t, ts, 1)
			ts.prop.take()
			writer.do(splitCmd(tc.write)...)
			if got := blocked.read(); got != tc.wantReply {
				t.Errorf("reply: got %q, want %q", got, tc.wantReply)
			}
			if got := ts.prop.take(); strings.Join(got, "|") != strings.Join(tc.wantProp, "|") {
				t.Errorf("propagated: got %q, want %q", got, tc.wantProp)
			}
		})
	}
}

// waitBlocked polls until n clients are blocked.
func waitBlocked(t *testing.T, ts *testServer, n int) {
	t.Helper()
	testutil.Poll(t, 5*time.Second, time.Millisecond, fmt.Sprintf("%d blocked clients", n), func() (bool, string) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		got := 0
		for _, c := range ts.clients {
			if c.block != nil {
				got++
			}
		}
		return got == n, fmt.Sprintf("%d blocked", got)
	})
}

func TestZSetBlockingOrderAndTimeout(t *testing.T) {
	ts := newTestServer(t, nil)
	addZTestCommand(ts)
	first, second, third, writer := ts.dial(t), ts.dial(t), ts.dial(t), ts.dial(t)
	first.send("BZPOPMIN", "k", "0")
	waitBlocked(t, ts, 1)
	second.send("BZMPOP", "0", "1", "k", "MAX", "COUNT", "5")
	waitBlocked(t, ts, 2)
	third.send("BZPOPMIN", "k", "0.05")
	waitBlocked(t, ts, 3)
	writer.do("ZADD", "k", "1", "a", "2", "b", "3", "c")
	if got, want := first.read(), "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"; got != want {
		t.Errorf("first: got %q, want %q", got, want)
	}
	if got, want := second.read(), "*2\r\n$1\r\nk\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"; got != want {
		t.Errorf("second: got %q, want %q", got, want)
	}
	if got, want := third.read(), "*-1\r\n"; got != want {
		t.Errorf("third (timeout): got %q, want %q", got, want)
	}
	// a wrong-type write does not serve, nor does an unrelated key
	third.send("BZPOPMIN", "s", "0")
	waitBlocked(t, ts, 1)
	writer.do("SET", "s", "x")
	writer.do("ZADD", "other", "1", "a")
	writer.do("DEL", "s")
	writer.do("ZADD", "s", "9", "z")
	if got, want := third.read(), "*3\r\n$1\r\ns\r\n$1\r\nz\r\n$1\r\n9\r\n"; got != want {
		t.Errorf("after wrong type: got %q, want %q", got, want)
	}
	// inside EXEC the timeout reply is immediate
	writer.do("ZTEST", "DENYBLOCK-ON")
	if got, want := writer.do("BZPOPMIN", "nokey", "0"), "*-1\r\n"; got != want {
		t.Errorf("deny blocking: got %q, want %q", got, want)
	}
	if got, want := writer.do("BZMPOP", "0", "1", "nokey", "MIN"), "*-1\r\n"; got != want {
		t.Errorf("deny blocking bzmpop: got %q, want %q", got, want)
	}
}

func TestZSetEncodings(t *testing.T) {
	ts := newTestServer(t, func(cfg *config.Server) { cfg.ZsetMaxListpackEntries = 4; cfg.ZsetMaxListpackValue = 8 })
	c := ts.dial(t)
	encoding := func(key string) string {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		o := ts.dbs[0].Keys.Ref(key)
		if o == nil {
			return "none"
		}
		return o.Ptr.(*store.ZSet).Encoding()
	}
	steps := []struct {
		cmd  string
		key  string
		want string
	}{
		{"ZADD a 1 x 2 y 3 z 4 w", "a", "listpack"},
		{"ZADD a 5 v", "a", "skiplist"},
		{"ZREM a v w", "a", "skiplist"},
		{"ZADD b 1 123456789", "b", "skiplist"},
		{"ZADD c 1 x", "c", "listpack"},
		{"ZADD c 1 123456789", "c", "skiplist"},
		{"ZUNIONSTORE d 1 a", "d", "listpack"},
		{"ZRANGESTORE e a 0 -1", "e", "listpack"},
		{"ZADD big 1 a 2 b 3 c 4 d 5 e", "big", "skiplist"},
		{"ZUNIONSTORE f 1 big", "f", "skiplist"},
		{"ZRANGESTORE g big 0 -1", "g", "skiplist"},
		{"ZINTERSTORE h 1 big", "h", "skiplist"},
		{"ZDIFFSTORE i 1 big", "i", "skiplist"},
		{"ZRANGESTORE j big 0 1", "j", "listpack"},
	}
	for _, s := range steps {
		c.do(splitCmd(s.cmd)...)
		if got := encoding(s.key); got != s.want {
			t.Errorf("%s: encoding of %s got %s, want %s", s.cmd, s.key, got, s.want)
		}
	}
}

func TestZSetOpsWithSetInputs(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SADD", "s", "a", "b", "c")
	runRawCases(t, c, []rawCase{
		{"ZADD z 5 a 7 d", ":2\r\n"},
		{"ZUNION 2 s z WITHSCORES", "*8\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n6\r\n$1\r\nd\r\n$1\r\n7\r\n"},
		{"ZINTER 2 s z WEIGHTS 10 1 WITHSCORES", "*2\r\n$1\r\na\r\n$2\r\n15\r\n"},
		{"ZDIFF 2 s z WITHSCORES", "*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n1\r\n"},
		{"ZINTERCARD 2 z s", ":1\r\n"},
		{"ZUNIONSTORE d 1 s", ":3\r\n"},
		{"ZRANGE s 0 -1", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	})
}

func TestParseFloatArg(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+2", 2, true}, {".5", .5, true}, {"5.", 5, true},
		{"1e3", 1000, true}, {"0x10", 16, true}, {"0x1p-2", .25, true}, {"inf", posInf(), true},
		{"-Infinity", -posInf(), true}, {"1e-310", 1e-310, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"nan", 0, false}, {"1e400", 0, false},
		{"1e-400", 0, false}, {"0x", 0, false}, {"1e", 0, false}, {"abc", 0, false}, {"1\x00", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseFloatArg([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseFloatArg(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func posInf() float64 { f, _, _ := strtod([]byte("inf")); return f }
