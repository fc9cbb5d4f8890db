package link

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

func TestLinkBusyScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	_, addr := testutil.StartRedis(t, "--busy-reply-threshold", "50")
	l, c := startLink(t, Config{Addr: addr, Kind: KindMaster, MyID: idA})
	c.waitFor(t, 0, "pong", func(o Observation) bool { return o.Event == EventPingReply && o.OK })
	script := testutil.DialRaw(t, addr)
	script.Send([]byte("EVAL"), []byte("while true do end"), []byte("0"))
	from := c.len()
	busy := c.waitFor(t, from, "busy reply", func(o Observation) bool {
		return o.Event == EventPingReply && strings.HasPrefix(o.Reply, "BUSY")
	})
	if busy.OK || busy.Err != nil || busy.State.LastPong != busy.At || busy.State.ActPing.IsZero() {
		t.Errorf("BUSY reply: got ok=%v err=%v state=%+v, want not available, pong time updated, ping pending", busy.OK, busy.Err, busy.State)
	}
	// what the owner does while the master is SDOWN
	if v, err := l.Send(context.Background(), "SCRIPT", "KILL"); err != nil || v != "OK" {
		t.Fatalf("SCRIPT KILL: got %v, %v, want OK", v, err)
	}
	from = c.len()
	c.waitFor(t, from, "pong after kill", func(o Observation) bool { return o.Event == EventPingReply && o.OK })
}

// A stopped process accepts TCP but never answers: the pending PING's time must stay
// put (that is what SDOWN is computed from) and the scheduler must keep running.
func TestLinkHungInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	proc, addr := testutil.StartRedis(t)
	p := fastPeriods
	p.Ping = 300 * time.Millisecond
	_, c := startLink(t, Config{Addr: addr, Kind: KindMaster, MyID: idA, Periods: p, Timeout: 200 * time.Millisecond})
	c.waitFor(t, 0, "pc up", linkUp(PC))
	c.waitFor(t, 0, "pong", func(o Observation) bool { return o.Event == EventPingReply && o.OK })
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer proc.Signal(syscall.SIGCONT)
	from := c.len()
	first := c.waitFor(t, from, "ping sent", isEvent(EventPingSent))
	pending := first.State.ActPing
	if pending.IsZero() {
		t.Fatalf("after a PING: got no pending ping time in %+v", first.State)
	}
	// the PING times out, the connection is dropped, reconnections send more PINGs,
	// and the pending time stays that of the first unanswered one
	_, at, _ := c.find(from, isEvent(EventPingSent))
	later := c.waitFor(t, at+1, "another ping sent", isEvent(EventPingSent))
	if !later.State.ActPing.Equal(pending) {
		t.Errorf("ActPing moved while hung: got %v, want %v", later.State.ActPing, pending)
	}
	if err := proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	back := c.waitFor(t, from, "pong after SIGCONT", func(o Observation) bool { return o.Event == EventPingReply && o.OK })
	if !back.State.ActPing.IsZero() {
		t.Errorf("after PONG: got ActPing %v, want zero", back.State.ActPing)
	}
}

func TestLinkToSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and a sentinel")
	}
	bin := testutil.RequireRedis(t, "redis-server") // redis-sentinel is redis-server --sentinel
	_, maddr := testutil.StartRedis(t)
	port := testutil.FreePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n", port, dir, portOf(t, maddr))
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sp := testutil.Start(t, "redis-sentinel", bin, conf, "--sentinel")
	saddr := fmt.Sprintf("127.0.0.1:%d", port)
	testutil.WaitForPort(t, saddr, 10*time.Second, sp)

	l, c := startLink(t, Config{Addr: saddr, Kind: KindSentinel, MyID: idA})
	up := c.waitFor(t, 0, "cc up", linkUp(CC))
	if up.State.Disconnected(KindSentinel) != false {
		t.Errorf("sentinel link with its cc up: got disconnected, want connected")
	}
	if r := c.waitFor(t, 0, "pong", isEvent(EventPingReply)); !r.OK {
		t.Errorf("PING to sentinel: got %q %v, want PONG", r.Reply, r.Err)
	}
	l.SetHello(Hello{Port: 26999, RunID: idA, MasterName: "mymaster", MasterIP: "127.0.0.1", MasterPort: portOf(t, maddr)})
	if p := c.waitFor(t, 0, "publish", isEvent(EventPublish)); !p.OK || p.Reply != "1" {
		t.Errorf("PUBLISH hello to sentinel: got ok=%v %q %v, want :1", p.OK, p.Reply, p.Err)
	}
	v, err := l.Send(context.Background(), "SENTINEL", "is-master-down-by-addr", "127.0.0.1", fmt.Sprint(portOf(t, maddr)), "0", "*")
	arr, ok := v.([]any)
	if err != nil || !ok || len(arr) != 3 || arr[0] != int64(0) || arr[1] != "*" {
		t.Errorf("is-master-down-by-addr: got %#v, %v, want [0 * 0]", v, err)
	}
	if _, _, ok := c.find(0, func(o Observation) bool { return o.Event == EventInfo || o.Conn == PC }); ok {
		t.Errorf("sentinel link sent INFO or opened a pub/sub connection")
	}
	// the sentinel learned about us from the hello
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, "sentinel knows our hello", func() bool {
		return strings.Contains(testutil.DialRaw(t, saddr).Do("SENTINEL", "SENTINELS", "mymaster"), idA)
	})
}
