package failover

import (
	"testing"
	"time"
)

// TestSelectFenced has one row per rule of SelectFenced: promotion never goes backwards.
func TestSelectFenced(t *testing.T) {
	since := time.Unix(998, 0) // select_slave began; the candidates' INFO at 999 is fresh
	stale := time.Unix(997, 0)
	cand := func(host string, off int64, mod func(*Candidate)) Candidate {
		c := goodCandidate(host)
		c.Offset = off
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name     string
		fencing  Fencing
		known    int
		cands    []Candidate
		wantHost string
		want     Fenced
	}{
		{"highest offset wins over a better priority", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, func(c *Candidate) { c.Priority = 1 }), cand("b", 200, nil)}, "b", FencedPromote},
		{"equal offsets: priority, as Redis", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 200, func(c *Candidate) { c.Priority = 50 }), cand("b", 200, nil)}, "a", FencedPromote},
		{"N=1 of 2 replicas: both offsets needed, one stale → wait", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.InfoTime = stale })}, "", FencedWait},
		{"N=1 of 2 replicas: one unreachable → wait", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.Disconnected = true })}, "", FencedWait},
		{"N=2 of 2 replicas: one fresh offset is enough", Fencing{true, 2}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.Disconnected = true })}, "a", FencedPromote},
		{"N=2 of 3: two fresh offsets, the highest wins", Fencing{true, 2}, 3,
			[]Candidate{cand("a", 100, nil), cand("b", 300, nil), cand("c", 900, func(c *Candidate) { c.SDown = true })}, "b", FencedPromote},
		{"highest offset has priority 0: none, never a lower one", Fencing{true, 1}, 2,
			[]Candidate{cand("a", 100, nil), cand("b", 200, func(c *Candidate) { c.Priority = 0 })}, "", FencedNone},
		{"stale INFO never counts even with a high offset", Fencing{true, 1}, 1,
			[]Candidate{cand("a", 900, func(c *Candidate) { c.InfoTime = stale })}, "", FencedWait},
		{"no candidates", Fencing{true, 1}, 0, nil, "", FencedWait},
		{"fenced-replicas 0 counts as 1", Fencing{true, 0}, 1, []Candidate{cand("a", 5, nil)}, "a", FencedPromote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, v := SelectFenced(baseParams(), tt.fencing, tt.known, since, tt.cands)
			if v != tt.want || got.Addr.Host != tt.wantHost {
				t.Fatalf("SelectFenced(%+v, known %d) = %q, %v; want %q, %v", tt.fencing, tt.known, got.Addr.Host, v, tt.wantHost, tt.want)
			}
		})
	}
}
