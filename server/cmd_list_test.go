package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// step is one command sent on a connection and the raw reply expected.
type step struct {
	args []string
	want string
}

func cmd(args ...string) []string { return args }

func runSteps(t *testing.T, c *rawClient, steps []step) {
	t.Helper()
	for _, s := range steps {
		if got := c.do(s.args...); got != s.want {
			t.Errorf("%s: got %q, want %q", strings.Join(s.args, " "), got, s.want)
		}
	}
}

func TestListCommandReplies(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"push and range", []step{
			{cmd("LPUSH", "l", "a", "b"), ":2\r\n"},
			{cmd("RPUSH", "l", "c"), ":3\r\n"},
			{cmd("LRANGE", "l", "0", "-1"), "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n"},
			{cmd("LRANGE", "l", "-2", "100"), "*2\r\n$1\r\na\r\n$1\r\nc\r\n"},
			{cmd("LRANGE", "l", "2", "1"), "*0\r\n"},
			{cmd("LRANGE", "nokey", "0", "-1"), "*0\r\n"},
			{cmd("LRANGE", "l", "0", "x"), "-ERR value is not an integer or out of range\r\n"},
			{cmd("LLEN", "l"), ":3\r\n"},
			{cmd("LPUSHX", "nokey", "a"), ":0\r\n"},
			{cmd("RPUSHX", "l", "d"), ":4\r\n"},
		}},
		{"wrong type", []step{
			{cmd("SET", "s", "v"), "+OK\r\n"},
			{cmd("LPUSH", "s", "a"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
			{cmd("LLEN", "s"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
			{cmd("LPOP", "s", "x"), "-ERR value is out of range, must be positive\r\n"},
		}},
		{"pop with count", []step{
			{cmd("RPUSH", "p", "a", "b", "c"), ":3\r\n"},
			{cmd("LPOP", "p", "0"), "*0\r\n"},
			{cmd("RPOP", "p", "2"), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"},
			{cmd("LPOP", "p"), "$1\r\na\r\n"},
			{cmd("LPOP", "p"), "$-1\r\n"},
			{cmd("LPOP", "p", "0"), "*-1\r\n"},
			{cmd("LPOP", "p", "-1"), "-ERR value is out of range, must be positive\r\n"},
			{cmd("LPOP", "p", "1", "2"), "-ERR wrong number of arguments for 'lpop' command\r\n"},
		}},
		{"index set insert", []step{
			{cmd("RPUSH", "i", "a", "b", "c"), ":3\r\n"},
			{cmd("LINDEX", "i", "-1"), "$1\r\nc\r\n"},
			{cmd("LINDEX", "i", "3"), "$-1\r\n"},
			{cmd("LINDEX", "nokey", "x"), "$-1\r\n"},
			{cmd("LSET", "i", "1", "B"), "+OK\r\n"},
			{cmd("LSET", "i", "3", "x"), "-ERR index out of range\r\n"},
			{cmd("LSET", "nokey", "0", "x"), "-ERR no such key\r\n"},
			{cmd("LINSERT", "i", "AFTER", "B", "b2"), ":4\r\n"},
			{cmd("LINSERT", "i", "BEFORE", "zz", "x"), ":-1\r\n"},
			{cmd("LINSERT", "nokey", "BEFORE", "zz", "x"), ":0\r\n"},
			{cmd("LINSERT", "i", "MIDDLE", "a", "x"), "-ERR syntax error\r\n"},
			{cmd("LRANGE", "i", "0", "-1"), "*4\r\n$1\r\na\r\n$1\r\nB\r\n$2\r\nb2\r\n$1\r\nc\r\n"},
		}},
		{"lpos", []step{
			{cmd("RPUSH", "q", "a", "b", "c", "1", "2", "3", "c", "c"), ":8\r\n"},
			{cmd("LPOS", "q", "c"), ":2\r\n"},
			{cmd("LPOS", "q", "c", "RANK", "-1"), ":7\r\n"},
			{cmd("LPOS", "q", "c", "COUNT", "0"), "*3\r\n:2\r\n:6\r\n:7\r\n"},
			{cmd("LPOS", "q", "c", "COUNT", "2", "RANK", "2"), "*2\r\n:6\r\n:7\r\n"},
			{cmd("LPOS", "q", "c", "MAXLEN", "2"), "$-1\r\n"},
			{cmd("LPOS", "q", "c", "RANK", "0"), "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"},
			{cmd("LPOS", "q", "c", "COUNT", "-1"), "-ERR COUNT can't be negative\r\n"},
			{cmd("LPOS", "q", "c", "MAXLEN", "x"), "-ERR MAXLEN can't be negative\r\n"},
			{cmd("LPOS", "nokey", "c", "COUNT", "1"), "*0\r\n"},
		}},
		{"lrem ltrim", []step{
			{cmd("RPUSH", "r", "x", "a", "x", "b", "x"), ":5\r\n"},
			{cmd("LREM", "r", "-2", "x"), ":2\r\n"},
			{cmd("LRANGE", "r", "0", "-1"), "*3\r\n$1\r\nx\r\n$1\r\na\r\n$1\r\nb\r\n"},
			{cmd("LTRIM", "r", "1", "-1"), "+OK\r\n"},
			{cmd("LRANGE", "r", "0", "-1"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
			{cmd("LTRIM", "r", "5", "10"), "+OK\r\n"},
			{cmd("LLEN", "r"), ":0\r\n"},
		}},
		{"move", []step{
			{cmd("RPUSH", "src", "1", "2"), ":2\r\n"},
			{cmd("LMOVE", "src", "dst", "LEFT", "RIGHT"), "$1\r\n1\r\n"},
			{cmd("RPOPLPUSH", "src", "dst"), "$1\r\n2\r\n"},
			{cmd("LMOVE", "src", "dst", "LEFT", "RIGHT"), "$-1\r\n"},
			{cmd("LMOVE", "dst", "dst", "LEFT", "RIGHT"), "$1\r\n2\r\n"},
			{cmd("LRANGE", "dst", "0", "-1"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
			{cmd("LMOVE", "dst", "dst", "UP", "RIGHT"), "-ERR syntax error\r\n"},
		}},
		{"lmpop", []step{
			{cmd("RPUSH", "m2", "a", "b", "c"), ":3\r\n"},
			{cmd("LMPOP", "2", "m1", "m2", "RIGHT", "COUNT", "2"), "*2\r\n$2\r\nm2\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"},
			{cmd("LMPOP", "1", "m1", "LEFT"), "*-1\r\n"},
			{cmd("LMPOP", "0", "m1", "LEFT"), "-ERR numkeys should be greater than 0\r\n"},
			{cmd("LMPOP", "1", "m1", "LEFT", "COUNT", "0"), "-ERR count should be greater than 0\r\n"},
			{cmd("LMPOP", "5", "m1", "LEFT"), "-ERR syntax error\r\n"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			runSteps(t, ts.dial(t), tc.steps)
		})
	}
}

// TestListPropagation checks the exact records each write command feeds the stream.
func TestListPropagation(t *testing.T) {
	cases := []struct {
		name  string
		setup [][]string
		run   [][]string
		want  []string
	}{
		{"lpush", nil, [][]string{{"LPUSH", "k", "a", "b"}}, []string{"LPUSH k a b"}},
		{"rpush", nil, [][]string{{"rpush", "k", "a"}}, []string{"rpush k a"}},
		{"lpushx missing not propagated", nil, [][]string{{"LPUSHX", "k", "a"}}, nil},
		{"rpushx", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"RPUSHX", "k", "b"}}, []string{"RPUSHX k b"}},
		{"lpop", [][]string{{"RPUSH", "k", "a", "b"}}, [][]string{{"LPOP", "k"}}, []string{"LPOP k"}},
		{"rpop count", [][]string{{"RPUSH", "k", "a", "b"}}, [][]string{{"RPOP", "k", "5"}}, []string{"RPOP k 5"}},
		{"lpop count 0 not propagated", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"LPOP", "k", "0"}}, nil},
		{"lpop missing not propagated", nil, [][]string{{"LPOP", "k"}}, nil},
		{"lset", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"LSET", "k", "0", "b"}}, []string{"LSET k 0 b"}},
		{"linsert", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"LINSERT", "k", "BEFORE", "a", "b"}, {"LINSERT", "k", "BEFORE", "zz", "b"}}, []string{"LINSERT k BEFORE a b"}},
		{"lrem", [][]string{{"RPUSH", "k", "a", "a"}}, [][]string{{"LREM", "k", "0", "a"}, {"LREM", "k", "0", "a"}}, []string{"LREM k 0 a"}},
		{"ltrim", [][]string{{"RPUSH", "k", "a", "b", "c"}}, [][]string{{"LTRIM", "k", "0", "-1"}, {"LTRIM", "k", "1", "-1"}}, []string{"LTRIM k 1 -1"}},
		{"lmove", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"LMOVE", "k", "d", "left", "RIGHT"}}, []string{"LMOVE k d left RIGHT"}},
		{"rpoplpush", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"RPOPLPUSH", "k", "d"}}, []string{"RPOPLPUSH k d"}},
		{"lmpop", [][]string{{"RPUSH", "k", "a", "b", "c"}}, [][]string{{"LMPOP", "2", "x", "k", "RIGHT", "COUNT", "5"}}, []string{"RPOP k 3"}},
		{"blpop with data", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"BLPOP", "x", "k", "0"}}, []string{"LPOP k"}},
		{"brpop with data", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"BRPOP", "k", "1"}}, []string{"RPOP k"}},
		{"blmove with data", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"BLMOVE", "k", "d", "RIGHT", "LEFT", "0"}}, []string{"LMOVE k d right left"}},
		{"brpoplpush with data", [][]string{{"RPUSH", "k", "a"}}, [][]string{{"BRPOPLPUSH", "k", "d", "0"}}, []string{"RPOPLPUSH k d"}},
		{"blmpop with data", [][]string{{"RPUSH", "k", "a", "b"}}, [][]string{{"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1"}}, []string{"LPOP k 1"}},
		{"blpop timeout not propagated", nil, [][]string{{"BLPOP", "k", "0.01"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			for _, a := range tc.setup {
				c.do(a...)
			}
			ts.prop.take()
			for _, a := range tc.run {
				c.do(a...)
			}
			if got := ts.prop.take(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// blockedOn returns how many clients are blocked on key in db 0.
func (ts *testServer) blockedOn(key string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.dbState[0].blocking[key])
}

// waitBlocked polls the server until n clients are blocked on key.
func (ts *testServer) waitBlocked(t *testing.T, key string, n int) {
	t.Helper()
	testutil.Poll(t, 5*time.Second, time.Millisecond, fmt.Sprintf("%d clients blocked on %q", n, key), func() (bool, string) {
		got := ts.blockedOn(key)
		return got == n, fmt.Sprintf("%d blocked", got)
	})
}

// serverSide returns the server's Client for rc (matched by address).
func (ts *testServer) serverSide(t *testing.T, rc *rawClient) *Client {
	t.Helper()
	rc.do("PING")
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, c := range ts.clients {
		if c.addr == rc.conn.LocalAddr().String() {
			return c
		}
	}
	t.Fatal("client not found on the server")
	return nil
}

func TestBlockingPopServedByPush(t *testing.T) {
	ts := newTestServer(t, nil)
	blocked, pusher := ts.dial(t), ts.dial(t)
	blocked.send("BLPOP", "k1", "k2", "0")
	ts.waitBlocked(t, "k2", 1)
	ts.prop.take()
	if got, want := pusher.do("RPUSH", "k2", "a", "b"), ":2\r\n"; got != want {
		t.Fatalf("RPUSH: got %q, want %q", got, want)
	}
	if got, want := blocked.read(), "*2\r\n$2\r\nk2\r\n$1\r\na\r\n"; got != want {
		t.Errorf("BLPOP reply: got %q, want %q", got, want)
	}
	if got, want := ts.prop.take(), []string{"RPUSH k2 a b", "LPOP k2"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("propagated: got %q, want %q", got, want)
	}
	if n := ts.blockedOn("k1"); n != 0 {
		t.Errorf("still registered on k1 after being served: got %d, want 0", n)
	}
	// the served client keeps working
	if got, want := blocked.do("LRANGE", "k2", "0", "-1"), "*1\r\n$1\r\nb\r\n"; got != want {
		t.Errorf("LRANGE after serving: got %q, want %q", got, want)
	}
}

// TestBlockingKeyExpiredInExec: a key EXEC pushed to and gave a TTL that passed before
// EXEC ended is expired when the blocked client would be served (Redis serves ready keys at
// the current time): the client stays blocked, the key is deleted and DEL propagated.
func TestBlockingKeyExpiredInExec(t *testing.T) {
	ts := newTestServer(t, nil)
	blocked, c := ts.dial(t), ts.dial(t)
	c.do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	blocked.send("BRPOP", "k", "0")
	ts.waitBlocked(t, "k", 1)
	ts.prop.take()
	for _, cmd := range [][]string{{"MULTI"}, {"RPUSH", "k", "hello"}, {"PEXPIRE", "k", "20"}, {"DEBUG", "SLEEP", "0.05"}} {
		c.do(cmd...)
	}
	if got, want := c.do("EXEC"), "*3\r\n:1\r\n:1\r\n+OK\r\n"; got != want {
		t.Fatalf("EXEC: got %q, want %q", got, want)
	}
	if n := ts.blockedOn("k"); n != 1 {
		t.Errorf("clients blocked on k after EXEC: got %d, want 1 (the key had expired)", n)
	}
	got := strings.Join(ts.prop.take(), "|")
	if !strings.HasSuffix(got, "EXEC|DEL k") {
		t.Errorf("propagated: got %q, want the transaction then DEL k", got)
	}
	if got := c.do("EXISTS", "k"); got != ":0\r\n" {
		t.Errorf("EXISTS k: got %q, want :0", got)
	}
}

func TestBlockingFIFOAmongClients(t *testing.T) {
	ts := newTestServer(t, nil)
	clients := []*rawClient{ts.dial(t), ts.dial(t), ts.dial(t)}
	cmds := [][]string{{"BRPOP", "k", "0"}, {"BLPOP", "other", "k", "0"}, {"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"}}
	for i, c := range clients {
		c.send(cmds[i]...)
		ts.waitBlocked(t, "k", i+1)
	}
	pusher := ts.dial(t)
	ts.prop.take()
	pusher.do("RPUSH", "k", "a", "b", "c", "d", "e")
	want := []string{
		"*2\r\n$1\r\nk\r\n$1\r\ne\r\n",
		"*2\r\n$1\r\nk\r\n$1\r\na\r\n",
		"*2\r\n$1\r\nk\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
	}
	for i, c := range clients {
		if got := c.read(); got != want[i] {
			t.Errorf("client %d (%s): got %q, want %q", i, strings.Join(cmds[i], " "), got, want[i])
		}
	}
	wantProp := []string{"RPUSH k a b c d e", "RPOP k", "LPOP k", "LPOP k 2"}
	if got := ts.prop.take(); strings.Join(got, "|") != strings.Join(wantProp, "|") {
		t.Errorf("propagated: got %q, want %q", got, wantProp)
	}
	if got, want := pusher.do("LRANGE", "k", "0", "-1"), "*1\r\n$1\r\nd\r\n"; got != want {
		t.Errorf("left over: got %q, want %q", got, want)
	}
}

func TestBlockingOnlyAsManyAsElements(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t), ts.dial(t)
	a.send("BLPOP", "k", "0")
	ts.waitBlocked(t, "k", 1)
	b.send("BLPOP", "k", "0")
	ts.waitBlocked(t, "k", 2)
	pusher := ts.dial(t)
	pusher.do("LPUSH", "k", "x")
	if got, want := a.read(), "*2\r\n$1\r\nk\r\n$1\r\nx\r\n"; got != want {
		t.Errorf("first client: got %q, want %q", got, want)
	}
	ts.waitBlocked(t, "k", 1)
	pusher.do("LPUSH", "k", "y")
	if got, want := b.read(), "*2\r\n$1\r\nk\r\n$1\r\ny\r\n"; got != want {
		t.Errorf("second client: got %q, want %q", got, want)
	}
}

func TestBlockingTimeouts(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "k", "0.01"}, "*-1\r\n"},
		{[]string{"BRPOP", "k", "k2", "0.01"}, "*-1\r\n"},
		{[]string{"BLMPOP", "0.01", "1", "k", "LEFT"}, "*-1\r\n"},
		{[]string{"BLMOVE", "k", "d", "LEFT", "RIGHT", "0.01"}, "*-1\r\n"},
		{[]string{"BRPOPLPUSH", "k", "d", "0.01"}, "*-1\r\n"},
	}
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	for _, tc := range cases {
		t.Run(tc.args[0], func(t *testing.T) {
			start := time.Now()
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			t.Logf("timed out after %v", time.Since(start))
			if n := ts.blockedOn("k"); n != 0 {
				t.Errorf("still registered after timeout: got %d, want 0", n)
			}
		})
	}
}

func TestBlockingTinyTimeoutTimesOut(t *testing.T) {
	// Redis 7.0.15 rounds timeout*1000 up: 0.0009 s waits 1 ms and times out (the suite's
	// "BLPOP: with 0.001 timeout should not block indefinitely"); -0.0009 is 0, forever.
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	if got := c.do("BLPOP", "k", "0.0009"); got != "*-1\r\n" {
		t.Errorf("BLPOP k 0.0009: got %q, want the null array of a timeout", got)
	}
	sc := ts.serverSide(t, c)
	c.send("BLPOP", "k", "-0.0009")
	ts.waitBlocked(t, "k", 1)
	ts.mu.Lock()
	forever := sc.block != nil && sc.block.deadline.IsZero()
	ts.mu.Unlock()
	if !forever {
		t.Error("BLPOP k -0.0009: got a deadline, want none (block forever)")
	}
}

func TestBlockedClientDisconnect(t *testing.T) {
	ts := newTestServer(t, nil)
	gone, stays := ts.dial(t), ts.dial(t)
	gone.send("BLPOP", "k", "0")
	ts.waitBlocked(t, "k", 1)
	stays.send("BLPOP", "k", "0")
	ts.waitBlocked(t, "k", 2)
	gone.conn.Close()
	ts.waitBlocked(t, "k", 1)
	pusher := ts.dial(t)
	pusher.do("RPUSH", "k", "v")
	if got, want := stays.read(), "*2\r\n$1\r\nk\r\n$1\r\nv\r\n"; got != want {
		t.Errorf("remaining client: got %q, want %q", got, want)
	}
	if got, want := pusher.do("LLEN", "k"), ":0\r\n"; got != want {
		t.Errorf("LLEN: got %q, want %q (the element went to the live client)", got, want)
	}
}

func TestBlockingMoveChain(t *testing.T) {
	ts := newTestServer(t, nil)
	mover, second, third, popper := ts.dial(t), ts.dial(t), ts.dial(t), ts.dial(t)
	mover.send("BLMOVE", "src", "mid", "LEFT", "RIGHT", "0")
	ts.waitBlocked(t, "src", 1)
	second.send("BRPOPLPUSH", "mid", "dst", "0")
	ts.waitBlocked(t, "mid", 1)
	third.send("BLMPOP", "0", "2", "foo", "dst", "RIGHT", "COUNT", "3")
	ts.waitBlocked(t, "dst", 1)
	popper.send("BLPOP", "src", "0")
	ts.waitBlocked(t, "src", 2)

	pusher := ts.dial(t)
	ts.prop.take()
	pusher.do("RPUSH", "src", "1", "2", "3")
	want := map[*rawClient]string{
		mover:  "$1\r\n1\r\n",
		second: "$1\r\n1\r\n",
		third:  "*2\r\n$3\r\ndst\r\n*1\r\n$1\r\n1\r\n",
		popper: "*2\r\n$3\r\nsrc\r\n$1\r\n2\r\n",
	}
	for c, w := range want {
		if got := c.read(); got != w {
			t.Errorf("got %q, want %q", got, w)
		}
	}
	// Redis serves every client of src before the keys src's clients made ready.
	wantProp := []string{"RPUSH src 1 2 3", "LMOVE src mid left right", "LPOP src", "RPOPLPUSH mid dst", "RPOP dst 1"}
	if got := ts.prop.take(); strings.Join(got, "|") != strings.Join(wantProp, "|") {
		t.Errorf("propagated: got %q, want %q", got, wantProp)
	}
	if got, want := pusher.do("LRANGE", "src", "0", "-1"), "*1\r\n$1\r\n3\r\n"; got != want {
		t.Errorf("src: got %q, want %q", got, want)
	}
}

func TestBlockingMoveWrongTypeDestination(t *testing.T) {
	ts := newTestServer(t, nil)
	mover, popper, pusher := ts.dial(t), ts.dial(t), ts.dial(t)
	pusher.do("SET", "dst", "string")
	mover.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
	ts.waitBlocked(t, "src", 1)
	popper.send("BLPOP", "src", "0")
	ts.waitBlocked(t, "src", 2)
	pusher.do("RPUSH", "src", "x", "y")
	if got, want := mover.read(), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"; got != want {
		t.Errorf("BLMOVE: got %q, want %q", got, want)
	}
	if got, want := popper.read(), "*2\r\n$3\r\nsrc\r\n$1\r\nx\r\n"; got != want {
		t.Errorf("BLPOP: got %q, want %q", got, want)
	}
}

func TestBlockingMultiKeyServedByFirstReady(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b, pusher := ts.dial(t), ts.dial(t), ts.dial(t)
	a.send("BRPOP", "k1", "k2", "0")
	ts.waitBlocked(t, "k2", 1)
	b.send("BRPOP", "k2", "k1", "0")
	ts.waitBlocked(t, "k2", 2)
	pusher.do("RPUSH", "k2", "y")
	if got, want := a.read(), "*2\r\n$2\r\nk2\r\n$1\r\ny\r\n"; got != want {
		t.Errorf("first blocked client: got %q, want %q", got, want)
	}
	pusher.do("RPUSH", "k1", "x")
	if got, want := b.read(), "*2\r\n$2\r\nk1\r\n$1\r\nx\r\n"; got != want {
		t.Errorf("second blocked client: got %q, want %q", got, want)
	}
}

func TestBlockingDeniedInsideExec(t *testing.T) {
	// EXEC sets ClientDenyBlocking: blocking commands reply as on timeout, at once.
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "k", "0"}, "*-1\r\n"},
		{[]string{"BRPOP", "k", "0"}, "*-1\r\n"},
		{[]string{"BLMPOP", "0", "1", "k", "LEFT"}, "*-1\r\n"},
		{[]string{"BLMOVE", "k", "d", "LEFT", "RIGHT", "0"}, "$-1\r\n"},
		{[]string{"BRPOPLPUSH", "k", "d", "0"}, "$-1\r\n"},
	}
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	sc := ts.serverSide(t, c)
	ts.mu.Lock()
	sc.flags |= ClientDenyBlocking
	ts.mu.Unlock()
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%s: got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	if n := ts.blockedOn("k"); n != 0 {
		t.Errorf("blocked clients: got %d, want 0", n)
	}
}

func TestListRESP3NullShapes(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"LPOP", "k"}, "_\r\n"},
		{[]string{"RPOP", "k", "2"}, "_\r\n"},
		{[]string{"LINDEX", "k", "0"}, "_\r\n"},
		{[]string{"LPOS", "k", "a"}, "_\r\n"},
		{[]string{"LMOVE", "k", "d", "LEFT", "LEFT"}, "_\r\n"},
		{[]string{"LMPOP", "1", "k", "LEFT"}, "_\r\n"},
		{[]string{"BLPOP", "k", "0.01"}, "_\r\n"},
		{[]string{"BLMOVE", "k", "d", "LEFT", "LEFT", "0.01"}, "_\r\n"},
		{[]string{"LRANGE", "k", "0", "-1"}, "*0\r\n"},
		{[]string{"RPUSH", "k", "a"}, ":1\r\n"},
		{[]string{"LMPOP", "1", "k", "LEFT"}, "*2\r\n$1\r\nk\r\n*1\r\n$1\r\na\r\n"},
	}
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	sc := ts.serverSide(t, c)
	ts.mu.Lock()
	sc.w.Proto = 3
	ts.mu.Unlock()
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%s: got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	cases := []struct {
		in     string
		ms     int64 // deadline - now; -1 forever
		errMsg string
	}{
		{"0", -1, ""},
		{"1", 1000, ""},
		{"0.5", 500, ""},
		{"0.0009", 1, ""},
		{"0.001", 1, ""},
		{"0.0000000001", 1, ""},
		{"1.0005", 1001, ""},
		{"-0.001", -1, ""},
		{"-0.0009", -1, ""},
		{"0x10", 16000, ""},
		{"1e3", 1000000, ""},
		{"-1", 0, ErrTimeoutNegative},
		{"-0.0019", 0, ErrTimeoutNegative},
		{"inf", 0, ErrTimeoutNegative},
		{"9223372036854775807", 0, ErrTimeoutNegative},
		{"nan", 0, ErrTimeoutNotFloat},
		{" 1", 0, ErrTimeoutNotFloat},
		{"1 ", 0, ErrTimeoutNotFloat},
		{"1_0", 0, ErrTimeoutNotFloat},
		{"1p3", 0, ErrTimeoutNotFloat},
		{"1e5000", 0, ErrTimeoutNotFloat},
		{"", 0, ErrTimeoutNotFloat},
	}
	ts := newTestServer(t, nil)
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			c := &Client{srv: ts.Server}
			ts.mu.Lock()
			ts.nowMs = 1_000_000
			deadline, ok := c.parseTimeout([]byte(tc.in))
			reply := string(c.w.B)
			ts.mu.Unlock()
			if tc.errMsg != "" {
				if ok || reply != "-"+tc.errMsg+"\r\n" {
					t.Errorf("got ok=%v reply %q, want error %q", ok, reply, tc.errMsg)
				}
				return
			}
			got := int64(-1)
			if !deadline.IsZero() {
				got = deadline.UnixMilli() - 1_000_000
			}
			if !ok || got != tc.ms {
				t.Errorf("got ok=%v ms=%d (reply %q), want ms=%d", ok, got, reply, tc.ms)
			}
		})
	}
}

func TestListElemsRoundTrip(t *testing.T) {
	in := [][]byte{[]byte("a"), []byte(""), []byte("\x00\xff"), []byte("12345")}
	o, ok := newListFromElems(in)
	if !ok {
		t.Fatal("newListFromElems: got no object, want a list")
	}
	got := listElems(&o)
	if len(got) != len(in) {
		t.Fatalf("got %d elements, want %d", len(got), len(in))
	}
	for i := range in {
		if string(got[i]) != string(in[i]) {
			t.Errorf("element %d: got %q, want %q", i, got[i], in[i])
		}
	}
	if _, ok := newListFromElems(nil); ok {
		t.Error("newListFromElems(nil): got an object, want none (empty lists are dropped)")
	}
}
