//go:build linux

package server

import (
	"io"
	"syscall"
	"unsafe"
)

// Receive times for arrival order (arrival.go): every TCP socket asks the kernel for the
// time each segment arrived (SO_TIMESTAMPNS) and is read with recvmsg to learn it.

// arrivalReader reads a socket with recvmsg and keeps the kernel's receive time of what
// it read. Its buffers live as long as the client: a read allocates nothing.
type arrivalReader struct {
	hdr   syscall.Msghdr
	iov   syscall.Iovec
	ctl   [64]byte // one SCM_TIMESTAMPNS control message
	n     int
	errno syscall.Errno
	at    int64 // unix ns the last segment of the last read arrived; 0: not known
	f     func(fd uintptr) bool
}

// newArrivalReader turns on receive timestamps on raw's socket; nil when the socket
// refuses them (reads then go through the net.Conn, in no known order).
func newArrivalReader(raw syscall.RawConn) *arrivalReader {
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return nil
	}
	r := &arrivalReader{}
	r.hdr.Iov = &r.iov
	r.hdr.Iovlen = 1
	r.f = r.recv
	return r
}

// read reads into buf as net.Conn.Read does (read deadlines apply; io.EOF at the end).
func (r *arrivalReader) read(raw syscall.RawConn, buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	r.iov.Base = &buf[0]
	r.iov.SetLen(len(buf))
	r.n, r.errno = 0, 0
	err := raw.Read(r.f)
	r.iov.Base = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, r.errno
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// recv is RawConn.Read's function: one recvmsg, false to wait for readability.
func (r *arrivalReader) recv(fd uintptr) bool {
	for {
		r.hdr.Control = &r.ctl[0]
		r.hdr.SetControllen(len(r.ctl))
		n, _, e := syscall.Syscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.hdr)), 0)
		switch e {
		case 0:
			r.n = int(n)
			if raceEnabled {
				// syscall.Read tells the race detector that what a socket delivers
				// happened after what its sender did before sending (the peer may be
				// a goroutine of the same process): an empty read does that for recvmsg
				syscall.Read(int(fd), nil)
			}
			if n > 0 {
				if at := r.stamp(); at != 0 {
					r.at = at
				}
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.errno = e
			return true
		}
	}
}

// stamp returns the receive time in the control message recvmsg filled, 0 if none.
func (r *arrivalReader) stamp() int64 {
	l := int(r.hdr.Controllen)
	if l < syscall.CmsgSpace(16) {
		return 0
	}
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&r.ctl[0]))
	if h.Level != syscall.SOL_SOCKET || h.Type != syscall.SCM_TIMESTAMPNS {
		return 0
	}
	ts := (*syscall.Timespec)(unsafe.Pointer(&r.ctl[syscall.CmsgLen(0)]))
	return ts.Nano()
}
