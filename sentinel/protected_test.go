package sentinel

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

// remoteListener is a loopback listener whose connections report a
// non-loopback client address (192.0.2.7, TEST-NET-1), so that the
// endpoint's protected-mode check sees a remote client while the test only
// uses loopback.
type remoteListener struct{ net.Listener }

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{c}, nil
}

type remoteConn struct{ net.Conn }

func (remoteConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 50000}
}

// TestProtectedModeDeniesRemote: the sentinel endpoint answers a remote
// client with Redis's -DENIED and closes when protected-mode is yes and no
// requirepass is set; with a password it serves the client.
func TestProtectedModeDeniesRemote(t *testing.T) {
	tests := []struct {
		name      string
		protected bool
		pass      string
		want      string
	}{
		{"protected, no password", true, "", config.DeniedReply},
		{"protected, password", true, "secret", "-NOAUTH Authentication required.\r\n"},
		{"not protected", false, "", "+PONG\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{Server: config.Default(), MyID: id40}
			cfg.Server.ProtectedMode, cfg.Server.RequirePass = tt.protected, tt.pass
			s, err := New(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s.ln = remoteListener{ln}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go s.Run(ctx)
			go s.Serve()
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write([]byte("PING\r\n")); err != nil {
				t.Fatal(err)
			}
			got, err := bufio.NewReader(c).ReadString('\n')
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("PING from 192.0.2.7 (protected-mode %v, requirepass %q):\n got %q\nwant %q",
					tt.protected, tt.pass, trim(got), trim(tt.want))
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return strings.TrimSpace(s)
}
