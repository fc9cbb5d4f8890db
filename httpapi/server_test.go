package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-db/vigil/sentinel"
)

// TestHealthSelf: in node mode (Config.Self) /health/* without addr checks
// the node's own server; addr still wins when given.
func TestHealthSelf(t *testing.T) {
	tests := []struct {
		name, self, path string
		status           int
		want             string
	}{
		{"self is master", "127.0.0.1:6379", "/health/master/m", 200, `"addr": "127.0.0.1:6379"`},
		{"self is replica", "127.0.0.1:6380", "/health/master/m", 503, `not the master`},
		{"self replica ok", "127.0.0.1:6380", "/health/replica/m", 200, `"role": "replica"`},
		{"addr wins", "127.0.0.1:6380", "/health/master/m?addr=127.0.0.1:6379", 200, `"role": "master"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port, _ := strings.Cut(tt.self, ":")
			p, _ := strconv.Atoi(port)
			_, base := startServerWith(t, newFake(), Config{Self: addr(host, p)})
			resp := get(t, "GET", base+tt.path, "")
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("self %s GET %s: got %d %s, want %d containing %q", tt.self, tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

// TestRoutes: status codes, JSON bodies and auth of every route.
func TestRoutes(t *testing.T) {
	_, base := startServer(t, newFake(), "pw")
	tests := []struct {
		name, method, path, password string
		status                       int
		want                         string // a substring of the body
	}{
		{"masters", "GET", "/v1/masters", "pw", 200, `"name": "m"`},
		{"master", "GET", "/v1/masters/m", "pw", 200, `"addr": "127.0.0.1:6379"`},
		{"master no auth", "GET", "/v1/masters/m", "", 401, `"error": "authentication required"`},
		{"master wrong auth", "GET", "/v1/masters/m", "nope", 401, `"status": 401`},
		{"metrics no auth", "GET", "/metrics", "", 401, `"error"`},
		{"events no auth", "GET", "/v1/masters/m/events", "", 401, `"error"`},
		{"unknown master", "GET", "/v1/masters/zz", "pw", 404, `"error": "No such master with that name"`},
		{"unknown route", "GET", "/v2/x", "pw", 404, `"error": "no such route"`},
		{"post", "POST", "/v1/masters", "pw", 405, `"error": "method not allowed"`},
		{"delete health", "DELETE", "/health/live", "", 405, `"status": 405`},
		{"live", "GET", "/health/live", "", 200, `"healthy": true`},
		{"master is", "GET", "/health/master/m?addr=127.0.0.1:6379", "", 200, `"role": "master"`},
		{"master is not", "GET", "/health/master/m?addr=127.0.0.1:6380", "", 503, `not the master`},
		{"master down", "GET", "/health/master/down?addr=127.0.0.1:7000", "", 503, `objectively down`},
		{"master no addr", "GET", "/health/master/m", "", 400, `addr must be host:port`},
		{"master bad addr", "GET", "/health/master/m?addr=nohost", "", 400, `addr must be host:port`},
		{"master bad port", "GET", "/health/master/m?addr=127.0.0.1:99999", "", 400, `addr must be host:port`},
		{"master unknown", "GET", "/health/master/zz?addr=127.0.0.1:6379", "", 404, `No such master`},
		{"replica ok", "GET", "/health/replica/m?addr=127.0.0.1:6380", "", 200, `"role": "replica"`},
		{"replica lag", "GET", "/health/replica/m?addr=127.0.0.1:6381&max_lag=5", "", 503, `lag above max_lag`},
		{"replica lag allowed", "GET", "/health/replica/m?addr=127.0.0.1:6381&max_lag=60", "", 200, `"healthy": true`},
		{"replica bytes ok", "GET", "/health/replica/m?addr=127.0.0.1:6380&max_lag_bytes=58", "", 200, `"healthy": true`},
		{"replica bytes behind", "GET", "/health/replica/m?addr=127.0.0.1:6380&max_lag_bytes=57", "", 503, `max_lag_bytes`},
		{"replica bad bytes", "GET", "/health/replica/m?addr=127.0.0.1:6380&max_lag_bytes=-1", "", 400, `max_lag_bytes`},
		{"replica bad lag", "GET", "/health/replica/m?addr=127.0.0.1:6380&max_lag=x", "", 400, `max_lag`},
		{"replica unknown", "GET", "/health/replica/m?addr=127.0.0.1:1", "", 503, `not a known replica`},
		{"bad event id", "GET", "/v1/masters/m/events?last_event_id=x", "pw", 400, `Last-Event-ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, tt.method, base+tt.path, tt.password)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%s %s: got %d %s, want %d containing %q", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
			if ct := resp.Header.Get("Content-Type"); tt.path != "/metrics" && ct != "application/json" {
				t.Fatalf("%s %s: got Content-Type %q, want application/json", tt.method, tt.path, ct)
			}
		})
	}
}

// TestBodyLimit: a request body above the limit is refused with JSON 413.
func TestBodyLimit(t *testing.T) {
	_, base := startServer(t, newFake(), "")
	resp, err := http.Post(base+"/health/live", "text/plain", strings.NewReader(strings.Repeat("x", 2*maxBody)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e errorBody
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 413 || e.Status != 413 {
		t.Fatalf("got %d %+v (%v), want 413 JSON", resp.StatusCode, e, err)
	}
}

// TestMasterJSON: the master's JSON carries every snapshot fact.
func TestMasterJSON(t *testing.T) {
	src := newFake()
	got := toMaster(src.masters[0])
	switch {
	case got.Name != "m" || got.IP != "127.0.0.1" || got.Port != 6379 || got.RunID != "r0" || got.ConfigEpoch != 3:
		t.Fatalf("master: got %+v", got)
	case len(got.Flags) != 1 || got.Flags[0] != "master" || got.SDown || got.ODown || got.Quorum != 2:
		t.Fatalf("flags/quorum: got %v sdown %v odown %v quorum %d", got.Flags, got.SDown, got.ODown, got.Quorum)
	case got.Offset != 100 || got.Replicas[0].LagBytes != 58 || got.Replicas[1].LagBytes != 100:
		t.Fatalf("offsets: got master %d, lag %d and %d, want 100, 58, 100", got.Offset, got.Replicas[0].LagBytes, got.Replicas[1].LagBytes)
	case got.NumReplicas != 2 || got.Replicas[0].Offset != 42 || !got.Replicas[0].LinkUp || got.Replicas[1].LinkDownMS != 30000:
		t.Fatalf("replicas: got %+v", got.Replicas)
	case got.NumOtherSentinels != 1 || got.Sentinels[0].ID != "s1" || got.Sentinels[0].LastHello != nil:
		t.Fatalf("sentinels: got %+v", got.Sentinels)
	}
}

// TestMasterOf: the master an event concerns, for each of Redis's formats.
func TestMasterOf(t *testing.T) {
	tests := []struct{ event, msg, want string }{
		{"+sdown", "master m 127.0.0.1 6379", "m"},
		{"+odown", "master m 127.0.0.1 6379 #quorum 2/2", "m"},
		{"+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ m 127.0.0.1 6379", "m"},
		{"+switch-master", "m 127.0.0.1 6379 127.0.0.1 6380", "m"},
		{"+new-epoch", "7", ""},
		{"+vote-for-leader", "abc 7", ""},
		{"+tilt", "#tilt mode entered", ""},
		{"x", "", ""},
	}
	for _, tt := range tests {
		if got := masterOf(sentinel.Event{Name: tt.event, Message: tt.msg}); got != tt.want {
			t.Errorf("masterOf(%s %q): got %q, want %q", tt.event, tt.msg, got, tt.want)
		}
	}
}

// TestMasterJSONSince: the down and failover flags carry since when (RFC 3339,
// milliseconds, UTC), null while the flag is off.
func TestMasterJSONSince(t *testing.T) {
	src := newFake()
	t0 := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	m := src.masters[1] // "down": s_down and o_down
	m.SDownSince, m.ODownSince, m.LastOKPing = t0.Add(time.Second), t0.Add(2*time.Second), t0
	m.FailoverState, m.FailoverSince = "select_slave", t0.Add(3*time.Second)
	got := toMaster(m)
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	for _, c := range []struct{ field, got, want string }{
		{"sdown_since", str(got.SDownSince), "2026-12-06T04:00:01.000Z"},
		{"odown_since", str(got.ODownSince), "2026-12-06T04:00:02.000Z"},
		{"failover_state_since", str(got.FailoverSince), "2026-12-06T04:00:03.000Z"},
		{"last_ok_ping", str(got.LastOKPing), "2026-12-06T04:00:00.000Z"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.field, c.got, c.want)
		}
	}
	up := toMaster(src.masters[0])
	if up.SDownSince != nil || up.ODownSince != nil || up.FailoverSince != nil {
		t.Errorf("a master up without failover: sdown_since %s, odown_since %s, failover_state_since %s; want null",
			str(up.SDownSince), str(up.ODownSince), str(up.FailoverSince))
	}
}
