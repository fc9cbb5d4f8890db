package server

import (
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
)

// TestReplyLimit: a read-only command's reply longer than proto-max-reply-len is
// replaced by an error (also inside EXEC, as that command's element); a command that
// writes is not bounded; a reply under the bound is untouched.
func TestReplyLimit(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.ProtoMaxReplyLen = 1000 })
	c := ts.dial(t)
	c.do("SADD", "s", "a")
	c.do("ZADD", "z", "1", "a")
	c.do("HSET", "h", "f", "v")
	for i := 0; i < 200; i++ {
		c.do("RPUSH", "l", "element")
	}
	const tooBig = "-" + ErrReplyTooBig + "\r\n"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"SRANDMEMBER", "s", "-9223372036854775807"}, tooBig},
		{[]string{"ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"}, tooBig},
		{[]string{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"}, tooBig},
		{[]string{"LRANGE", "l", "0", "-1"}, tooBig},
		{[]string{"SRANDMEMBER", "s", "-2"}, "*2\r\n$1\r\na\r\n$1\r\na\r\n"},
		{[]string{"LRANGE", "l", "0", "1"}, "*2\r\n$7\r\nelement\r\n$7\r\nelement\r\n"},
		{[]string{"SRANDMEMBER", "s", "-9223372036854775808"}, "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"},
	}
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.args, truncate(got, 100), tc.want)
		}
	}
	c.do("MULTI")
	c.do("SRANDMEMBER", "s", "-1000000")
	c.do("SCARD", "s")
	if got, want := c.do("EXEC"), "*2\r\n"+tooBig+":1\r\n"; got != want {
		t.Errorf("EXEC: got %q, want %q", got, want)
	}
	// a write is not bounded: LPOP with a count returns what it removed
	if got := c.do("LPOP", "l", "200"); !strings.HasPrefix(got, "*200\r\n") {
		t.Errorf("LPOP l 200: got %q, want the 200 elements", truncate(got, 100))
	}
}
