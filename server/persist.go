package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/rdb"
)

// persistState is the RDB side of INFO persistence (under the execution lock).
type persistState struct {
	lastSave         time.Time // rdb_last_save_time
	lastBgsaveOK     bool      // rdb_last_bgsave_status
	lastBgsaveTry    time.Time
	lastBgsaveSecs   int64 // rdb_last_bgsave_time_sec (-1 never)
	bgsaveStart      time.Time
	bgsaveRunning    bool
	bgsaveScheduled  bool
	saves            int64 // rdb_saves
	dirtyAtBgsave    int64
	loading          bool
	loadRead         atomic.Int64 // bytes of the dataset files read so far while loading (LoadProgress)
	loadTotal        int64        // their size, 0 when unknown
	loadKeysLoaded   int64
	loadKeysExpired  int64
	currentSaveTotal int64
	child            *saveChild // the running background save's writer child
}

// ErrBgsaveInProgress is returned when a snapshot is already being written.
var ErrBgsaveInProgress = errors.New("Background save already in progress")

// errAOFChildActive is BGSAVE's refusal while an AOF rewrite (the other snapshot user) runs.
var errAOFChildActive = errors.New("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")

// rdbAux returns the AUX fields Redis 7.0 writes.
func (s *Server) rdbAux() [][2]string {
	aux := [][2]string{
		{"redis-ver", Version},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", strconv.FormatInt(s.usedMemoryEstimate(), 10)},
	}
	aux = append(aux, s.rdbReplAux()...)
	return append(aux, [2]string{"aof-base", "0"})
}

func (s *Server) rdbOptions() rdb.Options {
	return rdb.Options{
		Compress:               s.cfg.RDBCompression,
		Checksum:               s.cfg.RDBChecksum,
		HashMaxListpackEntries: s.cfg.HashMaxListpackEntries,
		HashMaxListpackValue:   s.cfg.HashMaxListpackValue,
		ZSetMaxListpackEntries: s.cfg.ZsetMaxListpackEntries,
		ZSetMaxListpackValue:   s.cfg.ZsetMaxListpackValue,
		SetMaxIntsetEntries:    s.cfg.SetMaxIntsetEntries,
	}
}

// dumpPath is the RDB file path: dbfilename in dir (Redis's working directory).
func (s *Server) dumpPath() string { return s.cfg.Path(s.cfg.DBFilename) }

// writeFileAtomic replaces path with what write writes (config.WriteFileAtomic), as a
// new 0644 file as Redis's fopen gives it.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	return config.WriteFileAtomic(path, 0o644, write)
}

// saveLocked is SAVE: a snapshot written while holding the execution lock, in this
// process, to temp-<pid>.rdb renamed over the dump, as Redis's rdbSave. It honours
// rdb-key-save-delay (the lock is held meanwhile, as Redis's main thread is blocked).
func (s *Server) saveLocked() error {
	if s.persist.bgsaveRunning {
		return ErrBgsaveInProgress
	}
	s.nowMs = time.Now().UnixMilli()
	dirty := s.dirty
	path := s.dumpPath()
	tmp := tempRDBPath(filepath.Dir(path))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		s.log.Warn().Err(err).Msgf("Failed opening the temp RDB file %s (in server root dir %s) for saving", filepath.Base(tmp), filepath.Dir(tmp))
		return err
	}
	s.shut.tempRDB.Store(&tmp)
	err = config.CommitFile(f, path, 0o644, s.writeSnapshotLocked(f))
	s.shut.tempRDB.Store(nil)
	if err != nil {
		s.log.Warn().Err(err).Msg("Error saving DB on disk")
		return err
	}
	s.dirty -= dirty
	s.persist.lastSave = time.Now()
	s.persist.lastBgsaveOK = true
	s.persist.saves++
	s.log.Info().Msg("DB saved on disk")
	return nil
}

// writeSnapshotLocked writes the whole dataset to w without releasing the lock.
func (s *Server) writeSnapshotLocked(w io.Writer) error {
	sn, err := s.beginSnapshot(s.rdbAux(), s.rdbOptions(), w)
	if err != nil {
		return err
	}
	defer func() {
		for _, sd := range sn.dbs {
			if !s.snapHolds(sd.keys) { // an AOF rewrite's snapshot keeps its dicts frozen
				sd.keys.Freeze(false)
			}
		}
	}()
	sn.delay = s.cfg.RDBKeySaveDelay
	for sn.err == nil {
		before := sn.keys
		more := sn.step(time.Time{})
		if !more || sn.err != nil {
			break
		}
		if sn.delay != 0 {
			sn.pause(sn.keys - before)
		}
	}
	if sn.err == nil {
		sn.err = sn.enc.Finish()
	}
	return sn.err
}

// bgsave starts a background save (under the execution lock): the snapshot is walked by a
// goroutine and written by a writer child process (savechild.go), as Redis's forked child
// writes it. done, if set, is called with the result from the saving goroutine.
func (s *Server) bgsave(done func(error)) error {
	if s.persist.bgsaveRunning {
		return ErrBgsaveInProgress
	}
	if s.aof.rewriting {
		return errAOFChildActive
	}
	path := s.dumpPath() // dir and dbfilename as they are now (CONFIG SET may change them)
	start := time.Now()
	s.persist.lastBgsaveTry = start // save points retry a failed save after 5 s
	child, err := startSaveChild(path, s.procTitle(writerTitle))
	if err != nil {
		s.persist.lastBgsaveOK = false
		s.log.Warn().Msgf("Can't save in background: fork: %v", err)
		return fmt.Errorf("%w: %w", errBgsaveFork, err)
	}
	s.stats.latestForkUsec = time.Since(start).Microseconds()
	s.nowMs = time.Now().UnixMilli()
	sn, err := s.beginSnapshot(s.rdbAux(), s.rdbOptions(), nil)
	if err != nil {
		child.finish(err)
		return err
	}
	s.snap = sn
	s.persist.bgsaveRunning = true
	s.persist.child = child
	s.persist.bgsaveStart = time.Now()
	s.persist.dirtyAtBgsave = s.dirty
	s.persist.currentSaveTotal = s.totalKeys()
	s.log.Info().Msgf("Background saving started by pid %d", child.pid)
	go func() {
		go func() {
			<-child.exited
			sn.cancel() // killed: the walker stops, even in an rdb-key-save-delay pause
		}()
		release := s.proc.ExtraProc() // through the fsync too
		_, err := s.runSnapshot(sn, child)
		child.finish(err)
		release()
		s.mu.Lock()
		err = s.bgsaveDone(child, sn, err)
		s.mu.Unlock()
		if done != nil {
			done(err)
		}
	}()
	return nil
}

// errBgsaveFork is BGSAVE's error when the writer child cannot be started.
var errBgsaveFork = errors.New("fork failed")

// bgsaveDone records how a background save ended (under the lock), as Redis's
// backgroundSaveDoneHandlerDisk: success, an error, or the child ended by a signal (its
// temp file removed; SIGUSR1, the server's own request, is not counted as a failure).
func (s *Server) bgsaveDone(child *saveChild, sn *snapshot, werr error) error {
	o := child.outcome()
	current := s.persist.child == child // a shutdown may have let go of it already
	if current {
		s.persist.child = nil
		s.persist.bgsaveRunning = false
		s.persist.lastBgsaveSecs = int64(time.Since(s.persist.bgsaveStart).Seconds())
	}
	var err error
	switch {
	case o.ok && werr == nil:
		s.log.Info().Int64("keys", sn.keys).Msg("Background saving terminated with success")
		if current {
			s.dirty -= s.persist.dirtyAtBgsave
			s.persist.lastSave = time.Now()
			s.persist.lastBgsaveOK = true
			s.persist.saves++
		}
		return nil
	case o.bySignal != 0:
		err = fmt.Errorf("background saving terminated by signal %d", o.bySignal)
		s.log.Warn().Msgf("Background saving terminated by signal %d", o.bySignal)
		removeTempRDB(child.dir, child.pid)
		if current && o.bySignal != int(syscall.SIGUSR1) {
			s.persist.lastBgsaveOK = false
		}
		return err
	case werr != nil && !errors.Is(werr, errSnapshotAborted):
		err = werr
	case o.msg != "":
		err = errors.New(o.msg)
	default:
		err = fmt.Errorf("writer child exited with status %d", o.exitCode)
	}
	s.log.Warn().Err(err).Msg("Background saving error")
	if current {
		s.persist.lastBgsaveOK = false
	}
	return err
}

// killSaveChild stops a running background save as Redis's killRDBChild: SIGUSR1 to the
// writer child and its temp file removed now (the child may not get to it).
func (s *Server) killSaveChild() {
	child := s.persist.child
	if child == nil {
		return
	}
	child.kill(syscall.SIGUSR1)
	removeTempRDB(child.dir, child.pid)
	if s.snap != nil {
		s.snap.cancel()
	}
	s.persist.child = nil
	s.persist.bgsaveRunning = false
}

func (s *Server) totalKeys() int64 {
	var n int64
	for _, db := range s.dbs {
		n += int64(db.Len())
	}
	return n
}

// saveCron starts a BGSAVE when a save point is reached (serverCron's check), or a
// scheduled one.
func (s *Server) saveCron() {
	if s.persist.bgsaveRunning || s.persist.loading || s.aof.rewriting {
		return
	}
	if s.persist.bgsaveScheduled {
		s.persist.bgsaveScheduled = false
		s.bgsave(nil)
		return
	}
	now := time.Now()
	for _, sp := range s.cfg.Save {
		if s.dirty >= int64(sp.Changes) && now.Sub(s.persist.lastSave) > time.Duration(sp.Seconds)*time.Second &&
			(s.persist.lastBgsaveOK || now.Sub(s.persist.lastBgsaveTry) > 5*time.Second) {
			s.log.Info().Int("changes", sp.Changes).Int("seconds", sp.Seconds).Msg("save point reached, saving")
			s.bgsave(nil)
			return
		}
	}
}

// gateMisconf refuses writes after a failed background save, as
// stop-writes-on-bgsave-error does (only with save points configured, only on a master).
func (s *Server) gateMisconf(c *Client, cmd *Command) string {
	if !s.cfg.StopWritesOnBgsaveError || len(s.cfg.Save) == 0 || s.persist.lastBgsaveOK || s.isReplica() {
		return ""
	}
	if cmd.Flags&FlagWrite != 0 || cmd.Name == "ping" {
		return ErrMisconf
	}
	return ""
}

// gateLoading answers -LOADING to commands not allowed while the dataset loads.
func (s *Server) gateLoading(c *Client, cmd *Command) string {
	if s.persist.loading && cmd.Flags&FlagLoading == 0 {
		return ErrLoading
	}
	return ""
}

func persistCommands() []*Command {
	return []*Command{
		{Name: "save", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoMulti, Handler: cmdSave, Group: "server"},
		{Name: "bgsave", Arity: -1, Flags: FlagAdmin | FlagNoScript, Handler: cmdBgsave, Group: "server"},
		{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Handler: cmdLastsave, Group: "server"},
	}
}

func cmdSave(c *Client) {
	if err := c.srv.saveLocked(); err != nil {
		if errors.Is(err, ErrBgsaveInProgress) {
			c.err("ERR " + err.Error())
			return
		}
		c.err("ERR")
		return
	}
	c.ok()
}

func cmdBgsave(c *Client) {
	schedule := false
	if len(c.args) > 1 {
		if len(c.args) == 2 && argEqualFold(c.args[1], "schedule") {
			schedule = true
		} else {
			c.err(ErrSyntax)
			return
		}
	}
	if err := c.srv.bgsave(nil); err != nil {
		if schedule && errors.Is(err, errAOFChildActive) { // an AOF rewrite holds the snapshot
			c.srv.persist.bgsaveScheduled = true
			c.w.Simple("Background saving scheduled")
			return
		}
		c.err("ERR " + err.Error())
		return
	}
	c.w.Simple("Background saving started")
}

func cmdLastsave(c *Client) { c.w.Int(c.srv.persist.lastSave.Unix()) }

// argEqualFold compares an argument with a lower-case ASCII word.
func argEqualFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := range b {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != word[i] {
			return false
		}
	}
	return true
}
