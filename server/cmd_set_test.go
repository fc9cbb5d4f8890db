package server

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/store"
)

func TestSetCommandsReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	hsRunSteps(t, c, []hsStep{
		{[]string{"SADD", "i", "3", "1", "2", "1"}, ":3\r\n"},
		{[]string{"SMEMBERS", "i"}, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SADD", "i", "1"}, ":0\r\n"},
		{[]string{"SCARD", "i"}, ":3\r\n"},
		{[]string{"SISMEMBER", "i", "2"}, ":1\r\n"},
		{[]string{"SISMEMBER", "i", "02"}, ":0\r\n"},
		{[]string{"SMISMEMBER", "i", "1", "9"}, "*2\r\n:1\r\n:0\r\n"},
		{[]string{"SMISMEMBER", "nokey", "1"}, "*1\r\n:0\r\n"},
		{[]string{"SADD", "j", "2", "3", "4"}, ":3\r\n"},
		{[]string{"SINTER", "i", "j"}, "*2\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SINTER", "i", "nokey"}, "*0\r\n"},
		{[]string{"SUNION", "i", "j"}, "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SDIFF", "i", "j"}, "*1\r\n$1\r\n1\r\n"},
		{[]string{"SINTERCARD", "2", "i", "j"}, ":2\r\n"},
		{[]string{"SINTERCARD", "2", "i", "j", "LIMIT", "1"}, ":1\r\n"},
		{[]string{"SINTERCARD", "0", "i"}, "-ERR numkeys should be greater than 0\r\n"},
		{[]string{"SINTERCARD", "x", "i"}, "-ERR numkeys should be greater than 0\r\n"},
		{[]string{"SINTERCARD", "3", "i"}, "-ERR Number of keys can't be greater than number of args\r\n"},
		{[]string{"SINTERCARD", "1", "i", "LIMIT", "-1"}, "-ERR LIMIT can't be negative\r\n"},
		{[]string{"SINTERCARD", "1", "i", "LIMIT"}, "-ERR syntax error\r\n"},
		{[]string{"SINTERSTORE", "d", "i", "j"}, ":2\r\n"},
		{[]string{"SMEMBERS", "d"}, "*2\r\n$1\r\n2\r\n$1\r\n3\r\n"},
		{[]string{"SINTERSTORE", "d", "i", "nokey"}, ":0\r\n"},
		{[]string{"SCARD", "d"}, ":0\r\n"},
		{[]string{"SUNIONSTORE", "d", "i", "j"}, ":4\r\n"},
		{[]string{"SDIFFSTORE", "d", "i", "i"}, ":0\r\n"},
		{[]string{"SMOVE", "i", "k", "1"}, ":1\r\n"},
		{[]string{"SMOVE", "i", "k", "1"}, ":0\r\n"},
		{[]string{"SMOVE", "nokey", "k", "1"}, ":0\r\n"},
		{[]string{"SREM", "i", "2", "3", "9"}, ":2\r\n"},
		{[]string{"SCARD", "i"}, ":0\r\n"},
		{[]string{"SPOP", "k", "-1"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"SPOP", "k", "x"}, "-ERR value is out of range, must be positive\r\n"},
		{[]string{"SPOP", "k", "1", "2"}, "-ERR syntax error\r\n"},
		{[]string{"SPOP", "k", "5"}, "*1\r\n$1\r\n1\r\n"},
		{[]string{"SPOP", "k"}, "$-1\r\n"},
		{[]string{"SRANDMEMBER", "j", "10"}, "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SRANDMEMBER", "j", "-9223372036854775808"}, "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"},
		{[]string{"SRANDMEMBER", "j", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SRANDMEMBER", "nokey"}, "$-1\r\n"},
		{[]string{"SSCAN", "j", "0"}, "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SSCAN", "j", "0", "MATCH", "[34]"}, "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n3\r\n$1\r\n4\r\n"},
		{[]string{"SSCAN", "j", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"SET", "str", "v"}, "+OK\r\n"},
		{[]string{"SADD", "str", "a"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SINTER", "nokey", "str"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SMOVE", "nokey", "str", "a"}, ":0\r\n"},
	})
}

func TestSetRESP3(t *testing.T) {
	ts := newTestServer(t, nil)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"SMEMBERS", "nokey"}, "~0\r\n"},
		{[]string{"SPOP", "nokey", "2"}, "~0\r\n"},
		{[]string{"SRANDMEMBER", "nokey", "2"}, "*0\r\n"},
		{[]string{"SPOP", "nokey"}, "_\r\n"},
		{[]string{"SADD", "s", "2", "1"}, ":2\r\n"},
		{[]string{"SMEMBERS", "s"}, "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SINTER", "s", "s"}, "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SUNION", "s"}, "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SDIFF", "s"}, "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SRANDMEMBER", "s", "5"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SSCAN", "s", "0"}, "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"SPOP", "s", "5"}, "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
	}
	for _, tc := range cases {
		if got := hsDo3(ts, tc.args...); got != tc.want {
			t.Errorf("%s: got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

func TestSetEncodingConversion(t *testing.T) {
	cases := []struct {
		name  string
		cmds  [][]string
		key   string
		want  string
		limit int // set-max-intset-entries (0 = default)
	}{
		{"ints", [][]string{{"SADD", "k", "1", "-5"}}, "k", "intset", 0},
		{"string", [][]string{{"SADD", "k", "a"}}, "k", "hashtable", 0},
		{"leading zero", [][]string{{"SADD", "k", "01"}}, "k", "hashtable", 0},
		{"minus zero", [][]string{{"SADD", "k", "-0"}}, "k", "hashtable", 0},
		{"beyond int64", [][]string{{"SADD", "k", "9223372036854775808"}}, "k", "hashtable", 0},
		{"int64 extremes", [][]string{{"SADD", "k", "-9223372036854775808", "9223372036854775807"}}, "k", "intset", 0},
		{"string added later", [][]string{{"SADD", "k", "1"}, {"SADD", "k", "a"}}, "k", "hashtable", 0},
		{"never converts back", [][]string{{"SADD", "k", "1", "a"}, {"SREM", "k", "a"}}, "k", "hashtable", 0},
		{"at limit", [][]string{{"SADD", "k", "1", "2"}}, "k", "intset", 2},
		{"above limit", [][]string{{"SADD", "k", "1", "2", "3"}}, "k", "hashtable", 2},
		{"store result of int-only hashtable", [][]string{{"SADD", "a", "1", "x"}, {"SREM", "a", "x"}, {"SUNIONSTORE", "k", "a"}}, "k", "intset", 0},
		{"smove creates for member", [][]string{{"SADD", "a", "x", "1"}, {"SMOVE", "a", "k", "1"}}, "k", "intset", 0},
		{"sdiffstore algorithm 2 keeps hashtable", [][]string{
			{"SADD", "a", "1", "2", "3", "4", "5", "6", "7", "8", "x"}, {"SADD", "b", "x"}, {"SADD", "c", "zz"}, {"SDIFFSTORE", "k", "a", "b", "c"}}, "k", "hashtable", 0},
		{"sdiffstore algorithm 1 gives intset", [][]string{
			{"SADD", "a", "1", "2", "3", "4", "5", "6", "7", "8", "x"}, {"SADD", "b", "x"}, {"SDIFFSTORE", "k", "a", "b"}}, "k", "intset", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(cfg *config.Server) {
				if tc.limit > 0 {
					cfg.SetMaxIntsetEntries = tc.limit
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

func TestSetPropagation(t *testing.T) {
	cases := []struct {
		name string
		cmds [][]string
		want []string
	}{
		{"sadd", [][]string{{"SADD", "s", "a", "b"}, {"SADD", "s", "a"}}, []string{"SADD s a b"}},
		{"srem", [][]string{{"SADD", "s", "a", "b"}, {"SREM", "s", "x"}, {"SREM", "s", "a", "x"}, {"SREM", "nokey", "a"}},
			[]string{"SADD s a b", "SREM s a x"}},
		{"smove", [][]string{{"SADD", "s", "a"}, {"SMOVE", "s", "d", "a"}, {"SMOVE", "s", "d", "a"}},
			[]string{"SADD s a", "SMOVE s d a"}},
		{"smove same key", [][]string{{"SADD", "s", "a"}, {"SMOVE", "s", "s", "a"}}, []string{"SADD s a"}},
		{"spop as srem", [][]string{{"SADD", "s", "7"}, {"SPOP", "s"}}, []string{"SADD s 7", "SREM s 7"}},
		{"spop missing", [][]string{{"SPOP", "s"}, {"SPOP", "s", "3"}}, nil},
		{"spop zero", [][]string{{"SADD", "s", "1"}, {"SPOP", "s", "0"}}, []string{"SADD s 1"}},
		{"spop whole set as del", [][]string{{"SADD", "s", "1", "2"}, {"SPOP", "s", "2"}}, []string{"SADD s 1 2", "DEL s"}},
		{"spop count 1 is one srem", [][]string{{"SADD", "s", "5"}, {"SADD", "s", "6"}, {"SREM", "s", "6"}, {"SADD", "s", "6"}, {"SPOP", "s", "1"}}, nil},
		{"sinterstore", [][]string{{"SADD", "a", "1"}, {"SINTERSTORE", "d", "a", "a"}, {"SINTERSTORE", "d", "a", "nokey"}, {"SINTERSTORE", "d", "a", "nokey"}},
			[]string{"SADD a 1", "SINTERSTORE d a a", "SINTERSTORE d a nokey"}},
		{"sunionstore", [][]string{{"SUNIONSTORE", "d", "nokey"}, {"SADD", "a", "1"}, {"SUNIONSTORE", "d", "a"}}, []string{"SADD a 1", "SUNIONSTORE d a"}},
		{"sdiffstore", [][]string{{"SADD", "a", "1"}, {"SDIFFSTORE", "d", "a", "nokey"}, {"SDIFFSTORE", "d", "a", "a"}},
			[]string{"SADD a 1", "SDIFFSTORE d a nokey", "SDIFFSTORE d a a"}},
		{"reads", [][]string{{"SADD", "a", "1"}, {"SMEMBERS", "a"}, {"SINTER", "a"}, {"SINTERCARD", "1", "a"}, {"SRANDMEMBER", "a"}, {"SSCAN", "a", "0"}}, []string{"SADD a 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			for _, cmd := range tc.cmds {
				c.do(cmd...)
			}
			got := ts.prop.take()
			if tc.name == "spop count 1 is one srem" {
				// the popped member is random: check the shape only
				last := got[len(got)-1]
				if len(got) != 5 || (last != "SREM s 5" && last != "SREM s 6") {
					t.Errorf("got %q, want 4 setup records then one SREM", got)
				}
				return
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSpopCountPropagation checks both SPOP strategies: one SREM per popped member,
// wrapped in MULTI/EXEC, and the set left with exactly the other members.
func TestSpopCountPropagation(t *testing.T) {
	for _, tc := range []struct {
		name        string
		size, count int
	}{
		{"pop few (case 2)", 10, 3},
		{"pop most (case 3)", 10, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			c := ts.dial(t)
			args := []string{"SADD", "s"}
			for i := 0; i < tc.size; i++ {
				args = append(args, string(rune('a'+i)))
			}
			c.do(args...)
			ts.prop.take()
			reply := c.do("SPOP", "s", strconv.Itoa(tc.count))
			recs := ts.prop.take()
			if len(recs) != tc.count+2 || recs[0] != "MULTI" || recs[len(recs)-1] != "EXEC" {
				t.Fatalf("got records %q, want MULTI, %d SREMs, EXEC", recs, tc.count)
			}
			var popped []string
			for _, r := range recs[1 : len(recs)-1] {
				f := strings.Fields(r)
				if len(f) != 3 || f[0] != "SREM" || f[1] != "s" {
					t.Fatalf("got record %q, want SREM s <member>", r)
				}
				popped = append(popped, f[2])
				if !strings.Contains(reply, "\r\n"+f[2]+"\r\n") {
					t.Errorf("propagated %q not in reply %q", f[2], reply)
				}
			}
			if !strings.HasPrefix(reply, "*"+strconv.Itoa(tc.count)+"\r\n") {
				t.Errorf("got reply %q, want %d members", reply, tc.count)
			}
			left := c.do("SCARD", "s")
			if want := ":" + strconv.Itoa(tc.size-tc.count) + "\r\n"; left != want {
				t.Errorf("SCARD after SPOP: got %q, want %q", left, want)
			}
			sort.Strings(popped)
			for i := 1; i < len(popped); i++ {
				if popped[i] == popped[i-1] {
					t.Errorf("member %q popped twice", popped[i])
				}
			}
		})
	}
}

func TestCollScanMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"*", "anything", true},
		{"a*", "abc", true},
		{"a*", "bac", false},
		{"*c", "abc", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[abc]", "b", true},
		{"[^abc]", "b", false},
		{"[a-c]x", "bx", true},
		{"[c-a]x", "bx", true},
		{"k\\*", "k*", true},
		{"k\\*", "kx", false},
		{"k[", "k", false},
		{"[", "", false},
		{"", "", true},
		{"**a", "a", true},
		{"a\\", "a\\", true},
		{"[\\]]", "]", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
	}
	for _, tc := range cases {
		if got := collScanMatch([]byte(tc.pat), []byte(tc.s)); got != tc.want {
			t.Errorf("match(%q, %q): got %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}

func TestParseCollScanCursor(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"42", 42, true},
		{"+7", 7, true},
		{"-1", 1<<64 - 1, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"abc", 0, false},
		{"+", 0, false},
		{"1.5", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseScanCursor([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseScanCursor(%q): got %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestCollScanFullIteration walks HSCAN and SSCAN cursors over hashtable-encoded values
// with a small COUNT and checks every element is returned.
func TestCollScanFullIteration(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	const n = 300
	for i := 0; i < n; i++ {
		c.do("HSET", "h", "f"+strconv.Itoa(i), "v")
		c.do("SADD", "s", "m"+strconv.Itoa(i))
	}
	for _, cmd := range []string{"HSCAN", "SSCAN"} {
		key := strings.ToLower(cmd[:1])
		seen := map[string]bool{}
		cursor := "0"
		for calls := 0; ; calls++ {
			if calls > 10*n {
				t.Fatalf("%s: cursor never returned to 0", cmd)
			}
			elems := hsParseScanReply(t, c.do(cmd, key, cursor, "COUNT", "7"))
			cursor = elems[0]
			step := 1
			if cmd == "HSCAN" {
				step = 2
			}
			for i := 1; i < len(elems); i += step {
				seen[elems[i]] = true
			}
			if cursor == "0" {
				break
			}
		}
		if len(seen) != n {
			t.Errorf("%s: got %d distinct elements, want %d", cmd, len(seen), n)
		}
	}
}

// hsParseScanReply returns the cursor followed by the elements of a raw SCAN reply.
func hsParseScanReply(t *testing.T, raw string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "$") {
			out = append(out, lines[i+1])
			i++
		}
	}
	if len(out) == 0 {
		t.Fatalf("bad scan reply %q", raw)
	}
	return out
}

func TestRDBHelpersRoundTrip(t *testing.T) {
	ts := newTestServer(t, nil)
	bs := func(ss ...string) [][]byte {
		out := make([][]byte, len(ss))
		for i, s := range ss {
			out[i] = []byte(s)
		}
		return out
	}
	long := strings.Repeat("x", 65)
	hashCases := []struct {
		name  string
		pairs [][]byte
		enc   string
	}{
		{"listpack keeps order", bs("b", "1", "a", "2"), "listpack"},
		{"long value", bs("a", long), "hashtable"},
	}
	for _, tc := range hashCases {
		o, err := ts.newHashFromPairs(tc.pairs)
		if err != nil {
			t.Fatalf("%s: not created: %v", tc.name, err)
		}
		h := o.Ptr.(*store.Hash)
		if h.Encoding() != tc.enc {
			t.Errorf("%s: got encoding %q, want %q", tc.name, h.Encoding(), tc.enc)
		}
		got := hashPairs(&o)
		if tc.enc == "listpack" && string(bytes.Join(got, []byte(","))) != string(bytes.Join(tc.pairs, []byte(","))) {
			t.Errorf("%s: got pairs %q, want %q", tc.name, got, tc.pairs)
		}
	}
	if _, err := ts.newHashFromPairs(nil); err == nil {
		t.Errorf("empty hash: got a key, want none")
	}
	if _, err := ts.newHashFromPairs(bs("a", "1", "b", "2", "a", "3")); err != errDupListpackField {
		t.Errorf("duplicate field: got %v, want %v", err, errDupListpackField)
	}
	if _, err := ts.newHashFromPairs(bs("a", long, "a", "3")); err != errDupHashField {
		t.Errorf("duplicate field of a large hash: got %v, want %v", err, errDupHashField)
	}
	for _, elems := range [][][]byte{bs("1", "2", "1"), bs("a", "b", "a"), bs("1", "a", "1")} {
		if _, err := ts.newSetFromElems(elems); err != errDupSetMember {
			t.Errorf("set %q: got %v, want %v", elems, err, errDupSetMember)
		}
	}
	setCases := []struct {
		name  string
		elems [][]byte
		enc   string
		want  string
	}{
		{"intset sorted", bs("3", "1", "2"), "intset", "1,2,3"},
		{"strings", bs("a", "1"), "hashtable", ""},
	}
	for _, tc := range setCases {
		o, err := ts.newSetFromElems(tc.elems)
		if err != nil {
			t.Fatalf("%s: not created: %v", tc.name, err)
		}
		if enc := o.Ptr.(*store.Set).Encoding(); enc != tc.enc {
			t.Errorf("%s: got encoding %q, want %q", tc.name, enc, tc.enc)
		}
		if tc.want != "" {
			if got := string(bytes.Join(setElems(&o), []byte(","))); got != tc.want {
				t.Errorf("%s: got elems %q, want %q", tc.name, got, tc.want)
			}
		}
	}
}

// TestSrandmemberFewOfMany checks SRANDMEMBER's CASE 4 (count*3 <= size): count distinct
// members of the set, drawn one by one.
func TestSrandmemberFewOfMany(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	args := []string{"SADD", "s"}
	for i := 0; i < 100; i++ {
		args = append(args, "m:"+strconv.Itoa(i))
	}
	if got := c.do(args...); got != ":100\r\n" {
		t.Fatalf("SADD: %q", got)
	}
	for _, count := range []int{2, 10, 33} {
		reply := c.do("SRANDMEMBER", "s", strconv.Itoa(count))
		lines := strings.Split(strings.TrimSuffix(reply, "\r\n"), "\r\n")
		if lines[0] != "*"+strconv.Itoa(count) || len(lines) != 1+2*count {
			t.Fatalf("SRANDMEMBER s %d: %q", count, reply)
		}
		seen := map[string]bool{}
		for i := 2; i < len(lines); i += 2 {
			if !strings.HasPrefix(lines[i], "m:") || seen[lines[i]] {
				t.Fatalf("SRANDMEMBER s %d: member %q not in the set or repeated: %q", count, lines[i], reply)
			}
			seen[lines[i]] = true
		}
	}
}
