package sentinel

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeClock is the injected clock of the script queue tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// scriptEvent is one -script-error / -script-timeout reported by the queue.
type scriptEvent struct{ name, msg string }

// newTestScripts returns a queue on a fake clock that records its events.
func newTestScripts(t *testing.T) (*scripts, *fakeClock, *[]scriptEvent) {
	t.Helper()
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	sc := newScripts(zerolog.Nop(), clk.now)
	var evs []scriptEvent
	sc.onEvent = func(name, msg string) { evs = append(evs, scriptEvent{name, msg}) }
	t.Cleanup(func() {
		sc.killAll()
		for sc.running() > 0 {
			select {
			case r := <-sc.done:
				r.j.running = false
			case <-time.After(10 * time.Second):
				t.Errorf("a script survived killAll")
				return
			}
		}
	})
	return sc, clk, &evs
}

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// collect waits (bounded) for one finished script and hands it to the queue.
func collect(t *testing.T, sc *scripts, now time.Time) scriptResult {
	t.Helper()
	select {
	case r := <-sc.done:
		sc.finished(r, now)
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no script finished")
		return scriptResult{}
	}
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// inheritedFDs lists this process's descriptors ≥ 3 without close-on-exec:
// descriptors inherited from whoever started the test, which no exec'ing
// process closes (neither Redis nor Vigil). Vigil's own are all O_CLOEXEC.
func inheritedFDs(t *testing.T) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fdinfo")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	out := map[string]bool{}
	for _, e := range ents {
		b, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f, ok := strings.CutPrefix(l, "flags:"); ok {
				flags, _ := strconv.ParseUint(strings.TrimSpace(f), 8, 64)
				if flags&0o2000000 == 0 {
					out[e.Name()] = true
				}
			}
		}
	}
	return out
}

// TestScriptExecArgsEnvFDs: a script is exec'd directly with its arguments
// (one argv entry each, spaces kept), the sentinel's environment, the
// sentinel as its parent, and no descriptor of the sentinel but 0, 1, 2.
func TestScriptExecArgsEnvFDs(t *testing.T) {
	sc, clk, evs := newTestScripts(t)
	dir := t.TempDir()
	t.Setenv("VIGIL_SCRIPT_ENV", "from-the-sentinel")
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a socket the script must not see
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := writeScript(t, dir, "notify.sh", fmt.Sprintf(`printf '%%s\n' "$@" > %[1]s/args
printf '%%s\n' "$VIGIL_SCRIPT_ENV" "$PPID" > %[1]s/env
exec /bin/ls -l /proc/self/fd > %[1]s/fds
`, dir))
	sc.schedule([]string{p, "+sdown", "master mymaster 127.0.0.1 6379"}, clk.now())
	sc.run(clk.now())
	if r := collect(t, sc, clk.now()); r.exit != 0 || r.signal != 0 {
		t.Fatalf("script failed: %+v", r)
	}
	if len(sc.queue) != 0 || len(*evs) != 0 {
		t.Fatalf("queue %d events %v after success", len(sc.queue), *evs)
	}
	if got := readLines(t, dir+"/args"); strings.Join(got, "|") != "+sdown|master mymaster 127.0.0.1 6379" {
		t.Errorf("argv = %q", got)
	}
	env := readLines(t, dir+"/env")
	if env[0] != "from-the-sentinel" || env[1] != strconv.Itoa(os.Getpid()) {
		t.Errorf("env/ppid = %q, want from-the-sentinel and %d", env, os.Getpid())
	}
	allowed := inheritedFDs(t)
	for _, l := range readLines(t, dir+"/fds")[1:] { // skip "total 0"
		f := strings.Fields(l)
		if len(f) < 3 || f[len(f)-2] != "->" {
			continue
		}
		fd, target := f[len(f)-3], f[len(f)-1]
		switch {
		case fd == "0" || fd == "1" || fd == "2":
		case strings.HasPrefix(target, "/proc/"): // ls's own directory
		case allowed[fd]:
		default:
			t.Errorf("descriptor %s -> %s leaked into the script", fd, target)
		}
	}
}

// TestScriptRetries: exit 1 is retried, 10 attempts in all, after 30 s,
// 60 s, 120 s …; then "-script-error <path> 0 1".
func TestScriptRetries(t *testing.T) {
	sc, clk, evs := newTestScripts(t)
	dir := t.TempDir()
	p := writeScript(t, dir, "fail.sh", "echo x >> "+dir+"/runs\nexit 1\n")
	sc.schedule([]string{p, "+odown", "master m 127.0.0.1 1 #quorum 2/2"}, clk.now())
	delay := 30 * time.Second
	for attempt := 1; attempt <= maxScriptRetries; attempt++ {
		sc.run(clk.now())
		if sc.running() != 1 {
			t.Fatalf("attempt %d: %d running", attempt, sc.running())
		}
		collect(t, sc, clk.now())
		if attempt == maxScriptRetries {
			break
		}
		j := sc.queue[0]
		if got := j.runAfter.Sub(clk.now()); got != delay {
			t.Fatalf("attempt %d: retry after %v, want %v", attempt, got, delay)
		}
		clk.advance(delay - time.Millisecond)
		sc.run(clk.now())
		if sc.running() != 0 {
			t.Fatalf("attempt %d: retried before its delay", attempt)
		}
		clk.advance(time.Millisecond)
		delay *= 2
	}
	if n := len(readLines(t, dir+"/runs")); n != maxScriptRetries {
		t.Errorf("ran %d times, want %d", n, maxScriptRetries)
	}
	want := []scriptEvent{{"-script-error", p + " 0 1"}}
	if fmt.Sprint(*evs) != fmt.Sprint(want) || len(sc.queue) != 0 {
		t.Errorf("events %v queue %d, want %v and empty", *evs, len(sc.queue), want)
	}
}

// TestScriptOutcomes: what each way of ending does to the job.
func TestScriptOutcomes(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec.sh")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		path       string // instead of body
		retried    bool
		event      string // "" or the -script-error message after the path
	}{
		{name: "exit 0", body: "exit 0\n"},
		{name: "exit 2 not retried", body: "exit 2\n", event: "0 2"},
		{name: "exit 1 retried", body: "exit 1\n", retried: true},
		{name: "signal retried", body: "kill -TERM $$\n", retried: true},
		{name: "missing script", path: filepath.Join(dir, "missing.sh"), event: "0 2"},
		{name: "not executable", path: notExec, event: "0 2"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, clk, evs := newTestScripts(t)
			p := tt.path
			if p == "" {
				p = writeScript(t, dir, fmt.Sprintf("s%d.sh", i), tt.body)
			}
			sc.schedule([]string{p, "+sdown", "x"}, clk.now())
			sc.run(clk.now())
			collect(t, sc, clk.now())
			if got := len(sc.queue) == 1; got != tt.retried {
				t.Errorf("retried = %v, want %v", got, tt.retried)
			}
			var want []scriptEvent
			if tt.event != "" {
				want = []scriptEvent{{"-script-error", p + " " + tt.event}}
			}
			if fmt.Sprint(*evs) != fmt.Sprint(want) {
				t.Errorf("events %v, want %v", *evs, want)
			}
		})
	}
}

// TestScriptTimeout: a script running longer than script-max-runtime is
// killed with SIGKILL ("-script-timeout <path> <pid>") and, like any script
// killed by a signal, retried after the retry delay.
func TestScriptTimeout(t *testing.T) {
	sc, clk, evs := newTestScripts(t)
	p := writeScript(t, t.TempDir(), "slow.sh", "exec sleep 1000\n")
	sc.schedule([]string{p, "+sdown", "x"}, clk.now())
	sc.run(clk.now())
	pid := sc.queue[0].cmd.Process.Pid
	clk.advance(sc.maxRuntime)
	sc.run(clk.now())
	if len(*evs) != 0 {
		t.Fatalf("killed at exactly the maximum runtime: %v", *evs)
	}
	clk.advance(time.Millisecond)
	sc.run(clk.now())
	sc.run(clk.now()) // reported once
	r := collect(t, sc, clk.now())
	if r.signal != 9 {
		t.Errorf("ended with signal %d exit %d, want SIGKILL", r.signal, r.exit)
	}
	want := []scriptEvent{{"-script-timeout", p + " " + strconv.Itoa(pid)}}
	if fmt.Sprint(*evs) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", *evs, want)
	}
	if len(sc.queue) != 1 || sc.queue[0].runAfter.Sub(clk.now()) != sc.retryDelay {
		t.Errorf("killed script not rescheduled after the retry delay")
	}
}

// TestScriptLimits: at most 16 scripts run; the queue holds 256 and drops
// the oldest job that is not running.
func TestScriptLimits(t *testing.T) {
	sc, clk, _ := newTestScripts(t)
	p := writeScript(t, t.TempDir(), "slow.sh", "exec sleep 1000\n")
	for i := 0; i < 20; i++ {
		sc.schedule([]string{p, "run", strconv.Itoa(i)}, clk.now())
	}
	sc.run(clk.now())
	sc.run(clk.now())
	if sc.running() != maxRunningScripts {
		t.Fatalf("%d running, want %d", sc.running(), maxRunningScripts)
	}
	for i := 0; i < 300; i++ {
		sc.schedule([]string{p, "queued", strconv.Itoa(i)}, clk.now())
	}
	if len(sc.queue) != maxQueuedScripts {
		t.Fatalf("queue holds %d, want %d", len(sc.queue), maxQueuedScripts)
	}
	for i, j := range sc.queue[:maxRunningScripts] {
		if !j.running || j.argv[2] != strconv.Itoa(i) {
			t.Fatalf("running job %d dropped: %q", i, j.argv)
		}
	}
	// 16 running + 240 newest queued: queued 0..59 and run 16..19 dropped.
	if first := sc.queue[maxRunningScripts].argv; first[1] != "queued" || first[2] != "60" {
		t.Errorf("oldest kept pending job = %q, want queued 60", first)
	}
}
