package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-db/vigil/internal/testutil"
)

const module = "github.com/vigil-db/vigil/"

// designLayout reads the package tree of docs/design.md: package → allowed imports.
func designLayout(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "## Package layout")
	if !ok {
		t.Fatal("docs/design.md has no \"## Package layout\" section")
	}
	parts := strings.SplitN(rest, "```", 3)
	if len(parts) < 3 {
		t.Fatal("docs/design.md: the package layout has no code block")
	}
	line := regexp.MustCompile(`^[│├└─ ]*([a-z][a-z0-9/]*)\s+→\s+([^(]*)`)
	out := map[string]map[string]bool{}
	for _, l := range strings.Split(parts[1], "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		allowed := map[string]bool{}
		for _, a := range strings.Split(m[2], ",") {
			if a = strings.TrimSpace(a); a != "" && a != "—" {
				allowed[a] = true
			}
		}
		out[m[1]] = allowed
	}
	return out
}

// TestPackageLayout checks that every package's imports of this module are the ones
// docs/design.md's tree allows, and that every package is in the tree.
func TestPackageLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped with -short")
	}
	root := testutil.ModuleRoot(t)
	layout := designLayout(t, root)
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(l)
		pkg := strings.TrimPrefix(fields[0], module)
		allowed, ok := layout[pkg]
		if !ok {
			t.Errorf("package %s is not in docs/design.md's layout", pkg)
			continue
		}
		var bad []string
		for _, imp := range fields[1:] {
			if dep, ours := strings.CutPrefix(imp, module); ours && !allowed[dep] {
				bad = append(bad, dep)
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%s imports %v, which docs/design.md does not allow", pkg, bad)
		}
	}
}
