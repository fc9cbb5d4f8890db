package node

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/viper"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/mesh"
)

// Defaults of a node's own settings.
const (
	// DefaultGroup is the group (and monitored master) name when none is set.
	DefaultGroup = "vigil"
	// SentinelPortOffset is the distance from the data port to the default
	// sentinel port (6379 → 26379).
	SentinelPortOffset = 20000
	// HTTPPortOffset is the distance from the sentinel port to the default
	// HTTP port (26379 → 28379); the gossip port is the sentinel port +
	// mesh.PortOffset (27379).
	HTTPPortOffset = 2000
	// DefaultAnnounceHost is the address announced when no bind address and
	// no announce-host is set: the embedded defaults are a loopback group.
	DefaultAnnounceHost = "127.0.0.1"
	// DefaultBind is the server's bind when the file sets none: a node's
	// embedded defaults are a loopback group (redis-server binds every
	// interface).
	DefaultBind = "127.0.0.1 -::1"
)

// ErrConfig wraps every configuration error of a node.
var ErrConfig = errors.New("node: bad configuration")

// Config is a node's configuration: its own settings, the data server's
// directives (the file's `server:` section) and the agent's (`sentinel:`).
// Precedence, lowest first: embedded defaults, the file, VIGIL_*
// environment variables, command-line flags.
type Config struct {
	// File is the absolute path of the node's config file ("" = none). The
	// node never writes it.
	File string
	// Group is the group's name, which is also the name the agent monitors
	// its master under (clients ask the sentinel endpoint for it). Default "vigil".
	Group string
	// Size is the number of nodes the group is meant to have; the default
	// quorum is its majority. Default 1 without join, else 3.
	Size int
	// Quorum is how many agents must agree that the master is down; 0 = a
	// majority of Size. A quorum learned earlier (state file) is never lowered
	// unless Quorum is set.
	Quorum int
	// Join lists gossip addresses (host:port) of nodes already in the group;
	// none for the group's first node.
	Join []string
	// AnnounceHost is the address other nodes and clients are given for this
	// node's server, sentinel endpoint and gossip (a hostname is allowed).
	// Default: the server's first bind address that is not a wildcard, else
	// 127.0.0.1.
	AnnounceHost string
	// SentinelPort is the agent's RESP endpoint port. Default: port + 20000.
	SentinelPort int
	// GossipPort is the mesh's TCP/UDP port. Default: sentinel port + 1000.
	GossipPort int
	// HTTPPort is the HTTP endpoint's port (0 = off). Default: sentinel port + 2000.
	HTTPPort int
	// HTTPBind is the HTTP endpoint's address. Default 127.0.0.1.
	HTTPBind string
	// Server is the data server's configuration (every redis.conf directive).
	Server *config.Server
	// Sentinel holds the `sentinel:` section as directive → arguments, in key
	// order (per-group options such as down-after-milliseconds, sentinel-wide
	// ones such as announce-hostnames, gossip-secret, and endpoint directives
	// such as requirepass or bind).
	Sentinel [][2]string

	warnings []string
	set      map[string]bool // node keys set by the file, env or flags
}

// Warnings returns what loading the configuration warned about.
func (c *Config) Warnings() []string { return c.warnings }

// nodeKeys are the node's own settings (top-level keys, VIGIL_<KEY>
// variables, --key flags). port and dir are the server's, also accepted at
// the top level.
var nodeKeys = []string{"group", "size", "quorum", "join", "announce-host", "sentinel-port", "gossip-port",
	"http-port", "http-bind"}

// masterOptions are `sentinel:` keys that become `sentinel <key> <group> <value>`.
var masterOptions = []string{"down-after-milliseconds", "failover-timeout", "parallel-syncs",
	"notification-script", "client-reconfig-script", "auth-pass", "auth-user",
	"master-reboot-down-after-period"}

// globalOptions are `sentinel:` keys that become `sentinel <key> <value>`.
var globalOptions = []string{"announce-hostnames", "resolve-hostnames", "deny-scripts-reconfig",
	"sentinel-user", "sentinel-pass", "announce-port"}

// gossipOptions are `sentinel:` keys of the mesh, written as they are.
var gossipOptions = []string{"gossip-secret", "gossip-bind"}

// refusedSentinel are sentinel directives the node sets itself.
var refusedSentinel = []string{"port", "dir", "monitor", "myid", "announce-ip", "gossip-port", "gossip-join",
	"known-replica", "known-sentinel", "current-epoch", "config-epoch", "leader-epoch", "logfile"}

// Load reads a node's configuration: path ("" = embedded defaults only),
// the environment (KEY=VALUE strings, VIGIL_* ones are read) and the
// command-line arguments after the file ("--port 7000 --join a:1 b:2
// --sentinel.down-after-milliseconds 1000 --maxmemory 1gb"). A flag that
// is not a node setting nor `sentinel.<key>` is a server directive.
// commands is the server's command table for rename-command checks.
func Load(path string, environ, args []string, commands []string) (*Config, error) {
	c := &Config{set: map[string]bool{}}
	serverSettings := map[string]any{"bind": DefaultBind} // the embedded default: loopback
	sentinelSettings := map[string]string{}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
		}
		c.File = abs
		if err := c.readFile(abs, serverSettings, sentinelSettings); err != nil {
			return nil, err
		}
	}
	if err := c.applyEnv(environ, sentinelSettings); err != nil {
		return nil, err
	}
	serverArgs, err := c.applyFlags(args, sentinelSettings)
	if err != nil {
		return nil, err
	}
	srv, warnings, err := config.LoadSettings(c.File, serverSettings, serverArgs,
		config.Options{Environ: environ, Commands: commands})
	if err != nil {
		return nil, fmt.Errorf("%w: server: %w", ErrConfig, err)
	}
	srv.ConfigFile = "" // never rewritten: CONFIG REWRITE refuses, as without a file
	c.Server, c.warnings = srv, warnings
	for _, k := range slices.Sorted(maps.Keys(sentinelSettings)) {
		c.Sentinel = append(c.Sentinel, [2]string{k, sentinelSettings[k]})
	}
	c.defaults()
	return c, c.Validate()
}

// readFile reads the node's YAML, TOML or JSON file.
func (c *Config) readFile(abs string, server map[string]any, sent map[string]string) error {
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("%w: can't open config file '%s': %w", ErrConfig, abs, err)
	}
	v := viper.NewWithOptions(viper.KeyDelimiter("\x00"))
	v.SetConfigFile(abs)
	switch strings.ToLower(filepath.Ext(abs)) {
	case ".yaml", ".yml", ".toml", ".json":
	default:
		v.SetConfigType("yaml")
	}
	if err := v.ReadInConfig(); err != nil {
		return fmt.Errorf("%w: can't parse config file '%s': %w", ErrConfig, abs, err)
	}
	for k, val := range v.AllSettings() {
		k = strings.ToLower(k)
		var err error
		switch {
		case k == "server":
			err = c.section(k, val, func(key string, v any) error { server[key] = v; return nil })
		case k == "sentinel":
			err = c.section(k, val, func(key string, v any) error {
				s, err := flatten(v)
				sent[key] = s
				return err
			})
		case k == "port" || k == "dir":
			server[k] = val
		case slices.Contains(nodeKeys, k):
			err = c.setNode(k, val)
		default:
			err = fmt.Errorf("unknown key (node keys: %s, port, dir, server, sentinel)", strings.Join(nodeKeys, ", "))
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %s: %w", ErrConfig, abs, k, err)
		}
	}
	return nil
}

// section calls set for every key of a `server:` or `sentinel:` map.
func (c *Config) section(name string, val any, set func(string, any) error) error {
	m, ok := val.(map[string]any)
	if !ok {
		return fmt.Errorf("%s must be a map of directives, got %T", name, val)
	}
	for k, v := range m {
		if err := set(strings.ToLower(k), v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// flatten renders a scalar or a list as one directive argument string.
func flatten(v any) (string, error) {
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			s, err := flatten(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "yes", nil
		}
		return "no", nil
	case int, int64, uint64, float64:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("unsupported value type %T", v)
}

// setNode sets one of the node's own keys.
func (c *Config) setNode(key string, val any) error {
	s, err := flatten(val)
	if err != nil {
		return err
	}
	c.set[key] = true
	num := func(min, max int) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < min || n > max {
			return 0, fmt.Errorf("%q is not a number from %d to %d", s, min, max)
		}
		return n, nil
	}
	switch key {
	case "group":
		if s == "" || strings.ContainsAny(s, " \t\r\n\"'") {
			return fmt.Errorf("%q is not a valid group name", s)
		}
		c.Group = s
	case "size":
		c.Size, err = num(1, 1000)
	case "quorum":
		c.Quorum, err = num(1, 1000)
	case "join":
		c.Join = strings.Fields(strings.ReplaceAll(s, ",", " "))
		for _, j := range c.Join {
			if _, _, e := net.SplitHostPort(j); e != nil {
				return fmt.Errorf("%q is not host:port", j)
			}
		}
	case "announce-host":
		c.AnnounceHost = s
	case "sentinel-port":
		c.SentinelPort, err = num(1, 65535)
	case "gossip-port":
		c.GossipPort, err = num(0, 65535)
	case "http-port":
		c.HTTPPort, err = num(0, 65535)
	case "http-bind":
		c.HTTPBind = s
	}
	return err
}

// applyEnv applies VIGIL_<KEY> for the node's keys and
// VIGIL_SENTINEL_<KEY> for the `sentinel:` section's (the server's
// VIGIL_<DIRECTIVE> variables are read by package config).
func (c *Config) applyEnv(environ []string, sent map[string]string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, config.EnvPrefix) {
			env[k] = v
		}
	}
	for _, k := range nodeKeys {
		if v, ok := env[config.EnvName(k)]; ok {
			if err := c.setNode(k, v); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrConfig, config.EnvName(k), err)
			}
		}
	}
	for _, k := range append(slices.Clone(masterOptions), globalOptions...) {
		if v, ok := env[config.EnvName("sentinel-"+k)]; ok {
			sent[k] = v
		}
	}
	return nil
}

// applyFlags applies the node's flags and `--sentinel.<key>` ones and
// returns the rest, the server's options, for package config.
func (c *Config) applyFlags(args []string, sent map[string]string) ([]string, error) {
	var server []string
	for i := 0; i < len(args); {
		a := args[i]
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			return nil, fmt.Errorf("%w: %q: expected --name value", ErrConfig, a)
		}
		name = strings.ToLower(name)
		j := i + 1
		for j < len(args) && !strings.HasPrefix(args[j], "--") {
			j++
		}
		vals := args[i+1 : j]
		switch {
		case slices.Contains(nodeKeys, name):
			if len(vals) == 0 {
				return nil, fmt.Errorf("%w: --%s needs a value", ErrConfig, name)
			}
			if err := c.setNode(name, strings.Join(vals, " ")); err != nil {
				return nil, fmt.Errorf("%w: --%s: %w", ErrConfig, name, err)
			}
		case strings.HasPrefix(name, "sentinel."):
			sent[strings.TrimPrefix(name, "sentinel.")] = strings.Join(vals, " ")
		default:
			server = append(server, args[i:j]...)
		}
		i = j
	}
	return server, nil
}

// defaults fills what was not set.
func (c *Config) defaults() {
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.Size == 0 {
		c.Size = 1
		if len(c.Join) > 0 {
			c.Size = 3
		}
	}
	if c.AnnounceHost == "" {
		c.AnnounceHost = DefaultAnnounceHost
		for _, b := range c.Server.Bind {
			b = strings.TrimPrefix(b, "-")
			if ip := net.ParseIP(b); b != "*" && (ip == nil || !ip.IsUnspecified()) {
				c.AnnounceHost = b
				break
			}
		}
	}
	if !c.set["sentinel-port"] {
		c.SentinelPort = c.Server.Port + SentinelPortOffset
	}
	if !c.set["gossip-port"] {
		c.GossipPort = mesh.DefaultPort(c.SentinelPort)
	}
	if !c.set["http-port"] {
		c.HTTPPort = c.SentinelPort + HTTPPortOffset
	}
	if c.HTTPBind == "" {
		c.HTTPBind = "127.0.0.1"
	}
}

// DefaultQuorum is the majority of size.
func DefaultQuorum(size int) int { return size/2 + 1 }

// Validate reports every problem of the node's own settings.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrConfig, key, fmt.Sprintf(format, a...)))
	}
	if err := c.Server.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: server: %w", ErrConfig, err))
	}
	if c.Server.Port == 0 {
		bad("port", "the node's server needs a TCP port")
	}
	for _, p := range []struct {
		key  string
		port int
	}{{"sentinel-port", c.SentinelPort}, {"gossip-port", c.GossipPort}, {"http-port", c.HTTPPort}} {
		if p.port < 0 || p.port > 65535 {
			bad(p.key, "%d is not a port (the defaults derive from port %d)", p.port, c.Server.Port)
		}
	}
	if c.Quorum > c.Size && c.set["size"] {
		bad("quorum", "%d is more than size %d", c.Quorum, c.Size)
	}
	for _, kv := range c.Sentinel {
		switch {
		case slices.Contains(refusedSentinel, kv[0]):
			bad("sentinel."+kv[0], "set by the node itself (see the node's own keys)")
		case strings.HasPrefix(kv[0], "http-"):
			bad("sentinel."+kv[0], "use the node's http-port and http-bind")
		case !contains(masterOptions, kv[0]) && !contains(globalOptions, kv[0]) && !contains(gossipOptions, kv[0]):
			if _, ok := config.Lookup(kv[0]); !ok {
				bad("sentinel."+kv[0], "unknown key (the agent's options: %s; gossip: %s; or a directive of its endpoint such as requirepass)",
					strings.Join(append(slices.Clone(masterOptions), globalOptions...), ", "), strings.Join(gossipOptions, ", "))
			}
		}
	}
	return errors.Join(errs...)
}

// EffectiveQuorum is the quorum the node monitors its group with: Quorum
// when set, else the larger of a majority of Size and learned (the quorum of
// the state file: it never shrinks on its own).
func (c *Config) EffectiveQuorum(learned int) int {
	if c.Quorum > 0 {
		return c.Quorum
	}
	return max(DefaultQuorum(c.Size), learned)
}
