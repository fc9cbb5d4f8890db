package server

import (
	"regexp"
	"strings"
	"testing"
)

// infoEverythingGolden lists the section headers and field names of `INFO everything`
// from redis-server 7.0.15, in order, without the per-command, per-error and per-database
// lines (cmdstat_*, errorstat_*, latency_percentiles_usec_*, dbN).
const infoEverythingGolden = `# Server
redis_version
redis_git_sha1
redis_git_dirty
redis_build_id
redis_mode
os
arch_bits
monotonic_clock
multiplexing_api
atomicvar_api
gcc_version
process_id
process_supervised
run_id
tcp_port
server_time_usec
uptime_in_seconds
uptime_in_days
hz
configured_hz
lru_clock
executable
config_file
io_threads_active
# Clients
connected_clients
cluster_connections
maxclients
client_recent_max_input_buffer
client_recent_max_output_buffer
blocked_clients
tracking_clients
clients_in_timeout_table
# Memory
used_memory
used_memory_human
used_memory_rss
used_memory_rss_human
used_memory_peak
used_memory_peak_human
used_memory_peak_perc
used_memory_overhead
used_memory_startup
used_memory_dataset
used_memory_dataset_perc
allocator_allocated
allocator_active
allocator_resident
total_system_memory
total_system_memory_human
used_memory_lua
used_memory_vm_eval
used_memory_lua_human
used_memory_scripts_eval
number_of_cached_scripts
number_of_functions
number_of_libraries
used_memory_vm_functions
used_memory_vm_total
used_memory_vm_total_human
used_memory_functions
used_memory_scripts
used_memory_scripts_human
maxmemory
maxmemory_human
maxmemory_policy
allocator_frag_ratio
allocator_frag_bytes
allocator_rss_ratio
allocator_rss_bytes
rss_overhead_ratio
rss_overhead_bytes
mem_fragmentation_ratio
mem_fragmentation_bytes
mem_not_counted_for_evict
mem_replication_backlog
mem_total_replication_buffers
mem_clients_slaves
mem_clients_normal
mem_cluster_links
mem_aof_buffer
mem_allocator
active_defrag_running
lazyfree_pending_objects
lazyfreed_objects
# Persistence
loading
async_loading
current_cow_peak
current_cow_size
current_cow_size_age
current_fork_perc
current_save_keys_processed
current_save_keys_total
rdb_changes_since_last_save
rdb_bgsave_in_progress
rdb_last_save_time
rdb_last_bgsave_status
rdb_last_bgsave_time_sec
rdb_current_bgsave_time_sec
rdb_saves
rdb_last_cow_size
rdb_last_load_keys_expired
rdb_last_load_keys_loaded
aof_enabled
aof_rewrite_in_progress
aof_rewrite_scheduled
aof_last_rewrite_time_sec
aof_current_rewrite_time_sec
aof_last_bgrewrite_status
aof_rewrites
aof_rewrites_consecutive_failures
aof_last_write_status
aof_last_cow_size
module_fork_in_progress
module_fork_last_cow_size
# Stats
total_connections_received
total_commands_processed
instantaneous_ops_per_sec
total_net_input_bytes
total_net_output_bytes
total_net_repl_input_bytes
total_net_repl_output_bytes
instantaneous_input_kbps
instantaneous_output_kbps
instantaneous_input_repl_kbps
instantaneous_output_repl_kbps
rejected_connections
sync_full
sync_partial_ok
sync_partial_err
expired_keys
expired_stale_perc
expired_time_cap_reached_count
expire_cycle_cpu_milliseconds
evicted_keys
evicted_clients
total_eviction_exceeded_time
current_eviction_exceeded_time
keyspace_hits
keyspace_misses
pubsub_channels
pubsub_patterns
pubsubshard_channels
latest_fork_usec
total_forks
migrate_cached_sockets
slave_expires_tracked_keys
active_defrag_hits
active_defrag_misses
active_defrag_key_hits
active_defrag_key_misses
total_active_defrag_time
current_active_defrag_time
tracking_total_keys
tracking_total_items
tracking_total_prefixes
unexpected_error_replies
total_error_replies
dump_payload_sanitizations
total_reads_processed
total_writes_processed
io_threaded_reads_processed
io_threaded_writes_processed
reply_buffer_shrinks
reply_buffer_expands
# Replication
role
connected_slaves
master_failover_state
master_replid
master_replid2
master_repl_offset
second_repl_offset
repl_backlog_active
repl_backlog_size
repl_backlog_first_byte_offset
repl_backlog_histlen
# CPU
used_cpu_sys
used_cpu_user
used_cpu_sys_children
used_cpu_user_children
used_cpu_sys_main_thread
used_cpu_user_main_thread
# Modules
# Commandstats
# Errorstats
# Latencystats
# Cluster
cluster_enabled
# Keyspace
`

// infoFieldNames extracts the headers and field names of an INFO text like the golden.
func infoFieldNames(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\r\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			out = append(out, line)
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		if strings.HasPrefix(name, "cmdstat_") || strings.HasPrefix(name, "errorstat_") ||
			strings.HasPrefix(name, "latency_percentiles") || regexp.MustCompile(`^db\d+$`).MatchString(name) {
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestInfoFieldOrderMatchesRedis(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "k", "v")
	c.do("GET", "k")
	want := strings.Fields(strings.ReplaceAll(infoEverythingGolden, "# ", "#"))
	for _, arg := range []string{"everything", "all"} {
		t.Run(arg, func(t *testing.T) {
			ts.mu.Lock()
			text := ts.infoString([][]byte{[]byte(arg)})
			ts.mu.Unlock()
			got := infoFieldNames(text)
			for i := range got {
				got[i] = strings.ReplaceAll(got[i], "# ", "#")
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				for i := 0; i < len(got) || i < len(want); i++ {
					var g, w string
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if g != w {
						t.Fatalf("field %d: got %q, want %q (got %d fields, want %d)", i, g, w, len(got), len(want))
					}
				}
			}
		})
	}
}

func TestInfoSections(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	headers := func(args ...string) string {
		t.Helper()
		raw := c.do(append([]string{"INFO"}, args...)...)
		var hs []string
		for _, line := range strings.Split(raw, "\r\n") {
			if strings.HasPrefix(line, "# ") {
				hs = append(hs, line[2:])
			}
		}
		return strings.Join(hs, ",")
	}
	const deflt = "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Errorstats,Cluster,Keyspace"
	const all = "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Commandstats,Errorstats,Latencystats,Cluster,Keyspace"
	cases := []struct {
		args []string
		want string
	}{
		{nil, deflt},
		{[]string{"default"}, deflt},
		{[]string{"DEFAULT"}, deflt},
		{[]string{"all"}, all},
		{[]string{"everything"}, all},
		{[]string{"keyspace", "server"}, "Server,Keyspace"},
		{[]string{"KEYSPACE", "nosuch", "cpu"}, "CPU,Keyspace"},
		{[]string{"commandstats"}, "Commandstats"},
		{[]string{"modules"}, "Modules"},
		{[]string{"module_list"}, "Modules"},
		{[]string{"default", "commandstats"}, "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Commandstats,Errorstats,Cluster,Keyspace"},
		{[]string{"nosuch"}, ""},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := headers(tc.args...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestInfoRawReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("SET", "a", "1")
	c.do("SELECT", "3")
	c.do("SET", "b", "1")
	c.do("SELECT", "0")
	cases := []struct {
		proto int
		args  []string
		want  string
	}{
		{2, []string{"INFO", "nosuch"}, "$0\r\n\r\n"},
		{2, []string{"INFO", "cluster"}, "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"},
		{2, []string{"INFO", "keyspace"}, "$76\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n\r\n"},
		{2, []string{"INFO", "cluster", "modules"}, "$43\r\n# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"},
		{3, []string{"INFO", "nosuch"}, "=4\r\ntxt:\r\n"},
		{3, []string{"INFO", "cluster"}, "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ts.setProto(t, c, tc.proto)
			if got := c.do(tc.args...); got != tc.want {
				t.Errorf("RESP%d: got %q, want %q", tc.proto, got, tc.want)
			}
		})
	}
}

// infoField returns one field of INFO's reply text.
func infoField(t *testing.T, c *rawClient, section, field string) string {
	t.Helper()
	raw := c.do("INFO", section)
	for _, line := range strings.Split(raw, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s: %q", section, field, raw)
	return ""
}

func TestInfoValues(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t)
	c.do("CONFIG", "RESETSTAT")
	c.do("SET", "a", "1")
	c.do("SET", "b", "1", "EX", "1000")
	c.do("GET", "a")
	c.do("GET", "missing")
	c.do("CONFIG", "GET", "maxmemory")
	c.do("NOSUCH")
	c.do("SWAPDB", "x", "0")
	c.do("LPUSH", "a", "x")
	checks := []struct{ section, field, pattern string }{
		{"server", "redis_version", `^7\.0\.15$`},
		{"server", "redis_mode", `^standalone$`},
		{"server", "run_id", `^[0-9a-f]{40}$`},
		{"server", "tcp_port", `^\d+$`},
		{"server", "arch_bits", `^64$`},
		{"clients", "connected_clients", `^1$`},
		{"memory", "used_memory", `^\d+$`},
		{"memory", "used_memory_human", `^[\d.]+[BKMGTP]$`},
		{"memory", "used_memory_peak_perc", `^[\d.]+%$`},
		{"memory", "maxmemory_policy", `^noeviction$`},
		{"persistence", "rdb_changes_since_last_save", `^2$`},
		{"persistence", "rdb_last_bgsave_status", `^ok$`},
		{"persistence", "rdb_last_bgsave_time_sec", `^-1$`},
		{"stats", "keyspace_hits", `^1$`},
		{"stats", "keyspace_misses", `^1$`},
		{"stats", "total_error_replies", `^3$`},
		{"stats", "instantaneous_input_kbps", `^\d+\.\d\d$`},
		{"replication", "role", `^master$`},
		{"replication", "master_replid", `^[0-9a-f]{40}$`},
		{"replication", "master_replid2", `^0{40}$`},
		{"replication", "repl_backlog_size", `^1048576$`},
		{"cpu", "used_cpu_user", `^\d+\.\d{6}$`},
		{"commandstats", "cmdstat_set", `^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$`},
		{"commandstats", "cmdstat_config|get", `^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$`},
		{"commandstats", "cmdstat_swapdb", `^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1$`},
		{"commandstats", "cmdstat_lpush", `^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1$`},
		{"errorstats", "errorstat_ERR", `^count=2$`},
		{"errorstats", "errorstat_WRONGTYPE", `^count=1$`},
		{"keyspace", "db0", `^keys=2,expires=1,avg_ttl=\d+$`},
	}
	for _, tc := range checks {
		t.Run(tc.field, func(t *testing.T) {
			if got := infoField(t, c, tc.section, tc.field); !regexp.MustCompile(tc.pattern).MatchString(got) {
				t.Errorf("%s: got %q, want a match for %s", tc.field, got, tc.pattern)
			}
		})
	}
}

func TestInstantaneousMetric(t *testing.T) {
	var m instMetric
	now := int64(1000)
	m.track(0, now)
	for i := 0; i < metricSamples; i++ {
		now += 100
		m.track(int64(i+1)*50, now) // 50 per 100 ms = 500/s
	}
	if got := m.value(); got != 500 {
		t.Errorf("got %d ops/s, want 500", got)
	}
	now += 100
	m.track(int64(metricSamples)*50, now) // nothing in the last 100 ms
	if got, want := m.value(), int64(500*15/16); got != want {
		t.Errorf("after an idle sample: got %d, want %d", got, want)
	}
}

func TestBytesToHuman(t *testing.T) {
	cases := []struct {
		n    int64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1.00K"}, {965800, "943.16K"}, {6893568, "6.57M"},
		{25276510208, "23.54G"}, {1 << 40, "1.00T"}, {1 << 50, "1.00P"},
	}
	for _, tc := range cases {
		if got := bytesToHuman(tc.n); got != tc.want {
			t.Errorf("bytesToHuman(%d): got %q, want %q", tc.n, got, tc.want)
		}
	}
}
