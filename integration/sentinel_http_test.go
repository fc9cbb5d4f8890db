package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigil-db/vigil/httpapi"
	"github.com/vigil-db/vigil/internal/testutil"
)

// httpSentinel is a Vigil sentinel with its HTTP endpoint.
type httpSentinel struct {
	*vsentinel
	base string // http://127.0.0.1:port
}

// startHTTPSentinels starts three sentinels with http-port watching master.
func startHTTPSentinels(t *testing.T, master *rnode) []*httpSentinel {
	t.Helper()
	var ss []*httpSentinel
	for range 3 {
		hp := testutil.FreePort(t)
		s := startVigilSentinel(t, master.Port, 2, fmt.Sprintf("http-port %d\n", hp))
		hs := &httpSentinel{vsentinel: s, base: "http://127.0.0.1:" + strconv.Itoa(hp)}
		testutil.WaitForPort(t, "127.0.0.1:"+strconv.Itoa(hp), 10*time.Second, s.proc)
		ss = append(ss, hs)
	}
	return ss
}

// startHTTPGroup starts a vigil master with two replicas and three
// sentinels with http-port, and waits until the sentinels know each other
// and the replicas. Their events are dumped when the test fails.
func startHTTPGroup(t *testing.T) (master, r1, r2 *rnode, ss []*httpSentinel, vs []*vsentinel) {
	t.Helper()
	master, r1, r2 = startGroup(t, testutil.ImplVigil)
	ss = startHTTPSentinels(t, master)
	for _, s := range ss {
		vs = append(vs, s.vsentinel)
	}
	t.Cleanup(func() { dumpSentinels(t, vs, nil) })
	testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, "sentinels discover each other and the replicas", func() bool {
		for _, s := range ss {
			if s.count("SENTINELS") != 2 || s.count("REPLICAS") != 2 {
				return false
			}
		}
		return true
	})
	return master, r1, r2, ss, vs
}

// getJSON GETs path and decodes the JSON body into v; it returns the status.
func getJSON(t *testing.T, method, url, password string, v any) int {
	t.Helper()
	resp := testutil.HTTPDo(t, method, url, password)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: got Content-Type %q (body %q), want application/json", method, url, ct, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, url, body, err)
	}
	return resp.StatusCode
}

// sentinelMaps runs SENTINEL sub mymaster and returns its maps.
func (s *vsentinel) sentinelMaps(sub string) []map[string]string {
	return sentinelMaps(s.c, sub, "mymaster")
}

// sentinelMaps runs SENTINEL sub name through c and returns its maps (one for MASTER).
func sentinelMaps(c *redis.Client, sub, name string) []map[string]string {
	v, err := c.Do(context.Background(), "SENTINEL", sub, name).Result()
	if err != nil {
		return nil
	}
	if sub == "MASTER" {
		return []map[string]string{flatMap(v)}
	}
	a, _ := v.([]any)
	var out []map[string]string
	for _, e := range a {
		out = append(out, flatMap(e))
	}
	return out
}

// diffMaster compares the endpoint's JSON with SENTINEL MASTER, REPLICAS and
// SENTINELS field by field; it returns the differences.
func diffMaster(j httpapi.Master, m map[string]string, reps, sents []map[string]string) []string {
	var d []string
	cmp := func(what, got, want string) {
		if got != want {
			d = append(d, fmt.Sprintf("%s: json %q, SENTINEL %q", what, got, want))
		}
	}
	cmp("name", j.Name, m["name"])
	cmp("ip", j.IP, m["ip"])
	cmp("port", strconv.Itoa(j.Port), m["port"])
	cmp("runid", j.RunID, m["runid"])
	cmp("flags", strings.Join(j.Flags, ","), m["flags"])
	cmp("config-epoch", strconv.FormatUint(j.ConfigEpoch, 10), m["config-epoch"])
	cmp("quorum", strconv.Itoa(j.Quorum), m["quorum"])
	cmp("num-slaves", strconv.Itoa(j.NumReplicas), m["num-slaves"])
	cmp("num-other-sentinels", strconv.Itoa(j.NumOtherSentinels), m["num-other-sentinels"])
	cmp("replica count", strconv.Itoa(len(j.Replicas)), strconv.Itoa(len(reps)))
	for i := 0; i < len(j.Replicas) && i < len(reps); i++ {
		r, w := j.Replicas[i], reps[i]
		link := map[bool]string{true: "ok", false: "err"}[r.LinkUp]
		for _, f := range [][3]string{{"ip", r.IP, w["ip"]}, {"port", strconv.Itoa(r.Port), w["port"]},
			{"runid", r.RunID, w["runid"]}, {"flags", strings.Join(r.Flags, ","), w["flags"]},
			{"slave-repl-offset", strconv.FormatInt(r.Offset, 10), w["slave-repl-offset"]},
			{"master-link-status", link, w["master-link-status"]},
			{"slave-priority", strconv.Itoa(r.Priority), w["slave-priority"]},
			{"master-host", r.MasterHost, w["master-host"]}, {"master-port", strconv.Itoa(r.MasterPort), w["master-port"]}} {
			cmp("replica "+strconv.Itoa(i)+" "+f[0], f[1], f[2])
		}
	}
	cmp("sentinel count", strconv.Itoa(len(j.Sentinels)), strconv.Itoa(len(sents)))
	for i := 0; i < len(j.Sentinels) && i < len(sents); i++ {
		s, w := j.Sentinels[i], sents[i]
		cmp("sentinel "+strconv.Itoa(i)+" runid", s.ID, w["runid"])
		cmp("sentinel "+strconv.Itoa(i)+" ip:port", s.IP+":"+strconv.Itoa(s.Port), w["ip"]+":"+w["port"])
		cmp("sentinel "+strconv.Itoa(i)+" flags", strings.Join(s.Flags, ","), w["flags"])
	}
	return d
}

// checkMasterJSON polls until each sentinel's /v1/masters/mymaster equals
// what its SENTINEL MASTER/REPLICAS/SENTINELS say (read around it: offsets
// move, so a read is retried until both sides agree).
func checkMasterJSON(t *testing.T, ss []*httpSentinel) {
	t.Helper()
	for i, s := range ss {
		testutil.Poll(t, sentinelWait, 100*time.Millisecond, fmt.Sprintf("sentinel %d JSON matches SENTINEL MASTER/REPLICAS/SENTINELS", i),
			func() (bool, string) {
				m, reps, sents := s.sentinelMaps("MASTER"), s.sentinelMaps("REPLICAS"), s.sentinelMaps("SENTINELS")
				var j httpapi.Master
				if st := getJSON(t, "GET", s.base+"/v1/masters/mymaster", "", &j); st != 200 {
					return false, "status " + strconv.Itoa(st)
				}
				d := diffMaster(j, m[0], reps, sents)
				if j.Offset <= 0 {
					d = append(d, fmt.Sprintf("master offset %d, want > 0 (the master took a write)", j.Offset))
				}
				return len(d) == 0, strings.Join(d, "; ")
			})
	}
}

// sseEvent is an event with the time the client read it.
type sseEvent struct {
	testutil.SSEEvent
	at time.Time
}

// sseWatch follows url's event stream in the background (from lastID when
// not ""), sending each event on the returned channel until the test ends.
func sseWatch(t *testing.T, url, lastID string) <-chan sseEvent {
	t.Helper()
	ch, _ := sseFollow(t, url, lastID)
	return ch
}

// sseFollow is sseWatch with a cancel that closes the stream earlier (the
// channel is then closed).
func sseFollow(t *testing.T, url, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", url, resp, err)
	}
	ch := make(chan sseEvent, 256)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		r := bufio.NewReader(resp.Body)
		for {
			ev, err := testutil.ReadSSE(r)
			if err != nil {
				return
			}
			ch <- sseEvent{ev, time.Now()}
		}
	}()
	return ch, cancel
}

// waitEvent reads ch until an event named name whose data has message
// msg, and returns the events read up to it.
func waitEvent(t *testing.T, ch <-chan sseEvent, name, msg string) []sseEvent {
	t.Helper()
	var seen []sseEvent
	timeout := time.After(sentinelWait)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended before %s %q; saw %v", name, msg, seen)
			}
			seen = append(seen, ev)
			var rec httpapi.Record
			if ev.Event == name && json.Unmarshal([]byte(ev.Data), &rec) == nil && rec.Message == msg {
				t.Logf("%s reached the client %v after the endpoint received it", name, ev.at.Sub(rec.Time))
				return seen
			}
		case <-timeout:
			t.Fatalf("no %s %q on the event stream within %v; saw %v", name, msg, sentinelWait, seen)
		}
	}
}

// healthStatus is GET /health/master/mymaster?addr= 's status.
func healthStatus(t *testing.T, s *httpSentinel, addr string) int {
	var h httpapi.Health
	return getJSON(t, "GET", s.base+"/health/master/mymaster?addr="+addr, "", &h)
}

// TestSentinelHTTP: three servers and three sentinels with http-port. The
// JSON of /v1/masters/mymaster matches SENTINEL MASTER/REPLICAS/SENTINELS;
// a kill -9 failover is seen on the event stream (+switch-master with the
// old and new addresses, again after a Last-Event-ID resume), on
// /health/master (old 503, new 200) and in /metrics (one failover
// succeeded, one switch per sentinel, one observation per phase for the
// leader); malformed requests get JSON 4xx.
func TestSentinelHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	master, r1, r2, ss, vs := startHTTPGroup(t)
	checkMasterJSON(t, ss)
	checkMalformed(t, ss[0])
	for _, s := range ss {
		if st := healthStatus(t, s, master.Addr); st != 200 {
			t.Fatalf("health of the master %s on %s: got %d, want 200", master.Addr, s.base, st)
		}
		var h httpapi.Health
		for _, r := range []*rnode{r1, r2} { // the sentinel learns the link's state from the replica's INFO
			testutil.Poll(t, sentinelWait, 100*time.Millisecond, "replica health 200 for "+r.Addr+" on "+s.base, func() (bool, string) {
				st := getJSON(t, "GET", s.base+"/health/replica/mymaster?addr="+r.Addr, "", &h)
				return st == 200 && h.Healthy, fmt.Sprintf("%d %+v", st, h)
			})
		}
		if st := getJSON(t, "GET", s.base+"/health/replica/mymaster?addr="+master.Addr, "", &h); st != 503 {
			t.Fatalf("replica health of the master %s on %s: got %d %+v, want 503", master.Addr, s.base, st, h)
		}
	}
	for i, s := range ss { // the three sentinels' mesh, as each sees it
		testutil.Poll(t, sentinelWait, 100*time.Millisecond, fmt.Sprintf("sentinel %d: 3 alive mesh members", i), func() (bool, string) {
			fams := testutil.Scrape(t, s.base+"/metrics", "")
			alive := testutil.MetricValue(fams, "vigil_sentinel_mesh_members", map[string]string{"state": "alive"})
			failed := testutil.MetricValue(fams, "vigil_sentinel_mesh_members", map[string]string{"state": "failed"})
			return alive == 3 && failed == 0, fmt.Sprintf("alive %v failed %v", alive, failed)
		})
	}
	bases := make([]string, len(ss))
	before := make([]map[string]float64, len(ss))
	for i, s := range ss {
		bases[i] = s.base
		before[i] = failoverCounts(t, s.base, "mymaster")
	}
	streams := make([]<-chan sseEvent, len(ss))
	for i, s := range ss {
		streams[i] = sseWatch(t, s.base+"/v1/masters/mymaster/events", "")
	}

	killed := time.Now()
	master.Kill9()
	promoted, _ := waitPromoted(t, vs, master.Addr, r1, r2)
	switchMsg := "mymaster 127.0.0.1 " + strconv.Itoa(master.Port) + " 127.0.0.1 " + strconv.Itoa(promoted.Port)
	for i := range ss {
		seen := waitEvent(t, streams[i], "+switch-master", switchMsg)
		t.Logf("sentinel %d: +switch-master on the stream %v after the kill", i, seen[len(seen)-1].at.Sub(killed))
		if i == 0 && len(seen) > 1 { // resume after the event before the switch: the switch again
			again := sseWatch(t, ss[0].base+"/v1/masters/mymaster/events", seen[len(seen)-2].ID)
			waitEvent(t, again, "+switch-master", switchMsg)
		}
	}
	for i, s := range ss {
		testutil.CheckFor(t, sentinelWait, 100*time.Millisecond, fmt.Sprintf("sentinel %d health: old master 503, new 200", i), func() bool {
			return healthStatus(t, s, master.Addr) == 503 && healthStatus(t, s, promoted.Addr) == 200
		})
	}
	checkFailoverMetrics(t, bases, "mymaster", before)
}

// failoverPhases are the phase labels of vigil_sentinel_failover_phase_seconds.
var failoverPhases = []string{"down_to_sdown", "sdown_to_odown", "odown_to_elected", "elected_to_promoted",
	"promoted_to_reconfigured", "down_to_switch"}

// failoverCounts reads master's failover counters and phase counts from the
// endpoint at base.
func failoverCounts(t *testing.T, base, master string) map[string]float64 {
	fams := testutil.Scrape(t, base+"/metrics", "")
	m := map[string]string{"master": master}
	out := map[string]float64{}
	for _, n := range []string{"failovers_started_total", "failovers_succeeded_total", "master_switches_total"} {
		out[n] = testutil.MetricValue(fams, "vigil_sentinel_"+n, m)
	}
	for _, p := range failoverPhases {
		out[p] = testutil.MetricValue(fams, "vigil_sentinel_failover_phase_seconds", map[string]string{"master": master, "phase": p})
	}
	return out
}

// checkFailoverMetrics: exactly one failover of master succeeded among the
// endpoints at bases, each counted one switch, and the leader observed each
// phase once.
func checkFailoverMetrics(t *testing.T, bases []string, master string, before []map[string]float64) {
	t.Helper()
	testutil.Poll(t, sentinelWait, 200*time.Millisecond, "one failover in the metrics", func() (bool, string) {
		succeeded, leader := 0.0, -1
		var state []string
		for i, base := range bases {
			c := failoverCounts(t, base, master)
			d := c["failovers_succeeded_total"] - before[i]["failovers_succeeded_total"]
			succeeded += d
			if d == 1 {
				leader = i
			}
			if c["master_switches_total"]-before[i]["master_switches_total"] != 1 {
				return false, fmt.Sprintf("sentinel %d: switches %v", i, c)
			}
			state = append(state, fmt.Sprint(c))
		}
		if succeeded != 1 || leader < 0 {
			return false, fmt.Sprintf("succeeded %v: %v", succeeded, state)
		}
		c := failoverCounts(t, bases[leader], master)
		for _, p := range failoverPhases {
			if c[p]-before[leader][p] != 1 {
				return false, fmt.Sprintf("leader %d phase %s: %v observations, want 1 (%v)", leader, p, c[p]-before[leader][p], c)
			}
		}
		if c["failovers_started_total"]-before[leader]["failovers_started_total"] < 1 {
			return false, fmt.Sprintf("leader %d started no failover: %v", leader, c)
		}
		return true, ""
	})
}

// checkMalformed: bad requests get a JSON 4xx with an error.
func checkMalformed(t *testing.T, s *httpSentinel) {
	t.Helper()
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/health/master/mymaster", 400},
		{"GET", "/health/master/mymaster?addr=127.0.0.1", 400},
		{"GET", "/health/replica/mymaster?addr=127.0.0.1:1&max_lag=soon", 400},
		{"GET", "/v1/masters/nosuch", 404},
		{"GET", "/nowhere", 404},
		{"POST", "/v1/masters", 405},
		{"GET", "/v1/masters/mymaster/events?last_event_id=-1", 400},
	}
	for _, tt := range tests {
		var e struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}
		if st := getJSON(t, tt.method, s.base+tt.path, "", &e); st != tt.status || e.Status != tt.status || e.Error == "" {
			t.Errorf("%s %s: got %d %+v, want %d with a JSON error", tt.method, tt.path, st, e, tt.status)
		}
	}
}

// authCase is a GET with a password and the status it must get.
type authCase struct {
	path, password string
	status         int
}

// authCases are the cases every endpoint with the password s3cret passes
// for master: its routes need the password, /health/live does not.
func authCases(master string) []authCase {
	return []authCase{{"/v1/masters/" + master, "", 401}, {"/v1/masters/" + master, "wrong", 401},
		{"/v1/masters/" + master, "s3cret", 200}, {"/v1/masters/" + master + "/events?last_event_id=x", "", 401},
		{"/metrics", "", 401}, {"/health/live", "", 200}}
}

// checkAuth waits until p listens on HTTP port hport, sends each case's
// GET to it and checks its status; it returns the endpoint's base URL.
func checkAuth(t *testing.T, p *testutil.Proc, hport int, cases []authCase) string {
	t.Helper()
	base := "127.0.0.1:" + strconv.Itoa(hport)
	testutil.WaitForPort(t, base, haWait, p)
	base = "http://" + base
	for _, tt := range cases {
		var body map[string]any
		if st := getJSON(t, "GET", base+tt.path, tt.password, &body); st != tt.status {
			t.Errorf("GET %s with password %q: got %d %v, want %d", tt.path, tt.password, st, body, tt.status)
		}
	}
	return base
}

// TestSentinelHTTPAuth: with requirepass every route but /health/* needs
// the bearer password, and /health/* answers without it.
func TestSentinelHTTPAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	hp := testutil.FreePort(t)
	mp := testutil.FreePort(t) // nothing listens: the master stays down
	p, _ := startPlainSentinel(t, fmt.Sprintf("requirepass s3cret\nhttp-port %d\nsentinel monitor mymaster 127.0.0.1 %d 1\n", hp, mp))
	base := checkAuth(t, p, hp, append(authCases("mymaster"),
		authCase{"/v1/masters", "", 401}, authCase{"/v1/masters", "s3cret", 200},
		authCase{"/health/master/mymaster?addr=127.0.0.1:" + strconv.Itoa(mp+1), "", 503}))
	if fams := testutil.Scrape(t, base+"/metrics", "s3cret"); testutil.MetricValue(fams, "vigil_sentinel_quorum", map[string]string{"master": "mymaster"}) != 1 {
		t.Errorf("/metrics with the password: got quorum %v, want 1", testutil.MetricValue(fams, "vigil_sentinel_quorum", map[string]string{"master": "mymaster"}))
	}
}

// TestSentinelHTTPDownSince: one sentinel (quorum 2, so never o_down) watching
// a master killed with -9: /v1/masters/mymaster says sdown with sdown_since
// equal to the instant SENTINEL MASTER's s-down-time points at (bounded by the
// times the command was sent and answered), odown_since and
// failover_state_since null, last_ok_ping before sdown_since; /metrics
// counts a mesh of one alive member.
func TestSentinelHTTPDownSince(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test skipped with -short")
	}
	master := testutil.StartNode(t, testutil.ImplVigil)
	hp := testutil.FreePort(t)
	s := &httpSentinel{vsentinel: startVigilSentinel(t, master.Port, 2, fmt.Sprintf("http-port %d\n", hp)),
		base: "http://127.0.0.1:" + strconv.Itoa(hp)}
	testutil.WaitForPort(t, "127.0.0.1:"+strconv.Itoa(hp), 10*time.Second, s.proc)
	fams := testutil.Scrape(t, s.base+"/metrics", "")
	if got := testutil.MetricValue(fams, "vigil_sentinel_mesh_members", map[string]string{"state": "alive"}); got != 1 {
		t.Errorf("mesh members alive with one sentinel: got %v, want 1", got)
	}
	master.Kill9()
	var j httpapi.Master
	testutil.Poll(t, sentinelWait, 100*time.Millisecond, "the master sdown in the JSON", func() (bool, string) {
		st := getJSON(t, "GET", s.base+"/v1/masters/mymaster", "", &j)
		return st == 200 && j.SDown, fmt.Sprintf("%d %+v", st, j)
	})
	sent := time.Now()
	m := s.sentinelMaps("MASTER")
	answered := time.Now()
	if len(m) != 1 || m[0]["s-down-time"] == "" {
		t.Fatalf("SENTINEL MASTER of a master in sdown: %v, want an s-down-time", m)
	}
	ms, err := strconv.ParseInt(m[0]["s-down-time"], 10, 64)
	if err != nil || j.SDownSince == nil || j.LastOKPing == nil {
		t.Fatalf("s-down-time %q (%v), sdown_since %v, last_ok_ping %v", m[0]["s-down-time"], err, j.SDownSince, j.LastOKPing)
	}
	since, err := time.Parse(time.RFC3339Nano, *j.SDownSince)
	if err != nil {
		t.Fatal(err)
	}
	// s-down-time = now - since (ms, truncated) for a now between sent and answered;
	// the JSON truncates to the millisecond too
	lo, hi := sent.Add(-time.Duration(ms+2)*time.Millisecond), answered.Add(-time.Duration(ms)*time.Millisecond+time.Millisecond)
	if since.Before(lo) || since.After(hi) {
		t.Errorf("sdown_since %v: want between %v and %v (SENTINEL MASTER s-down-time %d ms)", since, lo, hi, ms)
	}
	lastOK, err := time.Parse(time.RFC3339Nano, *j.LastOKPing)
	if err != nil || !lastOK.Before(since) {
		t.Errorf("last_ok_ping %v (%v): want before sdown_since %v", lastOK, err, since)
	}
	if j.ODown || j.ODownSince != nil || j.FailoverState != "" || j.FailoverSince != nil {
		t.Errorf("one sentinel of quorum 2: odown %v odown_since %v failover %q since %v; want no odown, no failover",
			j.ODown, j.ODownSince, j.FailoverState, j.FailoverSince)
	}
}
