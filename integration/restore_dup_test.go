package integration

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/rdb"
)

// dupPayload is the DUMP payload of a value with a duplicate member or field.
type dupPayload struct {
	name string
	// plain: stored as a list of members (not intset or listpack).
	plain bool
	// always: redis-server refuses it whatever sanitize-dump-payload says (a
	// small plain hash becomes a listpack, checked only when sanitizing).
	always bool
	data   []byte
}

// dupPayloads are the values with duplicates, in the plain and compact encodings.
func dupPayloads() []dupPayload {
	bs := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i, v := range s {
			out[i] = []byte(v)
		}
		return out
	}
	plainOpt := rdb.Options{HashMaxListpackEntries: 1, ZSetMaxListpackEntries: 1}
	zdup := []rdb.ZMember{{Member: []byte("m"), Score: 1}, {Member: []byte("m"), Score: 2}}
	var large [][]byte // 600 fields, more than hash-max-listpack-entries (512): a hashtable from the start
	for i := 0; i < 600; i++ {
		large = append(large, []byte(strconv.Itoa(i)), []byte("v"))
	}
	large = append(large, []byte("0"), []byte("w"))
	return []dupPayload{
		{"set", true, true, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindSet, Elems: bs("a", "b", "a")}, rdb.Options{})},
		{"hash", true, false, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindHash, Pairs: bs("f", "1", "g", "2", "f", "3")}, plainOpt)},
		{"large hash", true, true, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindHash, Pairs: large}, plainOpt)},
		{"zset", true, true, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindZSet, ZSet: zdup}, plainOpt)},
		{"intset", false, false, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindSet, Elems: bs("1", "2", "1")}, rdb.Options{})},
		{"hash listpack", false, false, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindHash, Pairs: bs("f", "1", "f", "2")}, rdb.Options{})},
		{"zset listpack", false, false, rdb.DumpPayload(&rdb.Entry{Kind: rdb.KindZSet, ZSet: zdup}, rdb.Options{})},
	}
}

// TestRestoreRefusesDuplicates compares RESTORE of values with duplicates with
// redis-server 7.0, with sanitize-dump-payload no and yes: "Bad data format"
// wherever Redis refuses; Vigil also refuses the compact encodings that Redis
// accepts without sanitizing (it would keep a corrupt value; Vigil cannot hold one).
func TestRestoreRefusesDuplicates(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	const bad = "-ERR Bad data format\r\n"
	for _, sanitize := range []string{"no", "yes"} {
		_, redisAddr := testutil.StartRedis(t, "--sanitize-dump-payload", sanitize)
		_, vigilAddr := testutil.StartVigil(t, "--sanitize-dump-payload", sanitize)
		rc, vc := testutil.DialRaw(t, redisAddr), testutil.DialRaw(t, vigilAddr)
		for _, p := range dupPayloads() {
			args := [][]byte{[]byte("RESTORE"), []byte("k:" + p.name), []byte("0"), p.data}
			rc.Send(args...)
			vc.Send(args...)
			want, got := readOne(t, rc), readOne(t, vc)
			if got != bad {
				t.Errorf("sanitize %s, %s: got %q, want %q (redis: %q)", sanitize, p.name, got, bad, want)
			}
			if (p.always || sanitize == "yes") && want != bad {
				t.Errorf("sanitize %s, %s: redis-server answered %q, the test expects it to refuse", sanitize, p.name, want)
			}
			if got, want := vc.Do("EXISTS", "k:"+p.name), ":0\r\n"; got != want {
				t.Errorf("sanitize %s, %s: EXISTS after a refused RESTORE: got %q, want %q", sanitize, p.name, got, want)
			}
		}
	}
}

func readOne(t *testing.T, c *testutil.RawConn) string {
	t.Helper()
	b, err := c.Read(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dumpFile wraps one key's DUMP payload into an RDB file: header, SELECTDB 0,
// the key, EOF and the CRC-64.
func dumpFile(key string, payload []byte) []byte {
	value := payload[:len(payload)-10] // type byte + encoding, without version and CRC
	var b bytes.Buffer
	b.WriteString("REDIS0010")
	b.Write([]byte{0xFE, 0})
	b.WriteByte(value[0])
	b.WriteByte(byte(len(key)))
	b.WriteString(key)
	b.Write(value[1:])
	b.WriteByte(0xFF)
	return binary.LittleEndian.AppendUint64(b.Bytes(), rdb.CRC64(0, b.Bytes()))
}

// TestLoadRefusesDuplicates starts Vigil and redis-server on a dump holding a
// value with a duplicate member: both exit with status 1, log Redis's reason,
// and never say they are ready to accept connections.
func TestLoadRefusesDuplicates(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	// Redis checks a small plain hash (a listpack once loaded) only when it
	// sanitizes payloads; Vigil always does.
	reasons := map[string]string{"set": "Duplicate set members detected", "hash": "Hash with dup elements",
		"large hash": "Duplicate hash fields detected", "zset": "Duplicate zset fields detected"}
	real := testutil.RequireRedis(t, "redis-server")
	for _, p := range dupPayloads() {
		if !p.plain {
			continue
		}
		for _, impl := range []string{real, testutil.VigilBinary(t)} {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), dumpFile("k", p.data), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"--port", "0", "--dir", dir, "--save", "", "--sanitize-dump-payload", "yes"}
			if impl != real && !p.always {
				args[len(args)-1] = "no"
			}
			if impl != real {
				args = append([]string{"server"}, args...)
			}
			// port 0 listens nowhere: give a unix socket so that the server starts
			args = append(args, "--unixsocket", filepath.Join(dir, "s.sock"))
			proc := testutil.Start(t, filepath.Base(impl), impl, args...)
			if code := proc.Wait(20 * time.Second); code != 1 {
				t.Fatalf("%s with a %s duplicate: exit status %d, want 1\n%s", impl, p.name, code, proc.Output())
			}
			out := proc.Output()
			if !strings.Contains(out, reasons[p.name]) {
				t.Errorf("%s with a %s duplicate: log lacks %q:\n%s", impl, p.name, reasons[p.name], out)
			}
			if strings.Contains(out, "Ready to accept connections") {
				t.Errorf("%s with a %s duplicate: log says it is ready:\n%s", impl, p.name, out)
			}
		}
	}
}
