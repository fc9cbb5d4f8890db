package server

import "time"

// monitorCommands returns MONITOR and SLOWLOG.
func monitorCommands() []*Command { return nil }

// afterCall feeds MONITOR clients and the slowlog after a command ran.
func (s *Server) afterCall(c *Client, cmd *Command, dur time.Duration) {}

// removeMonitor drops c from the MONITOR list.
func (s *Server) removeMonitor(c *Client) {}
