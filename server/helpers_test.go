package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
)

// testServer is a server on a free loopback port with a capturing propagator.
type testServer struct {
	*Server
	addr string
	prop *captureProp
}

// newTestServer starts a server for t; mutate adjusts the config before start (may be nil).
func newTestServer(t testing.TB, mutate func(*config.Server)) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Port = 0
	cfg.Save = nil
	cfg.EnableDebugCommand = "yes"
	cfg.DBFilename = filepath.Join(t.TempDir(), "dump.rdb") // never write into the package directory
	if mutate != nil {
		mutate(cfg)
	}
	// port 0: pick a free port ourselves so that cfg.Port is real
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := New(cfg, Options{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	cp := &captureProp{}
	srv.AddPropagator(cp)
	go srv.Serve()
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, addr: fmt.Sprintf("127.0.0.1:%d", cfg.Port), prop: cp}
}

// captureProp records every propagated command as a space-joined string ("SET k v PXAT 123").
type captureProp struct {
	mu   sync.Mutex
	recs []string
}

// Feed implements Propagator.
func (p *captureProp) Feed(recs []Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range recs {
		parts := make([]string, len(r.Argv))
		for i, a := range r.Argv {
			parts[i] = string(a)
		}
		p.recs = append(p.recs, strings.Join(parts, " "))
	}
}

// take returns and clears the records captured so far.
func (p *captureProp) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.recs
	p.recs = nil
	return out
}

// rawClient speaks RESP over a plain connection and returns raw reply bytes.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func (ts *testServer) dial(t testing.TB) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// do sends one command and returns its raw reply ("+OK\r\n", "*2\r\n$1\r\na\r\n...").
func (rc *rawClient) do(args ...string) string {
	rc.t.Helper()
	rc.send(args...)
	return rc.read()
}

func (rc *rawClient) send(args ...string) {
	rc.t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := rc.conn.Write(b.Bytes()); err != nil {
		rc.t.Fatal(err)
	}
}

// read returns one complete raw reply.
func (rc *rawClient) read() string {
	rc.t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b bytes.Buffer
	if err := readReply(rc.r, &b); err != nil {
		rc.t.Fatalf("read reply: %v (got so far %q)", err, b.String())
	}
	return b.String()
}

func readReply(r *bufio.Reader, out *bytes.Buffer) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	out.WriteString(line)
	if len(line) < 3 {
		return io.ErrUnexpectedEOF
	}
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '$', '=', '!':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		out.Write(buf)
	case '*', '~', '>', '%', '|':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestPingEchoSelect(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"ping", "hi"}, "$2\r\nhi\r\n"},
		{[]string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{[]string{"ECHO", "x"}, "$1\r\nx\r\n"},
		{[]string{"SELECT", "15"}, "+OK\r\n"},
		{[]string{"SELECT", "16"}, "-ERR DB index is out of range\r\n"},
		{[]string{"SELECT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"NOPE", "a", "b"}, "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSetPropagatesOwnArgv(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "k", "v")
	c.do("DEL", "k", "missing")
	got := ts.prop.take()
	want := []string{"SET k v", "DEL k missing"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}
