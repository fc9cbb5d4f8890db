package server

import "time"

// The reply buffer's size follows Redis 7.0's static client buffer (buf_usable_size):
// it starts at 16 KB, shrinks when a client's replies stay small (down to 1 KB) and
// grows back when they fill it, checked by clientsCron against the peak of the
// replies queued since the last peak reset (reply-buffer-peak-reset-time, 5 s).
const (
	replyBufMin     = 1024     // PROTO_REPLY_MIN_BYTES
	replyBufChunk   = 16 << 10 // PROTO_REPLY_CHUNK_BYTES: the initial and largest size
	replyPeakResetD = 5000     // REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, ms
)

// replyBufState is a client's reply buffer sizing (under Server.mu).
type replyBufState struct {
	size      int   // rbs: the buffer's size; 0 until the client's first cron visit = replyBufChunk
	peak      int   // rbp: the largest batch of replies the buffer held since lastReset
	lastReset int64 // unix ms of the last peak reset
}

// rbs is the reply buffer's size.
func (r *replyBufState) rbs() int {
	if r.size == 0 {
		return replyBufChunk
	}
	return r.size
}

// notePeak records a batch of n reply bytes: the buffer holds up to its size of them.
func (r *replyBufState) notePeak(n int) {
	r.peak = max(r.peak, min(n, r.rbs()))
}

// resizeReplyBuf is clientsCronResizeOutputBuffer for c: shrink to the peak when it is
// under half the buffer, double when the peak filled it, then reset the peak when its
// time is up. The buffer is reallocated at the new size when it is empty.
func (s *Server) resizeReplyBuf(c *Client, nowMs int64) {
	r := &c.rbuf
	if s.debug.replyNoResizing {
		return
	}
	size := r.rbs()
	newSize := 0
	switch {
	case size/2 >= replyBufMin && r.peak < size/2:
		newSize = max(replyBufMin, r.peak+1)
		s.stats.replyShrinks++
	case size*2 < replyBufChunk*2 && r.peak == size:
		newSize = min(replyBufChunk, size*2)
		s.stats.replyExpands++
	}
	reset := s.debug.replyPeakResetMs
	if reset == 0 {
		reset = replyPeakResetD
	}
	if reset >= 0 && nowMs-r.lastReset >= reset {
		r.peak = len(c.w.B)
		r.lastReset = nowMs
	}
	if newSize != 0 {
		r.size = newSize
		if len(c.w.B) == 0 {
			c.w.B = make([]byte, 0, newSize)
		}
	}
}

// resizeReplyBufs runs resizeReplyBuf over every client.
func (s *Server) resizeReplyBufs() {
	now := time.Now().UnixMilli()
	for _, c := range s.clients {
		s.resizeReplyBuf(c, now)
	}
}
