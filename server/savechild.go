package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/config"
)

// A background save's file is written by a child process, as Redis's forked child writes
// it: the server produces the point-in-time snapshot (snapshot.go, in a goroutine, no
// fork) and pipes it to a re-executed copy of its own binary, the writer, which writes
// temp-<its pid>.rdb in the dump's directory, fsyncs it and renames it over the dump.
// So the save can be seen and handled as Redis's: the child shows in `ps` and `pgrep -P`
// under the server as redis-rdb-bgsave, killing it fails the save (INFO
// rdb_last_bgsave_status:err, the temp file removed by the server), and SHUTDOWN or a
// FLUSHALL kill it with SIGUSR1 as Redis does.
//
// The stream on the writer's stdin is framed: a 4-byte little-endian length and that many
// bytes, repeated; a zero length ends the dump, and only then does the writer rename its
// file into place. End of input without it (the server died or gave up) removes the temp
// file. The writer exits 0 when the dump is in place, 1 on an error (its message on
// stderr), and childNoErrorExit when SIGUSR1 stopped it (Redis's
// SERVER_CHILD_NOERROR_RETVAL).

// writerEnv names the environment variable that makes the binary a writer child; its
// value is the path the dump is renamed to.
const writerEnv = "VIGIL_RDB_WRITER"

// childNoErrorExit is the writer's exit status when SIGUSR1 stopped it: the server asked,
// so the save does not count as failed (Redis's SERVER_CHILD_NOERROR_RETVAL).
const childNoErrorExit = 255

// writerTitle is the child's process title (its argv[0]), as Redis's redisSetProcTitle
// names an RDB child.
const writerTitle = "redis-rdb-bgsave"

// IsSaveWriter reports whether this process was started as a background save's writer
// child; the process owner then runs RunSaveWriter instead of anything else.
func IsSaveWriter() bool { return os.Getenv(writerEnv) != "" }

// RunSaveWriter is the writer child's whole life: the framed dump from stdin to
// temp-<pid>.rdb, then renamed over the path in VIGIL_RDB_WRITER. It returns the exit
// status.
func RunSaveWriter() int {
	target := os.Getenv(writerEnv)
	tmp := filepath.Join(filepath.Dir(target), tempRDBName(os.Getpid()))
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1 // the server stops the save (SHUTDOWN, FLUSHALL): not an error
		os.Remove(tmp)
		os.Exit(childNoErrorExit)
	}()
	if err := writeFramed(os.Stdin, tmp, target); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// tempRDBName is the name Redis gives a dump being written by process pid.
func tempRDBName(pid int) string { return "temp-" + strconv.Itoa(pid) + ".rdb" }

// writeFramed copies the framed stream in to the file tmp and renames it to target once
// the closing frame arrived; on any error tmp is removed.
func writeFramed(in io.Reader, tmp, target string) error {
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w",
			filepath.Base(tmp), filepath.Dir(tmp), err)
	}
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [4]byte
	for err == nil {
		if _, err = io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("the server closed the stream before the end of the dump")
			}
			break
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n == 0 {
			err = w.Flush()
			if err == nil {
				return config.CommitFile(f, target, 0o644, nil)
			}
			break
		}
		if _, err = io.CopyN(w, r, int64(n)); errors.Is(err, io.EOF) {
			err = errors.New("the server closed the stream in the middle of a frame")
		}
	}
	return config.CommitFile(f, target, 0o644, fmt.Errorf("write error saving DB on disk: %w", err))
}

// saveChild is the server's side of a running writer child.
type saveChild struct {
	cmd    *exec.Cmd
	pid    int
	dir    string // where its temp file is
	in     io.WriteCloser
	hdr    [4]byte
	stderr limitedBuffer
	exited chan struct{} // closed once the child has exited and been reaped
	// signaled is set once the server sent the child a signal (kill)
	signaled atomic.Bool
	status   *os.ProcessState
	err      error // from Wait, when it failed without a status
}

// startSaveChild starts a writer child that will rename its file to target. title is its
// process title (its arguments, split at spaces).
func startSaveChild(target, title string) (*saveChild, error) {
	// /proc/self/exe: this very binary, even if the file was replaced since it started
	const exe = "/proc/self/exe"
	var err error
	c := &saveChild{exited: make(chan struct{}), dir: filepath.Dir(target)}
	c.cmd = &exec.Cmd{
		Path:   exe,
		Args:   strings.Fields(title),
		Env:    append(os.Environ(), writerEnv+"="+target),
		Stderr: &c.stderr,
	}
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		c.in.Close()
		return nil, err
	}
	if f, ok := c.in.(*os.File); ok {
		growPipe(f)
	}
	c.pid = c.cmd.Process.Pid
	go func() {
		err := c.cmd.Wait()
		c.status = c.cmd.ProcessState
		if c.status == nil {
			c.err = err
		}
		close(c.exited)
	}()
	return c, nil
}

// growPipe asks for a 1 MB pipe buffer (F_SETPIPE_SZ), so that the snapshot walker and
// the writer switch less often; the default 64 KB is kept if the kernel refuses.
func growPipe(f *os.File) {
	const fSetPipeSz = 1031
	if sc, err := f.SyscallConn(); err == nil {
		sc.Control(func(fd uintptr) { syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, 1<<20) })
	}
}

// Write sends p to the child as one frame.
func (c *saveChild) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		n := min(len(p), 1<<30)
		binary.LittleEndian.PutUint32(c.hdr[:], uint32(n))
		if _, err := c.in.Write(c.hdr[:]); err != nil {
			return 0, err
		}
		if _, err := c.in.Write(p[:n]); err != nil {
			return 0, err
		}
		p = p[n:]
	}
	return total, nil
}

// finish ends the child's input: with the closing frame when werr (the snapshot's
// outcome) is nil, so that the child renames its file into place, else without (it
// removes the file). It waits for the child to exit.
func (c *saveChild) finish(werr error) {
	if werr == nil {
		binary.LittleEndian.PutUint32(c.hdr[:], 0)
		c.in.Write(c.hdr[:]) // a dead child is seen in its status
	} else if c.signaled.Load() {
		// the server stopped the save with a signal: let the child end by it, not by
		// the stream cut short, which it would report as a write error
		select {
		case <-c.exited:
		case <-time.After(childSignalWait):
		}
	}
	c.in.Close()
	<-c.exited
}

// childSignalWait bounds how long a save stopped by a signal waits for the child to
// end by it before its stream is closed.
const childSignalWait = 2 * time.Second

// kill sends sig to the child unless it has exited.
func (c *saveChild) kill(sig syscall.Signal) {
	select {
	case <-c.exited:
	default:
		c.signaled.Store(true)
		c.cmd.Process.Signal(sig)
	}
}

// childOutcome is how a writer child ended, as Redis's checkChildrenDone sees it.
type childOutcome struct {
	ok       bool
	bySignal int    // the signal that ended it (SIGUSR1 for childNoErrorExit), 0 if none
	exitCode int    // when not by a signal
	msg      string // the child's error message
}

// outcome reports how the child ended; only valid after exited is closed.
func (c *saveChild) outcome() childOutcome {
	o := childOutcome{msg: strings.TrimSpace(c.stderr.String())}
	if c.status == nil {
		o.exitCode = 1
		if o.msg == "" && c.err != nil {
			o.msg = c.err.Error()
		}
		return o
	}
	ws, _ := c.status.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		o.bySignal = int(ws.Signal())
	case ws.ExitStatus() == childNoErrorExit:
		o.bySignal = int(syscall.SIGUSR1)
	default:
		o.exitCode = ws.ExitStatus()
		o.ok = o.exitCode == 0
	}
	return o
}

// removeTempRDB removes the temp file a writer child pid left in dir (Redis's
// rdbRemoveTempFile).
func removeTempRDB(dir string, pid int) {
	os.Remove(filepath.Join(dir, tempRDBName(pid)))
}

// limitedBuffer keeps the first 4 KB written to it (a child's error message).
type limitedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
