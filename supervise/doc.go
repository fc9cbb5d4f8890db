// Package supervise tells the service manager that runs Vigil how the process is doing,
// as redis-server's `supervised` directive does: systemd's notify protocol (READY=1,
// STATUS=, EXTEND_TIMEOUT_USEC=, WATCHDOG=1, STOPPING=1 sent to $NOTIFY_SOCKET through
// coreos/go-systemd's daemon package) or upstart's "stop yourself once ready" (SIGSTOP).
//
// A Notifier is built by the process owner (cmd/vigil, the node) from the supervised
// mode; when supervision is off New returns nil and every method of a nil Notifier does
// nothing, so callers never test for it.
//
// The watchdog is the one part with a policy: Watchdog pings systemd every
// WATCHDOG_USEC/2 only while every progress function it was given reports progress
// (the server's command loop, the sentinel's tick loop), so that a wedged loop gets the
// process restarted instead of being kept alive by a healthy goroutine beside it.
//
// Imports: only the standard library, zerolog and go-systemd; never a Vigil package.
//
// Concurrency: every method may be called from any goroutine; one mutex guards the
// last status sent and the stopping flag, and is never held while sending.
package supervise
