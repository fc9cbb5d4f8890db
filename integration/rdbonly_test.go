package integration

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestRedisCliRDB: `redis-cli --rdb FILE` against Vigil writes a dump that
// redis-check-rdb accepts and that loads into redis-server 7.0 with the same content.
func TestRedisCliRDB(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	cli := testutil.RequireRedis(t, "redis-cli")
	check := testutil.RequireRedis(t, "redis-check-rdb")
	ctx := context.Background()
	_, addr := testutil.StartVigil(t, "--dir", t.TempDir())
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	populate(t, ctx, c)
	want := dumpContent(t, ctx, c)

	dir := t.TempDir()
	out := filepath.Join(dir, "dump.rdb")
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	if msg, err := exec.Command(cli, "-p", port, "--rdb", out).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, msg)
	}
	if msg, err := exec.Command(check, out).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-rdb: %v\n%s", err, msg)
	}
	_, raddr := testutil.StartRedis(t, "--dir", dir)
	r := redis.NewClient(&redis.Options{Addr: raddr})
	defer r.Close()
	waitLoaded(t, ctx, r)
	if got := dumpContent(t, ctx, r); got != want {
		t.Errorf("redis-server loading the redis-cli --rdb dump:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestSyncLengthPrefixed: a client without `capa eof` gets $<size> followed by the dump.
func TestSyncLengthPrefixed(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	_, addr := testutil.StartVigil(t)
	rc := testutil.DialRaw(t, addr)
	rc.Do("SET", "k", "v")
	if got := rc.Do("REPLCONF", "rdb-only", "1"); got != "+OK\r\n" {
		t.Fatalf("REPLCONF rdb-only: got %q", got)
	}
	rc.Send([]byte("SYNC"))
	rc.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(rc.R)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "$") {
		t.Fatalf("SYNC header: got %q, %v", line, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	payload := make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(payload), "REDIS0010") {
		t.Fatalf("payload does not start with the RDB magic: %q", payload[:9])
	}
	f := filepath.Join(t.TempDir(), "d.rdb")
	os.WriteFile(f, payload, 0o644)
	check := testutil.RequireRedis(t, "redis-check-rdb")
	if msg, err := exec.Command(check, f).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-rdb: %v\n%s", err, msg)
	}
}

// TestPlainSync: a plain SYNC (what redis-cli --replica and Redis's own test suite send)
// is answered with the payload's $<size> at once, with no +FULLRESYNC line before it
// (only PSYNC gets that), then the RDB, then the write stream. Checked against
// redis-server and Vigil.
func TestPlainSync(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	testutil.RequireRedis(t, "redis-server")
	for _, impl := range []string{testutil.ImplRedis, testutil.ImplVigil} {
		t.Run(impl, func(t *testing.T) {
			n := testutil.StartNode(t, impl, "--repl-diskless-sync", "no", "--save", "")
			rc := testutil.DialRaw(t, n.Addr)
			rc.Do("SET", "k", "v")
			rc.Send([]byte("SYNC"))
			rc.Conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(rc.R)
			line := "\n"
			for line == "\n" { // newlines are keep-alives while the dump is produced
				var err error
				if line, err = br.ReadString('\n'); err != nil {
					t.Fatalf("SYNC: %v", err)
				}
			}
			if !strings.HasPrefix(line, "$") {
				t.Fatalf("SYNC: first line %q, want $<size>", line)
			}
			size, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
			if _, err := io.CopyN(io.Discard, br, int64(size)); err != nil {
				t.Fatalf("SYNC payload: %v", err)
			}
			w := testutil.DialRaw(t, n.Addr)
			w.Do("SET", "after", "sync")
			var got strings.Builder
			for !strings.Contains(got.String(), "after") {
				b, err := br.ReadByte()
				if err != nil {
					t.Fatalf("stream after SYNC: %v (read so far %q)", err, got.String())
				}
				got.WriteByte(b)
			}
		})
	}
}
