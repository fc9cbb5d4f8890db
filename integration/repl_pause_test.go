package integration

import (
	"fmt"
	"testing"
)

// TestReplPausedReplicaHoldsStream: CLIENT PAUSE WRITE on a replica holds the writes of
// its master's stream too: the replica keeps reading (slave_read_repl_offset reaches the
// master's offset) without applying (slave_repl_offset stays), and applies on unpause.
func TestReplPausedReplicaHoldsStream(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		master := startRepl(t, "master", p.master)
		replica := startRepl(t, "replica", p.replica)
		replica.replicaOf(master)
		waitSynced(t, master, replica)
		master.must("SET", "foo", "bar") // the stream has selected its db before the pause
		waitSynced(t, master, replica)
		before := replica.infoInt("replication", "slave_repl_offset")

		replica.must("CLIENT", "PAUSE", "100000", "WRITE")
		master.must("SET", "foo2", "bar2")
		want := master.infoInt("replication", "master_repl_offset")
		poll(t, "the paused replica reads the stream", func() (bool, string) {
			got := replica.infoInt("replication", "slave_read_repl_offset")
			return got == want, fmt.Sprintf("slave_read_repl_offset %d, master offset %d", got, want)
		})
		if got := replica.infoInt("replication", "slave_repl_offset"); got != before {
			t.Errorf("slave_repl_offset while paused: %d, want %d (nothing applied)", got, before)
		}
		if v, err := replica.do("GET", "foo2"); err == nil {
			t.Errorf("GET foo2 on the paused replica: %v, want nil", v)
		}

		replica.must("CLIENT", "UNPAUSE")
		waitSynced(t, master, replica)
		if v := replica.must("GET", "foo2"); v != "bar2" {
			t.Errorf("GET foo2 after unpause: %v, want bar2", v)
		}
	})
}
