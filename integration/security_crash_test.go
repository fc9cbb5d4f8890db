package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestCrashReport: a command that panics (DEBUG PANIC/ASSERT/SEGFAULT/OOM, and DEBUG
// POPULATE with a value no machine can allocate, which Redis 7.0 also aborts on) ends the
// process with a non-zero status and a Redis-style bug report in the log, instead of
// hanging every client behind the execution lock.
func TestCrashReport(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	cases := []struct {
		name string
		args []string
		want []string // in the log, besides the report's frame
	}{
		{"panic", []string{"DEBUG", "PANIC"}, []string{"Guru Meditation: DEBUG PANIC called at Unix time ", "debugPanic"}},
		{"assert", []string{"DEBUG", "ASSERT"}, []string{"=== ASSERTION FAILED ===", "==> '1 == 2' is not true",
			"client->argv[1] = \"ASSERT\""}},
		{"segfault", []string{"DEBUG", "SEGFAULT"}, []string{"Guru Meditation: runtime error: invalid memory address or nil pointer dereference"}},
		{"oom", []string{"DEBUG", "OOM"}, []string{"Out Of Memory allocating 9223372036854775807 bytes!",
			"Guru Meditation: Redis aborting for OUT OF MEMORY. Allocating 9223372036854775807 bytes!"}},
		{"populate", []string{"DEBUG", "POPULATE", "10", "p", "9223372036854775807"},
			[]string{"Guru Meditation: Redis aborting for OUT OF MEMORY. Allocating 9223372036854775825 bytes!"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, addr := testutil.StartVigil(t, "--enable-debug-command", "yes")
			c := testutil.DialRaw(t, addr)
			bs := make([][]byte, len(tc.args))
			for i, a := range tc.args {
				bs[i] = []byte(a)
			}
			c.Send(bs...)
			if r, err := c.Read(10 * time.Second); err == nil {
				t.Errorf("%v: got reply %q, want the connection closed by the crash", tc.args, r)
			}
			code := p.Wait(10 * time.Second)
			if code == -1 {
				t.Fatalf("%v: the process is still running 10 s later, want it to exit", tc.args)
			}
			if code == 0 {
				t.Errorf("%v: exit status 0, want non-zero", tc.args)
			}
			out := p.Output()
			frame := []string{"=== REDIS BUG REPORT START: Cut & paste starting from here ===", "------ STACK TRACE ------",
				"goroutine ", "------ CURRENT CLIENT INFO ------", "=== REDIS BUG REPORT END. Make sure to include from START to END. ==="}
			for _, w := range append(frame, tc.want...) {
				if !strings.Contains(out, w) {
					t.Errorf("%v: the log lacks %q", tc.args, w)
				}
			}
		})
	}
}
