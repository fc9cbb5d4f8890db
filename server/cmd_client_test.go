package server

import (
	"errors"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

// clientListFields is the field order of CLIENT LIST in Redis 7.0.15.
var clientListFields = []string{"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
	"ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem",
	"events", "cmd", "user", "redir", "resp"}

// parseClientList parses a raw CLIENT LIST/INFO bulk reply into one map per line, checking
// the field order.
func parseClientList(t *testing.T, raw string) []map[string]string {
	t.Helper()
	if !strings.HasPrefix(raw, "$") {
		t.Fatalf("CLIENT LIST: got %q, want a bulk string", raw)
	}
	body := raw[strings.Index(raw, "\r\n")+2 : len(raw)-2]
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		m := map[string]string{}
		parts := strings.Split(line, " ")
		if len(parts) != len(clientListFields) {
			t.Fatalf("CLIENT LIST line %q: got %d fields, want %d", line, len(parts), len(clientListFields))
		}
		for i, p := range parts {
			k, v, _ := strings.Cut(p, "=")
			if k != clientListFields[i] {
				t.Fatalf("CLIENT LIST field %d: got %q, want %q", i, k, clientListFields[i])
			}
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

func TestClientListAndInfo(t *testing.T) {
	ts := newTestServer(t, nil)
	a, b := ts.dial(t), ts.dial(t)
	a.do("CLIENT", "SETNAME", "alpha")
	a.do("SELECT", "2")
	b.do("SUBSCRIBE", "ch")
	list := parseClientList(t, a.do("CLIENT", "LIST"))
	if len(list) != 2 {
		t.Fatalf("CLIENT LIST: got %d clients, want 2", len(list))
	}
	// the server numbers connections as it accepts them, not as the test dialled them
	me, sub := list[0], list[1]
	if me["addr"] != a.conn.LocalAddr().String() {
		me, sub = sub, me
	}
	want := map[string]string{"name": "alpha", "db": "2", "flags": "N", "cmd": "client|list", "user": "default",
		"resp": "2", "multi": "-1", "redir": "-1", "events": "r", "laddr": ts.addr, "sub": "0"}
	for k, v := range want {
		if me[k] != v {
			t.Errorf("CLIENT LIST own line %s: got %q, want %q", k, me[k], v)
		}
	}
	if me["addr"] != a.conn.LocalAddr().String() {
		t.Errorf("addr: got %q, want %q", me["addr"], a.conn.LocalAddr().String())
	}
	if fd, err := strconv.Atoi(me["fd"]); err != nil || fd <= 0 {
		t.Errorf("fd: got %q, want a descriptor", me["fd"])
	}
	if sub["flags"] != "P" || sub["sub"] != "1" || sub["cmd"] != "subscribe" {
		t.Errorf("subscriber line: got flags=%s sub=%s cmd=%s, want P 1 subscribe", sub["flags"], sub["sub"], sub["cmd"])
	}
	if got := parseClientList(t, a.do("CLIENT", "LIST", "TYPE", "pubsub")); len(got) != 1 || got[0]["id"] != sub["id"] {
		t.Errorf("CLIENT LIST TYPE pubsub: got %v, want the subscriber", got)
	}
	if got := parseClientList(t, a.do("CLIENT", "LIST", "TYPE", "normal")); len(got) != 1 || got[0]["id"] != me["id"] {
		t.Errorf("CLIENT LIST TYPE normal: got %v, want only a", got)
	}
	if got := parseClientList(t, a.do("CLIENT", "LIST", "ID", sub["id"], "99999", me["id"])); len(got) != 2 ||
		got[0]["id"] != sub["id"] || got[1]["id"] != me["id"] {
		t.Errorf("CLIENT LIST ID: got %v, want subscriber then a", got)
	}
	a.do("MULTI")
	a.do("PING")
	a.do("DISCARD")
	info := parseClientList(t, a.do("CLIENT", "INFO"))
	if len(info) != 1 || info[0]["cmd"] != "client|info" || info[0]["id"] != me["id"] {
		t.Errorf("CLIENT INFO: got %v", info)
	}
	if got := a.do("CLIENT", "LIST", "TYPE", "bogus"); got != "-ERR Unknown client type 'bogus'\r\n" {
		t.Errorf("CLIENT LIST TYPE bogus: got %q", got)
	}
}

// expectClosed fails unless the server closes rc's connection.
func expectClosed(t *testing.T, rc *rawClient) {
	t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	// EOF, or ECONNRESET when the server closed with unread input in its buffer (RST)
	if _, err := rc.r.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("connection not closed by the server: got %v, want EOF or ECONNRESET", err)
	}
}

func TestClientKill(t *testing.T) {
	ts := newTestServer(t, nil)
	t.Run("old form by addr", func(t *testing.T) {
		a, b := ts.dial(t), ts.dial(t)
		b.do("PING")
		if got := a.do("CLIENT", "KILL", b.conn.LocalAddr().String()); got != "+OK\r\n" {
			t.Fatalf("got %q, want +OK", got)
		}
		expectClosed(t, b)
		if got := a.do("CLIENT", "KILL", b.conn.LocalAddr().String()); got != "-ERR No such client\r\n" {
			t.Errorf("killing it again: got %q, want No such client", got)
		}
	})
	t.Run("old form kills itself after replying", func(t *testing.T) {
		a := ts.dial(t)
		if got := a.do("CLIENT", "KILL", a.conn.LocalAddr().String()); got != "+OK\r\n" {
			t.Fatalf("got %q, want +OK", got)
		}
		expectClosed(t, a)
	})
	t.Run("ID", func(t *testing.T) {
		a, b := ts.dial(t), ts.dial(t)
		id := strconv.FormatInt(b.clientID(), 10)
		if got := a.do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
			t.Fatalf("got %q, want :1", got)
		}
		expectClosed(t, b)
		if got := a.do("CLIENT", "LIST", "ID", id); got != "$0\r\n\r\n" {
			t.Errorf("killed client still listed: %q", got)
		}
	})
	t.Run("SKIPME", func(t *testing.T) {
		a := ts.dial(t)
		id := strconv.FormatInt(a.clientID(), 10)
		if got := a.do("CLIENT", "KILL", "ID", id); got != ":0\r\n" {
			t.Errorf("SKIPME default yes: got %q, want :0", got)
		}
		if got := a.do("CLIENT", "KILL", "ID", id, "SKIPME", "no"); got != ":1\r\n" {
			t.Fatalf("SKIPME no: got %q, want :1", got)
		}
		expectClosed(t, a)
	})
	t.Run("TYPE and USER and LADDR", func(t *testing.T) {
		a, b, sub := ts.dial(t), ts.dial(t), ts.dial(t)
		b.do("PING")
		sub.do("SUBSCRIBE", "x")
		if got := a.do("CLIENT", "KILL", "TYPE", "pubsub"); got != ":1\r\n" {
			t.Errorf("TYPE pubsub: got %q, want :1", got)
		}
		expectClosed(t, sub)
		if got := a.do("CLIENT", "KILL", "TYPE", "master"); got != ":0\r\n" {
			t.Errorf("TYPE master: got %q, want :0", got)
		}
		if got := a.do("CLIENT", "KILL", "USER", "default", "LADDR", ts.addr, "ADDR", b.conn.LocalAddr().String()); got != ":1\r\n" {
			t.Errorf("USER+LADDR+ADDR: got %q, want :1", got)
		}
		expectClosed(t, b)
		if got := a.do("CLIENT", "KILL", "USER", "nobody"); got != "-ERR No such user 'nobody'\r\n" {
			t.Errorf("USER nobody: got %q", got)
		}
		if got := a.do("PING"); got != "+PONG\r\n" {
			t.Errorf("killer still usable: got %q", got)
		}
	})
}

func TestClientPauseWriteHoldsWrites(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, writer, reader := ts.dial(t), ts.dial(t), ts.dial(t)
	writer.do("SET", "k", "old")
	if got := admin.do("CLIENT", "PAUSE", "100000", "WRITE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: got %q", got)
	}
	writer.send("SET", "k", "new")
	// the read proceeds while the write waits
	if got := reader.do("GET", "k"); got != "$3\r\nold\r\n" {
		t.Fatalf("GET while paused: got %q, want old", got)
	}
	writer.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := writer.r.Peek(1); err == nil {
		t.Fatal("SET answered while writes are paused")
	}
	if got := admin.do("CLIENT", "UNPAUSE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT UNPAUSE: got %q", got)
	}
	if got := writer.read(); got != "+OK\r\n" {
		t.Fatalf("held SET after UNPAUSE: got %q, want +OK", got)
	}
	if got := reader.do("GET", "k"); got != "$3\r\nnew\r\n" {
		t.Errorf("GET after UNPAUSE: got %q, want new", got)
	}
}

func TestClientPauseAllHoldsEverythingUntilTimeout(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, other := ts.dial(t), ts.dial(t)
	other.do("SET", "e", "v", "PX", "1")
	start := time.Now()
	if got := admin.do("CLIENT", "PAUSE", "300"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: got %q", got)
	}
	// expired keys are not deleted while paused
	time.Sleep(5 * time.Millisecond)
	ts.mu.Lock()
	present := ts.dbs[0].Len() == 1
	ts.mu.Unlock()
	if !present {
		t.Error("expired key deleted while clients are paused")
	}
	if got := other.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after the pause: got %q", got)
	}
	t.Logf("PING held for %v by CLIENT PAUSE 300", time.Since(start))
	if got := other.do("GET", "e"); got != "$-1\r\n" {
		t.Errorf("expired key after the pause: got %q", got)
	}
}

func TestClientPauseKilledWhileHeld(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, held := ts.dial(t), ts.dial(t)
	id := strconv.FormatInt(held.clientID(), 10)
	admin.do("CLIENT", "PAUSE", "100000", "WRITE")
	held.send("SET", "k", "v")
	// the held client is still listed, then killed without its SET running
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(admin.do("CLIENT", "LIST", "ID", id), "cmd=client|id") {
		time.Sleep(time.Millisecond)
	}
	if got := admin.do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL held client: got %q", got)
	}
	expectClosed(t, held)
	admin.do("CLIENT", "UNPAUSE")
	if got := admin.do("EXISTS", "k"); got != ":0\r\n" {
		t.Errorf("the killed client's held SET ran: EXISTS got %q", got)
	}
}

func TestClientReply(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.send("CLIENT", "REPLY", "OFF")
	c.send("SET", "a", "1")
	c.send("NOPE") // errors are suppressed too
	c.send("CLIENT", "REPLY", "ON")
	if got := c.read(); got != "+OK\r\n" {
		t.Fatalf("first reply after REPLY OFF...ON: got %q, want +OK from ON", got)
	}
	c.send("CLIENT", "REPLY", "SKIP")
	c.send("GET", "a")
	c.send("GET", "a")
	if got := c.read(); got != "$1\r\n1\r\n" {
		t.Fatalf("after SKIP: got %q, want only the second GET's reply", got)
	}
	c.send("CLIENT", "REPLY", "SKIP")
	c.send("CLIENT", "REPLY", "SKIP") // the skipped command is itself SKIP: it arms the next one
	c.send("PING", "skipped")
	c.send("PING", "shown")
	if got := c.read(); got != "$5\r\nshown\r\n" {
		t.Errorf("after SKIP SKIP: got %q, want shown", got)
	}
}

func TestClientUnblock(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, blocked := ts.dial(t), ts.dial(t)
	id := strconv.FormatInt(blocked.clientID(), 10)
	if got := admin.do("CLIENT", "UNBLOCK", id); got != ":0\r\n" {
		t.Errorf("UNBLOCK of a client not blocked: got %q, want :0", got)
	}
	waitBlocked := func() {
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(admin.do("CLIENT", "LIST", "ID", id), "flags=b") {
			time.Sleep(time.Millisecond)
		}
	}
	blocked.send("BLPOP", "l", "0")
	waitBlocked()
	if got := admin.do("CLIENT", "UNBLOCK", id); got != ":1\r\n" {
		t.Fatalf("UNBLOCK: got %q, want :1", got)
	}
	if got := blocked.read(); got != "*-1\r\n" {
		t.Errorf("BLPOP unblocked with TIMEOUT: got %q, want the timeout reply", got)
	}
	blocked.send("BLPOP", "l", "0")
	waitBlocked()
	if got := admin.do("CLIENT", "UNBLOCK", id, "ERROR"); got != ":1\r\n" {
		t.Fatalf("UNBLOCK ERROR: got %q, want :1", got)
	}
	if got := blocked.read(); got != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
		t.Errorf("BLPOP unblocked with ERROR: got %q", got)
	}
}

// TestCheckOutputLimit drives checkOutputLimit directly: hard limits close at once, soft
// limits only once exceeded for longer than their seconds.
func TestCheckOutputLimit(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) {
		c.ClientOutputBufferLimits[config.ClassPubSub] = config.OutputBufferLimit{Hard: 1000, Soft: 100, SoftSeconds: 5}
	})
	newClient := func(flags ClientFlag) (*Client, net.Conn) {
		server, peer := net.Pipe()
		t.Cleanup(func() { peer.Close() })
		c := &Client{srv: ts.Server, conn: server, addr: "pipe:1", laddr: "pipe:0", flags: flags,
			closed: make(chan struct{}), kick: make(chan struct{}, 1), ctime: time.Now(), lastAt: time.Now()}
		return c, peer
	}
	isClosed := func(c *Client) bool {
		select {
		case <-c.closed:
			return true
		default:
			return false
		}
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()

	normal, _ := newClient(0)
	ts.checkOutputLimit(normal, 1<<30)
	if isClosed(normal) {
		t.Error("normal client closed: the normal class has no limit by default")
	}
	hard, _ := newClient(ClientPubSub)
	ts.checkOutputLimit(hard, 1000)
	if !isClosed(hard) || !hard.has(ClientKilled) {
		t.Error("pubsub client at the hard limit: got open, want closed")
	}
	soft, _ := newClient(ClientPubSub)
	ts.checkOutputLimit(soft, 200)
	ts.checkOutputLimit(soft, 200)
	if isClosed(soft) {
		t.Fatal("pubsub client over the soft limit for less than 5s: got closed, want open")
	}
	ts.checkOutputLimit(soft, 50) // back under: the soft timer restarts
	if soft.admin.softLimitSince != 0 {
		t.Errorf("soft timer after going under: got %d, want 0", soft.admin.softLimitSince)
	}
	ts.checkOutputLimit(soft, 200)
	soft.admin.softLimitSince -= 6
	ts.checkOutputLimit(soft, 200)
	if !isClosed(soft) {
		t.Error("pubsub client over the soft limit for 6s: got open, want closed")
	}
}

// TestPubsubOutputLimitDisconnects checks the limit on a real subscriber that stops reading.
func TestPubsubOutputLimitDisconnects(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) {
		c.ClientOutputBufferLimits[config.ClassPubSub] = config.OutputBufferLimit{Hard: 64 << 10}
	})
	sub, pub := ts.dial(t), ts.dial(t)
	sub.do("SUBSCRIBE", "ch")
	msg := strings.Repeat("x", 64<<10)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got := pub.do("PUBLISH", "ch", msg); got == ":0\r\n" {
			return // the subscriber was disconnected
		}
	}
	t.Fatal("subscriber that does not read was never disconnected")
}

// TestPausePurposes: CLIENT UNPAUSE ends only CLIENT PAUSE; a FAILOVER's pause (and a
// shutdown's) stays in force until its own end, as Redis 7.0 keeps pause purposes apart.
func TestPausePurposes(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, writer := ts.dial(t), ts.dial(t)
	ts.mu.Lock()
	ts.pauseClients(pauseByFailover, pauseWrite, math.MaxInt64)
	ts.mu.Unlock()
	admin.do("CLIENT", "PAUSE", "100000", "WRITE")
	writer.send("SET", "k", "v")
	if got := admin.do("CLIENT", "UNPAUSE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT UNPAUSE: got %q", got)
	}
	writer.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := writer.r.Peek(1); err == nil {
		t.Fatal("CLIENT UNPAUSE released a write held by the failover's pause")
	}
	ts.mu.Lock()
	ts.unpauseClients(pauseByFailover)
	ts.mu.Unlock()
	if got := writer.read(); got != "+OK\r\n" {
		t.Fatalf("held SET after the failover's pause ended: got %q, want +OK", got)
	}
	if got := admin.do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Errorf("GET k after the pauses: got %q", got)
	}
}
