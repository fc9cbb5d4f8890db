package sentinel

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/mesh"
)

const id40 = "0123456789012345678901234567890123456789"

// TestParseErrors checks the fatal error of each bad line against what
// redis-sentinel 7.0.15 prints (checked by hand; see also the integration test).
func TestParseErrors(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "notexec")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, line, reason string
	}{
		{"unknown directive", "foo-unknown-line", "Bad directive or wrong number of arguments"},
		{"unknown sentinel directive", "sentinel bogus x", msgUnrecognized},
		{"monitor arity", "sentinel monitor", msgUnrecognized},
		{"quorum zero", "sentinel monitor m2 127.0.0.1 6399 0", msgQuorum},
		{"quorum not a number", "sentinel monitor m2 127.0.0.1 6399 x", msgQuorum},
		{"port out of range", "sentinel monitor m2 127.0.0.1 99999 1", msgInvalidPortNumber},
		{"hostname refused", "sentinel monitor m2 localhost 6379 1", msgCantResolve},
		{"duplicate master", "sentinel monitor m 127.0.0.1 6398 1", msgDupMaster},
		{"unknown master", "sentinel down-after-milliseconds nom 5", msgNoSuchMasterConf},
		{"down-after zero", "sentinel down-after-milliseconds m 0", "negative or zero time parameter."},
		{"failover-timeout negative", "sentinel failover-timeout m -5", "negative or zero time parameter."},
		{"reboot period negative", "sentinel master-reboot-down-after-period m -1", "negative time parameter."},
		{"myid short", "sentinel myid abc", msgMalformedID},
		{"auth-pass arity", "sentinel auth-pass m", msgUnrecognized},
		{"auth-pass extra", "sentinel auth-pass m a b", msgUnrecognized},
		{"known-replica arity", "sentinel known-replica m 1.2.3.4", msgUnrecognized},
		{"known-sentinel extra", "sentinel known-sentinel m 1.2.3.4 5 " + id40 + " x", msgUnrecognized},
		{"sentinel-user arity", "sentinel sentinel-user", msgUnrecognized},
		{"script missing", "sentinel notification-script m /nonexistent", "Notification script seems non existing or non executable."},
		{"script not executable", "sentinel client-reconfig-script m " + exe, "Client reconfiguration script seems non existing or non executable."},
		{"deny yes/no", "sentinel deny-scripts-reconfig maybe", "Please specify yes or no for the deny-scripts-reconfig options."},
		{"resolve yes/no", "sentinel resolve-hostnames maybe", "Please specify yes or no for the resolve-hostnames option."},
		{"announce yes/no", "sentinel announce-hostnames maybe", "Please specify yes or no for the announce-hostnames option."},
		{"gossip-port", "gossip-port 70000", msgInvalidPort},
		{"gossip-join", "gossip-join nohostport", msgBadJoin},
		{"gossip-secret arity", "gossip-secret", msgBadDirective},
		{"unbalanced quotes", `sentinel auth-pass m "x`, "Unbalanced quotes in configuration line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "port 26391\nsentinel monitor m 127.0.0.1 6399 1\n" + tt.line + "\n"
			_, _, err := Parse(text)
			var le *config.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Parse(%q): got %v, want a *config.LoadError", tt.line, err)
			}
			if le.Reason != tt.reason || le.Line != 3 || le.Text != tt.line {
				t.Fatalf("Parse(%q): got line %d %q reason %q, want line 3 reason %q", tt.line, le.Line, le.Text, le.Reason, tt.reason)
			}
			want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> '" + tt.line + "'\n" + tt.reason
			if got := le.Error(); got != want {
				t.Fatalf("Error(): got %q, want %q", got, want)
			}
		})
	}
}

// TestParseAccepts covers C number parsing quirks and the three passes.
func TestParseAccepts(t *testing.T) {
	text := strings.Join([]string{
		"sentinel known-sentinel m 127.0.0.1 26000 " + id40,
		"sentinel known-sentinel m 127.0.0.1 26001", // old form, ignored
		"sentinel known-slave m 127.0.0.1 6390",
		"sentinel parallel-syncs m 3x",
		"sentinel monitor m 127.0.0.1 6399 2",
		"sentinel current-epoch x",
		"sentinel config-epoch m 7",
		"sentinel myid " + id40,
		"sentinel rename-command m CONFIG XCONFIG",
		"sentinel down-after-milliseconds m 1500",
		"sentinel deny-scripts-reconfig no",
		"gossip-join 127.0.0.1:7001 [::1]:7002",
		"gossip-secret s3cret",
		"bind 127.0.0.2",
	}, "\n")
	c, _, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	m := c.Master("m")
	switch {
	case m == nil:
		t.Fatal("master m missing")
	case m.ParallelSyncs != 3 || m.ConfigEpoch != 7 || m.DownAfter != 1500*time.Millisecond || m.Quorum != 2:
		t.Fatalf("master: got %+v", m)
	case len(m.KnownSentinels) != 1 || m.KnownSentinels[0].RunID != id40 || len(m.KnownReplicas) != 1:
		t.Fatalf("known: got sentinels %v replicas %v", m.KnownSentinels, m.KnownReplicas)
	case c.MyID != id40 || c.CurrentEpoch != 0 || c.DenyScriptsReconfig:
		t.Fatalf("globals: got %+v", c)
	case c.Server.Port != DefaultPort || c.Server.ProtectedMode:
		t.Fatalf("server: port %d protected %v, want 26379 false", c.Server.Port, c.Server.ProtectedMode)
	case c.Gossip.Port != DefaultPort+mesh.PortOffset || c.Gossip.Bind != "127.0.0.2" || len(c.Gossip.Join) != 2:
		t.Fatalf("gossip: got %+v", c.Gossip)
	case len(c.GossipKey()) != 32:
		t.Fatalf("gossip key: got %d bytes, want 32", len(c.GossipKey()))
	}
}

func TestOptionLines(t *testing.T) {
	got := OptionLines([]string{"--port", "26380", "--sentinel", "--sentinel", "monitor", "m", "127.0.0.1", "6379", "2", "--requirepass", "a b"})
	want := []string{"port 26380", "sentinel monitor m 127.0.0.1 6379 2", `requirepass "a b"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("OptionLines: got %q, want %q", got, want)
	}
}

func TestRewrite(t *testing.T) {
	old := "# top comment\nport 26391\n\n\nsentinel monitor m 127.0.0.1 6399 2\n# mid\n" +
		"sentinel known-slave m 127.0.0.1 6390\nsentinel master-reboot-down-after-period m 0\n" +
		"save 60 1\nunknown-but-kept-as-comment\nsentinel current-epoch 3\n"
	c, _, err := Parse(strings.Replace(old, "unknown-but-kept-as-comment\n", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	c.Server.Dir = "/tmp"
	c.MyID = id40
	m := c.Master("m")
	m.Host, m.Port, m.ConfigEpoch = "127.0.0.1", 6390, 4
	m.KnownReplicas = []Addr{{Host: "127.0.0.1", Port: 6399}, {Host: "127.0.0.1", Port: 6391}}
	m.KnownSentinels = []KnownSentinel{{Addr{Host: "127.0.0.1", Port: 26000}, id40}}
	m.AuthPass = "sec ret"
	c.CurrentEpoch = 4
	got := RewriteContent(c, old)
	want := `# top comment
port 26391

sentinel monitor m 127.0.0.1 6390 2
# mid
sentinel known-slave m 127.0.0.1 6390

# ??? unknown-but-kept-as-comment
sentinel current-epoch 4

# Generated by CONFIG REWRITE
protected-mode no
dir "/tmp"
latency-tracking-info-percentiles 50 99 99.9
sentinel myid 0123456789012345678901234567890123456789
sentinel auth-pass m "sec ret"
sentinel config-epoch m 4
sentinel leader-epoch m 0
sentinel known-replica m 127.0.0.1 6399
sentinel known-replica m 127.0.0.1 6391
sentinel known-sentinel m 127.0.0.1 26000 0123456789012345678901234567890123456789
`
	if got != want {
		t.Fatalf("RewriteContent:\ngot:\n%s\nwant:\n%s", got, want)
	}
	// What we write parses back to the same state.
	back, _, err := Parse(strings.Replace(got, "# ??? unknown-but-kept-as-comment\n", "", 1))
	if err != nil {
		t.Fatalf("Parse(rewritten): %v", err)
	}
	if bm := back.Master("m"); bm.Port != 6390 || bm.AuthPass != "sec ret" || len(bm.KnownReplicas) != 3 || back.CurrentEpoch != 4 {
		t.Fatalf("round trip: got %+v", bm)
	}
}

func TestFlushAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	if err := os.WriteFile(path, []byte("sentinel monitor m 127.0.0.1 6399 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load(path, []string{"--port", "26400"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	c.MyID = id40
	if err := c.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "sentinel myid "+id40) || !strings.Contains(string(data), "port 26400") {
		t.Fatalf("flushed file: got\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode: got %v, want 0600", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftover temporary files: %v", entries)
	}
}

func TestLoadNeedsFile(t *testing.T) {
	if _, _, err := Load("", nil); !errors.Is(err, ErrNoConfigFile) {
		t.Fatalf("Load(\"\"): got %v, want ErrNoConfigFile", err)
	}
	_, _, err := Load(filepath.Join(t.TempDir(), "missing.conf"), nil)
	if err == nil || !strings.Contains(err.Error(), "Fatal error, can't open config file") {
		t.Fatalf("Load(missing): got %v", err)
	}
}

// TestGossipKey: gossip-secret keys the mesh; without it a sentinel that
// requires a password derives the key from requirepass; without either the
// mesh is plain text.
func TestGossipKey(t *testing.T) {
	sum := func(s string) []byte { k := sha256.Sum256([]byte(s)); return k[:] }
	tests := []struct {
		name, secret, pass string
		want               []byte
	}{
		{"gossip-secret", "s3cret", "", sum("s3cret")},
		{"gossip-secret wins over requirepass", "s3cret", "pw", sum("s3cret")},
		{"requirepass only", "", "pw", sum("vigil-gossip:pw")},
		{"neither: plain text", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Server: config.Default()}
			c.Gossip.Secret, c.Server.RequirePass = tt.secret, tt.pass
			if got := c.GossipKey(); !bytes.Equal(got, tt.want) {
				t.Fatalf("GossipKey with gossip-secret %q, requirepass %q: got %x, want %x", tt.secret, tt.pass, got, tt.want)
			}
		})
	}
}

// TestDefaultGossipBind: without gossip-bind the mesh binds where the
// endpoint listens, not on every interface.
func TestDefaultGossipBind(t *testing.T) {
	tests := []struct {
		bind []string
		want string
	}{
		{[]string{"127.0.0.1"}, "127.0.0.1"},
		{[]string{"-127.0.0.2", "::1"}, "127.0.0.2"},
		{[]string{"*", "-::*"}, "0.0.0.0"},
		{[]string{"*", "10.0.0.1"}, "10.0.0.1"},
		{nil, "0.0.0.0"},
	}
	for _, tt := range tests {
		c := &Config{Server: config.Default()}
		c.Server.Bind = tt.bind
		if got := c.defaultGossipBind(); got != tt.want {
			t.Errorf("defaultGossipBind with bind %q: got %q, want %q", tt.bind, got, tt.want)
		}
	}
}
