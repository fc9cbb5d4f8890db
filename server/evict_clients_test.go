package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestMaxmemoryClientsEvictsBigQueryBuffer: a client whose query buffer passes
// maxmemory-clients is closed, a CLIENT NO-EVICT one is not, and the count shows in INFO.
func TestMaxmemoryClientsEvictsBigQueryBuffer(t *testing.T) {
	for _, noEvict := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-evict=%v", noEvict), func(t *testing.T) {
			ts := newTestServer(t, nil)
			admin, big := ts.dial(t), ts.dial(t)
			admin.do("CLIENT", "NO-EVICT", "on")
			admin.do("CONFIG", "SET", "maxmemory-clients", "1000000")
			big.do("CLIENT", "SETNAME", "big")
			if noEvict {
				big.do("CLIENT", "NO-EVICT", "on")
			}
			// an argument of 1.2 MB that never completes: only the query buffer holds it
			if _, err := big.conn.Write([]byte("*1\r\n$1200000\r\n" + strings.Repeat("v", 1200000))); err != nil {
				t.Fatal(err)
			}
			testutil.Poll(t, 10*time.Second, 5*time.Millisecond, "the big argument arrived or its client left", func() (bool, string) {
				list := admin.do("CLIENT", "LIST")
				return !strings.Contains(list, "name=big ") || strings.Contains(list, "qbuf=12000"), list
			})
			list := admin.do("CLIENT", "LIST")
			info := admin.do("INFO", "stats")
			if noEvict {
				if !strings.Contains(list, "name=big ") || !strings.Contains(info, "\r\nevicted_clients:0\r\n") {
					t.Errorf("NO-EVICT client: CLIENT LIST %q, INFO %q", list, info)
				}
				return
			}
			if strings.Contains(list, "name=big ") || !strings.Contains(info, "\r\nevicted_clients:1\r\n") {
				t.Errorf("evictable client: CLIENT LIST %q, INFO %q", list, info)
			}
		})
	}
}

// TestMaxmemoryClientsDecreaseEvictsLargestFirst: lowering maxmemory-clients closes the
// largest clients at once, until the others fit.
func TestMaxmemoryClientsDecreaseEvictsLargestFirst(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := ts.dial(t)
	admin.do("CLIENT", "NO-EVICT", "on")
	for i, size := range []int{100_000, 400_000} {
		c := ts.dial(t)
		c.do("CLIENT", "SETNAME", fmt.Sprintf("c%d", i))
		if _, err := c.conn.Write([]byte(fmt.Sprintf("*2\r\n$%d\r\n%s", size, strings.Repeat("v", size)))); err != nil {
			t.Fatal(err)
		}
		testutil.Poll(t, 10*time.Second, 5*time.Millisecond, "the argument arrived", func() (bool, string) {
			list := admin.do("CLIENT", "LIST")
			// the headers before a big bulk are not in qbuf (Redis trims its query buffer
			// to the bulk)
			return strings.Contains(list, fmt.Sprintf("qbuf=%d ", size)), list
		})
	}
	if got := admin.do("CONFIG", "SET", "maxmemory-clients", "300000"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory-clients: %q", got)
	}
	list := admin.do("CLIENT", "LIST")
	if strings.Contains(list, "name=c1 ") || !strings.Contains(list, "name=c0 ") {
		t.Errorf("after lowering maxmemory-clients: %q, want c1 (the largest) evicted and c0 kept", list)
	}
}

// TestMaxmemoryClientsEvictsOnUnreadOutput: a client that sends commands without reading
// their replies keeps being served, its replies pile up in memory as in Redis's reply
// list (omem), and maxmemory-clients evicts it once they pass the limit.
func TestMaxmemoryClientsEvictsOnUnreadOutput(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := ts.dial(t)
	admin.do("CLIENT", "NO-EVICT", "on")
	admin.do("SETRANGE", "k", "200000", "v")
	admin.do("CONFIG", "SET", "maxmemory-clients", "3000000")
	c := ts.dial(t)
	c.do("CLIENT", "SETNAME", "unread")
	for i := 0; i < 100; i++ { // 20 MB of replies, never read
		if _, err := c.conn.Write([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")); err != nil {
			break // evicted already
		}
	}
	testutil.Poll(t, 10*time.Second, 5*time.Millisecond, "the client with unread replies evicted", func() (bool, string) {
		list := admin.do("CLIENT", "LIST")
		return !strings.Contains(list, "name=unread "), list
	})
	if info := admin.do("INFO", "stats"); !strings.Contains(info, "\r\nevicted_clients:1\r\n") {
		t.Errorf("INFO stats after the eviction: %q", info)
	}
}
