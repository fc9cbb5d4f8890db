package server

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/resp"
)

// The coordinated FAILOVER command of Redis 6.2+ (spec §7): pause writes, wait until a
// replica has our whole stream, then become its replica with PSYNC ... FAILOVER, which
// makes it promote itself and continue our history.

// failoverKind is INFO's master_failover_state.
type failoverKind int

const (
	failoverNone failoverKind = iota
	failoverWaitForSync
	failoverInProgress
)

func (f failoverKind) String() string {
	return [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}[f]
}

// failoverState is a FAILOVER in progress (under the execution lock).
type failoverState struct {
	state    failoverKind
	host     string // target; "" until chosen when no TO was given
	port     int
	force    bool
	deadline time.Time // zero: no timeout
}

func (f *failoverState) target() string {
	if f.host == "" {
		return "any replica"
	}
	return net.JoinHostPort(f.host, strconv.Itoa(f.port))
}

type failoverArgs struct {
	host    string
	port    int
	force   bool
	timeout int64
}

// parseFailoverArgs parses FAILOVER [TO host port] [FORCE] [TIMEOUT ms] as Redis does.
func parseFailoverArgs(c *Client) (failoverArgs, bool) {
	var a failoverArgs
	toSeen := false
	for j := 1; j < len(c.args); j++ {
		switch {
		case argEqualFold(c.args[j], "timeout") && j+1 < len(c.args) && a.timeout == 0:
			v, ok := resp.ParseInt(c.args[j+1])
			if !ok {
				c.err(ErrNotInt)
				return a, false
			}
			if v <= 0 {
				c.err("ERR FAILOVER timeout must be greater than 0")
				return a, false
			}
			a.timeout = v
			j++
		case argEqualFold(c.args[j], "to") && j+2 < len(c.args) && !toSeen:
			v, ok := resp.ParseInt(c.args[j+2])
			if !ok || v < math.MinInt32 || v > math.MaxInt32 {
				c.err(ErrNotInt)
				return a, false
			}
			a.host, a.port, toSeen = string(c.args[j+1]), int(v), true
			j += 2
		case argEqualFold(c.args[j], "force") && !a.force:
			a.force = true
		default:
			c.err(ErrSyntax)
			return a, false
		}
	}
	return a, true
}

// cmdFailover is FAILOVER.
func cmdFailover(c *Client) {
	s := c.srv
	f := &s.repl.failover
	if len(c.args) == 2 && argEqualFold(c.args[1], "abort") {
		if f.state == failoverNone {
			c.err("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		c.ok()
		return
	}
	a, ok := parseFailoverArgs(c)
	if !ok {
		return
	}
	switch {
	case f.state != failoverNone:
		c.err("ERR FAILOVER already in progress.")
		return
	case s.isReplica():
		c.err("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(s.repl.replicas) == 0:
		c.err("ERR FAILOVER requires connected replicas.")
		return
	case a.force && (a.timeout == 0 || a.host == ""):
		c.err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if a.host != "" {
		r := s.findReplica(a.host, a.port)
		if r == nil {
			c.err("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if r.repl.state != replOnline {
			c.err("ERR FAILOVER target replica is not online.")
			return
		}
		s.log.Info().Msg(fmt.Sprintf("FAILOVER requested to %s:%d.", a.host, a.port))
	} else {
		s.log.Info().Msg("FAILOVER requested to any replica.")
	}
	*f = failoverState{state: failoverWaitForSync, host: a.host, port: a.port, force: a.force}
	if a.timeout > 0 {
		f.deadline = s.clock.Add(time.Duration(a.timeout) * time.Millisecond)
	}
	s.pauseClients(pauseByFailover, pauseWrite, math.MaxInt64)
	c.ok()
}

// findReplica returns the attached replica announced as host:port.
func (s *Server) findReplica(host string, port int) *Client {
	for _, c := range s.repl.replicas {
		if strings.EqualFold(c.replicaIP(), host) && c.repl.listeningPort == port {
			return c
		}
	}
	return nil
}

// failoverCron is updateFailoverStatus: start the handover once the target caught up, or
// give up (or force it) when the timeout passes.
func (s *Server) failoverCron(now time.Time) {
	f := &s.repl.failover
	if f.state != failoverWaitForSync {
		return
	}
	if !f.deadline.IsZero() && !now.Before(f.deadline) {
		if f.force {
			s.log.Info().Msg(fmt.Sprintf("FAILOVER to %s:%d time out exceeded, failing over.", f.host, f.port))
			s.handOver()
			return
		}
		s.abortFailover("Replica never caught up before timeout")
		return
	}
	var target *Client
	if f.host != "" {
		target = s.findReplica(f.host, f.port)
	} else {
		for _, c := range s.repl.replicas {
			if c.repl.state == replOnline && c.repl.ackOff == s.repl.offset {
				target = c
				f.host, f.port = c.replicaIP(), c.repl.listeningPort
				break
			}
		}
	}
	if target != nil && target.repl.ackOff == s.repl.offset {
		s.log.Info().Msg(fmt.Sprintf("Failover target %s:%d is synced, failing over.", f.host, f.port))
		s.handOver()
	}
}

// handOver becomes a replica of the target, asking it with PSYNC ... FAILOVER to promote.
func (s *Server) handOver() {
	f := &s.repl.failover
	f.state = failoverInProgress
	s.becomeReplica(f.host, f.port)
	s.repl.link.failoverPsync = true
}

// failoverPsyncDone is called (under the lock) with the target's reply to PSYNC FAILOVER.
func (s *Server) failoverPsyncDone(reply string) {
	if s.repl.failover.state != failoverInProgress {
		return
	}
	if strings.HasPrefix(reply, "+CONTINUE") || strings.HasPrefix(reply, "+FULLRESYNC") {
		s.log.Info().Msg("Failover target " + s.repl.failover.target() + " accepted the handover")
		s.repl.failover = failoverState{}
		s.unpauseClients(pauseByFailover)
		return
	}
	s.abortFailover("Failover target rejected psync request")
}

// abortFailover ends a FAILOVER: a handover in progress turns us back into a master.
func (s *Server) abortFailover(reason string) {
	f := &s.repl.failover
	if f.state == failoverNone {
		return
	}
	if f.state == failoverInProgress && s.isReplica() {
		s.becomeMaster("failover aborted")
	}
	s.log.Info().Msg("FAILOVER to " + f.target() + " aborted: " + reason)
	*f = failoverState{}
	s.unpauseClients(pauseByFailover)
}

// acceptFailoverPsync is the target side of PSYNC <replid> <offset> FAILOVER: promote
// ourselves, then let the PSYNC continue (it succeeds through replid2).
func (s *Server) acceptFailoverPsync(c *Client) bool {
	if !s.isReplica() {
		c.err("ERR PSYNC FAILOVER can't be sent to a master.")
		return false
	}
	if !strings.EqualFold(string(c.args[1]), s.replID) {
		c.err("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	s.becomeMaster("failover request from '" + string(c.appendInfo(nil, c)) + "'")
	return true
}
