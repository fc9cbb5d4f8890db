package server

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-db/vigil/store"
)

// zeroReplID is a replication id that is not set (master_replid2 of a fresh master).
const zeroReplID = "0000000000000000000000000000000000000000"

// INFO's fixed facts about the build and the platform.
const (
	infoBuildID   = "5669676967696c00"
	infoAllocator = "libc"
)

// Instantaneous metrics, sampled every 100 ms over 16 samples as Redis does.
const (
	metricCommands = iota
	metricNetInput
	metricNetOutput
	metricCount

	metricSamples  = 16
	metricPeriodMs = 100
)

// infoState holds INFO's instantaneous metrics (under the execution lock).
type infoState struct {
	metrics      [metricCount]instMetric
	lastSampleMs int64
	startupMem   int64 // used_memory_startup, taken at the first cron run
}

// instMetric is Redis's inst_metric: per-second rates of a counter, one per sample.
type instMetric struct {
	lastTimeMs int64
	lastCount  int64
	samples    [metricSamples]int64
	idx        int
}

// track is trackInstantaneousMetric.
func (m *instMetric) track(current, nowMs int64) {
	t := nowMs - m.lastTimeMs
	var perSec int64
	if t > 0 {
		perSec = (current - m.lastCount) * 1000 / t
	}
	m.samples[m.idx] = perSec
	m.idx = (m.idx + 1) % metricSamples
	m.lastTimeMs = nowMs
	m.lastCount = current
}

// value is getInstantaneousMetric: the mean of the samples.
func (m *instMetric) value() int64 {
	var sum int64
	for _, v := range m.samples {
		sum += v
	}
	return sum / metricSamples
}

// infoCron samples the instantaneous metrics every 100 ms (run_with_period(100)).
func (s *Server) infoCron() {
	now := s.nowMs
	if s.info.startupMem == 0 {
		s.info.startupMem = s.usedMemory()
	}
	if now-s.info.lastSampleMs < metricPeriodMs {
		return
	}
	s.info.lastSampleMs = now
	s.info.metrics[metricCommands].track(s.stats.commands, now)
	s.info.metrics[metricNetInput].track(s.stats.netInput.Load(), now)
	s.info.metrics[metricNetOutput].track(s.stats.netOutput.Load(), now)
}

func cmdInfo(c *Client) {
	s := c.srv
	// rendered into a buffer kept for the next INFO: monitoring polls it, and what a
	// command allocates while a GC cycle marks counts as live in used_memory until the
	// next cycle (evict.go)
	s.infoBuf = s.appendInfo(s.infoBuf[:0], c.args[1:])
	c.w.VerbatimBytes(s.infoBuf, "txt")
	if cap(s.infoBuf) > infoBufKeep {
		s.infoBuf = nil
	}
}

// infoBufKeep is the largest INFO buffer kept for the next INFO (commandstats of many
// commands grow it past).
const infoBufKeep = 32 << 10

// infoSections is genInfoSectionDict: the requested sections and whether all were asked.
type infoSections struct {
	names map[string]bool
	all   bool
}

var defaultInfoSections = []string{"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "module_list", "errorstats", "cluster", "keyspace"}

func parseInfoSections(args [][]byte) infoSections {
	sel := infoSections{names: map[string]bool{}}
	addDefaults := func() {
		for _, n := range defaultInfoSections {
			sel.names[n] = true
		}
	}
	if len(args) == 0 {
		addDefaults()
	}
	for _, a := range args {
		name := strings.ToLower(string(a))
		switch name {
		case "default":
			addDefaults()
		case "all", "everything":
			sel.all = true
		default:
			sel.names[name] = true
		}
	}
	return sel
}

func (sel infoSections) want(names ...string) bool {
	if sel.all {
		return true
	}
	for _, n := range names {
		if sel.names[n] {
			return true
		}
	}
	return false
}

// infoWriter builds INFO's text: sections separated by an empty line, "key:value" lines.
type infoWriter struct {
	b        []byte
	sections int
}

func (w *infoWriter) section(name string) {
	if w.sections > 0 {
		w.b = append(w.b, "\r\n"...)
	}
	w.sections++
	w.b = append(w.b, "# "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) str(key, val string) {
	w.b = append(w.b, key...)
	w.b = append(w.b, ':')
	w.b = append(w.b, val...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) int(key string, v int64) {
	w.b = append(w.b, key...)
	w.b = append(w.b, ':')
	w.b = strconv.AppendInt(w.b, v, 10)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) f2(key string, v float64) { w.str(key, strconv.FormatFloat(v, 'f', 2, 64)) }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// infoString is genRedisInfoString: the sections in Redis 7.0's order, rendered from
// the Stats snapshot of the sections asked for.
func (s *Server) infoString(args [][]byte) string { return string(s.appendInfo(nil, args)) }

// appendInfo appends infoString's text to dst: the sections asked for, in Redis 7.0's order.
func (s *Server) appendInfo(dst []byte, args [][]byte) []byte {
	sel := parseInfoSections(args)
	st := s.gatherStats(sel)
	w := infoWriter{b: dst}
	// section starts the section title when one of names selects it
	section := func(title string, names ...string) bool {
		if !sel.want(names...) {
			return false
		}
		w.section(title)
		return true
	}
	if section("Server", "server") {
		infoServer(&w, &st.Server)
	}
	if section("Clients", "clients") {
		infoClients(&w, &st.Clients)
	}
	if section("Memory", "memory") {
		infoMemory(&w, &st.Memory)
	}
	if section("Persistence", "persistence") {
		infoPersistence(&w, &st.Persistence)
	}
	if section("Stats", "stats") {
		infoStats(&w, &st.Activity)
	}
	if section("Replication", "replication") {
		infoReplication(&w, &st.Replication)
	}
	if section("CPU", "cpu") {
		infoCPU(&w)
	}
	section("Modules", "module_list", "modules")
	if section("Commandstats", "commandstats") {
		infoCommandstats(&w, st.Commands)
	}
	if section("Errorstats", "errorstats") {
		infoErrorstats(&w, st.Errors)
	}
	if section("Latencystats", "latencystats") {
		infoLatencystats(&w, st.Latency)
	}
	if section("Cluster", "cluster") {
		w.int("cluster_enabled", 0)
	}
	if section("Keyspace", "keyspace") {
		infoKeyspace(&w, st.Keyspace)
	}
	return w.b
}

func infoServer(w *infoWriter, st *StatsServer) {
	uptime := int64(st.Now.Sub(st.Started).Seconds())
	w.str("redis_version", Version)
	w.str("redis_git_sha1", "00000000")
	w.str("redis_git_dirty", "0")
	w.str("redis_build_id", infoBuildID)
	w.str("redis_mode", "standalone")
	w.str("os", unameString())
	w.str("arch_bits", "64")
	w.str("monotonic_clock", "POSIX clock_gettime")
	w.str("multiplexing_api", "epoll")
	w.str("atomicvar_api", "c11-builtin")
	w.str("gcc_version", "0.0.0")
	w.int("process_id", int64(st.PID))
	w.str("process_supervised", st.Supervised)
	w.str("run_id", st.RunID)
	w.int("tcp_port", int64(st.Port))
	w.int("server_time_usec", st.Now.UnixMicro())
	w.int("uptime_in_seconds", uptime)
	w.int("uptime_in_days", uptime/86400)
	w.int("hz", int64(st.Hz))
	w.int("configured_hz", int64(st.Hz))
	w.int("lru_clock", int64(st.LRUClock))
	w.str("executable", st.Executable)
	w.str("config_file", st.ConfigFile)
	w.int("io_threads_active", 0)
}

// unameString is "sysname release machine", as Redis's os field.
func unameString() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	str := func(f [65]int8) string {
		b := make([]byte, 0, len(f))
		for _, c := range f {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	return str(u.Sysname) + " " + str(u.Release) + " " + str(u.Machine)
}

// executablePath is the path the process was started as when it is absolute (a
// redis-server symlink stays visible), else the resolved executable (the working
// directory may have changed since start-up).
func executablePath() string {
	if filepath.IsAbs(os.Args[0]) {
		return os.Args[0]
	}
	p, _ := os.Executable()
	return p
}

func infoClients(w *infoWriter, st *StatsClients) {
	w.int("connected_clients", st.Connected)
	w.int("cluster_connections", 0)
	w.int("maxclients", int64(st.MaxClients))
	w.int("client_recent_max_input_buffer", 0)
	w.int("client_recent_max_output_buffer", 0)
	w.int("blocked_clients", st.Blocked)
	w.int("tracking_clients", 0)
	w.int("clients_in_timeout_table", st.InTimeout)
}

// bytesToHuman is Redis's bytesToHuman.
func bytesToHuman(n int64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", d/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", d/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", d/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", d/(1<<40))
	case n < 1<<60:
		return fmt.Sprintf("%.2fP", d/(1<<50))
	}
	return strconv.FormatInt(n, 10) + "B"
}

// processRSS is the resident set size from /proc/self/statm (0 if unavailable).
func processRSS() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func totalSystemMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

// allocatorFigures reads the Go heap as the allocator_* fields: bytes in live and dead
// objects (allocated), plus the unused parts of in-use spans (active), plus everything
// else the runtime keeps mapped and not released (resident).
func allocatorFigures() (allocated, active, resident int64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(samples)
	v := make([]int64, len(samples))
	for i, sm := range samples {
		if sm.Value.Kind() == metrics.KindUint64 {
			v[i] = int64(sm.Value.Uint64())
		}
	}
	return v[0], v[0] + v[1], v[2] - v[3]
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func infoMemory(w *infoWriter, st *StatsMemory) {
	used, peak, rss, startup, overhead, dataset := st.Used, st.Peak, st.RSS, st.Startup, st.Overhead, st.Dataset
	allocated, active, resident, sysMem := st.Allocated, st.Active, st.Resident, st.SystemTotal

	w.int("used_memory", used)
	w.str("used_memory_human", bytesToHuman(used))
	w.int("used_memory_rss", rss)
	w.str("used_memory_rss_human", bytesToHuman(rss))
	w.int("used_memory_peak", peak)
	w.str("used_memory_peak_human", bytesToHuman(peak))
	w.str("used_memory_peak_perc", fmt.Sprintf("%.2f%%", ratio(used*100, peak)))
	w.int("used_memory_overhead", overhead)
	w.int("used_memory_startup", startup)
	w.int("used_memory_dataset", dataset)
	w.str("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", ratio(dataset*100, used-startup)))
	w.int("allocator_allocated", allocated)
	w.int("allocator_active", active)
	w.int("allocator_resident", resident)
	w.int("total_system_memory", sysMem)
	w.str("total_system_memory_human", bytesToHuman(sysMem))
	w.int("used_memory_lua", 0)
	w.int("used_memory_vm_eval", 0)
	w.str("used_memory_lua_human", bytesToHuman(0))
	w.int("used_memory_scripts_eval", 0)
	w.int("number_of_cached_scripts", 0)
	w.int("number_of_functions", 0)
	w.int("number_of_libraries", 0)
	w.int("used_memory_vm_functions", 0)
	w.int("used_memory_vm_total", 0)
	w.str("used_memory_vm_total_human", bytesToHuman(0))
	w.int("used_memory_functions", 0)
	w.int("used_memory_scripts", 0)
	w.str("used_memory_scripts_human", bytesToHuman(0))
	w.int("maxmemory", st.MaxMemory)
	w.str("maxmemory_human", bytesToHuman(st.MaxMemory))
	w.str("maxmemory_policy", st.MaxMemoryPolicy)
	w.f2("allocator_frag_ratio", ratio(active, allocated))
	w.int("allocator_frag_bytes", active-allocated)
	w.f2("allocator_rss_ratio", ratio(resident, active))
	w.int("allocator_rss_bytes", resident-active)
	w.f2("rss_overhead_ratio", ratio(rss, resident))
	w.int("rss_overhead_bytes", rss-resident)
	w.f2("mem_fragmentation_ratio", ratio(rss, used))
	w.int("mem_fragmentation_bytes", rss-used)
	w.int("mem_not_counted_for_evict", st.NotCounted)
	w.int("mem_replication_backlog", st.ReplBacklog)
	w.int("mem_total_replication_buffers", st.ReplBacklog+st.ClientsSlaves)
	w.int("mem_clients_slaves", st.ClientsSlaves)
	w.int("mem_clients_normal", st.ClientsNormal)
	w.int("mem_cluster_links", 0)
	w.int("mem_aof_buffer", st.AOFBuffer)
	w.str("mem_allocator", infoAllocator)
	w.int("active_defrag_running", 0)
	w.int("lazyfree_pending_objects", 0)
	w.int("lazyfreed_objects", st.LazyfreedObjects)
}

func infoPersistence(w *infoWriter, st *StatsPersistence) {
	forkPerc := 0.0
	if st.BgsaveInProgress && st.SaveKeysTotal > 0 {
		forkPerc = float64(st.SaveKeysProcessed) * 100 / float64(st.SaveKeysTotal)
	}
	status := "ok"
	if !st.LastBgsaveOK {
		status = "err"
	}
	w.int("loading", boolInt(st.Loading))
	w.int("async_loading", 0)
	w.int("current_cow_peak", 0)
	w.int("current_cow_size", 0)
	w.int("current_cow_size_age", 0)
	w.f2("current_fork_perc", forkPerc)
	w.int("current_save_keys_processed", st.SaveKeysProcessed)
	w.int("current_save_keys_total", st.SaveKeysTotal)
	w.int("rdb_changes_since_last_save", st.ChangesSinceLastSave)
	w.int("rdb_bgsave_in_progress", boolInt(st.BgsaveInProgress))
	w.int("rdb_last_save_time", st.LastSave.Unix())
	w.str("rdb_last_bgsave_status", status)
	w.int("rdb_last_bgsave_time_sec", st.LastBgsaveSecs)
	w.int("rdb_current_bgsave_time_sec", st.CurrentBgsaveSecs)
	w.int("rdb_saves", st.Saves)
	w.int("rdb_last_cow_size", 0)
	w.int("rdb_last_load_keys_expired", st.LoadKeysExpired)
	w.int("rdb_last_load_keys_loaded", st.LoadKeysLoaded)
	for _, kv := range aofInfoFields(st.AOF) { // aof_enabled ... (aof.go)
		w.str(kv[0], kv[1])
	}
}

func infoStats(w *infoWriter, st *StatsActivity) {
	w.int("total_connections_received", st.Connections)
	w.int("total_commands_processed", st.Commands)
	w.int("instantaneous_ops_per_sec", st.OpsPerSec)
	w.int("total_net_input_bytes", st.NetInput)
	w.int("total_net_output_bytes", st.NetOutput)
	w.int("total_net_repl_input_bytes", st.ReplInput)
	w.int("total_net_repl_output_bytes", st.ReplOutput)
	w.f2("instantaneous_input_kbps", float64(st.InputPerSec)/1024)
	w.f2("instantaneous_output_kbps", float64(st.OutputPerSec)/1024)
	w.f2("instantaneous_input_repl_kbps", 0)
	w.f2("instantaneous_output_repl_kbps", 0)
	w.int("rejected_connections", st.Rejected)
	w.int("sync_full", st.SyncFull)
	w.int("sync_partial_ok", st.SyncPartialOK)
	w.int("sync_partial_err", st.SyncPartialErr)
	w.int("expired_keys", st.ExpiredKeys)
	w.f2("expired_stale_perc", st.ExpiredStale*100)
	w.int("expired_time_cap_reached_count", st.ExpiredTimeCapReached)
	w.int("expire_cycle_cpu_milliseconds", 0)
	w.int("evicted_keys", st.EvictedKeys)
	w.int("evicted_clients", st.EvictedClients)
	w.int("total_eviction_exceeded_time", 0)
	w.int("current_eviction_exceeded_time", 0)
	w.int("keyspace_hits", st.KeyspaceHits)
	w.int("keyspace_misses", st.KeyspaceMisses)
	w.int("pubsub_channels", st.PubsubChannels)
	w.int("pubsub_patterns", st.PubsubPatterns)
	w.int("pubsubshard_channels", st.PubsubShardChannels)
	w.int("latest_fork_usec", st.LatestForkUsec)
	w.int("total_forks", st.TotalForks)
	w.int("migrate_cached_sockets", st.MigrateCachedSockets)
	w.int("slave_expires_tracked_keys", st.ReplicaExpiresTracked)
	w.int("active_defrag_hits", 0)
	w.int("active_defrag_misses", 0)
	w.int("active_defrag_key_hits", 0)
	w.int("active_defrag_key_misses", 0)
	w.int("total_active_defrag_time", 0)
	w.int("current_active_defrag_time", 0)
	w.int("tracking_total_keys", 0)
	w.int("tracking_total_items", 0)
	w.int("tracking_total_prefixes", 0)
	w.int("unexpected_error_replies", 0)
	w.int("total_error_replies", st.ErrorReplies)
	w.int("dump_payload_sanitizations", 0)
	w.int("total_reads_processed", 0)
	w.int("total_writes_processed", 0)
	w.int("io_threaded_reads_processed", 0)
	w.int("io_threaded_writes_processed", 0)
	w.int("reply_buffer_shrinks", st.ReplyShrinks)
	w.int("reply_buffer_expands", st.ReplyExpands)
}

func infoCPU(w *infoWriter) {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
	w.str("used_cpu_sys", tv(self.Stime))
	w.str("used_cpu_user", tv(self.Utime))
	w.str("used_cpu_sys_children", tv(children.Stime))
	w.str("used_cpu_user_children", tv(children.Utime))
	// Go has no main thread: the process figures stand for it.
	w.str("used_cpu_sys_main_thread", tv(self.Stime))
	w.str("used_cpu_user_main_thread", tv(self.Utime))
}

// infoCommandstats writes the commandstats lines.
func infoCommandstats(w *infoWriter, cmds []StatsCommand) {
	for _, st := range cmds {
		perCall := 0.0
		if st.Calls > 0 {
			perCall = float64(st.Usec) / float64(st.Calls)
		}
		w.str("cmdstat_"+st.Name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			st.Calls, st.Usec, perCall, st.Rejected, st.Failed))
	}
}

// infoLatencystats writes the latencystats lines.
func infoLatencystats(w *infoWriter, lat []StatsLatency) {
	for _, l := range lat {
		w.str("latency_percentiles_usec_"+l.Name, l.Percentiles)
	}
}

// infoErrorstats lists the error counts by prefix, in byte order (Redis keeps them in a rax).
func infoErrorstats(w *infoWriter, errs map[string]int64) {
	prefixes := make([]string, 0, len(errs))
	for p := range errs {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		w.str("errorstat_"+p, "count="+strconv.FormatInt(errs[p], 10))
	}
}

// infoKeyspace lists every database holding keys. avg_ttl is estimated from a sample of
// the keys with a TTL (Redis estimates it from the active expire cycle's samples).
func infoKeyspace(w *infoWriter, dbs []StatsKeyspace) {
	for _, db := range dbs {
		w.str("db"+strconv.Itoa(db.DB), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=%d", db.Keys, db.Expires, db.AvgTTLMs))
	}
}

func (s *Server) avgTTL(db *store.DB) int64 {
	if db.Expires.Len() == 0 {
		return 0
	}
	now := time.Now().UnixMilli()
	var sum, n int64
	db.Expires.Sample(20, func(_ string, when int64) {
		if ttl := when - now; ttl > 0 {
			sum += ttl
			n++
		}
	})
	if n == 0 {
		return 0
	}
	return sum / n
}
