package mesh

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
	"github.com/vigil-db/vigil/internal/testutil"
)

// Bounds of the polls; generous because the machine is shared. Never a threshold.
const (
	waitTotal = 20 * time.Second
	waitEvery = 10 * time.Millisecond
)

// testName returns the i-th sentinel myid (40 hex).
func testName(i int) string { return fmt.Sprintf("%040x", i+1) }

// testWriter sends log lines to t.Log until the test ends, then drops them (memberlist
// goroutines may log while they wind down). It also keeps every line.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
	all  bytes.Buffer
}

func newTestWriter(t testing.TB) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() { // registered first, so it runs after every Shutdown
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) contains(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Contains(w.all.String(), s)
}

// node is a Mesh under test with everything it delivered.
type node struct {
	*Mesh
	log  *testWriter
	mu   sync.Mutex
	msgs []Message
}

// newNode starts a fast mesh on 127.0.0.1 with a kernel-picked port; mut adjusts the
// config. Its Incoming is drained into node.msgs until the test ends.
func newNode(t *testing.T, i int, mut func(*Config)) *node {
	t.Helper()
	n := newSilentNode(t, i, mut)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case msg := <-n.Incoming():
				n.mu.Lock()
				n.msgs = append(n.msgs, msg)
				n.mu.Unlock()
			case <-stop:
				return
			}
		}
	})
	t.Cleanup(func() { // runs before the Shutdown registered by newSilentNode
		close(stop)
		wg.Wait()
	})
	return n
}

// newSilentNode is newNode without anybody reading Incoming.
func newSilentNode(t *testing.T, i int, mut func(*Config)) *node {
	t.Helper()
	w := newTestWriter(t)
	cfg := Config{
		Name:     testName(i),
		BindAddr: "127.0.0.1",
		Meta:     Meta{IP: "127.0.0.1", Port: 26379 + i, Epoch: 0},
		Logger:   zerolog.New(w).Level(zerolog.InfoLevel),
		Fast:     true,
	}
	if mut != nil {
		mut(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		if err := m.Shutdown(); err != nil {
			t.Errorf("Shutdown(%s): %v", cfg.Name, err)
		}
	})
	return &node{Mesh: m, log: w}
}

// received returns a copy of what the node delivered so far.
func (n *node) received() []Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Message(nil), n.msgs...)
}

// events returns the member events the node delivered about name.
func (n *node) events(name string) []EventType {
	var out []EventType
	for _, msg := range n.received() {
		if ev, ok := msg.Payload.(MemberEvent); ok && msg.From == name {
			out = append(out, ev.Type)
		}
	}
	return out
}

// newCluster starts n nodes and joins them all through the first one.
func newCluster(t *testing.T, n int, mut func(*Config)) []*node {
	t.Helper()
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = newNode(t, i, mut)
	}
	for _, nd := range nodes[1:] {
		if _, err := nd.Join([]string{nodes[0].LocalAddr()}); err != nil {
			t.Fatalf("Join: %v", err)
		}
	}
	waitMembers(t, nodes, n)
	return nodes
}

// waitMembers polls until every node sees want members.
func waitMembers(t *testing.T, nodes []*node, want int) {
	t.Helper()
	testutil.CheckFor(t, waitTotal, waitEvery, fmt.Sprintf("every node to see %d members", want), func() bool {
		for _, nd := range nodes {
			if len(nd.Members()) != want {
				return false
			}
		}
		return true
	})
}

// network lets a test cut nodes off: every cutTransport consults it before sending.
type network struct {
	mu    sync.Mutex
	cut   map[string]bool    // isolated gossip addresses
	pairs map[[2]string]bool // links cut in both directions
}

func (nw *network) isolate(addr string, on bool) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.cut == nil {
		nw.cut = make(map[string]bool)
	}
	nw.cut[addr] = on
}

func (nw *network) cutLink(a, b string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.pairs == nil {
		nw.pairs = make(map[[2]string]bool)
	}
	nw.pairs[[2]string{a, b}] = true
	nw.pairs[[2]string{b, a}] = true
}

func (nw *network) blocked(from, to string) bool {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.cut[from] || nw.cut[to] || nw.pairs[[2]string{from, to}]
}

// cutTransport is memberlist's UDP/TCP transport with a switch: traffic to or from an
// isolated address is silently dropped (packets) or refused (streams).
type cutTransport struct {
	*memberlist.NetTransport
	nw   *network
	self string
}

var _ memberlist.NodeAwareTransport = (*cutTransport)(nil)

func newCutTransport(t *testing.T, nw *network) *cutTransport {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		Logger:    log.New(io.Discard, "", 0),
	})
	if err != nil {
		t.Fatalf("NewNetTransport: %v", err)
	}
	return &cutTransport{NetTransport: nt, nw: nw, self: fmt.Sprintf("127.0.0.1:%d", nt.GetAutoBindPort())}
}

func (c *cutTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if c.nw.blocked(c.self, addr) {
		return time.Now(), nil
	}
	return c.NetTransport.WriteTo(b, addr)
}

func (c *cutTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return c.WriteTo(b, a.Addr)
}

func (c *cutTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	if c.nw.blocked(c.self, addr) {
		return nil, fmt.Errorf("test network: %s is cut off", addr)
	}
	return c.NetTransport.DialTimeout(addr, d)
}

func (c *cutTransport) DialAddressTimeout(a memberlist.Address, d time.Duration) (net.Conn, error) {
	return c.DialTimeout(a.Addr, d)
}
