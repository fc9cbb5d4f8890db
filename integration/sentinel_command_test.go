package integration

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/resp"
)

// canonical re-encodes a reply with the elements of every array, set and map (as
// key-value pairs) sorted, for replies in Redis's hash-table order at every level.
func canonical(t *testing.T, raw string) string {
	t.Helper()
	v, _, err := resp.ParseValue([]byte(raw))
	if err != nil {
		return raw
	}
	return canonicalValue(v)
}

func canonicalValue(v *resp.Value) string {
	step := 1
	if v.Kind == '%' {
		step = 2
	}
	var parts []string
	for i := 0; i+step <= len(v.Elems); i += step {
		s := ""
		for _, e := range v.Elems[i : i+step] {
			s += canonicalValue(e)
		}
		parts = append(parts, s)
	}
	sort.Strings(parts)
	w := resp.Writer{Proto: 3}
	(&resp.Value{Kind: v.Kind, Str: v.Str, Int: v.Int}).Write(&w)
	if len(v.Elems) > 0 {
		w.B = append(w.B[:0], fmt.Sprintf("%c%d\r\n", v.Kind, len(v.Elems)/step)...)
	}
	return string(w.B) + strings.Join(parts, "")
}

// TestSentinelCommandMatchesRedis compares COMMAND and its subcommands on the sentinel
// port with real redis-sentinel 7.0 (clients call COMMAND on connect): the same 15
// commands, 72 names in COMMAND LIST, the same INFO and DOCS entries and errors.
func TestSentinelCommandMatchesRedis(t *testing.T) {
	redisAddr, vigilAddr, _, _ := startSentinelPair(t, sentinelDiffConf)
	ordered := [][]string{
		{"COMMAND", "COUNT"}, {"COMMAND", "COUNT", "x"}, {"COMMAND", "FOO"}, {"COMMAND", "HELP"},
		{"COMMAND", "INFO", "ping", "nosuch", "SENTINEL|myid", "client|kill"},
		{"COMMAND", "DOCS", "ping", "nosuch", "sentinel|set"},
		{"COMMAND", "GETKEYS"}, {"COMMAND", "GETKEYS", "ping"}, {"COMMAND", "GETKEYS", "get", "x"},
		{"COMMAND", "GETKEYSANDFLAGS", "ping", "x"}, {"COMMAND", "GETKEYS", "sentinel", "nosuch", "x"},
		{"COMMAND", "LIST", "FILTERBY", "module", "x"}, {"COMMAND", "LIST", "x"},
		{"COMMAND", "LIST", "FILTERBY", "foo", "x"},
	}
	unordered := [][]string{
		{"COMMAND"}, {"COMMAND", "INFO"}, {"COMMAND", "DOCS"}, {"COMMAND", "LIST"},
		{"COMMAND", "INFO", "sentinel", "client"}, {"COMMAND", "DOCS", "sentinel"},
		{"COMMAND", "LIST", "FILTERBY", "pattern", "SENTINEL|*"}, {"COMMAND", "LIST", "FILTERBY", "aclcat", "SLOW"},
	}
	forEachProto(t, redisAddr, vigilAddr, func(proto string, rc, vc *testutil.RawConn) {
		for _, cmd := range ordered {
			if got, want := vc.Do(cmd...), rc.Do(cmd...); got != want {
				t.Errorf("RESP%s %q:\n got %q\nwant %q", proto, cmd, got, want)
			}
		}
		for _, cmd := range unordered {
			if got, want := canonical(t, vc.Do(cmd...)), canonical(t, rc.Do(cmd...)); got != want {
				t.Errorf("RESP%s %q (sorted at every level):\n got %q\nwant %q", proto, cmd, got, want)
			}
		}
	})
}
