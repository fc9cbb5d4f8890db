package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-db/vigil/config"
)

// configCommands returns CONFIG GET, SET, REWRITE, RESETSTAT, HELP.
func configCommands() []*Command {
	const f = FlagAdmin | FlagNoScript | FlagLoading | FlagStale
	return []*Command{{
		Name: "config", Arity: -2, Group: "server",
		Subs: subs(
			sub("config", "get", -3, f, cmdConfigGet),
			sub("config", "set", -4, f, cmdConfigSet),
			sub("config", "rewrite", 2, f, cmdConfigRewrite),
			sub("config", "resetstat", 2, f, cmdConfigResetStat),
			sub("config", "help", 2, FlagLoading|FlagStale, cmdConfigHelp),
		),
	}}
}

func cmdConfigGet(c *Client) {
	patterns := make([]string, 0, len(c.args)-2)
	for _, a := range c.args[2:] {
		patterns = append(patterns, string(a))
	}
	kvs := config.Get(c.srv.cfg, patterns)
	c.w.Map(len(kvs))
	for _, kv := range kvs {
		c.w.BulkString(kv.Key)
		c.w.BulkString(kv.Value)
	}
}

func cmdConfigSet(c *Client) {
	if len(c.args)%2 != 0 {
		c.err(ErrSyntax)
		return
	}
	pairs := make([][2]string, 0, (len(c.args)-2)/2)
	for i := 2; i < len(c.args); i += 2 {
		pairs = append(pairs, [2]string{string(c.args[i]), string(c.args[i+1])})
	}
	before := c.srv.cfg.Clone()
	opt := config.SetOptions{LocalClient: c.isLocal(), Loading: c.srv.persist.loading}
	changed, err := config.SetWith(c.srv.cfg, pairs, opt)
	if err != nil {
		c.err(err.Error())
		return
	}
	if failed, err := c.srv.applyConfig(before, changed); err != nil {
		c.srv.rollbackConfig(before, changed, failed, opt)
		arg := failed
		for _, p := range pairs {
			if strings.EqualFold(p[0], failed) {
				arg = p[0]
			}
		}
		c.err(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", arg, err))
		return
	}
	c.ok()
}

// rollbackConfig restores before after the apply of failed went wrong, and applies again
// what was applied before it (restoreBackupConfig): the in-memory config must match what
// the server runs with.
func (s *Server) rollbackConfig(before *config.Server, changed []string, failed string, opt config.SetOptions) {
	after := s.cfg.Clone()
	// only the changed directives are written back: connections read some settings
	// (client-query-buffer-limit...) without the lock
	var pairs [][2]string
	for _, kv := range config.Get(before, changed) {
		pairs = append(pairs, [2]string{kv.Key, kv.Value})
	}
	if _, err := config.SetWith(s.cfg, pairs, opt); err != nil {
		s.log.Warn().Err(err).Msg("CONFIG SET: rollback failed")
	}
	appliers := s.configAppliers()
	for _, name := range changed {
		if name == failed {
			return
		}
		if apply, ok := appliers[name]; ok {
			if err := apply(after); err != nil {
				s.log.Warn().Err(err).Str("config", name).Msg("CONFIG SET: rollback failed")
			}
		}
	}
}

func cmdConfigRewrite(c *Client) {
	err := config.Rewrite(c.srv.cfg)
	switch {
	case err == nil:
		c.ok()
	case errors.Is(err, config.ErrNoConfigFile):
		c.err("ERR The server is running without a config file")
	default:
		c.srv.log.Warn().Err(err).Msg("CONFIG REWRITE failed")
		var re *config.RewriteError
		if errors.As(err, &re) && re.Err != nil {
			err = re.Err
		}
		c.err("ERR Rewriting config file: " + errText(err))
	}
}

// debugConfigRewriteForceAll is DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE writing
// every option, those at their default too.
func debugConfigRewriteForceAll(c *Client) {
	if err := config.RewriteForceAll(c.srv.cfg); err != nil {
		var re *config.RewriteError
		if errors.As(err, &re) && re.Err != nil {
			err = re.Err
		}
		c.err("ERR CONFIG-REWRITE-FORCE-ALL failed: " + errText(err))
		return
	}
	c.ok()
}

// errText is the strerror-like tail of an OS error.
func errText(err error) string {
	var pe interface{ Unwrap() error }
	for errors.As(err, &pe) {
		inner := pe.Unwrap()
		if inner == nil {
			break
		}
		err = inner
	}
	return err.Error()
}

func cmdConfigResetStat(c *Client) {
	c.srv.resetStats()
	c.ok()
}

func cmdConfigHelp(c *Client) {
	c.replyHelpLines("CONFIG", []string{
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	})
}

// replyHelpLines replies Redis's addReplyHelp format for a container command. As in
// Redis the header names the command as the client typed it (a container renamed by
// rename-command answers under its new name).
func (c *Client) replyHelpLines(container string, lines []string) {
	if len(c.args) > 0 {
		container = strings.ToUpper(string(c.args[0]))
	}
	c.w.Array(len(lines) + 3)
	c.w.Simple(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Simple(l)
	}
	c.w.Simple("HELP")
	c.w.Simple("    Prints this help.")
}

// isLocal reports whether c connected over loopback or the Unix socket.
func (c *Client) isLocal() bool { return c.has(ClientUnixSocket) || isLoopbackAddr(c.addr) }

// applyConfig reacts to directives CONFIG SET changed. Each family reacts to its own.
// On failure it returns the directive that failed.
func (s *Server) applyConfig(before *config.Server, changed []string) (string, error) {
	for _, name := range changed {
		if apply, ok := s.configAppliers()[name]; ok {
			if err := apply(before); err != nil {
				return name, err
			}
		}
	}
	return "", nil
}

// configAppliers maps a directive to what must happen when CONFIG SET changes it.
func (s *Server) configAppliers() map[string]func(before *config.Server) error {
	return map[string]func(*config.Server) error{
		"notify-keyspace-events": func(*config.Server) error { return s.setNotifyFlags(s.cfg.NotifyKeyspaceEvents) },
		"appendonly":             func(*config.Server) error { return s.aofApplyConfig() },
		"appendfsync":            func(*config.Server) error { return s.aofApplyConfig() },
		"maxclients":             func(*config.Server) error { return s.applyMaxClients() },
		"maxmemory-clients":      func(*config.Server) error { s.evictClients(); return nil },
		"maxmemory":              func(*config.Server) error { s.applyMaxMemory(); s.evictClients(); return nil },
		"port":                   func(b *config.Server) error { return s.relisten(b, "Unable to listen on this port") },
		"proc-title-template":    func(*config.Server) error { s.setProcTitle(); return nil },
		"bind":                   func(b *config.Server) error { return s.relisten(b, "Failed to bind to specified addresses.") },
	}
}

// resetStats is CONFIG RESETSTAT: the INFO stats counters, commandstats and errorstats.
func (s *Server) resetStats() {
	s.stats.connections.Store(0)
	s.stats.rejectedConns.Store(0)
	s.stats.netInput.Store(0)
	s.stats.netOutput.Store(0)
	s.stats.commands = 0
	s.stats.expiredKeys = 0
	s.stats.evictedKeys = 0
	s.stats.totalForks = 0
	s.stats.keyspaceHits = 0
	s.stats.keyspaceMiss = 0
	s.stats.totalErrors = 0
	s.stats.lazyfreed = 0
	s.stats.errors = map[string]int64{}
	s.eachCommand(func(cmd *Command) { *cmd.stats = cmdStats{} })
}
