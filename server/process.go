package server

import "github.com/rs/zerolog"

// Process is what the server asks of the process that runs it. GOMAXPROCS and the
// garbage collector's target are process-wide: a server sharing its process with a
// sentinel must not set them, so it states its wishes here and the process owner
// (cmd/vigil, later the node) decides. A nil Process grants nothing.
type Process interface {
	// ExtraProc asks for one more processor while a background snapshot (BGSAVE, AOF
	// rewrite, full sync) runs, as Redis's forked child has a core of its own; release
	// gives it back. Calls nest: the owner counts them.
	ExtraProc() (release func())
	// LoadGCPercent asks for a collector target of at least percent while a dataset
	// loads; restore puts the previous target back.
	LoadGCPercent(percent int) (restore func())
	// SetTitle sets the process title (what ps and /proc/PID/cmdline show), as Redis's
	// setproctitle does with proc-title-template's expansion.
	SetTitle(title string)
}

// noProcess is the Process of a server whose owner grants nothing (unit tests).
type noProcess struct{}

func (noProcess) ExtraProc() func()        { return func() {} }
func (noProcess) LoadGCPercent(int) func() { return func() {} }
func (noProcess) SetTitle(string)          {}

// Options are what a server needs besides its configuration.
type Options struct {
	// Log receives the server's log; the zero Logger writes nothing useful, pass
	// zerolog.Nop() to discard.
	Log zerolog.Logger
	// Process grants the process-wide settings the server wishes for; nil = none.
	Process Process
	// Supervised is the supervision in force, as INFO's process_supervised shows it:
	// "systemd", "upstart" or "no" (the default when empty). The process owner decides it.
	Supervised string
	// Stopping, if set, is called when a shutdown begins (SIGTERM, SIGINT or SHUTDOWN),
	// before replicas are waited for and the final save, as Redis sends systemd its
	// STOPPING=1 then. It must not block.
	Stopping func()
	// ExecName is the process's argv[0] as it was started, the title's {title} (Redis's
	// exec_argv[0]); "redis-server" when empty.
	ExecName string
}
