package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestReplRestart stops (SHUTDOWN SAVE) or kills (-9) a replica or a master and starts
// it again on the same port and directory, checking the kind of resync Redis 7.0 does
// and that no data is lost:
//   - replica_shutdown: the dump carries repl-id/repl-offset and the config file has
//     replicaof, so the restarted replica resyncs partially;
//   - replica_kill9_no_dump: a replica that loaded its sync from the socket has no dump:
//     after kill -9 it comes back empty and needs a full sync;
//   - replica_kill9_disk_load: a replica that loaded from disk keeps the received RDB as
//     its dump, with the repl-id/offset of that sync: after kill -9 it PSYNCs from that
//     offset and, the backlog still covering it, resyncs partially;
//   - master_shutdown: the master restarted from its own dump keeps its old replication
//     ID as master_replid2, so both replicas resync partially (§2.1);
//   - master_kill9_aof: a master with appendonly yes killed and restarted has its data
//     but no replication state (AOF carries none): both replicas need full syncs.
func TestReplRestart(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		t.Run("replica_shutdown", func(t *testing.T) { testReplicaRestart(t, p, true, "disabled", true) })
		t.Run("replica_kill9_no_dump", func(t *testing.T) { testReplicaRestart(t, p, false, "swapdb", false) })
		t.Run("replica_kill9_disk_load", func(t *testing.T) { testReplicaRestart(t, p, false, "disabled", true) })
		t.Run("master_shutdown", func(t *testing.T) { testMasterRestart(t, p, true) })
		t.Run("master_kill9_aof", func(t *testing.T) { testMasterRestart(t, p, false) })
	})
}

// writeConf writes a config file with replicaof m into n's directory and makes n use it.
func writeConf(t *testing.T, n *rnode, m *rnode) {
	t.Helper()
	path := filepath.Join(n.Dir, "node.conf")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("replicaof 127.0.0.1 %d\n", m.Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	n.Conf = path
}

func testReplicaRestart(t *testing.T, p implPair, shutdown bool, load string, wantPartial bool) {
	m := startRepl(t, "master", p.master, "--repl-diskless-sync", "yes")
	r := startRepl(t, "replica", p.replica, "--repl-diskless-load", load)
	writeSmall(t, m, "a", 300)
	r.replicaOf(m)
	waitSynced(t, m, r)
	writeSmall(t, m, "b", 300) // streamed after the sync: beyond the offset of a sync-time dump
	waitSynced(t, m, r)
	writeConf(t, r, m)
	if shutdown {
		r.do("SHUTDOWN", "SAVE") // the connection closes: no reply
		if code := r.Proc.Wait(replWait); code != 0 {
			t.Fatalf("replica SHUTDOWN SAVE: exit status %d", code)
		}
	} else {
		r.Kill9()
	}
	before := m.syncStats()
	writeSmall(t, m, "c", 300) // while the replica is down
	r.Start(t)
	waitSynced(t, m, r)
	after := m.syncStats()
	if wantPartial && (after.partialOK != before.partialOK+1 || after.full != before.full) {
		t.Errorf("master stats before %v, after %v: want one more partial resync, no full sync", before, after)
	}
	if !wantPartial && (after.full != before.full+1 || after.partialOK != before.partialOK) {
		t.Errorf("master stats before %v, after %v: want one more full sync, no partial resync", before, after)
	}
	compareKeys(t, m, r, 0)
	assertDigests(t, m, r)
}

func testMasterRestart(t *testing.T, p implPair, shutdown bool) {
	var extra []string
	if !shutdown {
		extra = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	m := startRepl(t, "master", p.impl(0), extra...)
	r1 := startRepl(t, "R1", p.impl(1))
	r2 := startRepl(t, "R2", p.impl(2))
	writeSmall(t, m, "a", 300)
	m.must("SET", "ttl", "v", "EX", 10000)
	r1.replicaOf(m)
	r2.replicaOf(m)
	waitSynced(t, m, r1, r2)
	oldID := m.info("replication")["master_replid"]
	oldOff := m.infoInt("replication", "master_repl_offset")
	if shutdown {
		m.do("SHUTDOWN", "SAVE")
		if code := m.Proc.Wait(replWait); code != 0 {
			t.Fatalf("master SHUTDOWN SAVE: exit status %d", code)
		}
	} else {
		m.Kill9()
	}
	// the replicas notice and keep retrying
	poll(t, "replicas to see the master down", func() (bool, string) {
		a, b := r1.info("replication")["master_link_status"], r2.info("replication")["master_link_status"]
		return a == "down" && b == "down", a + " " + b
	})
	m.Start(t)
	waitSynced(t, m, r1, r2)
	st := m.syncStats()
	mi := m.info("replication")
	if shutdown {
		if st.partialOK != 2 || st.full != 0 {
			t.Errorf("restarted master stats: %v, want 2 partial resyncs and no full sync", st)
		}
		if mi["master_replid2"] != oldID || mi["second_repl_offset"] != fmt.Sprint(oldOff+1) {
			t.Errorf("restarted master: master_replid2=%s second_repl_offset=%s, want %s and %d",
				mi["master_replid2"], mi["second_repl_offset"], oldID, oldOff+1)
		}
	} else if st.full != 2 || st.partialOK != 0 {
		t.Errorf("restarted master stats: %v, want 2 full syncs (an AOF has no replication ID)", st)
	}
	if got := m.must("GET", "a:299"); got != "v299" {
		t.Errorf("restarted master lost data: GET a:299 = %v", got)
	}
	m.must("SET", "after-restart", time.Now().String())
	waitSynced(t, m, r1, r2)
	compareKeys(t, m, r1, 0)
	assertDigests(t, m, r1, r2)
}
