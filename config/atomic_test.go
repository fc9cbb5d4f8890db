package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	errWrite := errors.New("write failed")
	tests := []struct {
		name     string
		old      os.FileMode // 0: no file before
		mode     os.FileMode
		writeErr error
		want     string
		wantMode os.FileMode
	}{
		{"new file, default mode", 0, 0, nil, "new", 0o644},
		{"new file, given mode", 0, 0o600, nil, "new", 0o600},
		{"keeps the old file's mode", 0o600, 0, nil, "new", 0o600},
		{"given mode wins over the old one", 0o600, 0o644, nil, "new", 0o644},
		{"failed write keeps the old file", 0o640, 0, errWrite, "old", 0o640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.conf")
			if tt.old != 0 {
				if err := os.WriteFile(path, []byte("old"), tt.old); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.old); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFileAtomic(path, tt.mode, func(w io.Writer) error {
				if _, err := io.WriteString(w, "new"); err != nil {
					return err
				}
				return tt.writeErr
			})
			if !errors.Is(err, tt.writeErr) {
				t.Fatalf("error: got %v, want %v", err, tt.writeErr)
			}
			data, _ := os.ReadFile(path)
			st, serr := os.Stat(path)
			if serr != nil {
				t.Fatal(serr)
			}
			if string(data) != tt.want || st.Mode().Perm() != tt.wantMode {
				t.Errorf("file: got %q mode %o, want %q mode %o", data, st.Mode().Perm(), tt.want, tt.wantMode)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("directory: got %d entries, want only the file (no temporary left)", len(ents))
			}
		})
	}
}
