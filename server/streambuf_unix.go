//go:build unix

package server

import "golang.org/x/sys/unix"

// mapChunk maps size bytes of anonymous memory outside the Go heap (streambuf.go). A
// failed mapping is an out-of-memory condition, as a failed malloc is for Redis.
func mapChunk(size int) []byte {
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		panic(outOfMemory{size: uint64(size)})
	}
	return b
}

// unmapChunk returns a chunk's memory to the system.
func unmapChunk(b []byte) {
	if err := unix.Munmap(b); err != nil {
		panic("unmapping a replication stream chunk: " + err.Error())
	}
}
