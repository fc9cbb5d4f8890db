package server

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// frames encodes chunks as the writer child's input, with the closing frame when closed.
func frames(closed bool, chunks ...string) []byte {
	var b bytes.Buffer
	var hdr [4]byte
	for _, c := range chunks {
		binary.LittleEndian.PutUint32(hdr[:], uint32(len(c)))
		b.Write(hdr[:])
		b.WriteString(c)
	}
	if closed {
		b.Write([]byte{0, 0, 0, 0})
	}
	return b.Bytes()
}

// TestWriteFramed checks the writer child's input handling: the dump is renamed into
// place only after the closing frame; a stream cut anywhere before it leaves the old dump
// and no temp file.
func TestWriteFramed(t *testing.T) {
	full := frames(true, "REDIS", "0010", "payload")
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
		want    string // the dump afterwards
	}{
		{"complete", full, false, "REDIS0010payload"},
		{"no closing frame", frames(false, "REDIS", "0010"), true, "old"},
		{"cut in a header", full[:len(full)-6], true, "old"},
		{"cut in a frame", full[:7], true, "old"},
		{"empty", nil, true, "old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "dump.rdb")
			tmp := filepath.Join(dir, "temp-1.rdb")
			if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := writeFramed(bytes.NewReader(tc.in), tmp, target)
			if (err != nil) != tc.wantErr {
				t.Errorf("writeFramed: got error %v, want error %v", err, tc.wantErr)
			}
			if got, _ := os.ReadFile(target); string(got) != tc.want {
				t.Errorf("dump: got %q, want %q", got, tc.want)
			}
			if _, err := os.Stat(tmp); !os.IsNotExist(err) {
				t.Errorf("temp file after writeFramed: %v, want removed", err)
			}
		})
	}
}
