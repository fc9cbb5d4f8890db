package server

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fsyncPolicy is appendfsync.
type fsyncPolicy int32

const (
	fsyncEverysec fsyncPolicy = iota
	fsyncAlways
	fsyncNo
)

func parseFsyncPolicy(s string) fsyncPolicy {
	switch s {
	case "always":
		return fsyncAlways
	case "no":
		return fsyncNo
	}
	return fsyncEverysec
}

// errAOFClosed is returned by a log that was closed (appendonly turned off, shutdown).
var errAOFClosed = errors.New("aof: log closed")

// aofLog is the write path of the AOF: records are serialized into buf under the
// execution lock (Feed); they reach the incr file through group commit. A client's
// goroutine, before sending the replies of a batch, waits until the log has written (and
// with appendfsync always, fsynced) everything appended up to the end of its batch
// (wait). The first waiter becomes the leader: it takes the whole buffer — every client's
// records appended so far — writes it with one write(2) and, with always, one fsync; the
// others wait on flushMu and usually find their offset already done. A background loop
// writes what no client waits for (active expiry) and does everysec's fsync.
//
// Offsets are logical: bytes ever appended to the log, across incr files.
//
// Lock order: Server.mu, then flushMu, then syncMu, then mu.
type aofLog struct {
	policy atomic.Int32 // fsyncPolicy

	mu       sync.Mutex
	buf      []byte   // serialized records not yet written (under mu)
	appended int64    // offset at the end of buf (changes under Server.mu and mu)
	file     *os.File // current incr file, nil once closed (under mu)
	size     int64    // bytes in file (under mu)
	writeErr error    // last write or fsync error, nil when the last one succeeded (under mu)

	flushMu sync.Mutex // held by the goroutine writing buf to file
	spare   []byte     // the other buffer (under flushMu)

	syncMu   sync.Mutex // held while fsyncing or switching file
	written  atomic.Int64
	synced   atomic.Int64
	lastSync atomic.Int64 // unix nanoseconds of the last fsync

	// fatal is called (once, from any goroutine) when a write fails with appendfsync always:
	// Redis exits then, since the reply to a write could not be made durable.
	fatal     func(error)
	fatalOnce sync.Once
}

func newAOFLog(f *os.File, size int64, policy fsyncPolicy, fatal func(error)) *aofLog {
	l := &aofLog{file: f, size: size, fatal: fatal}
	l.policy.Store(int32(policy))
	l.lastSync.Store(time.Now().UnixNano())
	return l
}

var (
	argSelect = []byte("SELECT")
	crlf      = []byte("\r\n")
)

// appendMultibulk appends argv in RESP multibulk form, as the AOF stores commands.
func appendMultibulk(b []byte, argv [][]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(argv)), 10)
	b = append(b, crlf...)
	for _, a := range argv {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, crlf...)
		b = append(b, a...)
		b = append(b, crlf...)
	}
	return b
}

func appendSelect(b []byte, db int) []byte {
	return appendMultibulk(b, [][]byte{argSelect, []byte(strconv.Itoa(db))})
}

// add appends serialized bytes (called under Server.mu by Feed).
func (l *aofLog) add(fill func(b []byte) []byte) {
	l.mu.Lock()
	n := len(l.buf)
	l.buf = fill(l.buf)
	l.appended += int64(len(l.buf) - n)
	l.mu.Unlock()
}

// done reports whether offset need is written (and fsynced when sync).
func (l *aofLog) done(need int64, sync bool) bool {
	if sync {
		return l.synced.Load() >= need
	}
	return l.written.Load() >= need
}

// wait returns once everything up to offset need is written, and fsynced with
// appendfsync always. It returns false when that cannot happen with appendfsync always
// (a write or fsync error): the caller must then not send the replies. With the other
// policies a failed write is retried later and the replies go out, as in Redis.
func (l *aofLog) wait(need int64) bool {
	sync := fsyncPolicy(l.policy.Load()) == fsyncAlways
	for !l.done(need, sync) {
		if err := l.flush(need, sync); err != nil {
			return !sync || err == errAOFClosed
		}
	}
	return true
}

// flush writes the buffer (and fsyncs when sync) unless need is already done.
func (l *aofLog) flush(need int64, sync bool) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	if l.done(need, sync) {
		return nil
	}
	return l.flushLocked(sync)
}

// flushLocked writes the whole buffer; the caller holds flushMu.
func (l *aofLog) flushLocked(sync bool) error {
	l.mu.Lock()
	data, end, f := l.buf, l.appended, l.file
	if f == nil {
		l.mu.Unlock()
		return errAOFClosed
	}
	size := l.size
	if len(data) > 0 {
		// swap only a non-empty buffer: with an empty one, buf would become spare while
		// spare stays spare, and the next flush would hand add the very array it writes
		l.buf = l.spare[:0]
	}
	l.mu.Unlock()
	if len(data) > 0 {
		if _, err := f.Write(data); err != nil {
			// undo a partial write so the file ends on a command boundary, and keep the
			// data for the next attempt (Redis's flushAppendOnlyFile)
			f.Truncate(size)
			l.mu.Lock()
			l.buf = append(data, l.buf...)
			l.writeErr = err
			l.mu.Unlock()
			l.spare = nil
			l.fail(err)
			return err
		}
		l.mu.Lock()
		l.size += int64(len(data))
		l.writeErr = nil
		l.mu.Unlock()
		if cap(data) <= 4<<20 { // keep the buffer unless a huge unit inflated it
			l.spare = data[:0]
		} else {
			l.spare = nil
		}
	}
	l.written.Store(end)
	if sync && l.synced.Load() < end {
		l.syncMu.Lock()
		err := f.Sync()
		l.syncMu.Unlock()
		if err != nil {
			l.mu.Lock()
			l.writeErr = err
			l.mu.Unlock()
			l.fail(err)
			return err
		}
		l.synced.Store(end)
		l.lastSync.Store(time.Now().UnixNano())
	}
	return nil
}

func (l *aofLog) fail(err error) {
	if fsyncPolicy(l.policy.Load()) == fsyncAlways && l.fatal != nil {
		// asynchronously: fatal takes the execution lock, and a holder of it may be
		// waiting for flushMu, which our caller holds
		l.fatalOnce.Do(func() { go l.fatal(err) })
	}
}

// syncBackground is everysec's fsync: it does not hold flushMu, so clients keep writing
// while the disk syncs.
func (l *aofLog) syncBackground() {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	f := l.file
	l.mu.Unlock()
	end := l.written.Load()
	if f == nil || l.synced.Load() >= end {
		return
	}
	if err := f.Sync(); err != nil {
		l.mu.Lock()
		l.writeErr = err
		l.mu.Unlock()
		return
	}
	l.synced.Store(end)
	l.lastSync.Store(time.Now().UnixNano())
}

// tick is the background work, run every aofTick: write what is pending, fsync once a
// second with everysec (every tick with always).
func (l *aofLog) tick() {
	pol := fsyncPolicy(l.policy.Load())
	l.mu.Lock()
	need := l.appended
	l.mu.Unlock()
	if err := l.flush(need, pol == fsyncAlways); err != nil {
		return
	}
	if pol == fsyncEverysec && time.Since(time.Unix(0, l.lastSync.Load())) >= time.Second {
		l.syncBackground()
	}
}

// switchFile writes and fsyncs what is pending into the current file, then makes f the
// file that receives what follows, and closes the old one (nil f closes the log). It
// returns the old file's final size.
func (l *aofLog) switchFile(f *os.File, size int64) (int64, error) {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	err := l.flushLocked(true)
	if err == errAOFClosed {
		err = nil
	}
	l.syncMu.Lock()
	l.mu.Lock()
	old, oldSize := l.file, l.size
	l.file, l.size = f, size
	if f == nil {
		l.buf = nil
	}
	l.mu.Unlock()
	l.syncMu.Unlock()
	if old != nil {
		if cerr := old.Close(); err == nil {
			err = cerr
		}
	}
	return oldSize, err
}

// status returns aof_last_write_status, aof_buffer_length and the incr file's size.
func (l *aofLog) status() (pending int, size int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buf), l.size, l.writeErr
}
