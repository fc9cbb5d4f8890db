package server

import (
	"fmt"
	"github.com/vigil-db/vigil/internal/testutil"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

func TestLatencyHistBuckets(t *testing.T) {
	for _, tc := range []struct {
		v, highest int64
	}{
		{1, 1}, {255, 255}, {256, 257}, {257, 257}, {1024, 1031}, {2048, 2063},
		{1_000_000, 1_003_519}, {3_000_000, 3_014_655}, {histMax, 1_002_438_655},
	} {
		if got := histHighest(histIndex(tc.v)); got != tc.highest {
			t.Errorf("highest equivalent of %d: got %d, want %d", tc.v, got, tc.highest)
		}
	}
	if i := histIndex(histMax); i >= histBuckets {
		t.Fatalf("index of histMax %d out of %d buckets", i, histBuckets)
	}
}

func TestLatencyHistPercentilesAndCDF(t *testing.T) {
	h := &latencyHist{}
	for i := 0; i < 98; i++ {
		h.record(1500 * time.Nanosecond)
	}
	h.record(3 * time.Millisecond)
	h.record(2 * time.Second) // clamped to histMax
	if got := h.infoPercentiles("50 99 99.9 100"); got != "p50=1.503,p99=3014.655,p99.9=1002438.655,p100=1002438.655" {
		t.Errorf("percentiles: got %q", got)
	}
	// cumulative counts at 1, 2, 4... µs (highest equivalent values) where they grow: 98 at
	// 2 µs, 99 at 4 ms, 100 at 1 s
	want := []int64{2, 98, 4227, 99, 1_002_438, 100}
	if got := h.appendCDF(nil); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CDF: got %v, want %v", got, want)
	}
}

func TestLatencyCommands(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.LatencyMonitorThreshold = 1 })
	c := ts.dial(t)
	if got := c.do("LATENCY", "LATEST"); got != "*0\r\n" {
		t.Fatalf("LATENCY LATEST before any event: got %q", got)
	}
	c.do("DEBUG", "SLEEP", "0.02")
	c.do("DEBUG", "SLEEP", "0.03") // the same second: the worst is kept
	latest := c.do("LATENCY", "LATEST")
	if !regexp.MustCompile(`^\*1\r\n\*4\r\n\$7\r\ncommand\r\n:\d+\r\n:(2\d|3\d)\r\n:3\d\r\n$`).MatchString(latest) {
		t.Errorf("LATENCY LATEST: got %q", latest)
	}
	if got := c.do("LATENCY", "HISTORY", "command"); !regexp.MustCompile(`^\*[12]\r\n\*2\r\n:\d+\r\n:\d+\r\n`).MatchString(got) {
		t.Errorf("LATENCY HISTORY command: got %q", got)
	}
	if got := c.do("LATENCY", "HISTORY", "nosuch"); got != "*0\r\n" {
		t.Errorf("LATENCY HISTORY nosuch: got %q", got)
	}
	if got := c.do("LATENCY", "GRAPH", "nosuch"); got != "-ERR No samples available for event 'nosuch'\r\n" {
		t.Errorf("LATENCY GRAPH nosuch: got %q", got)
	}
	if got := c.do("LATENCY", "GRAPH", "command"); !strings.Contains(got, "command - high ") || !strings.Contains(got, strings.Repeat("-", 80)) {
		t.Errorf("LATENCY GRAPH command: got %q", got)
	}
	if got := c.do("LATENCY", "DOCTOR"); !strings.Contains(got, "1. command: ") || !strings.Contains(got, "I have a few advices for you") {
		t.Errorf("LATENCY DOCTOR: got %q", got)
	}
	if got := c.do("LATENCY", "RESET", "nosuch"); got != ":0\r\n" {
		t.Errorf("LATENCY RESET nosuch: got %q", got)
	}
	if got := c.do("LATENCY", "RESET"); got != ":1\r\n" {
		t.Errorf("LATENCY RESET: got %q", got)
	}
	if got := c.do("LATENCY", "HELP", "x"); got != "-ERR wrong number of arguments for 'latency|help' command\r\n" {
		t.Errorf("LATENCY HELP x: got %q", got)
	}
}

func TestLatencyHistogramAndInfo(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("CONFIG", "RESETSTAT")
	c.do("SET", "a", "b")
	c.do("SET", "c", "d")
	c.do("CLIENT", "ID")
	if got := c.do("LATENCY", "HISTOGRAM", "set", "nosuch"); !regexp.MustCompile(`^\*2\r\n\$3\r\nset\r\n\*4\r\n\$5\r\ncalls\r\n:2\r\n\$14\r\nhistogram_usec\r\n\*\d+\r\n`).MatchString(got) {
		t.Errorf("LATENCY HISTOGRAM set nosuch: got %q", got)
	}
	if got := c.do("LATENCY", "HISTOGRAM", "client"); !strings.HasPrefix(got, "*2\r\n$9\r\nclient|id\r\n") {
		t.Errorf("LATENCY HISTOGRAM client: got %q", got)
	}
	info := c.do("INFO", "latencystats")
	if !regexp.MustCompile(`\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n`).MatchString(info) ||
		!strings.Contains(info, "latency_percentiles_usec_client|id:") {
		t.Errorf("INFO latencystats: got %q", info)
	}
	c.do("CONFIG", "SET", "latency-tracking-info-percentiles", "0 100")
	if info := c.do("INFO", "latencystats"); !regexp.MustCompile(`latency_percentiles_usec_set:p0=[\d.]+,p100=[\d.]+\r\n`).MatchString(info) {
		t.Errorf("INFO latencystats with percentiles 0 100: got %q", info)
	}
	c.do("CONFIG", "SET", "latency-tracking", "no")
	c.do("CONFIG", "RESETSTAT")
	c.do("GET", "a")
	if info := c.do("INFO", "latencystats"); strings.Contains(info, "latency_percentiles_usec_") {
		t.Errorf("INFO latencystats with latency-tracking no: got %q", info)
	}
}

func TestConfigSetPortAndBind(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	defer l.Close()
	want := "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port\r\n"
	if got := c.do("CONFIG", "SET", "maxmemory", "10mb", "port", fmt.Sprint(busy)); got != want {
		t.Errorf("CONFIG SET port (busy): got %q, want %q", got, want)
	}
	if got := c.do("CONFIG", "GET", "maxmemory"); !strings.HasSuffix(got, "$1\r\n0\r\n") {
		t.Errorf("maxmemory after the failed CONFIG SET: got %q, want rolled back to 0", got)
	}
	if got := ts.dial(t).do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING on the old port after a failed CONFIG SET port: got %q", got)
	}
	if got := c.do("CONFIG", "SET", "bind", "999.999.999.999"); got != "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n" {
		t.Errorf("CONFIG SET bind (invalid): got %q", got)
	}
	port := testutil.FreePort(t)
	if got := c.do("CONFIG", "SET", "port", fmt.Sprint(port)); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET port (free): got %q", got)
	}
	moved := &testServer{Server: ts.Server, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	if got := moved.dial(t).do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING on the new port: got %q", got)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Errorf("the old port still accepts connections after CONFIG SET port")
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING on a connection made before CONFIG SET port: got %q", got)
	}
}
