package supervise

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/rs/zerolog"
)

// Mode is the supervision in force.
type Mode int

// The modes, as INFO's process_supervised names them.
const (
	// Off: no service manager is told anything.
	Off Mode = iota
	// Systemd: sd_notify messages to $NOTIFY_SOCKET.
	Systemd
	// Upstart: the process stops itself (SIGSTOP) once ready, as upstart's "expect stop" wants.
	Upstart
)

// String returns the mode as INFO's process_supervised prints it.
func (m Mode) String() string {
	switch m {
	case Systemd:
		return "systemd"
	case Upstart:
		return "upstart"
	}
	return "no"
}

// Notifier sends a process's state to its service manager. The zero of a *Notifier
// (nil) is supervision off: every method is a no-op.
type Notifier struct {
	mode Mode
	log  zerolog.Logger
	// send delivers one notify datagram (daemon.SdNotify); replaced in tests.
	send func(state string) (bool, error)
	// watchdogUsec reads WATCHDOG_USEC/WATCHDOG_PID (daemon.SdWatchdogEnabled).
	watchdogUsec func() (time.Duration, error)
	// stop stops the process for upstart (raise(SIGSTOP)).
	stop func() error

	mu       sync.Mutex
	status   string // the last STATUS= sent
	stopping bool   // STOPPING=1 sent: the watchdog pings unconditionally from then on
}

// New returns the Notifier for mode, one of redis-server's supervised values:
// "systemd", "upstart", "auto" (upstart when $UPSTART_JOB is set, else systemd when
// $NOTIFY_SOCKET is set, else off) or "no". It returns nil (supervision off) for "no",
// for "auto" outside a supervisor, and when the requested supervisor's variable is
// missing, logging Redis's warning as redis-server does.
func New(mode string, log zerolog.Logger) *Notifier {
	log = log.With().Str("component", "supervise").Logger()
	m, ok := resolve(mode, os.Getenv)
	if !ok {
		log.Warn().Str("mode", mode).Msg("unknown supervised mode, supervision off")
		return nil
	}
	switch m {
	case Systemd:
		if os.Getenv("NOTIFY_SOCKET") == "" {
			log.Warn().Msg("systemd supervision error: NOTIFY_SOCKET not found!")
			return nil
		}
		log.Info().Msg("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.")
	case Upstart:
		if os.Getenv("UPSTART_JOB") == "" {
			log.Warn().Msg("upstart supervision requested, but UPSTART_JOB not found!")
			return nil
		}
		log.Info().Msg("supervised by upstart, will stop to signal readiness.")
	default:
		return nil
	}
	return &Notifier{mode: m, log: log,
		send:         func(state string) (bool, error) { return daemon.SdNotify(false, state) },
		watchdogUsec: func() (time.Duration, error) { return daemon.SdWatchdogEnabled(false) },
		stop:         func() error { return syscall.Kill(os.Getpid(), syscall.SIGSTOP) },
	}
}

// resolve maps a supervised value to the mode in force, as Redis's redisIsSupervised
// does for "auto"; ok is false for a value Redis does not accept.
func resolve(mode string, getenv func(string) string) (m Mode, ok bool) {
	switch strings.ToLower(mode) {
	case "systemd":
		return Systemd, true
	case "upstart":
		return Upstart, true
	case "auto":
		if getenv("UPSTART_JOB") != "" {
			return Upstart, true
		}
		if getenv("NOTIFY_SOCKET") != "" {
			return Systemd, true
		}
		return Off, true
	case "no", "":
		return Off, true
	}
	return Off, false
}

// Mode returns the supervision in force (Off for a nil Notifier).
func (n *Notifier) Mode() Mode {
	if n == nil {
		return Off
	}
	return n.mode
}

// Ready tells the manager that start-up is complete (the dataset is loaded and the
// listeners are open): STATUS=status and READY=1 in one datagram for systemd (Redis
// sends "Ready to accept connections" then READY=1); for upstart the process stops
// itself and continues when upstart sends SIGCONT.
func (n *Notifier) Ready(status string) {
	if n == nil {
		return
	}
	if n.mode == Upstart {
		if err := n.stop(); err != nil {
			n.log.Warn().Err(err).Msg("upstart supervision error: could not raise SIGSTOP")
		}
		os.Unsetenv("UPSTART_JOB")
		return
	}
	status = oneLine(status)
	n.mu.Lock()
	n.status = status
	n.mu.Unlock()
	n.notify("STATUS=" + status + "\n" + daemon.SdNotifyReady)
}

// Status sets the one-line state the manager shows (systemctl status), when it differs
// from the last one sent.
func (n *Notifier) Status(s string) {
	if n == nil || n.mode != Systemd {
		return
	}
	s = oneLine(s)
	n.mu.Lock()
	same := s == n.status
	n.status = s
	n.mu.Unlock()
	if !same {
		n.notify("STATUS=" + s)
	}
}

// ExtendTimeout asks for d more before the current start-up (or stop) timeout fires:
// the process must send again within d (EXTEND_TIMEOUT_USEC). Callers send it
// periodically while a long load makes progress.
func (n *Notifier) ExtendTimeout(d time.Duration) {
	if n == nil || n.mode != Systemd || d <= 0 {
		return
	}
	n.notify("EXTEND_TIMEOUT_USEC=" + strconv.FormatInt(d.Microseconds(), 10))
}

// Stopping tells the manager that the process is shutting down (STOPPING=1, once).
// From then on the watchdog pings without asking for progress: a final save holds the
// command loop legitimately, and TimeoutStopSec bounds the stop.
func (n *Notifier) Stopping() {
	if n == nil || n.mode != Systemd {
		return
	}
	n.mu.Lock()
	already := n.stopping
	n.stopping = true
	n.mu.Unlock()
	if !already {
		n.notify(daemon.SdNotifyStopping)
	}
}

// Watchdog sends WATCHDOG=1 every WATCHDOG_USEC/2 while the service has a watchdog
// (WatchdogSec=; WATCHDOG_PID unset or this process) until ctx ends, but only on the
// ticks where every progress function reports progress since its previous call; each
// is called once per tick. It returns at once when there is no watchdog. Run it in its
// own goroutine.
func (n *Notifier) Watchdog(ctx context.Context, progress ...func() bool) {
	if n == nil || n.mode != Systemd {
		return
	}
	interval, err := n.watchdogUsec()
	if err != nil {
		n.log.Warn().Err(err).Msg("systemd watchdog disabled")
		return
	}
	if interval <= 0 {
		return
	}
	n.log.Info().Dur("interval", interval).Msg("systemd watchdog enabled")
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	stalled := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok := true
		for _, p := range progress {
			if !p() { // every function is called: each keeps its own baseline
				ok = false
			}
		}
		n.mu.Lock()
		stopping := n.stopping
		n.mu.Unlock()
		switch {
		case ok || stopping:
			if stalled {
				n.log.Info().Msg("loop progressing again, watchdog pings resumed")
				stalled = false
			}
			n.notify(daemon.SdNotifyWatchdog)
		case !stalled:
			n.log.Warn().Msg("loop made no progress, watchdog ping withheld")
			stalled = true
		}
	}
}

// notify sends one datagram; a failure is logged, as Redis logs sd_notify's.
func (n *Notifier) notify(state string) {
	sent, err := n.send(state)
	switch {
	case err != nil:
		n.log.Warn().Err(err).Msg("systemd supervision error: sd_notify failed")
	case !sent:
		n.log.Warn().Msg("systemd supervision error: NOTIFY_SOCKET not found!")
	}
}

// oneLine makes s safe as a STATUS= value: one line, no control characters.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
