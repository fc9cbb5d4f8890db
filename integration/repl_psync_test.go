package integration

import (
	"fmt"
	"testing"
)

// TestReplLinkDropPartialResync drops the link of a synced replica, from either side
// (CLIENT KILL TYPE master on the replica, CLIENT KILL TYPE replica on the master),
// writes while it is down, and checks the replica comes back with a partial resync:
// the master's sync_partial_ok grows by one, sync_full stays at one, and the writes
// made during the drop arrive (key by key and DEBUG DIGEST).
func TestReplLinkDropPartialResync(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		for _, side := range []string{"kill_master_on_replica", "kill_replica_on_master"} {
			t.Run(side, func(t *testing.T) {
				m := startRepl(t, "master", p.master)
				r := startRepl(t, "replica", p.replica)
				m.must("SET", "before", "1")
				r.replicaOf(m)
				waitSynced(t, m, r)
				before := m.syncStats()
				if side == "kill_master_on_replica" {
					r.must("CLIENT", "KILL", "TYPE", "master")
				} else {
					m.must("CLIENT", "KILL", "TYPE", "replica")
				}
				for i := 0; i < 100; i++ {
					m.must("RPUSH", "during", i)
				}
				m.must("SET", "during:ex", "v", "EX", 1000)
				waitSynced(t, m, r)
				after := m.syncStats()
				if after.partialOK != before.partialOK+1 || after.full != before.full {
					t.Errorf("master stats before %v, after %v: want one more partial resync and no full sync", before, after)
				}
				if n := r.must("LLEN", "during"); n != int64(100) {
					t.Errorf("LLEN during on the replica: %v, want 100", n)
				}
				compareKeys(t, m, r, 0)
				assertDigests(t, m, r)
			})
		}
	})
}

// TestReplPromotionPartialResync: master M with replicas A and B. REPLICAOF NO ONE on A
// shifts its replication ID (old ID becomes master_replid2); B re-pointed to A and then
// M made a replica of A both continue with partial resyncs (A: sync_partial_ok 2,
// sync_full 0), writes on A reach both, and every digest is equal.
func TestReplPromotionPartialResync(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		m := startRepl(t, "M", p.impl(0))
		a := startRepl(t, "A", p.impl(1))
		b := startRepl(t, "B", p.impl(2))
		writeSmall(t, m, "m", 200)
		a.replicaOf(m)
		b.replicaOf(m)
		waitSynced(t, m, a, b)
		oldID := m.info("replication")["master_replid"]
		oldOff := m.infoInt("replication", "master_repl_offset")

		a.promote()
		ai := a.info("replication")
		if ai["role"] != "master" || ai["master_replid2"] != oldID || ai["second_repl_offset"] != fmt.Sprint(oldOff+1) || ai["master_replid"] == oldID {
			t.Errorf("A after REPLICAOF NO ONE: role=%s master_replid=%s master_replid2=%s second_repl_offset=%s; want master, a new id, replid2=%s, second offset %d",
				ai["role"], ai["master_replid"], ai["master_replid2"], ai["second_repl_offset"], oldID, oldOff+1)
		}
		if got := a.must("GET", "m:7"); got != "v7" {
			t.Errorf("A lost its data on promotion: GET m:7 = %v", got)
		}
		b.replicaOf(a)
		waitSynced(t, a, b)
		m.replicaOf(a)
		waitSynced(t, a, b, m)
		if st := a.syncStats(); st.partialOK != 2 || st.full != 0 {
			t.Errorf("A stats: %v, want 2 partial resyncs (B and M) and no full sync", st)
		}
		writeSmall(t, a, "a", 100)
		waitSynced(t, a, b, m)
		for _, n := range []*rnode{b, m} {
			if id := n.info("replication")["master_replid"]; id != a.info("replication")["master_replid"] {
				t.Errorf("%s master_replid %s, A has %s", n.name, id, a.info("replication")["master_replid"])
			}
		}
		compareKeys(t, a, m, 0)
		assertDigests(t, a, b, m)
	})
}

// writeSmall writes n string keys "<prefix>:<i>" = "v<i>" and one list, in a pipeline.
func writeSmall(t *testing.T, m *rnode, prefix string, n int) {
	t.Helper()
	ctx := t.Context()
	pipe := m.c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("%s:%d", prefix, i), fmt.Sprintf("v%d", i), 0)
		pipe.RPush(ctx, prefix+":list", i)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("%s: pipeline: %v", m.name, err)
	}
}
