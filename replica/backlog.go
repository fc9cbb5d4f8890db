package replica

// Backlog is the replication backlog: the last Size bytes of the replication stream, as
// a ring. Offsets are stream offsets as Redis counts them: the first byte ever written to
// a stream whose offset was o before the write has offset o+1.
type Backlog struct {
	buf     []byte
	idx     int   // where the next byte goes
	histlen int64 // bytes held (<= len(buf))
	// end is the offset of the last byte written (master_repl_offset).
	end int64
}

// NewBacklog returns an empty backlog of size bytes whose next byte will have offset
// offset+1 (Redis's repl_backlog_first_byte_offset = master_repl_offset + 1).
func NewBacklog(size int64, offset int64) *Backlog {
	if size < 1 {
		size = 1
	}
	return &Backlog{buf: make([]byte, size), end: offset}
}

// Size is the capacity in bytes.
func (b *Backlog) Size() int64 { return int64(len(b.buf)) }

// Histlen is the number of bytes held.
func (b *Backlog) Histlen() int64 { return b.histlen }

// FirstByte is the offset of the oldest byte held (end+1 when empty).
func (b *Backlog) FirstByte() int64 { return b.end - b.histlen + 1 }

// End is the offset of the last byte written.
func (b *Backlog) End() int64 { return b.end }

// Write appends p to the stream.
func (b *Backlog) Write(p []byte) {
	b.end += int64(len(p))
	if len(p) >= len(b.buf) {
		p = p[len(p)-len(b.buf):]
		copy(b.buf, p)
		b.idx = 0
		b.histlen = int64(len(b.buf))
		return
	}
	n := copy(b.buf[b.idx:], p)
	if n < len(p) {
		copy(b.buf, p[n:])
	}
	b.idx = (b.idx + len(p)) % len(b.buf)
	b.histlen = min(b.histlen+int64(len(p)), int64(len(b.buf)))
}

// Covers reports whether a replica that has every byte up to offset-1 can continue from
// the backlog: FirstByte <= offset <= End+1 (Redis's psync acceptance range).
func (b *Backlog) Covers(offset int64) bool {
	return offset >= b.FirstByte() && offset <= b.end+1
}

// AppendFrom appends to dst the bytes from offset to the end. offset must be covered.
func (b *Backlog) AppendFrom(dst []byte, offset int64) []byte {
	n := b.end - offset + 1 // bytes to copy
	if n <= 0 || !b.Covers(offset) {
		return dst
	}
	start := (b.idx - int(n)) % len(b.buf)
	if start < 0 {
		start += len(b.buf)
	}
	if start+int(n) <= len(b.buf) {
		return append(dst, b.buf[start:start+int(n)]...)
	}
	dst = append(dst, b.buf[start:]...)
	return append(dst, b.buf[:int(n)-(len(b.buf)-start)]...)
}

// Resize changes the capacity, keeping the newest bytes that fit.
func (b *Backlog) Resize(size int64) {
	if size < 1 || size == int64(len(b.buf)) {
		return
	}
	keep := b.AppendFrom(nil, b.FirstByte())
	if int64(len(keep)) > size {
		keep = keep[int64(len(keep))-size:]
	}
	nb := &Backlog{buf: make([]byte, size), end: b.end - int64(len(keep))}
	nb.Write(keep)
	*b = *nb
}
