package server

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/vigil-db/vigil/rdb"
)

// TestSnapshotIsPointInTime starts a snapshot, then overwrites, deletes and adds keys
// between batches, and checks that the dump holds exactly the dataset of the start.
func TestSnapshotIsPointInTime(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	const n = 5000
	for i := 0; i < n; i++ {
		c.send("SET", fmt.Sprintf("key:%d", i), fmt.Sprintf("old-%d", i))
	}
	for i := 0; i < n; i++ {
		c.read()
	}
	c.do("SELECT", "3")
	c.do("SET", "other-db", "x")

	s := ts.Server
	s.mu.Lock()
	sn, err := s.beginSnapshot([][2]string{{"redis-ver", Version}}, rdb.Options{Checksum: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.snap = sn
	s.mu.Unlock()

	// mutate while the snapshot walks: interleave writer batches with snapshot steps
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := s.runSnapshot(sn, &out)
		done <- err
	}()
	c.do("SELECT", "0")
	for i := 0; i < n; i += 3 {
		c.send("SET", fmt.Sprintf("key:%d", i), "new")
		c.send("DEL", fmt.Sprintf("key:%d", i+1))
		c.send("SET", fmt.Sprintf("added:%d", i), "added")
	}
	for i := 0; i < n; i += 3 {
		c.read()
		c.read()
		c.read()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	d := rdb.NewDecoder(&out)
	if err := d.Header(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for {
		e, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%d/%s", e.DB, e.Key)
		if _, dup := got[k]; dup {
			t.Fatalf("key %s written twice", k)
		}
		got[k] = string(e.Str)
	}
	if len(got) != n+1 {
		t.Errorf("got %d keys, want %d", len(got), n+1)
	}
	for i := 0; i < n; i++ {
		if v := got[fmt.Sprintf("0/key:%d", i)]; v != fmt.Sprintf("old-%d", i) {
			t.Fatalf("key:%d: got %q, want the value at snapshot start", i, v)
		}
	}
	if got["3/other-db"] != "x" {
		t.Errorf("db 3 key missing")
	}
}
