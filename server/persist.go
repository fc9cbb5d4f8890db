package server

import (
	"errors"
	"io"
	"strconv"
	"sync/atomic"
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

// saveLocked is SAVE: a snapshot written while holding the execution lock.
func (s *Server) saveLocked() error {
	if s.persist.bgsaveRunning {
		return ErrBgsaveInProgress
	}
	s.nowMs = time.Now().UnixMilli()
	dirty := s.dirty
	err := writeFileAtomic(s.dumpPath(), func(w io.Writer) error {
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
		for sn.step(time.Time{}) && sn.err == nil {
		}
		if sn.err == nil {
			sn.err = sn.enc.Finish()
		}
		return sn.err
	})
	if err != nil {
		s.log.Warn().Err(err).Msg("error saving DB on disk")
		return err
	}
	s.dirty -= dirty
	s.persist.lastSave = time.Now()
	s.persist.lastBgsaveOK = true
	s.persist.saves++
	s.log.Info().Msg("DB saved on disk")
	return nil
}

// bgsave starts a background save (under the execution lock); done, if set, is called
// with the result from the saving goroutine.
func (s *Server) bgsave(done func(error)) error {
	if s.persist.bgsaveRunning {
		return ErrBgsaveInProgress
	}
	if s.aof.rewriting {
		return errAOFChildActive
	}
	s.nowMs = time.Now().UnixMilli()
	sn, err := s.beginSnapshot(s.rdbAux(), s.rdbOptions(), nil)
	if err != nil {
		return err
	}
	s.snap = sn
	s.persist.bgsaveRunning = true
	s.persist.bgsaveStart = time.Now()
	s.persist.lastBgsaveTry = time.Now()
	s.persist.dirtyAtBgsave = s.dirty
	s.persist.currentSaveTotal = s.totalKeys()
	s.log.Info().Msg("background saving started")
	path := s.dumpPath() // dir and dbfilename as they are now (CONFIG SET may change them)
	go func() {
		release := s.proc.ExtraProc() // through the fsync too
		err := writeFileAtomic(path, func(w io.Writer) error {
			_, err := s.runSnapshot(sn, w)
			return err
		})
		release()
		s.mu.Lock()
		s.persist.bgsaveRunning = false
		s.persist.lastBgsaveSecs = int64(time.Since(s.persist.bgsaveStart).Seconds())
		s.persist.lastBgsaveOK = err == nil
		if err == nil {
			s.dirty -= s.persist.dirtyAtBgsave
			s.persist.lastSave = time.Now()
			s.persist.saves++
			s.log.Info().Int64("keys", sn.keys).Msg("background saving terminated with success")
		} else {
			s.log.Warn().Err(err).Msg("background saving error")
		}
		s.mu.Unlock()
		if done != nil {
			done(err)
		}
	}()
	return nil
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
