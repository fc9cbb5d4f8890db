package server

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
)

// A panic while a command runs means a broken invariant: the dataset may be half
// changed and the execution lock is held. Going on would hang every client behind that
// lock (the deferred cleanup of the connection waits for it), and a hung master is never
// failed over while a dead one is failed over in a second. So, as Redis's serverPanic and
// serverAssert do, the process logs a bug report (the reason, the goroutine's stack, the
// client and its command) and exits with a non-zero status.

// assertion is a failed internal check (DEBUG ASSERT, serverAssert): the report names
// the condition as Redis's "=== ASSERTION FAILED ===" section does.
type assertion struct{ expr string }

// outOfMemory is an allocation that cannot be satisfied (DEBUG OOM, zmalloc's
// out-of-memory handler).
type outOfMemory struct{ size uint64 }

// debugState is what DEBUG changes in the server (under mu).
type debugState struct {
	pauseCron bool // DEBUG PAUSE-CRON 1: cron does no work
	// replyPeakResetMs and replyResizing are DEBUG REPLYBUFFER's settings: how long a
	// client's reply buffer keeps its peak size, and whether it shrinks at all.
	replyPeakResetMs int64
	replyNoResizing  bool
	// exit ends the process after a bug report; os.Exit unless a test replaces it.
	exit func(code int)
}

// crashOnPanic is deferred where commands run: a panic there becomes a bug report and
// the end of the process, before any deferred cleanup can wait for the lock. c is the
// client whose command ran, or nil.
func (s *Server) crashOnPanic(c *Client) {
	if r := recover(); r != nil {
		s.bugReport(c, r, debug.Stack())
	}
}

// bugReport logs Redis's bug report for the panic value r and exits with status 1.
func (s *Server) bugReport(c *Client, r any, stack []byte) {
	lines := []string{"=== REDIS BUG REPORT START: Cut & paste starting from here ==="}
	switch v := r.(type) {
	case assertion:
		lines = append(lines, s.clientContext(c)...)
		lines = append(lines, "=== ASSERTION FAILED ===", fmt.Sprintf("==> '%s' is not true", v.expr))
	case outOfMemory:
		lines = append(lines, "------------------------------------------------",
			"!!! Software Failure. Press left mouse button to continue",
			fmt.Sprintf("Guru Meditation: Redis aborting for OUT OF MEMORY. Allocating %d bytes!", v.size))
	default:
		lines = append(lines, "------------------------------------------------",
			"!!! Software Failure. Press left mouse button to continue",
			fmt.Sprintf("Guru Meditation: %v", r))
	}
	lines = append(lines, "", "------ STACK TRACE ------", "")
	lines = append(lines, strings.Split(strings.TrimRight(string(stack), "\n"), "\n")...)
	if c != nil {
		lines = append(lines, "", "------ CURRENT CLIENT INFO ------")
		if c.outMu.TryLock() { // the panic may have come with it held: appendInfo takes it
			c.outMu.Unlock()
			lines = append(lines, strings.TrimSpace(string(c.appendInfo(nil, c))))
		}
		for i, a := range c.args {
			lines = append(lines, fmt.Sprintf("argv[%d]: '%s'", i, truncate(string(a), 128)))
		}
	}
	lines = append(lines, "", "=== REDIS BUG REPORT END. Make sure to include from START to END. ===", "",
		"       Please report the crash by opening an issue on github:", "",
		"           https://github.com/vigil-db/vigil/issues", "")
	for _, l := range lines {
		s.log.Error().Msg(l)
	}
	exit := s.debug.exit
	if exit == nil {
		exit = os.Exit
	}
	exit(1)
}

// clientContext is the "ASSERTION FAILED CLIENT CONTEXT" section for c.
func (s *Server) clientContext(c *Client) []string {
	if c == nil {
		return nil
	}
	out := []string{"=== ASSERTION FAILED CLIENT CONTEXT ===",
		fmt.Sprintf("client->flags = %d", c.flags),
		fmt.Sprintf("client->conn = %s", c.addr),
		fmt.Sprintf("client->argc = %d", len(c.args))}
	for i, a := range c.args {
		out = append(out, fmt.Sprintf("client->argv[%d] = \"%s\" (refcount: 1)", i, truncate(string(a), 128)))
	}
	return out
}
