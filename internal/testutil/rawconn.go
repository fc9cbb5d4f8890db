package testutil

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// RawConn is a RESP client that returns replies as the exact bytes received.
type RawConn struct {
	t    testing.TB
	Conn net.Conn
	R    *bufio.Reader
}

// DialRaw connects to addr.
func DialRaw(t testing.TB, addr string) *RawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &RawConn{t: t, Conn: c, R: bufio.NewReader(c)}
}

// EncodeCommand encodes args as a RESP multibulk.
func EncodeCommand(args ...[]byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n", len(a))
		b.Write(a)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// Send writes one command.
func (c *RawConn) Send(args ...[]byte) {
	c.t.Helper()
	if _, err := c.Conn.Write(EncodeCommand(args...)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Read returns one complete reply, waiting at most d.
func (c *RawConn) Read(d time.Duration) ([]byte, error) {
	c.Conn.SetReadDeadline(time.Now().Add(d))
	var b bytes.Buffer
	err := ReadReply(c.R, &b)
	return b.Bytes(), err
}

// Do sends a command of string arguments and returns the raw reply.
func (c *RawConn) Do(args ...string) string {
	c.t.Helper()
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c.Send(bs...)
	r, err := c.Read(10 * time.Second)
	if err != nil {
		c.t.Fatalf("%v: read reply: %v (got %q)", args, err, r)
	}
	return string(r)
}

// ReadReply copies one complete RESP2/RESP3 reply from r to out.
func ReadReply(r *bufio.Reader, out *bytes.Buffer) error {
	line, err := r.ReadString('\n')
	out.WriteString(line)
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return errors.New("malformed reply line")
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		_, err = io.ReadFull(r, buf)
		out.Write(buf)
		return err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := ReadReply(r, out); err != nil {
				return err
			}
		}
		if line[0] == '|' {
			return ReadReply(r, out) // attribute precedes the real reply
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line[0])
}

// SplitAggregate splits a raw aggregate reply into its header and the raw bytes of each
// top-level element. ok is false for non-aggregate replies.
func SplitAggregate(raw []byte) (header string, elems [][]byte, ok bool) {
	if len(raw) == 0 {
		return "", nil, false
	}
	switch raw[0] {
	case '*', '~', '%', '>':
	default:
		return "", nil, false
	}
	r := bufio.NewReader(bytes.NewReader(raw))
	line, err := r.ReadString('\n')
	if err != nil {
		return "", nil, false
	}
	n, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil || n < 0 {
		return line, nil, false
	}
	if raw[0] == '%' {
		n *= 2
	}
	for i := 0; i < n; i++ {
		var b bytes.Buffer
		if err := ReadReply(r, &b); err != nil {
			return "", nil, false
		}
		elems = append(elems, b.Bytes())
	}
	return line, elems, true
}
