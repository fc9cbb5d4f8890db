package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/resp"
)

// TestDifferential sends every command of every testdata/differential/*.txt corpus to a
// real redis-server 7.0 and to Vigil, and compares the raw RESP replies byte for byte.
//
// Corpus format, one command per line in redis-cli quoting; '#' starts a comment line.
// Directives:
//
//	!unordered CMD        compare an aggregate reply as a multiset of its elements
//	!unordered-pairs CMD  same, keeping (field, value) pairs together (flat HGETALL...)
//	!unordered-deep CMD   multiset comparison at every nesting level (SCAN's key array)
//	!ttl CMD              integer replies may differ by at most 1 (TTL drift)
//	!subset CMD           Vigil's aggregate elements appear in Redis's, in the same order
//	                      (a HELP that lists only the subcommands Vigil implements)
//	!read                 read one more reply from both without sending (pub/sub)
//	!sleep MS             pause
//
// Each file runs on fresh connections after FLUSHALL on both servers.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	files, err := filepath.Glob(filepath.Join(testutil.ModuleRoot(t), "testdata", "differential", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files found: %v", err)
	}
	common := []string{"--enable-debug-command", "yes"}
	_, redisAddr := testutil.StartRedis(t, common...)
	_, vigilAddr := testutil.StartVigil(t, common...)
	total := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			total += runCorpus(t, f, redisAddr, vigilAddr)
		})
	}
	t.Logf("%d commands compared across %d corpus files", total, len(files))
}

type corpusLine struct {
	no   int
	text string
}

func readCorpus(t *testing.T, path string) []corpusLine {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	no := 0
	for sc.Scan() {
		no++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, corpusLine{no, line})
	}
	return out
}

func runCorpus(t *testing.T, path, redisAddr, vigilAddr string) int {
	ref := testutil.DialRaw(t, redisAddr)
	vig := testutil.DialRaw(t, vigilAddr)
	for _, c := range []*testutil.RawConn{ref, vig} {
		c.Do("FLUSHALL")
	}
	n := 0
	var failures []string
	// the two servers run each line one after the other, so a TTL set on one line can
	// differ between them by as much as that line and the reading one took: what
	// "!ttl" tolerates beyond 1 ms (a loaded machine stretches it)
	var prevTook time.Duration
	for _, l := range readCorpus(t, path) {
		mode, text := "", l.text
		if strings.HasPrefix(text, "!") {
			word, rest, _ := strings.Cut(text, " ")
			mode, text = word, strings.TrimSpace(rest)
		}
		switch mode {
		case "!sleep":
			ms, _ := strconv.Atoi(text)
			time.Sleep(time.Duration(ms) * time.Millisecond)
			continue
		case "!read":
		case "", "!unordered", "!unordered-pairs", "!unordered-deep", "!ttl", "!subset":
			args, ok := resp.SplitArgs([]byte(text), nil)
			if !ok || len(args) == 0 {
				t.Fatalf("%s:%d: bad command line %q", filepath.Base(path), l.no, l.text)
			}
			ref.Send(args...)
			vig.Send(args...)
		default:
			t.Fatalf("%s:%d: unknown directive %q", filepath.Base(path), l.no, mode)
		}
		n++
		sent := time.Now()
		want, errR := ref.Read(10 * time.Second)
		got, errV := vig.Read(10 * time.Second)
		took := time.Since(sent)
		skew := int64(1) // TTL's seconds: rounding apart, the same
		if strings.HasPrefix(strings.ToLower(text), "pttl") {
			skew += (prevTook + took).Milliseconds()
		}
		prevTook = took
		if errR != nil {
			t.Fatalf("%s:%d %q: redis-server reply: %v", filepath.Base(path), l.no, l.text, errR)
		}
		if errV != nil {
			failures = append(failures, fmt.Sprintf("line %d %q: vigil reply error %v (redis %q)", l.no, l.text, errV, want))
			t.Errorf("%s", strings.Join(failures, "\n"))
			return n
		}
		if !sameReply(mode, want, got, skew) {
			failures = append(failures, fmt.Sprintf("line %d %q:\n    redis %q\n    vigil %q", l.no, l.text, want, got))
		}
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d replies differ:\n%s", len(failures), n, strings.Join(failures, "\n"))
	}
	return n
}

func sameReply(mode string, want, got []byte, skew int64) bool {
	if bytes.Equal(want, got) {
		return true
	}
	switch mode {
	case "!ttl":
		a, errA := intReply(want)
		b, errB := intReply(got)
		return errA == nil && errB == nil && a-b <= skew && b-a <= skew
	case "!unordered-deep":
		return bytes.Equal(deepCanon(want), deepCanon(got))
	case "!subset":
		return isSubsequence(want, got)
	case "!unordered", "!unordered-pairs":
		hw, ew, okw := testutil.SplitAggregate(want)
		hg, eg, okg := testutil.SplitAggregate(got)
		if !okw || !okg || hw != hg || len(ew) != len(eg) {
			return false
		}
		group := 1
		if mode == "!unordered-pairs" || want[0] == '%' {
			group = 2
		}
		return bytes.Equal(canon(ew, group), canon(eg, group))
	}
	return false
}

// isSubsequence reports whether got's aggregate elements are, in order, among want's.
func isSubsequence(want, got []byte) bool {
	_, ew, okw := testutil.SplitAggregate(want)
	_, eg, okg := testutil.SplitAggregate(got)
	if !okw || !okg || len(eg) == 0 {
		return false
	}
	i := 0
	for _, e := range ew {
		if i < len(eg) && bytes.Equal(e, eg[i]) {
			i++
		}
	}
	return i == len(eg)
}

func canon(elems [][]byte, group int) []byte {
	var items []string
	for i := 0; i+group <= len(elems); i += group {
		var b bytes.Buffer
		for j := 0; j < group; j++ {
			b.Write(elems[i+j])
		}
		items = append(items, b.String())
	}
	sort.Strings(items)
	return []byte(strings.Join(items, "\x00"))
}

func intReply(b []byte) (int64, error) {
	if len(b) < 4 || b[0] != ':' {
		return 0, fmt.Errorf("not an integer reply")
	}
	return strconv.ParseInt(string(b[1:len(b)-2]), 10, 64)
}

// deepCanon renders a reply with every aggregate's elements sorted, recursively.
func deepCanon(raw []byte) []byte {
	header, elems, ok := testutil.SplitAggregate(raw)
	if !ok {
		return raw
	}
	items := make([]string, len(elems))
	for i, e := range elems {
		items[i] = string(deepCanon(e))
	}
	sort.Strings(items)
	return []byte(header + strings.Join(items, "\x00"))
}
