package integration

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

// infoNames returns the field names of an INFO section, in order.
func (n *rnode) infoNames(section string) []string {
	var names []string
	for _, l := range n.infoLines(section) {
		k, _, _ := strings.Cut(l, ":")
		names = append(names, k)
	}
	return names
}

// shape describes a RESP value's structure: element kinds, and the values of the
// strings that are not addresses or offsets (role and state names; connecting is
// reported as connect, a retry may be in flight).
func shape(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = shape(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case int64:
		return "int"
	case string:
		switch x {
		case "connecting": // a reconnection in flight: the same state for this comparison
			return "connect"
		case "master", "slave", "connect", "handshake", "sync", "connected":
			return x
		}
		return "str"
	}
	return fmt.Sprintf("%T", v)
}

// replState is INFO replication field names and ROLE shapes in the three states compared.
type replState struct {
	masterInfo, replicaInfo, downInfo       []string
	masterRole, replicaRole, replicaDownRol string
}

// observeReplStates builds master + one replica with the given implementations and
// records INFO replication and ROLE on the master, on the connected replica, and on the
// replica once the master is killed.
func observeReplStates(t *testing.T, p implPair) replState {
	m := startRepl(t, "master", p.master)
	r := startRepl(t, "replica", p.replica)
	r.replicaOf(m)
	m.must("SET", "k", "v")
	waitSynced(t, m, r)
	poll(t, "the replica to be listed online in ROLE", func() (bool, string) {
		s := shape(m.role())
		return strings.Count(s, "[str str str]") == 1, s
	})
	var st replState
	st.masterInfo, st.replicaInfo = m.infoNames("replication"), r.infoNames("replication")
	st.masterRole, st.replicaRole = shape(m.role()), shape(r.role())
	m.Kill9()
	poll(t, "the replica to see its master down", func() (bool, string) {
		s := r.info("replication")["master_link_status"]
		return s == "down", s
	})
	st.downInfo, st.replicaDownRol = r.infoNames("replication"), shape(r.role())
	return st
}

// Redis 7.0's INFO replication field order (spec §3.1), for a master with one replica and
// a replica without a min-replicas setting.
var (
	wantMasterInfo = strings.Fields(`role connected_slaves slave0 master_failover_state master_replid master_replid2
		master_repl_offset second_repl_offset repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset repl_backlog_histlen`)
	wantReplicaInfo = strings.Fields(`role master_host master_port master_link_status master_last_io_seconds_ago
		master_sync_in_progress slave_read_repl_offset slave_repl_offset slave_priority slave_read_only replica_announced
		connected_slaves master_failover_state master_replid master_replid2 master_repl_offset second_repl_offset
		repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset repl_backlog_histlen`)
)

// TestReplInfoAndRoleShapes compares INFO replication field names, in order, and ROLE
// reply shapes between a redis-server pair and the pair under test, in three states:
// master with an online replica, connected replica, replica whose master is down (adds
// master_link_down_since_seconds; ROLE state "connect"). The redis pair is also checked
// against the order written in the spec.
func TestReplInfoAndRoleShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	testutil.RequireRedis(t, "redis-server")
	ref := observeReplStates(t, implPair{testutil.ImplRedis, testutil.ImplRedis})
	if !reflect.DeepEqual(ref.masterInfo, wantMasterInfo) {
		t.Errorf("redis master INFO replication fields:\n got %v\nwant %v", ref.masterInfo, wantMasterInfo)
	}
	if !reflect.DeepEqual(ref.replicaInfo, wantReplicaInfo) {
		t.Errorf("redis replica INFO replication fields:\n got %v\nwant %v", ref.replicaInfo, wantReplicaInfo)
	}
	wantDown := append(append(append([]string{}, wantReplicaInfo[:8]...), "master_link_down_since_seconds"), wantReplicaInfo[8:]...)
	if !reflect.DeepEqual(ref.downInfo, wantDown) {
		t.Errorf("redis replica (link down) INFO replication fields:\n got %v\nwant %v", ref.downInfo, wantDown)
	}
	for what, pair := range map[string][2]string{
		"master ROLE": {ref.masterRole, "[master int [[str str str]]]"}, "replica ROLE": {ref.replicaRole, "[slave str int connected int]"},
		"replica ROLE, master down": {ref.replicaDownRol, "[slave str int connect int]"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("redis %s: %s, want %s", what, pair[0], pair[1])
		}
	}
	for _, p := range replPairs[1:] {
		t.Run(p.name(), func(t *testing.T) {
			testutil.RequireReplImpls(t, p.master, p.replica)
			got := observeReplStates(t, p)
			cmp := func(what string, g, w any) {
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s:\n got %v\nredis %v", what, g, w)
				}
			}
			cmp(p.master+" master INFO replication fields", got.masterInfo, ref.masterInfo)
			cmp(p.replica+" replica INFO replication fields", got.replicaInfo, ref.replicaInfo)
			cmp(p.replica+" replica (link down) INFO replication fields", got.downInfo, ref.downInfo)
			cmp(p.master+" master ROLE", got.masterRole, ref.masterRole)
			cmp(p.replica+" replica ROLE", got.replicaRole, ref.replicaRole)
			cmp(p.replica+" replica ROLE, master down", got.replicaDownRol, ref.replicaDownRol)
		})
	}
}
