package server

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/resp"
)

func TestUnixSocketAndPerm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.sock")
	newTestServer(t, func(c *config.Server) {
		c.UnixSocket = path
		c.UnixSocketPerm = 0o700
	})
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o700 {
		t.Errorf("socket permissions: got %o, want 700", got)
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("PING\r\n"))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if line != "+PONG\r\n" {
		t.Errorf("got %q, want +PONG", line)
	}
}

func TestIdleTimeoutClosesClient(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.Timeout = time.Second })
	c := ts.dial(t)
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("got %q", got)
	}
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err := c.r.ReadByte()
	if err == nil {
		t.Fatal("connection still open after idle timeout: got a byte, want EOF")
	}
	t.Logf("idle client closed after %v", time.Since(start))
}

func TestMaxClients(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.MaxClients = 2 })
	a, b := ts.dial(t), ts.dial(t)
	a.do("PING")
	b.do("PING")
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if want := "-ERR max number of clients reached\r\n"; line != want {
		t.Errorf("got %q, want %q", line, want)
	}
}

func TestProtoMaxBulkLen(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.ProtoMaxBulkLen = 10 })
	c := ts.dial(t)
	c.conn.Write([]byte("*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n"))
	if got, want := c.read(), "-ERR Protocol error: invalid bulk length\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("connection still open after a protocol error")
	}
}

func TestProtocolErrorsCloseConnection(t *testing.T) {
	cases := []struct{ in, want string }{
		{"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
		{"SET \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	}
	ts := newTestServer(t, nil)
	for _, tc := range cases {
		t.Run(strings.TrimSpace(tc.in), func(t *testing.T) {
			c := ts.dial(t)
			c.conn.Write([]byte(tc.in))
			if got := c.read(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestQueryBufferLimit(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.ClientQueryBufferLimit = 1 << 20 })
	c := ts.dial(t)
	// a 2 MB bulk announced: the server must refuse to buffer it and close the client
	c.conn.Write([]byte("*2\r\n$4\r\nECHO\r\n$2097152\r\n"))
	c.conn.Write(make([]byte, 1<<20+100))
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 256)
	_, err := c.r.Read(buf)
	for err == nil {
		_, err = c.r.Read(buf)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection still open: want it closed after exceeding client-query-buffer-limit")
	}
}

func TestPipelineRepliesInOrder(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		b.WriteString("*2\r\n$4\r\nECHO\r\n$4\r\n")
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), 4))
		b.WriteString("\r\n")
	}
	c.conn.Write([]byte(b.String()))
	for i := 0; i < 1000; i++ {
		want := "$4\r\n" + strings.Repeat(string(rune('a'+i%26)), 4) + "\r\n"
		if got := c.read(); got != want {
			t.Fatalf("reply %d: got %q, want %q", i, got, want)
		}
	}
}

// fakeConn is a net.Conn whose remote address is not loopback, for protected mode.
type fakeConn struct {
	net.Conn
	remote net.Addr
}

func (f fakeConn) RemoteAddr() net.Addr { return f.remote }

func TestProtectedModeDeniesNonLoopback(t *testing.T) {
	ts := newTestServer(t, nil)
	server, client := net.Pipe()
	defer client.Close()
	go ts.serveConn(fakeConn{Conn: server, remote: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5000}})
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(client).ReadString('\n')
	if !strings.HasPrefix(line, "-DENIED Redis is running in protected mode") {
		t.Errorf("got %q, want the DENIED error", line)
	}
}

// TestLongPipelineInOneRead: a pipeline of more commands than one batch executes
// (maxBatch), arriving in one read, is answered in full although the client sends
// nothing more (redis-cli --pipe waits this way for its last replies). The server
// used to go back to reading after each batch and left the rest unanswered.
func TestLongPipelineInOneRead(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	const n = 3 * maxBatch
	if _, err := c.conn.Write(bytes.Repeat([]byte("PING\r\n"), n)); err != nil { // 18 KB: one or two reads
		t.Fatal(err)
	}
	for i := range n {
		if got := c.read(); got != "+PONG\r\n" {
			t.Fatalf("reply %d of %d: got %q", i+1, n, got)
		}
	}
	if got := c.do("DBSIZE"); got != ":0\r\n" {
		t.Errorf("DBSIZE after the pipeline: %q", got)
	}
}

// TestQueryBufGrowsAsBytesArrive: a bulk announced at 512 MB grows the buffer with what
// arrives (at most twice it plus one read chunk), never to the announced length; one of
// bigArgUpfront bytes at most gets its whole room at once, as in Redis.
func TestQueryBufGrowsAsBytesArrive(t *testing.T) {
	header := "*2\r\n$4\r\nECHO\r\n$536870912\r\n"
	lim := resp.Limits{}
	cases := []struct {
		name     string
		received int // bytes of the bulk that arrive
	}{
		{"nothing yet", 0},
		{"one chunk", readChunk},
		{"a megabyte", 1 << 20},
		{"eight megabytes", 8 << 20},
	}
	t.Run("upfront", func(t *testing.T) {
		h := "*2\r\n$4\r\nECHO\r\n$420000\r\n"
		q := &queryBuf{buf: make([]byte, readChunk)}
		q.end = copy(q.buf, h)
		if _, err := q.parse(lim, maxBatch); err != nil {
			t.Fatal(err)
		}
		q.makeRoom()
		if want := len(h) + 420000 + 2; len(q.buf) < want {
			t.Errorf("buffer %d bytes after the header of a 420000-byte bulk: want at least %d", len(q.buf), want)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := &queryBuf{buf: make([]byte, readChunk)}
			q.end = copy(q.buf, header)
			total := len(header) + tc.received
			for {
				if _, err := q.parse(lim, maxBatch); err != nil {
					t.Fatal(err)
				}
				if q.end >= total {
					break
				}
				q.makeRoom()
				q.end += copy(q.buf[q.end:], make([]byte, min(readChunk, total-q.end)))
				if limit := 2*q.end + readChunk; len(q.buf) > limit {
					t.Fatalf("buffer %d bytes after %d received: want at most %d", len(q.buf), q.end, limit)
				}
			}
			if q.need != len(header)+536870912+2 {
				t.Errorf("need %d, want %d (the hint stays the announced size)", q.need, len(header)+536870912+2)
			}
		})
	}
}
