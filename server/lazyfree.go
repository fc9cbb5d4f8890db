package server

import (
	"runtime"

	"github.com/vigil-db/vigil/store"
)

// Lazy freeing. Redis hands big values deleted by UNLINK, FLUSHDB ASYNC and the
// lazyfree-lazy-* options to a background thread (lazyfree_pending_objects while queued,
// lazyfreed_objects once freed). In Vigil the collector frees whatever nothing references,
// in the background already: dropping the value is the whole job, so nothing is ever
// pending. What remains is Redis's accounting, and making used_memory fall soon after: the
// estimated size counts as released memory, which starts a GC cycle from cron once it is
// a quarter of the live heap (refreshMemory).

// lazyfreeThreshold is LAZYFREE_THRESHOLD: values that take more allocations than this
// to free are freed in the background.
const lazyfreeThreshold = 64

// quicklistNodeElems approximates how many small elements share one quicklist node, the
// unit of a list's free effort in Redis.
const quicklistNodeElems = 128

// freeEffort is lazyfreeGetFreeEffort: about how many allocations freeing o takes.
func freeEffort(o *store.Object) int {
	switch v := o.Ptr.(type) {
	case *store.List:
		return (v.Len() + quicklistNodeElems - 1) / quicklistNodeElems
	case *store.Set:
		if !v.IsIntset() {
			return v.Len()
		}
	case *store.Hash:
		if !v.IsListpack() {
			return v.Len()
		}
	case *store.ZSet:
		if !v.IsListpack() {
			return v.Len()
		}
	}
	return 1
}

// freedValue accounts for a value DEL or UNLINK (lazy) removed: one that takes more than
// LAZYFREE_THRESHOLD allocations to free leaves used_memory at once (its estimated size)
// and counts in lazyfreed_objects when freed lazily, as Redis's freeObjAsync.
func (s *Server) freedValue(o *store.Object, lazy bool) {
	if freeEffort(o) <= lazyfreeThreshold {
		return
	}
	if lazy {
		s.stats.lazyfreed++
	}
	s.releaseMemory(valueUsage(o, defaultSamples))
}

// releaseMemory takes n bytes of dropped data out of used_memory until the next GC cycle
// measures the heap, and counts them towards starting that cycle early (refreshMemory).
func (s *Server) releaseMemory(n int64) {
	s.addFreed(n)
	s.evict.released.Add(n)
}

// flushedKeys accounts for keys FLUSHDB or FLUSHALL removed out of total. A synchronous
// flush frees the memory at once in Redis: here a GC cycle runs, so that used_memory is
// measured again without the dataset. With ASYNC each key counts in lazyfreed_objects (as
// emptyDbAsync) and the dataset's share leaves used_memory as an estimate, the collector
// running in the background.
func (s *Server) flushedKeys(removed, total int64, async bool) {
	if removed == 0 {
		return
	}
	if !async && s.evict.memSource == nil {
		runtime.GC()
		s.refreshMemory()
		return
	}
	if async {
		s.stats.lazyfreed += removed
	}
	dataset := max(s.usedMemory()-s.info.startupMem, 0)
	s.releaseMemory(dataset * removed / max(total, removed))
}
