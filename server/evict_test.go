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

// TestSinceGCKeepsWhatCameAfterTheCycle: a refresh keeps the growth and releases of the
// commands that started after the GC cycle ended and drops the others, also once the
// steps were merged.
func TestSinceGCKeepsWhatCameAfterTheCycle(t *testing.T) {
	var g sinceGC
	tick := int64(sinceGCTick)
	// one step per tick: 3000 steps merge twice (1024, then 1024 again of doubled ticks)
	for i := int64(0); i < 3000; i++ {
		st := g.at(1000 + i*tick)
		st.grown += 10
		st.freed += 1
	}
	if g.merged != 2 {
		t.Fatalf("pairs merged %d times, want 2", g.merged)
	}
	// the cycle ended just before the 2000th command: 1000 commands came after it, to a
	// step of 4 ticks
	end := 1000 + 1999*tick
	grown, freed := g.keepAfter(end)
	if grown < 10*1000-10*4 || grown > 10*1000 || freed != grown/10 {
		t.Fatalf("kept grown %d freed %d, want about 10000 and 1000", grown, freed)
	}
	if g.merged != 0 {
		t.Fatal("the tick stays doubled after a refresh")
	}
	if grown, freed := g.keepAfter(1000 + 3000*tick); grown != 0 || freed != 0 {
		t.Fatalf("a cycle after the last command kept %d and %d", grown, freed)
	}
	// the same command's growth and release: one step
	g.at(5).grown += 7
	g.at(5).freed += 7
	if grown, freed := g.keepAfter(4); grown != 7 || freed != 7 || g.n != 1 {
		t.Fatalf("kept %d %d in %d steps, want 7 7 in 1", grown, freed, g.n)
	}
}
