package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// TestAOFLogBuffersNeverShare: after any flush, empty or not, the buffer that add appends
// to and the one the next flush will hand back are different arrays. An empty flush used
// to make them one array, so that a later flush wrote bytes add was overwriting.
func TestAOFLogBuffersNeverShare(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "incr"))
	if err != nil {
		t.Fatal(err)
	}
	l := newAOFLog(f, 0, fsyncNo, nil)
	defer l.switchFile(nil, 0)
	record := func(s string) func([]byte) []byte {
		return func(b []byte) []byte { return append(b, s...) }
	}
	shared := func() bool {
		return cap(l.buf) > 0 && cap(l.spare) > 0 && &l.buf[:1][0] == &l.spare[:1][0]
	}
	for i, step := range []string{"add", "flush", "add", "flush", "flush", "add", "flush", "flush", "add", "flush"} {
		switch step {
		case "add":
			l.add(record(fmt.Sprintf("record %d\n", i)))
		case "flush":
			l.flushMu.Lock()
			err := l.flushLocked(false)
			l.flushMu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
		}
		if shared() {
			t.Fatalf("after step %d (%s): buf and spare share one array", i, step)
		}
	}
}

// TestAOFLogConcurrentStress: clients append records under one lock (the execution lock)
// and wait for them, the background tick flushes, and the incr file is switched again and
// again (as BGREWRITEAOF does). The files, concatenated, hold every record once, in order.
func TestAOFLogConcurrentStress(t *testing.T) {
	dir := t.TempDir()
	var files []string
	open := func() *os.File {
		name := filepath.Join(dir, fmt.Sprintf("incr.%d", len(files)))
		f, err := openIncr(name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
		return f
	}
	var (
		mu   sync.Mutex // the execution lock
		want bytes.Buffer
		seq  int
	)
	l := newAOFLog(open(), 0, fsyncNo, nil)
	const clients, perClient, switches = 4, 3000, 40
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				mu.Lock()
				rec := fmt.Sprintf("%08d %s\n", seq, bytes.Repeat([]byte{'x'}, seq%97))
				seq++
				want.WriteString(rec)
				l.add(func(b []byte) []byte { return append(b, rec...) })
				off := l.appended
				mu.Unlock()
				if i%3 != 0 { // some records are left to the tick and the switches
					l.wait(off)
				}
			}
		}()
	}
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			l.tick()
			runtime.Gosched()
		}
	}()
	go func() {
		defer bg.Done()
		for i := 0; i < switches; i++ {
			mu.Lock()
			if _, err := l.switchFile(open(), 0); err != nil {
				t.Error(err)
			}
			mu.Unlock()
			runtime.Gosched()
		}
	}()
	wg.Wait()
	close(done)
	bg.Wait()
	if _, err := l.switchFile(nil, 0); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(b)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		g, w := got.Bytes(), want.Bytes()
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		t.Fatalf("files hold %d bytes, want %d; first difference at %d: got %q, want %q",
			len(g), len(w), i, g[i:min(i+40, len(g))], w[i:min(i+40, len(w))])
	}
}
