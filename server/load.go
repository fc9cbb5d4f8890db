package server

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/metrics"
	"time"

	"github.com/vigil-db/vigil/rdb"
)

// loadBatch is how many keys are inserted per execution-lock acquisition while loading,
// so that PING, INFO and other loading-allowed commands keep being served.
const loadBatch = 1000

// LoadDump loads the RDB file (dir/dbfilename) if it exists. It runs after Listen: while
// it loads, INFO shows loading:1 and data commands get -LOADING. A dump that cannot be
// loaded completely (corrupt, or a key of a type Vigil does not hold) is an error: the
// server must not run with a partial data set.
func (s *Server) LoadDump() error {
	f, err := os.Open(s.dumpPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.dumpPath(), err)
	}
	defer f.Close()
	start := time.Now()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	s.mu.Lock()
	s.persist.loading, s.persist.loadTotal = true, size
	s.persist.loadRead.Store(0)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.persist.loading, s.persist.loadTotal = false, 0
		s.mu.Unlock()
	}()
	var aux [][2]string
	loaded, expired, err := s.loadRDB(&countingReader{r: f, total: &s.persist.loadRead}, loadOptions{aux: &aux})
	if err != nil {
		return fmt.Errorf("loading %s: %w", s.dumpPath(), err)
	}
	s.mu.Lock()
	s.restoreReplicationInfo(aux)
	s.persist.loadKeysLoaded, s.persist.loadKeysExpired = loaded, expired
	s.persist.lastSave = time.Now()
	s.mu.Unlock()
	s.log.Info().Int64("keys", loaded).Int64("expired", expired).Dur("took", time.Since(start)).Msg("DB loaded from disk")
	return nil
}

// loadOptions tune loadRDB.
type loadOptions struct {
	// locked: the caller holds the execution lock (DEBUG RELOAD); otherwise each batch
	// takes it, so that loading-allowed commands are served meanwhile.
	locked bool
	// merge replaces existing keys instead of failing on duplicates (DEBUG RELOAD MERGE).
	merge bool
	// aux, if set, receives the dump's AUX fields.
	aux *[][2]string
	// keepExpired keeps keys whose TTL has passed, as Redis does for an AOF base (they
	// expire after loading, once the incr files are replayed).
	keepExpired bool
}

// loadRDB decodes r into the keyspace. Keys already expired are dropped, as a master
// does; a replica keeps them and waits for its master's DEL.
func (s *Server) loadRDB(r io.Reader, opt loadOptions) (loaded, expired int64, err error) {
	defer s.proc.LoadGCPercent(loadGCPercent)()
	d := rdb.NewDecoder(r)
	d.SkipChecksum = !s.cfg.RDBChecksum
	d.ResizeHint = func(db, keys, expires int) {
		if db < 0 || db >= len(s.dbs) || keys < 0 || expires < 0 || keys > 1<<30 || expires > 1<<30 {
			return
		}
		if !opt.locked {
			s.mu.Lock()
			defer s.mu.Unlock()
		}
		s.dbs[db].Keys.Reserve(keys)
		s.dbs[db].Expires.Reserve(expires)
	}
	if err := d.Header(); err != nil {
		return 0, 0, err
	}
	batch := make([]*rdb.Entry, 0, loadBatch)
	pace, published := s.loadPace(opt.locked), int64(0)
	flush := func() error {
		if !opt.locked {
			s.mu.Lock()
			defer s.mu.Unlock()
		}
		pace, published = s.loadPacing(), d.Consumed()
		now := time.Now().UnixMilli()
		for _, e := range batch {
			if e.DB < 0 || e.DB >= len(s.dbs) {
				return fmt.Errorf("database %d out of range (databases %d)", e.DB, len(s.dbs))
			}
			db := s.dbs[e.DB]
			if e.ExpireMs >= 0 && e.ExpireMs < now && !s.isReplica() && !opt.keepExpired {
				expired++
				continue
			}
			if opt.merge {
				if _, dup := db.Keys.Get(string(e.Key)); dup {
					s.dbDelete(db, e.Key)
				}
			}
			o, err := s.entryToObject(e)
			if err != nil {
				return fmt.Errorf("key %q: %w", e.Key, err)
			}
			// e.Key was allocated by the decoder for this entry alone: the keyspace
			// takes it over without a copy.
			key := k(e.Key)
			if !s.dbAddNew(db, key, o) {
				return fmt.Errorf("duplicate key %q in database %d", e.Key, e.DB)
			}
			if e.ExpireMs >= 0 {
				db.Expires.Add(key, e.ExpireMs)
			}
			loaded++
			d.Recycle(e)
		}
		batch = batch[:0]
		return nil
	}
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return loaded, expired, err
		}
		batch = append(batch, e)
		debugDelay(pace.keyDelay)
		if len(batch) == loadBatch || pace.crossed(published, d.Consumed()) {
			if err := flush(); err != nil {
				return loaded, expired, err
			}
		}
	}
	if err := flush(); err != nil {
		return loaded, expired, err
	}
	if opt.aux != nil {
		*opt.aux = d.Aux
	}
	for _, w := range d.Warnings {
		s.log.Warn().Msg(w)
	}
	return loaded, expired, nil
}

// loadPacing is how a load is slowed down and how often it publishes what it loaded
// (lets waiting commands run): Redis's key-load-delay and
// loading-process-events-interval-bytes.
type loadPacing struct {
	keyDelay int   // µs after each key, see debugDelay
	interval int64 // bytes of the dump between two publications
}

// crossed reports whether the load went past an interval boundary since the bytes
// published, as Redis's rdbLoadProgressCallback checks processed bytes.
func (p loadPacing) crossed(published, consumed int64) bool {
	return p.interval > 0 && consumed/p.interval > published/p.interval
}

// loadPacing reads the pacing configuration; the caller holds the execution lock.
func (s *Server) loadPacing() loadPacing {
	return loadPacing{s.cfg.KeyLoadDelay, int64(s.cfg.LoadingProcessEventsIntervalBytes)}
}

// loadPace is loadPacing taking the execution lock unless locked.
func (s *Server) loadPace(locked bool) loadPacing {
	if !locked {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.loadPacing()
}

// debugDelay is Redis's debugDelay, applied after each key loaded (key-load-delay):
// sleep usec microseconds; a negative -N sleeps 1 µs once in N calls on average.
func debugDelay(usec int) {
	if usec < 0 {
		if rand.IntN(-usec) != 0 {
			return
		}
		usec = 1
	}
	if usec > 0 {
		time.Sleep(time.Duration(usec) * time.Microsecond)
	}
}

// usedMemoryEstimate is the Go heap in use (runtime/metrics), for the used-mem AUX field.
func (s *Server) usedMemoryEstimate() int64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		return int64(sample[0].Value.Uint64())
	}
	return 0
}

// loadGCPercent is the collector's target while a dataset loads. Loading only adds live
// data, so a collection mostly re-marks what the previous one marked; spacing them
// out is most of the time saved (a full sync of 1M keys ran ~8 collections). Garbage
// made meanwhile (decoder buffers) is small next to the data.
const loadGCPercent = 400
