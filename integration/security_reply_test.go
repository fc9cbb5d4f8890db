package integration

import (
	"testing"

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
