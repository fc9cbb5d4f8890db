package integration

import (
	"testing"
)

// TestReplChain builds M → R1 → R2 → R3 plus S, a direct replica of M, and checks the
// rules of the spec §1.4 and §1.8:
//   - at rest every node has the same master_repl_offset and master_replid (a replica
//     proxies the exact bytes it applied) and the same digest;
//   - R1 re-pointed to S after S is promoted: R1 resyncs partially (+CONTINUE with S's new
//     ID), which makes it drop R2, which drops R3; both reconnect with partial resyncs;
//     no full sync anywhere; writes on S reach R3;
//   - R1 promoted, written to, then re-pointed to M (an unrelated history): R1 needs a full
//     sync, and since it then frees its backlog R2 and R3 need full syncs too; all end with
//     M's data.
func TestReplChain(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		m := startRepl(t, "M", p.impl(0))
		r1 := startRepl(t, "R1", p.impl(1))
		r2 := startRepl(t, "R2", p.impl(2))
		r3 := startRepl(t, "R3", p.impl(3))
		s := startRepl(t, "S", p.impl(4))
		writeSmall(t, m, "pre", 100)
		r1.replicaOf(m)
		r2.replicaOf(r1)
		r3.replicaOf(r2)
		s.replicaOf(m)
		writeSmall(t, m, "live", 100)
		waitConverged(t, m, r1, r2, r3, s)
		id := m.info("replication")["master_replid"]
		for _, n := range []*rnode{r1, r2, r3, s} {
			if got := n.info("replication")["master_replid"]; got != id {
				t.Errorf("%s master_replid %s, M has %s", n.name, got, id)
			}
		}
		assertDigests(t, m, r1, r2, r3, s)
		compareKeys(t, m, r3, 0)

		// phase 2: R1 follows a promoted sibling
		base := map[*rnode]syncStats{}
		for _, n := range []*rnode{s, r1, r2} {
			base[n] = n.syncStats()
		}
		s.promote()
		r1.replicaOf(s)
		writeSmall(t, s, "s", 50)
		waitConverged(t, s, r1, r2, r3)
		for n, want := range map[*rnode]int64{s: 1, r1: 1, r2: 1} {
			st := n.syncStats()
			if st.full != base[n].full || st.partialOK != base[n].partialOK+want {
				t.Errorf("%s stats: before %v, after %v: want %d more partial resync(s), no full sync", n.name, base[n], st, want)
			}
		}
		assertDigests(t, s, r1, r2, r3)

		// phase 3: R1 joins an unrelated history: full syncs cascade down the chain
		for _, n := range []*rnode{m, r1, r2} {
			base[n] = n.syncStats()
		}
		r1.promote()
		waitConverged(t, r1, r2, r3)
		r1.must("SET", "r1-only", "lost when R1 rejoins M")
		r1.replicaOf(m)
		m.must("SET", "m-after", "1")
		waitConverged(t, m, r1, r2, r3)
		for _, n := range []*rnode{m, r1, r2} {
			st := n.syncStats()
			if st.full != base[n].full+1 {
				t.Errorf("%s stats: before %v, after %v: want exactly one more full sync", n.name, base[n], st)
			}
		}
		if n := r3.must("EXISTS", "r1-only", "s:1"); n != int64(0) {
			t.Errorf("R3 kept keys of the abandoned history (EXISTS=%v)", n)
		}
		compareKeys(t, m, r3, 0)
		assertDigests(t, m, r1, r2, r3)
	})
}
