package server

import (
	"sort"
)

// Client eviction (maxmemory-clients): when the normal and pub/sub clients together use
// more memory than the limit, the largest evictable ones are closed until they fit, as
// Redis 7.0's evictClients. Replicas, masters and CLIENT NO-EVICT clients are never
// evicted but their memory counts.

// Per-entry overheads of a client's watched keys and subscriptions, in bytes: what
// Redis's list nodes and dict entries cost beyond the key itself.
const (
	watchedKeyOverhead = 48
	subOverhead        = 32
)

// clientsMemLimit is maxmemory-clients in bytes (a percentage applies to maxmemory), 0
// for no limit.
func (s *Server) clientsMemLimit() int64 {
	v := s.cfg.MaxMemoryClients
	if v < 0 {
		return s.cfg.MaxMemory * -v / 100
	}
	return v
}

// memUsage is c's tot-mem: its query buffer, reply buffer and pending output, what MULTI
// queued, its watched keys and subscriptions (under mu).
func (c *Client) memUsage() int64 {
	c.outMu.Lock()
	omem := len(c.pending)
	c.outMu.Unlock()
	n := c.qbufCap.Load() + int64(cap(c.w.B)+omem+c.multiMem)
	for _, w := range c.watched {
		n += int64(len(w.key) + watchedKeyOverhead)
	}
	for _, subs := range []map[string]struct{}{c.subs, c.psubs, c.ssubs} {
		for ch := range subs {
			n += int64(len(ch) + subOverhead)
		}
	}
	return n
}

// evictAfterRead applies maxmemory-clients once c's query buffer grew; false when c
// itself was evicted.
func (s *Server) evictAfterRead(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evictClients()
	return !c.has(ClientKilled)
}

// evictable reports whether maxmemory-clients may close c, and whether its memory counts.
func (c *Client) evictable() (evict, counts bool) {
	if c.has(ClientReplica | ClientMaster | ClientMonitor | ClientKilled) {
		return false, false
	}
	return !c.has(ClientNoEvict), true
}

// evictClients closes the largest evictable clients until the clients' memory is under
// maxmemory-clients (under mu).
func (s *Server) evictClients() {
	limit := s.clientsMemLimit()
	if limit <= 0 {
		return
	}
	type sized struct {
		c   *Client
		mem int64
	}
	var total int64
	var cands []sized
	for _, c := range s.clients {
		evict, counts := c.evictable()
		if !counts {
			continue
		}
		m := c.memUsage()
		total += m
		if evict {
			cands = append(cands, sized{c, m})
		}
	}
	if total < limit {
		return
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].mem > cands[j].mem })
	for _, x := range cands {
		if total < limit {
			return
		}
		s.log.Debug().Str("client", string(x.c.appendInfo(nil, x.c))).Msg("Evicting client")
		s.stats.evictedClients++
		s.killClient(x.c)
		total -= x.mem
	}
}
