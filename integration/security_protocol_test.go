package integration

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// sendRaw writes raw bytes on a fresh connection and returns everything the server sends
// until it closes the connection (or 10 s pass).
func sendRaw(t *testing.T, addr string, in []byte) string {
	t.Helper()
	c := testutil.DialRaw(t, addr)
	if _, err := c.Conn.Write(in); err != nil {
		t.Fatalf("write: %v", err)
	}
	c.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(c.R)
	if err != nil {
		t.Fatalf("%q: read until close: %v (got %q)", in, err, out)
	}
	return string(out)
}

// TestUnauthenticatedLimits: before AUTH, Vigil closes a connection that announces more
// than 10 arguments or a bulk above 16384 bytes with Redis's exact reply, the same bytes
// redis-server 7.0 sends, and allocates nothing for what was announced. After AUTH in the
// same pipeline, the limits no longer apply.
func TestUnauthenticatedLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, vigil := testutil.StartVigil(t, "--requirepass", "secret")
	cases := []struct{ name, in, want string }{
		{"eleven args", "*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
		{"a million args", "*1048576\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
		{"16385-byte bulk", "*2\r\n$4\r\nAUTH\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
		{"512 MB bulk", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
		{"byte above 0x7f", "*1\r\n\xcd\r\n", "-ERR Protocol error: expected '$', got '\xcd'\r\n"},
		{"after AUTH in the same pipeline", "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n" +
			strings.Repeat("v", 20000) + "\r\n*11\r\n$4\r\nQUIT\r\n" + strings.Repeat("$1\r\nx\r\n", 10),
			"+OK\r\n$20000\r\n" + strings.Repeat("v", 20000) + "\r\n+OK\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sendRaw(t, vigil, []byte(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", truncateQ(got), truncateQ(tc.want))
			}
		})
	}
	t.Run("redis-server gives the same replies", func(t *testing.T) {
		_, ref := testutil.StartRedis(t, "--requirepass", "secret")
		for _, tc := range cases {
			if got := sendRaw(t, ref, []byte(tc.in)); got != tc.want {
				t.Errorf("%s: redis-server: got %q, want %q", tc.name, truncateQ(got), truncateQ(tc.want))
			}
		}
	})
}

func truncateQ(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// TestBigBulkAllocatedAsItArrives: authenticated clients announce 512 MB bulks and send
// a little of each; the server must hold about what arrived, not what was announced.
// When they disconnect, used_memory falls back without waiting for Go's two-minute
// forced GC, and a SET under maxmemory is not refused for the freed buffers.
func TestBigBulkAllocatedAsItArrives(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, addr := testutil.StartVigil(t, "--maxmemory", "200mb")
	admin := testutil.DialRaw(t, addr)
	var base int64
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "the first memory figures", func() bool {
		base = infoInt(t, admin, "used_memory")
		return base > 0
	})
	const clients, sent = 4, 48 << 20
	const header = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$536870912\r\n"
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	var conns []*testutil.RawConn
	for i := 0; i < clients; i++ {
		c := testutil.DialRaw(t, addr)
		c.Conn.Write([]byte(header))
		for n := 0; n < sent; n += len(chunk) {
			if _, err := c.Conn.Write(chunk); err != nil {
				t.Fatalf("client %d: write: %v", i, err)
			}
		}
		conns = append(conns, c)
	}
	testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, "the server to buffer what the clients sent", func() bool {
		// qbuf counts the big bulk's bytes only, not the headers before it (as Redis)
		return strings.Count(admin.Do("CLIENT", "LIST"), "qbuf="+strconv.Itoa(sent)+" ") == clients
	})
	rss := infoInt(t, admin, "used_memory_rss")
	t.Logf("used_memory %d at start, used_memory_rss %d with %d clients holding %d bytes each", base, rss, clients, sent)
	if limit := int64(clients * 3 * sent); rss > limit {
		t.Errorf("used_memory_rss %d with %d clients that sent %d bytes each: want at most %d (the announced 512 MB must not be allocated)", rss, clients, sent, limit)
	}
	// make sure a GC cycle has seen the buffers before they are dropped
	testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, "used_memory to count the buffers", func() bool {
		admin.Do("SET", "probe", "1")
		return infoInt(t, admin, "used_memory") > 200<<20
	})
	for _, c := range conns {
		c.Conn.Close()
	}
	testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, "the server to drop the clients", func() bool {
		return strings.Count(admin.Do("CLIENT", "LIST"), "id=") == 1
	})
	if got := admin.Do("SET", "after", "1"); got != "+OK\r\n" {
		t.Errorf("SET right after the clients left: got %q, want +OK (freed buffers must not cause OOM)", got)
	}
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, "used_memory to fall back after the clients left", func() bool {
		u := infoInt(t, admin, "used_memory")
		return u < base+32<<20
	})
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, "used_memory_rss to fall back after the clients left", func() bool {
		return infoInt(t, admin, "used_memory_rss") < rss/2
	})
}

// infoInt reads one integer field of INFO over a raw connection.
func infoInt(t *testing.T, c *testutil.RawConn, field string) int64 {
	t.Helper()
	for _, line := range strings.Split(c.Do("INFO"), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q is not an integer", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s field", field)
	return 0
}

// TestAuthenticatedMultibulkCount: after AUTH, a command may have up to INT_MAX
// arguments as in Redis 7.0 (Vigil refused more than 1,048,576); above INT_MAX is
// Redis's "invalid multibulk length".
func TestAuthenticatedMultibulkCount(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	const n = 1048577 // DEL and 1,048,576 keys
	var b strings.Builder
	b.WriteString("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*" + strconv.Itoa(n) + "\r\n$3\r\nDEL\r\n")
	for i := 1; i < n; i++ {
		b.WriteString("$1\r\nk\r\n")
	}
	b.WriteString("*2147483648\r\n")
	in := []byte(b.String())
	want := "+OK\r\n:0\r\n-ERR Protocol error: invalid multibulk length\r\n"
	_, vigil := testutil.StartVigil(t, "--requirepass", "secret")
	if got := sendRaw(t, vigil, in); got != want {
		t.Errorf("vigil: got %q, want %q", truncateQ(got), want)
	}
	_, ref := testutil.StartRedis(t, "--requirepass", "secret")
	if got := sendRaw(t, ref, in); got != want {
		t.Errorf("redis-server: got %q, want %q", truncateQ(got), want)
	}
}

// TestSentinelUnauthenticatedLimits: the sentinel port applies the same limits before
// AUTH as redis-sentinel (the same networking code in Redis): replies compared byte for
// byte with redis-sentinel's.
func TestSentinelUnauthenticatedLimits(t *testing.T) {
	redisAddr, vigilAddr, _, _ := startSentinelPair(t, "requirepass secret\n")
	for _, in := range []string{
		"*11\r\n",
		"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
		"*3\r\n$7\r\nSENTINEL\r\n$1\r\nk\r\n$536870912\r\n",
		"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*2\r\n$4\r\nPING\r\n$20000\r\n" + strings.Repeat("v", 20000) + "\r\n*x\r\n",
	} {
		got, want := sendRaw(t, vigilAddr, []byte(in)), sendRaw(t, redisAddr, []byte(in))
		if got != want {
			t.Errorf("%q: got %q, redis-sentinel %q", truncateQ(in), truncateQ(got), truncateQ(want))
		}
	}
}
