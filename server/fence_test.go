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

// TestFenceGate: a fenced master without replicas refuses writes at once with Redis's
// NOREPLICAS text; without the lease it refuses reads of keys too (alone or in a
// transaction), not PING or INFO; with the lease (one sentinel, majority 1) reads go
// on, as nothing written waits for an ACK.
func TestFenceGate(t *testing.T) {
	ts := fencedServer(t)
	rc := ts.dial(t)
	if got, want := rc.do("SET", "k", "v"), "-"+ErrNoReplicas+"\r\n"; got != want {
		t.Fatalf("SET without replicas: got %q, want %q", got, want)
	}
	fenced := "-" + ErrFencedLease + "\r\n"
	if got := rc.do("GET", "k"); got != fenced {
		t.Fatalf("GET without the lease: got %q, want %q", got, fenced)
	}
	rc.do("MULTI")
	rc.do("GET", "k")
	if got, want := rc.do("EXEC"), "-EXECABORT Transaction discarded because of: "+ErrFencedLease[len("FENCED "):]; !strings.HasPrefix(got, "-EXECABORT") {
		t.Fatalf("MULTI GET EXEC without the lease: got %q, want %q", got, want)
	}
	if got := rc.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING without the lease: got %q", got)
	}
	tok := rc.do("REPLCONF", "FENCE", "s1", "1", "5000", "0")
	rc.do("REPLCONF", "FENCE", "s1", "1", "5000", strings.TrimSuffix(tok[1:], "\r\n"))
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
