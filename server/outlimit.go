package server

import (
	"fmt"
	"time"

	"github.com/vigil-db/vigil/config"
)

// Output buffer limits (client-output-buffer-limit): checked as output is queued, while a
// command's reply grows, and by clientsCron.

// outputRoom is how many reply bytes the running command may add before c's output
// passes its hard output buffer limit, 0 for no limit: the command stops there (its
// reply is Full) and c is closed without a reply, as Redis closes a client whose reply
// list passes the limit mid-command.
func (s *Server) outputRoom(c *Client) int {
	if c.has(ClientReplica | ClientMaster) {
		return 0
	}
	lim := s.cfg.ClientOutputBufferLimits[c.outputClass()].Hard
	if lim <= 0 {
		return 0
	}
	c.outMu.Lock()
	pending := c.outputLenLocked()
	c.outMu.Unlock()
	return int(max(lim-int64(pending+len(c.w.B))-1, 1))
}

// checkOutputLimits applies the output buffer limits to every client with pending
// output, so that a soft limit also closes a client no new output reaches (Redis's
// clientsCron calls closeClientOnOutputBufferLimitReached).
func (s *Server) checkOutputLimits() {
	for _, c := range s.clients {
		c.outMu.Lock()
		n := c.outputLenLocked() + int(c.outFlight.Load()) // all the output not sent yet
		c.outMu.Unlock()
		if n > 0 || c.admin.softLimitSince != 0 {
			s.checkOutputLimit(c, n)
		}
	}
}

// outputClass is the client-output-buffer-limit class of c (masters count as normal).
func (c *Client) outputClass() int {
	switch c.ctype() {
	case typeReplica:
		return config.ClassReplica
	case typePubSub:
		return config.ClassPubSub
	}
	return config.ClassNormal
}

// checkOutputLimit closes c asynchronously when its pending output (n bytes) breaks its
// class's client-output-buffer-limit (checkClientOutputBufferLimits). Called under mu.
func (s *Server) checkOutputLimit(c *Client, n int) {
	if c.has(ClientKilled) {
		return
	}
	lim := s.cfg.ClientOutputBufferLimits[c.outputClass()]
	if lim.Hard == 0 && lim.Soft == 0 {
		return
	}
	if c.ctype() == typeReplica && lim.Hard > 0 && lim.Hard < s.backlogSize() {
		lim.Hard = s.backlogSize() // a replica may always hold a backlog's worth
	}
	hard := lim.Hard > 0 && int64(n) >= lim.Hard
	soft := lim.Soft > 0 && int64(n) >= lim.Soft
	if soft {
		now := time.Now().Unix()
		if c.admin.softLimitSince == 0 {
			c.admin.softLimitSince = now
			soft = false
		} else if now-c.admin.softLimitSince <= int64(lim.SoftSeconds) {
			soft = false
		}
	} else {
		c.admin.softLimitSince = 0
	}
	if !hard && !soft {
		return
	}
	s.closeForOutputLimit(c)
}

// closeForOutputLimit closes c for overcoming its output buffer limits.
func (s *Server) closeForOutputLimit(c *Client) {
	s.log.Warn().Msg(fmt.Sprintf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.appendInfo(nil, c)))
	// freeClientAsync: the caller may be iterating over subscribers, so the client's
	// goroutine releases its state when the closed connection fails its read
	c.flags |= ClientKilled
	c.close()
}

// outputNoWaitMax is how much unsent output a client may have while its connection keeps
// reading, when neither maxmemory-clients nor a normal client-output-buffer-limit bounds
// it (Redis's defaults leave it unbounded; Vigil then applies backpressure past this).
const outputNoWaitMax = 12 << 20

// outputLeft applies the output limits to a client whose replies the socket did not take
// at once (Redis checks them as replies are added to its reply list). It returns false
// when the connection must wait for its client to read before running more commands: no
// limit bounds the output and it passed outputNoWaitMax.
func (s *Server) outputLeft(c *Client) bool {
	c.outMu.Lock()
	n := c.outputLenLocked() + int(c.outFlight.Load())
	c.outMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkOutputLimit(c, n)
	if s.cfg.MaxMemoryClients != 0 {
		if !c.has(ClientKilled) {
			s.checkClientsMem(c)
		}
		return true
	}
	lim := s.cfg.ClientOutputBufferLimits[c.outputClass()]
	return lim.Hard != 0 || lim.Soft != 0 || n <= outputNoWaitMax
}
