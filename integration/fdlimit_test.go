package integration

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// startLowUlimit starts a server through bash with `ulimit -n 256` and returns
// the process and its address.
func startLowUlimit(t *testing.T, name, bin string, args ...string) (*testutil.Proc, string) {
	t.Helper()
	port := testutil.FreePort(t)
	dir := t.TempDir()
	all := append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir)
	// bash runs `ulimit -n 256` (soft and hard) and then becomes the server
	p := testutil.Start(t, name, "bash", append([]string{"-c", "ulimit -n 256 && exec \"$0\" \"$@\"", bin}, all...)...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.WaitForPort(t, addr, 10*time.Second, p)
	return p, addr
}

// clientHouse opens n connections at once and sends each a PING (a rejected one
// has its error waiting already); it counts the replies by kind.
func clientHouse(t *testing.T, addr string, n int) (pong, full, none int) {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			reply := pingReply(c)
			mu.Lock()
			defer mu.Unlock()
			switch reply {
			case "+PONG":
				pong++
			case "-ERR max number of clients reached":
				full++
			default:
				none++
			}
		}(c)
	}
	wg.Wait()
	return pong, full, none
}

// pingReply returns the first line the server sends: the refusal written at
// accept, else the reply to PING.
func pingReply(c net.Conn) string {
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	line, err := r.ReadString('\n')
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("PING\r\n"))
		line, err = r.ReadString('\n')
	}
	if err != nil {
		return "no reply: " + err.Error()
	}
	return strings.TrimRight(line, "\r\n")
}

// TestLowOpenFilesLimit compares Vigil with redis-server under `ulimit -n 256`:
// maxclients is lowered to 224 with Redis's warning, every one of 300 clients
// gets an answer (PONG or "max number of clients reached"), SAVE still finds
// a descriptor, and CONFIG SET maxclients beyond the limit is refused.
func TestLowOpenFilesLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	type result struct {
		log                  string
		pong, full, none     int
		maxclients, setReply string
		save                 string
	}
	run := func(name, bin string, args ...string) result {
		p, addr := startLowUlimit(t, name, bin, args...)
		c := testutil.DialRaw(t, addr)
		var r result
		r.maxclients = c.Do("CONFIG", "GET", "maxclients")
		r.setReply = c.Do("CONFIG", "SET", "maxclients", "300")
		r.pong, r.full, r.none = clientHouse(t, addr, 300)
		r.save = c.Do("SAVE")
		r.log = p.Output()
		return r
	}
	want := run("redis-server", testutil.RequireRedis(t, "redis-server"))
	got := run("vigil", testutil.VigilBinary(t), "server")
	for _, line := range []string{
		"You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
		"Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
		"Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
	} {
		if !strings.Contains(want.log, line) {
			t.Skipf("redis-server did not log %q (running with the right to raise the limit?)", line)
		}
		if !strings.Contains(got.log, line) {
			t.Errorf("vigil log lacks %q", line)
		}
	}
	if got.maxclients != want.maxclients || got.setReply != want.setReply || got.save != want.save {
		t.Errorf("CONFIG GET maxclients, CONFIG SET maxclients 300, SAVE:\n got %q %q %q\nwant %q %q %q",
			got.maxclients, got.setReply, got.save, want.maxclients, want.setReply, want.save)
	}
	t.Logf("300 clients: vigil %d PONG, %d refused; redis %d PONG, %d refused", got.pong, got.full, want.pong, want.full)
	if got.pong != want.pong || got.full != want.full || got.none != 0 {
		t.Errorf("300 clients: got %d PONG, %d refused, %d without reply; want %d, %d, 0 (redis: %d without reply)",
			got.pong, got.full, got.none, want.pong, want.full, want.none)
	}
	if n := strings.Count(got.log, "accept failed"); n > 10 {
		t.Errorf("vigil logged %d accept failures, want them rate-limited", n)
	}
}
