package httpapi

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/sentinel"
)

// benchSentinel runs a real sentinel loop (nothing reachable: the master
// is at 127.0.0.1:1) so that the benchmark measures the endpoint's calls
// through the sentinel's loop goroutine, not a fake.
func benchSentinel(b *testing.B) *sentinel.Sentinel {
	b.Helper()
	mc := sentinel.NewMaster("m", "127.0.0.1", 1, 1)
	mc.KnownReplicas = []sentinel.Addr{{Host: "127.0.0.1", Port: 2}, {Host: "127.0.0.1", Port: 3}}
	cfg := &sentinel.Config{Server: config.Default(), Masters: []*sentinel.MasterConfig{mc}}
	s, err := sentinel.New(cfg, sentinel.Options{Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return s
}

// benchRoutes are the routes measured.
var benchRoutes = []struct{ name, path string }{
	{"health_master", "/health/master/m?addr=127.0.0.1:1"},
	{"master", "/v1/masters/m"},
}

// BenchmarkRoute: sequential requests over one keep-alive connection.
func BenchmarkRoute(b *testing.B) {
	_, base := startServer(b, benchSentinel(b), "")
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}} // a kept-alive connection per client
	for _, r := range benchRoutes {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				fetch(b, c, base+r.path)
			}
		})
	}
}

// BenchmarkRouteAt1000: requests paced at 1,000/s (four clients, 250/s
// each); reports the latency's p50 and p99 in microseconds.
func BenchmarkRouteAt1000(b *testing.B) {
	_, base := startServer(b, benchSentinel(b), "")
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}} // a kept-alive connection per client
	for _, r := range benchRoutes {
		b.Run(r.name, func(b *testing.B) {
			const clients = 4
			lat := make(chan []time.Duration, clients)
			n := max(b.N/clients, 1)
			b.ResetTimer()
			for range clients {
				go func() {
					var out []time.Duration
					tick := time.NewTicker(time.Second / 250)
					defer tick.Stop()
					for range n {
						<-tick.C
						t0 := time.Now()
						fetch(b, c, base+r.path)
						out = append(out, time.Since(t0))
					}
					lat <- out
				}()
			}
			var all []time.Duration
			for range clients {
				all = append(all, <-lat...)
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// fetch GETs url and drains the body (any status is fine: 503 is an answer).
func fetch(b *testing.B, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
