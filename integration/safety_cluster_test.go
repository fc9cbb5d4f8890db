package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/netns"
	"github.com/vigil-db/vigil/internal/testutil"
)

// The safety harness's cluster (issue 10 §3): three hosts in network namespaces the test
// creates (internal/netns: a bridge in the root namespace, 10.77.0.1-3 inside the
// namespaces, 10.77.0.254 on the bridge for the test's own client), each running one data
// server on :6379 and one sentinel on :26379 (Vigil's gossip on :27379). The addresses
// exist only on the bridge and inside the namespaces, and are removed with them.

const (
	safetyPrefix    = "vsafe"   // name prefix of every namespace and link
	safetySubnet    = "10.77.0" // hosts .1-.3, the client (bridge) .254
	safetyHosts     = 3
	safetyMaster    = "mymaster"
	safetyDownMs    = 1000 // default down-after-milliseconds (VIGIL_SAFETY_DOWN_MS)
	safetyFailMs    = 10000
	safetyWait      = 90 * time.Second // bound of every poll (Redis's reconfigurations take 10-20 s)
	safetyEvery     = 100 * time.Millisecond
	safetyDataPort  = 6379
	safetySentPort  = 26379
	envRequireNetns = "VIGIL_REQUIRE_NETNS"
)

// requireNetns skips the test when this process cannot create network namespaces
// (not root, no `ip`, a sandbox that refuses), or fails it when VIGIL_REQUIRE_NETNS=1
// (as in CI).
func requireNetns(t *testing.T, partitions bool) {
	t.Helper()
	err := netns.Available()
	if err == nil && partitions {
		err = netns.PartitionAvailable()
	}
	if err == nil {
		return
	}
	msg := fmt.Sprintf("safety harness needs root, `ip netns` and, for partitions, `nft`: %v", err)
	if os.Getenv(envRequireNetns) == "1" {
		t.Fatal(msg + " — required because " + envRequireNetns + "=1")
	}
	t.Skip(msg)
}

// safetyHost is one namespace with its data server and sentinel.
type safetyHost struct {
	t        *testing.T
	ns       *netns.Host
	name     string // "h1(vigil)"
	impl     string
	dir      string
	addr     string // data server "10.77.0.N:6379"
	sentAddr string // sentinel "10.77.0.N:26379"
	server   *testutil.Proc
	sentinel *testutil.Proc
	c        *redis.Client // RESP2 admin client to the data server
	sc       *redis.Client // RESP2 admin client to the sentinel
}

// safetyCluster is the lab, its hosts and the server arguments of the mode under test.
type safetyCluster struct {
	t      *testing.T
	impl   string
	downMs int // the sentinels' down-after-milliseconds
	lab    *netns.Lab
	hosts  []*safetyHost
}

// newSafetyCluster builds the lab (after removing an earlier crashed run's leftovers),
// starts h1 as master and h2, h3 as its replicas, waits until they are in sync, then
// starts the sentinels and waits until each sees the whole group and the master takes
// writes that both replicas acknowledge. modeConf is appended
// to every data server's config file; downMs is the sentinels' down-after-milliseconds.
func newSafetyCluster(t *testing.T, impl string, modeConf []string, downMs int) *safetyCluster {
	t.Helper()
	unlock, err := netns.Lock(safetyPrefix, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	if gone, err := netns.Leftovers(safetyPrefix); err != nil {
		t.Fatalf("removing an earlier run's leftovers: %v", err)
	} else if len(gone) > 0 {
		t.Logf("removed an earlier run's leftovers: %s", strings.Join(gone, ", "))
	}
	lab, err := netns.New(safetyPrefix, safetySubnet, safetyHosts)
	if err != nil {
		t.Fatal(err)
	}
	// registered before the processes: cleanups run last-in first-out, so the processes
	// are killed before their namespaces go
	t.Cleanup(func() {
		if err := lab.Cleanup(); err != nil {
			t.Errorf("lab cleanup: %v", err)
		}
	})
	c := &safetyCluster{t: t, impl: impl, downMs: downMs, lab: lab}
	for i, h := range lab.Hosts {
		sh := &safetyHost{t: t, ns: h, impl: impl, dir: t.TempDir(), name: fmt.Sprintf("h%d(%s)", i+1, impl),
			addr: h.Addr + ":" + strconv.Itoa(safetyDataPort), sentAddr: h.Addr + ":" + strconv.Itoa(safetySentPort)}
		sh.c = redis.NewClient(&redis.Options{Addr: sh.addr, Protocol: 2, MaxRetries: -1, PoolSize: 2,
			DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second})
		sh.sc = redis.NewClient(&redis.Options{Addr: sh.sentAddr, Protocol: 2, MaxRetries: -1, PoolSize: 2,
			DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second})
		t.Cleanup(func() { sh.c.Close(); sh.sc.Close() })
		c.hosts = append(c.hosts, sh)
	}
	for i, h := range c.hosts {
		replicaOf := ""
		if i > 0 {
			replicaOf = c.hosts[0].ns.Addr
		}
		h.startServer(replicaOf, modeConf)
	}
	c.waitSynced()
	for _, h := range c.hosts {
		h.startSentinel(c.hosts[0].ns.Addr, downMs)
	}
	c.waitHealthy()
	c.waitWritable()
	return c
}

// startServer writes the data server's config file and starts it in the namespace.
func (h *safetyHost) startServer(replicaOf string, modeConf []string) {
	t := h.t
	t.Helper()
	lines := []string{"port " + strconv.Itoa(safetyDataPort), "bind " + h.ns.Addr, "protected-mode no",
		`save ""`, "dir " + h.dir, "appendonly no", "repl-diskless-sync-delay 0"}
	if replicaOf != "" {
		lines = append(lines, fmt.Sprintf("replicaof %s %d", replicaOf, safetyDataPort))
	}
	lines = append(lines, modeConf...)
	conf := filepath.Join(h.dir, "server.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var bin string
	var args []string
	switch h.impl {
	case testutil.ImplVigil:
		bin, args = safetyVigilBinary(t), []string{"server", conf}
	case testutil.ImplRedis:
		bin, args = testutil.RequireRedis(t, "redis-server"), []string{conf}
	default:
		t.Fatalf("unknown implementation %q", h.impl)
	}
	h.server = testutil.Start(t, h.name+"-server", "ip", append([]string{"netns", "exec", h.ns.NS, bin}, args...)...)
	testutil.WaitForPort(t, h.addr, 10*time.Second, h.server)
}

// safetyVigilBinary is $VIGIL_SAFETY_VIGIL_BIN (another build to measure, e.g. one from
// before a fix) or the binary built from this tree.
func safetyVigilBinary(t *testing.T) string {
	if p := os.Getenv("VIGIL_SAFETY_VIGIL_BIN"); p != "" {
		return p
	}
	return testutil.VigilBinary(t)
}

// startSentinel writes the sentinel's config file (no known sentinels: they find each
// other through the master) and starts it in the namespace.
func (h *safetyHost) startSentinel(master string, downMs int) {
	t := h.t
	t.Helper()
	text := fmt.Sprintf("port %d\nbind %s\ndir %s\nsentinel monitor %s %s %d 2\n"+
		"sentinel down-after-milliseconds %s %d\nsentinel failover-timeout %s %d\n",
		safetySentPort, h.ns.Addr, h.dir, safetyMaster, master, safetyDataPort,
		safetyMaster, downMs, safetyMaster, safetyFailMs)
	conf := filepath.Join(h.dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var bin string
	var args []string
	switch h.impl {
	case testutil.ImplVigil:
		bin, args = safetyVigilBinary(t), []string{"sentinel", conf}
	default:
		bin, args = testutil.RequireRedis(t, "redis-server"), []string{conf, "--sentinel"}
	}
	h.sentinel = testutil.Start(t, h.name+"-sentinel", "ip", append([]string{"netns", "exec", h.ns.NS, bin}, args...)...)
	testutil.WaitForPort(t, h.sentAddr, 10*time.Second, h.sentinel)
}

// info returns an INFO section of the data server as a map.
func (h *safetyHost) info(section string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := h.c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	return parseInfo(s), nil
}

// sentinelDo runs a command on the host's sentinel.
func (h *safetyHost) sentinelDo(args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return h.sc.Do(ctx, args...).Result()
}

// masterAddr is the sentinel's SENTINEL GET-MASTER-ADDR-BY-NAME as "ip:port".
func (h *safetyHost) masterAddr() (string, error) {
	return masterAddrReply(h.sentinelDo("SENTINEL", "GET-MASTER-ADDR-BY-NAME", safetyMaster))
}

// signal sends sig to the data server (SIGSTOP, SIGCONT).
func (h *safetyHost) signal(sig syscall.Signal) {
	h.t.Helper()
	if err := h.server.Signal(sig); err != nil {
		h.t.Fatalf("%s: %v: %v", h.name, sig, err)
	}
}

// poll is testutil.Poll with the harness's bounds.
func (c *safetyCluster) poll(what string, fn func() (bool, string)) {
	c.t.Helper()
	testutil.Poll(c.t, safetyWait, safetyEvery, what, fn)
}

// waitSynced waits until the master lists both replicas online (their first sync done).
// No write yet: in fenced mode the master takes none before the sentinels renew its lease.
func (c *safetyCluster) waitSynced() {
	c.t.Helper()
	m := c.hosts[0]
	c.poll("the replicas to finish their first sync with "+m.name, func() (bool, string) {
		ri, err := m.info("replication")
		if err != nil {
			return false, err.Error()
		}
		online := 0
		for i := 0; i < safetyHosts-1; i++ {
			if strings.Contains(ri["slave"+strconv.Itoa(i)], "state=online") {
				online++
			}
		}
		return online == safetyHosts-1, fmt.Sprintf("%d replicas online: %v", online, ri)
	})
}

// waitWritable waits until the master has taken a write and both replicas acknowledged
// it (WAIT): the steady state the faults start from.
func (c *safetyCluster) waitWritable() {
	c.t.Helper()
	m := c.hosts[0]
	c.poll("the replicas to acknowledge a write on "+m.name, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := m.c.Set(ctx, "safety:steady", "1", 0).Err(); err != nil {
			return false, err.Error()
		}
		n, err := m.c.Do(ctx, "WAIT", safetyHosts-1, 1000).Int64()
		return err == nil && n == safetyHosts-1, fmt.Sprintf("WAIT replied %d (%v)", n, err)
	})
}

// waitHealthy waits until every sentinel sees h1 as a healthy master with both replicas
// linked and the two other sentinels: the preconditions of a failover.
func (c *safetyCluster) waitHealthy() {
	c.t.Helper()
	master := c.hosts[0].addr
	c.poll("the sentinels to see the whole group", func() (bool, string) {
		for _, s := range c.hosts {
			if a, err := s.masterAddr(); err != nil || a != master {
				return false, fmt.Sprintf("%s: master %q (%v)", s.name, a, err)
			}
			v, err := s.sentinelDo("SENTINEL", "MASTER", safetyMaster)
			if err != nil {
				return false, s.name + ": " + err.Error()
			}
			m := flatMap(v)
			if m["flags"] != "master" || m["num-slaves"] != "2" || m["num-other-sentinels"] != "2" {
				return false, fmt.Sprintf("%s: flags=%s num-slaves=%s num-other-sentinels=%s", s.name, m["flags"], m["num-slaves"], m["num-other-sentinels"])
			}
			v, err = s.sentinelDo("SENTINEL", "REPLICAS", safetyMaster)
			if err != nil {
				return false, s.name + ": " + err.Error()
			}
			reps, _ := v.([]any)
			for _, r := range reps {
				rm := flatMap(r)
				if rm["flags"] != "slave" || rm["master-link-status"] != "ok" {
					return false, fmt.Sprintf("%s: replica %s flags=%s link=%s", s.name, rm["name"], rm["flags"], rm["master-link-status"])
				}
			}
		}
		return true, ""
	})
}

// host returns the host whose data server is addr, or nil.
func (c *safetyCluster) host(addr string) *safetyHost {
	for _, h := range c.hosts {
		if h.addr == addr {
			return h
		}
	}
	return nil
}

// agreed returns the master the given sentinels all report, if it is one of the data
// servers and not old (old may be nil); else nil and what they report.
func (c *safetyCluster) agreed(old *safetyHost, sentinels ...*safetyHost) (*safetyHost, string) {
	var addrs []string
	for _, s := range sentinels {
		a, err := s.masterAddr()
		if err != nil {
			return nil, s.name + " sentinel: " + err.Error()
		}
		addrs = append(addrs, a)
	}
	for _, a := range addrs {
		if a != addrs[0] || (old != nil && a == old.addr) || c.host(a) == nil {
			return nil, "masters reported: " + strings.Join(addrs, " ")
		}
	}
	return c.host(addrs[0]), ""
}

// waitSwitched waits until the given sentinels agree on a master other than old.
func (c *safetyCluster) waitSwitched(old *safetyHost, sentinels ...*safetyHost) *safetyHost {
	c.t.Helper()
	var got *safetyHost
	c.poll("the sentinels to agree on a new master after "+old.name, func() (bool, string) {
		var why string
		got, why = c.agreed(old, sentinels...)
		return got != nil, why
	})
	return got
}

// waitSettled waits until all three sentinels agree on a master other than old (any
// master when old is nil) and every other running data server replicates it with its
// link up; it returns that master.
func (c *safetyCluster) waitSettled(old *safetyHost) *safetyHost {
	c.t.Helper()
	var got *safetyHost
	c.poll("the group to settle", func() (bool, string) {
		var why string
		if got, why = c.agreed(old, c.hosts...); got == nil {
			return false, why
		}
		for _, h := range c.hosts {
			if h == got || h.server.Exited() {
				continue
			}
			ri, err := h.info("replication")
			if err != nil {
				return false, h.name + ": " + err.Error()
			}
			if ri["role"] != "slave" || ri["master_host"] != got.ns.Addr || ri["master_link_status"] != "up" {
				return false, fmt.Sprintf("%s: role=%s master_host=%s link=%s; master %s", h.name, ri["role"], ri["master_host"], ri["master_link_status"], got.name)
			}
		}
		return true, ""
	})
	return got
}

// isolate cuts h off from the other hosts (not from the client on the bridge).
func (c *safetyCluster) isolate(h *safetyHost) {
	c.t.Helper()
	var others []*netns.Host
	for _, o := range c.hosts {
		if o != h {
			others = append(others, o.ns)
		}
	}
	if err := h.ns.Isolate(others...); err != nil {
		c.t.Fatal(err)
	}
}

// heal removes h's partition.
func (c *safetyCluster) heal(h *safetyHost) {
	c.t.Helper()
	if err := h.ns.Heal(); err != nil {
		c.t.Fatal(err)
	}
}

// cutFor isolates h for d, then heals (also when the test fails meanwhile).
func (c *safetyCluster) cutFor(h *safetyHost, d time.Duration) {
	c.t.Helper()
	c.isolate(h)
	defer c.heal(h)
	time.Sleep(d)
}

// sentinelAddrs lists the sentinels for the client.
func (c *safetyCluster) sentinelAddrs() []string {
	var out []string
	for _, h := range c.hosts {
		out = append(out, h.sentAddr)
	}
	return out
}

// keepLogs writes every process's output so far to the test's log directory
// (VIGIL_SAFETY_LOGS=1: to read a passing run's timeline).
func (c *safetyCluster) keepLogs() {
	dir := testutil.FailureLogDir(c.t)
	for _, h := range c.hosts {
		for _, p := range []struct {
			name string
			proc *testutil.Proc
		}{{"server", h.server}, {"sentinel", h.sentinel}} {
			path := filepath.Join(dir, fmt.Sprintf("%s-%s.log", strings.NewReplacer("(", "-", ")", "").Replace(h.name), p.name))
			if err := os.WriteFile(path, []byte(p.proc.Output()), 0o644); err != nil {
				c.t.Logf("keeping logs: %v", err)
			}
		}
	}
	c.t.Logf("process logs in %s", dir)
}
