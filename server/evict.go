package server

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/vigil-db/vigil/store"
)

// Eviction follows Redis 7.0's evict.c: an LRU clock or LFU counter in every object's LRU
// field, a pool of the 16 best candidates refreshed by sampling maxmemory-samples keys per
// database, and performEvictions before each command while used memory is above maxmemory.
//
// Memory accounting. Redis counts every allocation (zmalloc_used_memory); Go offers no such
// cheap counter, and reading runtime/metrics on every command costs too much. usedMemory is
// therefore an estimate with three parts on the heap and one off it:
//
//	used = live + grown - freed + streams
//
//   - live is the heap reachable after the last GC cycle ("/gc/heap/live:bytes"), read from
//     runtime/metrics in cron (hz times per second). It excludes garbage, which Redis's
//     allocator frees at once, so it is the closest thing to Redis's figure.
//   - grown is what the denyoom commands run since the last GC cycle added: with
//     maxmemory set, for a command naming only string keys, the change in those keys'
//     estimated size (an overwrite in place adds nothing); otherwise its argument bytes
//     plus a per-key overhead, the upper bound of what it could have added.
//   - freed is the estimated size of the keys evicted since the last GC cycle, so that an
//     eviction loop sees its own progress before the collector runs.
//   - streams is the replicas' output, exact: it is kept outside the heap (streambuf.go).
//
// When cron sees a new GC cycle, live is replaced, and grown and freed keep only what the
// commands that started after the cycle ended added and released (sinceGC): the cycle
// measured the rest, and cron sees it up to 1000/hz ms later, while a pipelined
// client may write megabytes meanwhile. The estimate never goes below zero. Tests
// replace memSource to drive it exactly.
//
// Garbage. Redis's used_memory falls the moment a client's buffer is freed; live falls
// only after the next GC cycle, which an idle server may not run for two minutes (Go's
// forced GC period). So the estimate does not stay high on freed garbage: connections
// report the big buffers they drop (releasedQueryBuf) and cron starts a GC cycle in the
// background once those amount to a quarter of the live heap, returning the freed pages
// to the OS so that RSS falls too; and before refusing a
// command with OOM or evicting, performEvictions runs one GC cycle itself if none ran
// since the last one it forced, so garbage is never what triggers OOM.

const (
	lruBits            = 24
	lruClockMax        = 1<<lruBits - 1
	lruClockResolution = 1000 // ms
	lfuInitVal         = 5
	evpoolSize         = 16
	keyOverhead        = 96 // bytes a key costs besides its name and value (dict entry with its object, share of the buckets; measured: 128 bytes for a 16-byte key and a 1-byte value)
)

// evictState is the eviction and memory-accounting state of a server (under mu).
type evictState struct {
	pool   [evpoolSize]evictCandidate
	nextDB int // round robin of the random policies

	live     int64  // heap live after the last GC cycle
	gcCycles uint64 // GC cycle count at the last refresh
	grown    int64  // estimated bytes added by denyoom commands since that cycle
	freed    int64  // estimated bytes released by evictions since that cycle
	since    sinceGC
	gcStats  debug.GCStats // the last cycle's end (refreshMemory)
	peak     int64         // highest estimate seen (used_memory_peak)
	running  bool          // the last performEvictions hit its time limit: cron continues
	samples  []metrics.Sample
	forced   uint64 // the GC cycle count after the last GC performEvictions forced
	// settleScan is when a write over the limit last looked for hung-up clients (settle.go)
	settleScan time.Time
	// released is the size of the big buffers connections dropped since the last GC
	// cycle (written without the lock); gcRunning is set while a background GC runs.
	released  atomic.Int64
	gcRunning atomic.Bool
	// dropped counts the big buffers dropped since the last GC performEvictions forced.
	dropped atomic.Int64
	// bufGrown is the size of the query buffers connections allocated since that cycle:
	// client input counts in used_memory as in Redis, before a GC cycle measures it.
	bufGrown atomic.Int64
	// memSource returns the live heap and the GC cycle count; runtime/metrics by default.
	memSource func() (live int64, cycles uint64)
}

// evictCandidate is one entry of the eviction pool; an empty entry has key == "".
type evictCandidate struct {
	idle  uint64 // higher is a better candidate
	key   string // the dict's own key string (immutable), or "" for an empty slot
	db    int
	valid bool
}

// Eviction policies, as maxmemory-policy names them.
const (
	policyNoEviction     = "noeviction"
	policyAllkeysLRU     = "allkeys-lru"
	policyAllkeysLFU     = "allkeys-lfu"
	policyAllkeysRandom  = "allkeys-random"
	policyVolatileLRU    = "volatile-lru"
	policyVolatileLFU    = "volatile-lfu"
	policyVolatileRandom = "volatile-random"
	policyVolatileTTL    = "volatile-ttl"
)

func (s *Server) policyLFU() bool {
	p := s.cfg.MaxMemoryPolicy
	return p == policyAllkeysLFU || p == policyVolatileLFU
}

func (s *Server) policyLRU() bool {
	p := s.cfg.MaxMemoryPolicy
	return p == policyAllkeysLRU || p == policyVolatileLRU
}

func (s *Server) policyAllKeys() bool {
	p := s.cfg.MaxMemoryPolicy
	return p == policyAllkeysLRU || p == policyAllkeysLFU || p == policyAllkeysRandom
}

// lruClock is Redis's LRU_CLOCK: seconds, modulo 2^24.
func (s *Server) lruClock() uint32 {
	return uint32(s.nowMs/lruClockResolution) & lruClockMax
}

// lfuMinutes is LFUGetTimeInMinutes: minutes, modulo 2^16.
func (s *Server) lfuMinutes() uint32 { return uint32(s.nowMs/60000) & 65535 }

// initialLRU is the LRU/LFU field of a new object (createObject).
func (s *Server) initialLRU() uint32 {
	if s.policyLFU() {
		return s.lfuMinutes()<<8 | lfuInitVal
	}
	return s.lruClock()
}

// touchObject updates the LRU clock or the LFU counter of an accessed object (lookupKey).
func (s *Server) touchObject(o *store.Object) {
	if s.policyLFU() {
		counter := s.lfuLogIncr(s.lfuDecrAndReturn(o))
		o.LRU = s.lfuMinutes()<<8 | uint32(counter)
		return
	}
	o.LRU = s.lruClock()
}

// setLRUOrLFU is objectSetLRUOrLFU (RESTORE's IDLETIME and FREQ): under an LFU policy a
// freq >= 0 becomes the counter; otherwise an idle time >= 0 (seconds) sets the last
// access that far back. It reports whether it set anything.
func (s *Server) setLRUOrLFU(o *store.Object, freq, idleSecs int64) bool {
	if s.policyLFU() {
		if freq < 0 {
			return false
		}
		o.LRU = s.lfuMinutes()<<8 | uint32(freq)
		return true
	}
	if idleSecs < 0 {
		return false
	}
	clock := int64(s.lruClock())
	abs := clock - idleSecs*1000/lruClockResolution
	if abs < 0 { // before the wrapping clock's origin: half-way round, idle for long
		abs = (clock + lruClockMax/2) % lruClockMax
	}
	o.LRU = uint32(abs)
	return true
}

// objectIdleMs is estimateObjectIdleTime: milliseconds since the object was last accessed
// (meaningful under an LRU or non-LFU policy; OBJECT IDLETIME).
func (s *Server) objectIdleMs(o *store.Object) int64 {
	clock := s.lruClock()
	if clock >= o.LRU {
		return int64(clock-o.LRU) * lruClockResolution
	}
	return int64(clock+(lruClockMax-o.LRU)) * lruClockResolution
}

// lfuDecrAndReturn is LFUDecrAndReturn: the LFU counter decayed by the minutes elapsed
// (OBJECT FREQ).
func (s *Server) lfuDecrAndReturn(o *store.Object) uint32 {
	ldt := o.LRU >> 8
	counter := o.LRU & 255
	if s.cfg.LFUDecayTime <= 0 {
		return counter
	}
	now := s.lfuMinutes()
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 65535 - ldt + now
	}
	periods := elapsed / uint32(s.cfg.LFUDecayTime)
	if periods > counter {
		return 0
	}
	return counter - periods
}

// lfuLogIncr is LFULogIncr: a logarithmic, probabilistic increment of the counter.
func (s *Server) lfuLogIncr(counter uint32) uint32 {
	if counter >= 255 {
		return 255
	}
	base := float64(counter) - lfuInitVal
	if base < 0 {
		base = 0
	}
	p := 1.0 / (base*float64(s.cfg.LFULogFactor) + 1)
	if rand.Float64() < p {
		counter++
	}
	return counter
}

// usedMemory is the used_memory estimate (see the comment at the top of this file).
func (s *Server) usedMemory() int64 {
	u := max(s.evict.live+s.evict.grown+s.evict.bufGrown.Load()-s.evict.freed, 0) + s.streamPool.inUse.Load()
	if u > s.evict.peak {
		s.evict.peak = u
	}
	return u
}

// replicasOutput is what the replicas' streams hold unsent (mem_clients_slaves): the
// chunks of each replica's stream, those its writer is sending included (under mu).
func (s *Server) replicasOutput() int64 {
	var n int64
	for _, r := range s.repl.replicas {
		n += r.streamBuffers()
	}
	return n
}

// streamBuffers is the size of the chunks r's stream holds.
func (r *Client) streamBuffers() int64 {
	r.outMu.Lock()
	n := r.stream.held()
	r.outMu.Unlock()
	return n + r.outHeld.Load()
}

// aofBuffered is the AOF records not yet written to the file (mem_aof_buffer).
func (s *Server) aofBuffered() int64 {
	l := s.aof.log
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.buf))
}

// evictableMemory is used memory as eviction counts it (getMaxmemoryState): without the
// replicas' unsent streams and the AOF buffer, which evicting keys cannot shrink and
// which would otherwise make a slow replica evict the dataset (under mu).
func (s *Server) evictableMemory() int64 {
	used := s.usedMemory()
	if used <= s.cfg.MaxMemory {
		return used // the common case costs nothing more
	}
	return used - s.notCountedForEvict(used)
}

// notCountedForEvict is what eviction leaves out of used (mem_not_counted_for_evict).
func (s *Server) notCountedForEvict(used int64) int64 {
	return min(s.streamPool.inUse.Load()+s.aofBuffered(), used)
}

// usedMemoryPeak is used_memory_peak.
func (s *Server) usedMemoryPeak() int64 {
	s.usedMemory()
	return s.evict.peak
}

// refreshMemory reads the runtime's figures (cron).
func (s *Server) refreshMemory() {
	src := s.evict.memSource
	if src == nil {
		src = s.readRuntimeMemory
	}
	live, cycles := src()
	if cycles != s.evict.gcCycles || s.evict.live == 0 {
		end := int64(math.MaxInt64) // a test's figures: nothing ran after them
		if s.evict.memSource == nil {
			debug.ReadGCStats(&s.evict.gcStats)
			end = s.evict.gcStats.LastGC.UnixNano()
		}
		s.evict.live = live
		s.evict.gcCycles = cycles
		s.evict.grown, s.evict.freed = s.evict.since.keepAfter(end)
		s.evict.bufGrown.Store(0)
	}
	if r := s.evict.released.Load(); r > 0 && r >= s.evict.live/4 {
		s.gcInBackground()
	}
}

// gcInBackground starts a GC cycle that returns the freed pages to the OS (RSS), unless
// one runs; the figures are read again when it ends, not at cron's next refresh (under
// mu).
func (s *Server) gcInBackground() {
	if s.evict.memSource != nil || !s.evict.gcRunning.CompareAndSwap(false, true) {
		return
	}
	s.evict.released.Store(0)
	go func() {
		debug.FreeOSMemory()
		s.evict.gcRunning.Store(false)
		s.mu.Lock()
		s.refreshMemory()
		s.mu.Unlock()
	}()
}

// bigBuffer is the size from which a dropped buffer counts as garbage worth a GC cycle.
const bigBuffer = 1 << 20

// releasedQueryBuf records that a connection dropped a buffer of size bytes, which
// nothing references any more (see "Garbage" above). Safe without the lock.
func (s *Server) releasedQueryBuf(size int) {
	// what its growth added to used_memory goes (approximately: not atomic with cron's reset)
	if d := int64(size - readChunk); d > 0 && s.evict.bufGrown.Add(-d) < 0 {
		s.evict.bufGrown.Store(0)
	}
	if size >= bigBuffer {
		s.evict.released.Add(int64(size))
		s.evict.dropped.Add(1)
	}
}

// releasedOutput records that a client's output buffer of size bytes was written or
// dropped: a big one is garbage worth a GC cycle, as for query buffers; from
// clientGarbage on it is worth one before refusing a command with OOM (collectGarbage: a
// few subscribers that hung up with a few hundred KB each add up to what maxmemory
// allows, and their writers may have dropped the buffers before the clients were freed).
// Safe without the lock.
func (s *Server) releasedOutput(size int) {
	if size >= clientGarbage {
		s.evict.dropped.Add(1)
	}
	if size >= bigBuffer {
		s.evict.released.Add(int64(size))
	}
}

// releasedClient records that a freed client left size bytes of buffers (its unsent
// output, what its writer was sending, its query buffer). Redis frees them with the
// client; here they are garbage until a GC cycle. From clientGarbage on they count as a
// dropped buffer, so that an OOM check may run a cycle again (collectGarbage): a few
// clients closed with a few hundred KB of output each add up to what maxmemory allows.
func (s *Server) releasedClient(size int64) {
	if size >= clientGarbage {
		s.evict.released.Add(size)
		s.evict.dropped.Add(1)
	}
}

// clientGarbage is the size of a freed client's buffers from which they count as garbage
// worth a GC cycle before refusing a command with OOM.
const clientGarbage = 64 << 10

// collectGarbage runs a GC cycle and reads the new figures (under mu), unless none can
// find more garbage than the last one it forced: no cycle ran since and no connection
// dropped a big buffer (or was freed with big ones) since.
func (s *Server) collectGarbage() {
	if s.evict.memSource != nil {
		return
	}
	dropped := s.evict.dropped.Swap(0)
	if s.evict.forced == s.evict.gcCycles && s.evict.forced != 0 && dropped == 0 {
		return
	}
	runtime.GC()
	s.refreshMemory()
	s.evict.forced = s.evict.gcCycles
}

func (s *Server) readRuntimeMemory() (int64, uint64) {
	if s.evict.samples == nil {
		s.evict.samples = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"},
			{Name: "/memory/classes/heap/objects:bytes"}}
	}
	metrics.Read(s.evict.samples)
	var live int64
	var cycles uint64
	if v := s.evict.samples[0].Value; v.Kind() == metrics.KindUint64 {
		live = int64(v.Uint64())
	}
	if v := s.evict.samples[1].Value; v.Kind() == metrics.KindUint64 {
		cycles = v.Uint64()
	}
	// before the first GC cycle nothing is marked live (0): the heap's objects are the
	// best figure then (garbage included, of which a process just started has little)
	if v := s.evict.samples[2].Value; cycles == 0 && v.Kind() == metrics.KindUint64 {
		live = int64(v.Uint64())
	}
	return live, cycles
}

// commandGrowth is the estimate of what a denyoom command may add to the dataset: its
// argument bytes, a key's overhead, and an element's overhead for each argument past the
// first value (SADD, RPUSH, HSET... of many elements).
func commandGrowth(args [][]byte) int64 {
	n := int64(keyOverhead) + int64(max(len(args)-3, 0))*elemOverhead
	for _, a := range args[1:] {
		n += int64(len(a))
	}
	return n
}

// allocSize approximates what the Go allocator takes for n bytes (its size classes: 8-byte
// steps to 16, 16-byte steps to 256, about an eighth of the size to 32 KB, pages above),
// so that a key's estimate matches what a GC cycle then measures.
func allocSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= 16:
		return (n + 7) &^ 7
	case n <= 256:
		return (n + 15) &^ 15
	case n > 32<<10:
		return (n + 8191) &^ 8191
	}
	step := 1 << (bits.Len(uint(n)) - 4)
	return (n + step - 1) &^ (step - 1)
}

// growthBefore starts measuring what a denyoom command adds to used_memory (call): with
// maxmemory set, the estimated size of the string keys it names, so that a command that
// overwrites a value in place (SETRANGE, SET of the same length) adds nothing, as in
// Redis's allocator. It reports false when the command names a collection or no fixed
// key positions; the command's argument bytes are the estimate then (growthAfter).
func (s *Server) growthBefore(c *Client, cmd *Command) (int64, bool) {
	if cmd.FirstKey <= 0 || s.cfg.MaxMemory <= 0 && cmd.Flags&FlagGrowsByOffset == 0 {
		return 0, false
	}
	return s.stringKeysSize(c, cmd)
}

// growthAfter adds what the command c ran added to the estimate (see growthBefore).
func (s *Server) growthAfter(c *Client, cmd *Command, before int64, measured bool) {
	if measured {
		if after, ok := s.stringKeysSize(c, cmd); ok {
			s.addGrown(after - before)
			return
		}
	}
	s.addGrown(commandGrowth(c.args))
}

// addGrown adds n bytes that a command added to the dataset to the estimate (under mu).
func (s *Server) addGrown(n int64) {
	if n != 0 {
		s.evict.grown += n
		s.evict.since.at(s.clock.UnixNano()).grown += n
	}
}

// addFreed takes n bytes that a command or an eviction released out of the estimate
// (under mu).
func (s *Server) addFreed(n int64) {
	if n != 0 {
		s.evict.freed += n
		s.evict.since.at(s.clock.UnixNano()).freed += n
	}
}

// sinceGC is what grown and freed hold, by the time of the command that changed them, so
// that a refresh keeps only what came after the GC cycle it reads: a pipelined client
// may add megabytes in the millisecond between a cycle's end and the refresh. The time
// is told to a tick, 16 µs at first; when the steps are full, pairs merge and the tick
// doubles.
type sinceGC struct {
	steps  [sinceGCSteps]sinceGCStep
	n      int  // steps in use
	merged uint // times pairs merged since the last keepAfter: the tick is sinceGCTick<<merged
}

type sinceGCStep struct{ ns, grown, freed int64 }

const (
	sinceGCTick  = 16 * time.Microsecond
	sinceGCSteps = 1024
)

// at is the step that holds the time ns (a command's start: the clock only advances).
func (g *sinceGC) at(ns int64) *sinceGCStep {
	if g.n > 0 && ns-g.steps[g.n-1].ns < int64(sinceGCTick)<<g.merged {
		return &g.steps[g.n-1]
	}
	if g.n == sinceGCSteps {
		for i := 0; i < sinceGCSteps/2; i++ {
			a, b := g.steps[2*i], g.steps[2*i+1]
			g.steps[i] = sinceGCStep{ns: a.ns, grown: a.grown + b.grown, freed: a.freed + b.freed}
		}
		g.n = sinceGCSteps / 2
		g.merged++
	}
	g.steps[g.n] = sinceGCStep{ns: ns}
	g.n++
	return &g.steps[g.n-1]
}

// keepAfter keeps what was added and released by the commands that started after end
// (a GC cycle's end, in ns), which that cycle did not measure, and returns those totals.
func (g *sinceGC) keepAfter(end int64) (grown, freed int64) {
	i := 0
	for i < g.n && g.steps[i].ns <= end {
		i++
	}
	g.n = copy(g.steps[:], g.steps[i:g.n])
	g.merged = 0
	for _, st := range g.steps[:g.n] {
		grown += st.grown
		freed += st.freed
	}
	return grown, freed
}

// stringKeysSize is the estimated size of the keys cmd names in c.args (absent ones
// count 0), false if one holds a collection.
func (s *Server) stringKeysSize(c *Client, cmd *Command) (int64, bool) {
	last := cmd.LastKey
	if last < 0 {
		last += len(c.args)
	}
	step := max(cmd.Step, 1)
	db := c.db()
	var n int64
	for i := cmd.FirstKey; i <= last && i < len(c.args); i += step {
		key := k(c.args[i])
		o := db.Keys.Ref(key)
		switch {
		case o == nil:
		case o.Type == store.TypeString:
			n += objectSize(key, o)
		default:
			return 0, false
		}
	}
	return n, true
}

// elemOverhead is what one element of a collection costs besides its bytes (table entry
// or node, string header, bucket).
const elemOverhead = 48

// lenner is implemented by collection values; it sizes them for the eviction estimate.
type lenner interface{ Len() int }

// objectSize estimates what deleting key (holding o) frees.
func objectSize(key string, o *store.Object) int64 {
	n := int64(keyOverhead + allocSize(len(key)) + allocSize(len(o.Str)))
	if l, ok := o.Ptr.(lenner); ok {
		n += int64(l.Len()) * elemOverhead
	}
	return n
}

// gateOOM is the maxmemory part of Redis's processCommand: run performEvictions, and refuse
// denyoom commands (and anything queued in MULTI except EXEC/DISCARD/QUIT/RESET) when
// memory could not be freed.
func (s *Server) gateOOM(c *Client, cmd *Command) string {
	denyOOM := cmd.Flags&FlagDenyOOM != 0
	if cmd.Name == "exec" {
		for _, q := range c.multi {
			if q.cmd.Flags&FlagDenyOOM != 0 {
				denyOOM = true
				break
			}
		}
	}
	if s.cfg.MaxMemory <= 0 {
		return ""
	}
	outOfMemory := !s.performEvictions()
	reject := denyOOM
	if c.has(ClientMulti) {
		switch cmd.Name {
		case "exec", "discard", "quit", "reset":
		default:
			reject = true
		}
	}
	if outOfMemory && reject {
		return ErrOOM
	}
	return ""
}

// safeToEvict is isSafeToPerformEvictions.
func (s *Server) safeToEvict() bool {
	if s.persist.loading || s.isReplica() && s.cfg.ReplicaIgnoreMaxmemory {
		return false
	}
	return !s.pauseActive()
}

// evictionTimeLimit is evictionTimeLimitUs: 50µs × 1.15^tenacity, no limit at 100.
func (s *Server) evictionTimeLimit() time.Duration {
	t := s.cfg.MaxMemoryEvictionTenacity
	if t >= 100 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(50*math.Pow(1.15, float64(t))) * time.Microsecond
}

// performEvictions frees memory down to maxmemory by evicting keys. It returns false
// (EVICT_FAIL) when memory is over the limit and nothing more can be evicted.
func (s *Server) performEvictions() bool {
	s.evict.running = false
	if !s.safeToEvict() {
		return true
	}
	used := s.evictableMemory()
	if used > s.cfg.MaxMemory {
		s.collectGarbage() // garbage is not what may trigger OOM or evictions
		used = s.evictableMemory()
	}
	if used <= s.cfg.MaxMemory {
		return true
	}
	if s.cfg.MaxMemoryPolicy == policyNoEviction {
		return false
	}
	toFree := used - s.cfg.MaxMemory
	var freed int64
	start := time.Now()
	limit := s.evictionTimeLimit()
	keys := 0
	for freed < toFree {
		db, key, ok := s.pickEvictionKey()
		if !ok {
			// nothing left to evict: what the estimate still counts may be the
			// underestimated size of what was evicted; measure before refusing
			if s.evict.freed > 0 && s.evict.memSource == nil {
				runtime.GC()
				s.refreshMemory()
				s.evict.forced = s.evict.gcCycles
			}
			return s.evictableMemory() <= s.cfg.MaxMemory
		}
		freed += s.evictKey(db, key)
		keys++
		if keys%16 == 0 && time.Since(start) > limit {
			s.evict.running = true
			return true
		}
	}
	return true
}

// evictKey deletes key from db as an eviction and returns the estimated bytes freed.
func (s *Server) evictKey(db *store.DB, key string) int64 {
	o := db.Keys.Ref(key)
	if o == nil {
		return 0
	}
	size := objectSize(key, o)
	owned := []byte(key)
	s.dbDelete(db, owned)
	s.addFreed(size)
	s.stats.evictedKeys++
	s.touchWatched(db.ID, key)
	s.notify(NotifyEvicted, "evicted", owned, db.ID)
	cmd := argDel
	if s.cfg.LazyfreeLazyEviction {
		cmd = argUnlink
	}
	s.propagateRecord(db.ID, [][]byte{cmd, owned})
	return size
}

// pickEvictionKey chooses the next key to evict according to the policy.
func (s *Server) pickEvictionKey() (*store.DB, string, bool) {
	switch s.cfg.MaxMemoryPolicy {
	case policyAllkeysRandom, policyVolatileRandom:
		allKeys := s.cfg.MaxMemoryPolicy == policyAllkeysRandom
		for range s.dbs {
			s.evict.nextDB = (s.evict.nextDB + 1) % len(s.dbs)
			db := s.dbs[s.evict.nextDB]
			var key string
			var ok bool
			if allKeys {
				key, _, ok = db.Keys.Random()
			} else {
				key, _, ok = db.Expires.Random()
			}
			if ok {
				return db, key, true
			}
		}
		return nil, "", false
	case policyAllkeysLRU, policyVolatileLRU, policyAllkeysLFU, policyVolatileLFU, policyVolatileTTL:
		return s.pickFromPool()
	}
	return nil, "", false
}

// pickFromPool refills the pool from every database and takes its best live entry.
func (s *Server) pickFromPool() (*store.DB, string, bool) {
	allKeys := s.policyAllKeys()
	for {
		total := 0
		for _, db := range s.dbs {
			n := db.Expires.Len()
			if allKeys {
				n = db.Keys.Len()
			}
			if n > 0 {
				s.populatePool(db, allKeys)
				total += n
			}
		}
		if total == 0 {
			return nil, "", false
		}
		pool := &s.evict.pool
		for k := evpoolSize - 1; k >= 0; k-- {
			if !pool[k].valid {
				continue
			}
			cand := pool[k]
			pool[k] = evictCandidate{}
			db := s.dbs[cand.db]
			var found bool
			if allKeys {
				found = db.Keys.Ref(cand.key) != nil
			} else {
				_, found = db.Expires.Get(cand.key)
			}
			if found {
				return db, cand.key, true
			}
		}
	}
}

// populatePool is evictionPoolPopulate: sample keys of db and insert the good ones.
func (s *Server) populatePool(db *store.DB, allKeys bool) {
	samples := s.cfg.MaxMemorySamples
	if samples <= 0 {
		samples = 5
	}
	if allKeys {
		db.Keys.Sample(samples, func(key string, o store.Object) {
			s.poolInsert(db.ID, key, s.evictScore(&o, 0))
		})
		return
	}
	ttl := s.cfg.MaxMemoryPolicy == policyVolatileTTL
	db.Expires.Sample(samples, func(key string, when int64) {
		if ttl {
			s.poolInsert(db.ID, key, math.MaxUint64-uint64(when))
			return
		}
		if o, ok := db.Keys.Get(key); ok {
			s.poolInsert(db.ID, key, s.evictScore(&o, when))
		}
	})
}

// evictScore is the pool's "idle" value of o: higher is evicted first.
func (s *Server) evictScore(o *store.Object, when int64) uint64 {
	switch {
	case s.policyLFU():
		return 255 - uint64(s.lfuDecrAndReturn(o))
	case s.cfg.MaxMemoryPolicy == policyVolatileTTL:
		return math.MaxUint64 - uint64(when)
	}
	return uint64(s.objectIdleMs(o))
}

// poolInsert keeps the pool sorted by ascending idle, as Redis's insertion does.
func (s *Server) poolInsert(db int, key string, idle uint64) {
	pool := &s.evict.pool
	k := 0
	for k < evpoolSize && pool[k].valid && pool[k].idle < idle {
		k++
	}
	switch {
	case k == 0 && pool[evpoolSize-1].valid:
		return
	case k < evpoolSize && !pool[k].valid:
	case !pool[evpoolSize-1].valid:
		copy(pool[k+1:], pool[k:evpoolSize-1])
	default:
		k--
		copy(pool[:k], pool[1:k+1])
	}
	pool[k] = evictCandidate{idle: idle, key: key, db: db, valid: true}
}

// applyMaxMemory is CONFIG SET maxmemory (updateMaxmemory): a limit below the memory in
// use is reported and evicts at once, not at the next command.
func (s *Server) applyMaxMemory() {
	if s.cfg.MaxMemory == 0 {
		return
	}
	if used := s.usedMemory(); s.cfg.MaxMemory < used {
		s.log.Warn().Msgf("WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current memory usage (%d). "+
			"This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
			s.cfg.MaxMemory, used)
	}
	// startEvictionTimeProc: the evictions run after the command (from the cron), so
	// that a CONFIG SET inside MULTI evicts nothing before EXEC ends and every DEL is
	// propagated on its own, not inside the command's transaction
	s.evict.running = true
}

// evictionCron continues an eviction that hit its time limit (evictionTimeProc).
func (s *Server) evictionCron() {
	if s.cfg.MaxMemory > 0 && s.evict.running {
		s.performEvictions() // each DEL is fed on its own, never wrapped
	}
}
