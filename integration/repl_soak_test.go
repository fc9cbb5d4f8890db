package integration

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// soakCycles is the number of promotion cycles of TestReplPsync2Soak (VIGIL_SOAK_CYCLES
// overrides it); VIGIL_SOAK_SEED fixes the seed (it is logged either way).
const soakCycles = 8

// TestReplPsync2Soak is a randomized test in the spirit of Redis's
// tests/integration/psync2.tcl: five nodes, node 0 master of the four others (four full
// syncs). Each cycle, at rest, picks a random new master, promotes it, and re-points
// every other node, in random order, to a random node already placed in the new tree
// (so some replicate from replicas: chains); then a go-redis writer loads the new master
// while they resync. Then the writer stops, all offsets must converge and every DEBUG DIGEST be
// equal. Since each reconfiguration happens at rest, every resync can be partial: the
// sum of sync_full over all nodes must stay 4 (the initial syncs) to the end.
func TestReplPsync2Soak(t *testing.T) {
	if testing.Short() {
		t.Skip("psync2 soak skipped with -short")
	}
	forEachPair(t, func(t *testing.T, p implPair) {
		seed := time.Now().UnixNano()
		if s := os.Getenv("VIGIL_SOAK_SEED"); s != "" {
			seed, _ = strconv.ParseInt(s, 10, 64)
		}
		cycles := soakCycles
		if s := os.Getenv("VIGIL_SOAK_CYCLES"); s != "" {
			cycles, _ = strconv.Atoi(s)
		}
		t.Logf("seed %d (VIGIL_SOAK_SEED=%d reproduces), %d cycles", seed, seed, cycles)
		rng := rand.New(rand.NewSource(seed))
		nodes := make([]*rnode, 5)
		for i := range nodes {
			nodes[i] = startRepl(t, fmt.Sprintf("n%d", i), p.impl(i))
		}
		master := 0
		for _, n := range nodes[1:] {
			n.replicaOf(nodes[0])
		}
		soakLoad(t, nodes[0], rng, 500)
		waitConverged(t, nodes...)
		assertDigests(t, nodes...)
		for cycle := 1; cycle <= cycles; cycle++ {
			next := rng.Intn(len(nodes))
			tree := soakTopology(rng, len(nodes), next)
			t.Logf("cycle %d: master n%d -> n%d; parents %v", cycle, master, next, tree)
			master = next
			nodes[master].promote()
			// Level by level: a node is re-pointed only once its new parent is attached
			// and caught up. Re-pointing everything at once races in Redis 7.0 itself (a
			// node asking a parent whose own link is being re-established after a replid
			// change gets a legitimate full sync), which would hide what this test checks.
			for _, i := range tree.order {
				nodes[i].replicaOf(nodes[tree.parent[i]])
				waitSynced(t, nodes[tree.parent[i]], nodes[i])
			}
			// The load starts once every node has left its old master (REPLICAOF drops the
			// link before replying), so it runs while they PSYNC and no node can be ahead of
			// its new parent; writing earlier would make legitimate full syncs (a node fed
			// by the new master before being moved under a lagging one).
			done := make(chan error, 1)
			go func(seed int64) {
				done <- soakWrite(nodes[master], rand.New(rand.NewSource(seed)), 2000)
			}(rng.Int63())
			if err := <-done; err != nil {
				t.Fatalf("cycle %d: writer on n%d: %v", cycle, master, err)
			}
			ordered := append([]*rnode{nodes[master]}, others(nodes, master)...)
			waitConverged(t, ordered...)
			assertDigests(t, ordered...)
			var full []string
			sum := int64(0)
			for _, n := range nodes {
				st := n.syncStats()
				sum += st.full
				full = append(full, fmt.Sprintf("%s:%d", n.name, st.full))
			}
			if sum != 4 {
				t.Fatalf("cycle %d: total sync_full %d (%s), want 4: a full sync happened where a partial one was possible",
					cycle, sum, strings.Join(full, " "))
			}
			if t.Failed() {
				return
			}
		}
	})
}

// topology is the new replication tree of a cycle: parent[i] for each replica, and the
// order in which they are re-pointed (a node's parent is always placed before it).
type topology struct {
	parent map[int]int
	order  []int
}

func (tp topology) String() string {
	var s []string
	for _, i := range tp.order {
		s = append(s, fmt.Sprintf("n%d<-n%d", i, tp.parent[i]))
	}
	return strings.Join(s, " ")
}

func soakTopology(rng *rand.Rand, n, master int) topology {
	tp := topology{parent: map[int]int{}}
	placed := []int{master}
	for _, i := range rng.Perm(n) {
		if i == master {
			continue
		}
		tp.parent[i] = placed[rng.Intn(len(placed))]
		tp.order = append(tp.order, i)
		placed = append(placed, i)
	}
	return tp
}

func others(nodes []*rnode, skip int) []*rnode {
	var out []*rnode
	for i, n := range nodes {
		if i != skip {
			out = append(out, n)
		}
	}
	return out
}

// soakLoad is soakWrite failing the test on error.
func soakLoad(t *testing.T, n *rnode, rng *rand.Rand, ops int) {
	t.Helper()
	if err := soakWrite(n, rng, ops); err != nil {
		t.Fatal(err)
	}
}

// soakWrite sends ops random writes of several types to n in pipelined batches of 50.
func soakWrite(n *rnode, rng *rand.Rand, ops int) error {
	ctx := n.t.Context()
	for done := 0; done < ops; done += 50 {
		pipe := n.c.Pipeline()
		for i := 0; i < 50; i++ {
			k := strconv.Itoa(rng.Intn(200))
			switch rng.Intn(7) {
			case 0:
				pipe.Incr(ctx, "counter")
			case 1:
				pipe.Set(ctx, "s:"+k, rng.Int63(), 0)
			case 2:
				pipe.RPush(ctx, "l:"+k, rng.Intn(1000))
			case 3:
				pipe.HSet(ctx, "h:"+k, "f"+strconv.Itoa(rng.Intn(10)), rng.Intn(1000))
			case 4:
				pipe.SAdd(ctx, "set:"+k, rng.Intn(100))
			case 5:
				pipe.ZAdd(ctx, "z:"+k, redisZ(rng))
			case 6:
				pipe.Do(ctx, "SET", "ttl:"+k, "v", "EX", 100000+rng.Intn(1000))
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("%s: %w", n.name, err)
		}
	}
	return nil
}

func redisZ(rng *rand.Rand) redis.Z {
	return redis.Z{Score: float64(rng.Intn(1000)) / 8, Member: strconv.Itoa(rng.Intn(50))}
}
