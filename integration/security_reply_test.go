package integration

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestHugeReplyRefused: SRANDMEMBER with a count of -LONG_MAX made Vigil (and Redis 7.0)
// build a reply until the kernel killed it. Vigil now stops at proto-max-reply-len and
// replies an error; the server stays small and keeps serving. The range Redis itself
// refuses gets Redis's error, checked against redis-server with the same inputs.
func TestHugeReplyRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, addr := testutil.StartVigil(t, "--proto-max-reply-len", "64mb")
	c := testutil.DialRaw(t, addr)
	c.Do("SADD", "s", "member")
	c.Do("ZADD", "z", "1", "member")
	c.Do("HSET", "h", "field", "value")
	const tooBig = "-ERR reply exceeds maximum allowed size (proto-max-reply-len)\r\n"
	for _, args := range [][]string{
		{"SRANDMEMBER", "s", "-9223372036854775807"},
		{"ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"},
		{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
	} {
		if got := c.Do(args...); got != tooBig {
			t.Errorf("%v: got %q, want %q", args, truncateQ(got), tooBig)
		}
	}
	rss := infoInt(t, c, "used_memory_rss")
	t.Logf("used_memory_rss %d after the refused replies", rss)
	if rss > 1<<30 {
		t.Errorf("used_memory_rss %d after replies bounded at 64 MB: want under 1 GB", rss)
	}
	if got := c.Do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING after: got %q, want +PONG", got)
	}

	rangeErrors := [][]string{
		{"SRANDMEMBER", "s", "-9223372036854775808"},
		{"ZRANDMEMBER", "z", "-9223372036854775808"},
		{"ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"},
		{"HRANDFIELD", "h", "-9223372036854775808"},
		{"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"},
	}
	_, ref := testutil.StartRedis(t)
	r := testutil.DialRaw(t, ref)
	r.Do("SADD", "s", "member")
	r.Do("ZADD", "z", "1", "member")
	r.Do("HSET", "h", "field", "value")
	for _, args := range rangeErrors {
		want := r.Do(args...)
		if want[0] != '-' {
			t.Fatalf("%v: redis-server replied %q, want an error (the test must not make it build a huge reply)", args, truncateQ(want))
		}
		if got := c.Do(args...); got != want {
			t.Errorf("%v: got %q, redis-server says %q", args, got, want)
		}
	}
}

// TestPipelinedRepliesBackpressure: a client pipelines many big replies and does not
// read them. Vigil answers as fast as the client reads (each batch's replies are written
// before the rest of the pipeline runs), so it never holds them all; before, it ran the
// whole pipeline at once and held every reply (twice) in memory.
func TestPipelinedRepliesBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, addr := testutil.StartVigil(t)
	admin := testutil.DialRaw(t, addr)
	value := strings.Repeat("v", 1000)
	for i := 0; i < 4; i++ { // a list whose LRANGE reply is about 4 MB
		args := []string{"RPUSH", "l"}
		for j := 0; j < 1000; j++ {
			args = append(args, value)
		}
		admin.Do(args...)
	}
	const n = 50 // 200 MB of replies in all
	c := testutil.DialRaw(t, addr)
	var pipeline []byte
	for i := 0; i < n; i++ {
		pipeline = append(pipeline, testutil.EncodeCommand([]byte("LRANGE"), []byte("l"), []byte("0"), []byte("-1"))...)
	}
	if _, err := c.Conn.Write(pipeline); err != nil {
		t.Fatal(err)
	}
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "the pipeline to start", func() bool {
		return strings.Contains(admin.Do("INFO", "commandstats"), "cmdstat_lrange:calls=")
	})
	rss := infoInt(t, admin, "used_memory_rss")
	t.Logf("used_memory_rss %d with %d replies of 4 MB pending", rss, n)
	// up to 12 MB of unsent replies are buffered (then the pipeline waits), plus the batch
	// being answered: far from the 200 MB the pipeline asks for, garbage included
	if rss > 150<<20 {
		t.Errorf("used_memory_rss %d while the client reads nothing: want under 150 MB (the replies must wait for the client)", rss)
	}
	list := admin.Do("CLIENT", "LIST")
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.Contains(line, "cmd=client|list") {
			for _, kv := range f {
				if v, ok := strings.CutPrefix(kv, "omem="); ok {
					if omem, _ := strconv.Atoi(v); omem > 24<<20 {
						t.Errorf("omem %d of the client that reads nothing: want at most 12 MB plus two 4 MB replies", omem)
					}
				}
			}
		}
	}
	// and every reply arrives whole once the client reads
	for i := 0; i < n; i++ {
		r, err := c.Read(30 * time.Second)
		if err != nil || !strings.HasPrefix(string(r), "*4000\r\n") {
			t.Fatalf("reply %d: got %q (%v), want the 4000 elements", i, truncateQ(string(r)), err)
		}
	}
}
