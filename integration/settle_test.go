package integration

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestClientListSeesSentInput: what a client sent before another client's CLIENT LIST is
// in the list, as with Redis's single event loop (Vigil reads each connection in its own
// goroutine; CLIENT LIST lets the input that already arrived be read first). A raw
// connection sends the header and part of a 200 KB bulk, and at once another connection
// asks CLIENT LIST: the sender's tot-mem holds the bulk's buffer (allocated whole for a big
// argument, in both servers); then the sender hangs up and Vigil's next CLIENT LIST no
// longer shows it (Redis's usually does not). Twenty rounds against vigil and real
// redis-server.
func TestClientListSeesSentInput(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	for _, impl := range []string{testutil.ImplVigil, testutil.ImplRedis} {
		t.Run(impl, func(t *testing.T) {
			var addr string
			if impl == testutil.ImplVigil {
				_, addr = testutil.StartVigil(t)
			} else {
				_, addr = testutil.StartRedis(t)
			}
			ctx := context.Background()
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
			defer c.Close()
			const bulk = 200_000
			// the two connections' writes leave from one thread, so that the kernel
			// delivers them in the order they were sent (two CPUs may not)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for round := range 20 {
				name := "sender" + strconv.Itoa(round)
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				// the name first, answered, so that the list can find the connection
				fmt.Fprintf(conn, "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n", len(name), name)
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 64)
				got := ""
				for !strings.Contains(got, "+PONG\r\n") {
					n, err := conn.Read(buf)
					if err != nil {
						t.Fatalf("round %d: reading the sender's replies: %v (got %q)", round, err, got)
					}
					got += string(buf[:n])
				}
				part := strings.Repeat("v", bulk/2)
				if _, err := fmt.Fprintf(conn, "*1\r\n$%d\r\n%s", bulk, part); err != nil {
					t.Fatal(err)
				}
				list, err := c.ClientList(ctx).Result()
				if err != nil {
					t.Fatal(err)
				}
				line := clientLine(list, name)
				if line == "" {
					t.Fatalf("round %d: CLIENT LIST has no %s:\n%s", round, name, list)
				}
				if mem := clientField(line, "tot-mem"); mem < bulk {
					t.Fatalf("round %d: %s's tot-mem = %d right after it sent half of a %d-byte bulk, want at least the bulk: %s", round, name, mem, bulk, line)
				}
				conn.Close()
				if impl == testutil.ImplRedis {
					continue // its event loop usually sees the hang-up first, not always (1 of 20 rounds)
				}
				// the hang-up reached the server before the next CLIENT LIST was sent
				list, err = c.ClientList(ctx).Result()
				if err != nil {
					t.Fatal(err)
				}
				if line := clientLine(list, name); line != "" {
					t.Fatalf("round %d: CLIENT LIST still shows %s after it hung up: %s", round, name, line)
				}
			}
		})
	}
}

// clientLine returns the line of CLIENT LIST output for the client named name, or "".
func clientLine(list, name string) string {
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			return line
		}
	}
	return ""
}

// clientField returns the integer field f of a CLIENT LIST line, -1 if absent.
func clientField(line, f string) int64 {
	for _, kv := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(kv, f+"="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}
