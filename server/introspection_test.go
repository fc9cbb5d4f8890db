package server

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// clientField returns field of the CLIENT LIST line of the client named name.
func clientField(t *testing.T, c *rawClient, name, field string) string {
	t.Helper()
	list := c.do("CLIENT", "LIST")
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			if m := regexp.MustCompile(` ` + regexp.QuoteMeta(field) + `=(\S*)`).FindStringSubmatch(line); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no %s for client %s in %q", field, name, list)
	return ""
}

func TestClientListQueryBufferHoldsRunningCommand(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	// *2\r\n$6\r\nclient\r\n$4\r\nlist\r\n: the command is in the query buffer while it runs
	if got := c.do("CLIENT", "LIST"); !strings.Contains(got, " qbuf=26 qbuf-free=16358 ") {
		t.Errorf("CLIENT LIST: got %q, want qbuf=26", got)
	}
	if got := c.do("CLIENT", "INFO"); !strings.Contains(got, " qbuf=26 ") {
		t.Errorf("CLIENT INFO: got %q, want qbuf=26", got)
	}
}

func TestClientPauseHeldCountsAsBlocked(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, writer := ts.dial(t), ts.dial(t)
	admin.do("CLIENT", "PAUSE", "100000", "WRITE")
	writer.send("SET", "k", "v")
	testutil.Poll(t, 5*time.Second, 5*time.Millisecond, "the held SET in blocked_clients", func() (bool, string) {
		info := admin.do("INFO", "clients")
		return strings.Contains(info, "\r\nblocked_clients:1\r\n"), info
	})
	admin.do("CLIENT", "UNPAUSE")
	if got := writer.read(); got != "+OK\r\n" {
		t.Fatalf("held SET after UNPAUSE: got %q", got)
	}
	if info := admin.do("INFO", "clients"); !strings.Contains(info, "\r\nblocked_clients:0\r\n") {
		t.Errorf("INFO clients after UNPAUSE: %q, want blocked_clients:0", info)
	}
}

func TestUnblockErrorCountsFailedCall(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, blocked := ts.dial(t), ts.dial(t)
	id := strings.TrimSpace(strings.TrimPrefix(blocked.do("CLIENT", "ID"), ":"))
	admin.do("CONFIG", "RESETSTAT")
	blocked.send("BLPOP", "nolist", "0")
	testutil.Poll(t, 5*time.Second, 5*time.Millisecond, "BLPOP blocked", func() (bool, string) {
		info := admin.do("INFO", "clients")
		return strings.Contains(info, "\r\nblocked_clients:1\r\n"), info
	})
	admin.do("CLIENT", "UNBLOCK", id, "ERROR")
	if got := blocked.read(); !strings.HasPrefix(got, "-UNBLOCKED") {
		t.Fatalf("unblocked BLPOP: got %q", got)
	}
	if got := admin.do("INFO", "commandstats"); !regexp.MustCompile(`cmdstat_blpop:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1\r\n`).MatchString(got) {
		t.Errorf("INFO commandstats: got %q", got)
	}
}

func TestReplyBufferResize(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, c := ts.dial(t), ts.dial(t)
	c.do("CLIENT", "SETNAME", "rb")
	admin.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100")
	// idle: the buffer shrinks from 16 KB, halving at most per cron run, down to 1 KB
	testutil.Poll(t, 10*time.Second, 20*time.Millisecond, "an idle client's reply buffer shrinks", func() (bool, string) {
		rbs := clientField(t, admin, "rb", "rbs")
		return rbs == "1024", "rbs=" + rbs
	})
	admin.do("SET", "big", strings.Repeat("x", 32768))
	admin.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never")
	// busy: replies that fill it make it grow back to 16 KB
	testutil.Poll(t, 10*time.Second, 20*time.Millisecond, "a busy client's reply buffer grows", func() (bool, string) {
		c.do("GET", "big")
		rbs := clientField(t, admin, "rb", "rbs")
		return rbs == "16384", "rbs=" + rbs
	})
	info := admin.do("INFO", "stats")
	var shrinks, expands int
	fmt.Sscanf(info[strings.Index(info, "reply_buffer_shrinks:"):], "reply_buffer_shrinks:%d\r\nreply_buffer_expands:%d", &shrinks, &expands)
	if shrinks == 0 || expands == 0 {
		t.Errorf("INFO stats: reply_buffer_shrinks %d, reply_buffer_expands %d, want both > 0", shrinks, expands)
	}
	admin.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset")
}

func TestIdleClientReleasesQueryBuffer(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, idle := ts.dial(t), ts.dial(t)
	idle.do("CLIENT", "SETNAME", "idle")
	if got := clientField(t, admin, "idle", "qbuf-free"); got != "16384" {
		t.Fatalf("qbuf-free of a fresh client: %s, want 16384", got)
	}
	testutil.Poll(t, 10*time.Second, 50*time.Millisecond, "the idle client's query buffer released", func() (bool, string) {
		q, free := clientField(t, admin, "idle", "qbuf"), clientField(t, admin, "idle", "qbuf-free")
		return q == "0" && free == "0", "qbuf=" + q + " qbuf-free=" + free
	})
	// back to work: a buffer again, and the command read whole
	long := strings.Repeat("x", 200)
	if got := idle.do("SET", "k", long); got != "+OK\r\n" {
		t.Fatalf("SET after the release: %q", got)
	}
	if got := idle.do("GET", "k"); got != "$200\r\n"+long+"\r\n" {
		t.Fatalf("GET after the release: %q", got)
	}
	if got := clientField(t, admin, "idle", "qbuf-free"); got == "0" {
		t.Errorf("qbuf-free after new commands: %s, want a buffer again", got)
	}
}

func TestOutputSoftLimitClosesWithoutTraffic(t *testing.T) {
	ts := newTestServer(t, nil)
	admin, sub := ts.dial(t), ts.dial(t)
	admin.do("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 100000 1")
	sub.do("CLIENT", "SETNAME", "sub")
	sub.do("SUBSCRIBE", "ch") // and never reads again
	msg := strings.Repeat("x", 1000)
	testutil.Poll(t, 20*time.Second, time.Millisecond, "the subscriber's output over the soft limit", func() (bool, string) {
		admin.do("PUBLISH", "ch", msg)
		list := admin.do("CLIENT", "LIST")
		m := regexp.MustCompile(`name=sub .* omem=(\d+) `).FindStringSubmatch(list)
		return m != nil && len(m[1]) >= 6, list
	})
	// no more traffic: the soft limit's time passes and cron closes the client
	testutil.Poll(t, 10*time.Second, 20*time.Millisecond, "the subscriber closed by the soft limit", func() (bool, string) {
		list := admin.do("CLIENT", "LIST")
		return !strings.Contains(list, "name=sub "), list
	})
}

func TestOutputHardLimitClosesMidCommand(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := ts.dial(t)
	admin.do("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0")
	item := strings.Repeat("x", 1000)
	for i := 0; i < 150; i++ {
		admin.do("RPUSH", "big", item)
	}
	c := ts.dial(t)
	c.do("CLIENT", "SETNAME", "reader")
	c.send("LRANGE", "big", "0", "-1") // 150 KB of reply: over the hard limit
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := c.r.ReadByte(); err == nil {
		t.Fatalf("got a reply (first byte %q), want the connection closed without one", b)
	}
	testutil.Poll(t, 5*time.Second, 5*time.Millisecond, "the closed client gone from CLIENT LIST", func() (bool, string) {
		list := admin.do("CLIENT", "LIST")
		return !strings.Contains(list, "name=reader"), list
	})
	// under the limit nothing changes; and the admin's own commands still answer
	if got := admin.do("LRANGE", "big", "0", "9"); !strings.HasPrefix(got, "*10\r\n") {
		t.Errorf("LRANGE 0 9: got %.40q", got)
	}
}
