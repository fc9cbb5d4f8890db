package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// ackOrderRounds is how many kill -9 rounds TestReplAckBeforeStream runs per pair.
const ackOrderRounds = 4

// TestReplAckBeforeStream checks the ordering rule of issue 10 §1: a reply to a write is
// never handed to the kernel before the write's stream bytes were handed to the socket of
// every online replica, so a kill -9 of the master never loses, on any replica, a write it
// acknowledged. 16 clients write distinct keys; the master is killed while they write;
// once the replicas' links are down (each applied all it received), the most complete
// replica (the one a failover promotes) must hold every key whose SET was answered OK.
// Not every replica: a master killed with a replica's REPLCONF ACK unread in its socket
// closes that socket with a RST, and Linux then drops what the replica had received but
// not yet read (Redis 7.0 itself loses the last writes on one replica that way now and
// then). Runs redis→redis (which validates the test) and vigil→vigil.
func TestReplAckBeforeStream(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	testutil.RequireRedis(t, "redis-server")
	for _, p := range []implPair{{testutil.ImplRedis, testutil.ImplRedis}, {testutil.ImplVigil, testutil.ImplVigil}} {
		t.Run(p.name(), func(t *testing.T) {
			testutil.RequireReplImpls(t, p.master, p.replica)
			for round := 1; round <= ackOrderRounds; round++ {
				ackOrderRound(t, p, round)
			}
		})
	}
}

func ackOrderRound(t *testing.T, p implPair, round int) {
	t.Helper()
	master := startRepl(t, fmt.Sprintf("m%d", round), p.master)
	replicas := []*rnode{startRepl(t, fmt.Sprintf("r%d-1", round), p.replica), startRepl(t, fmt.Sprintf("r%d-2", round), p.replica)}
	for _, r := range replicas {
		r.replicaOf(master)
	}
	waitSynced(t, master, replicas...)
	// after a diskless sync the stream flows only from the replica's first ACK: a write
	// that reached both replicas shows it does
	master.must("SET", "warmup", "1")
	waitSynced(t, master, replicas...)

	acked := writeUntilKilled(t, master, 16)
	best := -1
	for _, r := range replicas {
		poll(t, r.name+" link down after the master's kill", func() (bool, string) {
			ri, err := r.tryInfo("replication")
			if err != nil {
				return false, err.Error()
			}
			return ri["master_link_status"] == "down", "master_link_status=" + ri["master_link_status"]
		})
		missing := missingKeys(t, r, acked)
		t.Logf("round %d: %d writes acknowledged, %s misses %d", round, len(acked), r.name, len(missing))
		if best < 0 || len(missing) < best {
			best = len(missing)
		}
	}
	switch {
	case best > 0 && p.master == testutil.ImplVigil:
		t.Errorf("round %d: the most complete replica lacks %d of %d acknowledged writes", round, best, len(acked))
	case best > 0:
		// real Redis writes a replica's buffer before the replies of the same event-loop
		// pass, but not always before a later pass's reply: it loses a few now and then
		// (seen: 1 of ~40 rounds; the safety harness sees it too). It is the reference
		// run here, not a claim.
		t.Logf("round %d: reference %s: the most complete replica lacks %d of %d acknowledged writes", round, p.name(), best, len(acked))
	}
}

// writeUntilKilled runs clients writers of distinct keys against master, kills it with
// SIGKILL once they have been writing for a while, and returns the keys answered OK.
func writeUntilKilled(t *testing.T, master *rnode, clients int) []string {
	t.Helper()
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	started := make(chan struct{}, clients)
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: master.Addr, MaxRetries: -1, PoolSize: 1,
				ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
			defer c.Close()
			for i := 0; i < 1_000_000; i++ {
				key := fmt.Sprintf("k%d:%d", g, i)
				if err := c.Set(context.Background(), key, "v", 0).Err(); err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, key)
				mu.Unlock()
				if i == 100 {
					started <- struct{}{}
				}
			}
		}()
	}
	for g := 0; g < clients; g++ {
		select {
		case <-started:
		case <-time.After(replWait):
			t.Fatalf("writers did not start")
		}
	}
	master.Kill9()
	wg.Wait()
	return acked
}

// missingKeys returns the keys of want that n does not hold.
func missingKeys(t *testing.T, n *rnode, want []string) []string {
	t.Helper()
	var missing []string
	for start := 0; start < len(want); start += 1000 {
		batch := want[start:min(start+1000, len(want))]
		pipe := n.c.Pipeline()
		cmds := make([]*redis.IntCmd, len(batch))
		for i, k := range batch {
			cmds[i] = pipe.Exists(context.Background(), k)
		}
		if _, err := pipe.Exec(context.Background()); err != nil {
			t.Fatalf("%s: EXISTS: %v", n.name, err)
		}
		for i, c := range cmds {
			if c.Val() != 1 {
				missing = append(missing, batch[i])
			}
		}
	}
	return missing
}
