//go:build !linux

package server

import (
	"net"
	"time"
)

// setUserTimeout is a no-op where TCP_USER_TIMEOUT does not exist: a cut replication
// link is then found by repl-timeout alone.
func setUserTimeout(net.Conn, time.Duration) error { return nil }

// userTimeoutControl is a no-op where TCP_USER_TIMEOUT does not exist.
func userTimeoutControl(interface {
	Control(func(fd uintptr)) error
}, time.Duration) error {
	return nil
}
