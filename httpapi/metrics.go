package httpapi

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-db/vigil/sentinel"
)

// Failover phases measured from the sentinel's events, by the event that
// starts and the one that ends each.
var phases = []struct{ name, from, to string }{
	{"sdown_to_odown", "+sdown", "+odown"},
	{"odown_to_elected", "+odown", "+elected-leader"},
	{"elected_to_promoted", "+elected-leader", "+promoted-slave"},
	{"promoted_to_reconfigured", "+promoted-slave", "+failover-end"},
	{"down_to_switch", "+sdown", "+switch-master"},
}

// metrics is a prometheus.Collector: state gauges read from the Source on
// every scrape, counters and histograms fed by the event pump.
type metrics struct {
	src Source

	sdown, odown, replicas, sentinels, quorum, quorumOK *prometheus.Desc
	droppedDesc                                         *prometheus.Desc
	dropped                                             func() uint64 // events the subscription lost; nil before Start

	events    *prometheus.CounterVec
	started   *prometheus.CounterVec
	succeeded *prometheus.CounterVec
	aborted   *prometheus.CounterVec
	switches  *prometheus.CounterVec
	phase     *prometheus.HistogramVec

	mu    sync.Mutex                      // guards marks and dropped
	marks map[string]map[string]time.Time // master -> event -> when
}

var _ prometheus.Collector = (*metrics)(nil)

func newMetrics(src Source) *metrics {
	g := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("vigil_sentinel_"+name, help, []string{"master"}, nil)
	}
	c := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "vigil", Subsystem: "sentinel",
			Name: name, Help: help}, labels)
	}
	return &metrics{src: src,
		sdown:     g("master_sdown", "1 when this sentinel sees the master subjectively down."),
		odown:     g("master_odown", "1 when the master is objectively down."),
		replicas:  g("known_replicas", "Replicas known for the master."),
		sentinels: g("known_sentinels", "Other sentinels known for the master."),
		quorum:    g("quorum", "The master's configured quorum."),
		quorumOK:  g("quorum_reachable", "1 when enough sentinels are reachable to reach the quorum and a majority (SENTINEL CKQUORUM)."),
		events:    c("events_total", "Sentinel events seen, by event name.", "master", "event"),
		started:   c("failovers_started_total", "Failovers this sentinel attempted (+try-failover).", "master"),
		succeeded: c("failovers_succeeded_total", "Failovers this sentinel led to the end (+failover-end).", "master"),
		aborted:   c("failovers_aborted_total", "Failovers aborted (-failover-abort-<reason>).", "master", "reason"),
		switches:  c("master_switches_total", "Master address changes (+switch-master).", "master"),
		phase: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "vigil", Subsystem: "sentinel",
			Name: "failover_phase_seconds", Help: "Duration of each failover phase, from the sentinel's events.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 18)}, []string{"master", "phase"}),
		droppedDesc: prometheus.NewDesc("vigil_sentinel_http_events_dropped_total",
			"Sentinel events the HTTP endpoint lost because its reader fell behind.", nil, nil),
		marks: map[string]map[string]time.Time{},
	}
}

// Describe sends every descriptor.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.sdown, m.odown, m.replicas, m.sentinels, m.quorum, m.quorumOK, m.droppedDesc} {
		ch <- d
	}
	for _, v := range []*prometheus.CounterVec{m.events, m.started, m.succeeded, m.aborted, m.switches} {
		v.Describe(ch)
	}
	m.phase.Describe(ch)
}

// Collect reads the masters' state and sends it with the counters.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	if ms, err := m.src.Masters(); err == nil {
		for _, s := range ms {
			m.collectMaster(ch, s)
		}
	}
	for _, v := range []*prometheus.CounterVec{m.events, m.started, m.succeeded, m.aborted, m.switches} {
		v.Collect(ch)
	}
	m.phase.Collect(ch)
	m.mu.Lock()
	dropped := m.dropped
	m.mu.Unlock()
	if dropped != nil {
		ch <- prometheus.MustNewConstMetric(m.droppedDesc, prometheus.CounterValue, float64(dropped()))
	}
}

// setDropped installs the subscription's lost-event count.
func (m *metrics) setDropped(f func() uint64) {
	m.mu.Lock()
	m.dropped = f
	m.mu.Unlock()
}

func (m *metrics) collectMaster(ch chan<- prometheus.Metric, s sentinel.MasterSnapshot) {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, s.Name)
	}
	gauge(m.sdown, b(s.Flags&sentinel.FlagSDown != 0))
	gauge(m.odown, b(s.Flags&sentinel.FlagODown != 0))
	gauge(m.replicas, float64(len(s.Replicas)))
	gauge(m.sentinels, float64(len(s.Sentinels)))
	gauge(m.quorum, float64(s.Quorum))
	gauge(m.quorumOK, b(quorumReachable(s)))
}

// quorumReachable is SENTINEL CKQUORUM's test: the reachable sentinels
// (this one included) reach the quorum and a majority of all.
func quorumReachable(s sentinel.MasterSnapshot) bool {
	usable := 1
	for _, si := range s.Sentinels {
		if si.Flags&(sentinel.FlagSDown|sentinel.FlagODown) == 0 {
			usable++
		}
	}
	voters := len(s.Sentinels) + 1
	return usable >= s.Quorum && usable >= voters/2+1
}

// observe counts one event and closes the phases it ends. Only the master's
// own ±sdown/±odown (not a replica's) start or end an episode.
func (m *metrics) observe(rec Record) {
	if rec.Master == "" {
		return
	}
	m.events.WithLabelValues(rec.Master, rec.Event).Inc()
	switch {
	case rec.Event == "+try-failover":
		m.started.WithLabelValues(rec.Master).Inc()
	case rec.Event == "+failover-end":
		m.succeeded.WithLabelValues(rec.Master).Inc()
	case strings.HasPrefix(rec.Event, "-failover-abort-"):
		m.aborted.WithLabelValues(rec.Master, strings.TrimPrefix(rec.Event, "-failover-abort-")).Inc()
	case rec.Event == "+switch-master":
		m.switches.WithLabelValues(rec.Master).Inc()
	}
	switch rec.Event {
	case "+sdown", "+odown", "-sdown", "-odown":
		if !strings.HasPrefix(rec.Message, "master ") {
			return // a replica's or a sentinel's
		}
	}
	m.phaseMark(rec)
}

// phaseMark records rec's time and observes every phase it ends.
func (m *metrics) phaseMark(rec Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	marks := m.marks[rec.Master]
	if marks == nil {
		marks = map[string]time.Time{}
		m.marks[rec.Master] = marks
	}
	for _, p := range phases {
		if p.to != rec.Event {
			continue
		}
		if from, ok := marks[p.from]; ok {
			m.phase.WithLabelValues(rec.Master, p.name).Observe(rec.Time.Sub(from).Seconds())
		}
	}
	switch rec.Event {
	case "+sdown", "+odown", "+elected-leader", "+promoted-slave":
		if _, ok := marks[rec.Event]; !ok || rec.Event != "+sdown" {
			marks[rec.Event] = rec.Time
		}
	case "+switch-master", "-sdown":
		delete(m.marks, rec.Master) // the episode is over
	}
}
