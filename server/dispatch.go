package server

import (
	"fmt"
	"math"
	"time"
)

// processCommand runs one command under the execution lock and applies CLIENT REPLY
// OFF/SKIP to its reply. It returns false when CLIENT PAUSE postponed the command: the
// caller waits for the pause to end (waitUnpaused) and submits the command again; or,
// with c.settleFor set, when other clients' input comes first (awaitSettled, then again).
func (s *Server) processCommand(c *Client, args [][]byte) bool {
	mark := len(c.w.B)
	if !s.dispatch(c, args) {
		return false
	}
	c.applyReplyMode(mark)
	return true
}

// dispatch is Redis's processCommand: every generic check in one place, then call.
// The caller holds the lock and has set s.clock.
// It returns false when the command was postponed by CLIENT PAUSE, or held until other
// clients read their input (c.settleFor set; settle.go).
func (s *Server) dispatch(c *Client, args [][]byte) bool {
	c.args = args
	c.cmd = nil
	now := s.clock // set when the batch took the lock, advanced by each call
	c.lastAt = now
	s.nowMs = now.UnixMilli()

	cmd, errText := s.cmds.lookup(args)
	if cmd == nil && c.has(ClientMaster) {
		cmd, errText = s.lookupOrOriginal(args)
	}
	if cmd == nil {
		s.rejectCommand(c, nil, errText)
		return true
	}
	if !arityOK(cmd.Arity, len(args)) {
		s.rejectCommand(c, cmd, fmt.Sprintf(ErrWrongArgs, cmd.Name))
		return true
	}
	if cmd.Flags&FlagProtected != 0 && !s.debugAllowed(c) {
		s.rejectCommand(c, cmd, fmt.Sprintf(ErrDebugDisabled, "DEBUG", "enable-debug-command"))
		return true
	}
	if !c.authed && cmd.Flags&FlagNoAuth == 0 {
		s.rejectCommand(c, cmd, ErrNoAuth)
		return true
	}
	if c.has(ClientMulti) && cmd.Flags&FlagNoMulti != 0 {
		s.rejectCommand(c, cmd, ErrNotAllowedInMulti)
		return true
	}
	if !c.has(ClientMaster) && s.mustSettle(c, cmd) {
		return false // input other clients were sent first is read first (settle.go)
	}
	c.settled = false
	if !c.has(ClientMaster) { // our master's stream obeys no gate
		for _, gate := range s.gateList {
			if msg := gate(c, cmd); msg != "" {
				s.rejectCommand(c, cmd, msg)
				return true
			}
		}
	}
	if c.has(ClientPubSub) && c.w.Proto == 2 && !allowedInPubSubContext(cmd.Name) {
		s.rejectCommand(c, cmd, fmt.Sprintf(ErrPubSubContext, cmd.Name))
		return true
	}
	if s.admin.pause.kind != pauseOff && s.mustPostpone(c, cmd) {
		return false
	}
	if c.has(ClientMulti) && !isTransactionControl(cmd.Name) {
		s.queueMulti(c, cmd)
		return true
	}
	s.call(c, cmd)
	if len(s.readyKeys) > 0 {
		s.handleReadyKeys()
	}
	return true
}

// gate is a check applied to every command before it runs (OOM, read-only replica,
// MISCONF, LOADING...). It returns the error reply text, or "" to let the command run.
type gate func(c *Client, cmd *Command) string

// gates returns the checks in Redis's order (built once, in New). Families add theirs here.
func (s *Server) gates() []gate {
	return []gate{s.gateOOM, s.gateMisconf, s.gateNoReplicas, s.gateFenced, s.gateWrites, s.gateReadOnly, s.gateMasterDown, s.gateLoading}
}

// rejectCommand replies msg without running the command; inside MULTI it also makes EXEC fail.
func (s *Server) rejectCommand(c *Client, cmd *Command, msg string) {
	if c.has(ClientMulti) {
		c.flags |= ClientDirtyExec
	}
	if cmd != nil {
		cmd.stats.rejected++
		if cmd.Name == "exec" {
			s.execAbort(c, msg)
			return
		}
	}
	c.err(msg)
}

func allowedInPubSubContext(name string) bool {
	switch name {
	case "ping", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "quit", "reset":
		return true
	}
	return false
}

func isTransactionControl(name string) bool {
	switch name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// call runs cmd for c inside its own execution unit and records its statistics.
func (s *Server) call(c *Client, cmd *Command) {
	c.cmd = cmd
	c.failed, c.propagateSelf, c.overridden = false, false, false
	// called directly (not from EXEC), a command touching arbitrary keys opens no unit
	unit := cmd.Flags&FlagTouchesArbitraryKeys == 0 || s.unitDepth > 0
	if unit {
		s.beginUnit()
	}
	// One clock read per command: a command starts when the previous one (or its
	// dispatch) ended; time.Now is costly enough on some VMs to show in profiles.
	start := s.clock
	mark, limit := c.w.Mark, c.w.Limit
	c.w.Mark, c.w.Limit = len(c.w.B), s.replyLimit(cmd)
	room := s.outputRoom(c)
	if room > 0 && (c.w.Limit == 0 || room < c.w.Limit) {
		c.w.Limit = room
	}
	growth := cmd.Flags&FlagDenyOOM != 0 // EXEC has no denyoom flag: its commands count themselves
	var before int64
	var measured bool
	if growth {
		before, measured = s.growthBefore(c, cmd)
	}
	cmd.Handler(c)
	if growth {
		s.growthAfter(c, cmd, before, measured)
	}
	switch {
	case !c.w.Full():
	case room > 0 && len(c.w.B)-c.w.Mark > room: // client-output-buffer-limit
		if !c.has(ClientKilled) {
			s.closeForOutputLimit(c)
		}
	default: // proto-max-reply-len
		c.w.B = c.w.B[:c.w.Mark]
		c.err(ErrReplyTooBig)
	}
	c.w.Mark, c.w.Limit = mark, limit // EXEC's, around its queued commands
	end := time.Now()
	dur := end.Sub(start)
	s.clock = end
	if c.propagateSelf && !c.overridden {
		s.propagateRecord(c.dbIndex, c.args)
	}
	if unit {
		s.endUnit()
	}
	c.woff = s.repl.offset
	c.fenceData = c.fenceData || cmd.Flags&fenceDataFlags != 0
	cmd.stats.calls++
	cmd.stats.usec += dur.Microseconds()
	if s.cfg.LatencyTracking {
		if cmd.stats.hist == nil {
			cmd.stats.hist = &latencyHist{}
		}
		cmd.stats.hist.record(dur)
	}
	if s.cfg.LatencyMonitorThreshold > 0 {
		s.commandLatency(cmd, dur)
	}
	if c.failed {
		cmd.stats.failed++
	}
	s.stats.commands++
	c.lastCmd = cmd.Name
	if s.cfg.MaxMemoryClients != 0 {
		s.checkClientsMem(c) // what the command queued, watched or subscribed counts
	}
	s.afterCall(c, cmd, dur)
}

// replyLimit is the bound on cmd's reply (proto-max-reply-len), 0 for none: commands
// that write are not bounded (their reply carries what they removed), nor is EXEC, whose
// queued commands are bounded one by one.
func (s *Server) replyLimit(cmd *Command) int {
	if cmd.Flags&FlagWrite != 0 || cmd.Name == "exec" || s.cfg.ProtoMaxReplyLen <= 0 {
		return 0
	}
	return int(min(s.cfg.ProtoMaxReplyLen, math.MaxInt))
}

// countError records an error reply in errorstats (keyed by its first word).
func (s *Server) countError(msg string) {
	prefix := msg
	for i := 0; i < len(msg); i++ {
		if msg[i] == ' ' {
			prefix = msg[:i]
			break
		}
	}
	s.stats.errors[prefix]++
	s.stats.totalErrors++
}
