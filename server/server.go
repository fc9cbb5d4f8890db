package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/store"
)

// Version is the Redis version Vigil reports (redis_version, HELLO, the RDB aux field).
const Version = "7.0.15"

// Server is one data core. All command execution happens under mu, which gives every
// command one total order as Redis's single thread does; connection goroutines parse and
// write without it, so network I/O and parsing use every core.
type Server struct {
	mu  sync.Mutex
	cfg *config.Server
	log zerolog.Logger

	inExec bool // EXEC is running its queued commands (server.in_exec)
	// replicaExpires: keys given a TTL by clients of this writable replica, with a bitmap
	// of their databases (slaveKeysWithExpire, replica_expire.go)
	replicaExpires map[string]uint64

	dbs       []*store.DB
	dbState   []dbState    // per database id: blocked and watching clients
	cmds      commandTable // what clients see: origCmds after rename-command (rename.go)
	origCmds  commandTable // every command under its own name
	clients   map[int64]*Client
	nextID    atomic.Int64
	lmu       sync.Mutex     // guards listeners (CONFIG SET port and bind replace the TCP ones)
	listeners []net.Listener // the TCP listeners first, then the Unix socket's
	unixPath  string         // the Unix socket's path, removed by Close

	runID     string
	startTime time.Time
	nowMs     int64     // command time snapshot, unix ms (under mu)
	clock     time.Time // when the current command started (set by dispatch, advanced by call)
	dirty     int64     // changes since the last save
	stats     stats
	// streamPool holds the chunks of the replicas' streams (streambuf.go)
	streamPool chunkPool
	infoBuf    []byte // INFO's text, kept for the next INFO (cmdInfo; under mu)

	unit       []Record       // propagation records of the current execution unit
	unitDepth  int            // nesting of execution units (EXEC, blocked-client serving)
	propagator []Propagator   // consumers of the write stream (replication, AOF)
	readyKeys  []readyKey     // keys that may unblock clients, served after each command
	snap       *snapshot      // the point-in-time snapshot being written, if any
	persist    persistState   // RDB saving and loading state
	aof        aofState       // the append-only file (aof.go)
	gateList   []gate         // pre-execution checks, see gates
	wgate      writeGate      // the exported write gate (gate.go)
	admin      adminState     // CLIENT PAUSE, MONITOR, SLOWLOG (cmd_client.go, cmd_monitor.go)
	latency    latencyEvents  // the latency monitor's events (latency.go)
	exitCode   int            // process exit status after Serve returns
	execName   string         // the process title's {title} (Options.ExecName)
	shut       signalShutdown // a shutdown asked for by a signal (shutdown.go)

	evict       evictState   // maxmemory eviction and memory accounting (evict.go)
	order       arrivalOrder // batches wait for input that arrived before theirs (arrival.go)
	clientsMem  clientsMem   // what the clients use, for maxmemory-clients (evict_clients.go)
	expire      expireState  // active expiry and dict maintenance (expire.go)
	notifyFlags NotifyClass  // parsed notify-keyspace-events (see setNotifyFlags)
	pubsub      pubsubState  // channels, patterns and shard channels with their subscribers

	activeExpireEnabled bool   // DEBUG SET-ACTIVE-EXPIRE: the active expire cycle runs (default true)
	replID, replID2     string // replication ids (INFO replication, DEBUG CHANGE-REPL-ID)
	repl                replicationState
	info                infoState    // INFO's instantaneous metrics (cmd_info.go)
	debug               debugState   // what DEBUG changed (crash.go)
	migrate             migrateState // MIGRATE's cached connections (cmd_migrate.go)

	proc       Process         // the process owner's grants (process.go)
	sup        supervision     // what the process owner's supervisor is told (status.go)
	supervised string          // INFO's process_supervised
	tasks      []func(*Server) // cron tasks, see cronTaskList
	pidFile    string          // the pidfile written by Start, removed when stopped
	done       chan struct{}   // closed when the server starts stopping (Close)
	stopped    chan struct{}   // closed when Serve has stopped everything (Done)
	doneOnce   sync.Once
	wg         sync.WaitGroup
}

// dbState is the server-side state of one database id (it does not move with SWAPDB).
type dbState struct {
	blocking map[string][]*Client
	watched  map[string][]*Client
}

// stats are the INFO stats counters.
type stats struct {
	connections    atomic.Int64 // total_connections_received
	rejectedConns  atomic.Int64 // rejected_connections
	commands       int64        // total_commands_processed (under mu)
	netInput       atomic.Int64
	netOutput      atomic.Int64
	replInput      atomic.Int64 // total_net_repl_input_bytes: read from our master
	replOutput     atomic.Int64 // total_net_repl_output_bytes: the stream written to replicas
	fencedTimeouts int64        // fenced_ack_timeouts (under mu)
	expiredKeys    int64
	evictedKeys    int64
	totalForks     int64 // total_forks: background snapshots, Vigil's forked children
	latestForkUsec int64 // latest_fork_usec: starting the last writer child (savechild.go)
	keyspaceHits   int64
	keyspaceMiss   int64
	errors         map[string]int64 // errorstats by prefix
	totalErrors    int64
	replyShrinks   int64 // reply_buffer_shrinks
	evictedClients int64 // evicted_clients (maxmemory-clients)
	replyExpands   int64 // reply_buffer_expands
	lazyfreed      int64 // lazyfreed_objects
}

// New returns a server for cfg. Listening starts with Start (or Listen and Serve).
func New(cfg *config.Server, opts Options) *Server {
	s := &Server{
		cfg:       cfg,
		log:       opts.Log.With().Str("component", "server").Logger(),
		proc:      opts.Process,
		origCmds:  buildCommandTable(),
		clients:   map[int64]*Client{},
		runID:     newRunID(),
		startTime: time.Now(),
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	if s.proc == nil {
		s.proc = noProcess{}
	}
	s.supervised = opts.Supervised
	if s.supervised == "" {
		s.supervised = "no"
	}
	s.sup = supervision{ready: make(chan struct{}), stopping: opts.Stopping}
	s.execName = opts.ExecName
	if s.execName == "" {
		s.execName = "redis-server"
	}
	s.cmds = renamedTable(s.origCmds, cfg.RenameCommands, s.log)
	s.stats.errors = map[string]int64{}
	s.activeExpireEnabled = true
	s.replID, s.replID2 = newRunID(), zeroReplID
	s.repl = newReplicationState()
	if host, port, ok := configuredMaster(cfg.ReplicaOf); ok {
		s.repl.masterHost, s.repl.masterPort = host, port
	}
	s.pubsub = newPubsubState()
	if err := s.setNotifyFlags(cfg.NotifyKeyspaceEvents); err != nil {
		s.log.Warn().Err(err).Str("value", cfg.NotifyKeyspaceEvents).Msg("notify-keyspace-events ignored")
	}
	s.tasks = cronTaskList()
	s.gateList = s.gates()
	s.persist = persistState{lastSave: time.Now(), lastBgsaveOK: true, lastBgsaveSecs: -1}
	s.aof = newAOFState()
	s.dbs = make([]*store.DB, cfg.Databases)
	s.dbState = make([]dbState, cfg.Databases)
	for i := range s.dbs {
		s.dbs[i] = store.NewDB(i)
		s.dbState[i] = dbState{blocking: map[string][]*Client{}, watched: map[string][]*Client{}}
	}
	return s
}

// newRunID returns 40 random hex characters.
func newRunID() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("server: no randomness for run id: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// RunID returns the run id reported by INFO.
func (s *Server) RunID() string { return s.runID }

// Config returns the live configuration; read it under the execution lock only.
func (s *Server) Config() *config.Server { return s.cfg }

// Serve accepts connections on every listener and runs the background tasks until Close,
// then waits for them, removes the pidfile and closes Done.
func (s *Server) Serve() error {
	s.lmu.Lock()
	for _, l := range s.listeners {
		s.wg.Add(1)
		go s.acceptLoop(l)
	}
	s.lmu.Unlock()
	s.wg.Add(1)
	go s.cronLoop()
	<-s.done
	s.wg.Wait()
	if s.pidFile != "" {
		os.Remove(s.pidFile)
	}
	close(s.stopped)
	return nil
}

// Close stops listening, disconnects every client and stops the background tasks.
func (s *Server) Close() {
	s.doneOnce.Do(func() {
		close(s.done)
		s.lmu.Lock()
		for _, l := range s.listeners {
			l.Close()
		}
		s.lmu.Unlock()
		if s.unixPath != "" {
			os.Remove(s.unixPath)
		}
		s.mu.Lock()
		for _, c := range s.clients {
			c.close()
		}
		s.mu.Unlock()
	})
}

func (s *Server) acceptLoop(l net.Listener) {
	defer s.wg.Done()
	var failures acceptErrorLog
	for {
		conn, err := l.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) { // CONFIG SET port or bind replaced it
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			failures.failed(s.log, err, time.Now())
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.stats.connections.Add(1)
		go s.serveConn(conn)
	}
}

// cronLoop runs serverCron hz times per second, and advances the progress counter
// under the execution lock every beatPeriod.
func (s *Server) cronLoop() {
	defer s.wg.Done()
	hz := s.cfg.Hz
	if hz <= 0 {
		hz = 10
	}
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	beat := time.NewTicker(beatPeriod) // the progress counter (Progress), whatever hz is
	defer beat.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			s.cron()
			s.mu.Unlock()
		case <-beat.C:
			s.mu.Lock()
			s.sup.beats.Add(1)
			s.mu.Unlock()
		}
	}
}

// cron is the periodic work done under the execution lock (active expiry, client timeouts,
// incremental rehashing...). Each task lives with its family; cron only calls them.
func (s *Server) cron() {
	s.nowMs = time.Now().UnixMilli()
	if s.debug.pauseCron { // DEBUG PAUSE-CRON 1
		return
	}
	for _, task := range s.tasks {
		task(s)
	}
}
