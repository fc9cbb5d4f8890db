package sentinel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/resp"
)

// subSet is SENTINEL SET <master> <option> <value> [...]: each option is
// applied as it is read; on an error the earlier ones stay (and are flushed).
func subSet(s *Sentinel, w *resp.Writer, argv []string) {
	m := s.masterOrReply(w, argv[2])
	if m == nil {
		return
	}
	changes := 0
	defer func() {
		if changes > 0 {
			_ = s.fo.Step(s.now(), failover.Monitor{Config: foMasterConfig(m.conf)})
		}
	}()
	for j := 3; j < len(argv); j += 2 {
		opt := strings.ToLower(argv[j])
		if j+1 >= len(argv) {
			w.Error(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", argv[j]))
			break
		}
		val := argv[j+1]
		if opt == "rename-command" {
			if j+2 >= len(argv) {
				w.Error(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", argv[j]))
				break
			}
			s.setRename(m, argv[j+1], argv[j+2])
			changes++
			j++
			continue
		}
		if e := s.setOption(m, opt, argv[j], val); e != "" {
			w.Error(e)
			if changes > 0 {
				_ = s.flush()
			}
			return
		}
		changes++
	}
	if changes > 0 && len(w.B) == 0 {
		s.flushAndReply(w)
	} else if changes > 0 {
		_ = s.flush()
	}
}

func (s *Sentinel) setRename(m *instance, old, renamed string) {
	c := m.conf
	for i, r := range c.RenameCommands {
		if strings.EqualFold(r[0], old) {
			c.RenameCommands = append(c.RenameCommands[:i], c.RenameCommands[i+1:]...)
			break
		}
	}
	if !strings.EqualFold(old, renamed) {
		c.RenameCommands = append(c.RenameCommands, [2]string{old, renamed})
	}
	// Redis maps every command it sends through the table at send time: the links
	// take the new table now, as for auth-pass.
	s.unwatch(m)
	s.watch(m)
	s.event(levelWarning, "+set", m, "%s rename-command %s %s", m.eventID(), old, renamed)
}

// setOption applies one SENTINEL SET option; it returns the error reply or "".
func (s *Sentinel) setOption(m *instance, opt, rawOpt, val string) string {
	c := m.conf
	bad := fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL SET '%s'", val, rawOpt)
	num := func(minimum int64) (int64, bool) {
		n, err := strconv.ParseInt(val, 10, 64)
		return n, err == nil && n >= minimum
	}
	shown := val
	switch opt {
	case "down-after-milliseconds", "failover-timeout", "parallel-syncs", "quorum":
		n, ok := num(1)
		if !ok {
			return bad
		}
		switch opt {
		case "down-after-milliseconds":
			c.DownAfter = time.Duration(n) * time.Millisecond
		case "failover-timeout":
			c.FailoverTimeout = time.Duration(n) * time.Millisecond
		case "parallel-syncs":
			c.ParallelSyncs = int(n)
		default:
			c.Quorum = int(n)
		}
	case "master-reboot-down-after-period":
		n, ok := num(0)
		if !ok {
			return bad
		}
		c.RebootDownAfter = time.Duration(n) * time.Millisecond
	case "notification-script", "client-reconfig-script":
		if s.cfg.DenyScriptsReconfig {
			return msgScriptsDenied
		}
		if val != "" && !s.cfg.executable(val) {
			if opt == "notification-script" {
				return "ERR Notification script seems non existing or non executable"
			}
			return "ERR Client reconfiguration script seems non existing or non executable"
		}
		if opt == "notification-script" {
			c.NotificationScript = val
		} else {
			c.ClientReconfigScript = val
		}
	case "auth-pass", "auth-user":
		if opt == "auth-pass" {
			c.AuthPass, shown = val, "******"
		} else {
			c.AuthUser = val
		}
		s.unwatch(m)
		s.watch(m)
	default:
		return fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", rawOpt)
	}
	s.event(levelWarning, "+set", m, "%s %s %s", m.eventID(), rawOpt, shown)
	return ""
}

// subConfig is SENTINEL CONFIG GET <pattern> / SET <option> <value>.
func subConfig(s *Sentinel, w *resp.Writer, argv []string) {
	switch {
	case len(argv) == 4 && strings.EqualFold(argv[2], "get"):
		var kv []string
		for _, o := range []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port", "sentinel-user", "sentinel-pass"} {
			if config.Glob(argv[3], o, true) {
				kv = append(kv, o, s.configValue(o))
			}
		}
		w.Map(len(kv) / 2)
		for _, v := range kv {
			w.BulkString(v)
		}
	case len(argv) == 5 && strings.EqualFold(argv[2], "set"):
		if e := s.configSet(strings.ToLower(argv[3]), argv[3], argv[4]); e != "" {
			w.Error(e)
			return
		}
		s.flushAndReply(w)
	default:
		w.Error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
	}
}

func (s *Sentinel) configValue(o string) string {
	c := s.cfg
	switch o {
	case "resolve-hostnames":
		return yes(c.ResolveHostnames)
	case "announce-hostnames":
		return yes(c.AnnounceHostnames)
	case "announce-ip":
		return c.AnnounceIP
	case "announce-port":
		return strconv.Itoa(c.AnnouncePort)
	case "sentinel-user":
		return c.SentinelUser
	}
	return c.SentinelPass
}

func (s *Sentinel) configSet(o, raw, v string) string {
	c := s.cfg
	bad := fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", v, raw)
	switch o {
	case "resolve-hostnames", "announce-hostnames":
		b, ok := yesNo(v)
		if !ok {
			return bad
		}
		if o == "resolve-hostnames" {
			c.ResolveHostnames = b
		} else {
			c.AnnounceHostnames = b
		}
	case "announce-ip":
		c.AnnounceIP = v
	case "announce-port":
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return bad
		}
		c.AnnouncePort = p
	case "sentinel-user", "sentinel-pass":
		if o == "sentinel-user" {
			c.SentinelUser = v
		} else {
			c.SentinelPass = v
		}
		for _, m := range s.masters {
			s.unwatch(m)
			s.watch(m)
		}
	default:
		return fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", raw)
	}
	return ""
}

// debugParams are SENTINEL DEBUG's names, in Redis's reply order.
var debugParams = []string{"info-period", "ping-period", "ask-period", "publish-period", "default-down-after",
	"default-failover-timeout", "tilt-trigger", "tilt-period", "slave-reconf-timeout",
	"min-link-reconnect-period", "election-timeout", "script-max-runtime", "script-retry-delay"}

func (t *Timers) field(name string) *time.Duration {
	m := map[string]*time.Duration{"info-period": &t.InfoPeriod, "ping-period": &t.PingPeriod,
		"ask-period": &t.AskPeriod, "publish-period": &t.PublishPeriod, "default-down-after": &t.DefaultDownAfter,
		"default-failover-timeout": &t.DefaultFailoverTimeout, "tilt-trigger": &t.TiltTrigger,
		"tilt-period": &t.TiltPeriod, "slave-reconf-timeout": &t.SlaveReconfTimeout,
		"min-link-reconnect-period": &t.MinLinkReconnectPeriod, "election-timeout": &t.ElectionTimeout,
		"script-max-runtime": &t.ScriptMaxRuntime, "script-retry-delay": &t.ScriptRetryDelay}
	return m[name]
}

func subDebug(s *Sentinel, w *resp.Writer, argv []string) {
	if len(argv) == 2 {
		w.Map(len(debugParams))
		for _, p := range debugParams {
			w.BulkString(strings.ToUpper(p))
			w.BulkString(strconv.FormatInt(s.timers.field(p).Milliseconds(), 10))
		}
		return
	}
	for j := 2; j < len(argv); j += 2 {
		f := s.timers.field(strings.ToLower(argv[j]))
		if f == nil || j+1 >= len(argv) {
			w.Error(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", argv[j]))
			return
		}
		n, err := strconv.ParseInt(argv[j+1], 10, 64)
		if err != nil || n <= 0 {
			w.Error(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", argv[j+1], argv[j]))
			return
		}
		*f = time.Duration(n) * time.Millisecond
	}
	s.applyTimers()
	w.OK()
}

var sentinelHelp = []string{
	"SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CKQUORUM <master-name>",
	"    Check if the current Sentinel configuration is able to reach the quorum",
	"    needed to failover a master and the majority needed to authorize the",
	"    failover.",
	"CONFIG SET <param> <value>",
	"    Set a global Sentinel configuration parameter.",
	"CONFIG GET <param>",
	"    Get global Sentinel configuration parameter.",
	"DEBUG [<param> <value> ...]",
	"    Show a list of configurable time parameters and their values (milliseconds).",
	"    Or update current configurable parameters values (one or more).",
	"GET-MASTER-ADDR-BY-NAME <master-name>",
	"    Return the ip and port number of the master with that name.",
	"FAILOVER <master-name>",
	"    Manually failover a master node without asking for agreement from other",
	"    Sentinels",
	"FLUSHCONFIG",
	"    Force Sentinel to rewrite its configuration on disk, including the current",
	"    Sentinel state.",
	"INFO-CACHE <master-name>",
	"    Return last cached INFO output from masters and all its replicas.",
	"IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
	"    Check if the master specified by ip:port is down from current Sentinel's",
	"    point of view.",
	"MASTER <master-name>",
	"    Show the state and info of the specified master.",
	"MASTERS",
	"    Show a list of monitored masters and their state.",
	"MONITOR <name> <ip> <port> <quorum>",
	"    Start monitoring a new master with the specified name, ip, port and quorum.",
	"MYID",
	"    Return the ID of the Sentinel instance.",
	"PENDING-SCRIPTS",
	"    Get pending scripts information.",
	"REMOVE <master-name>",
	"    Remove master from Sentinel's monitor list.",
	"REPLICAS <master-name>",
	"    Show a list of replicas for this master and their state.",
	"RESET <pattern>",
	"    Reset masters for specific master name matching this pattern.",
	"SENTINELS <master-name>",
	"    Show a list of Sentinel instances for this master and their state.",
	"SET <master-name> <option> <value> [<option> <value> ...]",
	"    Set configuration parameters for certain masters.",
	"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
	"    Simulate a Sentinel crash.",
	"HELP",
	"    Prints this help.",
}

func subHelp(s *Sentinel, w *resp.Writer, argv []string) {
	w.Array(len(sentinelHelp))
	for _, l := range sentinelHelp {
		w.Simple(l)
	}
}
