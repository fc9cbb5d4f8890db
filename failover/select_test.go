package failover

import (
	"math/rand/v2"
	"testing"
	"time"
)

func baseParams() SelectParams {
	return SelectParams{
		Now: time.Unix(1000, 0), MasterSDown: true, MasterSDownSince: time.Unix(990, 0),
		DownAfter: 5 * time.Second, PingPeriod: time.Second, InfoPeriod: 10 * time.Second,
	}
}

func goodCandidate(host string) Candidate {
	now := time.Unix(1000, 0)
	return Candidate{
		Addr: Addr{host, 6379}, RunID: "b" + host, Priority: 100, Offset: 500,
		LastOKPing: now.Add(-time.Second), InfoTime: now.Add(-time.Second),
		MasterLinkDownTime: 10 * time.Second, Synced: true,
	}
}

// TestCheck has one row per filter of sentinelSelectSlave, plus Vigil's.
func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		params func(*SelectParams)
		cand   func(*Candidate)
		want   Exclusion
	}{
		{"healthy replica", nil, nil, Eligible},
		{"sdown", nil, func(c *Candidate) { c.SDown = true }, ExcludedDown},
		{"odown", nil, func(c *Candidate) { c.ODown = true }, ExcludedDown},
		{"disconnected", nil, func(c *Candidate) { c.Disconnected = true }, ExcludedDisconnected},
		{"ping reply 5 s old is fine", nil, func(c *Candidate) { c.LastOKPing = time.Unix(995, 0) }, Eligible},
		{"ping reply older than 5 × ping-period", nil, func(c *Candidate) { c.LastOKPing = time.Unix(994, 0) }, ExcludedStalePing},
		{"priority 0", nil, func(c *Candidate) { c.Priority = 0 }, ExcludedPriorityZero},
		{"info older than 5 × ping-period, master sdown", nil, func(c *Candidate) { c.InfoTime = time.Unix(994, 0) }, ExcludedStaleInfo},
		{"same info age, master not sdown: 3 × info-period", func(p *SelectParams) { p.MasterSDown = false },
			func(c *Candidate) { c.InfoTime = time.Unix(994, 0) }, Eligible},
		{"info older than 3 × info-period", func(p *SelectParams) { p.MasterSDown = false },
			func(c *Candidate) { c.InfoTime = time.Unix(969, 0) }, ExcludedStaleInfo},
		{"info never received", nil, func(c *Candidate) { c.InfoTime = time.Time{} }, ExcludedStaleInfo},
		{"link down = sdown time + 10 × down-after is fine", nil,
			func(c *Candidate) { c.MasterLinkDownTime = 60 * time.Second }, Eligible},
		{"link down longer than sdown time + 10 × down-after", nil,
			func(c *Candidate) { c.MasterLinkDownTime = 60*time.Second + time.Millisecond }, ExcludedLinkDownTooLong},
		{"master not sdown: only 10 × down-after", func(p *SelectParams) { p.MasterSDown = false },
			func(c *Candidate) { c.MasterLinkDownTime = 51 * time.Second }, ExcludedLinkDownTooLong},
		{"never synced with the current master (Vigil)", nil, func(c *Candidate) { c.Synced = false }, ExcludedNeverSynced},
		{"offset 0 with the link up: an in-sync empty replica (Vigil)", nil, func(c *Candidate) { c.Offset = 0 }, Eligible},
		{"offset 0, link never up (Vigil)", nil, func(c *Candidate) { c.Offset, c.Synced = 0, false }, ExcludedNeverSynced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, c := baseParams(), goodCandidate("10.0.0.2")
			if tt.params != nil {
				tt.params(&p)
			}
			if tt.cand != nil {
				tt.cand(&c)
			}
			if got := Check(p, c); got != tt.want {
				t.Errorf("Check(%+v) = %v, want %v", c, got, tt.want)
			}
		})
	}
}

// TestSelectOrder has one row per tie-break of compareSlavesForPromotion.
func TestSelectOrder(t *testing.T) {
	tests := []struct {
		name string
		a, b func(*Candidate)
		want string // host of the winner
	}{
		{"lower priority wins", func(c *Candidate) { c.Priority = 10 }, func(c *Candidate) { c.Priority = 20; c.Offset = 900 }, "a"},
		{"same priority: larger offset wins", func(c *Candidate) { c.Offset = 100 }, func(c *Candidate) { c.Offset = 200 }, "b"},
		{"same offset: smaller run id wins", func(c *Candidate) { c.RunID = "bbb" }, func(c *Candidate) { c.RunID = "aaa" }, "b"},
		{"run id compared case-insensitively", func(c *Candidate) { c.RunID = "B" }, func(c *Candidate) { c.RunID = "a" }, "b"},
		{"missing run id sorts last", func(c *Candidate) { c.RunID = "" }, func(c *Candidate) { c.RunID = "zzz" }, "b"},
		{"full tie: smaller address (Vigil, for determinism)", func(c *Candidate) { c.RunID = "" }, func(c *Candidate) { c.RunID = "" }, "a"},
		{"an excluded candidate never wins", func(c *Candidate) { c.Offset = 1 << 40; c.Disconnected = true }, nil, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := goodCandidate("a"), goodCandidate("b")
			if tt.a != nil {
				tt.a(&a)
			}
			if tt.b != nil {
				tt.b(&b)
			}
			for _, order := range [][]Candidate{{a, b}, {b, a}} {
				got, ok := Select(baseParams(), order)
				if !ok || got.Addr.Host != tt.want {
					t.Errorf("Select(%+v) = %v %v, want %s", order, got.Addr, ok, tt.want)
				}
			}
		})
	}
	if _, ok := Select(baseParams(), nil); ok {
		t.Error("Select(no candidates) found one")
	}
}

// TestSelectProperty compares Select with a naive reference: the winner is
// eligible and no eligible candidate beats it on the (priority, -offset,
// run id with missing last, address) tuple.
func TestSelectProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	ids := []string{"", "a", "A", "b", "c"}
	for i := 0; i < 5000; i++ {
		var cands []Candidate
		for j := 0; j < 1+r.IntN(6); j++ {
			c := goodCandidate(string(rune('a' + j)))
			c.Priority = r.IntN(3)
			c.Offset = int64(r.IntN(3))
			c.RunID = ids[r.IntN(len(ids))]
			c.SDown = r.IntN(8) == 0
			c.Synced = r.IntN(8) != 0
			cands = append(cands, c)
		}
		got, ok := Select(baseParams(), cands)
		var ref *Candidate
		for k := range cands {
			c := cands[k]
			if c.SDown || c.Priority == 0 || !c.Synced {
				continue
			}
			if ref == nil || naiveBetter(c, *ref) {
				ref = &cands[k]
			}
		}
		if (ref != nil) != ok || (ok && got.Addr != ref.Addr) {
			t.Fatalf("Select(%+v) = %v %v, reference %+v", cands, got.Addr, ok, ref)
		}
	}
}

func naiveBetter(a, b Candidate) bool {
	key := func(c Candidate) [4]string {
		id := "1" + c.RunID
		if c.RunID == "" {
			id = "2"
		}
		lower := []byte(id)
		for i, ch := range lower {
			if ch >= 'A' && ch <= 'Z' {
				lower[i] = ch + 32
			}
		}
		return [4]string{string(rune('0' + c.Priority)), string(rune('9' - c.Offset)), string(lower), c.Addr.String()}
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return false
}

// FuzzSelect checks that Select's choice is eligible and not beaten by any
// eligible candidate under Less, whatever the input.
func FuzzSelect(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		var cands []Candidate
		for i := 0; i+3 <= len(data) && len(cands) < 8; i += 3 {
			c := goodCandidate(string(rune('a' + len(cands))))
			c.Priority = int(data[i] % 4)
			c.Offset = int64(data[i+1] % 4)
			c.RunID = []string{"", "x", "X", "y"}[data[i+2]%4]
			c.Disconnected = data[i+2]&0x10 != 0
			c.Synced = data[i+2]&0x20 == 0
			cands = append(cands, c)
		}
		got, ok := Select(baseParams(), cands)
		for _, c := range cands {
			if Check(baseParams(), c) != Eligible {
				continue
			}
			if !ok {
				t.Fatalf("eligible %+v but Select found none", c)
			}
			if Less(c, got) {
				t.Fatalf("Select chose %+v but %+v is better", got, c)
			}
		}
		if ok && Check(baseParams(), got) != Eligible {
			t.Fatalf("Select chose ineligible %+v", got)
		}
	})
}
