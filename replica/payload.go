package replica

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// EOFMarkLen is the length of the random mark that ends a diskless RDB payload.
const EOFMarkLen = 40

// ErrPayloadTruncated is returned when the connection ends inside an RDB payload.
var ErrPayloadTruncated = errors.New("replica: connection closed inside the RDB payload")

// LengthReader reads an RDB payload framed as $<len>: exactly n bytes.
func LengthReader(r io.Reader, n int64) io.Reader {
	return &lengthReader{r: r, left: n}
}

type lengthReader struct {
	r    io.Reader
	left int64
}

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err == io.EOF && l.left > 0 {
		err = ErrPayloadTruncated
	}
	if l.left == 0 && err == nil {
		err = nil
	}
	return n, err
}

// MarkReader reads a diskless RDB payload framed as $EOF:<mark>: every byte until the
// mark; the mark is not returned. It never consumes past the mark, so the command stream
// that follows stays buffered in r, and it never waits for bytes beyond the mark (a
// master holds its stream until the replica's first ACK). r must buffer at least
// EOFMarkLen bytes (bufio's default 4096 does).
func MarkReader(r *bufio.Reader, mark []byte) io.Reader {
	return &markReader{r: r, mark: append([]byte(nil), mark...)}
}

type markReader struct {
	r    *bufio.Reader
	mark []byte
	done bool
}

func (m *markReader) Read(p []byte) (int, error) {
	if m.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	want := max(m.r.Buffered(), len(m.mark))
	data, err := m.r.Peek(want)
	if len(data) < len(m.mark) {
		if err == io.EOF || err == nil {
			err = ErrPayloadTruncated
		}
		return 0, err
	}
	if i := bytes.Index(data, m.mark); i >= 0 {
		n := copy(p, data[:i])
		m.r.Discard(n)
		if n == i {
			m.r.Discard(len(m.mark))
			m.done = true
		}
		return n, nil
	}
	n := copy(p, data[:len(data)-len(m.mark)+1])
	m.r.Discard(n)
	return n, nil
}
