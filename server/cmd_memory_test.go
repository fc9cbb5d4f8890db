package server

import (
	"strings"
	"testing"
)

// TestMemoryStatsFraming: MEMORY STATS announces as many map entries as it sends, so the
// connection stays in step (the next reply is the next command's), and ends with
// fragmentation.bytes as in Redis.
func TestMemoryStatsFraming(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "k", "v")
	if got := c.do("MEMORY", "STATS"); !strings.Contains(got, "$19\r\nfragmentation.bytes\r\n:") {
		t.Errorf("MEMORY STATS: got %q, want it to end with fragmentation.bytes", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING after MEMORY STATS: got %q, want +PONG (the map header was short)", got)
	}
}
