package config

import (
	"net"
	"strings"
)

// DeniedReply is the reply Redis 7.0 writes before closing a connection that
// protected mode refuses (networking.c clientAcceptHandlerCommon), for the
// data server and the sentinel alike.
const DeniedReply = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// ProtectedDenies reports whether protected mode refuses a TCP client that
// connected from remote: protected-mode is yes, no password is set, and the
// client is not on the loopback interface (Redis's connIsLocal). Unix socket
// clients are never refused; the caller does not ask for them.
func (s *Server) ProtectedDenies(remote net.Addr) bool {
	return s.ProtectedMode && s.RequirePass == "" && !isLoopback(remote)
}

// isLoopback reports whether a is a loopback address (127.0.0.0/8, ::1).
func isLoopback(a net.Addr) bool {
	if a == nil {
		return false
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return ip.IsLoopback()
	}
	return false
}
