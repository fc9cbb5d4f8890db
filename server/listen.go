package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/config"
)

// Listen fits maxclients to the open files limit (fdlimit.go), then opens the TCP
// listeners (bind × port) and the Unix socket.
func (s *Server) Listen() error {
	if err := s.adjustOpenFilesLimit(); err != nil {
		return err
	}
	tcp, err := s.listenTCP(s.cfg.Bind, s.cfg.Port)
	if err != nil {
		s.Close()
		return err
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	s.listeners = tcp
	if s.cfg.UnixSocket != "" {
		path := s.cfg.Path(s.cfg.UnixSocket) // relative to dir, as Redis's chdir makes it
		s.unixPath = path
		os.Remove(path)
		l, err := net.Listen("unix", path)
		if err != nil {
			s.lmu.Unlock()
			s.Close()
			s.lmu.Lock()
			return fmt.Errorf("server: listen on unix socket %s: %w", s.cfg.UnixSocket, err)
		}
		s.listeners = append(s.listeners, l)
		if s.cfg.UnixSocketPerm != 0 {
			if err := os.Chmod(path, os.FileMode(s.cfg.UnixSocketPerm)); err != nil {
				s.lmu.Unlock()
				s.Close()
				s.lmu.Lock()
				return fmt.Errorf("server: chmod unix socket: %w", err)
			}
		}
	}
	if len(s.listeners) == 0 {
		return errors.New("server: nothing to listen on (port 0 and no unixsocket)")
	}
	return nil
}

// listenTCP opens a listener on port for each bind address ("*" is every IPv4 address,
// "::*" every IPv6 one, a leading "-" makes an address optional); port 0 or no bind
// address (bind "") opens none. On error the listeners opened so far are closed.
func (s *Server) listenTCP(binds []string, port int) ([]net.Listener, error) {
	if port == 0 {
		return nil, nil
	}
	var out []net.Listener
	for _, b := range binds {
		optional := strings.HasPrefix(b, "-")
		b = strings.TrimPrefix(b, "-")
		network, host := "tcp", b
		switch b {
		case "*":
			network, host = "tcp4", "0.0.0.0"
		case "::*":
			network, host = "tcp6", "::"
		}
		l, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			if optional || (b == "::*" && len(binds) > 1) {
				s.log.Warn().Err(err).Str("addr", b).Msg("listen skipped")
				continue
			}
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("server: listen on %s:%d: %w", host, port, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// Addrs returns the addresses being listened on.
func (s *Server) Addrs() []net.Addr {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	out := make([]net.Addr, 0, len(s.listeners))
	for _, l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// relisten is CONFIG SET port and bind: it opens the TCP listeners of the new settings,
// and only once they all opened closes the old ones, so that on failure the server
// keeps listening where it did. msg is Redis's reason for a failure.
func (s *Server) relisten(before *config.Server, msg string) error {
	if s.cfg.Port == before.Port && strings.Join(s.cfg.Bind, " ") == strings.Join(before.Bind, " ") {
		return nil
	}
	tcp, err := s.listenTCP(s.cfg.Bind, s.cfg.Port)
	if err != nil {
		s.log.Warn().Err(err).Msg("CONFIG SET: could not listen")
		return errors.New(msg)
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	select {
	case <-s.done: // stopping: Close has closed what it saw
		for _, l := range tcp {
			l.Close()
		}
		return nil
	default:
	}
	var unix []net.Listener
	for _, l := range s.listeners {
		if _, ok := l.(*net.UnixListener); ok {
			unix = append(unix, l)
		} else {
			l.Close()
		}
	}
	s.listeners = append(tcp, unix...)
	for _, l := range tcp {
		s.wg.Add(1)
		go s.acceptLoop(l)
	}
	return nil
}
