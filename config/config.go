package config

import (
	"strconv"
	"strings"
	"time"
)

// Server is the typed configuration of one `vigil server` (redis-server) process.
// Every field mirrors a Redis 7.0 directive; the directive name is given in the
// comment together with its unit and default. Fields are read by the server
// under its execution lock, and changed only by CONFIG SET under that lock.
type Server struct {
	// ConfigFile is the absolute path of the file the server was started with ("" if none).
	ConfigFile string

	// --- network ---

	// Bind lists the addresses to listen on (bind). Default "* -::*", what
	// redis-server uses without a file (the shipped redis.conf says
	// "127.0.0.1 -::1"); a leading '-' means "skip if unavailable".
	Bind []string
	// Port is the TCP port (port); 0 disables TCP. Default 6379.
	Port int
	// UnixSocket is the path of a Unix domain socket to listen on (unixsocket); "" = none.
	UnixSocket string
	// UnixSocketPerm is the octal permission of the socket file (unixsocketperm). Default 0.
	UnixSocketPerm uint32
	// ProtectedMode refuses non-loopback clients when no password is set (protected-mode). Default yes.
	ProtectedMode bool
	// TCPBacklog is the listen backlog (tcp-backlog). Default 511.
	TCPBacklog int
	// Timeout closes a client idle for this long; 0 = never (timeout, seconds). Default 0.
	Timeout time.Duration
	// TCPKeepalive is the TCP keepalive period; 0 = off (tcp-keepalive, seconds). Default 300.
	TCPKeepalive time.Duration
	// MaxClients caps simultaneous clients (maxclients). Default 10000.
	MaxClients int
	// RequirePass is the default user's password (requirepass); "" = no auth.
	RequirePass string
	// ProtoMaxBulkLen is the largest bulk string accepted (proto-max-bulk-len, bytes). Default 512mb.
	ProtoMaxBulkLen int64
	// ProtoMaxReplyLen is the largest reply of a read-only command (proto-max-reply-len,
	// bytes; Vigil's own, 0 = no limit): a bigger one is replaced by an error. Default 1gb.
	ProtoMaxReplyLen int64
	// ClientQueryBufferLimit is the largest query buffer per client (client-query-buffer-limit, bytes). Default 1gb.
	ClientQueryBufferLimit int64
	// ClientOutputBufferLimits holds the limits per class normal, replica, pubsub
	// (client-output-buffer-limit). Defaults: normal 0 0 0, replica 256mb 64mb 60, pubsub 32mb 8mb 60.
	ClientOutputBufferLimits [3]OutputBufferLimit

	// --- general ---

	// Databases is the number of logical databases (databases). Default 16.
	Databases int
	// Hz is the frequency of background tasks per second (hz, 1..500). Default 10.
	Hz int
	// DynamicHz scales hz with the number of clients (dynamic-hz). Default yes.
	DynamicHz bool
	// LogLevel is debug|verbose|notice|warning (loglevel). Default notice.
	LogLevel string
	// LogFile is the log destination; "" = standard output (logfile).
	LogFile string
	// Daemonize is accepted for compatibility; Vigil never forks (daemonize). Default no.
	Daemonize bool
	// Supervised is how the process talks to its service manager (supervised):
	// "systemd" sends sd_notify messages (READY=1, STATUS=, WATCHDOG=1, STOPPING=1) to
	// $NOTIFY_SOCKET, "upstart" stops itself with SIGSTOP once ready, "auto" picks one
	// from $UPSTART_JOB or $NOTIFY_SOCKET, "no" does nothing. Default no.
	Supervised string
	// AlwaysShowLogo prints the start-up banner (version, mode, port, PID) even when the
	// log is not a terminal (always-show-logo). Default no.
	AlwaysShowLogo bool
	// PidFile is written at start and removed at exit when set (pidfile).
	PidFile string
	// Dir is the directory that relative paths (dump, AOF directory, pidfile, logfile,
	// unixsocket) resolve against, as Redis's working directory (dir). Default ".".
	// The loader and CONFIG SET store it as an absolute path; nothing changes the
	// process working directory: components resolve paths with Path.
	Dir string
	// EnableDebugCommand gates DEBUG: "no", "yes" or "local" (enable-debug-command). Default "no".
	EnableDebugCommand string
	// EnableProtectedConfigs gates CONFIG SET of protected directives (enable-protected-configs). Default "no".
	EnableProtectedConfigs string
	// NotifyKeyspaceEvents is the flag string of keyspace notifications (notify-keyspace-events). Default "".
	NotifyKeyspaceEvents string
	// SlowlogLogSlowerThan is the slowlog threshold in microseconds; <0 disables (slowlog-log-slower-than). Default 10000.
	SlowlogLogSlowerThan int64
	// SlowlogMaxLen is the slowlog length (slowlog-max-len). Default 128.
	SlowlogMaxLen int
	// LatencyTrackingInfoPercentiles is accepted for INFO latencystats (latency-tracking-info-percentiles). Default "50 99 99.9".
	LatencyTrackingInfoPercentiles string
	// LatencyMonitorThreshold is the LATENCY monitor threshold in milliseconds; 0 = off
	// (latency-monitor-threshold). Default 0.
	LatencyMonitorThreshold int64
	// LatencyTracking enables per-command latency histograms (latency-tracking). Default yes.
	LatencyTracking bool
	// BindSourceAddr is the local address of outgoing connections to a master (bind-source-addr).
	BindSourceAddr string
	// ShutdownOnSigint and ShutdownOnSigterm are the SHUTDOWN flags used on a signal:
	// "default" or some of "save", "nosave", "now", "force" separated by spaces
	// (shutdown-on-sigint, shutdown-on-sigterm). Default "default".
	ShutdownOnSigint, ShutdownOnSigterm string

	// --- security ---

	// ACLFile is the external ACL file (aclfile); "" = users come from `user` lines.
	ACLFile string
	// ACLLogMaxLen is the ACL LOG length (acllog-max-len). Default 128.
	ACLLogMaxLen int
	// ACLPubsubDefault is allchannels|resetchannels for new users (acl-pubsub-default). Default resetchannels.
	ACLPubsubDefault string
	// Users holds the arguments of each `user <name> <rules...>` line, name first,
	// in file order. The server's ACL layer parses the rules.
	Users [][]string
	// RenameCommands holds each `rename-command <old> <new>` line in file order;
	// new = "" removes the command. The server checks that old exists.
	RenameCommands [][2]string
	// TrackingTableMaxKeys bounds the client-tracking table (tracking-table-max-keys). Default 1000000.
	TrackingTableMaxKeys int64

	// --- memory ---

	// MaxMemory is the memory limit in bytes; 0 = none (maxmemory). Default 0.
	MaxMemory int64
	// MaxMemoryClients bounds the memory of all normal and pub/sub clients together,
	// evicting the largest beyond it (maxmemory-clients); negative is a percentage of
	// maxmemory, 0 = no limit. Default 0.
	MaxMemoryClients int64
	// MaxMemoryPolicy is the eviction policy (maxmemory-policy). Default "noeviction".
	MaxMemoryPolicy string
	// MaxMemorySamples is the number of keys sampled per eviction (maxmemory-samples). Default 5.
	MaxMemorySamples int
	// MaxMemoryEvictionTenacity is 0..100 (maxmemory-eviction-tenacity). Default 10.
	MaxMemoryEvictionTenacity int
	// LFULogFactor is the LFU counter logarithm factor (lfu-log-factor). Default 10.
	LFULogFactor int
	// LFUDecayTime is the LFU decay period in minutes (lfu-decay-time). Default 1.
	LFUDecayTime int
	// RDBKeySaveDelay (rdb-key-save-delay, hidden) is a pause after each key a background
	// snapshot writes, in microseconds (a negative -N: 1 µs once in N keys), as Redis's
	// debugDelay.
	// Default 0. Used by tests to keep a save running.
	RDBKeySaveDelay int
	// LazyfreeLazyEviction, LazyfreeLazyExpire, LazyfreeLazyServerDel, LazyfreeLazyUserDel,
	// LazyfreeLazyUserFlush choose UNLINK semantics (lazyfree-lazy-*). Default no.
	LazyfreeLazyEviction, LazyfreeLazyExpire, LazyfreeLazyServerDel, LazyfreeLazyUserDel, LazyfreeLazyUserFlush bool
	// ActiveExpireEffort is 1..10 (active-expire-effort). Default 1.
	ActiveExpireEffort int

	// --- encodings ---

	// HashMaxListpackEntries (hash-max-listpack-entries, alias hash-max-ziplist-entries). Default 128.
	HashMaxListpackEntries int
	// HashMaxListpackValue in bytes (hash-max-listpack-value). Default 64.
	HashMaxListpackValue int
	// ZsetMaxListpackEntries (zset-max-listpack-entries). Default 128.
	ZsetMaxListpackEntries int
	// ZsetMaxListpackValue in bytes (zset-max-listpack-value). Default 64.
	ZsetMaxListpackValue int
	// SetMaxIntsetEntries (set-max-intset-entries). Default 512.
	SetMaxIntsetEntries int
	// ListMaxListpackSize (list-max-listpack-size, alias list-max-ziplist-size). Default -2.
	ListMaxListpackSize int
	// ListCompressDepth (list-compress-depth). Default 0.
	ListCompressDepth int
	// StreamNodeMaxBytes in bytes (stream-node-max-bytes). Default 4096.
	StreamNodeMaxBytes int64
	// StreamNodeMaxEntries (stream-node-max-entries). Default 100.
	StreamNodeMaxEntries int64
	// HllSparseMaxBytes in bytes (hll-sparse-max-bytes). Default 3000.
	HllSparseMaxBytes int64

	// --- persistence (used by the persistence issue) ---

	// Save lists the snapshot points (save "3600 1 300 100 60 10000"); empty = disabled.
	Save []SavePoint
	// DBFilename is the RDB file name (dbfilename). Default "dump.rdb".
	DBFilename string
	// RDBCompression enables LZF in RDB files (rdbcompression). Default yes.
	RDBCompression bool
	// RDBChecksum writes/verifies the CRC64 trailer (rdbchecksum). Default yes.
	RDBChecksum bool
	// KeyLoadDelay slows loading a dump down (key-load-delay, hidden, for rehearsing
	// slow restarts): microseconds slept after each key; a negative -N sleeps 1 µs
	// after one key in N on average. Default 0 (no delay).
	KeyLoadDelay int
	// LoadingProcessEventsIntervalBytes is how many bytes of a dump are loaded between
	// two points where loaded keys are published and waiting commands served
	// (loading-process-events-interval-bytes, hidden, min 1024). Default 2 MiB.
	LoadingProcessEventsIntervalBytes int
	// StopWritesOnBgsaveError refuses writes after a failed save (stop-writes-on-bgsave-error). Default yes.
	StopWritesOnBgsaveError bool
	// AppendOnly enables the AOF (appendonly). Default no.
	AppendOnly bool
	// AppendFilename is the AOF base name (appendfilename). Default "appendonly.aof".
	AppendFilename string
	// AppendDirname is the AOF directory (appenddirname). Default "appendonlydir".
	AppendDirname string
	// AppendFsync is always|everysec|no (appendfsync). Default everysec.
	AppendFsync string
	// AOFLoadTruncated loads a truncated AOF (aof-load-truncated). Default yes.
	AOFLoadTruncated bool
	// AOFUseRDBPreamble writes the AOF base as RDB (aof-use-rdb-preamble). Default yes.
	AOFUseRDBPreamble bool
	// ShutdownTimeout is how long SHUTDOWN waits for replicas (shutdown-timeout, seconds). Default 10.
	ShutdownTimeout time.Duration
	// RDBDelSyncFiles deletes RDB files used only for replication (rdb-del-sync-files). Default no.
	RDBDelSyncFiles bool
	// RDBSaveIncrementalFsync fsyncs every 32mb while saving (rdb-save-incremental-fsync). Default yes.
	RDBSaveIncrementalFsync bool
	// SanitizeDumpPayload is no|yes|clients (sanitize-dump-payload). Default no.
	SanitizeDumpPayload string
	// NoAppendfsyncOnRewrite skips fsync during rewrites (no-appendfsync-on-rewrite). Default no.
	NoAppendfsyncOnRewrite bool
	// AutoAOFRewritePercentage triggers a rewrite on growth; 0 = off (auto-aof-rewrite-percentage). Default 100.
	AutoAOFRewritePercentage int
	// AutoAOFRewriteMinSize in bytes (auto-aof-rewrite-min-size). Default 64mb.
	AutoAOFRewriteMinSize int64
	// AOFRewriteIncrementalFsync fsyncs every 32mb while rewriting (aof-rewrite-incremental-fsync). Default yes.
	AOFRewriteIncrementalFsync bool
	// AOFTimestampEnabled writes timestamp annotations in the AOF (aof-timestamp-enabled). Default no.
	AOFTimestampEnabled bool
	// AOFDisableAutoGC keeps history AOF files (aof-disable-auto-gc). Default no.
	AOFDisableAutoGC bool

	// --- replication (used by the replication issue) ---

	// ReplicaOf is "host port" of the master (replicaof, alias slaveof); "" = master.
	ReplicaOf string
	// MasterAuth and MasterUser are the credentials for the master (masterauth, masteruser).
	MasterAuth, MasterUser string
	// ReplicaReadOnly (replica-read-only). Default yes.
	ReplicaReadOnly bool
	// ReplicaServeStaleData (replica-serve-stale-data). Default yes.
	ReplicaServeStaleData bool
	// ReplicaPriority (replica-priority). Default 100.
	ReplicaPriority int
	// ReplicaAnnounced (replica-announced). Default yes.
	ReplicaAnnounced bool
	// ReplicaAnnounceIP and ReplicaAnnouncePort (replica-announce-ip/-port).
	ReplicaAnnounceIP   string
	ReplicaAnnouncePort int
	// ReplicaLazyFlush (replica-lazy-flush). Default no.
	ReplicaLazyFlush bool
	// ReplicaIgnoreMaxmemory (replica-ignore-maxmemory). Default yes.
	ReplicaIgnoreMaxmemory bool
	// ReplBacklogSize in bytes (repl-backlog-size). Default 1mb.
	ReplBacklogSize int64
	// ReplBacklogTTL (repl-backlog-ttl, seconds). Default 3600.
	ReplBacklogTTL time.Duration
	// ReplTimeout (repl-timeout, seconds). Default 60.
	ReplTimeout time.Duration
	// ReplPingReplicaPeriod (repl-ping-replica-period, seconds). Default 10.
	ReplPingReplicaPeriod time.Duration
	// ReplDisklessSync (repl-diskless-sync). Default yes.
	ReplDisklessSync bool
	// ReplDisklessSyncDelay (repl-diskless-sync-delay, seconds). Default 5.
	ReplDisklessSyncDelay time.Duration
	// ReplDisklessSyncMaxReplicas (repl-diskless-sync-max-replicas). Default 0.
	ReplDisklessSyncMaxReplicas int
	// ReplDisklessLoad is disabled|on-empty-db|swapdb (repl-diskless-load). Default disabled.
	ReplDisklessLoad string
	// MinReplicasToWrite (min-replicas-to-write). Default 0.
	MinReplicasToWrite int
	// FencedMode (fenced-mode, Vigil's): a write is answered only once FencedReplicas
	// replicas acknowledged it, and only while the sentinels' lease holds
	// (docs/safety.md). Default no.
	FencedMode bool
	// FencedReplicas (fenced-replicas): replicas that must acknowledge a write in fenced
	// mode. Default 1.
	FencedReplicas int
	// FencedLeaseMs (fenced-lease-ms, milliseconds): how long a sentinel's renewal of the
	// write lease lasts (capped at 90% of the sentinels' down-after-milliseconds); also
	// how long a write waits for its acknowledgements. 0 turns the lease off. Default 2000.
	FencedLeaseMs int
	// MinReplicasMaxLag (min-replicas-max-lag, seconds). Default 10.
	MinReplicasMaxLag int
	// ReplDisableTCPNoDelay (repl-disable-tcp-nodelay). Default no.
	ReplDisableTCPNoDelay bool
	// ReplicaIgnoreDiskWriteErrors (replica-ignore-disk-write-errors). Default no.
	ReplicaIgnoreDiskWriteErrors bool
	// PropagationErrorBehavior is ignore|panic|panic-on-replicas (propagation-error-behavior). Default ignore.
	PropagationErrorBehavior string
	// IOThreads is how many cores run the server's goroutines (io-threads), a wish the
	// process owner applies as GOMAXPROCS unless the GOMAXPROCS environment variable is
	// set. Default 1.
	IOThreads int

	// --- accepted, no effect ---

	// Extra holds the values of the directives Vigil accepts but ignores
	// (see IgnoredDirectives), keyed by canonical name, in CONFIG GET form.
	// A missing key means the Redis default.
	Extra map[string]string
}

// OutputBufferLimit is one class of client-output-buffer-limit.
type OutputBufferLimit struct {
	// Hard is the hard limit in bytes; 0 = none.
	Hard int64
	// Soft is the soft limit in bytes; 0 = none.
	Soft int64
	// SoftSeconds is how long the soft limit may be exceeded.
	SoftSeconds int
}

// Output buffer classes, the index into Server.ClientOutputBufferLimits.
const (
	ClassNormal = iota
	ClassReplica
	ClassPubSub
)

// SavePoint is one `save <seconds> <changes>` point.
type SavePoint struct {
	// Seconds is the period after which a snapshot is taken (>= 1).
	Seconds int
	// Changes is the minimum number of writes in that period (>= 0).
	Changes int
}

// Default returns the configuration redis-server 7.0 uses when started with no
// file. (hash-max-listpack-entries is 512 there; the shipped redis.conf says 128.)
func Default() *Server {
	return &Server{
		Bind:                              []string{"*", "-::*"},
		Port:                              6379,
		ProtectedMode:                     true,
		TCPBacklog:                        511,
		TCPKeepalive:                      300 * time.Second,
		MaxClients:                        10000,
		ProtoMaxBulkLen:                   512 << 20,
		ProtoMaxReplyLen:                  1 << 30,
		ClientQueryBufferLimit:            1 << 30,
		ClientOutputBufferLimits:          [3]OutputBufferLimit{{}, {256 << 20, 64 << 20, 60}, {32 << 20, 8 << 20, 60}},
		Databases:                         16,
		Hz:                                10,
		DynamicHz:                         true,
		LogLevel:                          "notice",
		Supervised:                        "no",
		Dir:                               ".",
		EnableDebugCommand:                "no",
		EnableProtectedConfigs:            "no",
		SlowlogLogSlowerThan:              10000,
		SlowlogMaxLen:                     128,
		LatencyTrackingInfoPercentiles:    "50 99 99.9",
		MaxMemoryPolicy:                   "noeviction",
		MaxMemorySamples:                  5,
		MaxMemoryEvictionTenacity:         10,
		LFULogFactor:                      10,
		LFUDecayTime:                      1,
		ActiveExpireEffort:                1,
		HashMaxListpackEntries:            512,
		HashMaxListpackValue:              64,
		ZsetMaxListpackEntries:            128,
		ZsetMaxListpackValue:              64,
		SetMaxIntsetEntries:               512,
		ListMaxListpackSize:               -2,
		Save:                              []SavePoint{{3600, 1}, {300, 100}, {60, 10000}},
		DBFilename:                        "dump.rdb",
		RDBCompression:                    true,
		RDBChecksum:                       true,
		LoadingProcessEventsIntervalBytes: 2 << 20,
		StopWritesOnBgsaveError:           true,
		AppendFilename:                    "appendonly.aof",
		AppendDirname:                     "appendonlydir",
		AppendFsync:                       "everysec",
		AOFLoadTruncated:                  true,
		AOFUseRDBPreamble:                 true,
		ShutdownTimeout:                   10 * time.Second,
		ReplicaReadOnly:                   true,
		ReplicaServeStaleData:             true,
		ReplicaPriority:                   100,
		ReplicaAnnounced:                  true,
		ReplicaIgnoreMaxmemory:            true,
		ReplBacklogSize:                   1 << 20,
		ReplBacklogTTL:                    3600 * time.Second,
		ReplTimeout:                       60 * time.Second,
		ReplPingReplicaPeriod:             10 * time.Second,
		ReplDisklessSync:                  true,
		ReplDisklessSyncDelay:             5 * time.Second,
		ReplDisklessLoad:                  "disabled",
		MinReplicasMaxLag:                 10,
		FencedReplicas:                    1,
		FencedLeaseMs:                     2000,
		LatencyTracking:                   true,
		ShutdownOnSigint:                  "default",
		ShutdownOnSigterm:                 "default",
		ACLLogMaxLen:                      128,
		ACLPubsubDefault:                  "resetchannels",
		TrackingTableMaxKeys:              1000000,
		StreamNodeMaxBytes:                4096,
		StreamNodeMaxEntries:              100,
		HllSparseMaxBytes:                 3000,
		RDBSaveIncrementalFsync:           true,
		SanitizeDumpPayload:               "no",
		AutoAOFRewritePercentage:          100,
		AutoAOFRewriteMinSize:             64 << 20,
		AOFRewriteIncrementalFsync:        true,
		PropagationErrorBehavior:          "ignore",
		IOThreads:                         1,
	}
}

// Path resolves p against Dir, as Redis resolves a relative path against its working
// directory; an absolute p is returned cleaned, "" stays "".
func (s *Server) Path(p string) string {
	if p == "" {
		return ""
	}
	return absFrom(s.Dir, p)
}

// Clone returns a deep copy of s.
func (s *Server) Clone() *Server {
	c := *s
	c.Bind = append([]string(nil), s.Bind...)
	c.Save = append([]SavePoint(nil), s.Save...)
	c.RenameCommands = append([][2]string(nil), s.RenameCommands...)
	c.Users = nil
	for _, u := range s.Users {
		c.Users = append(c.Users, append([]string(nil), u...))
	}
	if s.Extra != nil {
		c.Extra = make(map[string]string, len(s.Extra))
		for k, v := range s.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

// Master returns the host and port of ReplicaOf; ok is false on a master.
func (s *Server) Master() (host string, port int, ok bool) {
	i := strings.LastIndexByte(s.ReplicaOf, ' ')
	if i < 0 {
		return "", 0, false
	}
	port, err := strconv.Atoi(s.ReplicaOf[i+1:])
	if err != nil {
		return "", 0, false
	}
	return s.ReplicaOf[:i], port, true
}
