package httpapi

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// serverMetrics exports a data server's INFO figures (a node's own server)
// as gauges named vigil_server_<field>: every numeric field of INFO's default
// sections, plus vigil_server_info{role,run_id,redis_version} = 1. It is an
// unchecked collector: the fields are read from INFO at each scrape.
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
		switch key {
		case "role", "run_id", "redis_version":
			labels[key] = val
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		name := "vigil_server_" + key
		if err != nil || !validMetricName(name) || seen[name] {
			continue // text fields (and slave0:ip=...,port=... lines)
		}
		seen[name] = true
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, "INFO field "+key+" of the node's data server.", nil, nil),
			prometheus.GaugeValue, f)
	}
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("vigil_server_info", "The node's data server: role, run id, version.",
		nil, prometheus.Labels{"role": labels["role"], "run_id": labels["run_id"], "redis_version": labels["redis_version"]}),
		prometheus.GaugeValue, 1)
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
