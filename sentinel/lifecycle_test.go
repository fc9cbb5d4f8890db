package sentinel

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestStartShutdown starts a sentinel through Start, talks to it, and stops it with
// Shutdown: the loop has returned and Done is closed when Shutdown returns.
func TestStartShutdown(t *testing.T) {
	port := testutil.FreePort(t)
	cfg, _, err := Parse("port " + strconv.Itoa(port) + "\nbind 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, Options{Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("PING: got %q (%v), want +PONG", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed after Shutdown returned")
	}
	if err := s.do(func() {}); err != ErrClosed {
		t.Fatalf("request after Shutdown: got %v, want ErrClosed", err)
	}
}
