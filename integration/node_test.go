package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// `vigil node` tests (issue 9): nodes are real processes, each with its data
// server, sentinel endpoint, gossip port and HTTP port on free loopback ports,
// its own dir and a YAML config file. Every wait is a bounded poll.

const nodeGroup = "shop"

// vnode is one `vigil node` process and clients on its two RESP endpoints.
type vnode struct {
	t                          *testing.T
	name, dir, conf            string
	port, sport, gport, hport  int
	proc                       *testutil.Proc
	c, s                       *redis.Client
	addr, sentinelAddr, gossip string
}

// newVNode writes the node's config file (a group of size 3, failure
// detection after 1 s, the data persisted in an AOF) and starts it.
func newVNode(t *testing.T, name string, join ...string) *vnode {
	t.Helper()
	n := &vnode{t: t, name: name, dir: t.TempDir(), port: testutil.FreePort(t), sport: testutil.FreePort(t),
		gport: testutil.FreePort(t), hport: testutil.FreePort(t)}
	n.addr = "127.0.0.1:" + strconv.Itoa(n.port)
	n.sentinelAddr = "127.0.0.1:" + strconv.Itoa(n.sport)
	n.gossip = "127.0.0.1:" + strconv.Itoa(n.gport)
	n.conf = filepath.Join(t.TempDir(), "node.yaml")
	n.writeConf(join...)
	n.c = redis.NewClient(&redis.Options{Addr: n.addr, MaxRetries: -1, DialTimeout: time.Second,
		ReadTimeout: 5 * time.Second, PoolSize: 2})
	n.s = redis.NewClient(&redis.Options{Addr: n.sentinelAddr, MaxRetries: -1, DialTimeout: time.Second,
		ReadTimeout: 5 * time.Second, PoolSize: 2, Protocol: 2})
	t.Cleanup(func() { n.c.Close(); n.s.Close() })
	n.start()
	return n
}

// writeConf writes the node's YAML file with these join seeds.
func (n *vnode) writeConf(join ...string) {
	n.t.Helper()
	joinLine := ""
	if len(join) > 0 {
		joinLine = fmt.Sprintf("join: [%s]\n", strings.Join(join, ", "))
	}
	yaml := fmt.Sprintf(`group: %s
size: 3
%sport: %d
sentinel-port: %d
gossip-port: %d
http-port: %d
dir: %s
server:
  appendonly: "yes"
  repl-diskless-sync-delay: 0
  enable-debug-command: "yes"
sentinel:
  down-after-milliseconds: %d
  failover-timeout: %d
`, nodeGroup, joinLine, n.port, n.sport, n.gport, n.hport, n.dir, haDownMs, haTimeoutMs)
	if err := os.WriteFile(n.conf, []byte(yaml), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// start (re)starts the process and waits until both endpoints listen.
func (n *vnode) start() {
	n.t.Helper()
	n.proc = testutil.StartIn(n.t, n.dir, n.name, testutil.VigilBinary(n.t), "node", n.conf)
	testutil.WaitForPort(n.t, n.addr, haWait, n.proc)
	testutil.WaitForPort(n.t, n.sentinelAddr, haWait, n.proc)
}

// role returns ROLE's first fields: "master", or "slave host:port state".
func (n *vnode) role() string {
	r, err := n.c.Do(context.Background(), "ROLE").Slice()
	if err != nil || len(r) == 0 {
		return fmt.Sprint("error: ", err)
	}
	if r[0] == "slave" && len(r) >= 4 {
		return fmt.Sprintf("slave %v:%v %v", r[1], r[2], r[3])
	}
	return fmt.Sprint(r[0])
}

// masterAddr is what the node's sentinel endpoint gives clients.
func (n *vnode) masterAddr() string {
	a, err := n.s.Do(context.Background(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", nodeGroup).StringSlice()
	if err != nil || len(a) != 2 {
		return fmt.Sprint("error: ", err)
	}
	return a[0] + ":" + a[1]
}

// masterField returns one field of SENTINEL MASTER on the node's endpoint.
func (n *vnode) masterField(field string) string {
	f, err := n.s.Do(context.Background(), "SENTINEL", "MASTER", nodeGroup).StringSlice()
	for i := 0; err == nil && i+1 < len(f); i += 2 {
		if f[i] == field {
			return f[i+1]
		}
	}
	return ""
}

// waitFollowing waits until every node in rs is a connected replica of m.
func waitFollowing(t *testing.T, m *vnode, rs ...*vnode) {
	t.Helper()
	for _, r := range rs {
		testutil.Poll(t, haWait, haEvery, r.name+" replicating from "+m.name, func() (bool, string) {
			role := r.role()
			return role == "slave "+m.addr+" connected", role
		})
	}
}

// TestNodeGroupFailover: three nodes form a group (the first alone, the others
// joining its gossip address); a go-redis FailoverClient writes through their
// sentinel endpoints while the master's node is killed with SIGKILL: the
// agents promote one of the other nodes, the third follows it, no
// acknowledged write is lost; the killed node, restarted with its data and a
// read-only config file, rejoins as a replica and never as a second master; a
// fourth node joins and syncs; redis-py finds the new master.
func TestNodeGroupFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level failover test")
	}
	nodes := startNodeGroup(t)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: nodeGroup,
		SentinelAddrs: []string{n1.sentinelAddr, n2.sentinelAddr, n3.sentinelAddr},
		MaxRetries:    -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, PoolSize: 2})
	defer fc.Close()
	w := &haWriter{c: fc}
	done := make(chan struct{})
	go w.run(done)
	defer func() { w.stop.Store(true); <-done }()
	poll(t, "200 acknowledged writes before the kill", func() (bool, string) {
		n, _, desc := w.snapshot()
		return n >= 200, desc
	})
	n1.proc.Kill()
	w.killed.Store(true)
	newM, other := waitNewMaster(t, n2, n3)
	waitFollowing(t, newM, other)
	poll(t, "the client to write again after the failover", func() (bool, string) {
		_, n, desc := w.snapshot()
		return n >= 20, desc
	})
	w.stop.Store(true)
	<-done
	t.Logf("%d writes, %d acknowledged, %d after the kill; new master %s; first errors: %q",
		w.total, len(w.acked), w.afterKill, newM.name, w.errs)
	assertAcked(t, &rnode{t: t, name: newM.name, c: newM.c}, w)

	// HTTP in node mode: /health/master without addr checks the node's own server.
	for _, tc := range []struct {
		n    *vnode
		code int
	}{{newM, 200}, {other, 503}} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health/master/%s", tc.n.hport, nodeGroup))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: GET /health/master/%s: %d %s, want %d", tc.n.name, nodeGroup, resp.StatusCode, body, tc.code)
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", newM.hport))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "vigil_server_connected_slaves 1\n") {
		t.Errorf("%s: /metrics has no vigil_server_connected_slaves 1:\n%s", newM.name, metrics)
	}

	// The killed node comes back with its AOF and a read-only config file.
	if err := os.Chmod(n1.conf, 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(n1.conf)
	n1.start()
	waitFollowing(t, newM, n1)
	for range 20 { // never a second master while it settles
		if r := n1.role(); !strings.HasPrefix(r, "slave "+newM.addr) {
			t.Fatalf("restarted %s: ROLE %q, want a replica of %s", n1.name, r, newM.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after, _ := os.ReadFile(n1.conf); string(after) != string(before) {
		t.Errorf("the node rewrote its config file:\n%s", after)
	}
	last := "k:" + strconv.Itoa(w.acked[len(w.acked)-1])
	testutil.Poll(t, haWait, haEvery, n1.name+" has the last acknowledged write", func() (bool, string) {
		v, err := n1.c.Get(context.Background(), last).Result()
		return err == nil && v != "", fmt.Sprint(v, err)
	})

	// A fourth node, first the master of a group of its own with data, joins
	// through a replica's gossip address: it becomes a replica and a full sync
	// replaces its data.
	n4 := newVNode(t, "node4")
	if err := n4.c.Set(context.Background(), "n4only", "x", 0).Err(); err != nil {
		t.Fatalf("%s alone: SET: %v", n4.name, err)
	}
	if err := n4.proc.Signal(syscall.SIGTERM); err != nil { // a clean stop: its AOF has n4only
		t.Fatal(err)
	}
	if code := n4.proc.Wait(haWait); code != 0 {
		t.Fatalf("%s alone: exit %d after SIGTERM", n4.name, code)
	}
	n4.writeConf(other.gossip)
	n4.start()
	waitFollowing(t, newM, n4)
	if n, err := n4.c.Exists(context.Background(), "n4only").Result(); err != nil || n != 0 {
		t.Errorf("%s after joining: EXISTS n4only = %d %v, want 0 (its data replaced by the full sync)", n4.name, n, err)
	}
	testutil.Poll(t, haWait, haEvery, n4.name+" has the dataset", func() (bool, string) {
		v, err := n4.c.Get(context.Background(), last).Result()
		return err == nil && v != "", fmt.Sprint(v, err)
	})

	// redis-py's Sentinel client finds the new master through a node's endpoint.
	py := pythonWithRedis(t)
	script := fmt.Sprintf(`
from redis.sentinel import Sentinel
s = Sentinel([('127.0.0.1', %d), ('127.0.0.1', %d)], socket_timeout=2)
print('%%s:%%d' %% s.discover_master(%q))
m = s.master_for(%q, socket_timeout=2)
m.set('py', 'ok')
print(m.get('py').decode())
`, n4.sport, other.sport, nodeGroup, nodeGroup)
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if want := newM.addr + "\nok\n"; err != nil || string(out) != want {
		t.Fatalf("redis-py: %v\n%s\nwant %q", err, out, want)
	}
}

// TestNodeAlone: `vigil node` without a file is a one-node group "vigil" on
// loopback whose server is its master; a go-redis FailoverClient finds it
// through the node's sentinel endpoint, the HTTP endpoint answers, and the
// state file in dir holds the node ID it keeps across a restart.
func TestNodeAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	dir := t.TempDir()
	port, sport, gport, hport := testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)
	args := []string{"node", "--port", strconv.Itoa(port), "--sentinel-port", strconv.Itoa(sport),
		"--gossip-port", strconv.Itoa(gport), "--http-port", strconv.Itoa(hport), "--dir", dir}
	addr, saddr := "127.0.0.1:"+strconv.Itoa(port), "127.0.0.1:"+strconv.Itoa(sport)
	start := func() *testutil.Proc {
		p := testutil.Start(t, "node", testutil.VigilBinary(t), args...)
		testutil.WaitForPort(t, addr, haWait, p)
		testutil.WaitForPort(t, saddr, haWait, p)
		return p
	}
	p := start()
	ctx := context.Background()
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "vigil", SentinelAddrs: []string{saddr},
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	defer fc.Close()
	if err := fc.Set(ctx, "a", "1", 0).Err(); err != nil {
		t.Fatalf("FailoverClient SET: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if role, err := c.Do(ctx, "ROLE").Slice(); err != nil || role[0] != "master" {
		t.Fatalf("ROLE: %v %v, want master", role, err)
	}
	if v, err := c.Get(ctx, "a").Result(); err != nil || v != "1" {
		t.Fatalf("GET a: %q %v, want 1", v, err)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health/master/vigil", hport))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /health/master/vigil: %d, want 200", resp.StatusCode)
	}
	s := redis.NewClient(&redis.Options{Addr: saddr, Protocol: 2})
	defer s.Close()
	id := func() string {
		v, err := s.Do(ctx, "SENTINEL", "MYID").Text()
		if err != nil {
			t.Fatalf("SENTINEL MYID: %v", err)
		}
		return v
	}
	first := id()
	state, err := os.ReadFile(filepath.Join(dir, "node-state.conf"))
	if err != nil || !strings.Contains(string(state), "sentinel myid "+first) {
		t.Fatalf("state file: %v\n%s\nwant sentinel myid %s", err, state, first)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(haWait); code != 0 {
		t.Fatalf("node exited with %d after SIGTERM, want 0", code)
	}
	start()
	if again := id(); again != first {
		t.Errorf("node ID after restart: %s, want %s", again, first)
	}
	if v, err := c.Get(ctx, "a").Result(); err != nil || v != "1" {
		t.Errorf("GET a after restart: %q %v, want 1 (saved on shutdown)", v, err)
	}
}

// TestNodeGroupColdRestart: the whole group is killed with SIGKILL and
// restarted at once (a power cut): no node can reach another at first, so
// each falls back to the master its state file names; the group comes back
// with that one master and the others as its replicas, never two masters.
func TestNodeGroupColdRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	n1 := newVNode(t, "node1")
	n2 := newVNode(t, "node2", n1.gossip)
	n3 := newVNode(t, "node3", n1.gossip)
	nodes := []*vnode{n1, n2, n3}
	waitFollowing(t, n1, n2, n3)
	for _, n := range nodes { // every state file knows the other agents
		testutil.Poll(t, haWait, haEvery, n.name+" agent sees 2 other agents", func() (bool, string) {
			s := n.masterField("num-other-sentinels")
			return s == "2", "num-other-sentinels=" + s
		})
	}
	if err := n1.c.Set(context.Background(), "before", "cut", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n.proc.Kill()
	}
	for _, n := range nodes { // all at once: no WaitForPort between them
		n.proc = testutil.StartIn(t, n.dir, n.name, testutil.VigilBinary(t), "node", n.conf)
	}
	for _, n := range nodes {
		testutil.WaitForPort(t, n.addr, haWait, n.proc)
	}
	waitFollowing(t, n1, n2, n3)
	for _, n := range []*vnode{n2, n3} {
		if a := n.masterAddr(); a != n1.addr {
			t.Errorf("%s's agent names %s as the master, want %s", n.name, a, n1.addr)
		}
	}
	testutil.Poll(t, haWait, haEvery, "the data back on every node", func() (bool, string) {
		var got []string
		for _, n := range nodes {
			v, _ := n.c.Get(context.Background(), "before").Result()
			got = append(got, v)
		}
		return strings.Join(got, ",") == "cut,cut,cut", strings.Join(got, ",")
	})
}

// TestSupervisedNode: a node under systemd (NOTIFY_SOCKET and WATCHDOG_USEC
// set, no flag needed) sends READY=1 with its status line once its server
// has loaded and its agent runs, WATCHDOG=1 while both loops move and none
// while DEBUG SLEEP holds the server's loop, and STOPPING=1 on SIGTERM.
func TestSupervisedNode(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	const watchdog = time.Second
	l := listenNotify(t)
	port := testutil.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := testutil.StartEnv(t, "", notifyEnv(l, watchdog), "node", testutil.VigilBinary(t), "node",
		"--port", strconv.Itoa(port), "--sentinel-port", strconv.Itoa(testutil.FreePort(t)),
		"--gossip-port", strconv.Itoa(testutil.FreePort(t)), "--http-port", "0", "--dir", t.TempDir(),
		"--enable-debug-command", "yes")
	ready, i := l.wait(t, 0, "READY=1")
	if st, _ := ready.field("STATUS="); st != "STATUS=master of vigil, no replicas" {
		t.Errorf("READY=1 datagram %q: want STATUS=master of vigil, no replicas with it", ready.fields)
	}
	testutil.WaitForPort(t, addr, time.Second, p) // READY=1 means it listens
	_, i = l.wait(t, i, "WATCHDOG=1")
	l.wait(t, i+1, "WATCHDOG=1")
	logWatchdogGaps(t, l, watchdog)

	after := checkWedgedWatchdog(t, l, addr)
	_, i = l.wait(t, after, "WATCHDOG=1")
	stopSupervised(t, l, p, i)
}

// TestNodeLocalFastPath: an agent watches its own server without any
// connection for commands (issue 9's in-process fast path): the server's
// CLIENT LIST shows the other agent's command connection (over TCP) and its
// own agent's hello pub/sub pair, never its own agent's command connection,
// yet the agent sees its server's role and link. A manual failover led by
// the replica's agent promotes its own server through the direct path (the
// old master is then repointed by whichever agent gets there first: its own
// in process, or the leader over TCP).
func TestNodeLocalFastPath(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	n1 := newVNode(t, "node1")
	n2 := newVNode(t, "node2", n1.gossip)
	waitFollowing(t, n1, n2)
	ctx := context.Background()
	short := func(n *vnode) string {
		id, err := n.s.Do(ctx, "SENTINEL", "MYID").Text()
		if err != nil || len(id) < 8 {
			t.Fatalf("%s: SENTINEL MYID: %q %v", n.name, id, err)
		}
		return id[:8]
	}
	id1, id2 := short(n1), short(n2)
	for _, c := range []struct {
		n           *vnode
		own, other  string
		wantOwnRole string
	}{{n1, id1, id2, "master"}, {n2, id2, id1, "slave"}} {
		testutil.Poll(t, haWait, haEvery, c.n.name+": the other agent's command link and the own hello link", func() (bool, string) {
			list, err := c.n.c.ClientList(ctx).Result()
			if err != nil {
				return false, err.Error()
			}
			if strings.Contains(list, "name=sentinel-"+c.own+"-cmd") {
				t.Fatalf("%s: its own agent has a command connection:\n%s", c.n.name, list)
			}
			return strings.Contains(list, "name=sentinel-"+c.other+"-cmd") &&
				strings.Contains(list, "name=sentinel-"+c.own+"-pubsub"), list
		})
	}
	testutil.Poll(t, haWait, haEvery, "node2's agent sees its own server as a replica with its link up", func() (bool, string) {
		rs, err := n2.s.Do(ctx, "SENTINEL", "REPLICAS", nodeGroup).Slice()
		if err != nil {
			return false, err.Error()
		}
		for _, r := range rs {
			f, _ := r.([]any)
			m := map[string]string{}
			for i := 0; i+1 < len(f); i += 2 {
				m[fmt.Sprint(f[i])] = fmt.Sprint(f[i+1])
			}
			if m["name"] == n2.addr {
				return m["flags"] == "slave" && m["master-link-status"] == "ok" && m["role-reported"] == "slave",
					fmt.Sprint(m)
			}
		}
		return false, fmt.Sprint(rs)
	})
	if err := n2.s.Do(ctx, "SENTINEL", "FAILOVER", nodeGroup).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER on node2: %v", err)
	}
	testutil.Poll(t, haWait, haEvery, "node2 promoted", func() (bool, string) {
		r := n2.role()
		return r == "master", r
	})
	waitFollowing(t, n2, n1)
	out := n2.proc.Output()
	if !strings.Contains(out, `slaveof transaction run in process addr=`+n2.addr) ||
		!strings.Contains(out, `slaveof="NO ONE"`) {
		t.Errorf("node2's agent did not promote its server in process:\n%s", out)
	}
}

// startNodeGroup starts node1..node3 (node1 the master, the others joining it)
// and waits until every agent sees two replicas and two other agents.
func startNodeGroup(t *testing.T) []*vnode {
	t.Helper()
	n1 := newVNode(t, "node1")
	n2 := newVNode(t, "node2", n1.gossip)
	n3 := newVNode(t, "node3", n1.gossip)
	nodes := []*vnode{n1, n2, n3}
	waitFollowing(t, n1, n2, n3)
	for _, n := range nodes {
		testutil.Poll(t, haWait, haEvery, n.name+" agent sees 2 replicas and 2 other agents", func() (bool, string) {
			r, s := n.masterField("num-slaves"), n.masterField("num-other-sentinels")
			return r == "2" && s == "2", "num-slaves=" + r + " num-other-sentinels=" + s
		})
	}
	return nodes
}

// waitNewMaster waits until one of a and b is the master and the other follows it (by
// their agents' view and the new master's ROLE); it returns the master, then the other.
func waitNewMaster(t *testing.T, a, b *vnode) (newM, other *vnode) {
	t.Helper()
	testutil.Poll(t, haWait, haEvery, "a new master", func() (bool, string) {
		addr := a.masterAddr()
		switch addr {
		case a.addr:
			newM, other = a, b
		case b.addr:
			newM, other = b, a
		default:
			return false, addr
		}
		return other.masterAddr() == newM.addr && newM.role() == "master", addr
	})
	return newM, other
}
