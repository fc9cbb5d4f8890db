package server

import (
	"net"
	"strings"
	"testing"
)

// TestMigrate moves, copies and replaces keys between two servers, and checks the
// replies of MIGRATE's error paths (Redis 7.0.15's texts).
func TestMigrate(t *testing.T) {
	src, dst := newTestServer(t, nil), newTestServer(t, nil)
	host, port, _ := net.SplitHostPort(dst.addr)
	a, b := src.dial(t), dst.dial(t)
	a.do("SET", "key", "val")
	a.do("RPUSH", "list", "x", "y")
	a.do("SET", "ttl", "v", "PX", "100000")
	hsRunSteps(t, a, []hsStep{
		{[]string{"MIGRATE", host, port, "key", "9", "1000"}, "+OK\r\n"},
		{[]string{"EXISTS", "key"}, ":0\r\n"},
		{[]string{"MIGRATE", host, port, "", "9", "1000", "KEYS", "list", "nokey", "ttl"}, "+OK\r\n"},
		{[]string{"DBSIZE"}, ":0\r\n"},
		{[]string{"MIGRATE", host, port, "", "9", "1000", "KEYS", "nokey"}, "+NOKEY\r\n"},
		{[]string{"SET", "key", "v2"}, "+OK\r\n"},
		{[]string{"MIGRATE", host, port, "key", "9", "1000", "COPY"},
			"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"},
		{[]string{"MIGRATE", host, port, "key", "9", "1000", "COPY", "REPLACE"}, "+OK\r\n"},
		{[]string{"EXISTS", "key"}, ":1\r\n"},
		{[]string{"MIGRATE", host, port, "key", "9", "1000", "AUTH"}, "-ERR syntax error\r\n"},
		{[]string{"MIGRATE", host, port, "key", "9", "1000", "KEYS", "a"},
			"-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n"},
		{[]string{"MIGRATE", host, port, "key", "x", "1000"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"MIGRATE", host, "1", "key", "9", "1000"}, "-IOERR error or timeout writing to target instance\r\n"},
	})
	if got := b.do("SELECT", "9"); got != "+OK\r\n" {
		t.Fatalf("SELECT 9: %q", got)
	}
	hsRunSteps(t, b, []hsStep{
		{[]string{"GET", "key"}, "$2\r\nv2\r\n"},
		{[]string{"LRANGE", "list", "0", "-1"}, "*2\r\n$1\r\nx\r\n$1\r\ny\r\n"},
		{[]string{"EXISTS", "ttl"}, ":1\r\n"},
	})
	if got := b.do("PTTL", "ttl"); got == ":-1\r\n" || got == ":-2\r\n" {
		t.Errorf("PTTL of the migrated volatile key: %q, want its TTL", got)
	}
	got := strings.Join(src.prop.take(), "\n")
	if !strings.Contains(got, "\nDEL key\n") || !strings.Contains(got, "\nDEL list ttl\n") {
		t.Errorf("propagated %q, want MIGRATE as DEL key and DEL list ttl", got)
	}
}
