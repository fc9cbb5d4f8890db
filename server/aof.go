package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vigil-db/vigil/rdb"
	"github.com/vigil-db/vigil/store"
)

// The append-only file (Redis 7.0's multi-part AOF, see aof_manifest.go).
//
// Every write reaches the AOF through the propagation hook: aofFeeder.Feed serializes the
// records of an execution unit into the log's buffer (aof_log.go) under the execution
// lock, inserting SELECT when the database changes. Replies wait for the log (group
// commit, see aofTicket) before they are sent.
//
// BGREWRITEAOF switches writes to a new incr file, then writes a new base from a
// point-in-time snapshot (snapshot.go) in a goroutine, and finally installs it: the
// manifest then lists the new base and the new incr file; the older files become history
// and are deleted.

// aofStatus is Redis's aof_state.
type aofStatus int

const (
	aofOff         aofStatus = iota
	aofWaitRewrite           // turned on at runtime: on once the first rewrite is done
	aofOn
)

// aofTick is the period of the background write/fsync loop.
const aofTick = 100 * time.Millisecond

// aofState is the AOF side of the server (under the execution lock).
type aofState struct {
	status     aofStatus
	manifest   *aofManifest // nil until loaded or created
	log        *aofLog      // the open incr file; nil when off
	selectedDB int          // database of the last record written, -1 forces a SELECT
	registered bool         // aofFeeder added to the propagators
	stopLoop   chan struct{}

	rewriting       bool
	rewriteMode     aofStatus // status when the running rewrite started
	rewriteCanceled bool      // appendonly was turned off while it ran
	rewriteStart    time.Time
	scheduled       bool  // aof_rewrite_scheduled
	lastRewriteSecs int64 // aof_last_rewrite_time_sec, -1 never
	lastRewriteOK   bool
	rewrites        int64 // aof_rewrites
	failures        int64 // aof_rewrites_consecutive_failures
	baseSize        int64 // aof_base_size
	prevIncrSize    int64 // bytes in the incr files before the current one
	rewriteBase     int64 // aof_rewrite_base_size: total size after the last rewrite
}

func newAOFState() aofState {
	return aofState{selectedDB: -1, lastRewriteSecs: -1, lastRewriteOK: true}
}

// Errors of the rewrite start that BGREWRITEAOF turns into replies.
var (
	errAOFRewriteRunning   = errors.New("aof: rewrite already in progress")
	errAOFRewriteScheduled = errors.New("aof: rewrite scheduled")
)

func (s *Server) aofPath(name string) string { return filepath.Join(s.aofDir(), name) }

// aofDir is the AOF directory (appenddirname) resolved against dir.
func (s *Server) aofDir() string { return s.cfg.Path(s.cfg.AppendDirname) }

// aofFeeder is the AOF's Propagator.
type aofFeeder struct{ s *Server }

// Feed implements Propagator (under the execution lock).
func (p aofFeeder) Feed(recs []Record) { p.s.aofFeed(recs) }

// aofReplOnly reports records that Redis sends to replicas only (PUBLISH, SPUBLISH).
func aofReplOnly(argv [][]byte) bool {
	return len(argv) > 0 && (argEqualFold(argv[0], "publish") || argEqualFold(argv[0], "spublish"))
}

func (s *Server) aofFeed(recs []Record) {
	a := &s.aof
	if a.log == nil {
		return
	}
	if len(recs) > 1 { // MULTI ... EXEC: drop it whole if only replica-only records remain
		kept := 0
		for _, r := range recs[1 : len(recs)-1] {
			if !aofReplOnly(r.Argv) {
				kept++
			}
		}
		if kept == 0 {
			return
		}
	}
	a.log.add(func(b []byte) []byte {
		for _, r := range recs {
			if aofReplOnly(r.Argv) {
				continue
			}
			if r.DB != a.selectedDB {
				b = appendSelect(b, r.DB)
				a.selectedDB = r.DB
			}
			b = appendMultibulk(b, r.Argv)
		}
		return b
	})
}

// aofTicket is what a client's replies depend on: the log offset at the end of its batch.
type aofTicket struct {
	log *aofLog
	off int64
}

// aofTicket returns the ticket for the current state (under the execution lock).
// Every batch waits, not only writes: a read may show a write not yet durable.
func (s *Server) aofTicket() aofTicket {
	if s.aof.log == nil {
		return aofTicket{}
	}
	return aofTicket{log: s.aof.log, off: s.aof.log.appended}
}

// wait blocks until the ticket's offset is written (fsynced with appendfsync always);
// false means the replies must not be sent. Called without the execution lock.
func (t aofTicket) wait() bool {
	if t.log == nil {
		return true
	}
	return t.log.wait(t.off)
}

// aofStartLog makes f the incr file the AOF writes to and starts the background loop.
func (s *Server) aofStartLog(f *os.File, size int64) {
	a := &s.aof
	a.log = newAOFLog(f, size, parseFsyncPolicy(s.cfg.AppendFsync), func(err error) {
		s.log.Error().Err(err).Msg("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
		s.Fail(err)
	})
	a.selectedDB = -1
	if !a.registered {
		s.propagator = append(s.propagator, aofFeeder{s})
		a.registered = true
	}
	stop := make(chan struct{})
	a.stopLoop = stop
	go aofLoop(a.log, stop, s.done)
}

func aofLoop(l *aofLog, stop, done <-chan struct{}) {
	t := time.NewTicker(aofTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-done:
			return
		case <-t.C:
			l.tick()
		}
	}
}

// aofStopLog writes, fsyncs and closes the incr file (under the execution lock).
func (s *Server) aofStopLog() error {
	a := &s.aof
	if a.log == nil {
		return nil
	}
	close(a.stopLoop)
	_, err := a.log.switchFile(nil, 0)
	a.log = nil
	return err
}

// openIncr creates (truncating) an incr file for appending.
func openIncr(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
}

// persistManifest writes m atomically (temp file, fsync, rename, directory fsync).
func (s *Server) persistManifest(m *aofManifest) error {
	return writeFileAtomic(s.aofPath(s.cfg.AppendFilename+".manifest"), func(w io.Writer) error {
		_, err := w.Write(m.format())
		return err
	})
}

// aofManifestOrEmpty returns the manifest in use, or the one on disk, or an empty one.
func (s *Server) aofManifestOrEmpty() (*aofManifest, error) {
	if s.aof.manifest != nil {
		return s.aof.manifest, nil
	}
	f, err := os.Open(s.aofPath(s.cfg.AppendFilename + ".manifest"))
	if errors.Is(err, os.ErrNotExist) {
		return &aofManifest{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseAOFManifest(f)
}

// aofBaseAux are the AUX fields of an RDB base file.
func (s *Server) aofBaseAux() [][2]string {
	aux := s.rdbAux()
	aux[len(aux)-1] = [2]string{"aof-base", "1"}
	return aux
}

// aofRewriteStart is rewriteAppendOnlyFileBackground (under the execution lock).
func (s *Server) aofRewriteStart() error {
	a := &s.aof
	if a.rewriting {
		return errAOFRewriteRunning
	}
	if s.persist.bgsaveRunning {
		a.scheduled = true
		return errAOFRewriteScheduled
	}
	if err := os.MkdirAll(s.aofDir(), 0o755); err != nil {
		return err
	}
	m, err := s.aofManifestOrEmpty()
	if err != nil {
		return err
	}
	s.nowMs = time.Now().UnixMilli()
	switch a.status {
	case aofOn:
		// writes from now on go to a new incr file, listed at once so that a crash
		// during the rewrite still loads everything
		next := m.clone()
		name := next.newIncr(s.cfg.AppendFilename)
		f, err := openIncr(s.aofPath(name))
		if err != nil {
			return err
		}
		if err := s.persistManifest(next); err != nil {
			f.Close()
			os.Remove(s.aofPath(name))
			return err
		}
		size, err := a.log.switchFile(f, 0)
		if err != nil {
			s.log.Warn().Err(err).Msg("error writing the AOF before switching incr file")
		}
		a.prevIncrSize += size
		a.selectedDB = -1
		m = next
		s.log.Info().Msgf("Creating AOF incr file %s on background rewrite", name)
	case aofWaitRewrite:
		// turning on: collect writes in a temporary incr file until the base exists
		name := "temp-" + s.cfg.AppendFilename + ".incr"
		f, err := openIncr(s.aofPath(name))
		if err != nil {
			return err
		}
		s.aofStartLog(f, 0)
		s.log.Info().Msgf("Creating AOF incr file %s on background rewrite", name)
	}
	a.manifest = m
	sn, err := s.beginSnapshot(s.aofBaseAux(), s.rdbOptions(), nil)
	if err != nil {
		return err
	}
	s.snap = sn
	a.rewriting, a.rewriteMode, a.rewriteCanceled = true, a.status, false
	a.rewriteStart = time.Now()
	tmp := s.aofPath(fmt.Sprintf("temp-rewriteaof-bg-%d.aof", os.Getpid()))
	rdbFormat := s.cfg.AOFUseRDBPreamble
	s.log.Info().Msg("Background append only file rewriting started")
	go func() {
		release := s.proc.ExtraProc() // through the fsync too
		err := s.writeAOFBase(sn, tmp, rdbFormat)
		release()
		s.mu.Lock()
		s.aofRewriteDone(tmp, rdbFormat, err)
		s.mu.Unlock()
	}()
	return nil
}

// writeAOFBase writes the snapshot to path as an RDB file, or as commands when rdbFormat
// is false (converted from a temporary RDB file).
func (s *Server) writeAOFBase(sn *snapshot, path string, rdbFormat bool) error {
	target := path
	if !rdbFormat {
		target = path + ".rdb"
		defer os.Remove(target)
	}
	ran := false
	if err := writeFileSynced(target, func(w io.Writer) error {
		ran = true
		_, err := s.runSnapshot(sn, w)
		return err
	}); err != nil {
		if !ran { // the file could not be created
			s.dropSnapshot(sn, err)
		}
		return err
	}
	if rdbFormat {
		return nil
	}
	in, err := os.Open(target)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFileSynced(path, func(w io.Writer) error { return rdbToAOF(in, w) })
}

// writeFileSynced creates path with write's output and fsyncs it.
func writeFileSynced(path string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// aofRewriteDone is backgroundRewriteDoneHandler (under the execution lock).
func (s *Server) aofRewriteDone(tmp string, rdbFormat bool, err error) {
	a := &s.aof
	a.rewriting = false
	a.lastRewriteSecs = int64(time.Since(a.rewriteStart).Seconds())
	if err == nil && a.rewriteCanceled {
		err = errors.New("rewrite canceled: appendonly turned off")
	}
	if err == nil {
		err = s.aofInstall(tmp, rdbFormat)
	}
	if err != nil {
		os.Remove(tmp)
		a.lastRewriteOK = false
		a.failures++
		s.log.Warn().Err(err).Msg("Background AOF rewrite failed")
		if a.rewriteMode == aofWaitRewrite && a.status == aofWaitRewrite {
			// Redis retries; Vigil gives up turning the AOF on and says so
			s.aofStopLog()
			os.Remove(s.aofPath("temp-" + s.cfg.AppendFilename + ".incr"))
			a.status = aofOff
			s.log.Warn().Msg("AOF could not be turned on: appendonly is off")
		}
		return
	}
	a.lastRewriteOK = true
	a.failures = 0
	a.rewrites++
	s.log.Info().Msg("Background AOF rewrite finished successfully")
}

// aofInstall renames the new base into place and writes the manifest that lists it.
func (s *Server) aofInstall(tmp string, rdbFormat bool) error {
	a := &s.aof
	m, err := s.aofManifestOrEmpty()
	if err != nil {
		return err
	}
	m = m.clone()
	keep := 0
	if a.rewriteMode == aofOn {
		keep = 1 // the incr file opened when the rewrite started
	}
	base := m.installBase(s.cfg.AppendFilename, rdbFormat, keep)
	if err := os.Rename(tmp, s.aofPath(base)); err != nil {
		return err
	}
	s.log.Info().Msgf("Successfully renamed the temporary AOF base file %s into %s", filepath.Base(tmp), base)
	if a.rewriteMode == aofWaitRewrite {
		name := m.newIncr(s.cfg.AppendFilename)
		tmpIncr := "temp-" + s.cfg.AppendFilename + ".incr"
		if err := os.Rename(s.aofPath(tmpIncr), s.aofPath(name)); err != nil {
			return err
		}
		s.log.Info().Msgf("Successfully renamed the temporary AOF incr file %s into %s", tmpIncr, name)
	}
	if err := s.persistManifest(m); err != nil {
		return err
	}
	a.manifest = m
	if a.status == aofWaitRewrite && a.rewriteMode == aofWaitRewrite {
		a.status = aofOn
	}
	if st, err := os.Stat(s.aofPath(base)); err == nil {
		a.baseSize = st.Size()
	}
	a.prevIncrSize = 0
	a.rewriteBase = a.currentSize()
	s.aofDeleteHistory()
	return nil
}

// aofDeleteHistory removes the history files and writes the manifest without them.
func (s *Server) aofDeleteHistory() {
	m := s.aof.manifest
	if m == nil || len(m.History) == 0 || s.cfg.AOFDisableAutoGC {
		return
	}
	for _, h := range m.History {
		s.log.Info().Msgf("Removing the history file %s in the background", h.Name)
		if err := os.Remove(s.aofPath(h.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn().Err(err).Str("file", h.Name).Msg("can't remove AOF history file")
		}
	}
	next := m.clone()
	next.History = nil
	if err := s.persistManifest(next); err != nil {
		s.log.Warn().Err(err).Msg("can't persist the AOF manifest after deleting history files")
		return
	}
	s.aof.manifest = next
}

// currentSize is aof_current_size: the base plus every incr file.
func (a *aofState) currentSize() int64 {
	n := a.baseSize + a.prevIncrSize
	if a.log != nil {
		_, size, _ := a.log.status()
		n += size
	}
	return n
}

// aofEnable is CONFIG SET appendonly yes (startAppendOnly).
func (s *Server) aofEnable() error {
	a := &s.aof
	if a.status != aofOff {
		return nil
	}
	a.status = aofWaitRewrite
	if a.rewriting || s.persist.bgsaveRunning {
		a.scheduled = true
		s.log.Warn().Msg("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
		return nil
	}
	if s.inExec { // the rewrite starts after the transaction, from the cron
		a.scheduled = true
		s.log.Warn().Msg("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
		return nil
	}
	if err := s.aofRewriteStart(); err != nil {
		a.status = aofOff
		s.log.Warn().Err(err).Msg("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation")
		return errors.New("Unable to turn on AOF. Check server logs.")
	}
	return nil
}

// aofDisable is CONFIG SET appendonly no (stopAppendOnly).
func (s *Server) aofDisable() error {
	a := &s.aof
	if a.status == aofOff {
		return nil
	}
	if a.rewriting {
		// Redis's killAppendOnlyChild wording; the rewrite runs in this process here
		s.log.Info().Msgf("Killing running AOF rewrite child: %d", os.Getpid())
		a.rewriteCanceled = true
		if s.snap != nil {
			s.snap.cancel()
		}
	}
	if a.status == aofWaitRewrite {
		defer os.Remove(s.aofPath("temp-" + s.cfg.AppendFilename + ".incr"))
	}
	a.status = aofOff
	a.scheduled = false
	if err := s.aofStopLog(); err != nil {
		s.log.Warn().Err(err).Msg("error flushing the AOF when turning it off")
	}
	return nil
}

// aofShutdown writes and fsyncs the AOF before exiting.
func (s *Server) aofShutdown() {
	if s.aof.log == nil {
		return
	}
	s.log.Info().Msg("Calling fsync() on the AOF file.")
	if err := s.aofStopLog(); err != nil {
		s.log.Warn().Err(err).Msg("error writing the AOF at shutdown")
	}
}

// aofCron starts a scheduled rewrite, or an automatic one on growth
// (auto-aof-rewrite-percentage / auto-aof-rewrite-min-size).
func (s *Server) aofCron() {
	a := &s.aof
	if s.persist.loading || a.rewriting || s.persist.bgsaveRunning {
		return
	}
	if a.scheduled {
		a.scheduled = false
		if err := s.aofRewriteStart(); err != nil && err != errAOFRewriteScheduled {
			s.log.Warn().Err(err).Msg("scheduled AOF rewrite failed to start")
		}
		return
	}
	perc := int64(s.cfg.AutoAOFRewritePercentage)
	if a.status != aofOn || perc <= 0 {
		return
	}
	size := a.currentSize()
	if size < s.cfg.AutoAOFRewriteMinSize {
		return
	}
	base := a.rewriteBase
	if base <= 0 {
		base = 1
	}
	if growth := size*100/base - 100; growth >= perc {
		s.log.Info().Msgf("Starting automatic rewriting of AOF on %d%% growth", growth)
		if err := s.aofRewriteStart(); err != nil {
			s.log.Warn().Err(err).Msg("automatic AOF rewrite failed to start")
		}
	}
}

// aofInfo returns the AOF fields of INFO persistence in Redis 7.0's order: they follow
// rdb_last_load_keys_loaded (the loading_* fields are the INFO owner's). The last six
// appear only while the AOF is on, as in Redis.
func (s *Server) aofInfo() [][2]string {
	return aofInfoFields(s.aofStats(time.Now()))
}

// aofStats gathers the AOF part of INFO persistence (under the execution lock).
func (s *Server) aofStats(now time.Time) StatsAOF {
	a := &s.aof
	st := StatsAOF{Enabled: a.status != aofOff, RewriteInProgress: a.rewriting, RewriteScheduled: a.scheduled,
		LastRewriteSecs: a.lastRewriteSecs, CurrentRewriteSecs: -1, LastRewriteOK: a.lastRewriteOK,
		Rewrites: a.rewrites, ConsecutiveFailures: a.failures, LastWriteOK: true, BaseSize: a.baseSize}
	if a.rewriting {
		st.CurrentRewriteSecs = int64(now.Sub(a.rewriteStart).Seconds())
	}
	if a.log != nil {
		n, _, err := a.log.status()
		st.LastWriteOK, st.BufferLength = err == nil, n
	}
	if st.Enabled {
		st.CurrentSize = a.currentSize()
	}
	return st
}

// aofInfoFields renders st as INFO's fields.
func aofInfoFields(st StatsAOF) [][2]string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	out := [][2]string{
		{"aof_enabled", b(st.Enabled)},
		{"aof_rewrite_in_progress", b(st.RewriteInProgress)},
		{"aof_rewrite_scheduled", b(st.RewriteScheduled)},
		{"aof_last_rewrite_time_sec", strconv.FormatInt(st.LastRewriteSecs, 10)},
		{"aof_current_rewrite_time_sec", strconv.FormatInt(st.CurrentRewriteSecs, 10)},
		{"aof_last_bgrewrite_status", status(st.LastRewriteOK)},
		{"aof_rewrites", strconv.FormatInt(st.Rewrites, 10)},
		{"aof_rewrites_consecutive_failures", strconv.FormatInt(st.ConsecutiveFailures, 10)},
		{"aof_last_write_status", status(st.LastWriteOK)},
		{"aof_last_cow_size", "0"},
		{"module_fork_in_progress", "0"},
		{"module_fork_last_cow_size", "0"},
	}
	if st.Enabled {
		out = append(out,
			[2]string{"aof_current_size", strconv.FormatInt(st.CurrentSize, 10)},
			[2]string{"aof_base_size", strconv.FormatInt(st.BaseSize, 10)},
			[2]string{"aof_pending_rewrite", b(st.RewriteScheduled)},
			[2]string{"aof_buffer_length", strconv.Itoa(st.BufferLength)},
			[2]string{"aof_pending_bio_fsync", "0"},
			[2]string{"aof_delayed_fsync", "0"},
		)
	}
	return out
}

// snapHolds reports whether the running background snapshot froze d, so that SAVE (which
// freezes and unfreezes the dicts itself) leaves it frozen.
func (s *Server) snapHolds(d *store.Dict[store.Object]) bool {
	if s.snap == nil {
		return false
	}
	for _, sd := range s.snap.dbs {
		if sd.keys == d {
			return true
		}
	}
	return false
}

func aofCommands() []*Command {
	return []*Command{
		{Name: "bgrewriteaof", Arity: 1, Flags: FlagAdmin | FlagNoScript, Handler: cmdBgrewriteaof, Group: "server"},
	}
}

func cmdBgrewriteaof(c *Client) {
	s := c.srv
	if s.aof.rewriting {
		c.err(ErrAOFRewriteRunning)
		return
	}
	if c.has(ClientDenyBlocking) { // inside EXEC: Redis schedules it
		s.aof.scheduled = true
		c.w.Simple("Background append only file rewriting scheduled")
		return
	}
	switch err := s.aofRewriteStart(); {
	case err == nil:
		c.w.Simple("Background append only file rewriting started")
	case errors.Is(err, errAOFRewriteScheduled):
		c.w.Simple("Background append only file rewriting scheduled")
	default:
		s.log.Warn().Err(err).Msg("can't rewrite append only file in background")
		c.err(ErrAOFRewriteFailed)
	}
}

// rdbToAOF converts an RDB stream into the commands that rebuild it, as Redis's
// rewriteAppendOnlyFileRio writes an AOF base (at most 64 items per command).
func rdbToAOF(r io.Reader, w io.Writer) error {
	d := rdb.NewDecoder(r)
	if err := d.Header(); err != nil {
		return err
	}
	const perCmd = 64
	var b []byte
	db := -1
	for {
		e, err := d.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		b = b[:0]
		if e.DB != db {
			b = appendSelect(b, e.DB)
			db = e.DB
		}
		chunks := func(cmd string, items [][]byte, step int) {
			for i := 0; i < len(items); i += perCmd * step {
				end := min(len(items), i+perCmd*step)
				argv := append([][]byte{[]byte(cmd), e.Key}, items[i:end]...)
				b = appendMultibulk(b, argv)
			}
		}
		switch e.Kind {
		case rdb.KindString:
			b = appendMultibulk(b, [][]byte{[]byte("SET"), e.Key, e.Str})
		case rdb.KindList:
			chunks("RPUSH", e.Elems, 1)
		case rdb.KindSet:
			chunks("SADD", e.Elems, 1)
		case rdb.KindHash:
			chunks("HMSET", e.Pairs, 2)
		default:
			items := make([][]byte, 0, 2*len(e.ZSet))
			for _, z := range e.ZSet {
				items = append(items, strconv.AppendFloat(nil, z.Score, 'g', -1, 64), z.Member)
			}
			chunks("ZADD", items, 2)
		}
		if e.ExpireMs >= 0 {
			b = appendMultibulk(b, [][]byte{[]byte("PEXPIREAT"), e.Key, []byte(strconv.FormatInt(e.ExpireMs, 10))})
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
}

// aofApplyConfig reacts to CONFIG SET appendonly / appendfsync.
func (s *Server) aofApplyConfig() error {
	if s.aof.log != nil {
		s.aof.log.policy.Store(int32(parseFsyncPolicy(s.cfg.AppendFsync)))
	}
	if s.cfg.AppendOnly {
		return s.aofEnable()
	}
	return s.aofDisable()
}
