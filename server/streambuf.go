package server

import (
	"sync"
	"sync/atomic"
)

// A replica's output (the replication stream, and the +CONTINUE and backlog before it) is
// kept in fixed-size chunks outside the Go heap (streambuf_unix.go maps them), for two
// reasons:
//
//   - used_memory counts it exactly. Memory on the heap is known only as the last GC
//     cycle measured it (evict.go), and a stream that grows while a cycle marks is counted
//     twice: the old array and the new one it was copied to (allocated black). A replica
//     stopped for a few seconds under a write load made used_memory run tens of MB past
//     what the dataset and the stream hold, and eviction (which leaves the stream out,
//     mem_not_counted_for_evict) could not tell by how much. Chunks from the pool are
//     counted when taken and when given back, as Redis's allocator counts its blocks.
//   - growing never copies: a stalled replica's stream is a list of chunks, and each chunk
//     goes back to the pool as soon as the socket took it.
//
// Ownership: a chunk belongs to exactly one of the pool, a replica's pending list
// (Client.stream, under outMu) or the writer that took the list from it (under flushMu,
// or flushStream's blocking write). Only its owner gives it back, once its bytes were
// handed to the kernel or will never be.

// streamPoolMax is how many free chunks the pool keeps for reuse; the others are unmapped.
const streamPoolMax = 32

// chunkPool hands out the chunks of the replicas' streams and counts those in use.
type chunkPool struct {
	mu    sync.Mutex
	free  [][]byte
	inUse atomic.Int64 // bytes of chunks handed out and not given back (used_memory)
}

// get returns an empty chunk (len 0, cap streamChunk).
func (p *chunkPool) get() []byte {
	p.inUse.Add(streamChunk)
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return b[:0]
	}
	p.mu.Unlock()
	return mapChunk(streamChunk)[:0]
}

// put gives a chunk back; its bytes must not be used any more.
func (p *chunkPool) put(b []byte) {
	p.inUse.Add(-streamChunk)
	b = b[:cap(b)]
	p.mu.Lock()
	if len(p.free) < streamPoolMax {
		p.free = append(p.free, b)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	unmapChunk(b)
}

// chunkList is a sequence of stream bytes in chunks: chunks[0][off:] and the chunks after
// it, n bytes in all. Each chunk's len is how much of it is filled.
type chunkList struct {
	chunks [][]byte
	off    int
	n      int
}

// write appends b, taking chunks from p as the last one fills.
func (l *chunkList) write(p *chunkPool, b []byte) {
	l.n += len(b)
	for len(b) > 0 {
		last := len(l.chunks) - 1
		if last < 0 || len(l.chunks[last]) == cap(l.chunks[last]) {
			l.chunks = append(l.chunks, p.get())
			last++
		}
		c := l.chunks[last]
		k := copy(c[len(c):cap(c)], b)
		l.chunks[last] = c[:len(c)+k]
		b = b[k:]
	}
}

// held is the size of the chunks l holds (what they take from memory).
func (l *chunkList) held() int64 { return int64(len(l.chunks)) * streamChunk }

// take moves the whole list out of l.
func (l *chunkList) take() chunkList {
	t := *l
	*l = chunkList{}
	return t
}

// prepend puts t (the unwritten rest of a list taken from l) back in front of l.
func (l *chunkList) prepend(t chunkList) {
	if t.n == 0 {
		return
	}
	if len(l.chunks) == 0 {
		*l = t
		return
	}
	t.chunks = append(t.chunks, l.chunks...)
	t.n += l.n
	*l = t
}

// consumed records that the first k unsent bytes were written, giving every chunk they
// emptied back to p.
func (l *chunkList) consumed(p *chunkPool, k int) {
	l.n -= k
	for k > 0 {
		rest := len(l.chunks[0]) - l.off
		if k < rest {
			l.off += k
			return
		}
		k -= rest
		p.put(l.chunks[0])
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
		l.off = 0
	}
}

// release gives every chunk of l back to p (its bytes are dropped unsent).
func (l *chunkList) release(p *chunkPool) {
	for _, c := range l.chunks {
		p.put(c)
	}
	*l = chunkList{}
}

// head is the unsent part of the first chunk (empty when l is).
func (l *chunkList) head() []byte {
	if len(l.chunks) == 0 {
		return nil
	}
	return l.chunks[0][l.off:]
}
