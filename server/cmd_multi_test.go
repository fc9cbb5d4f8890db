package server

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/store"
)

// txStep is one command of a scripted exchange on one connection and its raw reply.
type txStep struct {
	args []string
	want string
}

// runTxSteps sends each txStep's command and reads as many frames as its want holds (a
// SUBSCRIBE of n channels replies n frames).
func runTxSteps(t *testing.T, c *rawClient, steps []txStep) {
	t.Helper()
	for i, st := range steps {
		c.send(st.args...)
		var got string
		for n := countFrames(t, st.want); n > 0; n-- {
			got += c.read()
		}
		if got != st.want {
			t.Errorf("txStep %d %q: got %q, want %q", i, strings.Join(st.args, " "), got, st.want)
		}
	}
}

// frames counts the top-level RESP frames in raw.
func countFrames(t *testing.T, raw string) int {
	t.Helper()
	r := bufio.NewReader(strings.NewReader(raw))
	n := 0
	for {
		if _, err := r.Peek(1); err != nil {
			return n
		}
		var b bytes.Buffer
		if err := readReply(r, &b); err != nil {
			t.Fatalf("bad expected reply %q: %v", raw, err)
		}
		n++
	}
}

func txArgs(args ...string) []string { return args }

// setProto switches the server side of c to RESP2 or RESP3 (HELLO lives elsewhere).
func (ts *testServer) setProto(t *testing.T, c *rawClient, proto int) {
	t.Helper()
	c.do("PING")
	local := c.conn.LocalAddr().String()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, sc := range ts.clients {
		if sc.addr == local {
			sc.w.Proto = proto
			return
		}
	}
	t.Fatalf("no server client for %s", local)
}

// expireNow gives key in db 0 a TTL that has already passed, without deleting it.
func (ts *testServer) expireNow(key string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	db := ts.dbs[0]
	when := time.Now().UnixMilli() - 1000
	if ref := db.Expires.Ref(key); ref != nil {
		*ref = when
		return
	}
	db.Expires.Add(key, when)
}

func TestMultiReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	const abortBecause = "-EXECABORT Transaction discarded because of: "
	cases := []struct {
		name  string
		steps []txStep
	}{
		{"nested and control errors", []txStep{
			{txArgs("EXEC"), "-ERR EXEC without MULTI\r\n"},
			{txArgs("DISCARD"), "-ERR DISCARD without MULTI\r\n"},
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("MULTI"), "-ERR MULTI calls can not be nested\r\n"},
			{txArgs("WATCH", "x"), "-ERR WATCH inside MULTI is not allowed\r\n"},
			{txArgs("SET", "a", "1"), "+QUEUED\r\n"},
			{txArgs("GET", "a"), "+QUEUED\r\n"},
			{txArgs("EXEC"), "*2\r\n+OK\r\n$1\r\n1\r\n"},
		}},
		{"arity error aborts", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("SET", "a"), "-ERR wrong number of arguments for 'set' command\r\n"},
			{txArgs("GET", "a"), "+QUEUED\r\n"},
			{txArgs("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n"},
			{txArgs("EXEC"), "-ERR EXEC without MULTI\r\n"},
		}},
		{"unknown command aborts", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("NOSUCH"), "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"},
			{txArgs("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		}},
		{"exec arity error is execabort", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("EXEC", "x"), abortBecause + "wrong number of arguments for 'exec' command\r\n"},
			{txArgs("EXEC"), "-ERR EXEC without MULTI\r\n"},
		}},
		{"discard", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("SET", "d", "1"), "+QUEUED\r\n"},
			{txArgs("DISCARD"), "+OK\r\n"},
			{txArgs("GET", "d"), "$-1\r\n"},
			{txArgs("DISCARD", "x"), "-ERR wrong number of arguments for 'discard' command\r\n"},
		}},
		{"empty transaction", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("EXEC"), "*0\r\n"},
		}},
		{"own write after watch", []txStep{
			{txArgs("WATCH", "e"), "+OK\r\n"},
			{txArgs("SET", "e", "1"), "+OK\r\n"},
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("EXEC"), "*-1\r\n"},
			{txArgs("WATCH", "e"), "+OK\r\n"},
			{txArgs("SET", "e", "2"), "+OK\r\n"},
			{txArgs("UNWATCH"), "+OK\r\n"},
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("EXEC"), "*0\r\n"},
			{txArgs("WATCH"), "-ERR wrong number of arguments for 'watch' command\r\n"},
			{txArgs("UNWATCH", "x"), "-ERR wrong number of arguments for 'unwatch' command\r\n"},
		}},
		{"subscribe inside exec then pubsub context", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("SUBSCRIBE", "x"), "+QUEUED\r\n"},
			{txArgs("EXEC"), "*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n"},
			{txArgs("EXEC"), abortBecause + "Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"},
			{txArgs("UNSUBSCRIBE"), "*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n"},
			{txArgs("EXEC"), "-ERR EXEC without MULTI\r\n"},
		}},
		{"ssubscribe refused inside exec", []txStep{
			{txArgs("MULTI"), "+OK\r\n"},
			{txArgs("SSUBSCRIBE", "x"), "+QUEUED\r\n"},
			{txArgs("EXEC"), "*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"},
			{txArgs("PING"), "+PONG\r\n"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runTxSteps(t, ts.dial(t), tc.steps)
		})
	}
}

func TestExecRuntimeErrorsStayInArray(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mu.Lock()
	ts.dbs[0].Keys.Add("l", store.Object{Type: store.TypeList})
	ts.mu.Unlock()
	c := ts.dial(t)
	runTxSteps(t, c, []txStep{
		{txArgs("MULTI"), "+OK\r\n"},
		{txArgs("SET", "a", "1"), "+QUEUED\r\n"},
		{txArgs("GET", "l"), "+QUEUED\r\n"},
		{txArgs("GET", "a"), "+QUEUED\r\n"},
		{txArgs("EXEC"), "*3\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n1\r\n"},
	})
}

func TestWatchTouchedByOtherClient(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(map[int]string{2: "resp2", 3: "resp3"}[proto], func(t *testing.T) {
			ts := newTestServer(t, nil)
			a, b := ts.dial(t), ts.dial(t)
			ts.setProto(t, a, proto)
			null := map[int]string{2: "*-1\r\n", 3: "_\r\n"}[proto]
			a.do("WATCH", "k", "other")
			b.do("SET", "k", "v")
			a.do("MULTI")
			a.do("SET", "k", "mine")
			if got := a.do("EXEC"); got != null {
				t.Errorf("EXEC after touch: got %q, want %q", got, null)
			}
			if got := b.do("GET", "k"); got != "$1\r\nv\r\n" {
				t.Errorf("GET k: got %q, want the other client's value", got)
			}
			// the watches are gone after EXEC: a new transaction succeeds
			a.do("MULTI")
			a.do("SET", "k", "mine")
			if got := a.do("EXEC"); got != "*1\r\n+OK\r\n" {
				t.Errorf("second EXEC: got %q, want %q", got, "*1\r\n+OK\r\n")
			}
			// a touch of a key in another database does not count
			a.do("WATCH", "k")
			b.do("SELECT", "1")
			b.do("SET", "k", "v")
			a.do("MULTI")
			if got := a.do("EXEC"); got != "*0\r\n" {
				t.Errorf("EXEC after touch in db 1: got %q, want %q", got, "*0\r\n")
			}
			ts.mu.Lock()
			defer ts.mu.Unlock()
			if n := len(ts.dbState[0].watched); n != 0 {
				t.Errorf("watched keys left in db 0: got %d, want 0", n)
			}
		})
	}
}

func TestWatchAndExpiry(t *testing.T) {
	cases := []struct {
		name   string
		before func(ts *testServer) // between SET and WATCH
		after  func(ts *testServer, other *rawClient)
		want   string
	}{
		{"live key expires before EXEC", nil,
			func(ts *testServer, _ *rawClient) { ts.expireNow("k") }, "*-1\r\n"},
		{"live key expires and is deleted by an access", nil,
			func(ts *testServer, o *rawClient) { ts.expireNow("k"); o.do("GET", "k") }, "*-1\r\n"},
		{"already expired key deleted by an access", func(ts *testServer) { ts.expireNow("k") },
			func(_ *testServer, o *rawClient) { o.do("GET", "k") }, "*1\r\n+PONG\r\n"},
		{"already expired key left alone", func(ts *testServer) { ts.expireNow("k") },
			func(*testServer, *rawClient) {}, "*1\r\n+PONG\r\n"},
		{"already expired key written again", func(ts *testServer) { ts.expireNow("k") },
			func(_ *testServer, o *rawClient) { o.do("GET", "k"); o.do("SET", "k", "new") }, "*-1\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			a, b := ts.dial(t), ts.dial(t)
			a.do("SET", "k", "v")
			if tc.before != nil {
				tc.before(ts)
			}
			a.do("WATCH", "k")
			tc.after(ts, b)
			a.do("MULTI")
			a.do("PING")
			if got := a.do("EXEC"); got != tc.want {
				t.Errorf("EXEC: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTouchAllWatched(t *testing.T) {
	cases := []struct {
		name  string
		watch string
		touch func(s *Server)
		want  string
	}{
		{"flush of a watched existing key", "e", func(s *Server) { s.touchAllWatched(0) }, "*-1\r\n"},
		{"flush with the watched key missing", "missing", func(s *Server) { s.touchAllWatched(0) }, "*0\r\n"},
		{"flush of another db", "e", func(s *Server) { s.touchAllWatched(1) }, "*0\r\n"},
		{"swap with a db holding the key", "only1", func(s *Server) { s.touchAllWatchedSwap(0, 1) }, "*-1\r\n"},
		{"swap where neither db has the key", "missing", func(s *Server) { s.touchAllWatchedSwap(0, 1) }, "*0\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			a := ts.dial(t)
			a.do("SET", "e", "1")
			a.do("SELECT", "1")
			a.do("SET", "only1", "1")
			a.do("SELECT", "0")
			a.do("WATCH", tc.watch)
			ts.mu.Lock()
			tc.touch(ts.Server)
			ts.mu.Unlock()
			a.do("MULTI")
			if got := a.do("EXEC"); got != tc.want {
				t.Errorf("EXEC: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExecPropagation(t *testing.T) {
	cases := []struct {
		name  string
		queue [][]string
		want  []string
	}{
		{"several writes are wrapped", [][]string{{"SET", "a", "1"}, {"GET", "a"}, {"DEL", "a", "b"}},
			[]string{"MULTI", "SET a 1", "DEL a b", "EXEC"}},
		{"one write is alone", [][]string{{"GET", "a"}, {"SET", "a", "2"}}, []string{"SET a 2"}},
		{"read only propagates nothing", [][]string{{"GET", "a"}, {"DEL", "nokey"}}, nil},
		{"publish is propagated", [][]string{{"PUBLISH", "ch", "hi"}, {"SET", "a", "3"}},
			[]string{"MULTI", "PUBLISH ch hi", "SET a 3", "EXEC"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			c.do("MULTI")
			for _, q := range tc.queue {
				c.do(q...)
			}
			c.do("EXEC")
			c.do("PING")
			got := ts.prop.take()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("records: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExecAbortPropagatesNothing(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("MULTI")
	c.do("SET", "a", "1")
	c.do("SET", "a")
	c.do("EXEC")
	c.do("WATCH", "a")
	c.do("SET", "a", "2")
	c.do("MULTI")
	c.do("SET", "a", "3")
	c.do("EXEC")
	if got, want := ts.prop.take(), []string{"SET a 2"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records: got %q, want %q", got, want)
	}
}

// TestQueueCopiesArguments pipelines the transaction so that the queued arguments would
// alias a read buffer that later commands overwrite.
func TestQueueCopiesArguments(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.send("MULTI")
	c.send("SET", "k1", "value-one")
	c.send("SET", "k2", strings.Repeat("x", 40000))
	c.send("GET", "k1")
	for i := 0; i < 4; i++ {
		c.read()
	}
	// not queued (refused inside MULTI), but it goes through the same read buffer
	c.send("WATCH", strings.Repeat("y", 70000))
	c.read()
	if got, want := c.do("EXEC"), "*3\r\n+OK\r\n+OK\r\n$9\r\nvalue-one\r\n"; got != want {
		t.Errorf("EXEC: got %.200q, want %q", got, want)
	}
	if got := c.do("GET", "k2"); got != "$40000\r\n"+strings.Repeat("x", 40000)+"\r\n" {
		t.Errorf("GET k2: got %d bytes, want the 40000 x", len(got))
	}
}

func TestDoomedTransactionQueuesNothing(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t), ts.dial(t)
	a.do("WATCH", "k")
	b.do("SET", "k", "1")
	a.do("MULTI")
	for i := 0; i < 3; i++ {
		if got := a.do("SET", "x", "1"); got != "+QUEUED\r\n" {
			t.Fatalf("queueing: got %q, want +QUEUED", got)
		}
	}
	ts.mu.Lock()
	var n int
	for _, sc := range ts.clients {
		n += len(sc.multi)
	}
	ts.mu.Unlock()
	if n != 0 {
		t.Errorf("queued commands kept for a doomed transaction: got %d, want 0", n)
	}
	if got := a.do("EXEC"); got != "*-1\r\n" {
		t.Errorf("EXEC: got %q, want %q", got, "*-1\r\n")
	}
}

func TestGateFlags(t *testing.T) {
	get := &Command{Name: "get", Flags: FlagReadonly | FlagFast}
	set := &Command{Name: "set", Flags: FlagWrite | FlagDenyOOM}
	ping := &Command{Name: "ping", Flags: FlagFast | FlagStale | FlagLoading}
	exec := &Command{Name: "exec", Flags: FlagNoScript | FlagLoading | FlagStale | FlagSkipSlowlog}
	cases := []struct {
		name  string
		queue []*Command
		cmd   *Command
		want  Flag
	}{
		{"not exec", []*Command{set}, get, get.Flags},
		{"empty exec", nil, exec, exec.Flags},
		{"read only", []*Command{get}, exec, FlagNoScript | FlagSkipSlowlog},
		{"a write", []*Command{ping, set}, exec, FlagNoScript | FlagSkipSlowlog | FlagWrite | FlagDenyOOM},
		{"only loading-safe", []*Command{ping, ping}, exec, exec.Flags},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{}
			for _, q := range tc.queue {
				c.multi = append(c.multi, queuedCommand{cmd: q})
			}
			if got := c.gateFlags(tc.cmd); got != tc.want {
				t.Errorf("gateFlags: got %v, want %v", got.Names(), tc.want.Names())
			}
		})
	}
}
