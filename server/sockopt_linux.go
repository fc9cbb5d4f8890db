//go:build linux

package server

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// setUserTimeout sets TCP_USER_TIMEOUT on c: the kernel aborts the connection once data
// it sent stays unacknowledged for d (instead of retransmitting with a growing backoff
// for minutes). A no-op for connections that are not TCP.
func setUserTimeout(c net.Conn, d time.Duration) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	return userTimeoutControl(raw, d)
}

// userTimeoutControl sets TCP_USER_TIMEOUT through raw (also a net.Dialer's Control, so
// that it covers the connect as well).
func userTimeoutControl(raw interface {
	Control(func(fd uintptr)) error
}, d time.Duration) error {
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
	}); err != nil {
		return err
	}
	return serr
}
