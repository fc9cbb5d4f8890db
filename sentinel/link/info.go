package link

import (
	"strings"
	"time"

	"github.com/vigil-db/vigil/failover"
)

// ParseInfo parses the text of an INFO reply into the fields Redis Sentinel reads, the way
// sentinelRefreshInstanceInfo parses them (prefix matches, C atoi/strtoll numbers; fields
// that apply only to replicas are read only after a role:slave line). It never fails:
// lines it does not know are skipped, as Redis Sentinel does. Announced is true unless
// replica_announced says 0; HasPriority says whether a slave_priority line was present.
func ParseInfo(text string) failover.Info {
	in := info{Announced: true}
	for _, l := range strings.Split(text, "\r\n") {
		in.parseLine(l)
	}
	return failover.Info(in)
}

// info is failover.Info with the parsing methods.
type info failover.Info

func (in *info) parseLine(l string) {
	switch {
	case len(l) >= 47 && strings.HasPrefix(l, "run_id:"):
		in.RunID = l[7:47]
	case len(l) >= 7 && strings.HasPrefix(l, "slave") && isDigit(l[5]):
		if r, ok := parseReplicaLine(l); ok {
			in.Replicas = append(in.Replicas, r)
		}
	case len(l) >= 32 && strings.HasPrefix(l, "master_link_down_since_seconds"):
		in.MasterLinkDownTime = time.Duration(atoi64(l[31:])) * time.Second
	case strings.HasPrefix(l, "role:master"):
		in.Role = failover.RoleMaster
	case strings.HasPrefix(l, "role:slave"):
		in.Role = failover.RoleSlave
	case in.Role == failover.RoleMaster && strings.HasPrefix(l, "master_repl_offset:"):
		in.MasterReplOffset = atoi64(l[19:])
	case strings.HasPrefix(l, "fenced_mode:"):
		in.Fencing.On = atoi64(l[12:]) == 1
	case strings.HasPrefix(l, "fenced_replicas:"):
		in.Fencing.Replicas = int(atoi64(l[16:]))
	case in.Role == failover.RoleSlave:
		in.parseReplicaField(l)
	}
}

// parseReplicaField reads the fields Sentinel takes from replicas only.
func (in *info) parseReplicaField(l string) {
	switch {
	case strings.HasPrefix(l, "master_host:"):
		in.MasterHost = l[12:]
	case strings.HasPrefix(l, "master_port:"):
		in.MasterPort = int(atoi64(l[12:]))
	case strings.HasPrefix(l, "master_link_status:"):
		in.MasterLinkUp = strings.EqualFold(l[19:], "up")
	case strings.HasPrefix(l, "slave_priority:"):
		in.Priority, in.HasPriority = int(atoi64(l[15:])), true
	case strings.HasPrefix(l, "slave_repl_offset:"):
		in.ReplOffset = int64(min(strtoull(l[18:]), 1<<63-1))
	case strings.HasPrefix(l, "replica_announced:"):
		in.Announced = atoi64(l[18:]) != 0
	}
}

// parseReplicaLine reads "slave0:ip=1.2.3.4,port=6380,…" or the old
// "slave0:1.2.3.4,6380,online".
func parseReplicaLine(l string) (failover.Addr, bool) {
	if !strings.Contains(l, "ip=") {
		_, rest, ok := strings.Cut(l, ":")
		if !ok {
			return failover.Addr{}, false
		}
		ip, rest, ok := strings.Cut(rest, ",")
		if !ok {
			return failover.Addr{}, false
		}
		port, _, ok := strings.Cut(rest, ",")
		if !ok {
			return failover.Addr{}, false
		}
		return failover.Addr{Host: ip, Port: int(atoi64(port))}, true
	}
	ipAt := strings.Index(l, "ip=")
	portAt := strings.Index(l, "port=")
	if portAt < 0 {
		return failover.Addr{}, false
	}
	ip, _, _ := strings.Cut(l[ipAt+3:], ",")
	port, _, _ := strings.Cut(l[portAt+5:], ",")
	return failover.Addr{Host: ip, Port: int(atoi64(port))}, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoi64 parses like C's strtoll(s, NULL, 10): leading spaces, an optional sign, then
// as many digits as there are; 0 when there are none. It saturates instead of
// overflowing.
func atoi64(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if n > (1<<63-1-d)/10 {
			if neg {
				return -1 << 63
			}
			return 1<<63 - 1
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

// strtoull parses like C's strtoull(s, NULL, 10) for non-negative input; a leading
// minus yields 0 here (C would wrap), and overflow saturates.
func strtoull(s string) uint64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && s[0] == '+' {
		s = s[1:]
	}
	var n uint64
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		d := uint64(s[i] - '0')
		if n > (1<<64-1-d)/10 {
			return 1<<64 - 1
		}
		n = n*10 + d
	}
	return n
}
