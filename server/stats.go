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
	Errors      map[string]int64 // errorstats: error replies by prefix
	Keyspace    []StatsKeyspace  // databases holding keys, by id
}

// StatsServer is INFO server's state (the build facts are constants).
type StatsServer struct {
	PID        int
	RunID      string
	Port       int
	Now        time.Time // when the snapshot was taken (server_time_usec)
	Started    time.Time // uptime is Now - Started
	Hz         int
	LRUClock   uint32
	Executable string
	ConfigFile string
}

// StatsClients is INFO clients.
type StatsClients struct {
	Connected, Blocked, InTimeout int64 // replicas are not counted in Connected
	MaxClients                    int
}

// StatsMemory is INFO memory, in bytes.
type StatsMemory struct {
	Used, Peak, RSS, Startup, Overhead, Dataset int64
	Allocated, Active, Resident                 int64 // the Go heap as the allocator_* fields
	SystemTotal, MaxMemory                      int64
	MaxMemoryPolicy                             string
}

// StatsPersistence is INFO persistence.
type StatsPersistence struct {
	Loading                           bool
	SaveKeysProcessed, SaveKeysTotal  int64 // the background save in progress
	ChangesSinceLastSave              int64
	BgsaveInProgress, LastBgsaveOK    bool
	LastSave                          time.Time
	LastBgsaveSecs, CurrentBgsaveSecs int64 // -1 when none
	Saves                             int64
	LoadKeysExpired, LoadKeysLoaded   int64
	AOF                               StatsAOF
}

// StatsAOF is the AOF part of INFO persistence.
type StatsAOF struct {
	Enabled, RewriteInProgress, RewriteScheduled bool
	LastRewriteSecs, CurrentRewriteSecs          int64 // -1 when none
	LastRewriteOK, LastWriteOK                   bool
	Rewrites, ConsecutiveFailures                int64
	CurrentSize, BaseSize                        int64 // while enabled
	BufferLength                                 int
}

// StatsActivity is INFO stats: counters since start and instantaneous rates.
type StatsActivity struct {
	Connections, Rejected, Commands, OpsPerSec    int64
	NetInput, NetOutput, ReplInput, ReplOutput    int64
	InputPerSec, OutputPerSec                     int64 // bytes per second
	SyncFull, SyncPartialOK, SyncPartialErr       int64
	ExpiredKeys, ExpiredTimeCapReached            int64
	ExpiredStale                                  float64 // fraction of sampled keys already expired
	EvictedKeys, KeyspaceHits, KeyspaceMisses     int64
	PubsubChannels, PubsubPatterns, PubsubShardCh int64
	ErrorReplies                                  int64
}

// StatsReplication is INFO replication.
type StatsReplication struct {
	Replica       *StatsLink // nil on a master
	GoodReplicas  int64      // min_slaves_good_slaves, with MinReplicasOn
	MinReplicasOn bool
	Replicas      []StatsReplica
	FailoverState string
	ReplID        string
	ReplID2       string
	Offset        int64
	SecondOffset  int64
	BacklogActive bool
	BacklogSize   int64
	BacklogFirst  int64
	BacklogLen    int64
}

// StatsLink is a replica's view of its master (the role:slave fields).
type StatsLink struct {
	MasterHost          string
	MasterPort          int
	Up                  bool
	LastIOSecs          int64 // -1 when not connected
	Syncing             bool
	ReadOffset, Offset  int64
	SyncTotal, SyncRead int64 // while Syncing
	SyncLastIOSecs      int64 // while Syncing
	DownSinceSecs       int64 // when not Up; -1 if never up
	Priority            int
	ReadOnly, Announced bool
}

// StatsReplica is one replica of this master.
type StatsReplica struct {
	IP      string
	Port    int
	State   string
	Offset  int64
	LagSecs int64
}

// StatsCommand is one commandstats line.
type StatsCommand struct {
	Name                          string
	Calls, Usec, Rejected, Failed int64
}

// StatsKeyspace is one database of the keyspace section.
type StatsKeyspace struct {
	DB                      int
	Keys, Expires, AvgTTLMs int64
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
		st.Server = StatsServer{PID: os.Getpid(), RunID: s.runID, Port: s.cfg.Port, Now: now, Started: s.startTime,
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
	overhead := min(startup+s.totalKeys()*keyOverhead, used)
	allocated, active, resident := allocatorFigures()
	return StatsMemory{Used: used, Peak: s.usedMemoryPeak(), RSS: processRSS(), Startup: startup,
		Overhead: overhead, Dataset: used - overhead, Allocated: allocated, Active: active, Resident: resident,
		SystemTotal: totalSystemMemory(), MaxMemory: s.cfg.MaxMemory, MaxMemoryPolicy: s.cfg.MaxMemoryPolicy}
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
		EvictedKeys: st.evictedKeys, KeyspaceHits: st.keyspaceHits, KeyspaceMisses: st.keyspaceMiss,
		PubsubChannels: int64(len(s.pubsub.channels)), PubsubPatterns: int64(len(s.pubsub.patterns)),
		PubsubShardCh: int64(len(s.pubsub.shard)), ErrorReplies: st.totalErrors}
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
	for _, cmd := range s.cmds {
		add(cmd)
		for _, sc := range cmd.Subs {
			add(sc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
