package sentinel

import (
	"context"
	"net"
	"time"
)

// resolveTimeout bounds the lookup of one instance hostname.
const resolveTimeout = time.Second

// resolveRetry is how long a hostname whose lookup failed is shown as it is before it is
// looked up again (a Kubernetes pod's name appears in DNS some time after the pod).
const resolveRetry = 10 * time.Second

// announceHost is Redis's announceSentinelAddr: the address clients are given for an
// instance known by host (SENTINEL GET-MASTER-ADDR-BY-NAME, the ip field of SENTINEL
// MASTER/REPLICAS/SENTINELS). With announce-hostnames yes it is the hostname; otherwise
// the IP the hostname resolved to. Redis resolves once, when it creates the instance;
// the sentinel keeps the first resolution of each hostname (loop goroutine only). A
// hostname that does not resolve is shown as it is, and looked up again only after
// resolveRetry: a lookup blocks the loop goroutine for up to resolveTimeout.
func (s *Sentinel) announceHost(host string) string {
	if s.cfg.AnnounceHostnames || net.ParseIP(host) != nil {
		return host
	}
	if ip, ok := s.resolved[host]; ok {
		return ip
	}
	if at, ok := s.unresolved[host]; ok && s.now().Sub(at) < resolveRetry {
		return host // looked up lately and failed: no blocking lookup per reply
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		if s.unresolved == nil {
			s.unresolved = map[string]time.Time{}
		}
		s.unresolved[host] = s.now()
		return host
	}
	delete(s.unresolved, host)
	if s.resolved == nil {
		s.resolved = map[string]string{}
	}
	s.resolved[host] = addrs[0]
	return addrs[0]
}
