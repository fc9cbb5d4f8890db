package httpapi

import (
	"io"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/vigil-db/vigil/internal/testutil"
)

// TestMetrics: a failover's events move each counter once and put one
// observation, of the right length, in each phase histogram (down_to_sdown
// and down_to_switch from the master's last valid PING reply, 5 s before its
// +sdown; a second +sdown in the episode changes nothing); the state gauges
// follow the snapshot and the mesh.
func TestMetrics(t *testing.T) {
	src := newFake()
	s, base := startServer(t, src, "pw")
	t0 := time.Unix(1000, 0)
	src.masters[0].LastOKPing = t0.Add(-5 * time.Second)
	seq := []struct {
		after time.Duration
		event string
		msg   string
	}{
		{0, "+sdown", "master m 127.0.0.1 6379"},
		{time.Second, "+sdown", "slave 127.0.0.1:6381 127.0.0.1 6381 @ m 127.0.0.1 6379"},
		{time.Second, "+sdown", "master m 127.0.0.1 6379"}, // again: the first counts
		{2 * time.Second, "+odown", "master m 127.0.0.1 6379 #quorum 2/2"},
		{2 * time.Second, "+try-failover", "master m 127.0.0.1 6379"},
		{3 * time.Second, "+elected-leader", "master m 127.0.0.1 6379"},
		{5 * time.Second, "+promoted-slave", "slave 127.0.0.1:6380 127.0.0.1 6380 @ m 127.0.0.1 6379"},
		{6 * time.Second, "-sdown", "slave 127.0.0.1:6381 127.0.0.1 6381 @ m 127.0.0.1 6379"}, // not the episode's end
		{9 * time.Second, "+failover-end", "master m 127.0.0.1 6379"},
		{10 * time.Second, "+switch-master", "m 127.0.0.1 6379 127.0.0.1 6380"},
		{11 * time.Second, "-failover-abort-not-elected", "master m 127.0.0.1 6380"},
	}
	for i, e := range seq {
		s.metrics.observe(Record{ID: uint64(i + 1), Event: e.event, Master: "m", Message: e.msg, Time: t0.Add(e.after)})
	}
	fams := testutil.Scrape(t, base+"/metrics", "pw")
	m := map[string]string{"master": "m"}
	counts := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"vigil_sentinel_failovers_started_total", m, 1},
		{"vigil_sentinel_failovers_succeeded_total", m, 1},
		{"vigil_sentinel_failovers_aborted_total", map[string]string{"master": "m", "reason": "not-elected"}, 1},
		{"vigil_sentinel_master_switches_total", m, 1},
		{"vigil_sentinel_events_total", map[string]string{"master": "m", "event": "+sdown"}, 3},
		{"vigil_sentinel_mesh_members", map[string]string{"state": "alive"}, 3},
		{"vigil_sentinel_mesh_members", map[string]string{"state": "failed"}, 1},
		{"vigil_sentinel_mesh_members", map[string]string{"state": "left"}, 0},
		{"vigil_sentinel_mesh_members", map[string]string{"state": "leaving"}, 0},
		{"vigil_sentinel_known_replicas", m, 2},
		{"vigil_sentinel_known_sentinels", m, 1},
		{"vigil_sentinel_quorum_reachable", m, 1},
		{"vigil_sentinel_master_odown", map[string]string{"master": "down"}, 1},
		{"vigil_sentinel_master_sdown", m, 0},
	}
	for _, c := range counts {
		if !testutil.HasSeries(fams, c.name, c.labels) {
			t.Errorf("%s%v: no such series", c.name, c.labels)
		}
		if got := testutil.MetricValue(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v: got %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if fams["vigil_sentinel_http_events_dropped_total"] == nil {
		t.Error("vigil_sentinel_http_events_dropped_total: missing")
	}
	checkPhases(t, fams, map[string]float64{"down_to_sdown": 5, "sdown_to_odown": 2, "odown_to_elected": 1,
		"elected_to_promoted": 2, "promoted_to_reconfigured": 4, "down_to_switch": 15})
}

// checkPhases: each phase histogram has one observation of wantSum[phase] seconds.
func checkPhases(t *testing.T, fams map[string]*dto.MetricFamily, wantSum map[string]float64) {
	t.Helper()
	for _, f := range fams["vigil_sentinel_failover_phase_seconds"].GetMetric() {
		var phase string
		for _, l := range f.GetLabel() {
			if l.GetName() == "phase" {
				phase = l.GetValue()
			}
		}
		h := f.GetHistogram()
		if h.GetSampleCount() != 1 || h.GetSampleSum() != wantSum[phase] {
			t.Errorf("phase %s: got %d samples sum %v, want 1 sample of %v", phase, h.GetSampleCount(), h.GetSampleSum(), wantSum[phase])
		}
		delete(wantSum, phase)
	}
	if len(wantSum) != 0 {
		t.Errorf("phases never observed: %v", wantSum)
	}
}

// TestServerMetrics: with Config.ServerInfo, /metrics has the INFO figures of
// the node's data server: numbers, ok/err statuses and the link as 1/0, the
// replica and keyspace lines as labelled series; text fields are labels of
// vigil_server_info.
func TestServerMetrics(t *testing.T) {
	info := "# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\n# Clients\r\nconnected_clients:3\r\n" +
		"# Persistence\r\nrdb_last_bgsave_status:err\r\naof_last_write_status:ok\r\n" +
		"# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=1200,lag=1\r\n" +
		"slave1:ip=127.0.0.1,port=6381,state=wait_bgsave,offset=0,lag=0\r\nmaster_link_status:down\r\nmaster_repl_offset:1234\r\n" +
		"# Keyspace\r\ndb0:keys=5,expires=2,avg_ttl=300\r\n"
	_, base := startServerWith(t, newFake(), Config{ServerInfo: func() string { return info }})
	resp := get(t, "GET", base+"/metrics", "")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"vigil_server_connected_clients 3\n", "vigil_server_connected_slaves 2\n",
		"vigil_server_master_repl_offset 1234\n", `vigil_server_info{redis_version="7.0.15",role="master",run_id="abc"} 1`,
		"vigil_server_rdb_last_bgsave_status 0\n", "vigil_server_aof_last_write_status 1\n", "vigil_server_master_link_up 0\n",
		`vigil_server_slave_offset{addr="127.0.0.1:6380",slave="0"} 1200`, `vigil_server_slave_lag{addr="127.0.0.1:6380",slave="0"} 1`,
		`vigil_server_slave_online{addr="127.0.0.1:6380",slave="0"} 1`, `vigil_server_slave_online{addr="127.0.0.1:6381",slave="1"} 0`,
		`vigil_server_db_keys{db="db0"} 5`, `vigil_server_db_expires{db="db0"} 2`, `vigil_server_db_avg_ttl{db="db0"} 300`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics: no %q in\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "vigil_server_slave0") {
		t.Errorf("GET /metrics: a text field was exported:\n%s", body)
	}
}

// TestMetricsDownUnknown: without the master's last valid PING reply (never
// answered), down_to_sdown is not observed and down_to_switch starts at +sdown.
func TestMetricsDownUnknown(t *testing.T) {
	src := newFake()
	s, base := startServer(t, src, "")
	t0 := time.Unix(1000, 0)
	for i, e := range []struct {
		after      time.Duration
		event, msg string
	}{
		{0, "+sdown", "master m 127.0.0.1 6379"},
		{time.Second, "+odown", "master m 127.0.0.1 6379 #quorum 2/2"},
		{4 * time.Second, "+switch-master", "m 127.0.0.1 6379 127.0.0.1 6380"},
	} {
		s.metrics.observe(Record{ID: uint64(i + 1), Event: e.event, Master: "m", Message: e.msg, Time: t0.Add(e.after)})
	}
	checkPhases(t, testutil.Scrape(t, base+"/metrics", ""), map[string]float64{"sdown_to_odown": 1, "down_to_switch": 4})
}
