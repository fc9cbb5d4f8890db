package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// aofPopulate writes every type Vigil holds, small and large encodings, two databases, keys with a TTL, through commands whose AOF
// records differ from their argv (EX -> PXAT, INCRBYFLOAT, transactions, expiry).
func aofPopulate(t *testing.T, ctx context.Context, c *redis.Client, tag string) {
	t.Helper()
	for db := 0; db < 2; db++ {
		p := c.Pipeline()
		p.Select(ctx, db)
		pre := fmt.Sprintf("%s:db%d:", tag, db)
		p.Set(ctx, pre+"str", "hello", 0)
		p.Set(ctx, pre+"int", "12345", 0)
		p.Set(ctx, pre+"big", strings.Repeat("abcdefghij", 500), 0)
		p.Set(ctx, pre+"ttl", "v", time.Hour)
		p.Set(ctx, pre+"short", "gone", 0)
		p.PExpire(ctx, pre+"short", 50*time.Millisecond) // expires before the reload
		p.IncrByFloat(ctx, pre+"float", 1.5)
		p.Incr(ctx, pre+"counter")
		p.RPush(ctx, pre+"list", "a", "1", "-300", "70000")
		for i := 0; i < 300; i++ {
			p.RPush(ctx, pre+"biglist", fmt.Sprintf("item-%d-%s", i, strings.Repeat("y", i%50)))
		}
		p.LPop(ctx, pre+"biglist")
		p.SAdd(ctx, pre+"intset", 3, -5, 100000, 7)
		p.SAdd(ctx, pre+"set", "a", "b", "c")
		p.SRem(ctx, pre+"set", "b")
		p.HSet(ctx, pre+"hash", "f1", "v1", "n", "42")
		for i := 0; i < 200; i++ {
			p.HSet(ctx, pre+"bighash", "field"+strconv.Itoa(i), "value"+strconv.Itoa(i))
		}
		p.HIncrBy(ctx, pre+"hash", "n", 8)
		p.Expire(ctx, pre+"bighash", time.Hour)
		p.ZAdd(ctx, pre+"zset", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: -0.1, Member: "c"})
		for i := 0; i < 200; i++ {
			p.ZAdd(ctx, pre+"bigzset", redis.Z{Score: float64(i) / 3, Member: "m" + strconv.Itoa(i)})
		}
		p.ZIncrBy(ctx, pre+"zset", 0.5, "a")
		p.ZPopMin(ctx, pre+"bigzset", 2)
		p.Set(ctx, pre+"deleted", "x", 0)
		p.Del(ctx, pre+"deleted")
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("populate %s db %d: %v", tag, db, err)
		}
		tx := c.TxPipeline()
		tx.Select(ctx, db)
		tx.Set(ctx, pre+"tx1", "1", 0)
		tx.Incr(ctx, pre+"tx1")
		tx.RPush(ctx, pre+"txlist", "x", "y")
		if _, err := tx.Exec(ctx); err != nil {
			t.Fatalf("populate %s transaction: %v", tag, err)
		}
	}
	time.Sleep(100 * time.Millisecond) // let the PEXPIRE'd keys pass their time
}

// waitRewriteDone polls the manifest until its base has sequence seq.
func waitRewriteDone(t *testing.T, dir string, seq int) {
	t.Helper()
	want := fmt.Sprintf("seq %d type b", seq)
	testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, "AOF rewrite installed ("+want+")", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
		return strings.Contains(string(b), want)
	})
}

// TestAOFFromRedis: an appendonlydir written by redis-server 7.0 (an RDB base after
// BGREWRITEAOF plus an incr file) loads into Vigil with the same content.
func TestAOFFromRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	rp, raddr := testutil.StartRedis(t, "--dir", dir, "--appendonly", "yes", "--appendfsync", "always")
	r := redis.NewClient(&redis.Options{Addr: raddr})
	defer r.Close()
	aofPopulate(t, ctx, r, "base")
	if err := r.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewriteDone(t, dir, 2)
	aofPopulate(t, ctx, r, "incr")
	want := dumpContent(t, ctx, r)
	rp.Kill() // appendfsync always: everything acknowledged is on disk

	_, vaddr := testutil.StartVigil(t, "--dir", dir, "--appendonly", "yes")
	v := redis.NewClient(&redis.Options{Addr: vaddr, Protocol: 2})
	defer v.Close()
	waitLoaded(t, ctx, v)
	if got := dumpContent(t, ctx, v); got != want {
		t.Errorf("Vigil loading redis-server's AOF:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestAOFToRedis: Vigil's appendonlydir, after writes, a BGREWRITEAOF and more writes,
// passes redis-check-aof and loads into redis-server 7.0 with the same content; so does
// one written with aof-use-rdb-preamble no.
func TestAOFToRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble="+preamble, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			vp, vaddr := testutil.StartVigil(t, "--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
			v := redis.NewClient(&redis.Options{Addr: vaddr, Protocol: 2})
			defer v.Close()
			waitLoaded(t, ctx, v)
			aofPopulate(t, ctx, v, "base")
			if err := v.BgRewriteAOF(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			waitRewriteDone(t, dir, 2)
			aofPopulate(t, ctx, v, "incr")
			want := dumpContent(t, ctx, v)
			vp.Signal(syscall.SIGTERM) // shutdown writes and fsyncs the AOF
			if code := vp.Wait(10 * time.Second); code != 0 {
				t.Fatalf("vigil exited with %d after SIGTERM", code)
			}
			check := testutil.RequireRedis(t, "redis-check-aof")
			manifest := filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")
			if out, err := exec.Command(check, manifest).CombinedOutput(); err != nil {
				t.Fatalf("redis-check-aof rejected Vigil's AOF: %v\n%s", err, out)
			}
			_, raddr := testutil.StartRedis(t, "--dir", dir, "--appendonly", "yes")
			r := redis.NewClient(&redis.Options{Addr: raddr})
			defer r.Close()
			waitLoaded(t, ctx, r)
			if got := dumpContent(t, ctx, r); got != want {
				t.Errorf("redis-server loading Vigil's AOF:\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// ackedWrite is one write the server acknowledged, and when.
type ackedWrite struct {
	key, val string
	at       time.Time
}

// crashLoad runs writers against addr until stop, and returns every acknowledged SET and
// the number of acknowledged INCRs of "counter" with the time of each.
func crashLoad(ctx context.Context, addr string, writers int, stop <-chan struct{}) ([]ackedWrite, []time.Time) {
	var mu sync.Mutex
	var acked []ackedWrite
	var incrs []time.Time
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, PoolSize: 1})
			defer c.Close()
			for i := 0; i < 1_000_000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key, val := fmt.Sprintf("w%d:%d", w, i), fmt.Sprintf("v%d-%d", w, i)
				if c.Set(ctx, key, val, 0).Err() != nil {
					return // the server died: this write is not acknowledged
				}
				now := time.Now()
				mu.Lock()
				acked = append(acked, ackedWrite{key, val, now})
				mu.Unlock()
				if c.Incr(ctx, "counter").Err() != nil {
					return
				}
				now = time.Now()
				mu.Lock()
				incrs = append(incrs, now)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return acked, incrs
}

// TestAOFCrashSafety kills vigil -9 in the middle of a write load and restarts it from
// its AOF. With appendfsync always every acknowledged write must be there; with everysec
// every write acknowledged more than 2 s before the kill (the documented loss window is
// about 1 s).
func TestAOFCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, policy := range []string{"always", "everysec"} {
		t.Run(policy, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			vp, addr := testutil.StartVigil(t, "--dir", dir, "--appendonly", "yes", "--appendfsync", policy)
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
			waitLoaded(t, ctx, c)
			c.Close()
			stop := make(chan struct{})
			var acked []ackedWrite
			var incrs []time.Time
			done := make(chan struct{})
			go func() {
				acked, incrs = crashLoad(ctx, addr, 8, stop)
				close(done)
			}()
			load := 2500 * time.Millisecond
			if policy == "everysec" {
				load = 4 * time.Second
			}
			time.Sleep(load)
			killedAt := time.Now()
			vp.Kill()
			close(stop)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("writers did not stop after the kill")
			}
			t.Logf("%s: %d SETs and %d INCRs acknowledged in %v before kill -9", policy, len(acked), len(incrs), load)

			_, addr2 := testutil.StartVigil(t, "--dir", dir, "--appendonly", "yes", "--appendfsync", policy)
			c2 := redis.NewClient(&redis.Options{Addr: addr2, Protocol: 2})
			defer c2.Close()
			waitLoaded(t, ctx, c2)
			mustHave := func(at time.Time) bool { return policy == "always" || at.Before(killedAt.Add(-2*time.Second)) }
			lost, checked := 0, 0
			for _, w := range acked {
				got, err := c2.Get(ctx, w.key).Result()
				if got == w.val && err == nil {
					continue
				}
				lost++
				if mustHave(w.at) {
					checked++
					if checked <= 10 {
						t.Errorf("acknowledged SET %s=%s (%.2fs before the kill) lost after restart: got %q, %v", w.key, w.val, killedAt.Sub(w.at).Seconds(), got, err)
					}
				}
			}
			counter, _ := c2.Get(ctx, "counter").Int()
			required := 0
			for _, at := range incrs {
				if mustHave(at) {
					required++
				}
			}
			if counter < required {
				t.Errorf("counter after restart: got %d, want at least %d acknowledged INCRs", counter, required)
			}
			t.Logf("%s: after restart %d of %d acknowledged SETs missing (%d required to be present), counter %d of %d acknowledged INCRs",
				policy, lost, len(acked), checked, counter, len(incrs))
		})
	}
}

// TestAOFRewriteUnderPipelinedLoad: BGREWRITEAOF again and again while clients pipeline
// writes. Every incr file must stay a clean sequence of records (redis-check-aof), and the
// AOF must reload into the dataset the server held (DEBUG DIGEST). It caught the log's
// double buffer: an empty flush (the one switching the incr file at rewrite start) left
// both buffers on one array, and the next flush wrote bytes that later records overwrote.
func TestAOFRewriteUnderPipelinedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	check := testutil.RequireRedis(t, "redis-check-aof")
	ctx := context.Background()
	dir := t.TempDir()
	args := []string{"--dir", dir, "--appendonly", "yes", "--enable-debug-command", "yes"}
	vp, vaddr := testutil.StartVigil(t, args...)
	v := redis.NewClient(&redis.Options{Addr: vaddr, Protocol: 2})
	defer v.Close()
	waitLoaded(t, ctx, v)

	// writers that never wait for a reply (as the suite's gen_write_load does): the
	// log's buffer is large and being written while other clients append to it
	const writers, batches, perBatch = 4, 400, 500
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := 0; w < writers; w++ {
		conn, err := net.Dial("tcp", vaddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		wg.Add(2)
		go func(w int) { // every reply of a SET is +OK
			defer wg.Done()
			conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
			if _, err := io.CopyN(io.Discard, conn, int64(len("+OK\r\n")*batches*perBatch)); err != nil {
				errs <- fmt.Errorf("writer %d replies: %v", w, err)
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			var b []byte
			for batch := 0; batch < batches; batch++ {
				b = b[:0]
				for i := 0; i < perBatch; i++ {
					n := batch*perBatch + i
					b = append(b, testutil.EncodeCommand([]byte("SET"), []byte(fmt.Sprintf("w%d:%d", w, n%4999)),
						[]byte(strings.Repeat("v", n%200)+strconv.Itoa(n)))...)
				}
				if _, err := conn.Write(b); err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %v", w, batch, err)
					return
				}
			}
		}(w)
	}
	for i := 0; i < 8; i++ {
		if err := v.BgRewriteAOF(ctx).Err(); err != nil {
			t.Fatalf("BGREWRITEAOF %d: %v", i, err)
		}
		waitRewriteDone(t, dir, i+2)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want, err := v.Do(ctx, "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	vp.Signal(syscall.SIGTERM) // shutdown writes and fsyncs the AOF
	if code := vp.Wait(10 * time.Second); code != 0 {
		t.Fatalf("vigil exited with %d after SIGTERM", code)
	}
	manifest := filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")
	if out, err := exec.Command(check, manifest).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-aof rejected the AOF written under load: %v\n%s", err, out)
	}
	_, vaddr2 := testutil.StartVigil(t, args...)
	v2 := redis.NewClient(&redis.Options{Addr: vaddr2, Protocol: 2})
	defer v2.Close()
	waitLoaded(t, ctx, v2)
	if got, err := v2.Do(ctx, "DEBUG", "DIGEST").Text(); err != nil || got != want {
		t.Fatalf("DEBUG DIGEST after reloading the AOF: %q (%v), want %q", got, err, want)
	}
}
