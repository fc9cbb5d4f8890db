package httpapi

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-db/vigil/sentinel"
)

// Failover phases measured from the sentinel's events, by the event that
// starts and the one that ends each (or, when the start is unknown, alt).
// "down" is the master's last valid PING reply before its +sdown (read from the
// snapshot when +sdown arrives), when it was last known up: down_to_switch is
// the whole failover as clients live it, from the crash to the new address.
var phases = []struct{ name, from, to, alt string }{
	{"down_to_sdown", markDown, "+sdown", ""},
	{"sdown_to_odown", "+sdown", "+odown", ""},
	{"odown_to_elected", "+odown", "+elected-leader", ""},
	{"elected_to_promoted", "+elected-leader", "+promoted-slave", ""},
	{"promoted_to_reconfigured", "+promoted-slave", "+failover-end", ""},
	{"down_to_switch", markDown, "+switch-master", "+sdown"},
}

// markDown is the phase mark of the master's last valid PING reply.
const markDown = "down"

// meshStates are the states of vigil_sentinel_mesh_members, always all present.
var meshStates = []string{"alive", "leaving", "failed", "left"}

// metrics is a prometheus.Collector: state gauges read from the Source on
// every scrape, counters and histograms fed by the event pump.
type metrics struct {
	src Source

	sdown, odown, replicas, sentinels, quorum, quorumOK *prometheus.Desc
	cutOff, droppedDesc, mesh                           *prometheus.Desc
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
		cutOff:    g("master_cut_off", "1 when the master runs in fenced mode and this sentinel reaches no majority of its sentinels: it names no master."),
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
		mesh: prometheus.NewDesc("vigil_sentinel_mesh_members",
			"Gossip mesh members by state: alive (this sentinel included), leaving, failed, left.", []string{"state"}, nil),
		marks: map[string]map[string]time.Time{},
	}
}

// Describe sends every descriptor.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.sdown, m.odown, m.replicas, m.sentinels, m.quorum, m.quorumOK, m.cutOff, m.droppedDesc, m.mesh} {
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
	if states, err := m.src.MeshMembers(); err == nil && states != nil {
		for _, st := range meshStates {
			ch <- prometheus.MustNewConstMetric(m.mesh, prometheus.GaugeValue, float64(states[st]), st)
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
	_, quorum, majority := s.CheckQuorum() // SENTINEL CKQUORUM's test
	gauge(m.quorumOK, b(quorum && majority))
	gauge(m.cutOff, b(s.CutOff))
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
	var down time.Time
	switch rec.Event {
	case "+sdown", "+odown", "-sdown", "-odown":
		if !strings.HasPrefix(rec.Message, "master ") {
			return // a replica's or a sentinel's
		}
		if rec.Event == "+sdown" {
			down = m.lastUp(rec)
		}
	}
	m.phaseMark(rec, down)
}

// lastUp is the master's last valid PING reply as the sentinel knows it when its
// +sdown arrives; zero when unknown or not before the event.
func (m *metrics) lastUp(rec Record) time.Time {
	s, err := m.src.Master(rec.Master)
	if err != nil || s.LastOKPing.IsZero() || !s.LastOKPing.Before(rec.Time) {
		return time.Time{}
	}
	return s.LastOKPing
}

// phaseMark records rec's time (and, for +sdown, down: when the master was
// last known up) and observes every phase it ends.
func (m *metrics) phaseMark(rec Record, down time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	marks := m.marks[rec.Master]
	if marks == nil {
		marks = map[string]time.Time{}
		m.marks[rec.Master] = marks
	}
	if _, ok := marks["+sdown"]; ok && rec.Event == "+sdown" {
		return // the episode's first +sdown counts
	}
	if !down.IsZero() {
		marks[markDown] = down
	}
	for _, p := range phases {
		if p.to != rec.Event {
			continue
		}
		from, ok := marks[p.from]
		if !ok && p.alt != "" {
			from, ok = marks[p.alt]
		}
		if ok {
			m.phase.WithLabelValues(rec.Master, p.name).Observe(rec.Time.Sub(from).Seconds())
		}
	}
	switch rec.Event {
	case "+sdown", "+odown", "+elected-leader", "+promoted-slave":
		marks[rec.Event] = rec.Time
	case "+switch-master", "-sdown":
		delete(m.marks, rec.Master) // the episode is over
	}
}
