package server

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestChunkListKeepsBytesInOrder writes random pieces into a replica's chunk list, takes
// and writes it in random partial writes with the rest put back in front of what was
// appended meanwhile, as the writers do, and checks the bytes that come out, and that
// every chunk goes back to the pool.
func TestChunkListKeepsBytesInOrder(t *testing.T) {
	var pool chunkPool
	var l chunkList
	r := rand.New(rand.NewPCG(3, 4))
	var want, got []byte
	next := byte(0)
	piece := func() []byte {
		b := make([]byte, r.IntN(3*streamChunk))
		for i := range b {
			b[i] = next
			next++
		}
		return b
	}
	for round := 0; round < 300; round++ {
		for range r.IntN(4) {
			b := piece()
			want = append(want, b...)
			l.write(&pool, b)
		}
		if held := l.held(); held != pool.inUse.Load() {
			t.Fatalf("round %d: the list holds %d bytes of chunks, the pool counts %d in use", round, held, pool.inUse.Load())
		}
		taken := l.take()
		if l.n != 0 || len(l.chunks) != 0 {
			t.Fatalf("round %d: take left %d bytes", round, l.n)
		}
		// the writer: some whole chunks, then part of one, the rest back in front
		for taken.n > 0 && r.IntN(4) > 0 {
			h := taken.head()
			k := len(h)
			if r.IntN(2) == 0 {
				k = r.IntN(len(h) + 1)
			}
			got = append(got, h[:k]...)
			taken.consumed(&pool, k)
		}
		b := piece() // appended while the writer wrote
		l.write(&pool, b)
		l.prepend(taken)
		want = append(want, b...)
		if l.n != len(want)-len(got) {
			t.Fatalf("round %d: the list has %d bytes unsent, want %d", round, l.n, len(want)-len(got))
		}
	}
	for l.n > 0 {
		h := l.head()
		got = append(got, h...)
		l.consumed(&pool, len(h))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the bytes written differ from those appended (%d and %d bytes)", len(got), len(want))
	}
	if n := pool.inUse.Load(); n != 0 {
		t.Fatalf("%d bytes of chunks still in use after everything was written", n)
	}
	l.write(&pool, piece())
	l.release(&pool)
	if n := pool.inUse.Load(); n != 0 || l.n != 0 {
		t.Fatalf("after release: %d bytes in use, %d unsent", n, l.n)
	}
}
