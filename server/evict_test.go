package server

import "testing"

// TestUsedMemorySetrangeWithoutMaxmemory: a SETRANGE at an offset adds the value's size
// to used_memory at once, maxmemory or not (FlagGrowsByOffset): estimated from its
// arguments it added about 100 bytes for a 100 KB value.
func TestUsedMemorySetrangeWithoutMaxmemory(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	ts.locked(func() {
		ts.evict.memSource = func() (int64, uint64) { return 1 << 20, 1 }
		ts.evict.live, ts.evict.gcCycles, ts.evict.grown, ts.evict.freed = 1<<20, 1, 0, 0
	})
	var before int64
	ts.locked(func() { before = ts.usedMemory() })
	c.do("SETRANGE", "k", "100000", "x")
	var after int64
	ts.locked(func() { after = ts.usedMemory() })
	if grew := after - before; grew < 100_000 || grew > 120_000 {
		t.Fatalf("used_memory grew by %d after SETRANGE k 100000 x, want the value's ~100 KB", grew)
	}
	c.do("SETRANGE", "k", "0", "yyyy") // in place: nothing more
	var again int64
	ts.locked(func() { again = ts.usedMemory() })
	if again != after {
		t.Fatalf("used_memory changed by %d after an in-place SETRANGE, want 0", again-after)
	}
}
