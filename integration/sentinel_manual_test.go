package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// reconfScript writes a client-reconfig-script that appends its arguments,
// one call per line, to the returned log file.
func reconfScript(t *testing.T) (script, log string) {
	t.Helper()
	dir := t.TempDir()
	script, log = filepath.Join(dir, "reconf.sh"), filepath.Join(dir, "calls")
	body := "#!/bin/sh\necho \"$*\" >> " + log + "\necho \"reconfig script output: $*\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, log
}

// notifyScript writes a notification-script that appends "<type>|<message>"
// to the returned log file and lists its descriptors in dir/fds.<pid>.
func notifyScript(t *testing.T) (script, dir string) {
	t.Helper()
	dir = t.TempDir()
	script = filepath.Join(dir, "notify.sh")
	body := fmt.Sprintf("#!/bin/sh\necho \"$1|$2\" >> %[1]s/calls\nexec /bin/ls -l /proc/self/fd > %[1]s/fds.$$\n", dir)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, dir
}

// checkNotifications: warning events ran the notification script with the
// event type and message as two arguments, notices did not, and no socket
// of the sentinel was open in the script.
func checkNotifications(t *testing.T, i int, dir, switchMsg string) {
	t.Helper()
	calls := scriptCalls(filepath.Join(dir, "calls"))
	has := func(line string) bool {
		for _, c := range calls {
			if c == line {
				return true
			}
		}
		return false
	}
	if !has("+switch-master|" + switchMsg) {
		t.Errorf("sentinel %d: notification-script calls %q lack +switch-master|%s", i, calls, switchMsg)
	}
	for _, c := range calls {
		if strings.HasPrefix(c, "+slave|") || strings.HasPrefix(c, "+slave-reconf-") {
			t.Errorf("sentinel %d: notification-script ran for a notice: %q", i, c)
		}
	}
	fds, _ := filepath.Glob(filepath.Join(dir, "fds.*"))
	if len(fds) == 0 {
		t.Errorf("sentinel %d: no descriptor listing", i)
	}
	for _, f := range fds {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "socket:") {
			t.Errorf("sentinel %d: a socket leaked into the notification script:\n%s", i, b)
		}
	}
}

// sawMatch reports whether the sentinel published an event matching re.
func (s *vsentinel) sawMatch(re *regexp.Regexp) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if re.MatchString(e) {
			return true
		}
	}
	return false
}

// scriptCalls returns the lines the script logged so far.
func scriptCalls(log string) []string {
	b, err := os.ReadFile(log)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// TestSentinelManualFailover: SENTINEL FAILOVER on one of three sentinels
// promotes a replica without agreement; the other replica and the old master,
// still running, follow the new master; every sentinel agrees; the leader
// runs client-reconfig-script as "leader", the others as "observer".
func TestSentinelManualFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, impl := range []string{testutil.ImplVigil, testutil.ImplRedis} {
		t.Run(impl, func(t *testing.T) { runSentinelManual(t, impl) })
	}
}

func runSentinelManual(t *testing.T, impl string) {
	master, r1, r2 := startGroup(t, impl)

	var ss []*vsentinel
	var logs, notifyDirs []string
	for range 3 {
		script, log := reconfScript(t)
		notify, dir := notifyScript(t)
		logs, notifyDirs = append(logs, log), append(notifyDirs, dir)
		ss = append(ss, startVigilSentinel(t, master.Port, 2, "sentinel client-reconfig-script mymaster "+script+"\n"+
			"sentinel notification-script mymaster "+notify+"\n"))
	}
	defer dumpSentinels(t, ss, func(i int) string {
		return fmt.Sprintf("reconfig script calls: %q; notification script calls: %q",
			scriptCalls(logs[i]), scriptCalls(filepath.Join(notifyDirs[i], "calls")))
	})
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "sentinels discover each other and the replicas", func() bool {
		for _, s := range ss {
			if s.count("SENTINELS") != 2 || s.count("REPLICAS") != 2 {
				return false
			}
		}
		return true
	})

	ctx := context.Background()
	if err := ss[0].c.Do(ctx, "SENTINEL", "FAILOVER", "nosuch").Err(); err == nil || err.Error() != "ERR No such master with that name" {
		t.Errorf("SENTINEL FAILOVER nosuch: %v, want ERR No such master with that name", err)
	}
	// Both commands in one write: the second one finds the failover started.
	pipe := ss[0].c.Pipeline()
	first := pipe.Do(ctx, "SENTINEL", "FAILOVER", "mymaster")
	second := pipe.Do(ctx, "SENTINEL", "FAILOVER", "mymaster")
	_, _ = pipe.Exec(ctx)
	if v, err := first.Result(); err != nil || v != "OK" {
		t.Fatalf("SENTINEL FAILOVER mymaster: %v %v, want OK", v, err)
	}
	if err := second.Err(); err == nil || err.Error() != "INPROG Failover already in progress" {
		t.Errorf("second SENTINEL FAILOVER: %v, want INPROG Failover already in progress", err)
	}

	old := master.Addr
	promoted, other := waitPromoted(t, ss, old, r1, r2)
	from := fmt.Sprintf("127.0.0.1 %d", master.Port)
	to := fmt.Sprintf("127.0.0.1 %d", promoted.Port)
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "+switch-master published by every sentinel", func() bool {
		for _, s := range ss {
			if !s.saw("+switch-master mymaster " + from + " " + to) {
				return false
			}
		}
		return true
	})
	// Redis votes for itself (+vote-for-leader) but needs no ODOWN and no
	// other vote.
	for i, s := range ss {
		for _, p := range []string{"+odown", "+sdown master", "+vote-for-leader"} {
			if s.saw(p) && (i > 0 || p != "+vote-for-leader") {
				t.Errorf("sentinel %d: the manual failover went through %s (SDOWN/ODOWN or an election)", i, p)
			}
		}
	}
	waitRole(t, promoted, "master")
	waitRole(t, master, "slave") // the old master, never stopped
	waitSynced(t, promoted, master, other)
	if v := promoted.mustRead("GET", "k"); v != "v" {
		t.Fatalf("GET k on the new master: got %v, want v", v)
	}
	for i, s := range ss {
		if a := s.masterAddr(); a != promoted.Addr {
			t.Errorf("sentinel %d: master %s, want %s", i, a, promoted.Addr)
		}
	}

	want := []string{"mymaster leader start " + from + " " + to}
	for range ss[1:] {
		want = append(want, "mymaster observer start "+from+" "+to)
	}
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "client-reconfig-script ran once on every sentinel", func() bool {
		for i := range ss {
			if c := scriptCalls(logs[i]); len(c) != 1 || c[0] != want[i] {
				return false
			}
		}
		return true
	})
	// Scripts write to the sentinel's own stdout/stderr, as Redis's do.
	if out := ss[0].proc.Output(); !strings.Contains(out, "reconfig script output: "+want[0]) {
		t.Errorf("sentinel 0's output lacks the client-reconfig-script's own output %q", "reconfig script output: "+want[0])
	}
	switchMsg := "mymaster " + from + " " + to
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "notification-script ran for +switch-master", func() bool {
		for _, d := range notifyDirs {
			if !strings.Contains(strings.Join(scriptCalls(filepath.Join(d, "calls")), "\n"), "+switch-master|"+switchMsg) {
				return false
			}
		}
		return true
	})
	for i, d := range notifyDirs {
		checkNotifications(t, i, d, switchMsg)
	}
	// Observers learnt the switch from a peer, named in Redis's format.
	upd := regexp.MustCompile(`^\+config-update-from sentinel [0-9a-f]{40} 127\.0\.0\.1 [0-9]+ @ mymaster ` + from + `$`)
	for i, s := range ss[1:] {
		if !s.sawMatch(upd) {
			t.Errorf("sentinel %d: no +config-update-from matching %s", i+1, upd)
		}
	}
}
