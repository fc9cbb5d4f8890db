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

// clientMemShare is what a client added to the clients' memory totals when last noted.
type clientMemShare struct {
	mem           int64
	counts, evict bool
}

// clientsMem is the sum of every client's last noted memory, and of the evictable ones'
// (under mu). Each command notes its own client in O(1); a full scan (evictClients)
// recounts every client exactly, and runs only when the totals reach the limit and from
// clientsCron, as Redis keeps clients in memory buckets instead of scanning them per
// command.
type clientsMem struct {
	total, evictable int64
}

// memUsage is c's tot-mem: its query buffer, reply buffer and pending output (what the
// writer is sending included), what MULTI queued, its watched keys and subscriptions.
func (c *Client) memUsage() int64 {
	c.outMu.Lock()
	omem := c.outputLenLocked()
	c.outMu.Unlock()
	return c.qbufCap.Load() + c.outFlight.Load() + int64(cap(c.w.B)+omem+c.multiMem) + c.listMem
}

// noteClientMem replaces c's share of the totals by its current memory (under mu).
func (s *Server) noteClientMem(c *Client) {
	s.forgetClientMem(c)
	evict, counts := c.evictable()
	if !counts {
		return
	}
	m := c.memUsage()
	c.memLast = clientMemShare{mem: m, counts: true, evict: evict}
	s.clientsMem.total += m
	if evict {
		s.clientsMem.evictable += m
	}
}

// forgetClientMem takes c's share out of the totals (a freed or killed client).
func (s *Server) forgetClientMem(c *Client) {
	if old := c.memLast; old.counts {
		s.clientsMem.total -= old.mem
		if old.evict {
			s.clientsMem.evictable -= old.mem
		}
	}
	c.memLast = clientMemShare{}
}

// checkClientsMem notes c's memory and evicts clients when the total reaches
// maxmemory-clients (under mu).
func (s *Server) checkClientsMem(c *Client) {
	limit := s.clientsMemLimit()
	if limit <= 0 {
		return
	}
	s.noteClientMem(c)
	if s.clientsMem.total >= limit && s.clientsMem.evictable > 0 {
		s.evictClients()
	}
}

// evictAfterRead applies maxmemory-clients once c's query buffer grew; false when c
// itself was evicted.
func (s *Server) evictAfterRead(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkClientsMem(c)
	return !c.has(ClientKilled)
}

// evictable reports whether maxmemory-clients may close c, and whether its memory counts.
func (c *Client) evictable() (evict, counts bool) {
	if c.has(ClientReplica | ClientMaster | ClientMonitor | ClientKilled) {
		return false, false
	}
	return !c.has(ClientNoEvict), true
}

// evictClients recounts every client's memory and closes the largest evictable clients
// until the clients' memory is under maxmemory-clients (under mu).
func (s *Server) evictClients() {
	limit := s.clientsMemLimit()
	if limit <= 0 {
		return
	}
	type sized struct {
		c   *Client
		mem int64
	}
	s.clientsMem = clientsMem{}
	var cands []sized
	for _, c := range s.clients {
		c.memLast = clientMemShare{}
		s.noteClientMem(c)
		if c.memLast.evict {
			cands = append(cands, sized{c, c.memLast.mem})
		}
	}
	if s.clientsMem.total < limit {
		return
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].mem > cands[j].mem })
	for _, x := range cands {
		if s.clientsMem.total < limit {
			return
		}
		s.log.Debug().Str("client", string(x.c.appendInfo(nil, x.c))).Msg("Evicting client")
		s.stats.evictedClients++
		s.killClient(x.c)
	}
}
