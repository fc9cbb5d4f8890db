package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestSentinelMeshJoinsAnnouncedGossipPort: two Vigil sentinels with
// gossip-ports that are not port + 1000 and no gossip-join find each other
// through the master's hellos and join one mesh at the gossip address each
// announces (PUBLISH __vigil__:gossip), not at a guessed port + 1000.
func TestSentinelMeshJoinsAnnouncedGossipPort(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, maddr := testutil.StartRedis(t)
	mport, _ := strconv.Atoi(strings.TrimPrefix(maddr, "127.0.0.1:"))
	var ss []*vsentinel
	for range 2 {
		extra := fmt.Sprintf("gossip-port %d\n", testutil.FreePort(t))
		ss = append(ss, startVigilSentinel(t, mport, 2, extra))
	}
	ids := make([]string, len(ss))
	for i, s := range ss {
		id, err := s.c.Do(context.Background(), "SENTINEL", "MYID").Text()
		if err != nil {
			t.Fatalf("%s: SENTINEL MYID: %v", s.addr, err)
		}
		ids[i] = id
	}
	for i, s := range ss {
		other := ids[1-i]
		testutil.CheckFor(t, 30*time.Second, 100*time.Millisecond, s.addr+" to see "+other+" join its mesh", func() bool {
			for _, l := range strings.Split(s.proc.Output(), "\n") {
				if strings.Contains(l, "member joined") && strings.Contains(l, other) {
					return true
				}
			}
			return false
		})
	}
}

// TestSentinelMeshKeyFromRequirepass: a sentinel with requirepass and no
// gossip-secret encrypts its mesh (the key is derived from the password).
func TestSentinelMeshKeyFromRequirepass(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, tc := range []struct {
		extra     string
		encrypted string
	}{{"requirepass pw\n", "encrypted=true"}, {"", "encrypted=false"}} {
		p, _ := startPlainSentinel(t, tc.extra)
		testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, "mesh listening "+tc.encrypted+" with "+strconv.Quote(tc.extra), func() bool {
			for _, l := range strings.Split(p.Output(), "\n") {
				if strings.Contains(l, "mesh listening") {
					return strings.Contains(l, tc.encrypted)
				}
			}
			return false
		})
	}
}

// startPlainSentinel starts a Vigil sentinel with no master and extra config
// lines; it does not connect a client (requirepass may be set).
func startPlainSentinel(t *testing.T, extra string) (*testutil.Proc, string) {
	t.Helper()
	dir := t.TempDir()
	port := testutil.FreePort(t)
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n", port, dir) + extra
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.Start(t, "sentinel:"+strconv.Itoa(port), testutil.VigilBinary(t), "sentinel", path)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.WaitForPort(t, addr, 10*time.Second, p)
	return p, addr
}
