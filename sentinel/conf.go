package sentinel

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/mesh"
	"github.com/vigil-db/vigil/resp"
)

// Defaults of Redis Sentinel 7.0 (sentinel.c) and of Vigil's gossip directives.
const (
	// DefaultPort is the sentinel's TCP port when the file sets none (26379).
	DefaultPort = 26379
	// DefaultDownAfter is down-after-milliseconds of a master (30 s).
	DefaultDownAfter = 30 * time.Second
	// DefaultFailoverTimeout is failover-timeout of a master (3 min).
	DefaultFailoverTimeout = 180 * time.Second
	// DefaultParallelSyncs is parallel-syncs of a master (1).
	DefaultParallelSyncs = 1
	// RunIDSize is the length of a sentinel ID (myid) and of a run ID.
	RunIDSize = 40
)

// Config is a sentinel's configuration and the state it persists in its file:
// what `sentinel ...` lines and the server directives of a sentinel.conf say.
// The shell owns it; it is not safe for concurrent use.
type Config struct {
	// File is the absolute path of the config file, rewritten on every state change.
	File string
	// Server holds the redis-server directives of the file (port, bind, dir,
	// requirepass, logfile, ...), parsed by package config. Port defaults to
	// 26379 and protected-mode to no, as in Redis Sentinel.
	Server *config.Server
	// MyID is this sentinel's 40-character ID (sentinel myid); "" until generated.
	MyID string
	// CurrentEpoch is the global epoch (sentinel current-epoch). Default 0.
	CurrentEpoch uint64
	// DenyScriptsReconfig refuses SENTINEL SET of script paths (sentinel
	// deny-scripts-reconfig). Default yes.
	DenyScriptsReconfig bool
	// ResolveHostnames accepts hostnames for instances (sentinel resolve-hostnames). Default no.
	ResolveHostnames bool
	// AnnounceHostnames announces hostnames rather than IPs (sentinel announce-hostnames). Default no.
	AnnounceHostnames bool
	// AnnounceIP is the address put in hellos (sentinel announce-ip); "" = the link's local address.
	AnnounceIP string
	// AnnouncePort is the port put in hellos (sentinel announce-port); 0 = Server.Port.
	AnnouncePort int
	// SentinelUser and SentinelPass authenticate to other sentinels
	// (sentinel sentinel-user / sentinel-pass); "" = none (requirepass is used for the password).
	SentinelUser, SentinelPass string
	// Masters are the monitored masters, in file order.
	Masters []*MasterConfig
	// Gossip configures the memberlist mesh between sentinels.
	Gossip GossipConfig
	// HTTP configures the HTTP endpoint (http-* directives; off by default).
	HTTP HTTPConfig
}

// MasterConfig is one monitored master and what the file knows about it.
type MasterConfig struct {
	// Name is the master's name (sentinel monitor <name>).
	Name string
	// Host and Port are the master's current address.
	Host string
	// Port is the master's TCP port.
	Port int
	// Quorum is the number of sentinels that must agree on ODOWN (≥ 1).
	Quorum int
	// DownAfter is down-after-milliseconds. Default 30 s.
	DownAfter time.Duration
	// FailoverTimeout is failover-timeout. Default 3 min.
	FailoverTimeout time.Duration
	// ParallelSyncs is how many replicas are reconfigured at once. Default 1.
	ParallelSyncs int
	// NotificationScript runs on warning events of this master; "" = none.
	NotificationScript string
	// ClientReconfigScript runs when the master's address changes; "" = none.
	ClientReconfigScript string
	// AuthPass and AuthUser authenticate to the master and its replicas; "" = none.
	AuthPass, AuthUser string
	// RebootDownAfter is master-reboot-down-after-period; 0 = disabled (default).
	RebootDownAfter time.Duration
	// ConfigEpoch is the epoch of the configuration (sentinel config-epoch).
	ConfigEpoch uint64
	// LeaderEpoch is the epoch of our last vote for this master (sentinel leader-epoch).
	LeaderEpoch uint64
	// KnownReplicas are the replicas seen so far (sentinel known-replica), as host and port.
	KnownReplicas []Addr
	// KnownSentinels are the other sentinels seen so far (sentinel known-sentinel).
	KnownSentinels []KnownSentinel
	// RenameCommands maps a command to its renamed name on the instances, in file order.
	RenameCommands [][2]string
}

// Addr is an instance address: an IP address, or a hostname when
// resolve-hostnames is yes, and a port. String gives Redis's replica name,
// ip:port or [ipv6]:port.
type Addr = failover.Addr

// KnownSentinel is another sentinel monitoring the same master.
type KnownSentinel struct {
	// Addr is where the sentinel listens.
	Addr
	// RunID is the sentinel's myid.
	RunID string
}

// GossipConfig configures the memberlist mesh (Vigil directives, not in Redis).
type GossipConfig struct {
	// Bind is the gossip listen address (gossip-bind). Default: the first
	// `bind` address that is not "*" or "-::*", else 0.0.0.0.
	Bind string
	// Port is the gossip TCP/UDP port (gossip-port). Default: mesh.DefaultPort of the
	// sentinel port (port + 1000).
	// 0 lets the kernel choose.
	Port int
	// Join lists host:port seeds (gossip-join, repeatable). Default none: the
	// sentinels then find each other through the masters' __sentinel__:hello channel.
	Join []string
	// Secret is the passphrase that encrypts gossip (gossip-secret). Default "":
	// the key is derived from requirepass, or plain text without a password
	// (see Config.GossipKey).
	Secret string

	bindSet, portSet bool
}

// GossipKey returns the 32-byte key that encrypts the mesh: SHA-256 of
// gossip-secret when it is set; else, when the sentinel requires a password
// (requirepass), SHA-256 of "vigil-gossip:" followed by that password, so
// that a sentinel that requires a password never gossips in plain text nor
// accepts unauthenticated members (sentinels of one group then share the
// mesh when they share requirepass, as they usually do); else nil (plain
// text).
func (c *Config) GossipKey() []byte {
	switch {
	case c.Gossip.Secret != "":
		k := sha256.Sum256([]byte(c.Gossip.Secret))
		return k[:]
	case c.Server.RequirePass != "":
		k := sha256.Sum256([]byte("vigil-gossip:" + c.Server.RequirePass))
		return k[:]
	}
	return nil
}

// NewMaster returns a master with Redis's defaults.
func NewMaster(name, host string, port, quorum int) *MasterConfig {
	return &MasterConfig{Name: name, Host: host, Port: port, Quorum: quorum,
		DownAfter: DefaultDownAfter, FailoverTimeout: DefaultFailoverTimeout, ParallelSyncs: DefaultParallelSyncs}
}

// Master returns the master named name, or nil.
func (c *Config) Master(name string) *MasterConfig {
	for _, m := range c.Masters {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ErrNoConfigFile is Redis's fatal startup error when the sentinel has no
// config file or cannot write it.
var ErrNoConfigFile = errors.New("Sentinel needs config file on disk to save state. Exiting...")

// Load reads a sentinel's configuration like `redis-sentinel FILE [--opt val ...]`:
// the file's lines, then the command-line options as extra lines (numbered after
// the file's). Server directives are parsed by package config; `sentinel ...`
// lines are applied afterwards in Redis's three passes; gossip-* lines are
// Vigil's. Errors are *config.LoadError with Redis's text and line. The file must
// exist and be writable (ErrNoConfigFile otherwise).
func Load(path string, args []string) (*Config, []string, error) {
	if path == "" {
		return nil, nil, ErrNoConfigFile
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, ErrNoConfigFile
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, nil, &config.LoadError{Err: err,
			Reason: fmt.Sprintf("Fatal error, can't open config file '%s': %s", abs, strerror(err))}
	}
	if f, err := os.OpenFile(abs, os.O_WRONLY, 0); err != nil {
		return nil, nil, ErrNoConfigFile
	} else {
		f.Close()
	}
	lines := strings.Split(string(data), "\n")
	lines = append(lines, OptionLines(args)...)
	c, warnings, err := parse(lines)
	if err != nil {
		return nil, nil, err
	}
	c.File = abs
	c.Server.ConfigFile = abs
	return c, warnings, nil
}

// Parse reads sentinel.conf text (no file, no command-line options).
func Parse(text string) (*Config, []string, error) {
	return parse(strings.Split(text, "\n"))
}

// queued is a `sentinel ...` line kept for the passes after the file is read.
type queued struct {
	line int
	text string
	args []string // without the leading "sentinel"
}

func parse(lines []string) (*Config, []string, error) {
	server := make([]string, len(lines))
	var sent []queued
	var gossip, httpLines []queued
	seen := map[string]bool{}
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		server[i] = raw
		if line == "" || line[0] == '#' {
			continue
		}
		args := splitArgs(line)
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		seen[name] = true
		switch {
		case name == "sentinel":
			server[i] = ""
			if len(args) > 1 {
				sent = append(sent, queued{line: i + 1, text: line, args: args[1:]})
			}
		case strings.HasPrefix(name, "gossip-"):
			server[i] = ""
			gossip = append(gossip, queued{line: i + 1, text: line, args: args})
		case strings.HasPrefix(name, "http-"):
			server[i] = ""
			httpLines = append(httpLines, queued{line: i + 1, text: line, args: args})
		}
	}
	srv, warnings, err := config.ParseWith(strings.Join(server, "\n"), config.Options{Commands: commandNames()})
	if err != nil {
		return nil, nil, err
	}
	if !seen["port"] {
		srv.Port = DefaultPort
	}
	if !seen["protected-mode"] {
		srv.ProtectedMode = false
	}
	c := &Config{Server: srv, DenyScriptsReconfig: true}
	for _, q := range gossip {
		if reason := c.applyGossip(q.args); reason != "" {
			return nil, nil, loadErr(q, reason)
		}
	}
	c.gossipDefaults()
	if err := c.applyHTTPLines(httpLines); err != nil {
		return nil, nil, err
	}
	if err := c.applySentinelPasses(sent); err != nil {
		return nil, nil, err
	}
	return c, warnings, nil
}

// applyHTTPLines applies the http-* lines, then checks them together.
func (c *Config) applyHTTPLines(lines []queued) error {
	for _, q := range lines {
		if reason := c.applyHTTP(q.args); reason != "" {
			return loadErr(q, reason)
		}
	}
	if reason := c.httpDone(); reason != "" && len(lines) > 0 {
		return loadErr(lines[len(lines)-1], reason)
	}
	return nil
}

func loadErr(q queued, reason string) error {
	return &config.LoadError{Line: q.line, Text: q.text, Directive: "sentinel", Reason: reason}
}

// applySentinelPasses runs Redis's three passes over the queued sentinel lines.
func (c *Config) applySentinelPasses(sent []queued) error {
	first := map[string]bool{"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
		"sentinel-user": true, "sentinel-pass": true, "current-epoch": true, "myid": true,
		"resolve-hostnames": true, "announce-hostnames": true}
	passes := []func(string) bool{
		func(d string) bool { return first[d] },
		func(d string) bool { return d == "monitor" },
		func(d string) bool { return !first[d] && d != "monitor" },
	}
	for _, in := range passes {
		for _, q := range sent {
			if !in(strings.ToLower(q.args[0])) {
				continue
			}
			if reason := c.applySentinel(q.args); reason != "" {
				return loadErr(q, reason)
			}
		}
	}
	return nil
}

func (c *Config) gossipDefaults() {
	if !c.Gossip.bindSet {
		c.Gossip.Bind = c.defaultGossipBind()
	}
	if !c.Gossip.portSet {
		c.Gossip.Port = mesh.DefaultPort(c.Server.Port)
	}
}

// defaultGossipBind is the gossip bind address without gossip-bind: the
// sentinel's own first bind address that is not "*" or "::*" (the endpoint
// listens there too), else 0.0.0.0.
func (c *Config) defaultGossipBind() string {
	for _, b := range c.Server.Bind {
		b = strings.TrimPrefix(b, "-")
		if b != "*" && b != "::*" && b != "" {
			return b
		}
	}
	return "0.0.0.0"
}

// applyGossip applies one gossip-* line; it returns the error reason or "".
func (c *Config) applyGossip(args []string) string {
	switch name := strings.ToLower(args[0]); {
	case name == "gossip-bind" && len(args) == 2:
		c.Gossip.Bind, c.Gossip.bindSet = args[1], true
	case name == "gossip-port" && len(args) == 2:
		p, ok := parsePort(args[1])
		if !ok {
			return msgInvalidPort
		}
		c.Gossip.Port, c.Gossip.portSet = p, true
	case name == "gossip-join" && len(args) >= 2:
		for _, a := range args[1:] {
			if _, _, ok := splitHostPort(a); !ok {
				return msgBadJoin
			}
		}
		c.Gossip.Join = append(c.Gossip.Join, args[1:]...)
	case name == "gossip-secret" && len(args) == 2:
		c.Gossip.Secret = args[1]
	default:
		return msgBadDirective
	}
	return ""
}

// OptionLines turns command-line arguments into config lines like Redis's
// main(): "--name" starts a line and the following arguments are appended,
// quoted. A lone "--sentinel" (the flag that selects sentinel mode) adds nothing.
func OptionLines(args []string) []string {
	var lines []string
	var cur []string
	flush := func() {
		if len(cur) > 0 && !(len(cur) == 1 && strings.EqualFold(cur[0], "sentinel")) {
			lines = append(lines, strings.Join(cur, " "))
		}
		cur = nil
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			flush()
			cur = append(cur, a[2:])
			continue
		}
		cur = append(cur, quote(a))
	}
	flush()
	return lines
}

// splitArgs is sdssplitargs (via resp.SplitArgs); nil for unbalanced quotes.
func splitArgs(line string) []string {
	parts, ok := resp.SplitArgs([]byte(line), nil)
	if !ok {
		return nil
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}
