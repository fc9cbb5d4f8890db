package server

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/config"
)

// helloReply is the exact HELLO reply of Redis 7.0.15 for a master.
func helloReply(proto int, id int64) string {
	head := "*14\r\n"
	if proto == 3 {
		head = "%7\r\n"
	}
	return head + "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n" +
		"$5\r\nproto\r\n:" + strconv.Itoa(proto) + "\r\n$2\r\nid\r\n:" + strconv.FormatInt(id, 10) + "\r\n" +
		"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
}

// clientID returns the id of rc's connection.
func (rc *rawClient) clientID() int64 {
	rc.t.Helper()
	got := rc.do("CLIENT", "ID")
	id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(got, ":"), "\r\n"), 10, 64)
	if err != nil {
		rc.t.Fatalf("CLIENT ID: got %q", got)
	}
	return id
}

func TestHello(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	id := c.clientID()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no version", []string{"HELLO"}, helloReply(2, id)},
		{"resp3", []string{"HELLO", "3"}, helloReply(3, id)},
		{"resp3 error shape", []string{"HELLO", "4"}, "-NOPROTO unsupported protocol version\r\n"},
		{"resp3 null", []string{"CLIENT", "GETNAME"}, "_\r\n"},
		{"setname", []string{"HELLO", "3", "SETNAME", "n1"}, helloReply(3, id)},
		{"name set", []string{"CLIENT", "GETNAME"}, "$2\r\nn1\r\n"},
		{"back to resp2", []string{"HELLO", "2"}, helloReply(2, id)},
		{"resp2 null", []string{"CLIENT", "SETNAME", ""}, "+OK\r\n"},
		{"resp2 null name", []string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{"not int", []string{"HELLO", "x"}, "-ERR Protocol version is not an integer or out of range\r\n"},
		{"syntax", []string{"HELLO", "3", "AUTH", "a"}, "-ERR Syntax error in HELLO option 'AUTH'\r\n"},
		{"bad name", []string{"HELLO", "3", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{"name applied before a later error", []string{"HELLO", "2", "SETNAME", "early", "foo"}, "-ERR Syntax error in HELLO option 'foo'\r\n"},
		{"early name", []string{"CLIENT", "GETNAME"}, "$5\r\nearly\r\n"},
		{"wrong user", []string{"HELLO", "2", "AUTH", "nouser", "x"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

func TestHelloRESP3Verbatim(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("HELLO", "3")
	got := c.do("CLIENT", "INFO")
	if !strings.HasPrefix(got, "=") || !strings.Contains(got, "\r\ntxt:id=") || !strings.HasSuffix(got, "resp=3\n\r\n") {
		t.Errorf("CLIENT INFO in RESP3: got %q, want a verbatim txt string ending resp=3", got)
	}
	if got, want := c.do("CLIENT", "TRACKINGINFO"), "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"; got != want {
		t.Errorf("CLIENT TRACKINGINFO: got %q, want %q", got, want)
	}
}

func TestAuthRequirePass(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.RequirePass = "pw" })
	c := ts.dial(t)
	noauth := "-NOAUTH Authentication required.\r\n"
	wrongpass := "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, noauth},
		{[]string{"HELLO", "3"}, "-" + ErrHelloNoAuth + "\r\n"},
		{[]string{"HELLO", "3", "SETNAME", "pre"}, "-" + ErrHelloNoAuth + "\r\n"},
		{[]string{"AUTH", "bad"}, wrongpass},
		{[]string{"AUTH", "default", "bad"}, wrongpass},
		{[]string{"AUTH", "other", "pw"}, wrongpass},
		{[]string{"AUTH", "a", "b", "c"}, "-ERR syntax error\r\n"},
		{[]string{"AUTH", "pw"}, "+OK\r\n"},
		{[]string{"CLIENT", "GETNAME"}, "$3\r\npre\r\n"}, // 7.0.15 sets the name before refusing
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"RESET"}, "+RESET\r\n"},
		{[]string{"PING"}, noauth},
		{[]string{"AUTH", "default", "pw"}, "+OK\r\n"},
		{[]string{"RESET"}, "+RESET\r\n"},
		{[]string{"HELLO", "3", "AUTH", "default", "bad"}, wrongpass},
		{[]string{"PING"}, noauth},
	}
	for i, st := range steps {
		if got := c.do(st.args...); got != st.want {
			t.Fatalf("step %d %q: got %q, want %q", i, st.args, got, st.want)
		}
	}
	if got := c.do("HELLO", "2", "AUTH", "default", "pw"); !strings.HasPrefix(got, "*14\r\n") {
		t.Errorf("HELLO 2 AUTH default pw: got %q, want the HELLO map", got)
	}
}

func TestAuthWithoutPassword(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	if got, want := c.do("AUTH", "x"), "-"+ErrAuthNotConfigured+"\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := c.do("AUTH", "default", "anything"); got != "+OK\r\n" {
		t.Errorf("AUTH default anything (nopass user): got %q, want +OK", got)
	}
}

func TestReset(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	other := ts.dial(t)
	for _, args := range [][]string{
		{"HELLO", "3"}, {"SELECT", "5"}, {"CLIENT", "SETNAME", "x"}, {"WATCH", "wk"}, {"CLIENT", "NO-EVICT", "on"},
		{"MULTI"}, {"SET", "a", "1"},
	} {
		c.do(args...)
	}
	if got := c.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: got %q", got)
	}
	other.do("SET", "wk", "changed")
	checks := []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "GETNAME"}, "$-1\r\n"}, // RESP2 again, name dropped
		{[]string{"MULTI"}, "+OK\r\n"},             // the transaction was discarded
		{[]string{"EXEC"}, "*0\r\n"},               // and the WATCH dropped
		{[]string{"GET", "a"}, "$-1\r\n"},          // db 0 selected, SET never ran
	}
	for _, ck := range checks {
		if got := c.do(ck.args...); got != ck.want {
			t.Errorf("%q after RESET: got %q, want %q", ck.args, got, ck.want)
		}
	}
	info := c.do("CLIENT", "INFO")
	if !strings.Contains(info, " db=0 ") || !strings.Contains(info, " flags=e ") || !strings.Contains(info, " resp=2") {
		t.Errorf("CLIENT INFO after RESET: got %q, want db=0, flags=e (NO-EVICT survives, as in 7.0.15), resp=2", info)
	}
	c.do("SUBSCRIBE", "ch")
	if got := c.do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET in subscribed context: got %q", got)
	}
	if got := c.do("PUBSUB", "NUMSUB", "ch"); got != "*2\r\n$2\r\nch\r\n:0\r\n" {
		t.Errorf("subscriptions after RESET: got %q, want none", got)
	}
}

func TestSelectErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct{ arg, want string }{
		{"2147483648", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"},
		{"-1", "-ERR DB index is out of range\r\n"},
		{"01", "-ERR value is not an integer or out of range\r\n"},
	}
	for _, tc := range cases {
		if got := c.do("SELECT", tc.arg); got != tc.want {
			t.Errorf("SELECT %s: got %q, want %q", tc.arg, got, tc.want)
		}
	}
}

// TestGoRedisClient runs go-redis v9, which opens with HELLO 3 and CLIENT SETINFO (an
// unknown subcommand in 7.0.15, which go-redis ignores), end to end.
func TestGoRedisClient(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr, ClientName: "gr"})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET: got %q, %v, want \"v\"", got, err)
	}
	if _, err := rdb.Get(ctx, "missing").Result(); err != redis.Nil {
		t.Errorf("GET missing: got err %v, want redis.Nil", err)
	}
	info, err := rdb.ClientInfo(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT INFO: %v", err)
	}
	if info.Name != "gr" || info.Resp != 3 {
		t.Errorf("CLIENT INFO: got name %q resp %d, want gr and 3", info.Name, info.Resp)
	}
	if got, err := rdb.ClientList(ctx).Result(); err != nil || !strings.Contains(got, "name=gr") {
		t.Errorf("CLIENT LIST: got %q, %v", got, err)
	}
	pipe := rdb.Pipeline()
	pipe.Incr(ctx, "n")
	pipe.Incr(ctx, "n")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if n, _ := rdb.Get(ctx, "n").Int(); n != 2 {
		t.Errorf("n after pipeline: got %d, want 2", n)
	}
	if n, err := rdb.Do(ctx, "COMMAND", "COUNT").Int64(); err != nil || n != int64(len(ts.cmds)) {
		t.Errorf("COMMAND COUNT: got %d, %v, want %d", n, err, len(ts.cmds))
	}
	cmds, err := rdb.Command(ctx).Result()
	if err != nil {
		t.Fatalf("COMMAND: %v", err)
	}
	if len(cmds) != len(ts.cmds) || cmds["get"] == nil || cmds["get"].Arity != 2 {
		t.Errorf("COMMAND: got %d commands (get: %+v), want %d", len(cmds), cmds["get"], len(ts.cmds))
	}
}
