package server

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
)

// TestWritableReplicaExpiresItsKeys checks that a writable replica expires by itself the
// keys its own clients gave a TTL (expireSlaveKeys): the master never sends their DEL.
func TestWritableReplicaExpiresItsKeys(t *testing.T) {
	// a master that accepts the connection and never answers: the replica stays a replica
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	ts := newTestServer(t, func(c *config.Server) { c.ReplicaReadOnly = false })
	c := ts.dial(t)
	port := ln.Addr().(*net.TCPAddr).Port
	if got := c.do("REPLICAOF", "127.0.0.1", strconv.Itoa(port)); got != "+OK\r\n" {
		t.Fatalf("REPLICAOF: %q", got)
	}
	if got := c.do("SET", "foo", "bar", "PX", "1"); got != "+OK\r\n" {
		t.Fatalf("SET on the writable replica: %q", got)
	}
	for i := 0; ; i++ { // bounded poll: the replica's cron runs hz times per second
		if infoField(t, c, "stats", "expired_keys") == "1" {
			break
		}
		if i == 200 {
			t.Fatal("the replica never expired the key its client wrote with a TTL")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dbs[0].Keys.Len() != 0 {
		t.Errorf("foo still in the replica's keyspace")
	}
}
