package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// The fenced-mode lease with the timers of issue 10's targets (down-after-milliseconds
// 1000): three Vigil servers, three Vigil sentinels, a go-redis FailoverClient.

// leaseWriter writes SET k:<i> v:<i> through a FailoverClient, one at a time, and
// records what was acknowledged and when.
type leaseWriter struct {
	c    *redis.Client
	stop atomic.Bool

	mu     sync.Mutex
	acked  []int
	okAt   []time.Time // okAt[j]: when acked[j] was answered
	errs   map[string]int
	fenced int // FENCED errors (the lease not held)
	total  int
}

func (w *leaseWriter) run(done chan<- struct{}) {
	defer close(done)
	for i := 1; i <= 10_000_000 && !w.stop.Load(); i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := w.c.Set(ctx, "k:"+strconv.Itoa(i), "v:"+strconv.Itoa(i), 0).Err()
		cancel()
		now := time.Now()
		w.mu.Lock()
		w.total++
		if err == nil {
			w.acked = append(w.acked, i)
			w.okAt = append(w.okAt, now)
		} else {
			msg := err.Error()
			if strings.HasPrefix(msg, "FENCED ") {
				w.fenced++
			}
			if j := strings.IndexByte(msg, ' '); j > 0 && strings.ToUpper(msg[:j]) == msg[:j] {
				msg = msg[:j] // the error code
			}
			w.errs[msg]++
		}
		w.mu.Unlock()
		if err != nil {
			time.Sleep(5 * time.Millisecond) // do not spin while the master is down
		}
	}
}

// counts returns the acknowledged writes, FENCED errors and all errors so far.
func (w *leaseWriter) counts() (acked, fenced, errs int, desc string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.errs {
		errs += n
	}
	return len(w.acked), w.fenced, errs, fmt.Sprintf("writes=%d acked=%d errors=%v", w.total, len(w.acked), w.errs)
}

// gapAround returns the client-visible unavailability around t: from the last write
// acknowledged before t to the first acknowledged after it.
func (w *leaseWriter) gapAround(t time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var before, after time.Time
	for _, at := range w.okAt {
		if at.Before(t) {
			before = at
		} else if after.IsZero() {
			after = at
		}
	}
	if before.IsZero() || after.IsZero() {
		return -1
	}
	return after.Sub(before)
}

// TestFencedLeaseFailover (VIGIL_LEASE_ROUNDS rounds per mode, default 1), with fenced mode (and, for comparison, the default mode):
// with down-after-milliseconds 1000 the lease holds (0.9 s, renewed every 225 ms), so a
// client writing for 3 s while nothing fails gets no error at all, FENCED or other;
// after kill -9 of the master the sentinels promote a replica, the new master accepts
// writes, and every acknowledged write is on it. The client-visible unavailability (last
// acknowledged write before the kill to the first after it) is logged, not asserted;
// VIGIL_LEASE_LOG=1 logs the sentinels' output with the kill's time.
func TestFencedLeaseFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	testutil.RequireReplImpls(t, testutil.ImplVigil)
	rounds := 1
	if n, err := strconv.Atoi(os.Getenv("VIGIL_LEASE_ROUNDS")); err == nil && n > 0 && n <= 50 {
		rounds = n
	}
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"fenced", []string{"--fenced-mode", "yes"}},
		{"default", nil},
	} {
		t.Run(mode.name, func(t *testing.T) {
			var gaps []string
			for round := 1; round <= rounds; round++ {
				gap := leaseFailoverRound(t, mode.args)
				gaps = append(gaps, gap.Round(time.Millisecond).String())
			}
			t.Logf("%s mode, down-after-milliseconds %d: client-visible unavailability after kill -9 of the master, %d rounds: %s",
				mode.name, haDownMs, rounds, strings.Join(gaps, " "))
		})
	}
}

// leaseFailoverRound runs one round of TestFencedLeaseFailover and returns the
// unavailability it measured.
func leaseFailoverRound(t *testing.T, modeArgs []string) time.Duration {
	t.Helper()
	args := append(append([]string{}, haServerArgs...), modeArgs...)
	h := &haCluster{t: t, cell: haCell{testutil.ImplVigil, testutil.ImplVigil}}
	for i := range 3 {
		n := testutil.NewNode(t, testutil.ImplVigil, args...)
		n.Start(t)
		h.data = append(h.data, wrapNode(t, "node"+strconv.Itoa(i), n))
	}
	old := h.data[0]
	for _, r := range h.data[1:] {
		r.replicaOf(old)
	}
	waitSynced(t, old, h.data[1:]...)
	for i := range 3 {
		h.sents = append(h.sents, newSentinel(t, testutil.ImplVigil, i, old))
	}
	h.waitHealthy(old)
	if len(modeArgs) > 0 {
		poll(t, "the lease held", func() (bool, string) {
			mi := old.info("replication")
			return mi["fenced_lease"] == "valid" && mi["fenced_lease_ms"] == "900",
				fmt.Sprintf("fenced_lease=%s fenced_lease_ms=%s sentinels=%s", mi["fenced_lease"], mi["fenced_lease_ms"], mi["fenced_lease_sentinels"])
		})
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: haMaster, SentinelAddrs: h.sentinelAddrs(),
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, PoolSize: 1})
	defer fc.Close()
	w := &leaseWriter{c: fc, errs: map[string]int{}}
	done := make(chan struct{})
	go w.run(done)
	defer func() { w.stop.Store(true); <-done }()

	// steady: 3 s of writes while nothing fails, not one refused
	steadyEnd := time.Now().Add(3 * time.Second)
	poll(t, "3 s of writes", func() (bool, string) {
		n, _, _, desc := w.counts()
		return time.Now().After(steadyEnd) && n > 0, desc
	})
	acked, fenced, errs, desc := w.counts()
	if fenced > 0 || errs > 0 {
		t.Fatalf("while nothing failed: %d FENCED errors, %d errors in all (%s)", fenced, errs, desc)
	}
	t.Logf("steady: %d writes acknowledged in 3 s, no error", acked)

	old.Kill9()
	killed := time.Now()
	h.waitSwitched(old)
	poll(t, "the client to write again after the failover", func() (bool, string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		n := 0
		for _, at := range w.okAt {
			if at.After(killed) {
				n++
			}
		}
		return n >= 20, fmt.Sprintf("%d writes acknowledged after the kill, errors %v", n, w.errs)
	})
	w.stop.Store(true)
	<-done
	newM := h.waitSettled(old)
	gap := w.gapAround(killed)
	if os.Getenv("VIGIL_LEASE_LOG") != "" {
		t.Logf("killed at %s", killed.Format("15:04:05.000"))
		for _, s := range h.sents {
			t.Logf("%s:\n%s", s.name, s.proc.Output())
		}
	}
	_, _, _, desc = w.counts()
	t.Logf("kill -9 of %s: new master %s; unavailable %v (last acknowledged write before the kill to the first after it); %s",
		old.name, newM.name, gap.Round(time.Millisecond), desc)
	keys := make([]string, len(w.acked))
	for j, i := range w.acked {
		keys[j] = "k:" + strconv.Itoa(i)
	}
	if missing := missingKeys(t, newM, keys); len(missing) > 0 {
		t.Errorf("the new master %s lacks %d of %d acknowledged writes (first %q)", newM.name, len(missing), len(keys), missing[0])
	}
	return gap
}
