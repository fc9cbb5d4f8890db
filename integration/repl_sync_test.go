package integration

import (
	"context"
	"testing"
)

// syncVariant is one way of carrying a full sync: the master's repl-diskless-sync and the
// replica's repl-diskless-load.
type syncVariant struct {
	name               string
	masterArgs, rplArg []string
}

var syncVariants = []syncVariant{
	{"disk", []string{"--repl-diskless-sync", "no"}, []string{"--repl-diskless-load", "disabled"}},
	{"diskless", []string{"--repl-diskless-sync", "yes"}, []string{"--repl-diskless-load", "disabled"}},
	{"diskless_swapdb", []string{"--repl-diskless-sync", "yes"}, []string{"--repl-diskless-load", "swapdb"}},
	{"diskless_on_empty_db", []string{"--repl-diskless-sync", "yes"}, []string{"--repl-diskless-load", "on-empty-db"}},
}

// TestReplFullSyncThenStream: a master holding every kind of data (several DBs, TTLs,
// binary keys, values over 1 MB) gets a replica that already holds stale keys; after the
// full sync (disk-based or diskless, loaded from disk or from the socket) the replica
// must hold exactly the master's data; then every command group is streamed, a key
// expires on the master (its DEL reaches the replica), and a PUBLISH on the master
// reaches a subscriber of the replica. Compared key by key (type, DIGEST-VALUE,
// PEXPIRETIME) and with DEBUG DIGEST; the master counts exactly one full sync.
func TestReplFullSyncThenStream(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		for _, v := range syncVariants {
			t.Run(v.name, func(t *testing.T) { testFullSyncThenStream(t, p, v) })
		}
	})
}

func testFullSyncThenStream(t *testing.T, p implPair, v syncVariant) {
	ctx := context.Background()
	m := startRepl(t, "master", p.master, v.masterArgs...)
	r := startRepl(t, "replica", p.replica, v.rplArg...)
	writeDataset(t, m, "pre")
	r.must("SET", "stale", "must disappear")

	sub := r.c.Subscribe(ctx, "repl-chan")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscribe confirmation
		t.Fatalf("subscribe on replica: %v", err)
	}

	r.replicaOf(m)
	waitSynced(t, m, r)
	if got := r.must("EXISTS", "stale"); got != int64(0) {
		t.Errorf("stale key survived the full sync: EXISTS=%v", got)
	}
	compareKeys(t, m, r, replDBs...)
	assertDigests(t, m, r)

	// streaming
	writeDataset(t, m, "live")
	m.must("SET", "short", "v", "PX", 50)
	poll(t, "the short-lived key to expire on the master", func() (bool, string) {
		return m.must("EXISTS", "short") == int64(0), "still there"
	})
	if n := m.must("PUBLISH", "repl-chan", "hello\x00replica"); n != int64(0) {
		t.Errorf("PUBLISH on the master counted %v local subscribers, want 0", n)
	}
	msg, err := sub.ReceiveTimeout(ctx, replWait)
	if err != nil {
		t.Fatalf("PUBLISH did not reach the replica's subscriber: %v", err)
	}
	if got := msg.(interface{ String() string }).String(); got != "Message<repl-chan: hello\x00replica>" {
		t.Errorf("subscriber on the replica got %q", got)
	}
	waitSynced(t, m, r)
	if n := r.must("EXISTS", "short"); n != int64(0) {
		t.Errorf("key expired on the master still exists on the replica")
	}
	compareKeys(t, m, r, replDBs...)
	assertDigests(t, m, r)
	mi, ri := m.info("replication"), r.info("replication")
	if mi["master_replid"] != ri["master_replid"] {
		t.Errorf("master_replid: master %s, replica %s", mi["master_replid"], ri["master_replid"])
	}
	if st := m.syncStats(); st.full != 1 || st.partialOK != 0 {
		t.Errorf("master stats: %v, want exactly one full sync", st)
	}
}
