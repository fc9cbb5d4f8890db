package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o444); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadPrecedence: embedded defaults < file < VIGIL_* environment < flags.
func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, "node.yaml", `
group: shop
size: 5
quorum: 2
port: 7000
dir: `+dir+`
join: ["a:1", "b:2"]
server:
  maxmemory: 1mb
  appendonly: "yes"
sentinel:
  down-after-milliseconds: 5000
  parallel-syncs: 2
`)
	tests := []struct {
		name  string
		env   []string
		args  []string
		check func(c *Config) (got, want any)
	}{
		{"defaults", nil, nil, func(c *Config) (any, any) { return c.HTTPPort, 7000 + SentinelPortOffset + HTTPPortOffset }},
		{"file group", nil, nil, func(c *Config) (any, any) { return c.Group, "shop" }},
		{"file server section", nil, nil, func(c *Config) (any, any) { return c.Server.MaxMemory, int64(1 << 20) }},
		{"file sentinel section", nil, nil, func(c *Config) (any, any) { return c.Sentinel[0], [2]string{"down-after-milliseconds", "5000"} }},
		{"default sentinel port", nil, nil, func(c *Config) (any, any) { return c.SentinelPort, 27000 }},
		{"default gossip port", nil, nil, func(c *Config) (any, any) { return c.GossipPort, 28000 }},
		{"env over file", []string{"VIGIL_QUORUM=3", "VIGIL_MAXMEMORY=2mb"}, nil, func(c *Config) (any, any) {
			return [2]any{c.Quorum, c.Server.MaxMemory}, [2]any{3, int64(2 << 20)}
		}},
		{"flags over env", []string{"VIGIL_QUORUM=3", "VIGIL_PORT=7100"}, []string{"--quorum", "4", "--port", "7200", "--maxmemory", "3mb"},
			func(c *Config) (any, any) {
				return [3]any{c.Quorum, c.Server.Port, c.Server.MaxMemory}, [3]any{4, 7200, int64(3 << 20)}
			}},
		{"sentinel flag", nil, []string{"--sentinel.down-after-milliseconds", "1000"}, func(c *Config) (any, any) { return c.Sentinel[0][1], "1000" }},
		{"env sentinel key", []string{"VIGIL_SENTINEL_DOWN_AFTER_MILLISECONDS=700"}, nil, func(c *Config) (any, any) { return c.Sentinel[0][1], "700" }},
		{"join flag", nil, []string{"--join", "c:3", "d:4"}, func(c *Config) (any, any) { return c.Join, []string{"c:3", "d:4"} }},
		{"sentinel port follows port flag", nil, []string{"--port", "8000"}, func(c *Config) (any, any) { return c.SentinelPort, 28000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(file, tt.env, tt.args, nil)
			if err != nil {
				t.Fatalf("Load(env %q, args %q): %v", tt.env, tt.args, err)
			}
			got, want := tt.check(c)
			if g, w := toString(got), toString(want); g != w {
				t.Errorf("env %q args %q: got %s, want %s", tt.env, tt.args, g, w)
			}
		})
	}
}

func toString(v any) string { return fmt.Sprint(v) }

// TestLoadEmbeddedDefaults: no file, no flags: a one-node group "vigil" on loopback.
func TestLoadEmbeddedDefaults(t *testing.T) {
	c, err := Load("", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Group, c.Size, c.EffectiveQuorum(0), c.Server.Port, c.SentinelPort, c.GossipPort, c.HTTPPort, c.AnnounceHost, c.Server.Bind}
	want := []any{"vigil", 1, 1, 6379, 26379, 27379, 28379, "127.0.0.1", []string{"127.0.0.1", "-::1"}}
	for i := range got {
		if toString(got[i]) != toString(want[i]) {
			t.Errorf("field %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// TestLoadErrors: bad keys and values are refused with the key named.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file string
		args       []string
	}{
		{"unknown top-level key", "colour: blue\n", nil},
		{"bad size", "size: zero\n", nil},
		{"sentinel sets monitor", "sentinel:\n  monitor: x\n", nil},
		{"sentinel unknown key", "sentinel:\n  down-after-milisecond: 1000\n", nil},
		{"server section not a map", "server: 3\n", nil},
		{"bad server directive", "server:\n  maxmemory: lots\n", nil},
		{"quorum above size", "size: 3\nquorum: 4\n", nil},
		{"bad join", "", []string{"--join", "nohostport"}},
		{"flag without dashes", "", []string{"port", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "n.yaml", tt.file), nil, tt.args, nil)
			if err == nil {
				t.Fatalf("Load(%q, %q): no error", tt.file, tt.args)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("Load(%q): %v, want an ErrConfig", tt.file, err)
			}
		})
	}
}

// TestEffectiveQuorum: the quorum never shrinks below what was learned unless set.
func TestEffectiveQuorum(t *testing.T) {
	tests := []struct {
		size, quorum, learned, want int
	}{{3, 0, 0, 2}, {4, 0, 0, 3}, {3, 0, 3, 3}, {3, 1, 3, 1}, {1, 0, 0, 1}}
	for _, tt := range tests {
		c := &Config{Size: tt.size, Quorum: tt.quorum}
		if got := c.EffectiveQuorum(tt.learned); got != tt.want {
			t.Errorf("size %d quorum %d learned %d: got %d, want %d", tt.size, tt.quorum, tt.learned, got, tt.want)
		}
	}
}

// TestPrintRoundTrip: what Print writes loads back to the same configuration.
func TestPrintRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c, err := Load("", nil, []string{"--port", "7000", "--dir", dir, "--join", "h:1", "--group", "g", "--maxmemory", "1mb",
		"--save", "", "--sentinel.down-after-milliseconds", "1000", "--http-port", "0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first strings.Builder
	if err := c.Print(&first); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "printed.yaml", first.String())
	c2, err := Load(file, nil, nil, nil)
	if err != nil {
		t.Fatalf("Load(printed): %v\n%s", err, first.String())
	}
	var second strings.Builder
	if err := c2.Print(&second); err != nil {
		t.Fatal(err)
	}
	body := func(s string) string { _, rest, _ := strings.Cut(s, "\n"); return rest } // the header names the file
	if body(first.String()) != body(second.String()) {
		t.Errorf("printed config does not load back the same:\nfirst:\n%s\nsecond:\n%s", first.String(), second.String())
	}
}

// TestLoadFormats: the same settings in YAML, TOML and JSON.
func TestLoadFormats(t *testing.T) {
	tests := []struct{ name, text string }{
		{"n.yaml", "group: g\nsize: 3\nserver:\n  maxmemory: 2mb\nsentinel:\n  parallel-syncs: 2\n"},
		{"n.toml", "group = \"g\"\nsize = 3\n[server]\nmaxmemory = \"2mb\"\n[sentinel]\nparallel-syncs = 2\n"},
		{"n.json", `{"group": "g", "size": 3, "server": {"maxmemory": "2mb"}, "sentinel": {"parallel-syncs": 2}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, tt.name, tt.text), nil, nil, nil)
			if err != nil {
				t.Fatalf("Load(%s): %v", tt.name, err)
			}
			got := fmt.Sprintf("%s %d %d %v", c.Group, c.Size, c.Server.MaxMemory, c.Sentinel)
			if want := "g 3 2097152 [[parallel-syncs 2]]"; got != want {
				t.Errorf("Load(%s): got %s, want %s", tt.name, got, want)
			}
		})
	}
}
