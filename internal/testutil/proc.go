package testutil

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RequireRedis returns the path of the named real Redis binary (redis-server,
// redis-cli, redis-benchmark...). If it is missing the test is skipped with a clear
// message, or fails when VIGIL_REQUIRE_REDIS=1 (as in CI).
func RequireRedis(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found in PATH: install it with `apt-get install redis-server redis-tools` (Redis 7.0)", name)
	if os.Getenv("VIGIL_REQUIRE_REDIS") == "1" {
		t.Fatal(msg + " — required because VIGIL_REQUIRE_REDIS=1")
	}
	t.Skip(msg)
	return ""
}

// ModuleRoot returns the repository root (the directory holding go.mod).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// VigilBinary builds cmd/vigil once per test process and returns its path.
func VigilBinary(t testing.TB) string {
	t.Helper()
	root := ModuleRoot(t)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "vigil")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/vigil")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Proc is a child process whose output is captured and shown if the test fails.
type Proc struct {
	Cmd  *exec.Cmd
	Name string
	out  *LockedBuffer
	done chan struct{}
	err  error
}

// LockedBuffer is an output buffer safe to write from one goroutine (a process, a logger)
// while a test reads it from another.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs path with args; the process is killed at cleanup and its output is logged
// when the test failed.
func Start(t testing.TB, name, path string, args ...string) *Proc {
	t.Helper()
	return StartIn(t, "", name, path, args...)
}

// StartIn is Start with the process's working directory set to dir ("" = ours).
func StartIn(t testing.TB, dir, name, path string, args ...string) *Proc {
	t.Helper()
	return StartEnv(t, dir, nil, name, path, args...)
}

// StartEnv is StartIn with env ("KEY=value" entries) added to our environment; an
// entry "KEY=" removes KEY.
func StartEnv(t testing.TB, dir string, env []string, name, path string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(path, args...), Name: name, out: &LockedBuffer{}, done: make(chan struct{})}
	p.Cmd.Dir = dir
	if env != nil {
		p.Cmd.Env = mergeEnv(os.Environ(), env)
	}
	p.Cmd.Stdout = p.out
	p.Cmd.Stderr = p.out
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			logOutput(t, name, fmt.Sprintf("%s %v", path, args), p.Output())
		}
	})
	return p
}

// mergeEnv returns base with the entries of extra set (replacing the same key) or,
// for "KEY=", removed.
func mergeEnv(base, extra []string) []string {
	drop := map[string]bool{}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	var out []string
	for _, kv := range base {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			out = append(out, kv)
		}
	}
	for _, kv := range extra {
		if !strings.HasSuffix(kv, "=") {
			out = append(out, kv)
		}
	}
	return out
}

// FailureLogDir is where the full output of the processes of a failed test is
// written: $VIGIL_TEST_LOGS, or vigil-test-logs/<test name> under the system
// temporary directory. Only a few last lines go to the test's own output, so
// that the failure itself stays within what CI shows.
func FailureLogDir(t testing.TB) string {
	base := os.Getenv("VIGIL_TEST_LOGS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "vigil-test-logs")
	}
	dir := filepath.Join(base, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

// logOutput writes out to a file in FailureLogDir and logs its last lines.
func logOutput(t testing.TB, name, cmd, out string) {
	t.Helper()
	path := filepath.Join(FailureLogDir(t), strings.NewReplacer("/", "_", ":", "_").Replace(name)+".log")
	_ = os.WriteFile(path, []byte(cmd+"\n"+out), 0o644)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	const keep = 3
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	t.Logf("--- %s: full output in %s; last lines:\n%s", name, path, strings.Join(lines, "\n"))
}

// Output returns what the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.Cmd.Process.Kill()
	<-p.done
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error { return p.Cmd.Process.Signal(sig) }

// Wait waits up to d for the process to exit and returns its exit code (-1 on timeout).
func (p *Proc) Wait(d time.Duration) int {
	select {
	case <-p.done:
		return p.Cmd.ProcessState.ExitCode()
	case <-time.After(d):
		return -1
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitForPort polls until addr accepts TCP connections or d passes.
func WaitForPort(t testing.TB, addr string, d time.Duration, p *Proc) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			t.Fatalf("%s exited before listening on %s:\n%s", p.Name, addr, p.Output())
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not listen within %v", addr, d)
}

// CheckFor polls fn every `every` until it returns true or total passes; it fails the test
// with msg on timeout.
func CheckFor(t testing.TB, total, every time.Duration, msg string, fn func() bool) {
	t.Helper()
	Poll(t, total, every, msg, func() (bool, string) { return fn(), "" })
}

// Poll is the tests' one bounded poll: it calls fn every `every` until it reports true,
// failing the test on timeout with what and the last state fn described.
func Poll(t testing.TB, total, every time.Duration, what string, fn func() (ok bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		ok, state := fn()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if state != "" {
				t.Fatalf("timed out after %v waiting for %s; last state: %s", total, what, state)
			}
			t.Fatalf("timed out after %v: %s", total, what)
		}
		time.Sleep(every)
	}
}

// StartVigil starts `vigil server` on a free port with extra args and returns the process
// and its address once it accepts connections.
func StartVigil(t testing.TB, args ...string) (*Proc, string) {
	t.Helper()
	port := FreePort(t)
	// its own directory, so dumps never land in (or load from) the source tree; a --dir
	// in args comes later and wins
	all := append([]string{"server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir()}, args...)
	p := Start(t, "vigil", VigilBinary(t), all...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	WaitForPort(t, addr, 10*time.Second, p)
	return p, addr
}

// StartRedis starts a real redis-server on a free port with extra args.
func StartRedis(t testing.TB, args ...string) (*Proc, string) {
	t.Helper()
	bin := RequireRedis(t, "redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"}, args...)
	p := Start(t, "redis-server", bin, all...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	WaitForPort(t, addr, 10*time.Second, p)
	return p, addr
}
