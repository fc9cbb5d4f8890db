package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/config"
)

// TestLocalClientReplies: a connectionless client gets every reply kind
// decoded, needs no password, and is not listed among the clients.
func TestLocalClientReplies(t *testing.T) {
	ts := newTestServer(t, func(c *config.Server) { c.RequirePass = "pw" })
	lc := ts.NewLocalClient("sentinel-test-local")
	got, err := lc.Do([]string{"PING"}, []string{"SET", "k", "v"}, []string{"GET", "nokey"},
		[]string{"INCR", "n"}, []string{"ROLE"}, []string{"NOSUCH"}, []string{"CLIENT", "GETNAME"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "PONG" || got[1] != "OK" || got[2] != nil || got[3] != int64(1) {
		t.Errorf("PING, SET, GET, INCR: got %#v", got[:4])
	}
	if role, ok := got[4].([]any); !ok || len(role) != 3 || role[0] != "master" {
		t.Errorf("ROLE: got %#v", got[4])
	}
	if e, ok := got[5].(error); !ok || !strings.HasPrefix(e.Error(), "ERR unknown command 'NOSUCH'") {
		t.Errorf("NOSUCH: got %#v, want an error reply", got[5])
	}
	if got[6] != "sentinel-test-local" {
		t.Errorf("CLIENT GETNAME: got %#v", got[6])
	}
	info, err := lc.Do([]string{"INFO", "clients"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := info[0].(string); !strings.Contains(s, "connected_clients:0\r\n") {
		t.Errorf("INFO clients: want connected_clients:0 (the local client is no connection), got %q", s)
	}
	rc := ts.dial(t)
	rc.do("AUTH", "pw")
	if list := rc.do("CLIENT", "LIST"); strings.Contains(list, "sentinel-test-local") {
		t.Errorf("CLIENT LIST lists the local client: %q", list)
	}
	ts.Close()
	if _, err := lc.Do([]string{"PING"}); !errors.Is(err, ErrStopped) {
		t.Errorf("Do after Close: got %v, want ErrStopped", err)
	}
}

// TestLocalClientPromotion: Sentinel's promotion transaction run through a
// local client is REPLICAOF NO ONE's: the role changes, the command is
// counted, CLIENT KILL TYPE normal closes the socket clients but not the
// local client, and EXEC's first reply is SLAVEOF's.
func TestLocalClientPromotion(t *testing.T) {
	ts := newTestServer(t, nil)
	lc := ts.NewLocalClient("agent")
	if r, err := lc.Do([]string{"REPLICAOF", "127.0.0.1", "1"}); err != nil || r[0] != "OK" {
		t.Fatalf("REPLICAOF 127.0.0.1 1: %#v %v", r, err)
	}
	if s := ts.Info("replication"); !strings.Contains(s, "role:slave\r\n") {
		t.Fatalf("after REPLICAOF: %q", s)
	}
	rc := ts.dial(t)
	rc.do("PING")
	got, err := lc.Do([]string{"MULTI"}, []string{"SLAVEOF", "NO", "ONE"}, []string{"CONFIG", "REWRITE"},
		[]string{"CLIENT", "KILL", "TYPE", "normal"}, []string{"CLIENT", "KILL", "TYPE", "pubsub"}, []string{"EXEC"})
	if err != nil {
		t.Fatal(err)
	}
	exec, ok := got[5].([]any)
	if !ok || len(exec) != 4 || exec[0] != "OK" || exec[2] != int64(1) {
		t.Fatalf("EXEC: got %#v, want [OK <config rewrite> 1 0]", got[5])
	}
	if s := ts.Info("replication"); !strings.Contains(s, "role:master\r\n") {
		t.Errorf("after the promotion: %q", s)
	}
	if s := ts.Info("commandstats"); !strings.Contains(s, "cmdstat_slaveof:calls=1,") {
		t.Errorf("commandstats: want cmdstat_slaveof calls=1, got %q", s)
	}
	if r, err := lc.Do([]string{"PING"}); err != nil || r[0] != "PONG" {
		t.Errorf("PING after CLIENT KILL TYPE normal: %#v %v", r, err)
	}
}

// TestDecodeReplyMalformed: bad bytes give an error, never a panic.
func TestDecodeReplyMalformed(t *testing.T) {
	for _, b := range []string{"", "\r\n", "+", ":x\r\n", "$5\r\nab\r\n", "*3\r\n:1\r\n", "*99999999999\r\n", "?1\r\n"} {
		if _, _, err := decodeReply([]byte(b)); err == nil {
			t.Errorf("decodeReply(%q): no error", b)
		}
	}
}
