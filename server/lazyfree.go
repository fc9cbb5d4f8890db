package server

import "github.com/vigil-db/vigil/store"

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

// lazyFreeObject is freeObjAsync for a value just removed from the keyspace: a value worth
// freeing in the background counts in lazyfreed_objects and as released memory.
func (s *Server) lazyFreeObject(o *store.Object) {
	if freeEffort(o) <= lazyfreeThreshold {
		return
	}
	s.stats.lazyfreed++
	s.evict.released.Add(valueUsage(o, defaultSamples))
}

// lazyFreeDatabase is emptyDbAsync's accounting for keys removed by FLUSHDB or FLUSHALL
// ASYNC: each counts in lazyfreed_objects, and the dataset's share of the heap is released.
func (s *Server) lazyFreeDatabase(keys int64) {
	if keys == 0 {
		return
	}
	s.stats.lazyfreed += keys
	s.evict.released.Add(max(s.usedMemory()-s.info.startupMem, 0))
}
