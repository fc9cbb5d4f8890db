package link

import (
	"strings"
	"time"
)

// DefaultReplicaPriority is the priority a replica has when its INFO carries no
// slave_priority line (Redis's SENTINEL_DEFAULT_SLAVE_PRIORITY).
const DefaultReplicaPriority = 100

// Role is the role an instance reports in the role: line of INFO.
type Role uint8

// Roles reported by INFO. RoleUnknown means no role:master or role:slave line was seen.
const (
	RoleUnknown Role = iota
	RoleMaster
	RoleSlave
)

// String returns "master", "slave" or "unknown", the words Redis uses.
func (r Role) String() string {
	switch r {
	case RoleMaster:
		return "master"
	case RoleSlave:
		return "slave"
	}
	return "unknown"
}

// ReplicaAddr is one slave<N>: line of a master's INFO: only the address, which is all
// Sentinel uses from it.
type ReplicaAddr struct {
	IP   string
	Port int
}

// Info holds the INFO fields Redis Sentinel reads from a monitored instance, parsed the
// way sentinelRefreshInstanceInfo parses them (prefix matches, C atoi/strtoll numbers).
// Fields that apply only to replicas are read only after a role:slave line.
type Info struct {
	// RunID is the 40 characters after run_id: (empty if the line is shorter than 47).
	RunID string
	// Role is the reported role.
	Role Role
	// Replicas lists the slave<N>: lines in order, old (ip,port,state) and new
	// (ip=…,port=…) formats alike. Sentinel uses them only for instances it treats as
	// masters.
	Replicas []ReplicaAddr
	// MasterLinkDownSince is master_link_down_since_seconds × 1000 ms; 0 when absent
	// (the link is up or the instance is a master), -1 s when the link was never up.
	MasterLinkDownSince time.Duration
	// MasterHost and MasterPort are the upstream a replica reports.
	MasterHost string
	MasterPort int
	// MasterLinkUp is true when master_link_status starts with "up" (case-insensitive).
	MasterLinkUp bool
	// Priority is slave_priority (DefaultReplicaPriority when absent).
	Priority int
	// ReplOffset is slave_repl_offset, used to order promotion candidates.
	ReplOffset uint64
	// Announced is replica_announced (true when absent); false hides the replica from
	// SENTINEL REPLICAS.
	Announced bool
}

// ParseInfo parses the text of an INFO reply. It never fails: lines it does not know are
// skipped, as Redis Sentinel does.
func ParseInfo(text string) Info {
	in := Info{Priority: DefaultReplicaPriority, Announced: true}
	for _, l := range strings.Split(text, "\r\n") {
		in.parseLine(l)
	}
	return in
}

func (in *Info) parseLine(l string) {
	switch {
	case len(l) >= 47 && strings.HasPrefix(l, "run_id:"):
		in.RunID = l[7:47]
	case len(l) >= 7 && strings.HasPrefix(l, "slave") && isDigit(l[5]):
		if r, ok := parseReplicaLine(l); ok {
			in.Replicas = append(in.Replicas, r)
		}
	case len(l) >= 32 && strings.HasPrefix(l, "master_link_down_since_seconds"):
		in.MasterLinkDownSince = time.Duration(atoi64(l[31:])) * time.Second
	case strings.HasPrefix(l, "role:master"):
		in.Role = RoleMaster
	case strings.HasPrefix(l, "role:slave"):
		in.Role = RoleSlave
	case in.Role == RoleSlave:
		in.parseReplicaField(l)
	}
}

// parseReplicaField reads the fields Sentinel takes from replicas only.
func (in *Info) parseReplicaField(l string) {
	switch {
	case strings.HasPrefix(l, "master_host:"):
		in.MasterHost = l[12:]
	case strings.HasPrefix(l, "master_port:"):
		in.MasterPort = int(atoi64(l[12:]))
	case strings.HasPrefix(l, "master_link_status:"):
		in.MasterLinkUp = len(l) >= 21 && strings.EqualFold(l[19:21], "up")
	case strings.HasPrefix(l, "slave_priority:"):
		in.Priority = int(atoi64(l[15:]))
	case strings.HasPrefix(l, "slave_repl_offset:"):
		in.ReplOffset = strtoull(l[18:])
	case strings.HasPrefix(l, "replica_announced:"):
		in.Announced = atoi64(l[18:]) != 0
	}
}

// parseReplicaLine reads "slave0:ip=1.2.3.4,port=6380,…" or the old
// "slave0:1.2.3.4,6380,online".
func parseReplicaLine(l string) (ReplicaAddr, bool) {
	if !strings.Contains(l, "ip=") {
		_, rest, ok := strings.Cut(l, ":")
		if !ok {
			return ReplicaAddr{}, false
		}
		ip, rest, ok := strings.Cut(rest, ",")
		if !ok {
			return ReplicaAddr{}, false
		}
		port, _, ok := strings.Cut(rest, ",")
		if !ok {
			return ReplicaAddr{}, false
		}
		return ReplicaAddr{IP: ip, Port: int(atoi64(port))}, true
	}
	ipAt := strings.Index(l, "ip=")
	portAt := strings.Index(l, "port=")
	if portAt < 0 {
		return ReplicaAddr{}, false
	}
	ip, _, _ := strings.Cut(l[ipAt+3:], ",")
	port, _, _ := strings.Cut(l[portAt+5:], ",")
	return ReplicaAddr{IP: ip, Port: int(atoi64(port))}, true
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
