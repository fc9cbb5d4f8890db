package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// The safety harness's client side: writers that go through a go-redis FailoverClient
// (the master found through the sentinels, followed on +switch-master) and record what
// was acknowledged, and the checker.
//
// Two workloads run together:
//   - keys: safetyKeyWriters goroutines each SET k:<g>:<i> to i, i = 1, 2, ..., in
//     pipelines of safetyPipeline. An OK reply is an acknowledged write; at the end each
//     one must be on the final master.
//   - registers: safetyRegClients clients on safetyRegKeys keys, each a random mix of
//     SET reg:<k> <unique value> and GET reg:<k>, with the call and return time of every
//     operation; the history plus a final read of every register on the final master
//     is checked for linearizability with porcupine.

const (
	safetyKeyWriters = 4
	safetyPipeline   = 16 // SETs per pipeline of a key writer
	safetyRegKeys    = 3
	safetyRegClients = 6 // two per register
	safetyOpTimeout  = 2 * time.Second
	safetyMaxRun     = 5 * time.Minute // no writer runs longer than this
	safetyIndefinite = 3               // a register client stops writing after this many indefinite writes
)

// safetyWorkload runs the writers and accumulates what they saw.
type safetyWorkload struct {
	c     *redis.Client // the FailoverClient
	pause time.Duration // between two pipelines of a key writer (0: none)
	start time.Time
	stop  atomic.Bool
	wg    sync.WaitGroup

	faultAt atomic.Int64 // ns since start when the fault began, 0 = not yet

	mu       sync.Mutex
	acked    [safetyKeyWriters][]int // acknowledged i per key writer
	attempts int                     // key writes sent
	ackCount int                     // len of all acked (cheap reads)
	lastAck  int64                   // ns since start of the last acknowledged key write
	maxGap   int64                   // longest time without an acknowledged key write since the fault
	ops      []porcupine.Operation   // register history
	history  []porcupine.Operation   // ops plus the final reads (checkRegisters)
	errs     map[string]int          // distinct errors and their count (at most 20 distinct)
}

// newSafetyWorkload starts the writers against the sentinels; each key writer pauses
// for pause between pipelines.
func newSafetyWorkload(sentinels []string, pause time.Duration) *safetyWorkload {
	w := &safetyWorkload{start: time.Now(), pause: pause, errs: map[string]int{}}
	w.c = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: safetyMaster, SentinelAddrs: sentinels,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: safetyOpTimeout, WriteTimeout: safetyOpTimeout,
		PoolSize: safetyKeyWriters + safetyRegClients + 2})
	for g := 0; g < safetyKeyWriters; g++ {
		w.wg.Add(1)
		go w.keyWriter(g)
	}
	for cl := 0; cl < safetyRegClients; cl++ {
		w.wg.Add(1)
		go w.regClient(cl)
	}
	return w
}

// now is the time since the workload started, in ns.
func (w *safetyWorkload) now() int64 { return int64(time.Since(w.start)) }

// markFault records that the fault begins now: unavailability is measured from here.
func (w *safetyWorkload) markFault() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faultAt.Store(w.now())
}

// finish stops the writers and waits for them; the client is closed.
func (w *safetyWorkload) finish() {
	w.stop.Store(true)
	w.wg.Wait()
	w.c.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	// writes that never came back count until the end
	if f := w.faultAt.Load(); f > 0 {
		w.maxGap = max(w.maxGap, w.now()-max(w.lastAck, f))
	}
}

// running reports whether the writers should go on.
func (w *safetyWorkload) running() bool {
	return !w.stop.Load() && time.Since(w.start) < safetyMaxRun
}

// acks returns the number of acknowledged key writes so far.
func (w *safetyWorkload) acks() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ackCount
}

// noteErr counts an error by its text (numbers stripped so that variants group).
func (w *safetyWorkload) noteErr(err error) {
	s := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '#'
		}
		return r
	}, err.Error())
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.errs[s]; ok || len(w.errs) < 20 {
		w.errs[s]++
	}
}

// keyWriter sends pipelines of safetyPipeline SETs (so that many acknowledgements are in
// flight when a fault strikes) and records each OK.
func (w *safetyWorkload) keyWriter(g int) {
	defer w.wg.Done()
	prefix := "k:" + strconv.Itoa(g) + ":"
	cmds := make([]*redis.StatusCmd, safetyPipeline)
	for next := 1; w.running(); next += safetyPipeline {
		ctx, cancel := context.WithTimeout(context.Background(), safetyOpTimeout+time.Second)
		_, err := w.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := range cmds {
				i := next + j
				cmds[j] = p.Set(ctx, prefix+strconv.Itoa(i), strconv.Itoa(i), 0)
			}
			return nil
		})
		cancel()
		now := w.now()
		w.mu.Lock()
		w.attempts += safetyPipeline
		for j, c := range cmds {
			if c.Err() != nil {
				continue
			}
			w.acked[g] = append(w.acked[g], next+j)
			w.ackCount++
			if f := w.faultAt.Load(); f > 0 {
				w.maxGap = max(w.maxGap, now-max(w.lastAck, f))
			}
			w.lastAck = now
		}
		w.mu.Unlock()
		if err != nil {
			w.noteErr(err)
			time.Sleep(10 * time.Millisecond) // the master is away: do not spin
		}
		if w.pause > 0 {
			time.Sleep(w.pause)
		}
	}
}

// regInput is a register operation: a write of value, or a read.
type regInput struct {
	key   string
	write bool
	value int64
}

// regOutput is what a read returned (0 = no key); unknown marks a write whose outcome
// is not known (its reply never came).
type regOutput struct {
	value   int64
	unknown bool
}

func (w *safetyWorkload) regClient(cl int) {
	defer w.wg.Done()
	key := "reg:" + strconv.Itoa(cl%safetyRegKeys)
	indefinite := 0
	for seq := int64(1); w.running(); seq++ {
		write := seq%2 == 0 && indefinite < safetyIndefinite
		in := regInput{key: key, write: write}
		if write {
			in.value = int64(cl+1)<<32 | seq // unique across clients
		}
		ctx, cancel := context.WithTimeout(context.Background(), safetyOpTimeout+time.Second)
		call := w.now()
		var out regOutput
		var err error
		if write {
			err = w.c.Set(ctx, key, in.value, 0).Err()
		} else {
			var v int64
			v, err = w.c.Get(ctx, key).Int64()
			if errors.Is(err, redis.Nil) {
				v, err = 0, nil
			}
			out.value = v
		}
		ret := w.now()
		cancel()
		switch {
		case err == nil:
			w.record(porcupine.Operation{ClientId: cl, Input: in, Call: call, Output: out, Return: ret})
		case write && !definiteFailure(err):
			// it may have taken effect at any time from now on
			indefinite++
			w.record(porcupine.Operation{ClientId: cl, Input: in, Call: call, Output: regOutput{unknown: true}, Return: math.MaxInt64})
		}
		if err != nil {
			w.noteErr(err)
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Millisecond) // keep the history small enough to check
	}
}

func (w *safetyWorkload) record(op porcupine.Operation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops = append(w.ops, op)
}

// definiteFailure reports whether a write's error means it was not executed: refused
// before the command was sent (no connection), or refused by a gate that runs before the
// command (a replica, min-replicas-to-write, a server still loading, fenced mode's
// expired lease). Fenced mode's ack timeout ("NOREPLICAS Not enough replicas
// acknowledged the write in time ... may or may not have been applied") is not one.
func definiteFailure(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	for _, p := range []string{"READONLY ", "NOREPLICAS Not enough good replicas to write.", "MASTERDOWN ", "LOADING ", "FENCED "} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}

// regModel is a register per key: writes set it, reads return it, unknown writes may
// take effect at any point after their call.
var regModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(regInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		in, out := input.(regInput), output.(regOutput)
		if in.write {
			return true, in.value
		}
		return out.value == state.(int64), state
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		switch {
		case in.write && out.unknown:
			return fmt.Sprintf("set %s %d (unknown)", in.key, in.value)
		case in.write:
			return fmt.Sprintf("set %s %d", in.key, in.value)
		}
		return fmt.Sprintf("get %s -> %d", in.key, out.value)
	},
}

// checkKeys returns how many acknowledged key writes are missing (or hold another
// value) on the final master m, and a few examples.
func (w *safetyWorkload) checkKeys(m *redis.Client) (acked, lost int, examples []string, err error) {
	ctx := context.Background()
	for g := 0; g < safetyKeyWriters; g++ {
		idx := w.acked[g]
		acked += len(idx)
		for start := 0; start < len(idx); start += 1000 {
			batch := idx[start:min(start+1000, len(idx))]
			keys := make([]string, len(batch))
			for j, i := range batch {
				keys[j] = "k:" + strconv.Itoa(g) + ":" + strconv.Itoa(i)
			}
			var vals []any
			err = finalRead(func() error {
				var err error
				vals, err = m.MGet(ctx, keys...).Result()
				return err
			})
			if err != nil {
				return acked, lost, examples, fmt.Errorf("MGET on the final master: %w", err)
			}
			for j, v := range vals {
				if v != strconv.Itoa(batch[j]) {
					lost++
					if len(examples) < 5 {
						examples = append(examples, keys[j])
					}
				}
			}
		}
	}
	return acked, lost, examples, nil
}

// finalRead runs a read of the final check until it succeeds, at most 50 times 100 ms
// apart: a sentinel's CLIENT KILL may cut a connection, and in fenced mode reads are
// refused while the master's lease is not renewed (FENCED, between a promotion and its
// first renewals; the master then closes the connection) or while a write is not yet
// acknowledged by a replica still coming back (NOREPLICAS). Any other error ends it at
// once.
func finalRead(read func() error) error {
	var err error
	for try := 0; try < 50; try++ {
		if err = read(); err == nil || !finalReadRetry(err) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// finalReadRetry reports whether a final read's error is one the group recovers from.
func finalReadRetry(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	for _, p := range []string{"FENCED ", "NOREPLICAS ", "LOADING "} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}

// checkRegisters appends a final read of every register on the final master to the
// history and checks it; it returns porcupine's verdict and the history's size.
func (w *safetyWorkload) checkRegisters(m *redis.Client) (porcupine.CheckResult, int, error) {
	ctx := context.Background()
	ops := append([]porcupine.Operation(nil), w.ops...)
	for k := 0; k < safetyRegKeys; k++ {
		key := "reg:" + strconv.Itoa(k)
		var call int64
		var v int64
		err := finalRead(func() error {
			call = w.now()
			var err error
			v, err = m.Get(ctx, key).Int64()
			if errors.Is(err, redis.Nil) {
				v, err = 0, nil
			}
			return err
		})
		if err != nil {
			return porcupine.Unknown, len(ops), fmt.Errorf("final GET %s: %w", key, err)
		}
		ops = append(ops, porcupine.Operation{ClientId: safetyRegClients + k, Input: regInput{key: key},
			Call: call, Output: regOutput{value: v}, Return: w.now()})
	}
	w.history = ops
	return porcupine.CheckOperationsTimeout(regModel, ops, time.Minute), len(ops), nil
}

// errSummary lists the distinct errors the writers saw, most frequent first.
func (w *safetyWorkload) errSummary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	type e struct {
		s string
		n int
	}
	var all []e
	for s, n := range w.errs {
		all = append(all, e{s, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n })
	var parts []string
	for _, x := range all {
		parts = append(parts, fmt.Sprintf("%d× %s", x.n, x.s))
	}
	return strings.Join(parts, "; ")
}

// staleReads counts the reads that returned a value already overwritten before they
// started: a write W acknowledged (or seen by a read that returned) before the read's
// call, W itself called after the write of the value read had returned (so every
// linearization orders W after it). It is
// a sufficient sign of a non-linearizable history, and says which kind: stale reads
// (a master serving reads it may no longer be master for) rather than lost writes. It
// returns the count and the first example.
func staleReads(ops []porcupine.Operation) (int, string) {
	type write struct{ call, ret int64 }
	byKey := map[string][]write{}
	wrote := map[int64]write{} // value -> its write
	for _, op := range ops {
		in, out := op.Input.(regInput), op.Output.(regOutput)
		if in.write {
			wrote[in.value] = write{op.Call, op.Return}
			if !out.unknown {
				byKey[in.key] = append(byKey[in.key], write{op.Call, op.Return})
			}
		}
	}
	// a read that returned value v witnesses v's write like its acknowledgement does:
	// from the read's return on, no read may see a value written before v's write
	for _, op := range ops {
		in, out := op.Input.(regInput), op.Output.(regOutput)
		if w, ok := wrote[out.value]; ok && !in.write && out.value != 0 {
			byKey[in.key] = append(byKey[in.key], write{w.call, op.Return})
		}
	}
	// per key: acknowledged (or witnessed) writes by return time, with the latest call
	// among them so far
	type prefix struct{ ret, maxCall []int64 }
	pre := map[string]prefix{}
	for k, ws := range byKey {
		sort.Slice(ws, func(i, j int) bool { return ws[i].ret < ws[j].ret })
		var p prefix
		var m int64 = math.MinInt64
		for _, w := range ws {
			m = max(m, w.call)
			p.ret, p.maxCall = append(p.ret, w.ret), append(p.maxCall, m)
		}
		pre[k] = p
	}
	n, example, phantom, phantomEx := 0, "", 0, ""
	for _, op := range ops {
		in, out := op.Input.(regInput), op.Output.(regOutput)
		if in.write {
			continue
		}
		src := write{-1, -1} // the initial value: "written" before everything
		if out.value != 0 {
			w, ok := wrote[out.value]
			if !ok {
				// a value no recorded write wrote: its write failed with an error
				// taken as definite, yet took effect
				phantom++
				if phantomEx == "" {
					phantomEx = fmt.Sprintf("client %d: get %s -> %d at %v (written by client %d, whose write failed)",
						op.ClientId, in.key, out.value, time.Duration(op.Call), out.value>>32-1)
				}
				continue
			}
			src = w
		}
		p := pre[in.key]
		i := sort.Search(len(p.ret), func(i int) bool { return p.ret[i] >= op.Call }) // writes returned before the call: [0, i)
		if i > 0 && p.maxCall[i-1] > src.ret {
			n++
			if example == "" {
				example = fmt.Sprintf("client %d: get %s -> %d at %v, overwritten by a write called at %v (acknowledged or read before the get)",
					op.ClientId, in.key, out.value, time.Duration(op.Call), time.Duration(p.maxCall[i-1]))
			}
		}
	}
	if phantom > 0 {
		example += fmt.Sprintf("; and %d reads of a value whose write failed, first: %s", phantom, phantomEx)
	}
	return n, example
}
