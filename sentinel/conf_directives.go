package sentinel

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/resp"
)

// globalArity is the argument count (directive included) of the global sentinel directives.
var globalArity = map[string]int{
	"myid": 2, "current-epoch": 2, "announce-ip": 2, "announce-port": 2, "deny-scripts-reconfig": 2,
	"resolve-hostnames": 2, "announce-hostnames": 2, "sentinel-user": 2, "sentinel-pass": 2,
}

// masterArity is the argument count (directive included) of the per-master directives.
var masterArity = map[string][]int{
	"down-after-milliseconds": {3}, "failover-timeout": {3}, "parallel-syncs": {3},
	"notification-script": {3}, "client-reconfig-script": {3}, "auth-pass": {3}, "auth-user": {3},
	"master-reboot-down-after-period": {3}, "config-epoch": {3}, "leader-epoch": {3},
	"known-replica": {4}, "known-slave": {4}, "known-sentinel": {4, 5}, "rename-command": {4},
}

// applySentinel is sentinelHandleConfiguration: one `sentinel` line without
// its first word. It returns Redis's error reason, or "".
func (c *Config) applySentinel(args []string) string {
	dir := strings.ToLower(args[0])
	if n, ok := globalArity[dir]; ok {
		if len(args) != n {
			return msgUnrecognized
		}
		return c.applyGlobal(dir, args[1])
	}
	if dir == "monitor" {
		if len(args) != 5 {
			return msgUnrecognized
		}
		return c.applyMonitor(args[1:])
	}
	arity, ok := masterArity[dir]
	if !ok || !containsInt(arity, len(args)) {
		return msgUnrecognized
	}
	m := c.Master(args[1])
	if m == nil {
		return msgNoSuchMasterConf
	}
	return c.applyMaster(m, dir, args[2:])
}

func (c *Config) applyGlobal(dir, v string) string {
	switch dir {
	case "myid":
		if len(v) != RunIDSize {
			return msgMalformedID
		}
		c.MyID = v
	case "current-epoch":
		c.CurrentEpoch = strtoull(v)
	case "announce-ip":
		if v != "" {
			c.AnnounceIP = v
		}
	case "announce-port":
		c.AnnouncePort = atoi(v)
	case "deny-scripts-reconfig", "resolve-hostnames", "announce-hostnames":
		b, ok := yesNo(v)
		if !ok {
			if dir == "deny-scripts-reconfig" {
				return "Please specify yes or no for the deny-scripts-reconfig options."
			}
			return "Please specify yes or no for the " + dir + " option."
		}
		switch dir {
		case "deny-scripts-reconfig":
			c.DenyScriptsReconfig = b
		case "resolve-hostnames":
			c.ResolveHostnames = b
		default:
			c.AnnounceHostnames = b
		}
	case "sentinel-user":
		c.SentinelUser = v
	case "sentinel-pass":
		c.SentinelPass = v
	}
	return ""
}

func (c *Config) applyMonitor(args []string) string {
	quorum := atoi(args[3])
	if quorum <= 0 {
		return msgQuorum
	}
	port := atoi(args[2])
	if reason := c.checkAddr(args[1], port); reason != "" {
		return reason
	}
	if c.Master(args[0]) != nil {
		return msgDupMaster
	}
	c.Masters = append(c.Masters, NewMaster(args[0], args[1], port, quorum))
	return ""
}

// checkAddr is createSentinelAddr's validation: port range, then the host
// must be an IP unless resolve-hostnames is yes (then it must resolve).
func (c *Config) checkAddr(host string, port int) string {
	if port < 0 || port > 65535 {
		return msgInvalidPortNumber
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	if !c.ResolveHostnames {
		return msgCantResolve
	}
	if addrs, err := net.LookupHost(host); err != nil || len(addrs) == 0 {
		return msgCantResolve
	}
	return ""
}

func (c *Config) applyMaster(m *MasterConfig, dir string, args []string) string {
	switch dir {
	case "down-after-milliseconds", "failover-timeout":
		ms := atoi(args[0])
		if ms <= 0 {
			return "negative or zero time parameter."
		}
		if dir == "failover-timeout" {
			m.FailoverTimeout = time.Duration(ms) * time.Millisecond
		} else {
			m.DownAfter = time.Duration(ms) * time.Millisecond
		}
	case "parallel-syncs":
		m.ParallelSyncs = atoi(args[0])
	case "notification-script", "client-reconfig-script":
		if !c.executable(args[0]) {
			if dir == "notification-script" {
				return "Notification script seems non existing or non executable."
			}
			return "Client reconfiguration script seems non existing or non executable."
		}
		if dir == "notification-script" {
			m.NotificationScript = args[0]
		} else {
			m.ClientReconfigScript = args[0]
		}
	case "auth-pass":
		m.AuthPass = args[0]
	case "auth-user":
		m.AuthUser = args[0]
	case "master-reboot-down-after-period":
		ms := atoi(args[0])
		if ms < 0 {
			return "negative time parameter."
		}
		m.RebootDownAfter = time.Duration(ms) * time.Millisecond
	case "config-epoch":
		m.ConfigEpoch = strtoull(args[0])
	case "leader-epoch":
		m.LeaderEpoch = strtoull(args[0])
	default:
		return c.applyMasterList(m, dir, args)
	}
	return ""
}

func (c *Config) applyMasterList(m *MasterConfig, dir string, args []string) string {
	switch dir {
	case "known-replica", "known-slave":
		a := Addr{Host: args[0], Port: atoi(args[1])}
		if reason := c.checkAddr(a.Host, a.Port); reason != "" {
			return reason
		}
		for _, r := range m.KnownReplicas {
			if r == a {
				return "Duplicate hostname and port for replica."
			}
		}
		m.KnownReplicas = append(m.KnownReplicas, a)
	case "known-sentinel":
		if len(args) != 3 {
			return "" // the old form without a run ID is ignored
		}
		s := KnownSentinel{Addr: Addr{Host: args[0], Port: atoi(args[1])}, RunID: args[2]}
		if reason := c.checkAddr(s.Host, s.Port); reason != "" {
			return reason
		}
		for _, o := range m.KnownSentinels {
			if o.RunID == s.RunID {
				return "Duplicate runid for sentinel."
			}
		}
		m.KnownSentinels = append(m.KnownSentinels, s)
	case "rename-command":
		for _, r := range m.RenameCommands {
			if strings.EqualFold(r[0], args[0]) {
				return "Same command renamed multiple times with rename-command."
			}
		}
		m.RenameCommands = append(m.RenameCommands, [2]string{args[0], args[1]})
	}
	return ""
}

// executable is access(path, X_OK) == 0.
// executable reports whether the script at path (relative to the sentinel's dir, as
// Redis's access(2) after its chdir) can be run.
func (c *Config) executable(path string) bool {
	const xOK = 1
	return syscall.Access(c.Server.Path(path), xOK) == nil
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

func yesNo(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

// atoi is C's atoi: leading spaces, an optional sign, digits; anything else stops
// the number; no digits is 0. Values are clamped to the int32 range.
func atoi(s string) int {
	return int(clampInt(cNumber(s), -1<<31, 1<<31-1))
}

// strtoull is C's strtoull(s, NULL, 10): a leading minus wraps around.
func strtoull(s string) uint64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if n > (^uint64(0)-d)/10 {
			return ^uint64(0) // ERANGE: ULLONG_MAX, whatever the sign
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

func cNumber(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > (1<<62)/5 {
			n = 1<<63 - 1
			break
		}
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func clampInt(n, lo, hi int64) int64 {
	return max(lo, min(hi, n))
}

// parsePort parses a strict decimal port 0..65535.
func parsePort(s string) (int, bool) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0, false
	}
	return p, true
}

func splitHostPort(a string) (string, int, bool) {
	h, p, err := net.SplitHostPort(a)
	if err != nil || h == "" {
		return "", 0, false
	}
	port, ok := parsePort(p)
	return h, port, ok && port > 0
}

// strerror formats an I/O error like C's strerror.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := err.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

// quote is sdscatrepr when needed: plain words stay bare, others are quoted
// so that splitArgs gives them back intact.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\r\n\"'\\") && isPrintable(s) {
		return s
	}
	return repr(s)
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// repr is sdscatrepr.
func repr(s string) string { return string(resp.AppendRepr(nil, []byte(s))) }
