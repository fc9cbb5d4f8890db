package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// masterFlags is the flags field of SENTINEL MASTER mymaster.
func (s *vsentinel) masterFlags() string {
	v, err := s.c.Do(context.Background(), "SENTINEL", "MASTER", "mymaster").Result()
	if err != nil {
		return ""
	}
	return flatMap(v)["flags"]
}

// TestSentinelRenameCommandAtRuntime: SENTINEL SET mymaster rename-command PING PONG
// takes effect on the links already open, as in Redis (which maps each command at
// send time): the master answers the renamed PING with an error and is flagged
// s_down; renaming PING back brings it up (Redis's Sentinel suite, 07-down-conditions).
func TestSentinelRenameCommandAtRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	master := startRepl(t, "master", testutil.ImplVigil)
	s := startVigilSentinel(t, master.Port, 2, "")
	defer dumpSentinels(t, []*vsentinel{s}, nil)
	up := func() bool { return s.masterFlags() == "master" }
	testutil.CheckFor(t, sentinelWait, 50*time.Millisecond, "master flags 'master'", up)
	set := func(to string) {
		if err := s.c.Do(context.Background(), "SENTINEL", "SET", "mymaster", "rename-command", "PING", to).Err(); err != nil {
			t.Fatalf("SENTINEL SET rename-command PING %s: %v", to, err)
		}
	}
	set("PONG")
	testutil.CheckFor(t, sentinelWait, 50*time.Millisecond, "master flagged s_down with PING renamed to PONG",
		func() bool { return strings.Contains(s.masterFlags(), "s_down") })
	set("PING")
	testutil.CheckFor(t, sentinelWait, 50*time.Millisecond, "master flags 'master' with PING back", up)
}
