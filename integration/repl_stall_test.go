package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestReplStoppedReplicaNoStall reproduces, without network namespaces, what the safety
// harness's replica-partition8 schedule found (issue 10 §1): a replica that stops reading
// must not stall the master's writes. One of two replicas is stopped with SIGSTOP and the
// master is written more than the kernel can buffer towards it (its socket's send buffer
// plus the replica's receive buffer, from tcp_wmem and tcp_rmem): every write is still
// acknowledged, the rest of the stream waits in the stopped replica's output buffer
// (omem), and the other replica keeps up. Then, per client-output-buffer-limit replica:
//   - no limit: after SIGCONT the stopped replica catches up (same offset, same digest);
//   - a 2mb hard limit: the master disconnects the stopped replica, and after SIGCONT it
//     resyncs.
//
// Runs real Redis (the reference) and vigil.
func TestReplStoppedReplicaNoStall(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	volume := kernelBuffering(t) + 8<<20
	for _, impl := range []string{testutil.ImplRedis, testutil.ImplVigil} {
		if impl == testutil.ImplRedis {
			testutil.RequireRedis(t, "redis-server")
		}
		t.Run(impl+"/catch-up", func(t *testing.T) {
			master, stopped, healthy := startStallTrio(t, impl, "replica 0 0 0")
			resume := stopReplica(t, stopped)
			writeVolume(t, master, "a", volume, nil)
			if omem := maxReplicaOmem(t, master); omem == 0 {
				t.Fatalf("no replica output left after %d bytes: the stopped replica's socket never filled", volume)
			}
			waitSynced(t, master, healthy)
			resume()
			waitSynced(t, master, stopped, healthy)
			if d, want := stopped.digest(), master.digest(); d != want {
				t.Fatalf("digest after catch-up: %s, master %s", d, want)
			}
		})
		t.Run(impl+"/output-limit", func(t *testing.T) {
			master, stopped, healthy := startStallTrio(t, impl, "replica 2mb 0 0", "--repl-backlog-size", "1mb")
			resume := stopReplica(t, stopped)
			dropped := false
			writeVolume(t, master, "b", volume+16<<20, func() bool {
				dropped = master.info("replication")["connected_slaves"] == "1"
				return dropped
			})
			if !dropped {
				t.Fatalf("the stopped replica is still connected after %d bytes past a 2mb output limit", volume+16<<20)
			}
			waitSynced(t, master, healthy)
			resume()
			waitSynced(t, master, stopped, healthy)
		})
	}
}

// kernelBuffering is the most a loopback TCP connection can hold unread: the sender's
// largest send buffer plus the receiver's largest receive buffer.
func kernelBuffering(t *testing.T) int {
	t.Helper()
	total := 0
	for _, f := range []string{"/proc/sys/net/ipv4/tcp_wmem", "/proc/sys/net/ipv4/tcp_rmem"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Skipf("cannot size the socket buffers: %v", err)
		}
		fields := strings.Fields(string(b))
		n, err := strconv.Atoi(fields[len(fields)-1])
		if len(fields) != 3 || err != nil {
			t.Fatalf("%s: %q", f, b)
		}
		total += n
	}
	return total
}

// startStallTrio starts a master with client-output-buffer-limit limit (and extra
// directives) and two synced replicas of the same implementation.
func startStallTrio(t *testing.T, impl, limit string, extra ...string) (master, stopped, healthy *rnode) {
	t.Helper()
	master = startRepl(t, "m", impl, append([]string{"--client-output-buffer-limit", limit}, extra...)...)
	stopped, healthy = startRepl(t, "stopped", impl), startRepl(t, "healthy", impl)
	stopped.replicaOf(master)
	healthy.replicaOf(master)
	waitSynced(t, master, stopped, healthy)
	// after a diskless sync the stream flows only from the replica's first ACK: a write
	// that reached both replicas shows it does
	master.must("SET", "warmup", "1")
	waitSynced(t, master, stopped, healthy)
	return master, stopped, healthy
}

// stopReplica sends SIGSTOP to r, waits until it is stopped, and returns the function
// that resumes it (also run at cleanup).
func stopReplica(t *testing.T, r *rnode) (resume func()) {
	t.Helper()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := true
	resume = func() {
		if stopped {
			stopped = false
			if err := r.Cont(); err != nil {
				t.Errorf("SIGCONT: %v", err)
			}
		}
	}
	t.Cleanup(resume)
	poll(t, r.name+" stopped", func() (bool, string) { // SIGSTOP is delivered asynchronously
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.Pid()))
		if err != nil {
			return false, err.Error()
		}
		_, rest, _ := strings.Cut(string(b), ") ")
		return strings.HasPrefix(rest, "T"), rest[:min(len(rest), 1)]
	})
	return resume
}

// writeVolume SETs 64 KiB values under keys prefix:i until volume bytes are written or
// done reports true (checked every 16 writes). Every SET must be acknowledged: a master
// that waits for a stopped replica never answers it (the read is bounded by replWait).
func writeVolume(t *testing.T, master *rnode, prefix string, volume int, done func() bool) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: master.Addr, MaxRetries: -1, PoolSize: 1, ReadTimeout: replWait})
	defer c.Close()
	val := strings.Repeat("v", 64<<10)
	for i := 0; i*len(val) < volume; i++ {
		if err := c.Set(context.Background(), prefix+":"+strconv.Itoa(i), val, 0).Err(); err != nil {
			t.Fatalf("SET %d (%d bytes written) while a replica is stopped: %v", i, i*len(val), err)
		}
		if done != nil && i%16 == 15 && done() {
			return
		}
	}
}

// maxReplicaOmem is the largest omem of the master's replica connections (CLIENT LIST
// TYPE replica).
func maxReplicaOmem(t *testing.T, master *rnode) int {
	t.Helper()
	list := fmt.Sprint(master.must("CLIENT", "LIST", "TYPE", "replica"))
	most := 0
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "omem="); ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("CLIENT LIST: %q", line)
				}
				most = max(most, n)
			}
		}
	}
	return most
}

// TestReplStoppedReplicaNoEviction: the stream waiting in a stopped replica's output buffer
// is not what maxmemory limits (Redis's mem_not_counted_for_evict): the master, a few MB
// under its limit, keeps every key while its writes (overwrites in place, which add
// nothing to the dataset) pile up tens of MB for the replica; INFO memory shows them in
// mem_clients_slaves and mem_not_counted_for_evict. Runs real Redis (the reference) and
// vigil.
func TestReplStoppedReplicaNoEviction(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	volume := kernelBuffering(t) + 16<<20
	for _, impl := range []string{testutil.ImplRedis, testutil.ImplVigil} {
		if impl == testutil.ImplRedis {
			testutil.RequireRedis(t, "redis-server")
		}
		t.Run(impl, func(t *testing.T) {
			master := startRepl(t, "m", impl, "--client-output-buffer-limit", "replica 0 0 0",
				"--maxmemory-policy", "allkeys-random")
			replica := startRepl(t, "r", impl)
			val := strings.Repeat("v", 100_000)
			for i := range 100 {
				master.must("SET", "key:"+strconv.Itoa(i), val)
			}
			replica.replicaOf(master)
			waitSynced(t, master, replica)
			master.must("SET", "warmup", "1") // the stream flows (after a diskless sync: from the first ACK)
			waitSynced(t, master, replica)
			// the margin covers the estimate's noise between GC cycles (a few MB of buffers
			// freed since the last cycle); the stream held for the replica is tens of MB
			margin := int64(8 << 20)
			limit := master.infoInt("memory", "used_memory") - master.infoInt("memory", "mem_not_counted_for_evict") + margin
			master.must("CONFIG", "SET", "maxmemory", strconv.FormatInt(limit, 10))
			resume := stopReplica(t, replica)
			c := redis.NewClient(&redis.Options{Addr: master.Addr, MaxRetries: -1, PoolSize: 1, ReadTimeout: replWait})
			defer c.Close()
			payload := strings.Repeat("A", 1000)
			for i := 0; i*len(payload) < volume; i++ {
				if err := c.SetRange(context.Background(), "key:0", 0, payload).Err(); err != nil {
					t.Fatalf("SETRANGE %d while the replica is stopped: %v", i, err)
				}
			}
			slaves := master.infoInt("memory", "mem_clients_slaves")
			notCounted := master.infoInt("memory", "mem_not_counted_for_evict")
			evicted := master.infoInt("stats", "evicted_keys")
			keys := master.must("DBSIZE")
			t.Logf("%s: maxmemory %d, used_memory %d, mem_clients_slaves %d, mem_not_counted_for_evict %d, evicted_keys %d",
				impl, limit, master.infoInt("memory", "used_memory"), slaves, notCounted, evicted)
			if evicted != 0 || keys != int64(101) {
				t.Fatalf("evicted_keys %d, dbsize %v: the replica's output buffer made the master evict", evicted, keys)
			}
			if slaves <= margin || notCounted <= margin {
				t.Fatalf("mem_clients_slaves %d (want > %d, the stream held for the stopped replica), mem_not_counted_for_evict %d (want > the margin too)",
					slaves, margin, notCounted)
			}
			resume()
			waitSynced(t, master, replica)
		})
	}
}
