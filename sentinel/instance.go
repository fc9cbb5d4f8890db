package sentinel

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-db/vigil/failover"
	"github.com/vigil-db/vigil/resp"
)

// Kind is the type of a monitored instance (failover's: "master", "slave" or
// "sentinel" in Redis's events).
type Kind = failover.Kind

// Instance kinds, named as in Redis events (%@ starts with them).
const (
	KindMaster   = failover.KindMaster
	KindReplica  = failover.KindReplica
	KindSentinel = failover.KindSentinel
)

// Flags are Redis's SRI_* flags that SENTINEL MASTER shows.
type Flags uint32

// Flag bits, in the order they are listed in the `flags` field.
const (
	FlagSDown Flags = 1 << iota
	FlagODown
	FlagMaster
	FlagSlave
	FlagSentinel
	FlagDisconnected
	FlagMasterDown
	FlagFailoverInProgress
	FlagPromoted
	FlagReconfSent
	FlagReconfInprog
	FlagReconfDone
	FlagForceFailover
	FlagScriptKillSent
)

var flagNames = []string{"s_down", "o_down", "master", "slave", "sentinel", "disconnected", "master_down",
	"failover_in_progress", "promoted", "reconf_sent", "reconf_inprog", "reconf_done", "force_failover", "script_kill_sent"}

// String is the comma list of SENTINEL MASTER's flags field.
func (f Flags) String() string {
	var parts []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

// instance is sentinelRedisInstance: a master, a replica or another sentinel,
// as this sentinel sees it. Only the loop goroutine touches it.
type instance struct {
	kind   Kind
	name   string // master name, ip:port, or the sentinel's run ID
	addr   Addr
	runID  string
	flags  Flags
	master *instance // for replicas and sentinels

	pendingCommands, refcount int
	pingSent                  time.Time // oldest unanswered PING, zero if none
	lastAvailable, lastReply  time.Time // last valid PING reply, last reply of any kind

	infoRefresh      time.Time
	info             string
	roleReported     Kind
	roleReportedTime time.Time

	// masters
	conf       *MasterConfig
	replicas   []*instance
	sentinels  []*instance
	ledEpoch   uint64    // epoch of the failover we were elected to lead (client-reconfig-script role)
	gossipDown bool      // last SDOWN opinion gossiped on the mesh
	gossipAt   time.Time // when it was gossiped
	// leaseExpired: its last INFO said fenced_lease:expired (+fenced-lease-expired)
	leaseExpired bool

	// replicas
	masterLinkDownTime time.Duration
	masterLinkUp       bool
	masterHost         string
	masterPort         int
	priority           int
	replOffset         int64
	masterReplOffset   int64 // master_repl_offset from its INFO while it reports role:master
	announced          bool

	// sentinels
	lastHello time.Time
}

func newMaster(conf *MasterConfig, now time.Time) *instance {
	m := &instance{kind: KindMaster, name: conf.Name, addr: Addr{Host: conf.Host, Port: conf.Port}, conf: conf,
		flags: FlagMaster | FlagDisconnected, refcount: 1, roleReported: KindMaster, roleReportedTime: now,
		lastAvailable: now, lastReply: now}
	for _, r := range conf.KnownReplicas {
		m.addReplica(r, now)
	}
	for _, s := range conf.KnownSentinels {
		m.addSentinel(s, now)
	}
	return m
}

func (m *instance) addReplica(a Addr, now time.Time) *instance {
	r := &instance{kind: KindReplica, name: a.String(), addr: a, master: m, flags: FlagSlave | FlagDisconnected,
		refcount: 1, roleReported: KindReplica, roleReportedTime: now, lastAvailable: now, lastReply: now,
		masterHost: "?", priority: 100, announced: true}
	m.replicas = append(m.replicas, r)
	return r
}

func (m *instance) addSentinel(s KnownSentinel, now time.Time) *instance {
	si := &instance{kind: KindSentinel, name: s.RunID, runID: s.RunID, addr: s.Addr, master: m,
		flags: FlagSentinel | FlagDisconnected, refcount: 1, lastAvailable: now, lastReply: now}
	m.sentinels = append(m.sentinels, si)
	return si
}

// downAfter is the master's down-after-milliseconds (replicas and sentinels inherit it).
func (i *instance) downAfter() time.Duration {
	if i.conf != nil {
		return i.conf.DownAfter
	}
	if i.master != nil && i.master.conf != nil {
		return i.master.conf.DownAfter
	}
	return DefaultDownAfter
}

// eventID is Redis's %@: "<type> <name> <ip> <port>[ @ <master> <ip> <port>]".
func (i *instance) eventID() string {
	s := i.kind.String() + " " + i.name + " " + i.addr.Host + " " + strconv.Itoa(i.addr.Port)
	if i.master != nil {
		s += " @ " + i.master.name + " " + i.master.addr.Host + " " + strconv.Itoa(i.master.addr.Port)
	}
	return s
}

// ms is "milliseconds since t", 0 when t is zero.
func ms(now, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t).Milliseconds()
}

// writeMap writes the instance map of SENTINEL MASTER/REPLICAS/SENTINELS in
// Redis's field order (spec §6.2); d is the machine's part (Sentinel.view), announce
// gives the ip field from the address.
func (i *instance) writeMap(w *resp.Writer, now time.Time, d decided, announce func(host string) string) {
	flags := i.flags | d.flags
	var kv []string
	add := func(k, v string) { kv = append(kv, k, v) }
	addInt := func(k string, v int64) { add(k, strconv.FormatInt(v, 10)) }
	add("name", i.name)
	add("ip", announce(i.addr.Host))
	addInt("port", int64(i.addr.Port))
	add("runid", i.runID)
	add("flags", flags.String())
	addInt("link-pending-commands", int64(i.pendingCommands))
	addInt("link-refcount", int64(i.refcount))
	if flags&FlagFailoverInProgress != 0 && d.failState != "" {
		add("failover-state", d.failState)
	}
	addInt("last-ping-sent", ms(now, i.pingSent))
	addInt("last-ok-ping-reply", ms(now, i.lastAvailable))
	addInt("last-ping-reply", ms(now, i.lastReply))
	if flags&FlagSDown != 0 {
		addInt("s-down-time", ms(now, d.sdownSince))
	}
	if flags&FlagODown != 0 {
		addInt("o-down-time", ms(now, d.odownSince))
	}
	addInt("down-after-milliseconds", i.downAfter().Milliseconds())
	if i.kind != KindSentinel {
		addInt("info-refresh", ms(now, i.infoRefresh))
		add("role-reported", i.roleReported.String())
		addInt("role-reported-time", ms(now, i.roleReportedTime))
	}
	switch i.kind {
	case KindMaster:
		c := i.conf
		addInt("config-epoch", int64(d.configEpoch))
		addInt("num-slaves", int64(len(i.replicas)))
		addInt("num-other-sentinels", int64(len(i.sentinels)))
		addInt("quorum", int64(c.Quorum))
		addInt("failover-timeout", c.FailoverTimeout.Milliseconds())
		addInt("parallel-syncs", int64(c.ParallelSyncs))
		if c.NotificationScript != "" {
			add("notification-script", c.NotificationScript)
		}
		if c.ClientReconfigScript != "" {
			add("client-reconfig-script", c.ClientReconfigScript)
		}
	case KindReplica:
		addInt("master-link-down-time", i.masterLinkDownTime.Milliseconds())
		add("master-link-status", map[bool]string{true: "ok", false: "err"}[i.masterLinkUp])
		add("master-host", i.masterHost)
		addInt("master-port", int64(i.masterPort))
		addInt("slave-priority", int64(i.priority))
		addInt("slave-repl-offset", i.replOffset)
		addInt("replica-announced", map[bool]int64{true: 1, false: 0}[i.announced])
	case KindSentinel:
		addInt("last-hello-message", ms(now, i.lastHello))
		leader := d.leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", leader)
		addInt("voted-leader-epoch", int64(d.leaderEpoch))
	}
	w.Map(len(kv) / 2)
	for _, s := range kv {
		w.BulkString(s)
	}
}

func (i *instance) findReplica(a Addr) *instance {
	for _, r := range i.replicas {
		if r.addr == a {
			return r
		}
	}
	return nil
}
