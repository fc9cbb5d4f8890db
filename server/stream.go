package server

import "runtime"

// The ordering rule between replies and the replication stream (Redis's, made explicit):
// a reply to a write is never handed to the kernel before that write's stream bytes have
// been handed to the socket of every online replica. Redis gets this from its event loop,
// which writes the replicas' buffers before the clients' replies in the same pass; here a
// client's goroutine flushes its replies itself, while each replica's writer goroutine
// flushes the stream, so without a barrier an acknowledgement could leave first and a
// kill -9 of the master would then lose an acknowledged write that no replica received.
//
// The barrier is a group commit, like the AOF's (aof_log.go): every byte appended to a
// replica's output advances its ticket (Client.streamSeq); its writer goroutine, after
// each write(2), publishes how far it wrote (Client.streamDone) and wakes the clients
// waiting for it. Under the execution lock, after the batch's stream has been distributed
// (replDistribute), the client records each online replica with its ticket
// (streamBarrier); after the lock is released, it waits until every recorded replica's
// writer has written past its ticket (waitStreams), then writes its own replies. The
// writers yield once before writing (Client.writer), so the batches of the connections
// that are ready meanwhile join the same write: one write(2) per replica per batch of
// ready connections, as in Redis's event loop, and no client writes a replica's socket.

// streamMark is a replica and the ticket its writer must pass.
type streamMark struct {
	r   *Client
	seq int64
}

// streamBarrier records the replicas whose sockets must receive the stream distributed so
// far before c's replies are written. Called under Server.mu after replDistribute.
func (s *Server) streamBarrier(c *Client) {
	c.streamTo = c.streamTo[:0]
	for _, r := range s.repl.replicas {
		// a replica whose stream is held until its first ACK after a diskless sync gets
		// the stream later, as in Redis: replies do not wait for it
		if r.repl.state == replOnline && !r.repl.waitAck {
			r.outMu.Lock()
			seq := r.streamSeq
			r.outMu.Unlock()
			c.streamTo = append(c.streamTo, streamMark{r, seq})
		}
	}
}

// waitStreams returns once every replica recorded by streamBarrier has written its stream
// past the recorded ticket, or closed. Called without the lock, before c's replies are
// flushed.
func (c *Client) waitStreams() {
	for i, m := range c.streamTo {
		m.r.waitWritten(m.seq)
		c.streamTo[i] = streamMark{} // keep no closed replica reachable from an idle client
	}
	c.streamTo = c.streamTo[:0]
}

// waitWritten returns once r's output is written up to seq (or r closed). The
// writer may have done it; if not, the client yields as long as other connections keep
// adding to r's output (they run their batches meanwhile, a bounded number of times),
// then writes r's pending output itself if it is still not written: the first of the
// waiting clients carries every batch queued so far (the AOF's leader rule), so a round
// of ready connections costs one write(2) per replica, as an iteration of Redis's event
// loop does.
func (r *Client) waitWritten(seq int64) {
	queued := seq
	for range maxStreamYields {
		if r.streamDone.Load() >= seq {
			return
		}
		runtime.Gosched()
		r.outMu.Lock()
		now := r.streamSeq
		r.outMu.Unlock()
		if now == queued {
			break // nobody added to it while we yielded: write now
		}
		queued = now
	}
	if r.streamDone.Load() >= seq {
		return
	}
	if r.flush() != nil {
		r.close()
	}
}

// maxStreamYields bounds how many times a client yields to let other batches join its
// replica write.
const maxStreamYields = 8

// wroteStream publishes that r's output is written up to seq and wakes the waiters.
func (r *Client) wroteStream(seq int64) {
	r.streamDone.Store(seq)
	r.outMu.Lock()
	if r.streamWake != nil {
		close(r.streamWake)
		r.streamWake = nil
	}
	r.outMu.Unlock()
}
