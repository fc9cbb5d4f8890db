package mesh

import (
	"net"
	"strconv"
	"time"
)

// This file holds what any owner of a mesh (a sentinel today, a node that
// shares one mesh between its components later) needs around New: the
// announce rule, background joins, membership tests and a graceful close.

// AnnounceConfig fills BindAddr and AdvertiseAddr the way a sentinel's
// announce-ip works: an empty BindAddr is 0.0.0.0 (every interface), and a
// mesh bound to every interface advertises Meta.IP when it is set, so that
// peers reach it at the address clients are told.
func (c Config) AnnounceConfig() Config {
	if c.BindAddr == "" {
		c.BindAddr = "0.0.0.0"
	}
	if c.AdvertiseAddr == "" && c.Meta.IP != "" {
		if ip := net.ParseIP(c.BindAddr); ip != nil && ip.IsUnspecified() {
			c.AdvertiseAddr = c.Meta.IP
		}
	}
	return c
}

// JoinInBackground joins seeds on its own goroutine; a failure is logged
// (Join logs it) and otherwise ignored: memberlist merges partitions on its
// own, and the caller may join again later.
func (m *Mesh) JoinInBackground(seeds []string) {
	if len(seeds) == 0 {
		return
	}
	go func() { _, _ = m.Join(seeds) }()
}

// IsMember reports whether the node named name is a live member of the mesh
// (this node included).
func (m *Mesh) IsMember(name string) bool {
	return name == m.name || m.ev.peer(name) != nil
}

// AdvertisedAddr returns the host and port of LocalAddr, what peers join.
func (m *Mesh) AdvertisedAddr() (string, int) {
	host, port, err := net.SplitHostPort(m.addr)
	if err != nil {
		return "", 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

// Close leaves gracefully (waiting up to timeout) and shuts down: the way an
// owner stops its mesh.
func (m *Mesh) Close(timeout time.Duration) error {
	lerr := m.Leave(timeout)
	if err := m.Shutdown(); err != nil {
		return err
	}
	if lerr == ErrShutdown {
		return nil
	}
	return lerr
}
