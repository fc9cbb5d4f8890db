package server

import (
	"runtime"
	"time"
)

// The ordering rule between replies and the replication stream (Redis's, made explicit):
// a reply to a write is never handed to the kernel before that write's stream bytes have
// been handed to the socket of every online replica. Redis gets this from its event loop,
// which writes the replicas' buffers before the clients' replies in the same pass; here a
// client's goroutine flushes its replies itself, while each replica's writer goroutine
// flushes the stream, so without a barrier an acknowledgement could leave first and a
// kill -9 of the master would then lose an acknowledged write that no replica received.
//
// "Handed to the socket" is a write(2) of the replica's pending output that the kernel
// took. When the socket buffer is full (a replica that reads slower than the master
// writes, or a stopped or cut-off one) the rest stays in the replica's output buffer,
// where client-output-buffer-limit replica bounds it, and the replica's writer goroutine
// carries it (Client.stalled: it alone writes the socket, in streamChunk pieces, until the
// kernel has taken it all). Redis sends the replies anyway at that point, so a kill -9
// then loses the acknowledged writes still in the master's memory (real Redis loses a few
// in one kill -9 run of four in the safety harness). Here the replies wait for the writer
// as long as the replica's socket keeps taking data: a replica that reads, however slowly,
// holds every write acknowledged to a client. Only a replica whose socket took nothing for
// streamStallGrace is left behind (lagging): the replies stop waiting for it until its
// socket takes data again, and repl-timeout detects one that never reads. A cut-off
// replica thus stalls the master's writes once, for streamStallGrace, not until
// repl-timeout.
//
// The barrier is a group commit, like the AOF's (aof_log.go): every byte appended to a
// replica's output advances its ticket (Client.streamSeq); each write(2) to the replica's
// socket publishes how far it wrote (Client.streamDone). Under the execution lock, after
// the batch's stream has been distributed (replDistribute), the client records each
// online replica with its ticket (streamBarrier); after the lock is released, it makes
// sure that every recorded replica's output was handed to the socket past its ticket
// (waitStreams), then writes its own replies. The writers yield once before writing
// (Client.writer), and so do the waiting clients while other batches keep joining, so
// that one write(2) per replica carries the batches of the connections ready meanwhile,
// as one iteration of Redis's event loop does.

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

// waitStreams returns once every replica recorded by streamBarrier has been handed its
// stream past the recorded ticket: written, or left to its writer because its socket is
// full, or closed. Called without the lock, before c's replies are flushed.
func (c *Client) waitStreams() {
	for i, m := range c.streamTo {
		m.r.handStream(m.seq)
		c.streamTo[i] = streamMark{} // keep no closed replica reachable from an idle client
	}
	c.streamTo = c.streamTo[:0]
}

// handStream returns once r's output up to seq is handed to its socket. The writer may
// have done it; if not, the client yields as long as other connections keep adding to r's
// output (they run their batches meanwhile, a bounded number of times), then writes r's
// pending output itself without blocking: the first of the waiting clients carries every
// batch queued so far (the AOF's leader rule), so a round of ready connections costs one
// write(2) per replica, as an iteration of Redis's event loop does. It never waits for a
// socket that does not take the stream.
func (r *Client) handStream(seq int64) {
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
	if r.streamNoWait() != nil {
		r.close()
		return
	}
	r.waitStalled(seq)
}

// waitStalled returns once r's output up to seq is handed to its socket, r is closed, or
// r's socket took nothing for streamStallGrace (r lags: see the rule above). r's writer
// carries the stream meanwhile (streamNoWait marked r stalled, or r was).
func (r *Client) waitStalled(seq int64) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		r.progMu.Lock()
		if r.progress == nil {
			r.progress = make(chan struct{})
		}
		ch := r.progress
		r.progMu.Unlock()
		if r.streamDone.Load() >= seq {
			return
		}
		left := streamStallGrace - time.Duration(r.srv.monoNanos()-r.streamAt.Load())
		if left <= 0 {
			return // the socket took nothing for the grace period: r lags
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		select {
		case <-ch:
		case <-timer.C:
		case <-r.closed:
			return
		}
	}
}

// streamNoWait writes r's pending stream without blocking: what the socket takes now.
// The rest stays pending, r becomes stalled, and its writer goroutine carries it. While
// r is stalled (or held before its RDB is sent) it writes nothing. Once r is online the
// holders of flushMu never wait for the socket (only the RDB senders do, before), so the
// lock is brief.
func (r *Client) streamNoWait() error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	return r.streamNoWaitLocked()
}

// streamNoWaitLocked is streamNoWait under flushMu.
func (r *Client) streamNoWaitLocked() error {
	if r.hold.Load() || r.stalled {
		return nil
	}
	pool := &r.srv.streamPool
	r.outMu.Lock()
	data, seq := r.stream.take(), r.streamSeq
	r.outMu.Unlock()
	if data.n == 0 {
		return nil
	}
	for data.n > 0 {
		h := data.head()
		n, err := r.writeNoWait(h)
		r.srv.stats.replOutput.Add(int64(n))
		data.consumed(pool, n)
		if err != nil {
			data.release(pool)
			return err
		}
		if n < len(h) {
			break
		}
	}
	if data.n == 0 {
		r.wroteStream(seq)
		return nil
	}
	left := data.n
	r.putBackStream(data)
	r.wroteStream(seq - int64(left)) // the stall's grace counts from here
	r.stalled = true
	r.wake()
	return nil
}

// putBackStream returns the unwritten rest of r's stream, taken by a writer, to its front;
// a removed replica's rest is dropped.
func (r *Client) putBackStream(rest chunkList) {
	r.outMu.Lock()
	if r.streamShut {
		rest.release(&r.srv.streamPool)
	} else {
		r.stream.prepend(rest)
	}
	r.outMu.Unlock()
}

// flushStream is a replica's writer: it writes the pending stream without blocking and,
// once the socket is full (r.stalled), writes the rest blocking without holding flushMu,
// so that the clients, which see r stalled, neither wait for it nor write to the socket.
// It returns once the pending stream is written or the socket fails (repl-timeout or the
// output limit closes it).
func (r *Client) flushStream() error {
	for {
		r.flushMu.Lock()
		if !r.stalled {
			err := r.streamNoWaitLocked()
			if err != nil || !r.stalled {
				r.flushMu.Unlock()
				return err
			}
		}
		pool := &r.srv.streamPool
		r.outMu.Lock()
		data, seq := r.stream.take(), r.streamSeq
		r.outFlight.Store(int64(data.n)) // still output: tot-mem and the output limit count it
		r.outHeld.Store(data.held())     // and its chunks stay taken until written
		r.outMu.Unlock()
		r.flushMu.Unlock()
		// a chunk at a time, each published and given back: the clients waiting for a
		// replica that reads slowly see its socket take data (waitStalled), and memory
		// falls as it does
		var err error
		for data.n > 0 && err == nil {
			var n int
			n, err = r.conn.Write(data.head())
			data.consumed(pool, n)
			r.outFlight.Store(int64(data.n))
			r.outHeld.Store(data.held())
			r.srv.stats.replOutput.Add(int64(n))
			if err == nil && data.n > 0 {
				r.wroteStream(seq - int64(data.n))
			}
		}
		r.outFlight.Store(0)
		r.outHeld.Store(0)
		if err != nil {
			data.release(pool)
			return err
		}
		r.flushMu.Lock()
		r.stalled = false // the socket took it all: the clients write again
		r.wroteStream(seq)
		r.flushMu.Unlock()
	}
}

// streamChunk is the size of a chunk of a replica's stream (streambuf.go): what one write(2)
// of a stalled replica's stream hands to its socket before the progress is published.
const streamChunk = 64 << 10

// streamStallGrace is how long a replica's socket may take nothing before the replies stop
// waiting for it (it lags): long enough for a replica that is merely slow or descheduled
// on a loaded machine, short against down-after-milliseconds, so that a sentinel whose
// hello PUBLISH waits for a cut-off replica once still pings in time.
const streamStallGrace = 250 * time.Millisecond

// maxStreamYields bounds how many times a client yields to let other batches join its
// replica write.
const maxStreamYields = 8

// wroteStream publishes that r's output is written up to seq, and when, and wakes the
// clients waiting for it.
func (r *Client) wroteStream(seq int64) {
	r.streamDone.Store(seq)
	r.streamAt.Store(r.srv.monoNanos())
	r.progMu.Lock()
	if r.progress != nil {
		close(r.progress)
		r.progress = nil
	}
	r.progMu.Unlock()
}

// monoNanos is the server's monotonic clock in nanoseconds since it started (startTime
// carries the monotonic reading), for atomics.
func (s *Server) monoNanos() int64 { return int64(time.Since(s.startTime)) }
