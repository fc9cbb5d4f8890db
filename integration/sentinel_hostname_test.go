package integration

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// replicaIPs returns the ip field of each replica of SENTINEL REPLICAS mymaster.
func (s *vsentinel) replicaIPs(t *testing.T) []string {
	t.Helper()
	v, err := s.c.Do(context.Background(), "SENTINEL", "REPLICAS", "mymaster").Slice()
	if err != nil {
		return nil
	}
	var ips []string
	for _, r := range v {
		ips = append(ips, flatMap(r)["ip"])
	}
	return ips
}

// announcedAs reports whether the sentinel gives host for the master and for each of
// want replicas.
func (s *vsentinel) announcedAs(t *testing.T, want int, hosts ...string) bool {
	t.Helper()
	ok := func(h string) bool {
		for _, x := range hosts {
			if h == x {
				return true
			}
		}
		return false
	}
	v, err := s.c.Do(context.Background(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
	if err != nil || len(v) != 2 || !ok(v[0]) {
		return false
	}
	ips := s.replicaIPs(t)
	for _, ip := range ips {
		if !ok(ip) {
			return false
		}
	}
	return len(ips) == want
}

// TestSentinelAnnounceHostnames: with resolve-hostnames yes, a master monitored as
// localhost and replicas announcing localhost (replica-announce-ip), the sentinel
// discovers the replicas and gives clients the hostname with announce-hostnames yes
// and the address it resolves to with announce-hostnames no (Redis's
// announceSentinelAddr; issue 14 item 6).
func TestSentinelAnnounceHostnames(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	master := startRepl(t, "master", testutil.ImplVigil)
	r1, r2 := startRepl(t, "replica1", testutil.ImplVigil), startRepl(t, "replica2", testutil.ImplVigil)
	for _, r := range []*rnode{r1, r2} {
		r.must("CONFIG", "SET", "replica-announce-ip", "localhost")
		r.replicaOf(master)
	}
	waitSynced(t, master, r1, r2)
	s := startVigilSentinel(t, master.Port, 1, "sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n")
	defer dumpSentinels(t, []*vsentinel{s}, nil)
	ctx := context.Background()
	for _, cmd := range [][]any{{"SENTINEL", "REMOVE", "mymaster"},
		{"SENTINEL", "MONITOR", "mymaster", "localhost", strconv.Itoa(master.Port), "1"}} {
		if err := s.c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "master and 2 replicas announced as localhost",
		func() bool { return s.announcedAs(t, 2, "localhost") })
	if err := s.c.Do(ctx, "SENTINEL", "CONFIG", "SET", "announce-hostnames", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if !s.announcedAs(t, 2, "127.0.0.1", "::1") {
		v, _ := s.c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
		t.Fatalf("announce-hostnames no: master %v, replicas %v, want their IP (127.0.0.1 or ::1)", v, s.replicaIPs(t))
	}
}
