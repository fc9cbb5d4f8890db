package httpapi

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// serverMetrics exports a data server's INFO figures (a node's own server)
// as gauges named vigil_server_<field>: every numeric field of INFO's default
// sections; the ok/err status fields (rdb_last_bgsave_status, ...) as 1/0;
// master_link_status as vigil_server_master_link_up 1/0; each replica line
// (slaveN:ip=,port=,state=,offset=,lag=) as vigil_server_slave_offset,
// _lag and _online with labels slave and addr; each keyspace line (dbN:
// keys=,expires=,avg_ttl=) as vigil_server_db_keys, _expires and _avg_ttl
// with label db; plus vigil_server_info{role,run_id,redis_version} = 1. It is
// an unchecked collector: the fields are read from INFO at each scrape.
type serverMetrics struct {
	info func() string
}

var _ prometheus.Collector = serverMetrics{}

// Describe sends nothing: the metrics depend on what INFO answers.
func (serverMetrics) Describe(chan<- *prometheus.Desc) {}

// Collect parses one INFO answer.
func (m serverMetrics) Collect(ch chan<- prometheus.Metric) {
	labels := map[string]string{}
	seen := map[string]bool{}
	for _, line := range strings.Split(m.info(), "\n") {
		key, val, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok || key == "" || key[0] == '#' {
			continue
		}
		switch {
		case key == "role" || key == "run_id" || key == "redis_version":
			labels[key] = val
			continue
		case key == "master_link_status":
			key, val = "master_link_up", boolFigure(val == "up")
		case strings.HasSuffix(key, "_status") && (val == "ok" || val == "err"):
			val = boolFigure(val == "ok")
		case isIndexed(key, "slave"):
			replicaFigures(ch, key, val)
			continue
		case isIndexed(key, "db"):
			dbFigures(ch, key, val)
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		name := "vigil_server_" + key
		if err != nil || !validMetricName(name) || seen[name] {
			continue // text fields
		}
		seen[name] = true
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, "INFO field "+key+" of the node's data server.", nil, nil),
			prometheus.GaugeValue, f)
	}
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("vigil_server_info", "The node's data server: role, run id, version.",
		nil, prometheus.Labels{"role": labels["role"], "run_id": labels["run_id"], "redis_version": labels["redis_version"]}),
		prometheus.GaugeValue, 1)
}

// boolFigure is "1" for true, "0" for false.
func boolFigure(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// isIndexed reports whether key is prefix followed by digits (slave0, db12).
func isIndexed(key, prefix string) bool {
	n, ok := strings.CutPrefix(key, prefix)
	_, err := strconv.Atoi(n)
	return ok && n != "" && err == nil
}

// fields parses INFO's k=v,k=v values.
func fields(val string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(val, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

// replicaFigures exports one slaveN line of a master's INFO.
func replicaFigures(ch chan<- prometheus.Metric, key, val string) {
	f := fields(val)
	lv := prometheus.Labels{"slave": strings.TrimPrefix(key, "slave"), "addr": f["ip"] + ":" + f["port"]}
	emit := func(name, help, v string) {
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, help, nil, lv), prometheus.GaugeValue, x)
		}
	}
	emit("vigil_server_slave_offset", "A replica's acknowledged offset (INFO slaveN offset).", f["offset"])
	emit("vigil_server_slave_lag", "Seconds since a replica's last REPLCONF ACK (INFO slaveN lag).", f["lag"])
	emit("vigil_server_slave_online", "1 when a replica's state is online (INFO slaveN state).", boolFigure(f["state"] == "online"))
}

// dbFigures exports one dbN line of INFO's keyspace section.
func dbFigures(ch chan<- prometheus.Metric, key, val string) {
	f := fields(val)
	lv := prometheus.Labels{"db": key}
	for _, k := range []string{"keys", "expires", "avg_ttl"} {
		if x, err := strconv.ParseFloat(f[k], 64); err == nil {
			ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("vigil_server_db_"+k, "INFO keyspace "+k+" of a database.", nil, lv),
				prometheus.GaugeValue, x)
		}
	}
}

// validMetricName reports whether name is [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(name string) bool {
	for i, r := range name {
		ok := r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return name != ""
}
