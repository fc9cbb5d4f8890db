package server

// The ordering rule between replies and the replication stream (Redis's, made explicit):
// a reply to a write is never handed to the kernel before that write's stream bytes have
// been handed to the socket of every online replica. Redis gets this from its event loop,
// which writes the replicas' buffers before the clients' replies in the same pass; here a
// client's goroutine flushes its replies itself, while each replica's writer goroutine
// flushes the stream, so without a barrier an acknowledgement could leave first and a
// kill -9 of the master would then lose an acknowledged write that no replica received.
//
// The barrier: under the execution lock, after the batch's stream has been distributed to
// the replicas' output (replDistribute), the client records the online replicas
// (streamBarrier); after the lock is released, it flushes their pending output before its
// own replies (flushStreams). Client.flush serializes writers on flushMu and drains all
// that is pending, so when several clients flush one replica at once, the first write
// carries every batch queued so far and the others find little or nothing left: the
// batching across clients is kept (one write(2) per replica for the batches that are ready).

// streamBarrier records the replicas whose sockets must receive the stream distributed so
// far before c's replies are written. Called under Server.mu after replDistribute.
func (s *Server) streamBarrier(c *Client) {
	c.streamTo = c.streamTo[:0]
	for _, r := range s.repl.replicas {
		if r.repl.state == replOnline {
			c.streamTo = append(c.streamTo, r)
		}
	}
}

// flushStreams writes the pending stream of the replicas recorded by streamBarrier (a
// replica whose stream is still held for its full sync is skipped by Client.flush). A
// replica whose socket fails is closed; its own goroutine then removes it. Called without
// the lock, before c's replies are flushed.
func (c *Client) flushStreams() {
	for i, r := range c.streamTo {
		if r.flush() != nil {
			r.close()
		}
		c.streamTo[i] = nil // keep no closed replica reachable from an idle client
	}
	c.streamTo = c.streamTo[:0]
}
