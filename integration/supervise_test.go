package integration

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// The systemd notify protocol, end to end: the test is the service manager. It
// listens on a datagram socket, passes it as NOTIFY_SOCKET (and WATCHDOG_USEC) to a
// real `vigil server --supervised systemd` or `vigil sentinel`, and reads what systemd
// would read.

// notifyWait bounds every wait for a datagram.
const notifyWait = 60 * time.Second

// notifyMsg is one datagram: its KEY=value lines, and when it was read.
type notifyMsg struct {
	at     time.Time
	fields []string
}

// has reports whether the datagram carries a field starting with prefix.
func (m notifyMsg) has(prefix string) bool {
	_, ok := m.field(prefix)
	return ok
}

// field returns the first field starting with prefix.
func (m notifyMsg) field(prefix string) (string, bool) {
	for _, f := range m.fields {
		if strings.HasPrefix(f, prefix) {
			return f, true
		}
	}
	return "", false
}

// notifyLog collects the datagrams sent to a notify socket.
type notifyLog struct {
	path string
	mu   sync.Mutex
	msgs []notifyMsg
}

// listenNotify opens a notify socket in a fresh directory; it is closed at cleanup.
func listenNotify(t *testing.T) *notifyLog {
	t.Helper()
	l := &notifyLog{path: filepath.Join(t.TempDir(), "notify.sock")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: l.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			m := notifyMsg{at: time.Now(), fields: strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n")}
			l.mu.Lock()
			l.msgs = append(l.msgs, m)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		if t.Failed() {
			for _, m := range l.all() {
				t.Logf("notify %s %q", m.at.Format("15:04:05.000"), m.fields)
			}
		}
	})
	return l
}

func (l *notifyLog) all() []notifyMsg {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]notifyMsg(nil), l.msgs...)
}

// wait polls until a datagram carrying a field with prefix has arrived (from the
// index from on) and returns it with its index.
func (l *notifyLog) wait(t *testing.T, from int, prefix string) (notifyMsg, int) {
	t.Helper()
	var got notifyMsg
	idx := -1
	testutil.Poll(t, notifyWait, 20*time.Millisecond, "a notify datagram with "+prefix, func() (bool, string) {
		msgs := l.all()
		for i := from; i < len(msgs); i++ {
			if msgs[i].has(prefix) {
				got, idx = msgs[i], i
				return true, ""
			}
		}
		return false, strconv.Itoa(len(msgs)) + " datagrams"
	})
	return got, idx
}

// count returns how many datagrams from index from on carry a field equal to field,
// and the number of datagrams.
func (l *notifyLog) count(from int, field string) (n, total int) {
	msgs := l.all()
	for i := from; i < len(msgs); i++ {
		for _, f := range msgs[i].fields {
			if f == field {
				n++
			}
		}
	}
	return n, len(msgs)
}

// notifyEnv is the environment systemd gives a Type=notify service; watchdog 0 means
// no WatchdogSec.
func notifyEnv(l *notifyLog, watchdog time.Duration) []string {
	env := []string{"NOTIFY_SOCKET=" + l.path, "UPSTART_JOB=", "WATCHDOG_PID="}
	if watchdog > 0 {
		return append(env, "WATCHDOG_USEC="+strconv.FormatInt(watchdog.Microseconds(), 10))
	}
	return append(env, "WATCHDOG_USEC=")
}

// TestSupervisedSystemdServer runs `vigil server --supervised systemd` on a dump that
// takes seconds to load: STATUS= shows the loading progress and EXTEND_TIMEOUT_USEC
// extends the start timeout meanwhile, READY=1 comes with Redis's "Ready to accept
// connections" only once every key is loaded (no PING sent after it got -LOADING),
// then STATUS= follows the replication state, and SIGTERM sends STOPPING=1.
func TestSupervisedSystemdServer(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	const keys, size = 5000, 2000 // a 10 MB dump
	dir := t.TempDir()
	seed, seedAddr := testutil.StartVigil(t, "--dir", dir, "--enable-debug-command", "yes")
	ctx := context.Background()
	sc := redis.NewClient(&redis.Options{Addr: seedAddr})
	if err := sc.Do(ctx, "DEBUG", "POPULATE", keys, "key", size).Err(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	sc.Close()
	seed.Kill()

	l := listenNotify(t)
	port := testutil.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// 500 µs per key: at least 2.5 s of loading, so the 1 s status ticks see it
	p := testutil.StartEnv(t, "", notifyEnv(l, 0), "supervised", testutil.VigilBinary(t), "server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--supervised", "systemd", "--key-load-delay", "500")
	started := time.Now()
	testutil.WaitForPort(t, addr, 10*time.Second, p)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()

	// PING until READY=1 has arrived, keeping when each -LOADING PING was sent
	var lastLoadingSent time.Time
	sawLoading := false
	ready, readyIdx := notifyMsg{}, -1
	testutil.Poll(t, notifyWait, 10*time.Millisecond, "READY=1", func() (bool, string) {
		sent := time.Now()
		if err := c.Ping(ctx).Err(); err != nil && strings.HasPrefix(err.Error(), "LOADING") {
			sawLoading, lastLoadingSent = true, sent
		}
		for i, m := range l.all() {
			if m.has("READY=1") {
				ready, readyIdx = m, i
				return true, ""
			}
		}
		return false, ""
	})
	t.Logf("READY=1 %v after start, after %d datagrams", ready.at.Sub(started).Round(time.Millisecond), readyIdx)
	if !sawLoading {
		t.Errorf("PING never answered -LOADING while %d keys loaded", keys)
	}
	if !lastLoadingSent.Before(ready.at) {
		t.Errorf("a PING sent at %v, after READY=1 arrived at %v, still got -LOADING", lastLoadingSent, ready.at)
	}
	if got := c.DBSize(ctx).Val(); got != keys {
		t.Errorf("DBSIZE once READY=1 arrived: got %d, want %d", got, keys)
	}
	if st, _ := ready.field("STATUS="); st != "STATUS=Ready to accept connections" {
		t.Errorf("READY=1 datagram %q: want STATUS=Ready to accept connections with it", ready.fields)
	}
	var loadingStatus, extend bool
	for _, m := range l.all()[:readyIdx] {
		if st, ok := m.field("STATUS=loading "); ok && strings.HasSuffix(st, "%") {
			loadingStatus = true
		}
		extend = extend || m.has("EXTEND_TIMEOUT_USEC=")
	}
	if !loadingStatus || !extend {
		t.Errorf("before READY=1: STATUS=loading N%% seen %v, EXTEND_TIMEOUT_USEC seen %v; want both", loadingStatus, extend)
	}
	if info := c.Info(ctx, "server").Val(); !strings.Contains(info, "process_supervised:systemd\r\n") {
		t.Errorf("INFO server lacks process_supervised:systemd:\n%s", info)
	}

	l.wait(t, readyIdx, "STATUS=master, no replicas")
	testutil.StartNode(t, testutil.ImplVigil, "--replicaof", "127.0.0.1", strconv.Itoa(port))
	_, i := l.wait(t, readyIdx, "STATUS=master, 1 replica in sync")

	stopSupervised(t, l, p, i)
}

// TestSupervisedWatchdog runs `vigil server` with WatchdogSec=1 (WATCHDOG_USEC): pings
// arrive while the command loop runs, none while DEBUG SLEEP holds the execution lock
// for 4 s (at most two: one decided just before the sleep and one in flight), and they
// resume after it.
func TestSupervisedWatchdog(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	const watchdog = time.Second
	l := listenNotify(t)
	port := testutil.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := testutil.StartEnv(t, "", notifyEnv(l, watchdog), "vigil", testutil.VigilBinary(t), "server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(), "--save", "",
		"--supervised", "systemd", "--enable-debug-command", "yes")
	testutil.WaitForPort(t, addr, 10*time.Second, p)
	_, i := l.wait(t, 0, "READY=1")
	_, i = l.wait(t, i, "WATCHDOG=1")
	l.wait(t, i+1, "WATCHDOG=1") // two pings: a gap to log
	logWatchdogGaps(t, l, watchdog)

	after := checkWedgedWatchdog(t, l, addr)
	l.wait(t, after, "WATCHDOG=1")
	if !strings.Contains(p.Output(), "watchdog ping withheld") {
		t.Errorf("the log does not say the watchdog ping was withheld:\n%s", p.Output())
	}
}

// checkWedgedWatchdog holds the command loop of the server at addr with DEBUG SLEEP 4 and
// checks that at most 2 WATCHDOG=1 arrive meanwhile (WatchdogSec 1 s: about 8 without the
// progress check); it returns the datagram count once the sleep ended.
func checkWedgedWatchdog(t *testing.T, l *notifyLog, addr string) int {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 30 * time.Second})
	defer c.Close()
	_, before := l.count(0, "")
	if err := c.Do(context.Background(), "DEBUG", "SLEEP", "4").Err(); err != nil {
		t.Fatal(err)
	}
	pings, after := l.count(before, "WATCHDOG=1")
	if pings > 2 {
		t.Errorf("WATCHDOG=1 while DEBUG SLEEP 4 held the loop (WatchdogSec 1 s): got %d pings, want at most 2", pings)
	}
	t.Logf("%d WATCHDOG=1 during the 4 s sleep", pings)
	return after
}

// stopSupervised stops p as systemctl stop does (SIGTERM), then checks that STOPPING=1
// arrives (after datagram from) and that the process exits with status 0.
func stopSupervised(t *testing.T, l *notifyLog, p *testutil.Proc, from int) {
	t.Helper()
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	l.wait(t, from, "STOPPING=1")
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Errorf("%s: exit code after SIGTERM: got %d, want 0", p.Name, code)
	}
}

// logWatchdogGaps logs the largest gap between two WATCHDOG=1 so far (no threshold
// is asserted: systemd allows WatchdogSec, the pings come every half of it).
func logWatchdogGaps(t *testing.T, l *notifyLog, watchdog time.Duration) {
	var last time.Time
	var worst time.Duration
	for _, m := range l.all() {
		if !m.has("WATCHDOG=1") {
			continue
		}
		if !last.IsZero() {
			worst = max(worst, m.at.Sub(last))
		}
		last = m.at
	}
	t.Logf("largest gap between WATCHDOG=1: %v (WatchdogSec %v)", worst, watchdog)
}

// TestSupervisedSentinel runs `vigil sentinel --supervised systemd` with a watchdog:
// READY=1 once it listens, a STATUS= line naming its master, WATCHDOG=1 while its loop
// ticks, STOPPING=1 on SIGTERM.
func TestSupervisedSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, masterAddr := testutil.StartVigil(t)
	l := listenNotify(t)
	dir := t.TempDir()
	port := testutil.FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	host, mport, _ := net.SplitHostPort(masterAddr)
	if err := os.WriteFile(conf, []byte("port "+strconv.Itoa(port)+"\nbind 127.0.0.1\ndir "+dir+
		"\nsentinel monitor mymaster "+host+" "+mport+" 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.StartEnv(t, "", notifyEnv(l, time.Second), "sentinel", testutil.VigilBinary(t), "sentinel", conf,
		"--supervised", "systemd")
	ready, i := l.wait(t, 0, "READY=1")
	if st, _ := ready.field("STATUS="); st != "STATUS=Ready to accept connections" {
		t.Errorf("READY=1 datagram %q: want STATUS=Ready to accept connections with it", ready.fields)
	}
	testutil.WaitForPort(t, "127.0.0.1:"+strconv.Itoa(port), time.Second, p) // READY=1 means it listens
	l.wait(t, i, "STATUS=mymaster: master "+masterAddr+" ok, 0 replicas, 0 other sentinels, quorum 1")
	_, i = l.wait(t, i, "WATCHDOG=1")
	_, i = l.wait(t, i+1, "WATCHDOG=1")
	logWatchdogGaps(t, l, time.Second)
	stopSupervised(t, l, p, i)
}

// TestDebianUnitExecStart runs the ExecStart lines of Debian's own redis-server.service
// and redis-sentinel.service (Type=notify, --supervised systemd) with the binary
// replaced by a redis-server (redis-sentinel) symlink to vigil, as a user swapping the
// binary does: systemd would wait for READY=1, and it arrives. The real redis binaries
// run the same line first, so the test follows what systemd gets from Redis. Only what
// clashes with this machine is overridden (port, dir, pid and log files, the socket).
func TestDebianUnitExecStart(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, unit := range []string{"redis-server", "redis-sentinel"} {
		t.Run(unit, func(t *testing.T) {
			argv := debianExecStart(t, "/lib/systemd/system/"+unit+".service")
			if filepath.Base(argv[0]) != unit || !strings.Contains(strings.Join(argv, " "), "--supervised systemd") {
				t.Fatalf("ExecStart %q: want %s ... --supervised systemd", argv, unit)
			}
			link := filepath.Join(t.TempDir(), unit)
			if err := os.Symlink(testutil.VigilBinary(t), link); err != nil {
				t.Fatal(err)
			}
			impls := []string{link}
			if _, err := os.Stat(argv[0]); err == nil {
				impls = append([]string{argv[0]}, impls...)
			} else {
				t.Logf("%s not installed: only vigil runs the line", argv[0])
			}
			for _, bin := range impls {
				runExecStart(t, unit, bin, argv[1:])
			}
		})
	}
}

// debianExecStart returns the ExecStart argv of a unit file, checking it is Type=notify;
// the test skips when the file is missing (Debian's redis packages install it) unless
// VIGIL_REQUIRE_REDIS=1.
func debianExecStart(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		msg := path + " not found: it comes with Debian's redis packages"
		if os.Getenv("VIGIL_REQUIRE_REDIS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer f.Close()
	var argv []string
	notify := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			argv = strings.Fields(v)
		}
		notify = notify || line == "Type=notify"
	}
	if len(argv) == 0 || !notify {
		t.Fatalf("%s: ExecStart %q, Type=notify %v; want both", path, argv, notify)
	}
	return argv
}

// runExecStart runs bin with the unit's arguments under a notify socket and waits for
// READY=1, then stops it with SIGTERM (systemctl stop) and waits for STOPPING=1.
func runExecStart(t *testing.T, unit, bin string, args []string) {
	t.Helper()
	dir := t.TempDir()
	port := testutil.FreePort(t)
	args = append([]string(nil), args...)
	if unit == "redis-sentinel" { // the sentinel rewrites its file: run a copy
		raw, err := os.ReadFile(args[0])
		if err != nil {
			t.Fatal(err)
		}
		args[0] = filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(args[0], raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--logfile", "", "--pidfile", filepath.Join(dir, unit+".pid"))
	if unit == "redis-server" {
		args = append(args, "--unixsocket", "", "--save", "")
	}
	l := listenNotify(t)
	p := testutil.StartEnv(t, dir, notifyEnv(l, 0), filepath.Base(bin), bin, args...)
	_, i := l.wait(t, 0, "READY=1")
	testutil.WaitForPort(t, "127.0.0.1:"+strconv.Itoa(port), time.Second, p)
	stopSupervised(t, l, p, i)
	t.Logf("%s %v: READY=1 and STOPPING=1 received", bin, args)
}

// TestSupervisedWatchdogOtherPID: WATCHDOG_PID names another process (systemd sets it
// for the main PID; a child that inherited the variables must not ping): no
// WATCHDOG=1 at all, over a run long enough for several ticks (the first STATUS= after
// READY=1 comes a second later).
func TestSupervisedWatchdogOtherPID(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	l := listenNotify(t)
	port := testutil.FreePort(t)
	env := append(notifyEnv(l, time.Second), "WATCHDOG_PID=1")
	p := testutil.StartEnv(t, "", env, "vigil", testutil.VigilBinary(t), "server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(), "--save", "", "--supervised", "systemd")
	_, i := l.wait(t, 0, "READY=1")
	_, i = l.wait(t, i, "STATUS=master, no replicas")
	stopSupervised(t, l, p, i)
	if n, _ := l.count(0, "WATCHDOG=1"); n != 0 || strings.Contains(p.Output(), "watchdog enabled") {
		t.Errorf("WATCHDOG_PID=1: got %d WATCHDOG=1 (log: %q), want none", n, p.Output())
	}
}

// TestSupervisedUpstart: `supervised upstart` with UPSTART_JOB set stops the process
// (SIGSTOP) once it is ready, as upstart's "expect stop" waits for; upstart's SIGCONT
// resumes it with the data loaded.
func TestSupervisedUpstart(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	port := testutil.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := testutil.StartEnv(t, "", []string{"UPSTART_JOB=vigil", "NOTIFY_SOCKET="}, "vigil", testutil.VigilBinary(t), "server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir(), "--save", "", "--supervised", "upstart")
	stat := "/proc/" + strconv.Itoa(p.Cmd.Process.Pid) + "/stat"
	testutil.Poll(t, notifyWait, 20*time.Millisecond, "the process stopped itself", func() (bool, string) {
		raw, err := os.ReadFile(stat)
		if err != nil {
			return false, err.Error()
		}
		// the state follows the ")" that ends the command name
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		return len(f) > 0 && f[0] == "T", string(raw)
	})
	// its log, written before it stopped, may still be on its way through the pipe
	testutil.CheckFor(t, notifyWait, 20*time.Millisecond, "stopped after saying it is ready", func() bool {
		return strings.Contains(p.Output(), "Ready to accept connections")
	})
	if err := p.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after SIGCONT: %v", err)
	}
	if info := c.Info(context.Background(), "server").Val(); !strings.Contains(info, "process_supervised:upstart\r\n") {
		t.Errorf("INFO server lacks process_supervised:upstart")
	}
}
