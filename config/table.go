package config

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
)

// Integer limits of redis-server's C types, used as directive bounds.
const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
)

// Directives returns the table of every directive redis-server 7.0 accepts, in a
// stable order. Each call builds a fresh table; the caller may keep it.
func Directives() []Directive {
	var t []Directive
	t = append(t, generalDirectives()...)
	t = append(t, memoryDirectives()...)
	t = append(t, persistenceDirectives()...)
	t = append(t, replicationDirectives()...)
	t = append(t, ignoredDirectives()...)
	return t
}

// IgnoredDirectives returns the sorted canonical names of the directives Vigil
// accepts for compatibility but does not act upon.
func IgnoredDirectives() []string {
	var out []string
	for _, d := range Directives() {
		if d.Ignored {
			out = append(out, d.Name)
		}
	}
	slices.Sort(out)
	return out
}

func generalDirectives() []Directive {
	none := flag(0)
	return []Directive{
		specialDir("bind", "", fMulti, getBind, setBind, rewriteBind),
		intDir("port", "", none, KindInt, 0, 65535, fInt(func(s *Server) *int { return &s.Port }), nil),
		strDir("unixsocket", "", fImmutable|fEmptyNull, fStr(func(s *Server) *string { return &s.UnixSocket }), nil),
		intDir("unixsocketperm", "", fImmutable|fOctal, KindInt, 0, 0o777, intVar{
			func(s *Server) int64 { return int64(s.UnixSocketPerm) },
			func(s *Server, v int64) { s.UnixSocketPerm = uint32(v) },
		}, nil),
		boolDir("protected-mode", "", none, fBool(func(s *Server) *bool { return &s.ProtectedMode })),
		intDir("tcp-backlog", "", fImmutable, KindInt, 0, intMax, fInt(func(s *Server) *int { return &s.TCPBacklog }), nil),
		intDir("timeout", "", none, KindInt, 0, intMax, fSeconds(func(s *Server) *timeDuration { return &s.Timeout }), nil),
		intDir("tcp-keepalive", "", none, KindInt, 0, intMax, fSeconds(func(s *Server) *timeDuration { return &s.TCPKeepalive }), nil),
		intDir("maxclients", "", none, KindInt, 1, uintMax, fInt(func(s *Server) *int { return &s.MaxClients }), nil),
		strDir("requirepass", "", fSensitive|fEmptyNull, fStr(func(s *Server) *string { return &s.RequirePass }), nil),
		intDir("proto-max-bulk-len", "", none, KindMemory, 1024*1024, longMax, fInt64(func(s *Server) *int64 { return &s.ProtoMaxBulkLen }), nil),
		intDir("proto-max-reply-len", "", fHidden, KindMemory, 0, longMax, fInt64(func(s *Server) *int64 { return &s.ProtoMaxReplyLen }), nil),
		intDir("client-query-buffer-limit", "", none, KindMemory, 1024*1024, longMax, fInt64(func(s *Server) *int64 { return &s.ClientQueryBufferLimit }), nil),
		specialDir("client-output-buffer-limit", "", fMulti, getOutputBufferLimit, setOutputBufferLimit, rewriteOutputBufferLimit),
		strDir("bind-source-addr", "", fEmptyNull, fStr(func(s *Server) *string { return &s.BindSourceAddr }), nil),

		intDir("databases", "", fImmutable, KindInt, 1, intMax, fInt(func(s *Server) *int { return &s.Databases }), nil),
		intDir("hz", "", none, KindInt, 0, intMax, fInt(func(s *Server) *int { return &s.Hz }), clampHz),
		boolDir("dynamic-hz", "", none, fBool(func(s *Server) *bool { return &s.DynamicHz })),
		enumDir("loglevel", "", none, []string{"debug", "verbose", "notice", "warning"}, fStr(func(s *Server) *string { return &s.LogLevel })),
		strDir("logfile", "", fImmutable, fStr(func(s *Server) *string { return &s.LogFile }), nil),
		boolDir("daemonize", "", fImmutable, fBool(func(s *Server) *bool { return &s.Daemonize })),
		enumDir("supervised", "", fImmutable, []string{"upstart", "systemd", "auto", "no"}, fStr(func(s *Server) *string { return &s.Supervised })),
		boolDir("always-show-logo", "", fImmutable, fBool(func(s *Server) *bool { return &s.AlwaysShowLogo })),
		strDir("pidfile", "", fImmutable|fEmptyNull, fStr(func(s *Server) *string { return &s.PidFile }), nil),
		specialDir("dir", "", fProtected|fDenyLoading, getDir, setDir, rewriteDir),
		enumDir("enable-debug-command", "", fImmutable, protectedValues(), fStr(func(s *Server) *string { return &s.EnableDebugCommand })),
		enumDir("enable-protected-configs", "", fImmutable, protectedValues(), fStr(func(s *Server) *string { return &s.EnableProtectedConfigs })),
		specialDir("notify-keyspace-events", "", 0, getNotify, setNotify, rewriteNotify),
		intDir("slowlog-log-slower-than", "", none, KindInt, -1, llongMax, fInt64(func(s *Server) *int64 { return &s.SlowlogLogSlowerThan }), nil),
		intDir("slowlog-max-len", "", none, KindInt, 0, longMax, fInt(func(s *Server) *int { return &s.SlowlogMaxLen }), nil),
		intDir("latency-monitor-threshold", "", none, KindInt, 0, llongMax, fInt64(func(s *Server) *int64 { return &s.LatencyMonitorThreshold }), nil),
		boolDir("latency-tracking", "", none, fBool(func(s *Server) *bool { return &s.LatencyTracking })),
		specialDir("latency-tracking-info-percentiles", "", fMulti, getPercentiles, setPercentiles, rewritePercentiles),
		strDir("aclfile", "", fImmutable, fStr(func(s *Server) *string { return &s.ACLFile }), noACLFile),
		intDir("acllog-max-len", "", none, KindInt, 0, longMax, fInt(func(s *Server) *int { return &s.ACLLogMaxLen }), nil),
		enumDir("acl-pubsub-default", "", none, []string{"allchannels", "resetchannels"}, fStr(func(s *Server) *string { return &s.ACLPubsubDefault })),
		intDir("tracking-table-max-keys", "", none, KindInt, 0, longMax, fInt64(func(s *Server) *int64 { return &s.TrackingTableMaxKeys }), nil),
		shutdownDir("shutdown-on-sigint", fStr(func(s *Server) *string { return &s.ShutdownOnSigint })),
		shutdownDir("shutdown-on-sigterm", fStr(func(s *Server) *string { return &s.ShutdownOnSigterm })),
		intDir("shutdown-timeout", "", none, KindInt, 0, intMax, fSeconds(func(s *Server) *timeDuration { return &s.ShutdownTimeout }), nil),
	}
}

func memoryDirectives() []Directive {
	none := flag(0)
	i := func(name, alias string, lo, hi int64, p func(*Server) *int) Directive {
		return intDir(name, alias, none, KindInt, lo, hi, fInt(p), nil)
	}
	m := func(name, alias string, lo, hi int64, p func(*Server) *int) Directive {
		return intDir(name, alias, none, KindMemory, lo, hi, fInt(p), nil)
	}
	b := func(name string, p func(*Server) *bool) Directive { return boolDir(name, "", none, fBool(p)) }
	return []Directive{
		intDir("maxmemory", "", none, KindMemory, 0, math.MaxInt64, fInt64(func(s *Server) *int64 { return &s.MaxMemory }), nil),
		intDir("maxmemory-clients", "", fPercent, KindMemory, -100, llongMax, fInt64(func(s *Server) *int64 { return &s.MaxMemoryClients }), nil),
		enumDir("maxmemory-policy", "", none, []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
			"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, fStr(func(s *Server) *string { return &s.MaxMemoryPolicy })),
		i("maxmemory-samples", "", 1, intMax, func(s *Server) *int { return &s.MaxMemorySamples }),
		i("maxmemory-eviction-tenacity", "", 0, 100, func(s *Server) *int { return &s.MaxMemoryEvictionTenacity }),
		i("lfu-log-factor", "", 0, intMax, func(s *Server) *int { return &s.LFULogFactor }),
		i("lfu-decay-time", "", 0, intMax, func(s *Server) *int { return &s.LFUDecayTime }),
		intDir("rdb-key-save-delay", "", fHidden, KindInt, intMin, intMax, fInt(func(s *Server) *int { return &s.RDBKeySaveDelay }), nil),
		b("lazyfree-lazy-eviction", func(s *Server) *bool { return &s.LazyfreeLazyEviction }),
		b("lazyfree-lazy-expire", func(s *Server) *bool { return &s.LazyfreeLazyExpire }),
		b("lazyfree-lazy-server-del", func(s *Server) *bool { return &s.LazyfreeLazyServerDel }),
		b("lazyfree-lazy-user-del", func(s *Server) *bool { return &s.LazyfreeLazyUserDel }),
		b("lazyfree-lazy-user-flush", func(s *Server) *bool { return &s.LazyfreeLazyUserFlush }),
		i("active-expire-effort", "", 1, 10, func(s *Server) *int { return &s.ActiveExpireEffort }),

		i("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, longMax, func(s *Server) *int { return &s.HashMaxListpackEntries }),
		m("hash-max-listpack-value", "hash-max-ziplist-value", 0, longMax, func(s *Server) *int { return &s.HashMaxListpackValue }),
		i("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, longMax, func(s *Server) *int { return &s.ZsetMaxListpackEntries }),
		m("zset-max-listpack-value", "zset-max-ziplist-value", 0, longMax, func(s *Server) *int { return &s.ZsetMaxListpackValue }),
		i("set-max-intset-entries", "", 0, longMax, func(s *Server) *int { return &s.SetMaxIntsetEntries }),
		i("list-max-listpack-size", "list-max-ziplist-size", intMin, intMax, func(s *Server) *int { return &s.ListMaxListpackSize }),
		i("list-compress-depth", "", 0, intMax, func(s *Server) *int { return &s.ListCompressDepth }),
		intDir("stream-node-max-bytes", "", none, KindMemory, 0, longMax, fInt64(func(s *Server) *int64 { return &s.StreamNodeMaxBytes }), nil),
		intDir("stream-node-max-entries", "", none, KindInt, 0, llongMax, fInt64(func(s *Server) *int64 { return &s.StreamNodeMaxEntries }), nil),
		intDir("hll-sparse-max-bytes", "", none, KindMemory, 0, longMax, fInt64(func(s *Server) *int64 { return &s.HllSparseMaxBytes }), nil),
	}
}

func persistenceDirectives() []Directive {
	none := flag(0)
	b := func(name string, f flag, p func(*Server) *bool) Directive { return boolDir(name, "", f, fBool(p)) }
	return []Directive{
		specialDir("save", "", fMulti, getSave, setSave, rewriteSave),
		strDir("dbfilename", "", fProtected, fStr(func(s *Server) *string { return &s.DBFilename }), baseName("dbfilename can't be a path, just a filename", "")),
		b("rdbcompression", none, func(s *Server) *bool { return &s.RDBCompression }),
		b("rdbchecksum", fImmutable, func(s *Server) *bool { return &s.RDBChecksum }),
		intDir("key-load-delay", "", fHidden, KindInt, intMin, intMax, fInt(func(s *Server) *int { return &s.KeyLoadDelay }), nil),
		intDir("loading-process-events-interval-bytes", "", fHidden, KindInt, 1024, intMax,
			fInt(func(s *Server) *int { return &s.LoadingProcessEventsIntervalBytes }), nil),
		b("stop-writes-on-bgsave-error", none, func(s *Server) *bool { return &s.StopWritesOnBgsaveError }),
		b("rdb-del-sync-files", none, func(s *Server) *bool { return &s.RDBDelSyncFiles }),
		b("rdb-save-incremental-fsync", none, func(s *Server) *bool { return &s.RDBSaveIncrementalFsync }),
		enumDir("sanitize-dump-payload", "", none, []string{"no", "yes", "clients"}, fStr(func(s *Server) *string { return &s.SanitizeDumpPayload })),
		b("appendonly", fDenyLoading, func(s *Server) *bool { return &s.AppendOnly }),
		strDir("appendfilename", "", fImmutable, fStr(func(s *Server) *string { return &s.AppendFilename }),
			baseName("appendfilename can't be a path, just a filename", "appendfilename can't be empty")),
		strDir("appenddirname", "", fImmutable, fStr(func(s *Server) *string { return &s.AppendDirname }),
			baseName("appenddirname can't be a path, just a dirname", "appenddirname can't be empty")),
		enumDir("appendfsync", "", none, []string{"everysec", "always", "no"}, fStr(func(s *Server) *string { return &s.AppendFsync })),
		b("no-appendfsync-on-rewrite", none, func(s *Server) *bool { return &s.NoAppendfsyncOnRewrite }),
		intDir("auto-aof-rewrite-percentage", "", none, KindInt, 0, intMax, fInt(func(s *Server) *int { return &s.AutoAOFRewritePercentage }), nil),
		intDir("auto-aof-rewrite-min-size", "", none, KindMemory, 0, llongMax, fInt64(func(s *Server) *int64 { return &s.AutoAOFRewriteMinSize }), nil),
		b("aof-load-truncated", none, func(s *Server) *bool { return &s.AOFLoadTruncated }),
		b("aof-use-rdb-preamble", none, func(s *Server) *bool { return &s.AOFUseRDBPreamble }),
		b("aof-rewrite-incremental-fsync", none, func(s *Server) *bool { return &s.AOFRewriteIncrementalFsync }),
		b("aof-timestamp-enabled", none, func(s *Server) *bool { return &s.AOFTimestampEnabled }),
		b("aof-disable-auto-gc", none, func(s *Server) *bool { return &s.AOFDisableAutoGC }),
	}
}

func replicationDirectives() []Directive {
	none := flag(0)
	b := func(name, alias string, p func(*Server) *bool) Directive { return boolDir(name, alias, none, fBool(p)) }
	i := func(name, alias string, lo int64, p func(*Server) *int) Directive {
		return intDir(name, alias, none, KindInt, lo, intMax, fInt(p), nil)
	}
	sec := func(name, alias string, lo, hi int64, p func(*Server) *timeDuration) Directive {
		return intDir(name, alias, none, KindInt, lo, hi, fSeconds(p), nil)
	}
	return []Directive{
		specialDir("replicaof", "slaveof", fImmutable|fMulti, getReplicaOf, setReplicaOf, rewriteReplicaOf),
		strDir("masterauth", "", fSensitive|fEmptyNull, fStr(func(s *Server) *string { return &s.MasterAuth }), nil),
		strDir("masteruser", "", fSensitive|fEmptyNull, fStr(func(s *Server) *string { return &s.MasterUser }), nil),
		b("replica-read-only", "slave-read-only", func(s *Server) *bool { return &s.ReplicaReadOnly }),
		b("replica-serve-stale-data", "slave-serve-stale-data", func(s *Server) *bool { return &s.ReplicaServeStaleData }),
		i("replica-priority", "slave-priority", 0, func(s *Server) *int { return &s.ReplicaPriority }),
		b("replica-announced", "", func(s *Server) *bool { return &s.ReplicaAnnounced }),
		strDir("replica-announce-ip", "slave-announce-ip", fEmptyNull, fStr(func(s *Server) *string { return &s.ReplicaAnnounceIP }), nil),
		intDir("replica-announce-port", "slave-announce-port", none, KindInt, 0, 65535, fInt(func(s *Server) *int { return &s.ReplicaAnnouncePort }), nil),
		b("replica-lazy-flush", "slave-lazy-flush", func(s *Server) *bool { return &s.ReplicaLazyFlush }),
		b("replica-ignore-maxmemory", "slave-ignore-maxmemory", func(s *Server) *bool { return &s.ReplicaIgnoreMaxmemory }),
		b("replica-ignore-disk-write-errors", "", func(s *Server) *bool { return &s.ReplicaIgnoreDiskWriteErrors }),
		intDir("repl-backlog-size", "", none, KindMemory, 1, llongMax, fInt64(func(s *Server) *int64 { return &s.ReplBacklogSize }), nil),
		sec("repl-backlog-ttl", "", 0, longMax, func(s *Server) *timeDuration { return &s.ReplBacklogTTL }),
		sec("repl-timeout", "", 1, intMax, func(s *Server) *timeDuration { return &s.ReplTimeout }),
		sec("repl-ping-replica-period", "repl-ping-slave-period", 1, intMax, func(s *Server) *timeDuration { return &s.ReplPingReplicaPeriod }),
		b("repl-diskless-sync", "", func(s *Server) *bool { return &s.ReplDisklessSync }),
		sec("repl-diskless-sync-delay", "", 0, intMax, func(s *Server) *timeDuration { return &s.ReplDisklessSyncDelay }),
		i("repl-diskless-sync-max-replicas", "", 0, func(s *Server) *int { return &s.ReplDisklessSyncMaxReplicas }),
		enumDir("repl-diskless-load", "", fDenyLoading, []string{"disabled", "on-empty-db", "swapdb"}, fStr(func(s *Server) *string { return &s.ReplDisklessLoad })),
		b("repl-disable-tcp-nodelay", "", func(s *Server) *bool { return &s.ReplDisableTCPNoDelay }),
		i("min-replicas-to-write", "min-slaves-to-write", 0, func(s *Server) *int { return &s.MinReplicasToWrite }),
		i("min-replicas-max-lag", "min-slaves-max-lag", 0, func(s *Server) *int { return &s.MinReplicasMaxLag }),
		b("fenced-mode", "", func(s *Server) *bool { return &s.FencedMode }),
		i("fenced-replicas", "", 1, func(s *Server) *int { return &s.FencedReplicas }),
		i("fenced-lease-ms", "", 0, func(s *Server) *int { return &s.FencedLeaseMs }),
		enumDir("propagation-error-behavior", "", none, []string{"ignore", "panic", "panic-on-replicas"}, fStr(func(s *Server) *string { return &s.PropagationErrorBehavior })),
		intDir("io-threads", "", fImmutable, KindInt, 1, 128, fInt(func(s *Server) *int { return &s.IOThreads }), nil),
	}
}

func protectedValues() []string { return []string{"no", "yes", "local"} }

// clampHz is Redis's updateHZ: hz is a hint, clamped to 1..500.
func clampHz(v int64) (int64, error) {
	return min(max(v, 1), 500), nil
}

// baseName validates a file name that must not be a path (Redis pathIsBaseName).
func baseName(notBase, empty string) func(string) error {
	return func(v string) error {
		if empty != "" && v == "" {
			return reason(empty)
		}
		if strings.ContainsRune(v, '/') {
			return reason(notBase)
		}
		return nil
	}
}

// absFrom resolves p against base like chdir would.
func absFrom(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	return filepath.Join(base, p)
}
