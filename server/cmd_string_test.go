package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/store"
)

// replyCase is one command and its exact raw reply.
type replyCase struct {
	args []string
	want string
}

// runReplyCases sends the cases in order on one connection and compares raw replies.
func runReplyCases(t *testing.T, c *rawClient, cases []replyCase) {
	t.Helper()
	for i, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("#%d %q: got %q, want %q", i, strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

func rc(want string, args ...string) replyCase { return replyCase{args: args, want: want} }

const (
	okR    = "+OK\r\n"
	nullR  = "$-1\r\n"
	emptyR = "$0\r\n\r\n"
)

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func intR(n int64) string { return ":" + strconv.FormatInt(n, 10) + "\r\n" }

func errR(msg string) string { return "-" + msg + "\r\n" }

// addList stores an (empty) list at key so that WRONGTYPE paths can be tested without
// the list family.
func addList(ts *testServer, key string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.dbs[0].Keys.Add(key, store.Object{Type: store.TypeList})
}

func TestStringReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	addList(ts, "list")
	c := ts.dial(t)
	c.do("MSET", "l1", "ohmytext", "l2", "mynewtext")
	runReplyCases(t, c, []replyCase{
		rc(nullR, "GET", "k"),
		rc(okR, "SET", "k", "v"),
		rc(bulk("v"), "GET", "k"),
		rc(errR("ERR wrong number of arguments for 'get' command"), "GET", "k", "x"),
		rc(nullR, "SET", "k", "v2", "NX"),
		rc(okR, "SET", "k", "v2", "XX"),
		rc(nullR, "SET", "nokey", "v", "XX"),
		rc(bulk("v2"), "SET", "k", "v3", "GET"),
		rc(nullR, "SET", "k2", "v", "GET"),
		rc(bulk("v3"), "SET", "k", "v4", "NX", "GET"),
		rc(bulk("v3"), "GET", "k"),
		rc(errR(ErrSyntax), "SET", "k", "v", "NX", "XX"),
		rc(errR(ErrSyntax), "SET", "k", "v", "EX", "10", "PX", "10"),
		rc(errR(ErrSyntax), "SET", "k", "v", "EX", "10", "KEEPTTL"),
		rc(errR(ErrSyntax), "SET", "k", "v", "EX"),
		rc(errR(ErrSyntax), "SET", "k", "v", "PERSIST"),
		rc(errR(ErrNotInt), "SET", "k", "v", "EX", "x"),
		rc(errR("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "0"),
		rc(errR("ERR invalid expire time in 'set' command"), "SET", "k", "v", "PX", "9223372036854775807"),
		rc(errR("ERR invalid expire time in 'set' command"), "SET", "k", "v", "EX", "9223372036854775"),
		rc(errR("ERR invalid expire time in 'setex' command"), "SETEX", "k", "-1", "v"),
		rc(errR("ERR invalid expire time in 'psetex' command"), "PSETEX", "k", "0", "v"),
		rc(errR("ERR invalid expire time in 'getex' command"), "GETEX", "k", "EX", "0"),
		rc(nullR, "GETEX", "nokey", "EX", "0"),
		rc(intR(0), "SETNX", "k", "x"),
		rc(intR(1), "SETNX", "k3", "x"),
		rc(bulk("x"), "GETSET", "k3", "y"),
		rc(bulk("y"), "GETDEL", "k3"),
		rc(nullR, "GETDEL", "k3"),
		rc(okR, "MSET", "a", "1", "b", "2"),
		rc(errR("ERR wrong number of arguments for 'mset' command"), "MSET", "a", "1", "b"),
		rc(errR("ERR wrong number of arguments for 'msetnx' command"), "MSETNX", "a", "1", "b"),
		rc("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$-1\r\n", "MGET", "a", "b", "nokey", "list"),
		rc(intR(0), "MSETNX", "a", "1", "c", "3"),
		rc(intR(1), "MSETNX", "c", "3", "d", "4"),
		rc(intR(2), "APPEND", "e", "ab"),
		rc(intR(4), "APPEND", "e", "cd"),
		rc(intR(4), "STRLEN", "e"),
		rc(intR(0), "STRLEN", "nokey"),
		rc(bulk("bc"), "GETRANGE", "e", "1", "2"),
		rc(bulk("d"), "SUBSTR", "e", "-1", "-1"),
		rc(emptyR, "GETRANGE", "e", "-1", "-3"),
		rc(emptyR, "GETRANGE", "nokey", "0", "-1"),
		rc(intR(6), "SETRANGE", "e", "4", "xy"),
		rc(bulk("abcdxy"), "GET", "e"),
		rc(intR(3), "SETRANGE", "f", "2", "z"),
		rc(bulk("\x00\x00z"), "GET", "f"),
		rc(intR(0), "SETRANGE", "g", "100", ""),
		rc(errR(ErrOffsetRange), "SETRANGE", "g", "-1", "x"),
		rc(errR(ErrStringTooLong), "SETRANGE", "g", "536870912", "x"),
		rc(errR(ErrStringTooLong), "SETRANGE", "g", "9223372036854775807", "x"),
		rc(intR(1), "INCR", "n"),
		rc(intR(11), "INCRBY", "n", "10"),
		rc(intR(10), "DECR", "n"),
		rc(intR(5), "DECRBY", "n", "5"),
		rc(errR(ErrDecrOverflow), "DECRBY", "n", "-9223372036854775808"),
		rc(errR(ErrNotInt), "INCR", "e"),
		rc(okR, "SET", "big", "9223372036854775807"),
		rc(errR(ErrIncrOverflow), "INCR", "big"),
		rc(bulk("10.5"), "INCRBYFLOAT", "fl", "10.5"),
		rc(bulk("3010.5"), "INCRBYFLOAT", "fl", "3.0e3"),
		rc(errR(ErrNotFloat), "INCRBYFLOAT", "fl", "abc"),
		rc(errR(ErrIncrNaNInf), "INCRBYFLOAT", "fl", "inf"),
		rc(bulk("mytext"), "LCS", "l1", "l2"),
		rc(errR(ErrWrongType), "GET", "list"),
		rc(errR(ErrWrongType), "INCR", "list"),
		rc(errR(ErrWrongType), "APPEND", "list", "x"),
		rc(errR(ErrWrongType), "SET", "list", "x", "GET"),
		rc(errR(ErrLCSWrongType), "LCS", "list", "a"),
		rc(okR, "SET", "list", "now-a-string"),
		rc(bulk("now-a-string"), "GET", "list"),
	})
}

func TestLCSReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("MSET", "l1", "ohmytext", "l2", "mynewtext")
	runReplyCases(t, c, []replyCase{
		rc(bulk("mytext"), "LCS", "l1", "l2"),
		rc(intR(6), "LCS", "l1", "l2", "LEN"),
		rc("*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
			"LCS", "l1", "l2", "IDX", "WITHMATCHLEN"),
		rc("*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
			"LCS", "l1", "l2", "IDX", "MINMATCHLEN", "4"),
		rc(errR(ErrLCSIdxAndLen), "LCS", "l1", "l2", "IDX", "LEN"),
		rc(errR(ErrSyntax), "LCS", "l1", "l2", "BAD"),
		rc(emptyR, "LCS", "nokey1", "nokey2"),
	})
}

// propCase runs setup (its records are discarded), then cmd, and expects exactly want
// records. In want, "{+N}" stands for an absolute unix-ms time N ms after the command.
type propCase struct {
	name  string
	setup [][]string
	cmd   []string
	want  []string
}

func runPropCases(t *testing.T, cases []propCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			for _, s := range tc.setup {
				c.do(s...)
			}
			ts.prop.take()
			before := time.Now().UnixMilli()
			c.do(tc.cmd...)
			after := time.Now().UnixMilli()
			got := ts.prop.take()
			if len(got) != len(tc.want) {
				t.Fatalf("%q: got records %q, want %q", strings.Join(tc.cmd, " "), got, tc.want)
			}
			for i := range got {
				if !recordMatches(got[i], tc.want[i], before, after) {
					t.Errorf("%q: record %d got %q, want %q", strings.Join(tc.cmd, " "), i, got[i], tc.want[i])
				}
			}
		})
	}
}

// recordMatches compares a record with a pattern whose "{+N}" word matches a time in
// [before+N, after+N].
func recordMatches(got, want string, before, after int64) bool {
	gw, ww := strings.Split(got, " "), strings.Split(want, " ")
	if len(gw) != len(ww) {
		return false
	}
	for i := range ww {
		if strings.HasPrefix(ww[i], "{+") && strings.HasSuffix(ww[i], "}") {
			d, err1 := strconv.ParseInt(ww[i][2:len(ww[i])-1], 10, 64)
			v, err2 := strconv.ParseInt(gw[i], 10, 64)
			if err1 != nil || err2 != nil || v < before+d || v > after+d {
				return false
			}
			continue
		}
		if gw[i] != ww[i] {
			return false
		}
	}
	return true
}

func TestStringPropagation(t *testing.T) {
	set := func(args ...string) []string { return args }
	runPropCases(t, []propCase{
		{"set", nil, set("set", "k", "v"), []string{"set k v"}},
		{"set keepttl", nil, set("SET", "k", "v", "KEEPTTL"), []string{"SET k v KEEPTTL"}},
		{"set ex", nil, set("SET", "k", "v", "EX", "10"), []string{"SET k v PXAT {+10000}"}},
		{"set px nx get", nil, set("SET", "k", "v", "PX", "500", "NX", "GET"), []string{"SET k v PXAT {+500}"}},
		{"set exat", nil, set("SET", "k", "v", "EXAT", "99999999999"), []string{"SET k v PXAT 99999999999000"}},
		{"set pxat past", nil, set("SET", "k", "v", "PXAT", "1"), []string{"SET k v PXAT 1"}},
		{"set get", nil, set("set", "k", "v", "get", "XX", "GET"), nil},
		{"set get nx", nil, set("set", "k", "v", "get", "NX", "Get"), []string{"set k v NX"}},
		{"set nx fails", [][]string{{"SET", "k", "v"}}, set("SET", "k", "v", "NX"), nil},
		{"set expired key", [][]string{{"SET", "k", "v", "PXAT", "1"}}, set("SET", "k", "v2"), []string{"MULTI", "DEL k", "SET k v2", "EXEC"}},
		{"setnx", nil, set("SETNX", "k", "v"), []string{"SETNX k v"}},
		{"setnx exists", [][]string{{"SET", "k", "v"}}, set("SETNX", "k", "v"), nil},
		{"setex", nil, set("SETEX", "k", "100", "v"), []string{"SET k v PXAT {+100000}"}},
		{"psetex", nil, set("PSETEX", "k", "100", "v"), []string{"SET k v PXAT {+100}"}},
		{"setex invalid", nil, set("SETEX", "k", "0", "v"), nil},
		{"getset", nil, set("getset", "k", "v"), []string{"SET k v"}},
		{"getdel", [][]string{{"SET", "k", "v"}}, set("GETDEL", "k"), []string{"DEL k"}},
		{"getdel missing", nil, set("GETDEL", "k"), nil},
		{"getex ex", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "EX", "100"), []string{"PEXPIREAT k {+100000}"}},
		{"getex px", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "PX", "100"), []string{"PEXPIREAT k {+100}"}},
		{"getex exat", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "EXAT", "99999999999"), []string{"PEXPIREAT k 99999999999000"}},
		{"getex pxat", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "PXAT", "99999999999123"), []string{"PEXPIREAT k 99999999999123"}},
		{"getex pxat past", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "PXAT", "1"), []string{"DEL k"}},
		{"getex exat past", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "EXAT", "1"), []string{"DEL k"}},
		{"getex persist", [][]string{{"SET", "k", "v", "EX", "100"}}, set("GETEX", "k", "PERSIST"), []string{"PERSIST k"}},
		{"getex persist no ttl", [][]string{{"SET", "k", "v"}}, set("GETEX", "k", "PERSIST"), nil},
		{"getex plain", [][]string{{"SET", "k", "v", "EX", "100"}}, set("GETEX", "k"), nil},
		{"getex missing", nil, set("GETEX", "k", "EX", "10"), nil},
		{"mset", nil, set("MSET", "a", "1", "b", "2"), []string{"MSET a 1 b 2"}},
		{"msetnx", nil, set("MSETNX", "a", "1", "b", "2"), []string{"MSETNX a 1 b 2"}},
		{"msetnx fails", [][]string{{"SET", "b", "v"}}, set("MSETNX", "a", "1", "b", "2"), nil},
		{"append", nil, set("APPEND", "k", "v"), []string{"APPEND k v"}},
		{"append empty", [][]string{{"SET", "k", "v"}}, set("APPEND", "k", ""), []string{"APPEND k "}},
		{"setrange", nil, set("SETRANGE", "k", "2", "v"), []string{"SETRANGE k 2 v"}},
		{"setrange empty", [][]string{{"SET", "k", "v"}}, set("SETRANGE", "k", "2", ""), nil},
		{"incr", nil, set("INCR", "k"), []string{"INCR k"}},
		{"decr", nil, set("DECR", "k"), []string{"DECR k"}},
		{"incrby", nil, set("INCRBY", "k", "5"), []string{"INCRBY k 5"}},
		{"decrby", nil, set("DECRBY", "k", "5"), []string{"DECRBY k 5"}},
		{"incr overflow", [][]string{{"SET", "k", "9223372036854775807"}}, set("INCR", "k"), nil},
		{"incrbyfloat", [][]string{{"SET", "k", "10"}}, set("INCRBYFLOAT", "k", "0.5"), []string{"SET k 10.5 KEEPTTL"}},
		{"incrbyfloat new", nil, set("incrbyfloat", "k", "3.0e3"), []string{"SET k 3000 KEEPTTL"}},
		{"incrbyfloat nan", nil, set("INCRBYFLOAT", "k", "inf"), nil},
		{"get", [][]string{{"SET", "k", "v"}}, set("GET", "k"), nil},
	})
}

func TestStringKeepsOrDropsTTL(t *testing.T) {
	cases := []struct {
		cmd     []string
		keepTTL bool
	}{
		{[]string{"SET", "k", "x"}, false},
		{[]string{"SET", "k", "x", "KEEPTTL"}, true},
		{[]string{"SET", "k", "x", "XX"}, false},
		{[]string{"GETSET", "k", "x"}, false},
		{[]string{"MSET", "k", "x"}, false},
		{[]string{"APPEND", "k", "x"}, true},
		{[]string{"SETRANGE", "k", "0", "x"}, true},
		{[]string{"INCR", "k"}, true},
		{[]string{"DECRBY", "k", "3"}, true},
		{[]string{"INCRBYFLOAT", "k", "1.5"}, true},
		{[]string{"GETEX", "k"}, true},
		{[]string{"GETEX", "k", "PERSIST"}, false},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.cmd, " "), func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			c.do("SET", "k", "7", "EXAT", "99999999999")
			c.do(tc.cmd...)
			ts.mu.Lock()
			_, has := ts.dbs[0].Expires.Get("k")
			ts.mu.Unlock()
			if has != tc.keepTTL {
				t.Errorf("after %q TTL kept = %v, want %v", strings.Join(tc.cmd, " "), has, tc.keepTTL)
			}
		})
	}
}

func TestStringEncodingAfterCommands(t *testing.T) {
	cases := []struct {
		cmds [][]string
		want string
	}{
		{[][]string{{"SET", "k", "123"}}, "int"},
		{[][]string{{"SET", "k", "abc"}}, "embstr"},
		{[][]string{{"SET", "k", strings.Repeat("a", 45)}}, "raw"},
		{[][]string{{"SET", "k", "123"}, {"APPEND", "k", "4"}}, "raw"},
		{[][]string{{"APPEND", "k", "12"}}, "int"},
		{[][]string{{"SET", "k", "abc"}, {"SETRANGE", "k", "0", "x"}}, "raw"},
		{[][]string{{"SET", "k", "abc"}, {"SETRANGE", "k", "0", ""}}, "embstr"},
		{[][]string{{"INCR", "k"}}, "int"},
		{[][]string{{"INCRBYFLOAT", "k", "3"}}, "embstr"},
		{[][]string{{"MSET", "k", "5"}}, "int"},
		{[][]string{{"SET", "k", "abc"}, {"SETBIT", "k", "0", "0"}}, "raw"},
		{[][]string{{"SETBIT", "k", "0", "1"}}, "raw"},
		{[][]string{{"SET", "a", "1"}, {"BITOP", "NOT", "k", "a"}}, "raw"},
		{[][]string{{"SET", "k", "12"}, {"BITFIELD", "k", "GET", "u8", "0"}}, "int"},
		{[][]string{{"SET", "k", "12"}, {"BITFIELD", "k", "SET", "u8", "0", "49"}}, "raw"},
	}
	for _, tc := range cases {
		t.Run(tc.want+" "+strings.Join(tc.cmds[len(tc.cmds)-1], " "), func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			for _, cmd := range tc.cmds {
				c.do(cmd...)
			}
			ts.mu.Lock()
			o := ts.dbs[0].Keys.Ref("k")
			got := "none"
			if o != nil {
				got = o.Enc.String()
			}
			ts.mu.Unlock()
			if got != tc.want {
				t.Errorf("encoding after %v = %s, want %s", tc.cmds, got, tc.want)
			}
		})
	}
}

// setProto3 switches every connected client to RESP3 (HELLO belongs to another family).
func setProto3(ts *testServer) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, cl := range ts.clients {
		cl.w.Proto = 3
	}
}

func TestStringRESP3(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("MSET", "l1", "ohmytext", "l2", "mynewtext", "a", "v")
	setProto3(ts)
	runReplyCases(t, c, []replyCase{
		rc("_\r\n", "GET", "missing"),
		rc("_\r\n", "SET", "a", "v", "NX"),
		rc("*2\r\n$1\r\nv\r\n_\r\n", "MGET", "a", "x"),
		rc("%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
			"LCS", "l1", "l2", "IDX", "WITHMATCHLEN"),
		rc("*1\r\n_\r\n", "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10"),
		rc("$3\r\n1.5\r\n", "INCRBYFLOAT", "f", "1.5"),
		rc("_\r\n", "GETEX", "missing"),
		rc("_\r\n", "GETDEL", "missing"),
		rc("$1\r\nv\r\n", "SET", "a", "w", "GET"),
	})
}

// TestIncrbyfloatRecordSurvivesUnit checks that INCRBYFLOAT's SET record keeps its value
// when a later command of the same execution unit (as in MULTI/EXEC) changes the string
// in place.
func TestIncrbyfloatRecordSurvivesUnit(t *testing.T) {
	ts := newTestServer(t, nil)
	cl := &Client{srv: ts.Server, authed: true}
	argv := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i, a := range s {
			out[i] = []byte(a)
		}
		return out
	}
	ts.mu.Lock()
	ts.beginUnit()
	ts.processCommand(cl, argv("INCRBYFLOAT", "k", "1.5"))
	ts.processCommand(cl, argv("SETRANGE", "k", "0", "9"))
	ts.endUnit()
	ts.mu.Unlock()
	got := ts.prop.take()
	want := []string{"MULTI", "SET k 1.5 KEEPTTL", "SETRANGE k 0 9", "EXEC"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got records %q, want %q", got, want)
	}
}
