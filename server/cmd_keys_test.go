package server

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/store"
)

// Fakes for the collection types, implementing the interfaces of keys_glue.go.
type fakeSet struct{ members [][]byte }

func (s *fakeSet) Elements() [][]byte { return s.members }
func (s *fakeSet) Len() int           { return len(s.members) }
func (s *fakeSet) Copy() any          { return &fakeSet{members: slices.Clone(s.members)} }

type fakeHash struct{ fields map[string][]byte }

func (h *fakeHash) GetField(f []byte) ([]byte, bool) { v, ok := h.fields[string(f)]; return v, ok }
func (h *fakeHash) Len() int                         { return len(h.fields) }

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// put stores a value directly in database db (under the execution lock).
func (ts *testServer) put(db int, key string, o store.Object) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.dbs[db].Keys.Set(key, o)
}

func (ts *testServer) locked(fn func()) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	fn()
}

func TestParseScanCursor(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"+5", 5, true}, {"-1", math.MaxUint64, true},
		{"18446744073709551615", math.MaxUint64, true}, {"18446744073709551616", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"x", 0, false}, {"-", 0, false}, {"0x1", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseScanCursor([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseScanCursor(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCStrtod(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {" 2", 2, true}, {"1e3", 1000, true}, {"", 0, true},
		{"inf", math.Inf(1), true}, {"-Infinity", math.Inf(-1), true}, {"0x10", 16, true},
		{"nan", 0, false}, {"1x", 0, false}, {"x", 0, false}, {" ", 0, false}, {"1 ", 0, false},
		{"1e999", 0, false}, {"1e-999", 0, false}, {"3\x00abc", 3, true}, {".5", 0.5, true}, {"5.", 5, true},
		{"e5", 0, false}, {"1e", 0, false}, {"1e-320", 0, false}, {"1e-300", 1e-300, true},
		{"0x1p3", 8, true}, {"0X1A", 26, true}, {"0x", 0, false},
	}
	for _, tc := range cases {
		got, ok := cStrtod([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("cStrtod(%q) = %v, %v, want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestKeyCommandReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"SET", "a", "1"}, "+OK\r\n"},
		{[]string{"EXISTS", "a", "a", "b"}, ":2\r\n"},
		{[]string{"TYPE", "a"}, "+string\r\n"},
		{[]string{"TYPE", "b"}, "+none\r\n"},
		{[]string{"TTL", "a"}, ":-1\r\n"},
		{[]string{"TTL", "b"}, ":-2\r\n"},
		{[]string{"EXPIRE", "a", "100", "GT"}, ":0\r\n"},
		{[]string{"EXPIRE", "a", "100", "NX"}, ":1\r\n"},
		{[]string{"TTL", "a"}, ":100\r\n"},
		{[]string{"EXPIRE", "a", "1", "FOO"}, "-ERR Unsupported option FOO\r\n"},
		{[]string{"EXPIRE", "a", "1", "NX", "XX"}, "-" + ErrExpireNXIncompatible + "\r\n"},
		{[]string{"EXPIRE", "a", "1", "GT", "LT"}, "-" + ErrExpireGTLT + "\r\n"},
		{[]string{"EXPIRE", "a", "9223372036854775807"}, "-ERR invalid expire time in 'expire' command\r\n"},
		{[]string{"PEXPIRE", "a", "9223372036854775807"}, "-ERR invalid expire time in 'pexpire' command\r\n"},
		{[]string{"EXPIREAT", "a", "4102444800"}, ":1\r\n"},
		{[]string{"EXPIRETIME", "a"}, ":4102444800\r\n"},
		{[]string{"PEXPIRETIME", "a"}, ":4102444800000\r\n"},
		{[]string{"PERSIST", "a"}, ":1\r\n"},
		{[]string{"PERSIST", "a"}, ":0\r\n"},
		{[]string{"RENAME", "a", "b"}, "+OK\r\n"},
		{[]string{"RENAME", "a", "b"}, "-ERR no such key\r\n"},
		{[]string{"RENAMENX", "b", "b"}, ":0\r\n"},
		{[]string{"COPY", "b", "b"}, "-ERR source and destination objects are the same\r\n"},
		{[]string{"COPY", "b", "c"}, ":1\r\n"},
		{[]string{"MOVE", "c", "0"}, "-ERR source and destination objects are the same\r\n"},
		{[]string{"MOVE", "c", "16"}, "-ERR DB index is out of range\r\n"},
		{[]string{"MOVE", "c", "1"}, ":1\r\n"},
		{[]string{"KEYS", "*"}, "*1\r\n$1\r\nb\r\n"},
		{[]string{"RANDOMKEY"}, "$1\r\nb\r\n"},
		{[]string{"SCAN", "0", "COUNT", "0"}, "-ERR syntax error\r\n"},
		{[]string{"SCAN", "x"}, "-ERR invalid cursor\r\n"},
		{[]string{"SCAN", "0"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n"},
		{[]string{"SORT", "b"}, "-" + ErrWrongType + "\r\n"},
		{[]string{"SORT_RO", "x", "STORE", "y"}, "-ERR syntax error\r\n"},
		{[]string{"UNLINK", "b", "zz"}, ":1\r\n"},
		{[]string{"RANDOMKEY"}, "$-1\r\n"},
	}
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%s: got %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}

func TestSort(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	ts.put(0, "l", mustList(bs("3", "1", "2", "10", "1.5")))
	ts.put(0, "bad", mustList(bs("1", "x", "2")))
	ts.put(0, "s", store.Object{Type: store.TypeSet, Ptr: &fakeSet{members: bs("b", "a", "c")}})
	ts.put(0, "z", store.Object{Type: store.TypeZSet, Ptr: &fakeSet{members: bs("b", "c", "a")}})
	ts.put(0, "h_3", store.Object{Type: store.TypeHash, Ptr: &fakeHash{fields: map[string][]byte{"f": []byte("c")}}})
	ts.put(0, "h_1", store.Object{Type: store.TypeHash, Ptr: &fakeHash{fields: map[string][]byte{"f": []byte("a")}}})
	for _, kv := range [][2]string{{"w_3", "30"}, {"w_1", "10"}, {"w_2", "20"}, {"w_10", "-1"}, {"o_3", "three"}, {"o_1", "one"}, {"o_2", "two"}} {
		c.do("SET", kv[0], kv[1])
	}
	// Expected replies taken from redis-server 7.0.15 on the same data.
	cases := []struct {
		cmd  string
		want string // elements joined by ",", nil as "-"; or an error
	}{
		{"SORT l", "1,1.5,2,3,10"},
		{"SORT l DESC", "10,3,2,1.5,1"},
		{"SORT l ALPHA", "1,1.5,10,2,3"},
		{"SORT l LIMIT 1 2", "1.5,2"},
		{"SORT l BY nosort", "3,1,2,10,1.5"},
		{"SORT l BY nosort DESC LIMIT 1 2", "10,2"},
		{"SORT l BY w_* GET # GET o_* GET h_*->f", "10,-,-,1.5,-,-,1,one,a,2,two,-,3,three,c"},
		{"SORT l BY w_* ALPHA", "1.5,10,1,2,3"},
		{"SORT bad", "ERR One or more scores can't be converted into double"},
		{"SORT bad ALPHA", "1,2,x"},
		{"SORT s ALPHA DESC", "c,b,a"},
		{"SORT z BY nosort", "b,c,a"},
		{"SORT z BY nosort DESC LIMIT 0 2", "a,c"},
		{"SORT z ALPHA", "a,b,c"},
		{"SORT l LIMIT 10 5", ""},
		{"SORT l LIMIT -1 2", "1,1.5"},
		{"SORT l LIMIT 0 -1", "1,1.5,2,3,10"},
		{"SORT l BY h_*->f ALPHA", "2,10,1.5,1,3"},
		{"SORT_RO l DESC", "10,3,2,1.5,1"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			got := flatReply(c.do(strings.Fields(tc.cmd)...))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := c.do("SORT", "s", "BY", "nosort", "STORE", "dst"); got != ":3\r\n" {
		t.Errorf("SORT STORE: got %q, want :3", got)
	}
	if got := c.do("TYPE", "dst"); got != "+list\r\n" {
		t.Errorf("TYPE dst: got %q, want +list", got)
	}
	var stored [][]byte
	ts.locked(func() { stored = collectionElements(ts.dbs[0].Keys.Ref("dst")) })
	if got := string(slices.Concat(stored...)); got != "abc" {
		t.Errorf("stored list: got %q, want a,b,c (a set is sorted ALPHA when stored)", got)
	}
	if got := c.do("SORT", "nokey", "STORE", "dst"); got != ":0\r\n" {
		t.Errorf("SORT empty STORE: got %q, want :0", got)
	}
	if got := c.do("EXISTS", "dst"); got != ":0\r\n" {
		t.Errorf("EXISTS dst after empty SORT STORE: got %q, want :0", got)
	}
}

// flatReply turns a raw array reply into "a,b,-" (nil as "-"), or an error into its text.
func flatReply(raw string) string {
	if strings.HasPrefix(raw, "-") {
		return strings.TrimSuffix(raw[1:], "\r\n")
	}
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	var out []string
	for i := 1; i < len(lines); i++ {
		switch {
		case lines[i] == "$-1":
			out = append(out, "-")
		case strings.HasPrefix(lines[i], "$"):
			out = append(out, lines[i+1])
			i++
		}
	}
	return strings.Join(out, ",")
}

func TestCopyDuplicatesValue(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	ts.put(0, "s", store.Object{Type: store.TypeSet, Ptr: &fakeSet{members: bs("a", "b")}})
	if got := c.do("COPY", "s", "s2", "DB", "3"); got != ":1\r\n" {
		t.Fatalf("COPY: got %q, want :1", got)
	}
	ts.locked(func() {
		src := ts.dbs[0].Keys.Ref("s").Ptr.(*fakeSet)
		dst := ts.dbs[3].Keys.Ref("s2").Ptr.(*fakeSet)
		src.members[0] = []byte("changed")
		if string(dst.members[0]) != "a" {
			t.Errorf("copy shares storage with its source: got %q, want %q", dst.members[0], "a")
		}
	})
	ts.put(0, "h", store.Object{Type: store.TypeHash, Ptr: &fakeHash{}}) // no Copy method
	if got := c.do("COPY", "h", "h2"); got != "-ERR unknown type object\r\n" {
		t.Errorf("COPY of an uncopiable value: got %q", got)
	}
}

var msPlaceholder = regexp.MustCompile(`<ms>`)

func TestKeyCommandPropagation(t *testing.T) {
	cases := []struct {
		name   string
		lazy   bool
		setup  [][]string
		cmd    []string
		want   []string // <ms> matches an absolute unix time in ms
		wantMs int64    // if set, <ms> must be within 2s of now+wantMs
	}{
		{"del", false, [][]string{{"SET", "a", "1"}}, []string{"DEL", "a", "missing"}, []string{"DEL a missing"}, 0},
		{"del nothing", false, nil, []string{"DEL", "missing"}, nil, 0},
		{"unlink", false, [][]string{{"SET", "a", "1"}}, []string{"UNLINK", "a"}, []string{"UNLINK a"}, 0},
		{"rename", false, [][]string{{"SET", "a", "1"}}, []string{"RENAME", "a", "b"}, []string{"RENAME a b"}, 0},
		{"rename same key", false, [][]string{{"SET", "a", "1"}}, []string{"RENAME", "a", "a"}, nil, 0},
		{"renamenx", false, [][]string{{"SET", "a", "1"}}, []string{"RENAMENX", "a", "b"}, []string{"RENAMENX a b"}, 0},
		{"renamenx exists", false, [][]string{{"SET", "a", "1"}, {"SET", "b", "1"}}, []string{"RENAMENX", "a", "b"}, nil, 0},
		{"move", false, [][]string{{"SET", "a", "1"}}, []string{"MOVE", "a", "1"}, []string{"MOVE a 1"}, 0},
		{"copy", false, [][]string{{"SET", "a", "1"}}, []string{"COPY", "a", "b", "DB", "2", "REPLACE"}, []string{"COPY a b DB 2 REPLACE"}, 0},
		{"copy missing", false, nil, []string{"COPY", "a", "b"}, nil, 0},
		{"expire", false, [][]string{{"SET", "a", "1"}}, []string{"EXPIRE", "a", "100"}, []string{"PEXPIREAT a <ms>"}, 100000},
		{"expire flag", false, [][]string{{"SET", "a", "1"}}, []string{"expire", "a", "100", "nx"}, []string{"PEXPIREAT a <ms> nx"}, 100000},
		{"pexpire", false, [][]string{{"SET", "a", "1"}}, []string{"PEXPIRE", "a", "5000"}, []string{"PEXPIREAT a <ms>"}, 5000},
		{"expireat", false, [][]string{{"SET", "a", "1"}}, []string{"EXPIREAT", "a", "4102444800"}, []string{"PEXPIREAT a 4102444800000"}, 0},
		{"pexpireat keeps argv", false, [][]string{{"SET", "a", "1"}}, []string{"pexpireat", "a", "4102444800000", "GT"}, nil, 0},
		{"pexpireat", false, [][]string{{"SET", "a", "1"}}, []string{"pexpireat", "a", "4102444800000"}, []string{"pexpireat a 4102444800000"}, 0},
		{"expire past", false, [][]string{{"SET", "a", "1"}}, []string{"EXPIRE", "a", "-1"}, []string{"DEL a"}, 0},
		{"expire past lazy", true, [][]string{{"SET", "a", "1"}}, []string{"PEXPIREAT", "a", "1"}, []string{"UNLINK a"}, 0},
		{"expire refused", false, [][]string{{"SET", "a", "1"}}, []string{"EXPIRE", "a", "100", "XX"}, nil, 0},
		{"persist", false, [][]string{{"SET", "a", "1"}, {"EXPIRE", "a", "100"}}, []string{"PERSIST", "a"}, []string{"PERSIST a"}, 0},
		{"persist no ttl", false, [][]string{{"SET", "a", "1"}}, []string{"PERSIST", "a"}, nil, 0},
		{"lazy expiry on read", false, [][]string{{"SET", "a", "1"}, {"PEXPIRE", "a", "1"}, {"DEBUG-SLEEP"}}, []string{"EXISTS", "a"}, []string{"DEL a"}, 0},
		{"lazy expiry before write", false, [][]string{{"SET", "a", "1"}, {"PEXPIRE", "a", "1"}, {"DEBUG-SLEEP"}}, []string{"EXPIRE", "a", "10"}, []string{"DEL a"}, 0},
		{"lazy expiry inside del", true, [][]string{{"SET", "a", "1"}, {"SET", "b", "1"}, {"PEXPIRE", "a", "1"}, {"DEBUG-SLEEP"}}, []string{"DEL", "a", "b"}, []string{"MULTI", "UNLINK a", "DEL a b", "EXEC"}, 0},
		{"sort store", false, [][]string{{"SET", "w", "1"}}, []string{"SORT", "src", "STORE", "dst"}, []string{"SORT src STORE dst"}, 0},
		{"sort no store", false, nil, []string{"SORT", "src"}, nil, 0},
		{"sort store empty", false, [][]string{{"SET", "dst", "x"}}, []string{"SORT", "nosrc", "STORE", "dst"}, []string{"SORT nosrc STORE dst"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(cfg *config.Server) {
				cfg.LazyfreeLazyExpire = tc.lazy
				cfg.Hz = 1 // keep active expiry out of the way
			})
			ts.put(0, "src", mustList(bs("2", "1")))
			c := ts.dial(t)
			for _, s := range tc.setup {
				if s[0] == "DEBUG-SLEEP" {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				c.do(s...)
			}
			ts.prop.take()
			c.do(tc.cmd...)
			now := time.Now().UnixMilli()
			got := ts.prop.take()
			if len(got) != len(tc.want) {
				t.Fatalf("%q: got records %q, want %q", tc.cmd, got, tc.want)
			}
			for i := range got {
				re := regexp.MustCompile("^" + msPlaceholder.ReplaceAllString(regexp.QuoteMeta(tc.want[i]), `(\d+)`) + "$")
				m := re.FindStringSubmatch(got[i])
				if m == nil {
					t.Fatalf("%q: got records %q, want %q", tc.cmd, got, tc.want)
				}
				if tc.wantMs != 0 {
					ms, _ := strconv.ParseInt(m[1], 10, 64)
					if d := ms - (now + tc.wantMs); d < -2000 || d > 2000 {
						t.Errorf("%q: absolute time %d is %dms away from now+%d", tc.cmd, ms, d, tc.wantMs)
					}
				}
			}
		})
	}
}

func TestActiveExpiry(t *testing.T) {
	ts := newTestServer(t, func(cfg *config.Server) { cfg.Hz = 100 })
	c := ts.dial(t)
	for db := range []int{0, 3} {
		c.do("SELECT", strconv.Itoa([]int{0, 3}[db]))
		for i := range 300 {
			key := fmt.Sprintf("k%d", i)
			c.send("SET", key, "v")
			c.send("PEXPIRE", key, "20")
		}
		for range 600 {
			c.read()
		}
		c.do("SET", "persistent", "v")
	}
	testutil.Poll(t, 5*time.Second, 20*time.Millisecond, "active expiry to leave one key in db0 and one in db3", func() (bool, string) {
		var n0, n3 int
		ts.locked(func() { n0, n3 = ts.dbs[0].Len(), ts.dbs[3].Len() })
		return n0+n3 == 2, fmt.Sprintf("db0 %d, db3 %d", n0, n3)
	})
	var expired int64
	ts.locked(func() { expired = ts.stats.expiredKeys })
	if expired != 600 {
		t.Errorf("expired_keys: got %d, want 600", expired)
	}
	dels := 0
	for _, r := range ts.prop.take() {
		if strings.HasPrefix(r, "DEL k") {
			dels++
		}
	}
	if dels != 600 {
		t.Errorf("propagated %d DEL records, want 600", dels)
	}
}

// scanAll runs one SCAN call and returns the next cursor and the keys.
func scanOnce(c *rawClient, cursor string, count int) (string, []string) {
	raw := c.do("SCAN", cursor, "COUNT", strconv.Itoa(count))
	lines := strings.Split(raw, "\r\n")
	next := lines[2]
	var keys []string
	for i := 4; i+1 < len(lines); i += 2 {
		keys = append(keys, lines[i+1])
	}
	return next, keys
}

func TestScanGuarantee(t *testing.T) {
	ts := newTestServer(t, func(cfg *config.Server) { cfg.Hz = 1 })
	c := ts.dial(t)
	const n = 500
	pipeline := func(cmds [][]string) {
		for _, cmd := range cmds {
			c.send(cmd...)
		}
		for range cmds {
			c.read()
		}
	}
	var setup [][]string
	for i := range n {
		setup = append(setup, []string{"SET", fmt.Sprintf("orig:%d", i), "v"})
	}
	pipeline(setup)

	seen := map[string]bool{}
	cursor, calls, extra := "0", 0, 0
	for {
		next, keys := scanOnce(c, cursor, 20)
		for _, k := range keys {
			seen[k] = true
		}
		calls++
		switch {
		case calls < 10: // grow: the table doubles several times during the scan
			var cmds [][]string
			for range 300 {
				cmds = append(cmds, []string{"SET", fmt.Sprintf("extra:%d", extra), "v"})
				extra++
			}
			cmds = append(cmds, []string{"DEL", fmt.Sprintf("extra:%d", extra-150)})
			pipeline(cmds)
		case calls == 10: // shrink: drop every extra key, then let the dict resize
			var cmds [][]string
			for i := range extra {
				cmds = append(cmds, []string{"DEL", fmt.Sprintf("extra:%d", i)})
			}
			pipeline(cmds)
			ts.locked(func() {
				ts.dbs[0].Keys.ShrinkIfNeeded()
				ts.dbs[0].Keys.RehashSteps(3)
			})
		}
		cursor = next
		if cursor == "0" {
			break
		}
		if calls > 100000 {
			t.Fatal("scan did not terminate")
		}
	}
	missing := 0
	for i := range n {
		if !seen[fmt.Sprintf("orig:%d", i)] {
			missing++
		}
	}
	if missing != 0 {
		t.Errorf("SCAN missed %d of %d keys present for the whole scan (%d calls)", missing, n, calls)
	}
}

// evictionServer returns a server with the given policy, 20 keys of ~1000 bytes (the ten
// "v*" keys with increasing TTLs), and a fixed memory figure 3000 bytes over maxmemory.
func evictionServer(t *testing.T, policy string, lazy bool) (*testServer, *rawClient) {
	ts := newTestServer(t, func(cfg *config.Server) {
		cfg.MaxMemoryPolicy = policy
		cfg.MaxMemorySamples = 20
		cfg.LazyfreeLazyEviction = lazy
	})
	c := ts.dial(t)
	val := strings.Repeat("x", 1000)
	for i := range 10 {
		c.do("SET", fmt.Sprintf("p%d", i), val)
		c.do("SET", fmt.Sprintf("v%d", i), val)
		c.do("EXPIRE", fmt.Sprintf("v%d", i), strconv.Itoa(1000+100*i))
	}
	ts.locked(func() {
		const live = 1 << 20
		ts.evict.memSource = func() (int64, uint64) { return live, 1 }
		ts.evict.live, ts.evict.gcCycles, ts.evict.grown, ts.evict.freed = live, 1, 0, 0
		ts.cfg.MaxMemory = live - 3000
	})
	ts.prop.take()
	return ts, c
}

func TestEvictionPolicies(t *testing.T) {
	cases := []struct {
		policy string
		// prepare sets LRU/LFU data so the expected victims are deterministic
		prepare func(ts *testServer)
		want    []string // exact victims (sorted), or nil to only check the count
		volOnly bool
	}{
		{"allkeys-lru", func(ts *testServer) { setLRU(ts, "p3", "p7", "v1") }, []string{"p3", "p7", "v1"}, false},
		{"volatile-lru", func(ts *testServer) { setLRU(ts, "p3", "v5", "v8", "v2") }, []string{"v2", "v5", "v8"}, true},
		{"allkeys-lfu", func(ts *testServer) { setLFU(ts, "p1", "v9", "p4") }, []string{"p1", "p4", "v9"}, false},
		{"volatile-lfu", func(ts *testServer) { setLFU(ts, "p1", "v9", "v4", "v3") }, []string{"v3", "v4", "v9"}, true},
		{"volatile-ttl", nil, []string{"v0", "v1", "v2"}, true},
		{"allkeys-random", nil, nil, false},
		{"volatile-random", nil, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.policy, func(t *testing.T) {
			ts, c := evictionServer(t, tc.policy, false)
			if tc.prepare != nil {
				ts.locked(func() { tc.prepare(ts) })
			}
			if got := c.do("SET", "new", "v"); got != "+OK\r\n" {
				t.Fatalf("SET under maxmemory: got %q, want +OK", got)
			}
			var evicted int64
			ts.locked(func() { evicted = ts.stats.evictedKeys })
			recs := ts.prop.take()
			var victims []string
			for _, r := range recs {
				if k, ok := strings.CutPrefix(r, "DEL "); ok {
					victims = append(victims, k)
				}
			}
			slices.Sort(victims)
			if evicted != 3 || int64(len(victims)) != evicted {
				t.Fatalf("evicted_keys %d, DEL records %q: want 3 of each", evicted, victims)
			}
			if recs[len(recs)-1] != "SET new v" {
				t.Errorf("last record: got %q, want the SET after the evictions", recs[len(recs)-1])
			}
			if tc.want != nil && !slices.Equal(victims, tc.want) {
				t.Errorf("victims: got %q, want %q", victims, tc.want)
			}
			for _, v := range victims {
				if tc.volOnly && !strings.HasPrefix(v, "v") {
					t.Errorf("volatile policy evicted %q, which has no TTL", v)
				}
				if got := c.do("EXISTS", v); got != ":0\r\n" {
					t.Errorf("EXISTS %s after eviction: got %q", v, got)
				}
			}
		})
	}
}

// setLRU makes keys the least recently used, the first one oldest.
func setLRU(ts *testServer, keys ...string) {
	clock := ts.lruClock()
	for i, k := range keys {
		ts.dbs[0].Keys.Ref(k).LRU = clock - 1000 + uint32(i)*10
	}
	ts.dbs[0].Keys.Range(func(k string, _ store.Object) bool {
		if !slices.Contains(keys, k) {
			ts.dbs[0].Keys.Ref(k).LRU = clock
		}
		return true
	})
}

// setLFU gives keys the lowest LFU counters, everything else a high counter.
func setLFU(ts *testServer, keys ...string) {
	now := ts.lfuMinutes() << 8
	ts.dbs[0].Keys.Range(func(k string, _ store.Object) bool {
		ts.dbs[0].Keys.Ref(k).LRU = now | 200
		return true
	})
	for i, k := range keys {
		ts.dbs[0].Keys.Ref(k).LRU = now | uint32(1+i)
	}
}

func TestEvictionOOM(t *testing.T) {
	t.Run("noeviction", func(t *testing.T) {
		ts, c := evictionServer(t, "noeviction", false)
		if got := c.do("SET", "new", "v"); got != "-"+ErrOOM+"\r\n" {
			t.Errorf("SET: got %q, want OOM", got)
		}
		if got := c.do("EXISTS", "p1"); got != ":1\r\n" {
			t.Errorf("read command under OOM: got %q, want :1", got)
		}
		if got := c.do("DEL", "p1"); got != ":1\r\n" {
			t.Errorf("DEL (not denyoom) under OOM: got %q, want :1", got)
		}
		var evicted int64
		ts.locked(func() { evicted = ts.stats.evictedKeys })
		if evicted != 0 {
			t.Errorf("evicted_keys: got %d, want 0", evicted)
		}
	})
	t.Run("volatile keys exhausted", func(t *testing.T) {
		ts, c := evictionServer(t, "volatile-lru", false)
		ts.locked(func() { ts.cfg.MaxMemory = 1000 })
		if got := c.do("SET", "new", "v"); got != "-"+ErrOOM+"\r\n" {
			t.Errorf("SET: got %q, want OOM", got)
		}
		var n, vol int
		ts.locked(func() { n, vol = ts.dbs[0].Len(), ts.dbs[0].Expires.Len() })
		if n != 10 || vol != 0 {
			t.Errorf("keys left %d (with TTL %d), want the 10 persistent keys only", n, vol)
		}
	})
	t.Run("lazyfree unlink", func(t *testing.T) {
		ts, c := evictionServer(t, "allkeys-random", true)
		c.do("SET", "new", "v")
		recs := ts.prop.take()
		if len(recs) != 4 || !strings.HasPrefix(recs[0], "UNLINK ") {
			t.Errorf("records: got %q, want 3 UNLINK then SET", recs)
		}
	})
	t.Run("multi queueing refused", func(t *testing.T) {
		_, c := evictionServer(t, "noeviction", false)
		if got := c.do("MULTI"); got != "+OK\r\n" {
			t.Fatalf("MULTI: got %q, want +OK", got)
		}
		if got := c.do("GET", "p1"); got != "-"+ErrOOM+"\r\n" {
			t.Errorf("GET queued in MULTI under OOM: got %q, want OOM", got)
		}
	})
}

func TestLFUCounter(t *testing.T) {
	ts := newTestServer(t, func(cfg *config.Server) { cfg.MaxMemoryPolicy = "allkeys-lfu" })
	ts.locked(func() {
		ts.nowMs = time.Now().UnixMilli()
		o := &store.Object{LRU: ts.initialLRU()}
		if got := ts.lfuDecrAndReturn(o); got != lfuInitVal {
			t.Errorf("new object counter: got %d, want %d", got, lfuInitVal)
		}
		for range 1000 {
			ts.touchObject(o)
		}
		got := ts.lfuDecrAndReturn(o)
		// with lfu-log-factor 10, 1000 hits give a counter of about 18 (redis.conf's table)
		if got < 12 || got > 26 {
			t.Errorf("counter after 1000 hits: got %d, want about 18", got)
		}
		o.LRU = (ts.lfuMinutes()-3)<<8 | 10
		if got := ts.lfuDecrAndReturn(o); got != 7 {
			t.Errorf("counter decayed over 3 minutes: got %d, want 7", got)
		}
	})
}

func mustList(elems [][]byte) store.Object {
	o, _ := newListFromElems(elems)
	return o
}

// TestConfigSetMaxmemoryEvicts: CONFIG SET maxmemory below the memory in use evicts at
// once (updateMaxmemory), with the evicted notification, before any other command runs.
func TestConfigSetMaxmemoryEvicts(t *testing.T) {
	ts := newTestServer(t, func(cfg *config.Server) { cfg.MaxMemoryPolicy = "allkeys-lru" })
	c, sub := ts.dial(t), ts.dial(t)
	c.do("CONFIG", "SET", "notify-keyspace-events", "Ee")
	sub.do("PSUBSCRIBE", "*")
	c.do("SET", "foo", "bar")
	if got := c.do("CONFIG", "SET", "maxmemory", "1"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory: got %q", got)
	}
	want := rawPush(2, rawBulk("pmessage"), rawBulk("*"), rawBulk("__keyevent@0__:evicted"), rawBulk("foo"))
	if got := sub.read(); got != want {
		t.Errorf("notification: got %q, want %q", got, want)
	}
	var evicted int64
	ts.locked(func() { evicted = ts.stats.evictedKeys })
	if evicted != 1 {
		t.Errorf("evicted_keys: got %d, want 1", evicted)
	}
	c.do("CONFIG", "SET", "maxmemory", "0")
}

// TestLazyExpireByScanNotWrapped checks that the keys SCAN and RANDOMKEY expire on the way
// are propagated one DEL each, without MULTI/EXEC (touches_arbitrary_keys), while a
// command run from EXEC keeps its transaction.
func TestLazyExpireByScanNotWrapped(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	for _, cmd := range []string{"SCAN 0", "RANDOMKEY"} {
		if got := c.do("DEBUG", "SET-ACTIVE-EXPIRE", "0"); got != "+OK\r\n" {
			t.Fatalf("DEBUG SET-ACTIVE-EXPIRE: %q", got)
		}
		c.do("SET", "foo1", "bar", "PX", "1")
		c.do("SET", "foo2", "bar", "PX", "1")
		time.Sleep(5 * time.Millisecond) // past both expiry times: nothing to wait for
		ts.prop.take()
		c.do(strings.Fields(cmd)...)
		got := ts.prop.take()
		if len(got) != 2 || !strings.HasPrefix(got[0], "DEL foo") || !strings.HasPrefix(got[1], "DEL foo") {
			t.Errorf("%s propagated %q, want two DELs without MULTI/EXEC", cmd, got)
		}
	}
}
