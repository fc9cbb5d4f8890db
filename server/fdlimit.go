package server

import (
	"fmt"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
)

// reservedFDs is Redis's CONFIG_MIN_RESERVED_FDS: the descriptors kept beyond
// maxclients for the listeners, the log, RDB and AOF files and the link to our
// master, so that a full house of clients never makes a save or a sync fail.
const reservedFDs = 32

// fdLimitStep is how much each failed attempt to raise the limit lowers the
// next one (Redis's decr_step).
const fdLimitStep = 16

// nofileLimit reads and sets RLIMIT_NOFILE (the soft limit; setting changes
// both, as Redis does). Tests use a fake.
type nofileLimit interface {
	get() (uint64, error)
	set(n uint64) error
}

// processNofile is the process's own limit.
type processNofile struct{}

func (processNofile) get() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}

func (processNofile) set(n uint64) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
}

// adjustOpenFiles is Redis's adjustOpenFilesLimit: it makes room for maxclients
// clients plus reservedFDs descriptors, raising the limit if it may, else as
// close to it as allowed, and returns the maxclients that fits (lower than
// asked, with Redis's warnings, when the limit could not be raised enough). A
// limit of reservedFDs or less is an error: the server cannot start.
func adjustOpenFiles(maxclients int, lim nofileLimit, log zerolog.Logger) (int, error) {
	maxfiles := uint64(maxclients) + reservedFDs
	old, err := lim.get()
	if err != nil {
		log.Warn().Msgf("Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the max clients configuration accordingly.", config.Strerror(err))
		return 1024 - reservedFDs, nil
	}
	if old >= maxfiles {
		return maxclients, nil
	}
	best, setErr := old, error(nil)
	for try := maxfiles; try > old; try -= fdLimitStep {
		err := lim.set(try)
		if err == nil {
			best = try
			break
		}
		setErr = err
		if try < fdLimitStep {
			break
		}
	}
	if best >= maxfiles {
		log.Info().Msgf("Increased maximum number of open files to %d (it was originally set to %d).", maxfiles, old)
		return maxclients, nil
	}
	if best <= reservedFDs {
		return 0, fmt.Errorf("Your current 'ulimit -n' of %d is not enough for the server to start. Please increase your open file limit to at least %d. Exiting.", old, maxfiles)
	}
	reduced := int(best - reservedFDs)
	log.Warn().Msgf("You requested maxclients of %d requiring at least %d max file descriptors.", maxclients, maxfiles)
	log.Warn().Msgf("Server can't set maximum open files to %d because of OS error: %s.", maxfiles, config.Strerror(setErr))
	log.Warn().Msgf("Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", best, reduced)
	return reduced, nil
}

// adjustOpenFilesLimit fits maxclients to the open files limit before the
// server listens (see adjustOpenFiles): it raises RLIMIT_NOFILE when allowed,
// else lowers cfg.MaxClients. The error, Redis's text, means the server must
// not start.
func (s *Server) adjustOpenFilesLimit() error {
	n, err := adjustOpenFiles(s.cfg.MaxClients, processNofile{}, s.log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cfg.MaxClients = n
	s.mu.Unlock()
	return nil
}

// applyMaxClients is Redis's updateMaxclients for CONFIG SET maxclients: an
// error when the limit cannot hold the new value (the caller restores the old
// configuration).
func (s *Server) applyMaxClients() error {
	n, err := adjustOpenFiles(s.cfg.MaxClients, processNofile{}, s.log)
	if err == nil && n == s.cfg.MaxClients {
		return nil
	}
	s.log.Warn().Msg("Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.")
	if err != nil {
		return err
	}
	return fmt.Errorf("The operating system is not able to handle the specified number of clients, try with %d", n)
}

// acceptLogEvery bounds the "accept failed" log lines to one per interval
// (with the count of the failures meanwhile) while accept keeps failing, for
// instance without descriptors left.
const acceptLogEvery = time.Second

// acceptErrorLog rate-limits the log of accept failures.
type acceptErrorLog struct {
	last       time.Time
	suppressed int
}

// failed logs err unless a line was logged less than acceptLogEvery ago.
func (a *acceptErrorLog) failed(log zerolog.Logger, err error, now time.Time) {
	if !a.last.IsZero() && now.Sub(a.last) < acceptLogEvery {
		a.suppressed++
		return
	}
	log.Warn().Err(err).Int("suppressed", a.suppressed).Msg("accept failed")
	a.last, a.suppressed = now, 0
}
