package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestReplSlowReplicaCutOff: a replica stopped with SIGSTOP stops reading; the master,
// with a small client-output-buffer-limit for replicas (set by CONFIG SET), drops it
// once its pending stream passes the hard limit (INFO connected_slaves falls to 0 while
// the replica is still stopped). After SIGCONT the replica reconnects and, having
// missed more than the backlog holds, does one full sync, ending with the same data.
func TestReplSlowReplicaCutOff(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		m := startRepl(t, "master", p.master)
		r := startRepl(t, "replica", p.replica)
		writeSmall(t, m, "a", 100)
		r.replicaOf(m)
		waitSynced(t, m, r)
		m.must("CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 0 0")
		before := m.syncStats()
		if err := r.Stop(); err != nil {
			t.Fatal(err)
		}
		stopped := true
		defer func() {
			if stopped {
				r.Cont()
			}
		}()
		val := bigValue(9, 1<<20)
		i := 0
		poll(t, "the master to drop the stopped replica", func() (bool, string) {
			for j := 0; j < 4; j++ { // 4 MB more per round
				m.must("SET", fmt.Sprintf("big:%d", i%8), val)
				i++
			}
			n := m.info("replication")["connected_slaves"]
			return n == "0", fmt.Sprintf("connected_slaves=%s after %d MB", n, i)
		})
		if err := r.Cont(); err != nil {
			t.Fatal(err)
		}
		stopped = false
		m.must("SET", "after", "1")
		waitSynced(t, m, r)
		after := m.syncStats()
		if after.full != before.full+1 {
			t.Errorf("master stats before %v, after %v: want one more full sync (the backlog cannot cover %d MB)", before, after, i)
		}
		compareKeys(t, m, r, 0)
		assertDigests(t, m, r)
	})
}

// Exact error texts of Redis 7.0 (spec §1.6, §2.10, §2.11).
const (
	errReadonly   = "-READONLY You can't write against a read only replica.\r\n"
	errMasterDown = "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
	errNoReplicas = "-NOREPLICAS Not enough good replicas to write.\r\n"
	errExecNoRepl = "-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.\r\n"
	errWaitRplica = "-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n"
)

// TestReplClientRules checks what clients see: WAIT on a master (enough replicas, and a
// timeout with too few), WAIT on a replica, min-replicas-to-write's NOREPLICAS (plain
// and in EXEC) with INFO min_slaves_good_slaves, READONLY on a replica, and MASTERDOWN on
// a replica with replica-serve-stale-data no whose master is unreachable (PING included,
// INFO not), all byte for byte.
func TestReplClientRules(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		m := startRepl(t, "master", p.master)
		r := startRepl(t, "replica", p.replica)
		r.replicaOf(m)
		waitSynced(t, m, r)
		mc, rc := testutil.DialRaw(t, m.Addr), testutil.DialRaw(t, r.Addr)
		expect := func(c *testutil.RawConn, want string, args ...string) {
			t.Helper()
			if got := c.Do(args...); got != want {
				t.Errorf("%v: got %q, want %q", args, got, want)
			}
		}
		expect(mc, "+OK\r\n", "SET", "k", "v")
		expect(mc, ":1\r\n", "WAIT", "1", "0")
		expect(mc, ":1\r\n", "WAIT", "2", "100") // times out with the one replica that acked
		expect(mc, "-ERR timeout is negative\r\n", "WAIT", "1", "-1")
		expect(rc, errWaitRplica, "WAIT", "1", "0")
		expect(rc, errReadonly, "SET", "k", "v2")
		expect(rc, "$1\r\nv\r\n", "GET", "k")

		// queued before the limit is raised: EXEC aborts naming NOREPLICAS
		admin := testutil.DialRaw(t, m.Addr)
		expect(mc, "+OK\r\n", "MULTI")
		expect(mc, "+QUEUED\r\n", "SET", "k", "v3")
		expect(admin, "+OK\r\n", "CONFIG", "SET", "min-replicas-to-write", "2")
		expect(mc, errExecNoRepl, "EXEC")
		expect(mc, errNoReplicas, "SET", "k", "v3")
		// refused while queueing: EXEC aborts for previous errors
		expect(mc, "+OK\r\n", "MULTI")
		expect(mc, errNoReplicas, "SET", "k", "v3")
		expect(mc, "-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
		if got := m.info("replication")["min_slaves_good_slaves"]; got != "1" {
			t.Errorf("INFO min_slaves_good_slaves: %q, want 1", got)
		}
		expect(mc, "$1\r\nv\r\n", "GET", "k") // reads are allowed
		expect(mc, "+OK\r\n", "CONFIG", "SET", "min-replicas-to-write", "1")
		expect(mc, "+OK\r\n", "SET", "k", "v4")
		expect(mc, "+OK\r\n", "CONFIG", "SET", "min-replicas-to-write", "0")
		if _, ok := m.info("replication")["min_slaves_good_slaves"]; ok {
			t.Errorf("INFO min_slaves_good_slaves shown with min-replicas-to-write 0")
		}

		// a replica whose master is gone, not serving stale data
		expect(rc, "+OK\r\n", "CONFIG", "SET", "replica-serve-stale-data", "no")
		m.Kill9()
		poll(t, "the replica to see its master down", func() (bool, string) {
			s := r.info("replication")["master_link_status"]
			return s == "down", s
		})
		expect(rc, errMasterDown, "GET", "k")
		expect(rc, errMasterDown, "PING")
		if got := rc.Do("INFO", "replication"); !strings.Contains(got, "master_link_status:down") {
			t.Errorf("INFO on a stale replica: %q", got)
		}
		expect(rc, "+OK\r\n", "CONFIG", "SET", "replica-serve-stale-data", "yes")
		expect(rc, "$2\r\nv4\r\n", "GET", "k")
	})
}
