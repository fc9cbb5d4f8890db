package integration

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestReplFailoverCommand covers the FAILOVER command (spec §7):
//   - coordinated: with a writer running on M (RPUSH of a sequence, each reply recorded),
//     FAILOVER TO A hands over once A has M's offset; held writes get READONLY; A ends
//     as master holding exactly the acknowledged writes, M as its replica; M and B (then
//     re-pointed to A) reattach with partial resyncs (A: sync_partial_ok +2, no full
//     sync anywhere), master_failover_state back to no-failover, digests equal;
//   - forced: A stopped (SIGSTOP) and behind, FAILOVER TO A TIMEOUT FORCE logs
//     "time out exceeded, failing over." exactly once and still hands over once A runs;
//   - error texts, byte for byte.
func TestReplFailoverCommand(t *testing.T) {
	forEachPair(t, func(t *testing.T, p implPair) {
		t.Run("coordinated", func(t *testing.T) { testFailoverCoordinated(t, p) })
		t.Run("force_timeout", func(t *testing.T) { testFailoverForce(t, p) })
		t.Run("errors", func(t *testing.T) { testFailoverErrors(t, p) })
	})
}

func testFailoverCoordinated(t *testing.T, p implPair) {
	m := startRepl(t, "M", p.impl(0))
	a := startRepl(t, "A", p.impl(1))
	b := startRepl(t, "B", p.impl(2))
	a.replicaOf(m)
	b.replicaOf(m)
	waitSynced(t, m, a, b)
	base := map[*rnode]syncStats{m: m.syncStats(), a: a.syncStats(), b: b.syncStats()}

	// the writer: one RPUSH at a time, until the first error (READONLY once M is a replica)
	acked := make(chan int, 1<<16)
	werr := make(chan error, 1)
	go func() {
		defer close(acked)
		for i := 0; ; i++ {
			if err := m.c.RPush(context.Background(), "seq", i).Err(); err != nil {
				werr <- err
				return
			}
			acked <- i
		}
	}()
	poll(t, "the writer to get going", func() (bool, string) { return len(acked) > 50, strconv.Itoa(len(acked)) })
	m.must("FAILOVER", "TO", "127.0.0.1", a.Port)
	err := <-werr
	if err == nil || !strings.HasPrefix(err.Error(), "READONLY ") {
		t.Errorf("writer stopped with %v, want the READONLY error", err)
	}
	var got []int
	for i := range acked {
		got = append(got, i)
	}
	waitRole(t, a, "master")
	waitSynced(t, a, m)
	for _, n := range []*rnode{m, a} {
		if s := n.info("replication")["master_failover_state"]; s != "no-failover" {
			t.Errorf("%s master_failover_state %q after the failover", n.name, s)
		}
	}
	b.replicaOf(a)
	waitSynced(t, a, m, b)
	seq, err2 := a.c.LRange(context.Background(), "seq", 0, -1).Result()
	if err2 != nil {
		t.Fatal(err2)
	}
	if len(seq) != len(got) {
		t.Errorf("new master holds %d writes, %d were acknowledged", len(seq), len(got))
	}
	for i := range min(len(seq), len(got)) {
		if seq[i] != strconv.Itoa(got[i]) {
			t.Fatalf("write %d: new master has %s, acknowledged %d", i, seq[i], got[i])
		}
	}
	if st := a.syncStats(); st.partialOK != base[a].partialOK+2 || st.full != base[a].full {
		t.Errorf("A stats before %v, after %v: want 2 more partial resyncs (M and B), no full sync", base[a], st)
	}
	for _, n := range []*rnode{m, b} {
		if st := n.syncStats(); st.full != base[n].full {
			t.Errorf("%s did a full sync: before %v, after %v", n.name, base[n], st)
		}
	}
	assertDigests(t, a, m, b)
}

func testFailoverForce(t *testing.T, p implPair) {
	m := startRepl(t, "M", p.impl(0))
	a := startRepl(t, "A", p.impl(1))
	a.replicaOf(m)
	waitSynced(t, m, a)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			a.Cont()
		}
	}()
	writeSmall(t, m, "behind", 100) // A cannot catch up while stopped
	m.must("FAILOVER", "TO", "127.0.0.1", a.Port, "TIMEOUT", 100, "FORCE")
	poll(t, "M to log the forced failover", func() (bool, string) {
		return logCount(m, "time out exceeded, failing over.") > 0, m.info("replication")["master_failover_state"]
	})
	if err := a.Cont(); err != nil {
		t.Fatal(err)
	}
	stopped = false
	waitRole(t, a, "master")
	waitSynced(t, a, m)
	poll(t, "the failover to finish on M", func() (bool, string) {
		s := m.info("replication")["master_failover_state"]
		return s == "no-failover", s
	})
	if n := logCount(m, "time out exceeded, failing over."); n != 1 {
		t.Errorf("%d log lines with \"time out exceeded, failing over.\", want 1", n)
	}
	assertDigests(t, a, m)
}

func testFailoverErrors(t *testing.T, p implPair) {
	m := startRepl(t, "M", p.master)
	r := startRepl(t, "R", p.replica)
	other := testutil.FreePort(t)
	mc, rc := testutil.DialRaw(t, m.Addr), testutil.DialRaw(t, r.Addr)
	expect := func(c *testutil.RawConn, want string, args ...string) {
		t.Helper()
		if got := c.Do(args...); got != want {
			t.Errorf("%v: got %q, want %q", args, got, want)
		}
	}
	expect(mc, "-ERR FAILOVER requires connected replicas.\r\n", "FAILOVER")
	expect(mc, "-ERR No failover in progress.\r\n", "FAILOVER", "ABORT")
	r.replicaOf(m)
	waitSynced(t, m, r)
	rport := strconv.Itoa(r.Port)
	expect(mc, "-ERR FAILOVER timeout must be greater than 0\r\n", "FAILOVER", "TIMEOUT", "0")
	expect(mc, "-ERR value is not an integer or out of range\r\n", "FAILOVER", "TIMEOUT", "abc")
	expect(mc, "-ERR value is not an integer or out of range\r\n", "FAILOVER", "TO", "127.0.0.1", "x")
	expect(mc, "-ERR syntax error\r\n", "FAILOVER", "TO", "127.0.0.1")
	expect(mc, "-ERR syntax error\r\n", "FAILOVER", "ABORT", "TIMEOUT", "10")
	expect(mc, "-ERR syntax error\r\n", "FAILOVER", "BOGUS")
	expect(mc, "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n", "FAILOVER", "TO", "127.0.0.1", rport, "FORCE")
	expect(mc, "-ERR FAILOVER target HOST and PORT is not a replica.\r\n", "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(other))
	expect(rc, "-ERR FAILOVER is not valid when server is a replica.\r\n", "FAILOVER")
	// a failover that cannot finish (the target is stopped), to see the in-progress errors
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	defer r.Cont()
	m.must("SET", "k", "v")
	expect(mc, "+OK\r\n", "FAILOVER", "TO", "127.0.0.1", rport, "TIMEOUT", "60000")
	expect(mc, "-ERR FAILOVER already in progress.\r\n", "FAILOVER")
	expect(mc, "-ERR REPLICAOF not allowed while failing over.\r\n", "REPLICAOF", "127.0.0.1", strconv.Itoa(other))
	if s := m.info("replication")["master_failover_state"]; s != "waiting-for-sync" {
		t.Errorf("master_failover_state %q, want waiting-for-sync", s)
	}
	expect(mc, "+OK\r\n", "FAILOVER", "ABORT")
	poll(t, "the abort to finish", func() (bool, string) {
		s := m.info("replication")["master_failover_state"]
		return s == "no-failover", s
	})
	expect(mc, "+OK\r\n", "SET", "k", "v2") // writes are unpaused
}
