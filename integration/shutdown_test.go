package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestShutdownCommandExitsProcess checks that SHUTDOWN ends the vigil process with status
// 0, saving first when asked, and that a failing save keeps it running with Redis's error.
func TestShutdownCommandExitsProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	t.Run("save then exit", func(t *testing.T) {
		dir := t.TempDir()
		p, addr := testutil.StartVigil(t, "--dir", dir)
		c := testutil.DialRaw(t, addr)
		c.Do("SET", "k", "v")
		c.Send([]byte("SHUTDOWN"), []byte("SAVE"))
		if code := p.Wait(10 * time.Second); code != 0 {
			t.Fatalf("exit status: got %d, want 0\n%s", code, p.Output())
		}
		if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
			t.Errorf("SHUTDOWN SAVE left no dump: %v", err)
		}
	})
	t.Run("failed save keeps running, SIGTERM retries", func(t *testing.T) {
		dir := t.TempDir()
		p, addr := testutil.StartVigil(t, "--dir", dir, "--save", "3600", "1")
		c := testutil.DialRaw(t, addr)
		// the working directory disappears: every save fails, even for root
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if got, want := c.Do("SHUTDOWN"), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"; got != want {
			t.Fatalf("SHUTDOWN: got %q, want %q", got, want)
		}
		p.Signal(syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
		if p.Exited() {
			t.Fatalf("SIGTERM with a failing save stopped the server\n%s", p.Output())
		}
		if got := c.Do("PING"); !strings.Contains(got, "PONG") {
			t.Errorf("PING after failed shutdowns: got %q", got)
		}
		c.Send([]byte("SHUTDOWN"), []byte("NOSAVE"))
		if code := p.Wait(10 * time.Second); code != 0 {
			t.Fatalf("exit status after SHUTDOWN NOSAVE: got %d, want 0", code)
		}
	})
}
