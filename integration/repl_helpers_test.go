package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// Replication tests (issue 4). Every scenario runs as a matrix over the implementation
// of each node: redis→redis (it validates the test against Redis 7.0 itself),
// vigil→vigil, redis→vigil and vigil→redis.

const (
	replWait  = 30 * time.Second      // bound of every poll
	replEvery = 20 * time.Millisecond // poll period
)

// implPair is one cell of the matrix: the implementation of the first master and of the
// replicas. Scenarios with more nodes give node 0 the master's implementation and the
// others the replica's.
type implPair struct{ master, replica string }

func (p implPair) name() string { return p.master + "_to_" + p.replica }

// impl returns the implementation of node i of a scenario.
func (p implPair) impl(i int) string {
	if i == 0 {
		return p.master
	}
	return p.replica
}

var replPairs = []implPair{
	{testutil.ImplRedis, testutil.ImplRedis},
	{testutil.ImplVigil, testutil.ImplVigil},
	{testutil.ImplRedis, testutil.ImplVigil},
	{testutil.ImplVigil, testutil.ImplRedis},
}

// forEachPair runs fn as one subtest per implementation pair.
func forEachPair(t *testing.T, fn func(t *testing.T, p implPair)) {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	testutil.RequireRedis(t, "redis-server")
	for _, p := range replPairs {
		t.Run(p.name(), func(t *testing.T) {
			testutil.RequireReplImpls(t, p.master, p.replica)
			fn(t, p)
		})
	}
}

// replBaseArgs are given to every node: DEBUG is needed for DIGEST, diskless syncs start
// at once, and masters send no periodic PING (a PING fed between a promotion and the
// re-pointing of the old master would make its offset unreachable and force a full sync;
// the tests that need PINGs set the period themselves).
var replBaseArgs = []string{"--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0",
	"--repl-ping-replica-period", "3600", "--appendonly", "no"}

// rnode is a started node with a go-redis client on DB 0.
type rnode struct {
	*testutil.Node
	t    *testing.T
	name string
	c    *redis.Client
}

// startRepl starts a node of implementation impl with replBaseArgs and extra args.
func startRepl(t *testing.T, name, impl string, args ...string) *rnode {
	t.Helper()
	n := testutil.NewNode(t, impl, append(append([]string{}, replBaseArgs...), args...)...)
	n.Start(t)
	return wrapNode(t, name, n)
}

func wrapNode(t *testing.T, name string, n *testutil.Node) *rnode {
	c := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, DialTimeout: 5 * time.Second,
		ReadTimeout: 20 * time.Second, WriteTimeout: 20 * time.Second, PoolSize: 4})
	t.Cleanup(func() { c.Close() })
	return &rnode{Node: n, t: t, name: name + "(" + n.Impl + ")", c: c}
}

// do runs a command and returns its result or error.
func (n *rnode) do(args ...any) (any, error) {
	return n.c.Do(context.Background(), args...).Result()
}

// must runs a command and fails the test on error.
func (n *rnode) must(args ...any) any {
	n.t.Helper()
	v, err := n.do(args...)
	if err != nil {
		n.t.Fatalf("%s: %v: %v", n.name, args, err)
	}
	return v
}

// infoLines returns the "field:value" lines of an INFO section, in order.
func (n *rnode) infoLines(section string) []string {
	n.t.Helper()
	s, err := n.c.Info(context.Background(), section).Result()
	if err != nil {
		n.t.Fatalf("%s: INFO %s: %v", n.name, section, err)
	}
	var out []string
	for _, l := range strings.Split(s, "\r\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// info returns an INFO section as a map.
func (n *rnode) info(section string) map[string]string {
	n.t.Helper()
	m := map[string]string{}
	for _, l := range n.infoLines(section) {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// infoInt returns one integer INFO field (-1 if absent).
func (n *rnode) infoInt(section, field string) int64 {
	n.t.Helper()
	v, ok := n.info(section)[field]
	if !ok {
		return -1
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		n.t.Fatalf("%s: INFO %s: %q is not an integer", n.name, field, v)
	}
	return i
}

// syncStats is the INFO stats counters about replica synchronisations served.
type syncStats struct{ full, partialOK, partialErr int64 }

func (n *rnode) syncStats() syncStats {
	n.t.Helper()
	m := n.info("stats")
	get := func(f string) int64 {
		i, err := strconv.ParseInt(m[f], 10, 64)
		if err != nil {
			n.t.Fatalf("%s: INFO stats %s: %q", n.name, f, m[f])
		}
		return i
	}
	return syncStats{get("sync_full"), get("sync_partial_ok"), get("sync_partial_err")}
}

func (s syncStats) String() string {
	return fmt.Sprintf("sync_full=%d sync_partial_ok=%d sync_partial_err=%d", s.full, s.partialOK, s.partialErr)
}

// replicaOf points n at m.
func (n *rnode) replicaOf(m *rnode) {
	n.t.Helper()
	n.must("REPLICAOF", "127.0.0.1", m.Port)
}

// promote runs REPLICAOF NO ONE.
func (n *rnode) promote() {
	n.t.Helper()
	n.must("REPLICAOF", "NO", "ONE")
}

func (n *rnode) digest() string {
	n.t.Helper()
	return fmt.Sprint(n.must("DEBUG", "DIGEST"))
}

// poll is testutil.Poll with the replication tests' bounds (replWait, replEvery).
func poll(t *testing.T, what string, fn func() (bool, string)) {
	t.Helper()
	testutil.Poll(t, replWait, replEvery, what, fn)
}

// tryInfo is info that returns an error instead of failing (the node may be down).
func (n *rnode) tryInfo(section string) (map[string]string, error) {
	s, err := n.c.Info(context.Background(), section).Result()
	if err != nil {
		return nil, err
	}
	return parseInfo(s), nil
}

// parseInfo turns an INFO reply into a map of its "field:value" lines.
func parseInfo(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m
}

// waitSynced waits until every replica is connected to master and has applied all of its
// stream (slave_repl_offset == the master's master_repl_offset), and the master lists it
// as online (it may see the end of a sync after the replica does).
func waitSynced(t *testing.T, master *rnode, replicas ...*rnode) {
	t.Helper()
	poll(t, "replicas in sync with "+master.name, func() (bool, string) {
		mi, err := master.tryInfo("replication")
		if err != nil {
			return false, master.name + ": " + err.Error()
		}
		want := mi["master_repl_offset"]
		for _, r := range replicas {
			ri, err := r.tryInfo("replication")
			if err != nil {
				return false, r.name + ": " + err.Error()
			}
			if ri["role"] != "slave" || ri["master_port"] != strconv.Itoa(master.Port) || ri["master_link_status"] != "up" || ri["slave_repl_offset"] != want {
				return false, fmt.Sprintf("%s: role=%s master_port=%s link=%s slave_repl_offset=%s; master offset %s",
					r.name, ri["role"], ri["master_port"], ri["master_link_status"], ri["slave_repl_offset"], want)
			}
			if !listedOnline(mi, r.Port) {
				return false, fmt.Sprintf("%s not listed online by the master: %v", r.name, mi)
			}
		}
		return true, ""
	})
}

// listedOnline reports whether an INFO replication map has a slaveN line for port in
// state online.
func listedOnline(mi map[string]string, port int) bool {
	for k, v := range mi {
		if strings.HasPrefix(k, "slave") && strings.Contains(v, ",port="+strconv.Itoa(port)+",state=online,") {
			return true
		}
	}
	return false
}

// waitConverged waits until every node has the same master_repl_offset and every node but
// the first (the root) is a replica with its link up: at rest, a chain has one offset.
func waitConverged(t *testing.T, nodes ...*rnode) {
	t.Helper()
	poll(t, "offsets to converge", func() (bool, string) {
		var offs []string
		ok := true
		var first string
		for i, n := range nodes {
			r, err := n.tryInfo("replication")
			if err != nil {
				return false, n.name + ": " + err.Error()
			}
			offs = append(offs, fmt.Sprintf("%s=%s/%s", n.name, r["master_repl_offset"], r["master_link_status"]))
			if i == 0 {
				first = r["master_repl_offset"]
			} else if r["master_link_status"] != "up" || r["master_repl_offset"] != first {
				ok = false
			}
		}
		return ok, strings.Join(offs, " ")
	})
}

// assertDigests checks that DEBUG DIGEST is the same on every node.
func assertDigests(t *testing.T, nodes ...*rnode) {
	t.Helper()
	want := nodes[0].digest()
	for _, n := range nodes[1:] {
		if got := n.digest(); got != want {
			t.Errorf("DEBUG DIGEST: %s has %s, %s has %s", nodes[0].name, want, n.name, got)
		}
	}
}

// dbClient returns a client of n on database db.
func (n *rnode) dbClient(db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.Addr, DB: db, MaxRetries: -1, ReadTimeout: 20 * time.Second, PoolSize: 1})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// keyState is what compareKeys checks for each key.
type keyState struct{ typ, digest, expireAt string }

func (n *rnode) keyStates(db int) map[string]keyState {
	n.t.Helper()
	ctx := context.Background()
	c := n.dbClient(db)
	defer c.Close()
	keys := map[string]keyState{}
	var cursor uint64
	for {
		ks, next, err := c.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			n.t.Fatalf("%s: SCAN db %d: %v", n.name, db, err)
		}
		for _, k := range ks {
			keys[k] = keyState{}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	for k := range keys {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			n.t.Fatalf("%s: TYPE %q: %v", n.name, k, err)
		}
		dg, err := c.Do(ctx, "DEBUG", "DIGEST-VALUE", k).Result()
		if err != nil {
			n.t.Fatalf("%s: DEBUG DIGEST-VALUE %q: %v", n.name, k, err)
		}
		exp, err := c.Do(ctx, "PEXPIRETIME", k).Result()
		if err != nil {
			n.t.Fatalf("%s: PEXPIRETIME %q: %v", n.name, k, err)
		}
		keys[k] = keyState{typ, fmt.Sprint(dg), fmt.Sprint(exp)}
	}
	return keys
}

// compareKeys compares, database by database, the keys of a and b: same names, and for
// each the same type, DEBUG DIGEST-VALUE and absolute expiry (PEXPIRETIME: the master
// rewrites relative TTLs to absolute ones, so a replica has exactly the master's).
func compareKeys(t *testing.T, a, b *rnode, dbs ...int) {
	t.Helper()
	for _, db := range dbs {
		ka, kb := a.keyStates(db), b.keyStates(db)
		var diffs []string
		for k, sa := range ka {
			sb, ok := kb[k]
			switch {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("%q missing on %s", k, b.name))
			case sa != sb:
				diffs = append(diffs, fmt.Sprintf("%q: %s has %+v, %s has %+v", k, a.name, sa, b.name, sb))
			}
		}
		for k := range kb {
			if _, ok := ka[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%q only on %s", k, b.name))
			}
		}
		sort.Strings(diffs)
		if len(diffs) > 10 {
			diffs = append(diffs[:10], fmt.Sprintf("... %d more", len(diffs)-10))
		}
		for _, d := range diffs {
			t.Errorf("db %d: %s", db, d)
		}
		if len(ka) == 0 && len(diffs) == 0 && db == 0 {
			t.Errorf("db 0 of %s is empty: the comparison proves nothing", a.name)
		}
	}
}

// roleReply returns ROLE as a flat description of its shape and values.
func (n *rnode) role() []any {
	n.t.Helper()
	v, ok := n.must("ROLE").([]any)
	if !ok {
		n.t.Fatalf("%s: ROLE is not an array", n.name)
	}
	return v
}

// waitRole waits until INFO replication reports role ("master" or "slave"). A
// connection error is one more poll: a sentinel reconfiguring the node kills
// its normal clients (CLIENT KILL TYPE normal), the test's included.
func waitRole(t *testing.T, n *rnode, role string) {
	t.Helper()
	poll(t, n.name+" becomes "+role, func() (bool, string) {
		m, err := n.tryInfo("replication")
		if err != nil {
			return false, err.Error()
		}
		return m["role"] == role, "role:" + m["role"]
	})
}

// mustRead runs a read-only command, retrying a few times when the connection
// was closed under it (see waitRole), and fails the test on any other error.
func (n *rnode) mustRead(args ...any) any {
	n.t.Helper()
	var err error
	for range 3 {
		var v any
		if v, err = n.do(args...); err == nil || errors.Is(err, redis.Nil) {
			return v
		}
		if !isConnErr(err) {
			break
		}
	}
	n.t.Fatalf("%s: %v: %v", n.name, args, err)
	return nil
}

// isConnErr reports whether err means the connection was closed or reset under the
// command (a retry on a new connection may succeed).
func isConnErr(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.As(err, &ne) || strings.Contains(err.Error(), "connection reset")
}

// logCount counts the lines of a node's output (all its processes) containing s.
func logCount(n *rnode, s string) int {
	return strings.Count(n.Proc.Output(), s)
}
