package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// ErrStopped is returned by ConnectInProcess once the server is stopping.
var ErrStopped = errors.New("server: stopped")

// ConnectInProcess returns a client connection to the server that uses no
// network: one end of a Unix socket pair whose other end the server serves
// as it serves an accepted client (flagged as a Unix-socket client, so
// protected mode does not apply; requirepass does). A node's agent watches
// its own server through it: ROLE, INFO and REPLICAOF NO ONE run as they do
// for a TCP client, without the TCP stack.
func (s *Server) ConnectInProcess() (net.Conn, error) {
	select {
	case <-s.done:
		return nil, ErrStopped
	default:
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("server: socketpair: %w", err)
	}
	client, err := fileConn(fds[0], "vigil-inproc-client")
	if err != nil {
		syscall.Close(fds[1])
		return nil, err
	}
	served, err := fileConn(fds[1], "vigil-inproc-server")
	if err != nil {
		client.Close()
		return nil, err
	}
	s.stats.connections.Add(1)
	go s.serveConn(served)
	return client, nil
}

// fileConn turns a socket descriptor into a net.Conn (the descriptor is
// duplicated by net.FileConn and closed here).
func fileConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("server: %s: %w", name, err)
	}
	return c, nil
}
