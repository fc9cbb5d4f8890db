package server

import (
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/store"
)

// hsStep is one command of a scripted test and its exact raw reply.
type hsStep struct {
	args []string
	want string
}

func hsRunSteps(t *testing.T, c *rawClient, steps []hsStep) {
	t.Helper()
	for _, st := range steps {
		if got := c.do(st.args...); got != st.want {
			t.Errorf("%s: got %q, want %q", strings.Join(st.args, " "), got, st.want)
		}
	}
}

// hsDo3 runs one command in-process for a RESP3 client and returns the raw reply.
func hsDo3(ts *testServer, args ...string) string {
	c := &Client{srv: ts.Server, authed: true, user: "default"}
	c.w.Proto = 3
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	ts.mu.Lock()
	ts.processCommand(c, argv)
	ts.mu.Unlock()
	return string(c.w.B)
}

// hsEncodingOf returns the encoding of the hash or set at key in db 0 ("" if missing).
func hsEncodingOf(ts *testServer, key string) string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	o, ok := ts.dbs[0].Keys.Get(key)
	if !ok {
		return ""
	}
	switch p := o.Ptr.(type) {
	case *store.Hash:
		return p.Encoding()
	case *store.Set:
		return p.Encoding()
	}
	return "?"
}

func TestHashCommandsReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	hsRunSteps(t, c, []hsStep{
		{[]string{"HSET", "h", "b", "1", "a", "2"}, ":2\r\n"},
		{[]string{"HSET", "h", "b", "3", "c", "4"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "*6\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n4\r\n"},
		{[]string{"HKEYS", "h"}, "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n"},
		{[]string{"HVALS", "h"}, "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n4\r\n"},
		{[]string{"HMSET", "h", "d", "5"}, "+OK\r\n"},
		{[]string{"HMSET", "h", "d"}, "-ERR wrong number of arguments for 'hmset' command\r\n"},
		{[]string{"HSET", "h", "d", "5", "e"}, "-ERR wrong number of arguments for 'hset' command\r\n"},
		{[]string{"HGET", "h", "d"}, "$1\r\n5\r\n"},
		{[]string{"HGET", "h", "zz"}, "$-1\r\n"},
		{[]string{"HMGET", "h", "a", "zz"}, "*2\r\n$1\r\n2\r\n$-1\r\n"},
		{[]string{"HMGET", "nokey", "a"}, "*1\r\n$-1\r\n"},
		{[]string{"HLEN", "h"}, ":4\r\n"},
		{[]string{"HEXISTS", "h", "a"}, ":1\r\n"},
		{[]string{"HSTRLEN", "h", "a"}, ":1\r\n"},
		{[]string{"HSETNX", "h", "a", "x"}, ":0\r\n"},
		{[]string{"HSETNX", "h", "n", "x"}, ":1\r\n"},
		{[]string{"HDEL", "h", "a", "zz", "n"}, ":2\r\n"},
		{[]string{"HINCRBY", "h", "b", "10"}, ":13\r\n"},
		{[]string{"HINCRBY", "h", "b", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"HSET", "h", "s", "abc", "max", "9223372036854775807"}, ":2\r\n"},
		{[]string{"HINCRBY", "h", "s", "1"}, "-ERR hash value is not an integer\r\n"},
		{[]string{"HINCRBY", "h", "max", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "10.5"}, "$4\r\n10.5\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "0.1"}, "$4\r\n10.6\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "s", "1"}, "-ERR hash value is not a float\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "inf"}, "-ERR value is NaN or Infinity\r\n"},
		{[]string{"HINCRBYFLOAT", "h", "f", "nan"}, "-ERR value is not a valid float\r\n"},
		{[]string{"HRANDFIELD", "nokey"}, "$-1\r\n"},
		{[]string{"HRANDFIELD", "nokey", "3"}, "*0\r\n"},
		{[]string{"HRANDFIELD", "h", "-9223372036854775808"}, "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"},
		{[]string{"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}, "-ERR value is out of range\r\n"},
		{[]string{"HRANDFIELD", "h", "1", "x"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"HSCAN", "h", "0", "COUNT", "0"}, "-ERR syntax error\r\n"},
		{[]string{"HSCAN", "h", "0", "MATCH", "[bd]"}, "*2\r\n$1\r\n0\r\n*4\r\n$1\r\nb\r\n$2\r\n13\r\n$1\r\nd\r\n$1\r\n5\r\n"},
		{[]string{"SET", "str", "v"}, "+OK\r\n"},
		{[]string{"HGET", "str", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"HDEL", "h", "b", "c", "d", "max", "s", "f"}, ":6\r\n"},
		{[]string{"HLEN", "h"}, ":0\r\n"},
	})
}

func TestHashRESP3(t *testing.T) {
	ts := newTestServer(t, nil)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"HGETALL", "nokey"}, "%0\r\n"},
		{[]string{"HSET", "h", "a", "1", "b", "2"}, ":2\r\n"},
		{[]string{"HGETALL", "h"}, "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HKEYS", "h"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{[]string{"HRANDFIELD", "h", "5", "WITHVALUES"}, "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{[]string{"HRANDFIELD", "h", "5"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{[]string{"HRANDFIELD", "nokey"}, "_\r\n"},
		{[]string{"HGET", "h", "zz"}, "_\r\n"},
		{[]string{"HMGET", "h", "zz"}, "*1\r\n_\r\n"},
	}
	for _, tc := range cases {
		if got := hsDo3(ts, tc.args...); got != tc.want {
			t.Errorf("%s: got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

func TestHashEncodingConversion(t *testing.T) {
	long := strings.Repeat("x", 65)
	cases := []struct {
		name  string
		cmds  [][]string
		key   string
		want  string
		limit int // hash-max-listpack-entries (0 = default)
	}{
		{"small", [][]string{{"HSET", "k", "a", "1"}}, "k", "listpack", 0},
		{"value of 64 bytes", [][]string{{"HSET", "k", "a", long[:64]}}, "k", "listpack", 0},
		{"long value", [][]string{{"HSET", "k", "a", long}}, "k", "hashtable", 0},
		{"long field", [][]string{{"HSET", "k", long, "1"}}, "k", "hashtable", 0},
		{"hsetnx existing field", [][]string{{"HSET", "k", "a", "1"}, {"HSETNX", "k", "a", long}}, "k", "listpack", 0},
		{"hsetnx new field", [][]string{{"HSET", "k", "a", "1"}, {"HSETNX", "k", "b", long}}, "k", "hashtable", 0},
		{"hincrby long field", [][]string{{"HSET", "k", "a", "1"}, {"HINCRBY", "k", long, "1"}}, "k", "hashtable", 0},
		{"hincrbyfloat long result", [][]string{{"HINCRBYFLOAT", "k", "a", "1e70"}}, "k", "hashtable", 0},
		{"entries at limit", [][]string{{"HSET", "k", "a", "1", "b", "2"}}, "k", "listpack", 2},
		{"entries above limit", [][]string{{"HSET", "k", "a", "1", "b", "2", "c", "3"}}, "k", "hashtable", 2},
		{"update at limit", [][]string{{"HSET", "k", "a", "1", "b", "2"}, {"HSET", "k", "a", "3"}}, "k", "listpack", 2},
		{"never converts back", [][]string{{"HSET", "k", "a", "1", "b", "2", "c", "3"}, {"HDEL", "k", "a", "b"}}, "k", "hashtable", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(cfg *config.Server) {
				if tc.limit > 0 {
					cfg.HashMaxListpackEntries = tc.limit
				}
			})
			c := ts.dial(t)
			for _, cmd := range tc.cmds {
				c.do(cmd...)
			}
			if got := hsEncodingOf(ts, tc.key); got != tc.want {
				t.Errorf("got encoding %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHashPropagation(t *testing.T) {
	cases := []struct {
		name string
		cmds [][]string
		want []string
	}{
		{"hset", [][]string{{"HSET", "h", "a", "1", "b", "2"}}, []string{"HSET h a 1 b 2"}},
		{"hset no new field still propagates", [][]string{{"HSET", "h", "a", "1"}, {"HSET", "h", "a", "1"}}, []string{"HSET h a 1", "HSET h a 1"}},
		{"hmset", [][]string{{"HMSET", "h", "a", "1"}}, []string{"HMSET h a 1"}},
		{"hset arity error", [][]string{{"HSET", "h", "a", "1", "b"}}, nil},
		{"hsetnx", [][]string{{"HSETNX", "h", "a", "1"}, {"HSETNX", "h", "a", "2"}}, []string{"HSETNX h a 1"}},
		{"hdel", [][]string{{"HSET", "h", "a", "1", "b", "2"}, {"HDEL", "h", "x"}, {"HDEL", "h", "a", "x"}, {"HDEL", "nokey", "a"}}, []string{"HSET h a 1 b 2", "HDEL h a x"}},
		{"hincrby", [][]string{{"HINCRBY", "h", "a", "5"}, {"HINCRBY", "h", "a", "x"}}, []string{"HINCRBY h a 5"}},
		{"hincrbyfloat as hset", [][]string{{"HINCRBYFLOAT", "h", "a", "10.5"}, {"HINCRBYFLOAT", "h", "a", "0.1"}, {"HINCRBYFLOAT", "h", "a", "1e3"}},
			[]string{"HSET h a 10.5", "HSET h a 10.6", "HSET h a 1010.59999999999999998"}},
		{"hincrbyfloat error", [][]string{{"HSET", "h", "s", "x"}, {"HINCRBYFLOAT", "h", "s", "1"}}, []string{"HSET h s x"}},
		{"reads", [][]string{{"HSET", "h", "a", "1"}, {"HGET", "h", "a"}, {"HGETALL", "h"}, {"HRANDFIELD", "h"}, {"HSCAN", "h", "0"}}, []string{"HSET h a 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			for _, cmd := range tc.cmds {
				c.do(cmd...)
			}
			got := ts.prop.take()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHashParseLongDouble(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" = rejected
	}{
		{"10.5", "10.5"},
		{"0.1", "0.10000000000000000"},
		{"1e3", "1000"},
		{"-0", "0"},
		{".5", "0.5"},
		{"5.", "5"},
		{"+2.5", "2.5"},
		{"0x10", "16"},
		{"0x1p-2", "0.25"},
		{"1.23456789012345678", "1.23456789012345678"},
		{"", ""},
		{" 1", ""},
		{"1 ", ""},
		{"nan", ""},
		{"1_0", ""},
		{"1e", ""},
		{".", ""},
		{"1e5000", ""},
		{"1e-5000", ""},
	}
	for _, tc := range cases {
		f, ok := store.ParseLongDouble([]byte(tc.in))
		got := ""
		if ok {
			got = string(store.AppendLongDouble(nil, f))
		}
		want := tc.want
		if want == "0.10000000000000000" {
			want = "0.1"
		}
		if got != want {
			t.Errorf("store.ParseLongDouble(%q): got %q, want %q", tc.in, got, want)
		}
	}
}

func TestHashLongDoubleAddition(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"10.5", "0.1", "10.6"},
		{"0.1", "0.2", "0.3"},
		{"1e17", "1", "100000000000000001"},
		{"7", "-7", "0"},
		{"1.5e-4900", "16", "16"},
	}
	for _, tc := range cases {
		a, _ := store.ParseLongDouble([]byte(tc.a))
		b, _ := store.ParseLongDouble([]byte(tc.b))
		sum, ok := store.AddLongDouble(a, b)
		if !ok {
			t.Errorf("%s + %s: overflow", tc.a, tc.b)
			continue
		}
		if got := string(store.AppendLongDouble(nil, sum)); got != tc.want {
			t.Errorf("%s + %s: got %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}
