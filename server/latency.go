package server

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Command latency histograms (latency-tracking) and latency events (latency-monitor-threshold),
// as Redis 7.0 keeps them: the histograms feed INFO latencystats and LATENCY HISTOGRAM, the
// events LATENCY LATEST/HISTORY/GRAPH/DOCTOR.

const (
	// histMin and histMax bound a recorded latency, in nanoseconds (Redis's
	// LATENCY_HISTOGRAM_MIN_VALUE and LATENCY_HISTOGRAM_MAX_VALUE).
	histMin = 1
	histMax = 1_000_000_000
	// histSubBits is the resolution: 2 significant decimal digits, as Redis's HdrHistogram
	// (256 linear values, then 128 sub-buckets per power of two).
	histSubBits = 7
	histSub     = 1 << histSubBits
	// histBuckets covers histMax < 2^30: 256 linear values, then 22 powers of two.
	histBuckets = 2*histSub + (30-histSubBits-1)*histSub
)

// latencyHist is one command's latency histogram in nanoseconds.
type latencyHist struct {
	total  int64
	counts [histBuckets]int64
}

// histIndex is the bucket of v (histMin <= v <= histMax).
func histIndex(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	k := bits.Len64(uint64(v)) - 1 // 2^k <= v
	shift := k - histSubBits
	return 2*histSub + (k-histSubBits-1)*histSub + int(v>>shift) - histSub
}

// histHighest is the largest value of bucket i (HdrHistogram's highest equivalent value).
func histHighest(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	i -= 2 * histSub
	shift := i/histSub + 1
	sub := int64(i%histSub + histSub)
	return (sub+1)<<shift - 1
}

// record adds one latency.
func (h *latencyHist) record(d time.Duration) {
	v := min(max(int64(d), histMin), histMax)
	h.counts[histIndex(v)]++
	h.total++
}

// percentile is the value at percentile p (0..100), as hdr_value_at_percentile.
func (h *latencyHist) percentile(p float64) int64 {
	want := max(int64(p/100*float64(h.total)+0.5), 1)
	var seen int64
	last := 0
	for i, n := range h.counts {
		if n == 0 {
			continue
		}
		seen += n
		last = i
		if seen >= want {
			break
		}
	}
	return histHighest(last)
}

// appendCDF appends LATENCY HISTOGRAM's histogram_usec pairs: for each power of two from
// 1024 ns, the cumulative count of the latencies up to it, where that count grew.
func (h *latencyHist) appendCDF(pairs []int64) []int64 {
	var cum, prev int64
	i := 0
	for level := int64(1024); cum < h.total && level <= 2*histMax; level *= 2 {
		top := histIndex(min(level, histMax))
		for ; i <= top; i++ {
			cum += h.counts[i]
		}
		if cum > prev {
			pairs = append(pairs, histHighest(top)/1000, cum)
		}
		prev = cum
	}
	return pairs
}

// infoPercentiles renders INFO latencystats' value: "p50=1.003,p99=...". pcts is
// latency-tracking-info-percentiles, already in Redis's trimmed "%f" form.
func (h *latencyHist) infoPercentiles(pcts string) string {
	var b []byte
	for i, name := range strings.Fields(pcts) {
		p, err := strconv.ParseFloat(name, 64)
		if err != nil {
			continue
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, 'p')
		b = append(b, name...)
		b = append(b, '=')
		b = strconv.AppendFloat(b, float64(h.percentile(p))/1000, 'f', 3, 64)
	}
	return string(b)
}

// latencyTSLen is the samples kept per event (LATENCY_TS_LEN).
const latencyTSLen = 160

// latencySample is one second's worst latency of an event.
type latencySample struct {
	time    int64 // unix seconds, 0 = unused
	latency int64 // milliseconds
}

// latencySeries is one event's samples, a ring.
type latencySeries struct {
	idx     int
	max     int64
	samples [latencyTSLen]latencySample
}

// latencyEvents are the latency monitor's series by event name, in creation order.
type latencyEvents struct {
	names  []string
	series map[string]*latencySeries
}

// addIfNeeded records ms for event when the latency monitor is on and ms reaches its threshold.
func (s *Server) latencyAddIfNeeded(event string, ms int64) {
	if t := s.cfg.LatencyMonitorThreshold; t > 0 && ms >= t {
		s.latency.add(event, ms, time.Now().Unix())
	}
}

// add records ms at now: samples of the same second keep the worst.
func (e *latencyEvents) add(event string, ms, now int64) {
	ts := e.series[event]
	if ts == nil {
		if e.series == nil {
			e.series = map[string]*latencySeries{}
		}
		ts = &latencySeries{}
		e.series[event] = ts
		e.names = append(e.names, event)
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencyTSLen-1)%latencyTSLen]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{time: now, latency: ms}
	ts.idx = (ts.idx + 1) % latencyTSLen
}

// reset drops event's series (case-insensitive), or all of them for "", and returns how
// many it dropped.
func (e *latencyEvents) reset(event string) int64 {
	var n int64
	kept := e.names[:0]
	for _, name := range e.names {
		if event == "" || strings.EqualFold(name, event) {
			delete(e.series, name)
			n++
			continue
		}
		kept = append(kept, name)
	}
	e.names = kept
	return n
}

// each calls fn with every sample of ts, oldest first.
func (ts *latencySeries) each(fn func(latencySample)) {
	for j := 0; j < latencyTSLen; j++ {
		if sm := ts.samples[(ts.idx+j)%latencyTSLen]; sm.time != 0 {
			fn(sm)
		}
	}
}
