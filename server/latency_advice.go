package server

import (
	"fmt"
	"strings"
)

// latencyAdvices marks the advices LATENCY DOCTOR gives for event (lower case).
func (s *Server) latencyAdvices(event string, adv map[string]bool) {
	switch event {
	case "command":
		if s.cfg.SlowlogLogSlowerThan < 0 {
			adv["slowlog-enable"] = true
		} else if s.cfg.SlowlogLogSlowerThan/1000 > s.cfg.LatencyMonitorThreshold {
			adv["slowlog-tune"] = true
		}
		adv["slowlog-inspect"], adv["large-objects"] = true, true
	case "fast-command":
		adv["scheduler"] = true
	case "expire-cycle":
		adv["hz"], adv["large-objects"] = true, true
	case "eviction-del":
		adv["large-objects"] = true
	case "eviction-cycle":
		adv["mass-eviction"] = true
	}
}

// writeAdvices writes the marked advices in Redis's order.
func (s *Server) writeAdvices(b *strings.Builder, adv map[string]bool) {
	threshold := s.cfg.LatencyMonitorThreshold * 1000
	if adv["slowlog-enable"] {
		fmt.Fprintf(b, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold)
	}
	if adv["slowlog-tune"] {
		fmt.Fprintf(b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", threshold)
	}
	if adv["slowlog-inspect"] {
		b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
	}
	if adv["scheduler"] {
		b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
			"  1) Lower the system load.\n" +
			"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
			"  3) Check if you have a \"noisy neighbour\" problem.\n" +
			"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
			"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
	}
	if adv["hz"] && s.cfg.Hz < 100 {
		b.WriteString("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
	}
	if adv["large-objects"] {
		b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
	}
	if adv["mass-eviction"] {
		b.WriteString("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n")
	}
}
