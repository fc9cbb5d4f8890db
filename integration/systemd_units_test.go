package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestSystemdUnitsVerify runs `systemd-analyze verify` on every unit of deploy/systemd.
// verify checks that ExecStart's binary exists, so each unit is verified as a copy
// whose /usr/local/bin/vigil is the binary under test; verify exits 0 on unknown keys
// and bad values too (it only warns), so any output naming the unit fails the test.
// Skipped where systemd-analyze is not installed.
func TestSystemdUnitsVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian: apt-get install systemd)")
	}
	units, err := filepath.Glob(filepath.Join(testutil.ModuleRoot(t), "deploy", "systemd", "*.service"))
	if err != nil || len(units) < 4 {
		t.Fatalf("deploy/systemd: got units %v (%v), want vigil-node, vigil-node@, vigil-server, vigil-sentinel", units, err)
	}
	bin := testutil.VigilBinary(t)
	dir := t.TempDir()
	for _, unit := range units {
		name := filepath.Base(unit)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(unit)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), "ExecStart=/usr/local/bin/vigil ") || !strings.Contains(string(raw), "Type=notify") {
				t.Fatalf("%s: want Type=notify and ExecStart=/usr/local/bin/vigil ...", name)
			}
			copyPath := filepath.Join(dir, name)
			text := strings.ReplaceAll(string(raw), "/usr/local/bin/vigil ", bin+" ")
			if err := os.WriteFile(copyPath, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
			if err != nil {
				t.Fatalf("systemd-analyze verify %s: %v\n%s", name, err, out)
			}
			stem := strings.TrimSuffix(strings.TrimSuffix(name, ".service"), "@")
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, stem) {
					t.Errorf("systemd-analyze verify %s: %s", name, line)
				}
			}
		})
	}
}
