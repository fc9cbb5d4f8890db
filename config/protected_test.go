package config

import (
	"net"
	"testing"
)

// TestProtectedDenies is the protected-mode rule of Redis 7.0 (networking.c
// clientAcceptHandlerCommon) that the data server and the sentinel share.
func TestProtectedDenies(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 50000} }
	tests := []struct {
		name      string
		protected bool
		pass      string
		remote    net.Addr
		want      bool
	}{
		{"protected, no password, remote client", true, "", tcp("192.0.2.7"), true},
		{"protected, no password, IPv6 remote client", true, "", tcp("2001:db8::1"), true},
		{"protected, no password, loopback", true, "", tcp("127.0.0.1"), false},
		{"protected, no password, other 127/8 address", true, "", tcp("127.3.2.1"), false},
		{"protected, no password, IPv6 loopback", true, "", tcp("::1"), false},
		{"protected, password set", true, "secret", tcp("192.0.2.7"), false},
		{"not protected", false, "", tcp("192.0.2.7"), false},
		{"non-TCP address, loopback text", true, "", fakeAddr("127.0.0.1:6379"), false},
		{"non-TCP address, remote text", true, "", fakeAddr("192.0.2.7:6379"), true},
		{"no address", true, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Default()
			s.ProtectedMode, s.RequirePass = tt.protected, tt.pass
			if got := s.ProtectedDenies(tt.remote); got != tt.want {
				t.Fatalf("ProtectedDenies(%v) with protected-mode %v, requirepass %q: got %v, want %v",
					tt.remote, tt.protected, tt.pass, got, tt.want)
			}
		})
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "fake" }
func (a fakeAddr) String() string  { return string(a) }
