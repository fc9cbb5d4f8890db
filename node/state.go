package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/sentinel"
)

// StateFile is the name of the file in dir where a node keeps what it
// learns: its node ID, the epochs, its vote, the group's current master,
// the replicas and agents it knows. It is the agent's sentinel.conf (the
// agent rewrites it atomically, with fsync, before a vote or a failover
// command leaves), written by the node and never by hand.
const StateFile = "node-state.conf"

// learned is what a previous run left in the state file.
type learned struct {
	id           string
	currentEpoch uint64
	master       *sentinel.MasterConfig // nil: none yet
}

// readState reads the state file; a missing file is an empty state.
func readState(path string) (learned, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return learned{}, nil
	}
	cfg, _, err := sentinel.Load(path, nil)
	if err != nil {
		return learned{}, fmt.Errorf("node: state file %s: %w", path, err)
	}
	st := learned{id: cfg.MyID, currentEpoch: cfg.CurrentEpoch}
	if len(cfg.Masters) > 0 {
		st.master = cfg.Masters[0]
	}
	return st, nil
}

// newID returns a 40-character node ID (the agent's sentinel myid).
func newID() string {
	var b [sentinel.RunIDSize / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("node: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// agentConfig writes the state file for this run and loads it as the
// agent's configuration: the node's settings (ports, group, quorum, the
// `sentinel:` section), the master decided at start-up and what was learned
// before (epochs, vote, known replicas and agents).
func agentConfig(c *Config, path string, st learned, master sentinel.Addr) (*sentinel.Config, error) {
	quote := strconv.Quote
	g := quote(c.Group)
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("# Written by vigil node: what the node learned. Do not edit; the node's own config file is %s.", quote(c.File))
	line("port %d", c.SentinelPort)
	line("dir %s", quote(c.Server.Dir))
	line("bind %s", bindFor(c))
	if c.Server.RequirePass != "" && !c.hasSentinel("requirepass") {
		line("requirepass %s", quote(c.Server.RequirePass))
	}
	line("sentinel myid %s", st.id)
	hostname := net.ParseIP(c.AnnounceHost) == nil || net.ParseIP(master.Host) == nil
	if hostname {
		line("sentinel resolve-hostnames yes")
		line("sentinel announce-hostnames yes")
	}
	line("sentinel announce-ip %s", quote(c.AnnounceHost))
	line("sentinel current-epoch %d", st.currentEpoch)
	learnedQuorum := 0
	if st.master != nil {
		learnedQuorum = st.master.Quorum
	}
	line("sentinel monitor %s %s %d %d", g, quote(master.Host), master.Port, c.EffectiveQuorum(learnedQuorum))
	if c.Server.RequirePass != "" && !c.hasSentinel("auth-pass") {
		line("sentinel auth-pass %s %s", g, quote(c.Server.RequirePass))
	}
	for _, kv := range c.Sentinel {
		switch {
		case contains(masterOptions, kv[0]):
			line("sentinel %s %s %s", kv[0], g, kv[1])
		case contains(globalOptions, kv[0]):
			line("sentinel %s %s", kv[0], kv[1])
		default:
			line("%s %s", kv[0], kv[1])
		}
	}
	if m := st.master; m != nil && m.Name == c.Group {
		line("sentinel config-epoch %s %d", g, m.ConfigEpoch)
		line("sentinel leader-epoch %s %d", g, m.LeaderEpoch)
		for _, r := range m.KnownReplicas {
			if r != master {
				line("sentinel known-replica %s %s %d", g, quote(r.Host), r.Port)
			}
		}
		for _, s := range m.KnownSentinels {
			if s.RunID != st.id {
				line("sentinel known-sentinel %s %s %d %s", g, quote(s.Host), s.Port, s.RunID)
			}
		}
	}
	line("gossip-port %d", c.GossipPort)
	if err := config.ReplaceFile(path, []byte(b.String())); err != nil {
		return nil, fmt.Errorf("node: write state file: %w", err)
	}
	cfg, _, err := sentinel.Load(path, nil)
	if err != nil {
		return nil, fmt.Errorf("node: agent configuration (%s): %w", path, err)
	}
	return cfg, nil
}

// hasSentinel reports whether the `sentinel:` section sets key.
func (c *Config) hasSentinel(key string) bool {
	for _, kv := range c.Sentinel {
		if kv[0] == key {
			return true
		}
	}
	return false
}

// bindFor is the agent's default bind line, the server's addresses (a
// `sentinel:` bind comes later in the file and wins).
func bindFor(c *Config) string {
	parts := make([]string, len(c.Server.Bind))
	for i, b := range c.Server.Bind {
		parts[i] = strconv.Quote(b)
	}
	return strings.Join(parts, " ")
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// statePath is the state file's absolute path.
func statePath(c *Config) string { return filepath.Join(c.Server.Path(c.Server.Dir), StateFile) }
