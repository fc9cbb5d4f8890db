package server

import (
	"time"

	"github.com/vigil-db/vigil/store"
)

// Active expiry, after Redis 7.0's activeExpireCycle (slow cycle, run from cron), and the
// dict maintenance of databasesCron (shrinking and incremental rehashing).

const (
	expireKeysPerLoop   = 20 // ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP
	expireSlowTimePerc  = 25 // ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC
	expireAcceptStale   = 10 // ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE
	cronDBsPerCall      = 16 // CRON_DBS_PER_CALL
	rehashBudget        = time.Millisecond
	rehashStepsPerCheck = 100
)

// expireState is the state Redis keeps in activeExpireCycle's statics (under mu).
type expireState struct {
	curDB         int     // next database to test
	timelimitExit bool    // the previous cycle hit its time limit
	stalePerc     float64 // expired_stale_perc: running estimate of expired keys among sampled
	timeCapHits   int64   // expired_time_cap_reached_count
	resizeDB      int     // next database to resize
	rehashDB      int     // next database to rehash
	batch         []string
	replicaKeys   map[replicaKey]struct{} // keys with a TTL written on a writable replica
}

// databasesCron runs the active expiry cycle, then resizes and incrementally rehashes the
// databases' dicts, each step bounded.
func (s *Server) databasesCron() {
	s.refreshMemory()
	s.evictionCron()
	if !s.isReplica() && s.activeExpireEnabled {
		s.activeExpireCycle()
	}
	s.expireReplicaKeys()
	if !s.persist.loading {
		// Redis runs no databasesCron while loading; shrinking here would undo the
		// RESIZEDB reservation of the dict being filled (it is <10% full at first).
		s.resizeAndRehash()
	}
}

// activeExpireCycle samples keys with a TTL in every database and deletes the expired ones,
// repeating on a database while more than 10% of a sample was expired, within 25% of a
// cron period (both scaled by active-expire-effort).
func (s *Server) activeExpireCycle() {
	if s.expiryPaused() {
		return
	}
	effort := s.cfg.ActiveExpireEffort - 1
	if effort < 0 {
		effort = 0
	}
	perLoop := expireKeysPerLoop + expireKeysPerLoop/4*effort
	timePerc := expireSlowTimePerc + 2*effort
	acceptStale := expireAcceptStale - effort
	hz := s.cfg.Hz
	if hz <= 0 {
		hz = 10
	}
	limit := time.Duration(timePerc) * time.Second / time.Duration(hz) / 100
	if limit <= 0 {
		limit = time.Microsecond
	}

	dbsPerCall := cronDBsPerCall
	if dbsPerCall > len(s.dbs) || s.expire.timelimitExit {
		dbsPerCall = len(s.dbs)
	}
	s.expire.timelimitExit = false
	start := time.Now()
	var totalSampled, totalExpired int64
	iteration := 0
	for j := 0; j < dbsPerCall && !s.expire.timelimitExit; j++ {
		db := s.dbs[s.expire.curDB%len(s.dbs)]
		s.expire.curDB++
		for {
			iteration++
			n := db.Expires.Len()
			if n == 0 {
				break
			}
			// a table less than 1% full makes sampling too expensive: wait for the resize
			if slots := db.Expires.Buckets(); slots > 4 && n*100/slots < 1 {
				break
			}
			sampled, expired := s.expireSample(db, min(n, perLoop))
			totalSampled += int64(sampled)
			totalExpired += int64(expired)
			if iteration&0xf == 0 && time.Since(start) > limit {
				s.expire.timelimitExit = true
				s.expire.timeCapHits++
				break
			}
			if sampled != 0 && expired*100/sampled <= acceptStale {
				break
			}
		}
	}
	current := 0.0
	if totalSampled > 0 {
		current = float64(totalExpired) / float64(totalSampled)
	}
	s.expire.stalePerc = current*0.05 + s.expire.stalePerc*0.95
}

// expireSample takes up to n keys with a TTL from db and deletes the expired ones.
func (s *Server) expireSample(db *store.DB, n int) (sampled, expired int) {
	batch := s.expire.batch[:0]
	db.Expires.Sample(n, func(key string, when int64) {
		if when <= s.nowMs {
			batch = append(batch, key)
		}
		sampled++
	})
	for _, key := range batch {
		if s.keyIsExpired(db, key) {
			s.deleteExpiredKey(db, key)
			expired++
		}
	}
	clear(batch)
	s.expire.batch = batch[:0]
	return sampled, expired
}

// resizeAndRehash is the dict part of databasesCron: shrink sparse tables of up to 16
// databases, then spend up to 1ms rehashing one database's tables.
func (s *Server) resizeAndRehash() {
	n := min(cronDBsPerCall, len(s.dbs))
	for range n {
		db := s.dbs[s.expire.resizeDB%len(s.dbs)]
		s.expire.resizeDB++
		db.Keys.ShrinkIfNeeded()
		db.Expires.ShrinkIfNeeded()
	}
	for range n {
		db := s.dbs[s.expire.rehashDB%len(s.dbs)]
		s.expire.rehashDB++
		if rehashFor(db.Keys, rehashBudget) || rehashFor(db.Expires, rehashBudget) {
			return // Redis rehashes one database per call
		}
	}
}

// rehashFor runs rehash steps on d for at most budget; it reports whether any work was done.
func rehashFor[V any](d *store.Dict[V], budget time.Duration) bool {
	if !d.RehashSteps(rehashStepsPerCheck) {
		return false
	}
	start := time.Now()
	for time.Since(start) < budget && d.RehashSteps(rehashStepsPerCheck) {
	}
	return true
}
