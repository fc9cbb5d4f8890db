package testutil

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape GETs a Prometheus text endpoint (with a bearer password when not
// "") and parses it with Prometheus's own text parser.
func Scrape(t testing.TB, url, password string) map[string]*dto.MetricFamily {
	t.Helper()
	resp := HTTPDo(t, "GET", url, password)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape %s: got status %d, want 200", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: parse: %v", url, err)
	}
	return fams
}

// HTTPDo sends one request without a body, with `Authorization: Bearer
// password` when password is not "", and fails the test when it cannot.
func HTTPDo(t testing.TB, method, url, password string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		req.Header.Set("Authorization", "Bearer "+password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

// MetricValue sums family name's series whose labels include every pair of
// labels: counter and gauge values, a histogram's sample count.
func MetricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	var sum float64
	f := fams[name]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// HasSeries reports whether the family name has a series with the given labels (a
// gauge at 0 is there; a missing series is not).
func HasSeries(fams map[string]*dto.MetricFamily, name string, labels map[string]string) bool {
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, labels) {
			return true
		}
	}
	return false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}
