package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

func fencedServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServer(t, func(c *config.Server) {
		c.FencedMode = true
		c.FencedLeaseMs = 2000
	})
}

// TestFenceRenewReplies checks REPLCONF FENCE's replies: a token for a first renewal,
// and the error for malformed renewals and tokens that are not this run's or from the
// future.
func TestFenceRenewReplies(t *testing.T) {
	ts := fencedServer(t)
	rc := ts.dial(t)
	first := rc.do("REPLCONF", "FENCE", "s1", "2", "5000", "0")
	if !strings.HasPrefix(first, "+"+ts.repl.fence.nonce+"-") {
		t.Fatalf("first renewal: got %q, want +%s-<ns>", first, ts.repl.fence.nonce)
	}
	tok := strings.TrimSuffix(first[1:], "\r\n")
	bad := "-" + ErrFencedRenew + "\r\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"renewal with our token", []string{"s1", "2", "5000", tok}, "+"},
		{"too few arguments", []string{"s1", "2", "5000"}, "-" + ErrSyntax + "\r\n"},
		{"majority not a number", []string{"s1", "x", "5000", "0"}, bad},
		{"majority 0", []string{"s1", "0", "5000", "0"}, bad},
		{"negative down-after", []string{"s1", "2", "-1", "0"}, bad},
		{"empty sentinel id", []string{"", "2", "5000", "0"}, bad},
		{"token of another run", []string{"s1", "2", "5000", "0123456789abcdef-5"}, bad},
		{"token from the future", []string{"s1", "2", "5000", ts.repl.fence.nonce + "-" + strconv.FormatInt(int64(time.Hour*1e6), 10)}, bad},
		{"token without a time", []string{"s1", "2", "5000", ts.repl.fence.nonce}, bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rc.do(append([]string{"REPLCONF", "FENCE"}, tt.args...)...)
			if !strings.HasPrefix(got, tt.want) {
				t.Fatalf("REPLCONF FENCE %q: got %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

// TestFenceLease checks when the lease holds, from the renewals' token times.
func TestFenceLease(t *testing.T) {
	ts := fencedServer(t)
	s := ts.Server
	now := s.startTime.Add(time.Hour)
	ago := func(ms int) time.Time { return now.Add(-time.Duration(ms) * time.Millisecond) }
	type ren struct {
		id        string
		fromAgo   int // ms before now
		majority  int
		downAfter time.Duration
	}
	tests := []struct {
		name      string
		renewals  []ren
		wantValid bool
		wantLeft  time.Duration
	}{
		{"no renewal", nil, false, 0},
		{"one of a majority of two", []ren{{"a", 100, 2, 5 * time.Second}}, false, 0},
		{"two of two: until the older ends", []ren{{"a", 100, 2, 5 * time.Second}, {"b", 500, 2, 5 * time.Second}}, true, 1500 * time.Millisecond},
		{"two of three, one expired", []ren{{"a", 100, 2, 5 * time.Second}, {"b", 2500, 2, 5 * time.Second}, {"c", 1000, 2, 5 * time.Second}}, true, time.Second},
		{"the lease is capped at 90% of down-after", []ren{{"a", 100, 1, time.Second}}, true, 800 * time.Millisecond},
		{"capped lease expired", []ren{{"a", 950, 1, time.Second}}, false, 0},
		{"the largest announced majority counts", []ren{{"a", 100, 1, 5 * time.Second}, {"b", 100, 3, 5 * time.Second}}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.mu.Lock()
			defer s.mu.Unlock()
			f := &s.repl.fence
			f.renewals = map[string]renewal{}
			for _, r := range tt.renewals {
				f.renewals[r.id] = renewal{from: ago(r.fromAgo), majority: r.majority, downAfter: r.downAfter}
			}
			f.until = s.leaseUntil()
			_, _, left := s.leaseState(now)
			if got := s.leaseValid(now); got != tt.wantValid || left != tt.wantLeft {
				t.Fatalf("renewals %+v: valid %v with %v left, want %v with %v", tt.renewals, got, left, tt.wantValid, tt.wantLeft)
			}
		})
	}
}

// TestFenceGate: a fenced master without the lease refuses writes with FENCED even
// without replicas (the lease comes first: a resumed old master has lost both, and the
// error closes the connection); with the lease but without replicas, at once with Redis's
// NOREPLICAS text; with the lease (one sentinel, majority 1) reads go on without
// replicas, as nothing written waits for an ACK (reads without the lease:
// TestFenceReadLease).
func TestFenceGate(t *testing.T) {
	ts := fencedServer(t)
	if got, want := ts.dial(t).do("SET", "k", "v"), "-"+ErrFencedLease+"\r\n"; got != want {
		t.Fatalf("SET without the lease and replicas: got %q, want %q", got, want)
	}
	rc := ts.dial(t)
	tok := rc.do("REPLCONF", "FENCE", "s1", "1", "5000", "0")
	rc.do("REPLCONF", "FENCE", "s1", "1", "5000", strings.TrimSuffix(tok[1:], "\r\n"))
	if got, want := rc.do("SET", "k", "v"), "-"+ErrNoReplicas+"\r\n"; got != want {
		t.Fatalf("SET with the lease, without replicas: got %q, want %q", got, want)
	}
	if got := rc.do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET with the lease: got %q, want a nil reply", got)
	}
	info := rc.do("INFO", "replication")
	for _, line := range []string{"fenced_mode:1", "fenced_replicas:1", "fenced_lease:valid"} {
		if !strings.Contains(info, "\r\n"+line+"\r\n") {
			t.Fatalf("INFO replication lacks %q:\n%s", line, info)
		}
	}
}

// fakeReplica is a replica spoken by hand over RESP: it completes a full resync and
// acknowledges only the offsets the test tells it to.
type fakeReplica struct {
	rc     *rawClient
	offset int64 // the offset of the full resync
}

// attachFakeReplica makes a fake replica of ts and acknowledges the resync's offset, so
// that it counts as online for fenced mode.
func attachFakeReplica(t *testing.T, ts *testServer) *fakeReplica {
	t.Helper()
	rc := ts.dial(t)
	if got := rc.do("REPLCONF", "listening-port", "1"); got != "+OK\r\n" {
		t.Fatalf("REPLCONF listening-port: %q", got)
	}
	rc.send("PSYNC", "?", "-1")
	rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := rc.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "+FULLRESYNC ") {
		t.Fatalf("PSYNC: %q %v", line, err)
	}
	fields := strings.Fields(line)
	off, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if err != nil {
		t.Fatalf("FULLRESYNC offset in %q: %v", line, err)
	}
	for { // the master may send newlines while it prepares the RDB
		line, err = rc.r.ReadString('\n')
		if err != nil {
			t.Fatalf("RDB header: %v", err)
		}
		if line != "\n" {
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if line[0] != '$' || err != nil {
		t.Fatalf("RDB header %q (disk-based sync expected)", line)
	}
	if _, err := rc.r.Discard(n); err != nil {
		t.Fatalf("RDB body: %v", err)
	}
	f := &fakeReplica{rc: rc, offset: off}
	f.ack(t, off)
	poll(t, "the fake replica online", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.onlineReplicas() == 1
	})
	return f
}

// ack sends REPLCONF ACK off (no reply).
func (f *fakeReplica) ack(t *testing.T, off int64) {
	t.Helper()
	f.rc.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
}

// poll waits (bounded) until cond holds.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// masterOffset is the master's replication offset now.
func (ts *testServer) masterOffset() int64 {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.repl.offset
}

// TestFenceReadHold: in fenced mode a read is not answered while a write it may show is
// not acknowledged by the replicas: it waits for their ACKs (then answers), or fails with
// the write path's error when they do not come in time, transactions included; commands
// that show no data (PING, PUBLISH) are not held; once everything is acknowledged reads are
// answered without asking the replicas anything.
func TestFenceReadHold(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) {
		c.FencedMode = true
		c.FencedReplicas = 1
		c.FencedLeaseMs = 0 // no lease: the ACK timeout is fenceAckTimeoutNoLease
		c.ReplDisklessSync = false
	})
	rep := attachFakeReplica(t, ts)
	timeout := "-" + ErrFencedTimeout + "\r\n"

	// a write the replica acknowledges: its writer and a reader waiting behind it are
	// both answered once the ACK arrives
	w, r := ts.dial(t), ts.dial(t)
	w.send("SET", "k", "1")
	poll(t, "the SET applied", func() bool { return ts.masterOffset() > rep.offset })
	r.send("GET", "k")
	poll(t, "the GET run", func() bool { // its reply waits for the same ACK as the SET's
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.stats.keyspaceHits == 1
	})
	rep.ack(t, ts.masterOffset())
	if got := w.read(); got != "+OK\r\n" {
		t.Fatalf("SET after the ACK: got %q", got)
	}
	if got := r.read(); got != "$1\r\n1\r\n" {
		t.Fatalf("GET after the ACK: got %q", got)
	}
	// everything acknowledged: a read is answered although the replica acknowledges
	// nothing more
	if got := r.do("GET", "k"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET of an acknowledged value: got %q", got)
	}

	// a write the replica never acknowledges: readers of it get the write's error
	w.send("SET", "k", "2")
	poll(t, "the second SET applied", func() bool { return ts.masterOffset() > rep.offset })
	p, m := ts.dial(t), ts.dial(t)
	if got := p.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING while a write waits: got %q", got)
	}
	// a sentinel's hello PUBLISH moves the offset but shows no data: not held either
	if got := p.do("PUBLISH", "__sentinel__:hello", "x"); got != ":0\r\n" {
		t.Fatalf("PUBLISH while a write waits: got %q", got)
	}
	if got := m.do("MULTI"); got != "+OK\r\n" {
		t.Fatalf("MULTI: %q", got)
	}
	if got := m.do("GET", "k"); got != "+QUEUED\r\n" {
		t.Fatalf("GET in MULTI: %q", got)
	}
	m.send("EXEC")
	r.send("GET", "k")
	r.send("EXISTS", "k")
	for _, c := range []struct {
		name string
		rc   *rawClient
		n    int
	}{{"SET", w, 1}, {"GET, EXISTS", r, 2}, {"EXEC", m, 1}} {
		for i := range c.n {
			if got := c.rc.read(); got != timeout {
				t.Fatalf("%s (reply %d) without the ACK: got %q, want %q", c.name, i, got, timeout)
			}
		}
	}
}

// TestFenceReadLease: without the lease, reads are refused with the write path's FENCED
// error (at once, in MULTI too) and the connection closes after the error (the client
// re-resolves the master), while commands that show no data still run.
func TestFenceReadLease(t *testing.T) {
	ts := fencedServer(t)
	fenced := "-" + ErrFencedLease + "\r\n"
	tests := []struct {
		name  string
		cmds  [][]string
		want  []string
		close bool // the connection closes after the last reply
	}{
		{"GET", [][]string{{"GET", "k"}}, []string{fenced}, true},
		{"EXISTS", [][]string{{"EXISTS", "k"}}, []string{fenced}, true},
		{"DBSIZE", [][]string{{"DBSIZE"}}, []string{fenced}, true},
		{"PING", [][]string{{"PING"}, {"PING"}}, []string{"+PONG\r\n", "+PONG\r\n"}, false},
		{"GET in MULTI", [][]string{{"MULTI"}, {"GET", "k"}}, []string{"+OK\r\n", fenced}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := ts.dial(t)
			for i, args := range tt.cmds {
				if got := rc.do(args...); got != tt.want[i] {
					t.Fatalf("%q without the lease: got %q, want %q", args, got, tt.want[i])
				}
			}
			rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			rc.send("PING")
			_, err := rc.r.ReadString('\n')
			if closed := err != nil; closed != tt.close {
				t.Fatalf("after %q: connection closed %v (read: %v), want %v", tt.cmds, closed, err, tt.close)
			}
		})
	}
}
