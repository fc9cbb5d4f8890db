package link

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vigil-db/vigil/failover"
)

// fakeLocal is an in-process instance: a master until SLAVEOF NO ONE or
// SLAVEOF host port changes its role, recording each Do's commands.
type fakeLocal struct {
	mu    sync.Mutex
	role  string
	calls []string // one line per Do: its commands joined
	stop  bool
}

func (f *fakeLocal) Do(cmds ...[]string) ([]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stop {
		return nil, errors.New("stopped")
	}
	var line []string
	out := make([]any, 0, len(cmds))
	for _, c := range cmds {
		line = append(line, strings.Join(c, " "))
		switch strings.ToUpper(c[0]) {
		case "PING":
			out = append(out, "PONG")
		case "INFO":
			out = append(out, "# Replication\r\nrole:"+f.role+"\r\nmaster_repl_offset:42\r\n")
		case "MULTI":
			out = append(out, "OK")
		case "EXEC":
			out = append(out, []any{"OK", errors.New("ERR The server is running without a config file"), int64(0), int64(0)})
		case "SLAVEOF":
			f.role = "slave"
			if strings.EqualFold(c[1], "NO") {
				f.role = "master"
			}
			out = append(out, "QUEUED")
		case "NOPE":
			out = append(out, errors.New("ERR unknown command 'NOPE'"))
		default:
			out = append(out, "QUEUED")
		}
	}
	f.calls = append(f.calls, strings.Join(line, "; "))
	return out, nil
}

func (f *fakeLocal) sawCall(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// TestLinkLocal: with Config.Local the command connection is direct calls:
// never dialed, up at once, PING and INFO observed, the promotion
// transaction run in one Do, error replies typed as replies.
func TestLinkLocal(t *testing.T) {
	f := &fakeLocal{role: "slave"}
	var dials atomic.Int32
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("no sockets in this test")
	}
	l, c := startLink(t, Config{Addr: "127.0.0.1:6379", Kind: KindSentinel, MyID: idA, Local: f, Dial: dial})
	c.waitFor(t, 0, "command link up", linkUp(CC))
	c.waitFor(t, 0, "PONG", func(o Observation) bool { return o.Event == EventPingReply && o.OK && o.Reply == "PONG" })
	if err := l.Info(); err != nil {
		t.Fatal(err)
	}
	o := c.waitFor(t, 0, "INFO", isEvent(EventInfo))
	if o.Info.Role != failover.RoleSlave {
		t.Errorf("INFO: role %v, want slave", o.Info.Role)
	}
	from := c.len()
	got, err := l.PromoteNoOne(context.Background())
	if err != nil || got != "OK" {
		t.Fatalf("PromoteNoOne: %q %v", got, err)
	}
	if !f.sawCall("MULTI; SLAVEOF NO ONE; CONFIG REWRITE; CLIENT KILL TYPE normal; CLIENT KILL TYPE pubsub; EXEC") {
		t.Errorf("the transaction was not one Do: %q", f.calls)
	}
	o = c.waitFor(t, from, "INFO after the promotion", isEvent(EventInfo))
	if o.Info.Role != failover.RoleMaster || o.Info.MasterReplOffset != 42 {
		t.Errorf("INFO after the promotion: %+v", o.Info)
	}
	if _, err := l.Send(context.Background(), "NOPE"); err == nil {
		t.Errorf("Send NOPE: no error")
	} else if msg, ok := isRedisErr(err); !ok || !strings.HasPrefix(msg, "ERR unknown command") {
		t.Errorf("Send NOPE: %v is not an error reply", err)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("Dial called %d times, want 0", n)
	}
	f.mu.Lock()
	f.stop = true
	f.mu.Unlock()
	from = c.len()
	_ = l.Ping()
	c.waitFor(t, from, "link down when the instance stops", func(o Observation) bool {
		return o.Event == EventLinkDown && o.Conn == CC
	})
}
