package store

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestDictBasic(t *testing.T) {
	d := NewDict[int]()
	for i := 0; i < 10000; i++ {
		if !d.Set(fmt.Sprint(i), i) {
			t.Fatalf("Set(%d): got replaced, want added", i)
		}
	}
	if d.Len() != 10000 {
		t.Fatalf("Len: got %d, want 10000", d.Len())
	}
	for i := 0; i < 10000; i += 2 {
		if _, ok := d.Delete(fmt.Sprint(i)); !ok {
			t.Fatalf("Delete(%d): got missing", i)
		}
	}
	for i := 0; i < 10000; i++ {
		v, ok := d.Get(fmt.Sprint(i))
		if ok != (i%2 == 1) || (ok && v != i) {
			t.Fatalf("Get(%d): got %d,%v", i, v, ok)
		}
	}
	if d.Set("1", 100) {
		t.Error("Set existing: got added, want replaced")
	}
	if v, _ := d.Get("1"); v != 100 {
		t.Errorf("Get after replace: got %d, want 100", v)
	}
}

// TestDictScanGuarantee checks Redis's SCAN guarantee: every element present for the
// whole scan is returned at least once, while the table grows and shrinks between calls.
func TestDictScanGuarantee(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		d := NewDict[int]()
		stable := map[string]bool{}
		for i := 0; i < 500; i++ {
			k := fmt.Sprintf("stable-%d", i)
			d.Set(k, i)
			stable[k] = true
		}
		seen := map[string]bool{}
		cursor := uint64(0)
		churn := 0
		for steps := 0; ; steps++ {
			cursor = d.Scan(cursor, func(k string, _ int) { seen[k] = true })
			// grow or shrink with temporary keys between calls
			switch r.IntN(3) {
			case 0:
				for j := 0; j < r.IntN(400); j++ {
					d.Set(fmt.Sprintf("tmp-%d", churn), 0)
					churn++
				}
			case 1:
				for j := 0; j < churn; j++ {
					d.Delete(fmt.Sprintf("tmp-%d", j))
				}
				d.ShrinkIfNeeded()
			}
			if cursor == 0 || steps > 100000 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("seed %d: key %s present for the whole scan was never returned", seed, k)
			}
		}
	}
}

func TestDictFreezeKeepsBuckets(t *testing.T) {
	d := NewDict[int]()
	for i := 0; i < 1000; i++ {
		d.Set(fmt.Sprint(i), i)
	}
	d.Freeze(true)
	n := d.BucketCount()
	b := d.BucketOf("7")
	for i := 1000; i < 5000; i++ {
		d.Set(fmt.Sprint(i), i)
	}
	if d.BucketCount() != n || d.BucketOf("7") != b {
		t.Fatalf("frozen dict resized: buckets %d -> %d", n, d.BucketCount())
	}
	total := 0
	for i := 0; i < d.BucketCount(); i++ {
		d.RangeBucket(i, func(string, *int) { total++ })
	}
	if total != 5000 {
		t.Fatalf("RangeBucket visited %d elements, want 5000", total)
	}
	d.Freeze(false)
	d.Set("x", 1)
	for d.RehashSteps(100) {
	}
	if d.BucketCount() == n {
		t.Errorf("after unfreezing, the overloaded table did not grow (still %d buckets)", n)
	}
}

func TestDictRandomAndSample(t *testing.T) {
	d := NewDict[int]()
	if _, _, ok := d.Random(); ok {
		t.Fatal("Random on empty dict: got ok")
	}
	for i := 0; i < 100; i++ {
		d.Set(fmt.Sprint(i), i)
	}
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		k, _, _ := d.Random()
		seen[k] = true
	}
	if len(seen) < 90 {
		t.Errorf("Random covered %d of 100 keys in 5000 draws", len(seen))
	}
	got := 0
	d.Sample(10, func(string, int) { got++ })
	if got != 10 {
		t.Errorf("Sample(10): got %d elements", got)
	}
}

// TestDictFreezeMidRehash freezes a dict while it rehashes: elements must stay in the
// bucket BucketOf reports, inserts and deletes still work, and RangeBucket over every
// bucket sees every element exactly once.
func TestDictFreezeMidRehash(t *testing.T) {
	d := NewDict[int]()
	for i := 0; i < 1024; i++ {
		d.Set(fmt.Sprint(i), i)
	}
	d.Set("trigger", 0) // starts a rehash to 2048 buckets
	if !d.rehashing() {
		t.Fatal("expected a rehash in progress")
	}
	d.Freeze(true)
	before := map[string]int{}
	for i := 0; i < 1024; i++ {
		before[fmt.Sprint(i)] = d.BucketOf(fmt.Sprint(i))
	}
	for i := 1024; i < 3000; i++ {
		d.Set(fmt.Sprint(i), i)
	}
	for i := 0; i < 100; i++ {
		d.Delete(fmt.Sprint(i))
	}
	for i := 100; i < 1024; i++ {
		k := fmt.Sprint(i)
		if got := d.BucketOf(k); got != before[k] {
			t.Fatalf("key %s moved from bucket %d to %d while frozen", k, before[k], got)
		}
		if v, ok := d.Get(k); !ok || v != i {
			t.Fatalf("Get(%s) while frozen: got %d,%v", k, v, ok)
		}
	}
	seen := map[string]int{}
	for b := 0; b < d.BucketCount(); b++ {
		d.RangeBucket(b, func(k string, _ *int) {
			seen[k]++
			if d.BucketOf(k) != b {
				t.Fatalf("key %s found in bucket %d but BucketOf says %d", k, b, d.BucketOf(k))
			}
		})
	}
	if len(seen) != d.Len() {
		t.Fatalf("RangeBucket saw %d keys, dict has %d", len(seen), d.Len())
	}
	d.Freeze(false)
	for d.RehashSteps(100) {
	}
	if d.rehashing() {
		t.Fatal("rehash did not complete after unfreezing")
	}
}

// TestWarmBuckets: WarmBuckets reads the first element of each bucket in range, in both
// tables while rehashing, and ignores buckets out of range.
func TestWarmBuckets(t *testing.T) {
	d := NewDict[int]()
	for i := range 1000 {
		d.Add("k"+strconv.Itoa(i), 1)
	}
	d.Reserve(0)
	want := uintptr(0)
	for b := range d.BucketCount() {
		first := true
		d.RangeBucket(b, func(key string, v *int) {
			if first {
				want += uintptr(key[0]) + uintptr(*v)
				first = false
			}
		})
	}
	got := d.WarmBuckets(-5, d.BucketCount()+5, func(v *int) uintptr { return uintptr(*v) })
	if got != want {
		t.Fatalf("WarmBuckets over every bucket = %d, want %d", got, want)
	}
	if got := d.WarmBuckets(3, 3, nil); got != 0 {
		t.Errorf("empty range: %d", got)
	}
}

// TestDictRandomIsFair checks Random as the suite's SRANDMEMBER/HRANDFIELD histograms do:
// over 10 elements sharing 16 buckets (some chained), 10000 draws must pass a chi-square
// test with 9 degrees of freedom at p = 0.00001 (40), which a random bucket then a random
// chain element (dictGetRandomKey) fails.
func TestDictRandomIsFair(t *testing.T) {
	d := NewDict[struct{}]()
	for i := 0; i < 10; i++ {
		d.Set(strconv.Itoa(i), struct{}{})
	}
	const draws = 10000
	counts := map[string]int{}
	for i := 0; i < draws; i++ {
		k, _, ok := d.Random()
		if !ok {
			t.Fatal("Random on a non-empty dict returned nothing")
		}
		counts[k]++
	}
	expected := float64(draws) / 10
	chi := 0.0
	for i := 0; i < 10; i++ {
		diff := float64(counts[strconv.Itoa(i)]) - expected
		chi += diff * diff / expected
	}
	if chi >= 40 {
		t.Fatalf("chi-square %.1f >= 40: %v", chi, counts)
	}
}

// TestDictRandomLongChain checks that Random reaches every element of long chains (Redis
// 7.0.12's reservoir sampling in dictGetSomeKeys): 200 elements in 4 buckets, where the
// first 15 of each chain would be all a plain walk ever returns.
func TestDictRandomLongChain(t *testing.T) {
	d := NewDict[int]()
	d.Set("seed", 0) // table of 4 buckets
	d.Freeze(true)   // no growth: chains lengthen instead
	for i := range 199 {
		d.Set(strconv.Itoa(i), i)
	}
	d.Freeze(false)
	if got := d.BucketCount(); got != 4 {
		t.Fatalf("BucketCount: got %d, want 4", got)
	}
	seen := map[string]bool{}
	for i := 0; i < 200000 && len(seen) < d.Len(); i++ {
		k, _, _ := d.Random()
		seen[k] = true
	}
	if len(seen) != d.Len() {
		t.Errorf("Random over 4 chains of %d elements: got %d distinct, want %d", d.Len(), len(seen), d.Len())
	}
}

// TestDictAvoidResize checks Redis's DICT_RESIZE_AVOID policy while AvoidResize is held:
// no shrinking, growth only past dictForceResizeRatio, rehash steps only between tables
// whose sizes differ more than that ratio.
func TestDictAvoidResize(t *testing.T) {
	d := NewDict[int]()
	for i := range 1000 {
		d.Set(strconv.Itoa(i), i)
	}
	d.FinishRehash()
	size := d.BucketCount() // 1024
	release := AvoidResize()
	for i := range 990 {
		d.Delete(strconv.Itoa(i))
	}
	d.ShrinkIfNeeded()
	if got := d.BucketCount(); got != size {
		t.Errorf("shrink while avoiding: BucketCount got %d, want %d", got, size)
	}
	for i := 1000; i < 1000+size; i++ { // up to 1.0x full: no growth
		d.Set(strconv.Itoa(i), i)
	}
	if got := d.BucketCount(); got != size {
		t.Errorf("growth to %d elements while avoiding: BucketCount got %d, want %d", d.Len(), got, size)
	}
	for i := 1000 + size; d.Len() < 6*size; i++ { // up to 6x: no growth yet
		d.Set(strconv.Itoa(i), i)
	}
	if got := d.BucketCount(); got != size {
		t.Errorf("growth to %d elements while avoiding: BucketCount got %d, want %d", d.Len(), got, size)
	}
	d.Set("one-more", 0) // used/size > 5: grows
	if got := d.BucketCount(); got <= size {
		t.Errorf("growth past ratio 5 while avoiding: BucketCount got %d, want > %d", got, size)
	}
	release()
	release() // a second call is a no-op
	if avoidResize.Load() != 0 {
		t.Errorf("avoidResize after release: got %d, want 0", avoidResize.Load())
	}
}
