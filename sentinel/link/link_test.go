package link

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/internal/testutil"
)

const (
	idA = "aaaaaaaa11111111111111111111111111111111"
	idB = "bbbbbbbb22222222222222222222222222222222"
)

// fast timers so the process tests finish quickly; nothing asserts on them.
var fastPeriods = Periods{Ping: 100 * time.Millisecond, Info: 300 * time.Millisecond, Publish: 200 * time.Millisecond, DownAfter: time.Second}

// collector drains a link's observations and lets the test wait for one.
type collector struct {
	mu  sync.Mutex
	obs []Observation
}

func (c *collector) add(o Observation) {
	c.mu.Lock()
	c.obs = append(c.obs, o)
	c.mu.Unlock()
}

// find returns the first observation after index from that matches fn.
func (c *collector) find(from int, fn func(Observation) bool) (Observation, int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := from; i < len(c.obs); i++ {
		if fn(c.obs[i]) {
			return c.obs[i], i, true
		}
	}
	return Observation{}, len(c.obs), false
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.obs)
}

// waitFor polls until an observation after index from matches fn, and returns it.
func (c *collector) waitFor(t *testing.T, from int, what string, fn func(Observation) bool) Observation {
	t.Helper()
	var got Observation
	testutil.CheckFor(t, 15*time.Second, 10*time.Millisecond, what, func() bool {
		o, _, ok := c.find(from, fn)
		got = o
		return ok
	})
	return got
}

// startLink creates a link whose observations are collected; it is closed at cleanup.
func startLink(t *testing.T, cfg Config) (*Link, *collector) {
	t.Helper()
	if cfg.Periods == (Periods{}) {
		cfg.Periods = fastPeriods
	}
	cfg.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	out := make(chan Observation)
	c := &collector{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for o := range out {
			c.add(o)
		}
	}()
	l := New(cfg, out)
	t.Cleanup(func() {
		l.Close()
		close(out)
		<-done
	})
	return l, c
}

func isEvent(ev Event) func(Observation) bool {
	return func(o Observation) bool { return o.Event == ev }
}

func linkUp(conn Conn) func(Observation) bool {
	return func(o Observation) bool { return o.Event == EventLinkUp && o.Conn == conn }
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// startPair starts a real master and a replica of it and waits for the replica's link.
func startPair(t *testing.T, extra ...string) (*testutil.Proc, string, *testutil.Proc, string) {
	t.Helper()
	mp, maddr := testutil.StartRedis(t, append([]string{"--repl-diskless-sync-delay", "0"}, extra...)...)
	args := append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(portOf(t, maddr))}, extra...)
	rp, raddr := testutil.StartRedis(t, args...)
	r := testutil.DialRaw(t, raddr)
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "replica link up", func() bool {
		return strings.Contains(r.Do("INFO", "replication"), "master_link_status:up")
	})
	return mp, maddr, rp, raddr
}

func TestLinkMasterAndReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	_, maddr, _, raddr := startPair(t)
	a, ca := startLink(t, Config{Addr: maddr, Kind: KindMaster, MyID: idA})
	_, cb := startLink(t, Config{Addr: maddr, Kind: KindMaster, MyID: idB})
	_, cr := startLink(t, Config{Addr: raddr, Kind: KindReplica, MyID: idB})

	ca.waitFor(t, 0, "cc up", linkUp(CC))
	ca.waitFor(t, 0, "pc up", linkUp(PC))
	pong := ca.waitFor(t, 0, "ping reply", isEvent(EventPingReply))
	if !pong.OK || pong.Reply != "PONG" || pong.Err != nil {
		t.Errorf("ping reply: got ok=%v reply=%q err=%v, want ok PONG", pong.OK, pong.Reply, pong.Err)
	}
	if !pong.State.ActPing.IsZero() || pong.State.LastAvail != pong.At {
		t.Errorf("after PONG: got ActPing=%v LastAvail=%v, want zero and %v", pong.State.ActPing, pong.State.LastAvail, pong.At)
	}
	mi := ca.waitFor(t, 0, "master info", isEvent(EventInfo)).Info
	wantReplica := failover.Addr{Host: "127.0.0.1", Port: portOf(t, raddr)}
	if mi.Role != failover.RoleMaster || len(mi.RunID) != 40 || len(mi.Replicas) != 1 || mi.Replicas[0] != wantReplica {
		t.Errorf("master info: got role=%v runid=%q replicas=%v, want master, 40 chars, [%v]", mi.Role, mi.RunID, mi.Replicas, wantReplica)
	}
	ri := cr.waitFor(t, 0, "replica info", isEvent(EventInfo)).Info
	if ri.Role != failover.RoleSlave || ri.MasterHost != "127.0.0.1" || ri.MasterPort != portOf(t, maddr) || !ri.MasterLinkUp {
		t.Errorf("replica info: got %+v, want slave of %s with link up", ri, maddr)
	}

	// the hello of A comes back to B through the master and to the replica link
	// through replication
	a.SetHello(Hello{Port: 26379, RunID: idA, CurrentEpoch: 7, MasterName: "mymaster", MasterIP: "127.0.0.1", MasterPort: portOf(t, maddr), ConfigEpoch: 3})
	pub := ca.waitFor(t, 0, "publish", isEvent(EventPublish))
	if !pub.OK || pub.Err != nil {
		t.Errorf("publish: got ok=%v reply=%q err=%v, want ok", pub.OK, pub.Reply, pub.Err)
	}
	want := Hello{IP: "127.0.0.1", Port: 26379, RunID: idA, CurrentEpoch: 7, MasterName: "mymaster", MasterIP: "127.0.0.1", MasterPort: portOf(t, maddr), ConfigEpoch: 3}
	for name, c := range map[string]*collector{"master": cb, "replica": cr} {
		h := c.waitFor(t, 0, "hello via "+name, isEvent(EventHello))
		if h.Hello != want {
			t.Errorf("hello via %s: got %+v, want %+v", name, h.Hello, want)
		}
	}
	if _, _, ok := ca.find(0, isEvent(EventHello)); ok {
		t.Errorf("link A reported its own hello")
	}

	clients := testutil.DialRaw(t, maddr).Do("CLIENT", "LIST")
	for _, n := range []string{"name=sentinel-aaaaaaaa-cmd", "name=sentinel-aaaaaaaa-pubsub", "name=sentinel-bbbbbbbb-cmd"} {
		if !strings.Contains(clients, n) {
			t.Errorf("CLIENT LIST: no %s in\n%s", n, clients)
		}
	}
}

func TestLinkPromoteAndReplicaOf(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	_, maddr, _, raddr := startPair(t)
	p := fastPeriods
	p.Info = time.Hour // only the initial INFO and the pushed ones
	l, c := startLink(t, Config{Addr: raddr, Kind: KindReplica, MyID: idA, Periods: p})
	first := c.waitFor(t, 0, "first info", isEvent(EventInfo))
	if first.Info.Role != failover.RoleSlave {
		t.Fatalf("first info: got role %v, want slave", first.Info.Role)
	}
	_, from, _ := c.find(0, func(Observation) bool { return false })
	ctx := context.Background()
	reply, err := l.PromoteNoOne(ctx)
	if err != nil || reply != "OK" {
		t.Fatalf("PromoteNoOne: got %q, %v, want OK", reply, err)
	}
	pushed := c.waitFor(t, from, "info after promotion", isEvent(EventInfo))
	if pushed.Info.Role != failover.RoleMaster {
		t.Errorf("info pushed after promotion: got role %v, want master", pushed.Info.Role)
	}

	from = c.len()
	reply, err = l.ReplicaOf(ctx, "127.0.0.1", portOf(t, maddr))
	if err != nil || reply != "OK" {
		t.Fatalf("ReplicaOf: got %q, %v, want OK", reply, err)
	}
	pushed = c.waitFor(t, from, "info after replicaof", isEvent(EventInfo))
	if pushed.Info.Role != failover.RoleSlave || pushed.Info.MasterPort != portOf(t, maddr) {
		t.Errorf("info pushed after replicaof: got role %v master port %d, want slave of %d", pushed.Info.Role, pushed.Info.MasterPort, portOf(t, maddr))
	}
}

func TestLinkKilledInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	proc, addr := testutil.StartRedis(t)
	l, c := startLink(t, Config{Addr: addr, Kind: KindMaster, MyID: idA})
	c.waitFor(t, 0, "cc up", linkUp(CC))
	c.waitFor(t, 0, "pc up", linkUp(PC))
	c.waitFor(t, 0, "pong", func(o Observation) bool { return o.Event == EventPingReply && o.OK })
	from := c.len()
	proc.Kill()
	for _, conn := range []Conn{CC, PC} {
		d := c.waitFor(t, from, conn.String()+" down", func(o Observation) bool { return o.Event == EventLinkDown && o.Conn == conn })
		if d.Err == nil {
			t.Errorf("%v down: got no cause", conn)
		}
	}
	// reconnection keeps failing: no PING is ever answered again
	var st State
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "no available reply for 1 s", func() bool {
		st = l.State()
		return time.Since(st.LastAvail) > time.Second
	})
	if !st.Disconnected(KindMaster) {
		t.Errorf("state after kill: got %+v, want disconnected", st)
	}
	if _, _, ok := c.find(from, func(o Observation) bool { return o.Event == EventPingReply && o.OK }); ok {
		t.Errorf("got an available PING reply after the kill")
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := l.Close(); err != ErrClosed {
		t.Errorf("second Close: got %v, want ErrClosed", err)
	}
}

func TestLinkAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	_, addr := testutil.StartRedis(t, "--requirepass", "s3cret", "--user", "alice", "on", ">alicepw", "~*", "&*", "+@all")
	tests := []struct {
		name       string
		user, pass string
		ok         bool
	}{
		{"requirepass", "", "s3cret", true},
		{"acl user", "alice", "alicepw", true},
		{"wrong password", "", "nope", false},
		{"no password", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, c := startLink(t, Config{Addr: addr, Kind: KindMaster, MyID: idA, AuthUser: tc.user, AuthPass: tc.pass})
			r := c.waitFor(t, 0, "ping reply", isEvent(EventPingReply))
			if r.OK != tc.ok {
				t.Errorf("ping reply: got ok=%v %q, want ok=%v", r.OK, r.Reply, tc.ok)
			}
			if tc.ok {
				c.waitFor(t, 0, "pc up", linkUp(PC))
				return
			}
			if !strings.HasPrefix(r.Reply, "NOAUTH") {
				t.Errorf("ping reply: got %q, want NOAUTH…", r.Reply)
			}
			if _, _, up := c.find(0, linkUp(PC)); up {
				t.Errorf("pub/sub connection came up without authentication")
			}
		})
	}
}

func TestLinkRenameCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	renames := map[string]string{
		"PING": "ping-x", "INFO": "info-x", "CLIENT": "client-x", "PUBLISH": "publish-x",
		"CONFIG": "config-x", "SLAVEOF": "slaveof-x", "MULTI": "multi-x", "EXEC": "exec-x",
	}
	var args []string
	for from, to := range renames {
		args = append(args, "--rename-command", from, to)
	}
	_, addr := testutil.StartRedis(t, args...)
	l, c := startLink(t, Config{Addr: addr, Kind: KindMaster, MyID: idA, Renames: map[string]string{
		"ping": "ping-x", "Info": "info-x", "CLIENT": "client-x", "publish": "publish-x",
		"config": "config-x", "slaveof": "slaveof-x", "multi": "multi-x", "exec": "exec-x",
	}})
	if r := c.waitFor(t, 0, "ping reply", isEvent(EventPingReply)); !r.OK {
		t.Errorf("renamed PING: got %q %v, want PONG", r.Reply, r.Err)
	}
	if i := c.waitFor(t, 0, "info", isEvent(EventInfo)); i.Info.Role != failover.RoleMaster {
		t.Errorf("renamed INFO: got role %v, want master", i.Info.Role)
	}
	l.SetHello(Hello{Port: 1, RunID: idA, MasterName: "m", MasterIP: "127.0.0.1", MasterPort: 1})
	if p := c.waitFor(t, 0, "publish", isEvent(EventPublish)); !p.OK {
		t.Errorf("renamed PUBLISH: got %q %v, want ok", p.Reply, p.Err)
	}
	v, err := l.Send(context.Background(), "client", "getname")
	if err != nil || v != "sentinel-aaaaaaaa-cmd" {
		t.Errorf("CLIENT GETNAME through Send: got %v, %v, want sentinel-aaaaaaaa-cmd", v, err)
	}
	if reply, err := l.PromoteNoOne(context.Background()); err != nil || reply != "OK" {
		t.Errorf("renamed transaction: got %q, %v, want OK", reply, err)
	}
}
