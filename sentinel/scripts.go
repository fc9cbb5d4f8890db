package sentinel

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Script limits of Redis Sentinel (spec §5.10).
const (
	maxRunningScripts = 16
	maxQueuedScripts  = 256
	maxScriptRetries  = 10
)

// job is one pending or running script (sentinelScriptJob).
type job struct {
	argv     []string
	running  bool
	retry    int // attempts so far
	startAt  time.Time
	runAfter time.Time
	cmd      *exec.Cmd
	killed   bool
}

// scriptResult is a finished script, sent to the loop by its waiter goroutine.
type scriptResult struct {
	j      *job
	exit   int
	signal int
	err    error
}

// scripts is the script queue. Only the loop goroutine touches it, except the
// per-script waiter goroutines that only send on done.
type scripts struct {
	log   zerolog.Logger
	now   func() time.Time
	queue []*job
	done  chan scriptResult
	// onEvent reports -script-error / -script-timeout (set by the Sentinel).
	onEvent func(name, msg string)
	// maxRuntime and retryDelay are SENTINEL DEBUG's script-max-runtime and script-retry-delay.
	maxRuntime, retryDelay time.Duration
	// dir is the sentinel's dir: scripts run there and relative script paths resolve
	// against it, as after Redis's chdir; "" = the process's working directory.
	dir string
}

func newScripts(log zerolog.Logger, now func() time.Time) *scripts {
	return &scripts{log: log, now: now, done: make(chan scriptResult, maxRunningScripts),
		onEvent: func(string, string) {}, maxRuntime: 60 * time.Second, retryDelay: 30 * time.Second}
}

// schedule queues a script (sentinelScheduleScriptExecution): when the queue is
// full, the oldest job that is not running is dropped.
func (sc *scripts) schedule(argv []string, now time.Time) {
	sc.queue = append(sc.queue, &job{argv: argv, runAfter: now})
	if len(sc.queue) <= maxQueuedScripts {
		return
	}
	for i, j := range sc.queue {
		if !j.running {
			sc.queue = append(sc.queue[:i], sc.queue[i+1:]...)
			return
		}
	}
}

func (sc *scripts) running() int {
	n := 0
	for _, j := range sc.queue {
		if j.running {
			n++
		}
	}
	return n
}

// run starts due jobs (≤ 16 running) and kills those over the maximum runtime.
func (sc *scripts) run(now time.Time) {
	for _, j := range sc.queue {
		if j.running && !j.killed && now.Sub(j.startAt) > sc.maxRuntime {
			j.killed = true
			_ = j.cmd.Process.Kill()
			sc.onEvent("-script-timeout", j.argv[0]+" "+itoa(j.cmd.Process.Pid))
		}
	}
	for _, j := range sc.queue {
		if sc.running() >= maxRunningScripts {
			return
		}
		if j.running || now.Before(j.runAfter) {
			continue
		}
		sc.start(j, now)
	}
}

// start runs the script directly (no shell), with the sentinel's environment.
// Like Redis's fork+exec, the script writes to the sentinel's own stdout and
// stderr; os/exec passes no other descriptor of ours (stdin is /dev/null).
func (sc *scripts) start(j *job, now time.Time) {
	j.retry++
	path := j.argv[0]
	if sc.dir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(sc.dir, path) // execve(2) does not search PATH either
	}
	j.cmd = exec.Command(path, j.argv[1:]...)
	j.cmd.Args[0], j.cmd.Dir = j.argv[0], sc.dir
	j.cmd.Stdout, j.cmd.Stderr = os.Stdout, os.Stderr
	if err := j.cmd.Start(); err != nil {
		// os/exec reports a failed execve here; Redis's child then exits
		// with 2 (not retried): "-script-error <path> 0 2".
		sc.log.Warn().Err(err).Str("script", j.argv[0]).Msg("could not start script")
		j.running = true
		sc.done <- scriptResult{j: j, exit: 2, err: err}
		return
	}
	j.running, j.startAt = true, now
	go func(j *job, cmd *exec.Cmd) {
		err := cmd.Wait()
		r := scriptResult{j: j}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				r.signal = int(ws.Signal())
			} else {
				r.exit = ee.ExitCode()
			}
		}
		sc.done <- r
	}(j, j.cmd)
}

// finished is sentinelCollectTerminatedScripts for one job.
func (sc *scripts) finished(r scriptResult, now time.Time) {
	j := r.j
	j.running = false
	// A script killed for its runtime is retried too: Redis sends SIGKILL
	// and the collector sees a signal.
	retry := (r.exit == 1 || r.signal != 0) && r.err == nil
	j.killed = false
	if retry && j.retry < maxScriptRetries {
		delay := sc.retryDelay
		for n := j.retry; n > 1; n-- {
			delay *= 2
		}
		j.runAfter = now.Add(delay)
		return
	}
	if r.exit != 0 || r.signal != 0 {
		sc.onEvent("-script-error", j.argv[0]+" "+itoa(r.signal)+" "+itoa(r.exit))
	}
	for i, q := range sc.queue {
		if q == j {
			sc.queue = append(sc.queue[:i], sc.queue[i+1:]...)
			break
		}
	}
}

// killAll kills the running scripts at shutdown.
func (sc *scripts) killAll() {
	for _, j := range sc.queue {
		if j.running && j.cmd != nil && j.cmd.Process != nil {
			_ = j.cmd.Process.Kill()
		}
	}
}
