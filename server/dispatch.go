package server

import (
	"fmt"
	"time"
)

// processCommand is Redis's processCommand: every generic check in one place, then call.
// It runs under the execution lock.
func (s *Server) processCommand(c *Client, args [][]byte) {
	c.args = args
	c.cmd = nil
	now := time.Now()
	c.lastAt = now
	s.nowMs = now.UnixMilli()

	cmd, errText := s.cmds.lookup(args)
	if cmd == nil {
		s.rejectCommand(c, nil, errText)
		return
	}
	if !arityOK(cmd.Arity, len(args)) {
		s.rejectCommand(c, cmd, fmt.Sprintf(ErrWrongArgs, cmd.Name))
		return
	}
	if cmd.Flags&FlagProtected != 0 && !s.debugAllowed(c) {
		s.rejectCommand(c, cmd, fmt.Sprintf(ErrDebugDisabled, "DEBUG", "enable-debug-command"))
		return
	}
	if !c.authed && cmd.Flags&FlagNoAuth == 0 {
		s.rejectCommand(c, cmd, ErrNoAuth)
		return
	}
	if c.has(ClientMulti) && cmd.Flags&FlagNoMulti != 0 {
		s.rejectCommand(c, cmd, ErrNotAllowedInMulti)
		return
	}
	for _, gate := range s.gateList {
		if msg := gate(c, cmd); msg != "" {
			s.rejectCommand(c, cmd, msg)
			return
		}
	}
	if c.has(ClientPubSub) && c.w.Proto == 2 && !allowedInPubSubContext(cmd.Name) {
		s.rejectCommand(c, cmd, fmt.Sprintf(ErrPubSubContext, cmd.Name))
		return
	}
	if c.has(ClientMulti) && !isTransactionControl(cmd.Name) {
		s.queueMulti(c, cmd)
		return
	}
	s.call(c, cmd)
	if len(s.readyKeys) > 0 {
		s.handleReadyKeys()
	}
}

// gate is a check applied to every command before it runs (OOM, read-only replica,
// MISCONF, LOADING...). It returns the error reply text, or "" to let the command run.
type gate func(c *Client, cmd *Command) string

// gates returns the checks in Redis's order (built once, in New). Families add theirs here.
func (s *Server) gates() []gate {
	return []gate{s.gateOOM, s.gateMisconf, s.gateLoading}
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
	skip := c.has(ClientReplySkip)
	mark := len(c.w.B)
	s.beginUnit()
	start := time.Now()
	cmd.Handler(c)
	dur := time.Since(start)
	if c.propagateSelf && !c.overridden {
		s.propagateRecord(c.dbIndex, c.args)
	}
	s.endUnit()
	if skip {
		c.w.B = c.w.B[:mark]
	}
	cmd.stats.calls++
	cmd.stats.usec += dur.Microseconds()
	if c.failed {
		cmd.stats.failed++
	}
	s.stats.commands++
	c.lastCmd = cmd.Name
	s.afterCall(c, cmd, dur)
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
