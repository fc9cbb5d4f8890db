package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// sentinelWait bounds every wait of the failover tests (the failover itself
// takes a few seconds with down-after-milliseconds 1000).
const sentinelWait = 60 * time.Second

// vsentinel is a Vigil sentinel process with a client and the events it published.
type vsentinel struct {
	addr string
	proc *testutil.Proc
	c    *redis.Client

	mu     sync.Mutex
	start  time.Time
	events []string // "channel message"
	at     []time.Duration
}

// dumpSentinels, when the test failed (or SENTINEL_TEST_LOG is set), writes
// each sentinel's events, with their times, to a file beside its log and logs
// the last few of them, so that the failure itself stays within what CI shows
// of the output. extra(i) adds a line per sentinel (may be nil).
func dumpSentinels(t *testing.T, ss []*vsentinel, extra func(i int) string) {
	t.Helper()
	if !t.Failed() && os.Getenv("SENTINEL_TEST_LOG") == "" {
		return
	}
	const keep = 6
	for i, s := range ss {
		var lines []string
		s.mu.Lock()
		for j, e := range s.events {
			lines = append(lines, fmt.Sprintf("%6.1fs %s", s.at[j].Seconds(), e))
		}
		s.mu.Unlock()
		if extra != nil {
			lines = append(lines, extra(i))
		}
		path := filepath.Join(testutil.FailureLogDir(t), fmt.Sprintf("sentinel%d.events", i))
		_ = os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		if len(lines) > keep {
			lines = lines[len(lines)-keep:]
		}
		t.Logf("sentinel %d (%s), all events in %s; last:\n%s", i, s.addr, path, strings.Join(lines, "\n"))
	}
}

// startVigilSentinel starts `vigil sentinel` monitoring mymaster at masterPort.
func startVigilSentinel(t *testing.T, masterPort int, quorum int, extra string) *vsentinel {
	t.Helper()
	dir := t.TempDir()
	port := testutil.FreePort(t)
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor mymaster 127.0.0.1 %d %d\n"+
		"sentinel down-after-milliseconds mymaster 1000\n"+
		"sentinel failover-timeout mymaster 10000\n", port, dir, masterPort, quorum) + extra
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.Start(t, "sentinel:"+strconv.Itoa(port), testutil.VigilBinary(t), "sentinel", path)
	s := &vsentinel{addr: "127.0.0.1:" + strconv.Itoa(port), proc: p, start: time.Now()}
	testutil.WaitForPort(t, s.addr, 10*time.Second, p)
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1, PoolSize: 2})
	t.Cleanup(func() { s.c.Close() })
	sub := s.c.PSubscribe(context.Background(), "*")
	if _, err := sub.Receive(context.Background()); err != nil {
		t.Fatalf("psubscribe on %s: %v", s.addr, err)
	}
	t.Cleanup(func() { sub.Close() })
	go func() {
		for m := range sub.Channel() {
			s.mu.Lock()
			s.events = append(s.events, m.Channel+" "+m.Payload)
			s.at = append(s.at, time.Since(s.start))
			s.mu.Unlock()
		}
	}()
	return s
}

// saw reports whether the sentinel published an event starting with prefix.
func (s *vsentinel) saw(prefix string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// masterAddr is SENTINEL GET-MASTER-ADDR-BY-NAME mymaster as "ip:port".
func (s *vsentinel) masterAddr() string {
	v, err := s.c.Do(context.Background(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
	if err != nil || len(v) != 2 {
		return ""
	}
	return v[0] + ":" + v[1]
}

// count returns len of SENTINEL <sub> mymaster (REPLICAS or SENTINELS).
func (s *vsentinel) count(sub string) int {
	v, err := s.c.Do(context.Background(), "SENTINEL", sub, "mymaster").Slice()
	if err != nil {
		return -1
	}
	return len(v)
}

// TestSentinelFailover: three sentinels watch a master and two replicas; the
// master is killed with SIGKILL; every sentinel must report the same new
// master, +switch-master is published, the other replica follows the new
// master and the old master, restarted, is turned into its replica.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, impl := range []string{testutil.ImplVigil, testutil.ImplRedis} {
		t.Run(impl, func(t *testing.T) { runSentinelFailover(t, impl, false) })
	}
	// the same with the sentinels in a gossip mesh (opinions count toward ODOWN,
	// configs are gossiped)
	t.Run("vigil-mesh", func(t *testing.T) { runSentinelFailover(t, testutil.ImplVigil, true) })
}

// startGroup starts the group the sentinel tests watch: a master of implementation
// impl and two replicas in sync with it, holding k=v.
func startGroup(t *testing.T, impl string) (master, r1, r2 *rnode) {
	t.Helper()
	master = startRepl(t, "master", impl)
	r1 = startRepl(t, "replica1", impl)
	r2 = startRepl(t, "replica2", impl)
	r1.replicaOf(master)
	r2.replicaOf(master)
	master.must("SET", "k", "v")
	waitSynced(t, master, r1, r2)
	return master, r1, r2
}

func runSentinelFailover(t *testing.T, impl string, withMesh bool) {
	master, r1, r2 := startGroup(t, impl)

	var ss []*vsentinel
	seed := 0
	for i := range 3 {
		extra := ""
		if withMesh {
			gp := testutil.FreePort(t)
			extra = fmt.Sprintf("gossip-bind 127.0.0.1\ngossip-port %d\n", gp)
			if i == 0 {
				seed = gp
			} else {
				extra += fmt.Sprintf("gossip-join 127.0.0.1:%d\n", seed)
			}
		}
		ss = append(ss, startVigilSentinel(t, master.Port, 2, extra))
	}
	defer dumpSentinels(t, ss, nil)
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "sentinels discover each other and the replicas", func() bool {
		for _, s := range ss {
			if s.count("SENTINELS") != 2 || s.count("REPLICAS") != 2 {
				return false
			}
		}
		return true
	})

	master.Kill9()
	old := master.Addr
	promoted, other := waitPromoted(t, ss, old, r1, r2)
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "+switch-master published by every sentinel", func() bool {
		for _, s := range ss {
			if !s.saw("+switch-master mymaster 127.0.0.1 " + strconv.Itoa(master.Port) + " 127.0.0.1 " + strconv.Itoa(promoted.Port)) {
				return false
			}
		}
		return true
	})
	waitRole(t, promoted, "master")
	waitSynced(t, promoted, other)

	master.Start(t)
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "+convert-to-slave published", func() bool {
		for _, s := range ss {
			if s.saw("+convert-to-slave slave 127.0.0.1:" + strconv.Itoa(master.Port)) {
				return true
			}
		}
		return false
	})
	waitSynced(t, promoted, master, other)
	if v := promoted.mustRead("GET", "k"); v != "v" {
		t.Fatalf("GET k on the new master: got %v, want v", v)
	}
}

// waitPromoted waits until every sentinel reports the same master, r1 or r2 (not old),
// and returns it and the other replica.
func waitPromoted(t *testing.T, ss []*vsentinel, old string, r1, r2 *rnode) (promoted, other *rnode) {
	t.Helper()
	var newAddr string
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "all sentinels report the same new master", func() bool {
		a := ss[0].masterAddr()
		if a == old || (a != r1.Addr && a != r2.Addr) {
			return false
		}
		for _, s := range ss[1:] {
			if s.masterAddr() != a {
				return false
			}
		}
		newAddr = a
		return true
	})
	if newAddr == r2.Addr {
		return r2, r1
	}
	return r1, r2
}
