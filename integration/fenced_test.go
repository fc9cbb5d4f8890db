package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// Fenced mode (issue 10 §2, docs/safety.md), process level: a master with one replica.

// fencedArgs start a master in fenced mode with one required replica and no lease (the
// lease has its own test, with sentinels).
var fencedArgs = []string{"--fenced-mode", "yes", "--fenced-replicas", "1", "--fenced-lease-ms", "0"}

// startFencedPair starts a fenced master and its replica; without a lease (the default
// args), it waits until a write is acknowledged.
func startFencedPair(t *testing.T, masterArgs ...string) (master, replica *rnode) {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	master = startRepl(t, "m", testutil.ImplVigil, append(append([]string{}, fencedArgs...), masterArgs...)...)
	replica = startRepl(t, "r", testutil.ImplVigil)
	replica.replicaOf(master)
	waitSynced(t, master, replica)
	if master.info("replication")["fenced_lease"] != "off" {
		return master, replica // the writes wait for the sentinels' lease
	}
	poll(t, "a write acknowledged by the replica", func() (bool, string) {
		err := master.c.Set(context.Background(), "warmup", "1", 0).Err()
		return err == nil, fmt.Sprint(err)
	})
	return master, replica
}

// fencedWriters runs n writers of distinct keys against addr until stop closes or the
// bound; it returns the keys answered OK and, per key, whether it was sent after the
// cut-off set by cut (atomic: 0 = not yet).
type fencedWriters struct {
	mu       sync.Mutex
	acked    []string
	afterCut []string // answered OK although sent after cut
	errs     map[string]int
	cut      atomic.Bool
	wrote    atomic.Int64
}

func runFencedWriters(t *testing.T, addr string, n int, stop <-chan struct{}) *fencedWriters {
	t.Helper()
	w := &fencedWriters{errs: map[string]int{}}
	var wg sync.WaitGroup
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1,
				ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
			defer c.Close()
			deadline := time.Now().Add(replWait)
			for i := 0; i < 1_000_000 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("k%d:%d", g, i)
				after := w.cut.Load()
				err := c.Set(context.Background(), key, "v", 0).Err()
				w.mu.Lock()
				switch {
				case err == nil:
					w.acked = append(w.acked, key)
					if after {
						w.afterCut = append(w.afterCut, key)
					}
				default:
					msg := err.Error()
					if i := strings.Index(msg, " "); i > 0 && strings.ToUpper(msg[:i]) == msg[:i] {
						msg = msg[:i]
					}
					w.errs[msg]++
				}
				w.mu.Unlock()
				w.wrote.Add(1)
				if err != nil && isConnErr(err) {
					return
				}
			}
		}()
	}
	t.Cleanup(wg.Wait)
	go func() { wg.Wait() }()
	return w
}

// waitWrites waits until the writers have sent at least n more commands.
func (w *fencedWriters) waitWrites(t *testing.T, n int64) {
	t.Helper()
	target := w.wrote.Load() + n
	poll(t, "writers progress", func() (bool, string) {
		return w.wrote.Load() >= target, fmt.Sprint(w.wrote.Load())
	})
}

// TestFencedKillMaster: in fenced mode a write is answered only once the replica has it,
// so after a kill -9 of the master the replica holds every acknowledged write, in every
// round (the default mode guarantees only that the bytes were in the replica's socket).
func TestFencedKillMaster(t *testing.T) {
	for round := 1; round <= 3; round++ {
		master, replica := startFencedPair(t)
		stop := make(chan struct{})
		w := runFencedWriters(t, master.Addr, 16, stop)
		w.waitWrites(t, 2000)
		master.Kill9()
		close(stop)
		poll(t, "replica's link down", func() (bool, string) {
			ri, err := replica.tryInfo("replication")
			if err != nil {
				return false, err.Error()
			}
			return ri["master_link_status"] == "down", ri["master_link_status"]
		})
		w.mu.Lock()
		acked := append([]string(nil), w.acked...)
		w.mu.Unlock()
		missing := missingKeys(t, replica, acked)
		t.Logf("round %d: %d writes acknowledged, the replica misses %d", round, len(acked), len(missing))
		if len(missing) > 0 {
			t.Fatalf("round %d: the replica lacks %d of %d acknowledged writes (first %q)", round, len(missing), len(acked), missing[0])
		}
	}
}

// TestFencedReplicaKilled: once the only replica is dead, no write is acknowledged: a
// write sent after the kill fails (NOREPLICAS: not acknowledged in time, then not enough
// replicas), never OK.
func TestFencedReplicaKilled(t *testing.T) {
	master, replica := startFencedPair(t)
	stop := make(chan struct{})
	defer close(stop)
	w := runFencedWriters(t, master.Addr, 8, stop)
	w.waitWrites(t, 2000)
	replica.Kill9()
	w.cut.Store(true)
	w.waitWrites(t, 50)
	poll(t, "NOREPLICAS at once once the replica is gone", func() (bool, string) {
		err := master.c.Set(context.Background(), "after", "1", 0).Err()
		return err != nil && err.Error() == "NOREPLICAS Not enough good replicas to write.", fmt.Sprint(err)
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Logf("acknowledged %d, errors %v", len(w.acked), w.errs)
	if len(w.afterCut) > 0 {
		t.Fatalf("%d writes sent after the replica's kill were acknowledged (first %q)", len(w.afterCut), w.afterCut[0])
	}
	if w.errs["NOREPLICAS"] == 0 {
		t.Fatalf("no NOREPLICAS error after the kill: %v", w.errs)
	}
}

// TestFencedReplicaStopped: a replica paused with SIGSTOP acknowledges nothing, so a write
// times out with the fenced error instead of being acknowledged; INFO counts it; after
// SIGCONT writes are acknowledged again. A read from another client of a key written
// after the stop does not return the unacknowledged value: it fails as the write does.
func TestFencedReplicaStopped(t *testing.T) {
	master, replica := startFencedPair(t, "--fenced-lease-ms", "0")
	if err := replica.Stop(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the replica stopped", func() (bool, string) { // SIGSTOP is delivered asynchronously
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", replica.Pid()))
		if err != nil {
			return false, err.Error()
		}
		_, rest, _ := strings.Cut(string(b), ") ")
		return strings.HasPrefix(rest, "T"), rest[:min(len(rest), 1)]
	})
	stopped := true
	defer func() {
		if stopped {
			replica.Cont()
		}
	}()
	err := master.c.Set(context.Background(), "paused", "1", 0).Err()
	want := "NOREPLICAS Not enough replicas acknowledged the write in time (fenced mode): it may or may not have been applied."
	if err == nil || err.Error() != want {
		t.Fatalf("SET while the replica is stopped: got %v, want %q", err, want)
	}
	mi := master.info("replication")
	if mi["fenced_mode"] != "1" || mi["fenced_ack_timeouts"] == "0" || mi["fenced_ack_timeouts"] == "" {
		t.Fatalf("INFO replication: fenced_mode=%q fenced_ack_timeouts=%q, want 1 and >0", mi["fenced_mode"], mi["fenced_ack_timeouts"])
	}
	// a pipeline gets one error per command, in order, reads included
	pipe := master.c.Pipeline()
	set := pipe.Set(context.Background(), "p1", "1", 0)
	get := pipe.Get(context.Background(), "warmup")
	pipe.Exec(context.Background())
	if set.Err() == nil || get.Err() == nil || set.Err().Error() != want || get.Err().Error() != want {
		t.Fatalf("pipelined SET, GET while stopped: got %v, %v; want the fenced error twice", set.Err(), get.Err())
	}
	// a read from another client of a value written after the stop shows it no more
	// than the write's own reply does: it fails as the write does
	base, _ := strconv.ParseInt(master.info("replication")["master_repl_offset"], 10, 64)
	written := make(chan error, 1)
	go func() { written <- master.c.Set(context.Background(), "unacked", "1", 0).Err() }()
	poll(t, "the SET applied on the master", func() (bool, string) {
		off := master.info("replication")["master_repl_offset"]
		n, _ := strconv.ParseInt(off, 10, 64)
		return n > base, off
	})
	reader := redis.NewClient(&redis.Options{Addr: master.Addr, MaxRetries: -1})
	defer reader.Close()
	if v, err := reader.Get(context.Background(), "unacked").Result(); err == nil || err.Error() != want {
		t.Fatalf("GET of an unacknowledged write from another client: got %q, %v; want %q", v, err, want)
	}
	if err := <-written; err == nil || err.Error() != want {
		t.Fatalf("the unacknowledged SET: got %v, want %q", err, want)
	}
	replica.Cont()
	stopped = false
	poll(t, "writes acknowledged after SIGCONT", func() (bool, string) {
		err := master.c.Set(context.Background(), "resumed", "1", 0).Err()
		return err == nil, fmt.Sprint(err)
	})
	if v := replica.mustRead("GET", "resumed"); v != "1" {
		t.Fatalf("replica GET resumed = %v, want 1", v)
	}
}

// TestFencedLease: a fenced master accepts writes only while a majority of the
// sentinels renews its lease. Three sentinels watch it; with two of them stopped
// (SIGSTOP) the lease runs out: writes and reads are refused with the FENCED error, INFO says
// fenced_lease:expired, the master logs it and the running sentinel publishes
// +fenced-lease-expired; once they run again, writes are accepted again.
func TestFencedLease(t *testing.T) {
	master, _ := startFencedPair(t, "--fenced-lease-ms", "2000")
	var ss []*vsentinel
	hp := testutil.FreePort(t) // the first sentinel's HTTP endpoint
	for i := range 3 {
		extra := "sentinel down-after-milliseconds mymaster 5000\n"
		if i == 0 {
			extra += fmt.Sprintf("http-port %d\n", hp)
		}
		ss = append(ss, startVigilSentinel(t, master.Port, 2, extra))
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", hp)
	checkCutOffHTTP(t, base, master.Addr, false)
	defer dumpSentinels(t, ss, nil)
	poll(t, "the lease held and a write accepted", func() (bool, string) {
		mi := master.info("replication")
		err := master.c.Set(context.Background(), "leased", "1", 0).Err()
		return err == nil && mi["fenced_lease"] == "valid" && mi["fenced_lease_majority"] == "2",
			fmt.Sprintf("SET: %v, fenced_lease=%s majority=%s sentinels=%s", err, mi["fenced_lease"],
				mi["fenced_lease_majority"], mi["fenced_lease_sentinels"])
	})
	for _, s := range ss[1:] {
		if err := s.proc.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	stopped := true
	defer func() {
		if stopped {
			for _, s := range ss[1:] {
				s.proc.Signal(syscall.SIGCONT)
			}
		}
	}()
	want := "FENCED Write lease expired: this master is not renewed by a majority of the sentinels (fenced mode)."
	poll(t, "writes refused once the lease expired", func() (bool, string) {
		err := master.c.Set(context.Background(), "unleased", "1", 0).Err()
		return err != nil && err.Error() == want, fmt.Sprint(err)
	})
	// reads too: a new master may exist now, with writes this one never saw
	if v, err := master.c.Get(context.Background(), "leased").Result(); err == nil || err.Error() != want {
		t.Fatalf("GET after the lease expired: got %q, %v; want %q", v, err, want)
	}
	checkFencedClose(t, master.Port, want)
	checkCutOffSentinel(t, ss[0])
	checkCutOffHTTP(t, base, master.Addr, true)
	if mi := master.info("replication"); mi["fenced_lease"] != "expired" || mi["fenced_lease_sentinels"] != "1" {
		t.Fatalf("INFO replication: fenced_lease=%q fenced_lease_sentinels=%q, want expired and 1", mi["fenced_lease"], mi["fenced_lease_sentinels"])
	}
	if logCount(master, "write lease expired") == 0 {
		t.Fatalf("the master did not log the lease's expiry")
	}
	poll(t, "+fenced-lease-expired from the running sentinel", func() (bool, string) {
		return ss[0].saw("+fenced-lease-expired master mymaster"), ""
	})
	for _, s := range ss[1:] {
		s.proc.Signal(syscall.SIGCONT)
	}
	stopped = false
	poll(t, "writes accepted again", func() (bool, string) {
		err := master.c.Set(context.Background(), "released", "1", 0).Err()
		return err == nil, fmt.Sprint(err)
	})
	poll(t, "-fenced-lease-expired", func() (bool, string) {
		return ss[0].saw("-fenced-lease-expired master mymaster"), ""
	})
	want = "127.0.0.1:" + strconv.Itoa(master.Port)
	poll(t, "the sentinel to name the master again once it reaches the others", func() (bool, string) {
		a, err := masterAddrReply(ss[0].c.Do(context.Background(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").Result())
		return err == nil && a == want, fmt.Sprintf("%q, %v", a, err)
	})
	checkCutOffHTTP(t, base, master.Addr, false)
}

// checkCutOffHTTP: the HTTP endpoint of a sentinel applies the cut-off rule as
// GET-MASTER-ADDR-BY-NAME does. Cut off: /v1/masters/mymaster and /health/master answer
// 503 (naming no master), /v1/masters shows cut_off, vigil_sentinel_master_cut_off is 1.
// Not cut off: 200 with the master's address, cut_off false, the gauge 0.
func checkCutOffHTTP(t *testing.T, base, masterAddr string, cut bool) {
	t.Helper()
	poll(t, fmt.Sprintf("the HTTP endpoint to answer as a sentinel cut off: %v", cut), func() (bool, string) {
		var one struct {
			Addr   string `json:"addr"`
			CutOff bool   `json:"cut_off"`
			Error  string `json:"error"`
		}
		st1 := getJSON(t, "GET", base+"/v1/masters/mymaster", "", &one)
		var all struct {
			Masters []struct {
				Addr   string `json:"addr"`
				CutOff bool   `json:"cut_off"`
			} `json:"masters"`
		}
		st2 := getJSON(t, "GET", base+"/v1/masters", "", &all)
		var h struct {
			Healthy bool   `json:"healthy"`
			Reason  string `json:"reason"`
		}
		st3 := getJSON(t, "GET", base+"/health/master/mymaster?addr="+masterAddr, "", &h)
		gauge := testutil.MetricValue(testutil.Scrape(t, base+"/metrics", ""), "vigil_sentinel_master_cut_off", map[string]string{"master": "mymaster"})
		state := fmt.Sprintf("/v1/masters/mymaster %d %+v; /v1/masters %d %+v; /health/master %d %+v; gauge %v", st1, one, st2, all, st3, h, gauge)
		listed := st2 == 200 && len(all.Masters) == 1 && all.Masters[0].CutOff == cut && all.Masters[0].Addr == masterAddr
		if cut {
			return st1 == 503 && strings.Contains(one.Error, "reaches no majority") && listed &&
				st3 == 503 && !h.Healthy && strings.Contains(h.Reason, "reaches no majority") && gauge == 1, state
		}
		return st1 == 200 && one.Addr == masterAddr && !one.CutOff && listed && st3 == 200 && h.Healthy && gauge == 0, state
	})
}

// checkFencedClose: a master without the lease answers a write with the FENCED error
// (want) and then closes the connection, so that a client re-resolves the master.
func checkFencedClose(t *testing.T, port int, want string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("SET unleased 1\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(conn) // up to EOF: the server closes after the reply
	if err != nil {
		t.Fatalf("reading until the master closes the connection: %v (read %q)", err, all)
	}
	if got := string(all); got != "-"+want+"\r\n" {
		t.Fatalf("SET then PING without the lease: got %q, want %q then the connection closed", got, "-"+want+"\r\n")
	}
}

// checkCutOffSentinel: a sentinel of a fenced master that reaches no majority of the
// master's sentinels (the two others stopped) answers GET-MASTER-ADDR-BY-NAME with a
// null, as for an unknown master, and a go-redis FailoverClient that asks it is not sent
// to the master (whose lease it cannot renew alone).
func checkCutOffSentinel(t *testing.T, s *vsentinel) {
	t.Helper()
	poll(t, "the sentinel cut off from the majority to answer a null master address", func() (bool, string) {
		v, err := s.c.Do(context.Background(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").Result()
		return errors.Is(err, redis.Nil), fmt.Sprintf("%v, %v", v, err)
	})
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{s.addr},
		MaxRetries: -1, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	defer fc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := fc.Set(ctx, "via-sentinel", "1", 0).Err()
	if err == nil || !strings.Contains(err.Error(), "all sentinels specified in configuration are unreachable") {
		t.Fatalf("FailoverClient SET through the cut-off sentinel: got %v, want go-redis's no-sentinel error (not sent to the fenced master)", err)
	}
}

// TestFencedPausedMasterFailover: a fenced master with two replicas and three sentinels
// is paused with SIGSTOP longer than down-after-milliseconds while clients write to it.
// The sentinels promote a replica; the old master, resumed, refuses the writes that
// waited in its socket (its lease ran out), is turned into a replica and follows the new
// master's history (its data equals the new master's); the new master holds every
// acknowledged write and accepts writes under its own lease.
func TestFencedPausedMasterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	args := []string{"--fenced-mode", "yes", "--fenced-lease-ms", "2000"}
	master := startRepl(t, "master", testutil.ImplVigil, args...)
	r1 := startRepl(t, "replica1", testutil.ImplVigil, args...)
	r2 := startRepl(t, "replica2", testutil.ImplVigil, args...)
	r1.replicaOf(master)
	r2.replicaOf(master)
	waitSynced(t, master, r1, r2)
	var ss []*vsentinel
	for range 3 {
		ss = append(ss, startVigilSentinel(t, master.Port, 2, "sentinel down-after-milliseconds mymaster 3000\n"))
	}
	defer dumpSentinels(t, ss, nil)
	poll(t, "the lease held and a write accepted", func() (bool, string) {
		err := master.c.Set(context.Background(), "leased", "1", 0).Err()
		return err == nil, fmt.Sprint(err)
	})
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "sentinels discover each other and the replicas", func() bool {
		for _, s := range ss {
			if s.count("SENTINELS") != 2 || s.count("REPLICAS") != 2 {
				return false
			}
		}
		return true
	})

	stop := make(chan struct{})
	w := runFencedWriters(t, master.Addr, 8, stop)
	w.waitWrites(t, 500)
	if err := master.Stop(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			master.Cont()
		}
	}()
	promoted, other := waitPromoted(t, ss, master.Addr, r1, r2)
	if err := master.Cont(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	w.cut.Store(true) // from here on the old master must acknowledge nothing
	w.waitWrites(t, 50)
	close(stop)
	poll(t, "the old master follows the new one", func() (bool, string) {
		ri, err := master.tryInfo("replication")
		if err != nil {
			return false, err.Error()
		}
		return ri["role"] == "slave" && ri["master_port"] == strconv.Itoa(promoted.Port) && ri["master_link_status"] == "up",
			ri["role"] + " " + ri["master_port"] + " " + ri["master_link_status"]
	})
	poll(t, "the new master accepts writes under its lease", func() (bool, string) {
		err := promoted.c.Set(context.Background(), "after-failover", "1", 0).Err()
		return err == nil, fmt.Sprint(err)
	})
	waitSynced(t, promoted, master, other)

	w.mu.Lock()
	acked := append([]string(nil), w.acked...)
	afterCut := append([]string(nil), w.afterCut...)
	t.Logf("acknowledged %d, errors %v, partial resyncs on the new master %v", len(acked), w.errs, promoted.info("stats")["sync_partial_ok"])
	w.mu.Unlock()
	if len(afterCut) > 0 {
		t.Errorf("the resumed old master acknowledged %d writes (first %q)", len(afterCut), afterCut[0])
	}
	if missing := missingKeys(t, promoted, acked); len(missing) > 0 {
		t.Fatalf("the new master lacks %d of %d acknowledged writes (first %q)", len(missing), len(acked), missing[0])
	}
	if a, b := promoted.digest(), master.digest(); a != b {
		t.Fatalf("old master's DEBUG DIGEST %s differs from the new master's %s", b, a)
	}
}
