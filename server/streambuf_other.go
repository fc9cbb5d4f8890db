//go:build !unix

package server

// mapChunk allocates a chunk on the Go heap where memory cannot be mapped: the stream's
// bytes are then counted twice while a GC cycle measures the heap (streambuf.go).
func mapChunk(size int) []byte { return make([]byte, size) }

// unmapChunk leaves the chunk to the garbage collector.
func unmapChunk([]byte) {}
