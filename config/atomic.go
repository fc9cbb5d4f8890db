package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFileAtomic replaces path with what write writes, so that a crash at any point
// leaves the old or the new file, never a mix: a temporary file in path's directory
// (temp-*-<base>), written, then finished by CommitFile. mode is the new file's
// permissions; 0 keeps the existing file's (0644 for a new one), as Redis's CONFIG
// REWRITE does. It is Vigil's one atomic-file writer: config files, RDB dumps, the AOF
// manifest and base.
func WriteFileAtomic(path string, mode os.FileMode, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "temp-*-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	return CommitFile(f, path, mode, write(f))
}

// CommitFile finishes f, a temporary file in path's directory written with the outcome
// err: fsync, chmod (mode as in WriteFileAtomic), close, rename over path, fsync the
// directory. On any error, err included, f is removed and path is left as it was.
func CommitFile(f *os.File, path string, mode os.FileMode, err error) error {
	tmp := f.Name()
	if mode == 0 {
		mode = 0o644
		if st, serr := os.Stat(path); serr == nil {
			mode = st.Mode().Perm()
		}
	}
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("fsync %s: %w", tmp, err)
		}
	}
	if err == nil {
		if err = f.Chmod(mode); err != nil {
			err = fmt.Errorf("chmod %s: %w", tmp, err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", tmp, cerr)
	}
	if err == nil {
		if err = os.Rename(tmp, path); err != nil {
			err = fmt.Errorf("rename to %s: %w", path, err)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("open directory of %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory of %s: %w", path, err)
	}
	return nil
}

// WritePidFile writes the process id to pidfile, resolved against dir, as Redis's
// createPidFile does after its chdir; it returns the path written ("" when no pidfile
// is configured). The caller logs a failure (Redis goes on without one) and removes the
// file when it stops.
func (s *Server) WritePidFile() (string, error) {
	if s.PidFile == "" {
		return "", nil
	}
	path := s.Path(s.PidFile)
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write pidfile %s: %w", path, err)
	}
	return path, nil
}
