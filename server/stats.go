package server

import (
	"os"
	"sort"
	"time"
)

// Stats is a typed snapshot of what INFO prints, section by section. INFO renders it,
// so the two never disagree; other owners (the node's HTTP endpoint, a fencing rule)
// read the same figures. Fields INFO prints as constants (forks, Lua, defragmentation,
// threads: things Vigil does not have) are not here. A section INFO was not asked for
// is left zero.
type Stats struct {
	Server      StatsServer
	Clients     StatsClients
	Memory      StatsMemory
	Persistence StatsPersistence
	Activity    StatsActivity // INFO's "Stats" section
	Replication StatsReplication
	Commands    []StatsCommand   // commandstats: commands called, rejected or failed, by name
	Latency     []StatsLatency   // latencystats: the commands with a latency histogram, by name
	Errors      map[string]int64 // errorstats: error replies by prefix
	Keyspace    []StatsKeyspace  // databases holding keys, by id
}

// StatsServer is INFO server's state (the build facts are constants).
type StatsServer struct {
	PID        int       // process_id
	Supervised string    // process_supervised: "no", "systemd" or "upstart"
	RunID      string    // run_id
	Port       int       // tcp_port
	Now        time.Time // server_time_usec: when the snapshot was taken
	Started    time.Time // uptime_in_seconds is Now - Started
	Hz         int       // hz, configured_hz
	LRUClock   uint32    // lru_clock
	Executable string    // executable
	ConfigFile string    // config_file
}

// StatsClients is INFO clients.
type StatsClients struct {
	Connected  int64 // connected_clients (replicas not counted)
	Blocked    int64 // blocked_clients
	InTimeout  int64 // clients_in_timeout_table: blocked with a timeout
	MaxClients int   // maxclients
}

// StatsMemory is INFO memory, in bytes; the ratios are derived from these.
type StatsMemory struct {
	Used, Peak, RSS   int64 // used_memory, used_memory_peak, used_memory_rss
	Startup, Overhead int64 // used_memory_startup, used_memory_overhead
	Dataset           int64 // used_memory_dataset: Used - Overhead
	Allocated         int64 // allocator_allocated: the Go heap's objects
	Active            int64 // allocator_active: plus the unused parts of in-use spans
	Resident          int64 // allocator_resident: everything mapped and not released
	SystemTotal       int64 // total_system_memory
	MaxMemory         int64 // maxmemory
	MaxMemoryPolicy   string
	LazyfreedObjects  int64 // lazyfreed_objects
	ReplBacklog       int64 // mem_replication_backlog: the backlog's buffer
	ClientsSlaves     int64 // mem_clients_slaves: the replicas' unsent stream
	ClientsNormal     int64 // mem_clients_normal: every other client's tot-mem
	AOFBuffer         int64 // mem_aof_buffer: AOF records not yet written
	NotCounted        int64 // mem_not_counted_for_evict: what eviction leaves out of Used (evictableMemory)
}

// StatsPersistence is INFO persistence.
type StatsPersistence struct {
	Loading              bool      // loading
	SaveKeysProcessed    int64     // current_save_keys_processed (background save running)
	SaveKeysTotal        int64     // current_save_keys_total
	ChangesSinceLastSave int64     // rdb_changes_since_last_save
	BgsaveInProgress     bool      // rdb_bgsave_in_progress
	LastBgsaveOK         bool      // rdb_last_bgsave_status
	LastSave             time.Time // rdb_last_save_time
	LastBgsaveSecs       int64     // rdb_last_bgsave_time_sec; -1 when none
	CurrentBgsaveSecs    int64     // rdb_current_bgsave_time_sec; -1 when none
	Saves                int64     // rdb_saves
	LoadKeysExpired      int64     // rdb_last_load_keys_expired
	LoadKeysLoaded       int64     // rdb_last_load_keys_loaded
	AOF                  StatsAOF
}

// StatsAOF is the AOF part of INFO persistence.
type StatsAOF struct {
	Enabled             bool  // aof_enabled
	RewriteInProgress   bool  // aof_rewrite_in_progress
	RewriteScheduled    bool  // aof_rewrite_scheduled, aof_pending_rewrite
	LastRewriteSecs     int64 // aof_last_rewrite_time_sec; -1 when none
	CurrentRewriteSecs  int64 // aof_current_rewrite_time_sec; -1 when none
	LastRewriteOK       bool  // aof_last_bgrewrite_status
	LastWriteOK         bool  // aof_last_write_status
	Rewrites            int64 // aof_rewrites
	ConsecutiveFailures int64 // aof_rewrites_consecutive_failures
	CurrentSize         int64 // aof_current_size (while Enabled)
	BaseSize            int64 // aof_base_size (while Enabled)
	BufferLength        int   // aof_buffer_length (while Enabled)
}

// StatsActivity is INFO stats: counters since start and instantaneous rates.
type StatsActivity struct {
	Connections           int64   // total_connections_received
	Rejected              int64   // rejected_connections
	Commands              int64   // total_commands_processed
	OpsPerSec             int64   // instantaneous_ops_per_sec
	ReplyShrinks          int64   // reply_buffer_shrinks
	EvictedClients        int64   // evicted_clients
	ReplyExpands          int64   // reply_buffer_expands
	NetInput, NetOutput   int64   // total_net_input_bytes, total_net_output_bytes
	ReplInput, ReplOutput int64   // total_net_repl_input_bytes, total_net_repl_output_bytes
	InputPerSec           int64   // instantaneous_input_kbps, in bytes per second
	OutputPerSec          int64   // instantaneous_output_kbps, in bytes per second
	SyncFull              int64   // sync_full
	SyncPartialOK         int64   // sync_partial_ok
	SyncPartialErr        int64   // sync_partial_err
	ExpiredKeys           int64   // expired_keys
	ExpiredStale          float64 // expired_stale_perc, as a fraction
	ExpiredTimeCapReached int64   // expired_time_cap_reached_count
	EvictedKeys           int64   // evicted_keys
	TotalForks            int64   // total_forks: background snapshots (BGSAVE, AOF rewrite, full sync)
	LatestForkUsec        int64   // latest_fork_usec: µs to start the last writer child
	ReplicaExpiresTracked int64   // slave_expires_tracked_keys
	KeyspaceHits          int64   // keyspace_hits
	KeyspaceMisses        int64   // keyspace_misses
	PubsubChannels        int64   // pubsub_channels
	PubsubPatterns        int64   // pubsub_patterns
	PubsubShardChannels   int64   // pubsubshard_channels
	MigrateCachedSockets  int64   // migrate_cached_sockets
	ErrorReplies          int64   // total_error_replies
}

// StatsReplication is INFO replication.
type StatsReplication struct {
	Replica       *StatsLink     // the role:slave fields; nil on a master
	MinReplicasOn bool           // min-replicas-to-write and -max-lag are set
	GoodReplicas  int64          // min_slaves_good_slaves (with MinReplicasOn)
	Replicas      []StatsReplica // slave0, slave1, ... (connected_slaves is their number)
	FailoverState string         // master_failover_state
	ReplID        string         // master_replid
	ReplID2       string         // master_replid2
	Offset        int64          // master_repl_offset
	SecondOffset  int64          // second_repl_offset
	BacklogActive bool           // repl_backlog_active
	BacklogSize   int64          // repl_backlog_size
	BacklogFirst  int64          // repl_backlog_first_byte_offset
	BacklogLen    int64          // repl_backlog_histlen

	// fenced mode (Vigil's own fields, after Redis's; fence.go)
	FencedMode           bool          // fenced_mode (the fields below only with it)
	FencedReplicas       int           // fenced_replicas
	FencedAcked          int64         // fenced_acked_offset
	FencedTimeouts       int64         // fenced_ack_timeouts: batches answered with an error
	FencedLease          string        // fenced_lease: valid|expired|off|replica
	FencedLeaseSentinels int           // fenced_lease_sentinels: renewals still valid
	FencedLeaseMajority  int           // fenced_lease_majority: the majority announced
	FencedLeaseRemaining time.Duration // fenced_lease_remaining_ms
	FencedLeaseTime      time.Duration // fenced_lease_ms: how long a renewal counts (0: off)
}

// StatsLink is a replica's view of its master.
type StatsLink struct {
	MasterHost     string // master_host
	MasterPort     int    // master_port
	Up             bool   // master_link_status
	LastIOSecs     int64  // master_last_io_seconds_ago; -1 when not connected
	Syncing        bool   // master_sync_in_progress
	ReadOffset     int64  // slave_read_repl_offset
	Offset         int64  // slave_repl_offset
	SyncTotal      int64  // master_sync_total_bytes (while Syncing)
	SyncRead       int64  // master_sync_read_bytes (while Syncing)
	SyncLastIOSecs int64  // master_sync_last_io_seconds_ago (while Syncing)
	DownSinceSecs  int64  // master_link_down_since_seconds (while not Up); -1 if never up
	Priority       int    // slave_priority
	ReadOnly       bool   // slave_read_only
	Announced      bool   // replica_announced
}

// StatsReplica is one replica of this master (a slaveN line).
type StatsReplica struct {
	IP      string
	Port    int
	State   string // wait_bgsave, send_bulk, online...
	Offset  int64  // the offset it acknowledged
	LagSecs int64  // seconds since its last ACK (online replicas)
}

// StatsCommand is one commandstats line (cmdstat_<Name>).
type StatsCommand struct {
	Name     string
	Calls    int64
	Usec     int64
	Rejected int64
	Failed   int64
}

// StatsLatency is one latencystats line (latency_percentiles_usec_<Name>).
type StatsLatency struct {
	Name        string
	Percentiles string // "p50=1.003,p99=2.007,p99.9=2.007"
}

// StatsKeyspace is one database of the keyspace section (db<DB>).
type StatsKeyspace struct {
	DB       int
	Keys     int64
	Expires  int64
	AvgTTLMs int64 // estimated from a sample of the keys with a TTL
}

// Stats returns the snapshot of every INFO section, taken under the execution lock.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gatherStats(infoSections{all: true})
}

// gatherStats gathers the sections sel asks for (under the execution lock).
func (s *Server) gatherStats(sel infoSections) Stats {
	var st Stats
	now := time.Now()
	if sel.want("server") {
		st.Server = StatsServer{PID: os.Getpid(), Supervised: s.supervised, RunID: s.runID, Port: s.cfg.Port, Now: now, Started: s.startTime,
			Hz: s.cfg.Hz, LRUClock: s.lruClock(), Executable: executablePath(), ConfigFile: s.cfg.ConfigFile}
	}
	if sel.want("clients") {
		st.Clients = s.clientStats()
	}
	if sel.want("memory") {
		st.Memory = s.memoryStats()
	}
	if sel.want("persistence") {
		st.Persistence = s.persistenceStats(now)
	}
	if sel.want("stats") {
		st.Activity = s.activityStats()
	}
	if sel.want("replication") {
		st.Replication = s.replicationStats(now)
	}
	if sel.want("commandstats") {
		st.Commands = s.commandStats()
	}
	if sel.want("latencystats") {
		st.Latency = s.latencyStats()
	}
	if sel.want("errorstats") {
		st.Errors = make(map[string]int64, len(s.stats.errors))
		for p, n := range s.stats.errors {
			st.Errors[p] = n
		}
	}
	if sel.want("keyspace") {
		for _, db := range s.dbs {
			keys, expires := db.Keys.Len(), db.Expires.Len()
			if keys == 0 && expires == 0 {
				continue
			}
			st.Keyspace = append(st.Keyspace, StatsKeyspace{DB: db.ID, Keys: int64(keys), Expires: int64(expires), AvgTTLMs: s.avgTTL(db)})
		}
	}
	return st
}

func (s *Server) clientStats() StatsClients {
	st := StatsClients{MaxClients: s.cfg.MaxClients}
	for _, c := range s.clients {
		if !c.has(ClientReplica) {
			st.Connected++
		}
		if c.held {
			st.Blocked++
		}
		if c.block != nil {
			st.Blocked++
			if !c.block.deadline.IsZero() {
				st.InTimeout++
			}
		}
	}
	return st
}

func (s *Server) memoryStats() StatsMemory {
	used := s.usedMemory()
	startup := min(s.info.startupMem, used)
	var backlog, normal int64
	if s.repl.backlog != nil {
		backlog = s.repl.backlog.Size()
	}
	for _, c := range s.clients {
		if !c.has(ClientReplica) {
			normal += c.memUsage()
		}
	}
	slaves, aofBuf := s.replicasOutput(), s.aofBuffered()
	overhead := min(startup+s.totalKeys()*keyOverhead+backlog+slaves+normal+aofBuf, used)
	allocated, active, resident := allocatorFigures()
	return StatsMemory{Used: used, Peak: s.usedMemoryPeak(), RSS: processRSS(), Startup: startup,
		Overhead: overhead, Dataset: used - overhead, Allocated: allocated, Active: active, Resident: resident,
		SystemTotal: totalSystemMemory(), MaxMemory: s.cfg.MaxMemory, MaxMemoryPolicy: s.cfg.MaxMemoryPolicy,
		LazyfreedObjects: s.stats.lazyfreed, ReplBacklog: backlog, ClientsSlaves: slaves, ClientsNormal: normal,
		AOFBuffer: aofBuf, NotCounted: s.notCountedForEvict(used)}
}

func (s *Server) persistenceStats(now time.Time) StatsPersistence {
	p := &s.persist
	st := StatsPersistence{Loading: p.loading, ChangesSinceLastSave: s.dirty, BgsaveInProgress: p.bgsaveRunning,
		LastSave: p.lastSave, LastBgsaveOK: p.lastBgsaveOK, LastBgsaveSecs: p.lastBgsaveSecs, CurrentBgsaveSecs: -1,
		Saves: p.saves, LoadKeysExpired: p.loadKeysExpired, LoadKeysLoaded: p.loadKeysLoaded, AOF: s.aofStats(now)}
	if p.bgsaveRunning {
		if s.snap != nil {
			st.SaveKeysProcessed = s.snap.keys
		}
		st.SaveKeysTotal = p.currentSaveTotal
		st.CurrentBgsaveSecs = int64(now.Sub(p.bgsaveStart).Seconds())
	}
	return st
}

func (s *Server) activityStats() StatsActivity {
	st, m := &s.stats, &s.info.metrics
	return StatsActivity{Connections: st.connections.Load(), Rejected: st.rejectedConns.Load(),
		Commands: st.commands, OpsPerSec: m[metricCommands].value(),
		NetInput: st.netInput.Load(), NetOutput: st.netOutput.Load(),
		ReplInput: st.replInput.Load(), ReplOutput: st.replOutput.Load(),
		InputPerSec: m[metricNetInput].value(), OutputPerSec: m[metricNetOutput].value(),
		SyncFull: s.repl.syncFull, SyncPartialOK: s.repl.syncPartialOK, SyncPartialErr: s.repl.syncPartialErr,
		ExpiredKeys: st.expiredKeys, ExpiredStale: s.expire.stalePerc, ExpiredTimeCapReached: s.expire.timeCapHits,
		EvictedKeys: st.evictedKeys, TotalForks: st.totalForks, LatestForkUsec: st.latestForkUsec,
		ReplicaExpiresTracked: int64(len(s.replicaExpires)), KeyspaceHits: st.keyspaceHits, KeyspaceMisses: st.keyspaceMiss,
		PubsubChannels: int64(len(s.pubsub.channels)), PubsubPatterns: int64(len(s.pubsub.patterns)),
		PubsubShardChannels: int64(len(s.pubsub.shard)), MigrateCachedSockets: int64(len(s.migrate.conns)), ErrorReplies: st.totalErrors,
		ReplyShrinks: st.replyShrinks, ReplyExpands: st.replyExpands, EvictedClients: st.evictedClients}
}

// latencyStats renders the percentiles of every command with a latency histogram.
func (s *Server) latencyStats() []StatsLatency {
	var out []StatsLatency
	s.eachCommand(func(cmd *Command) {
		if h := cmd.stats.hist; h != nil {
			out = append(out, StatsLatency{Name: cmd.Name, Percentiles: h.infoPercentiles(s.cfg.LatencyTrackingInfoPercentiles)})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// eachCommand calls fn with every command and subcommand under its original name.
func (s *Server) eachCommand(fn func(*Command)) {
	for _, cmd := range s.origCmds { // a renamed command keeps its own name, as in Redis
		fn(cmd)
		for _, sc := range cmd.Subs {
			fn(sc)
		}
	}
}

// commandStats lists every command (subcommands as container|sub) that was called,
// rejected or failed, by name.
func (s *Server) commandStats() []StatsCommand {
	var out []StatsCommand
	add := func(cmd *Command) {
		if st := cmd.stats; st.calls != 0 || st.failed != 0 || st.rejected != 0 {
			out = append(out, StatsCommand{Name: cmd.Name, Calls: st.calls, Usec: st.usec, Rejected: st.rejected, Failed: st.failed})
		}
	}
	s.eachCommand(add)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
