package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-db/vigil/rdb"
)

// TestSnapshotPointInTimeAllTypes steps a snapshot by hand and, between every batch of
// buckets, mutates keys of every type in place (pushes, pops, field and member updates,
// expiry changes, deletes, new keys). Reloading the dump must give exactly the dataset of
// the snapshot's start, as DEBUG DIGEST (Redis's algorithm) sees it.
func TestSnapshotPointInTimeAllTypes(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	const n = 400
	send := func(args ...string) { c.send(args...) }
	for i := 0; i < n; i++ {
		send("SET", fmt.Sprintf("s%d", i), fmt.Sprintf("v%d", i))
		send("RPUSH", fmt.Sprintf("l%d", i), "a", "b", fmt.Sprint(i))
		send("HSET", fmt.Sprintf("h%d", i), "f", "v", "n", fmt.Sprint(i))
		send("SADD", fmt.Sprintf("set%d", i), "1", "2", fmt.Sprint(i))
		send("ZADD", fmt.Sprintf("z%d", i), "1", "a", fmt.Sprint(i), "b")
		send("PEXPIRE", fmt.Sprintf("s%d", i), "100000000")
	}
	for i := 0; i < 6*n; i++ {
		c.read()
	}
	want := c.do("DEBUG", "DIGEST")

	s := ts.Server
	s.mu.Lock()
	sn, err := s.beginSnapshot([][2]string{{"redis-ver", Version}}, rdb.Options{Checksum: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.snap = sn
	s.mu.Unlock()

	r := rand.New(rand.NewPCG(1, 2))
	var out bytes.Buffer
	for more := true; more; {
		s.mu.Lock()
		more = sn.step(time.Time{})
		s.mu.Unlock()
		out.Write(sn.out.take())
		for j := 0; j < 40; j++ {
			i := r.IntN(n)
			switch r.IntN(9) {
			case 0:
				send("APPEND", fmt.Sprintf("s%d", i), "x")
			case 1:
				send("LPUSH", fmt.Sprintf("l%d", i), "new")
			case 2:
				send("RPOP", fmt.Sprintf("l%d", i))
			case 3:
				send("HSET", fmt.Sprintf("h%d", i), "f", "changed", "g", "added")
			case 4:
				send("SREM", fmt.Sprintf("set%d", i), "1")
			case 5:
				send("ZINCRBY", fmt.Sprintf("z%d", i), "5", "a")
			case 6:
				send("PERSIST", fmt.Sprintf("s%d", i))
			case 7:
				send("DEL", fmt.Sprintf("h%d", i))
			default:
				send("SET", fmt.Sprintf("new%d", r.IntN(10*n)), "x")
			}
		}
		for j := 0; j < 40; j++ {
			c.read()
		}
	}
	s.mu.Lock()
	if err := sn.enc.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, sd := range sn.dbs {
		sd.keys.Freeze(false)
	}
	sn.allowResize() // what runSnapshot's end does: the next tests' dicts resize again
	s.snap = nil
	s.mu.Unlock()
	out.Write(sn.out.take())
	if sn.err != nil {
		t.Fatal(sn.err)
	}
	if got := c.do("DEBUG", "DIGEST"); got == want {
		t.Fatal("the mutations changed nothing: the test would not detect a broken snapshot")
	}

	ts2 := newTestServer(t, nil)
	if _, _, err := ts2.loadRDB(&out, loadOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := ts2.dial(t).do("DEBUG", "DIGEST"); got != want {
		t.Errorf("reloaded snapshot digest %q, want the digest at snapshot start %q", got, want)
	}
}
