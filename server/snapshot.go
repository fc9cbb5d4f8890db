package server

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/store"
)

// A snapshot serializes the dataset as it was at one instant (its start) while clients keep
// reading and writing: Go cannot fork, so it copies on write at bucket granularity.
//
// At the start (under the execution lock) it captures every database's dicts and freezes
// their resizing, so that a key's bucket never changes. A goroutine then walks the buckets
// in order, a batch per lock acquisition, and encodes every bucket not yet written. Before
// any mutation of a key (see preserve and its callers in keyspace.go), the key's bucket is
// encoded first if it has not been yet. So every bucket is written exactly once, with the
// content it had at the start; keys added later land in buckets either already written
// (not in the snapshot) or written before the insertion. FLUSHDB/FLUSHALL replace the
// dicts instead of clearing them, so the captured ones are left intact.
//
// The encoded bytes go to an in-memory buffer that the goroutine drains to the writer
// outside the lock: a file for BGSAVE, a socket for diskless replication.
type snapshot struct {
	dbs    []snapDB
	enc    *rdb.Encoder
	out    *snapBuffer
	lastDB int
	keys   int64 // keys written
	fill   func(e *rdb.Entry, key string, o *store.Object, expireMs int64) error
	entry  rdb.Entry // reused for every key
	err    error     // first encoding error
	warm   uintptr   // what WarmBuckets read (kept so that the reads stay)
	// delay is rdb-key-save-delay when the snapshot began (as Redis's child keeps the
	// value it forked with): a pause after each key, taken outside the execution lock.
	delay int
	abort chan struct{} // closed by cancel: a paused walker stops at once
	// allowResize ends the dicts' resize avoidance (store.AvoidResize) taken by a
	// background snapshot, as Redis's dicts avoid resizing while a child exists.
	allowResize func()
	abortOnce   sync.Once
}

// errSnapshotAborted ends a snapshot canceled while it ran (appendonly off, shutdown).
var errSnapshotAborted = errors.New("snapshot aborted")

// cancel stops the walker at its next pause (Redis kills the child at that point).
func (sn *snapshot) cancel() { sn.abortOnce.Do(func() { close(sn.abort) }) }

// pause is rdb-key-save-delay after n keys written; false when the snapshot was canceled.
func (sn *snapshot) pause(n int64) bool {
	if sn.delay < 0 {
		for ; n > 0; n-- {
			debugDelay(sn.delay)
		}
	} else if n > 0 {
		t := time.NewTimer(time.Duration(n) * time.Duration(sn.delay) * time.Microsecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-sn.abort:
			return false
		}
	}
	select {
	case <-sn.abort:
		return false
	default:
		return true
	}
}

// warmObject reads the first byte of a string value (the encoder's next miss after the
// key): see Dict.WarmBuckets.
func warmObject(o *store.Object) uintptr {
	if len(o.Str) > 0 {
		return uintptr(o.Str[0])
	}
	return 0
}

type snapDB struct {
	id      int
	keys    *store.Dict[store.Object]
	expires *store.Dict[int64]
	done    []uint64 // bit per bucket: already written
	next    int      // next bucket the walker looks at
}

// snapBuffer is the encoded stream between the encoder (under the execution lock) and
// the goroutine that writes it out. Two slices alternate, so nothing is copied twice.
type snapBuffer struct {
	mu         sync.Mutex
	cur, spare []byte
}

func (b *snapBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.cur = append(b.cur, p...)
	b.mu.Unlock()
	return len(p), nil
}

// drop lets both slices go (the snapshot ended).
func (b *snapBuffer) drop() {
	b.mu.Lock()
	b.cur, b.spare = nil, nil
	b.mu.Unlock()
}

// take returns the pending bytes and empties the buffer. The slice is valid until the
// next call of take.
func (b *snapBuffer) take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.cur
	b.cur, b.spare = b.spare[:0], out
	return out
}

// snapshotBatch is how many buckets the walker encodes at most per lock acquisition;
// snapshotSlice bounds the time it holds the lock. Between steps the walker yields, so
// that clients waiting for the lock run first: Go's mutex lets the goroutine that just
// unlocked take it again, which would starve them for milliseconds.
const (
	snapshotBatch = 256
	warmAhead     = 64 // buckets whose first entries are read ahead as a group (WarmBuckets)
	snapshotSlice = 200 * time.Microsecond
)

// beginSnapshot captures the dataset (under the execution lock) and writes the header.
// With direct set, the encoder writes straight to it (SAVE, which holds the lock for the
// whole dump); otherwise to a buffer that runSnapshot drains.
func (s *Server) beginSnapshot(aux [][2]string, opt rdb.Options, direct io.Writer) (*snapshot, error) {
	sn := &snapshot{out: &snapBuffer{}, lastDB: -1, fill: s.fillEntry, abort: make(chan struct{})}
	if direct != nil {
		sn.enc = rdb.NewEncoder(direct, opt)
	} else {
		sn.enc = rdb.NewEncoder(sn.out, opt)
		sn.delay = s.cfg.RDBKeySaveDelay
		s.stats.totalForks++ // where Redis forks a child
	}
	if err := sn.enc.Header(aux); err != nil {
		return nil, err
	}
	if direct == nil {
		sn.allowResize = store.AvoidResize()
	}
	for _, db := range s.dbs {
		if db.Keys.Len() == 0 {
			continue
		}
		db.Keys.Freeze(true)
		sn.dbs = append(sn.dbs, snapDB{
			id: db.ID, keys: db.Keys, expires: db.Expires,
			done: make([]uint64, (db.Keys.BucketCount()+63)/64),
		})
	}
	return sn, nil
}

// writeBucket encodes bucket b of sd unless already written.
func (sn *snapshot) writeBucket(sd *snapDB, b int) {
	if b < 0 || sd.done[b/64]&(1<<(b%64)) != 0 {
		return
	}
	sd.done[b/64] |= 1 << (b % 64)
	sd.keys.RangeBucket(b, func(key string, o *store.Object) {
		if sn.err != nil {
			return
		}
		if sn.lastDB != sd.id {
			// RDB loaders treat SELECTDB as stateless, so databases may interleave.
			if err := sn.enc.SelectDB(sd.id, sd.keys.Len(), sd.expires.Len()); err != nil {
				sn.err = err
				return
			}
			sn.lastDB = sd.id
		}
		exp := int64(-1)
		if sd.expires.Len() > 0 {
			if when, ok := sd.expires.Get(key); ok {
				exp = when
			}
		}
		e := &sn.entry
		if err := sn.fill(e, key, o, exp); err != nil {
			sn.err = fmt.Errorf("snapshot: key %q: %w", key, err)
			return
		}
		if err := sn.enc.Entry(e); err != nil {
			sn.err = err
			return
		}
		sn.keys++
	})
}

// preserve writes key's bucket before the key (in dict keys) is mutated. It is the only
// hook the write path needs, and costs one nil check when no snapshot runs.
func (s *Server) preserve(keys *store.Dict[store.Object], key string) {
	sn := s.snap
	if sn == nil {
		return
	}
	for i := range sn.dbs {
		if sn.dbs[i].keys == keys {
			sn.writeBucket(&sn.dbs[i], keys.BucketOf(key))
			return
		}
	}
}

// step encodes the next batch of buckets (at most snapshotBatch, or until deadline if
// it is not zero); it returns false when every bucket is written.
func (sn *snapshot) step(deadline time.Time) bool {
	budget := snapshotBatch
	if sn.delay != 0 {
		budget = 1 // one bucket, then the pause outside the lock
	}
	for i := range sn.dbs {
		sd := &sn.dbs[i]
		for sd.next < sd.keys.BucketCount() && budget > 0 {
			if budget%warmAhead == 0 {
				sn.warm += sd.keys.WarmBuckets(sd.next, min(sd.next+warmAhead, sd.keys.BucketCount()), warmObject)
			}
			sn.writeBucket(sd, sd.next)
			sd.next++
			budget--
			if budget%32 == 0 && !deadline.IsZero() && time.Now().After(deadline) {
				return true
			}
		}
		if budget == 0 {
			return true
		}
	}
	return false
}

// dropSnapshot ends sn without writing it (its output could not be opened): the dicts it
// froze and the resize avoidance it took are released as a finished snapshot's are, which
// a snapshot never run would hold for the life of the process.
func (s *Server) dropSnapshot(sn *snapshot, err error) {
	_, _ = s.runSnapshot(sn, errWriter{err}) // err is the caller's already
}

// errWriter fails every write with err.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// runSnapshot walks and writes the whole snapshot to w, holding the execution lock only
// per batch. It is called by the BGSAVE/full-sync goroutine after beginSnapshot.
func (s *Server) runSnapshot(sn *snapshot, w io.Writer) (keys int64, err error) {
	defer s.proc.ExtraProc()()
	defer func() {
		s.mu.Lock()
		for _, sd := range sn.dbs {
			// a snapshot killed with its child (SHUTDOWN that failed, FLUSHALL) may end
			// after the next one began on the same dicts: leave those frozen
			if s.snap != sn && s.snapHolds(sd.keys) {
				continue
			}
			sd.keys.Freeze(false)
		}
		if sn.allowResize != nil {
			sn.allowResize()
		}
		if s.snap == sn {
			s.snap = nil
		}
		// what it encoded with is garbage now; a GC cycle measures the heap without it
		// (a cycle during the snapshot counted its buffers and what it allocated) and
		// gives the pages back, as Redis's child exits with its memory
		sn.enc.DropScratch()
		sn.out.drop()
		s.gcInBackground()
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		before := sn.keys
		more := sn.step(time.Now().Add(snapshotSlice))
		if !more && sn.err == nil {
			sn.err = sn.enc.Finish()
		}
		encErr := sn.err
		// sn.keys is also advanced by writers' preserve, under the lock: read it here
		keys = sn.keys
		s.mu.Unlock()
		if data := sn.out.take(); len(data) > 0 {
			if _, err := w.Write(data); err != nil {
				return keys, err
			}
		}
		if encErr != nil {
			return keys, encErr
		}
		if !more {
			return keys, nil
		}
		if sn.delay != 0 && !sn.pause(keys-before) {
			return keys, errSnapshotAborted
		}
		runtime.Gosched()
	}
}
