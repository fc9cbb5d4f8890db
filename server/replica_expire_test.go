package server

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/internal/testutil"
)

// TestWritableReplicaExpiresOwnKeys: a key a client writes with a TTL to a writable
// replica (replica-read-only no) is deleted once the TTL passes, as Redis's
// expireSlaveKeys does, and INFO slave_expires_tracked_keys counts it meanwhile.
func TestWritableReplicaExpiresOwnKeys(t *testing.T) {
	ts := newTestServer(t, func(cfg *config.Server) { cfg.ReplicaReadOnly = false })
	c := ts.dial(t)
	// a master that never answers: the server is a replica whose link stays down
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if got := c.do("REPLICAOF", "127.0.0.1", port); got != "+OK\r\n" {
		t.Fatalf("REPLICAOF: got %q", got)
	}
	c.do("SET", "short", "v", "PX", "50")
	c.do("SET", "long", "v", "EX", "100")
	c.do("SET", "plain", "v")
	if got := infoField(t, c, "stats", "slave_expires_tracked_keys"); got != "2" {
		t.Errorf("slave_expires_tracked_keys: got %s, want 2", got)
	}
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, "the replica to delete its expired key", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.dbs[0].Len() == 2
	})
	if got := c.do("DBSIZE"); got != ":2\r\n" {
		t.Errorf("DBSIZE: got %q, want 2 (long and plain)", got)
	}
	if got := infoField(t, c, "stats", "slave_expires_tracked_keys"); got != "1" {
		t.Errorf("slave_expires_tracked_keys after the expiry: got %s, want 1", got)
	}
	if got := c.do("REPLICAOF", "NO", "ONE"); got != "+OK\r\n" {
		t.Fatalf("REPLICAOF NO ONE: got %q", got)
	}
	if got := infoField(t, c, "stats", "slave_expires_tracked_keys"); got != "0" {
		t.Errorf("slave_expires_tracked_keys on a master: got %s, want 0", got)
	}
}
