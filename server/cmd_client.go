package server

// clientsCron closes idle clients and enforces output buffer soft limits.
func (s *Server) clientsCron() {}

// checkOutputLimit closes c when its pending output (n bytes) breaks its class's
// client-output-buffer-limit.
func (s *Server) checkOutputLimit(c *Client, n int) {}

// pauseActive reports whether CLIENT PAUSE is in effect.
func (s *Server) pauseActive() bool { return false }
