package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/vigil-db/vigil/httpapi"
	"github.com/vigil-db/vigil/internal/testutil"
)

// The HTTP endpoint of `vigil node` (issue 11 §2 in node mode): three real
// nodes, each serving it on its own loopback port.

// base is the node's HTTP endpoint.
func (n *vnode) base() string { return "http://127.0.0.1:" + strconv.Itoa(n.hport) }

// sentinelMaps runs SENTINEL sub <group> on the node's sentinel endpoint.
func (n *vnode) sentinelMaps(sub string) []map[string]string {
	return sentinelMaps(n.s, sub, nodeGroup)
}

// checkNodeJSON polls until each node's /v1/masters/<group> equals what its
// own sentinel endpoint's SENTINEL MASTER/REPLICAS/SENTINELS say.
func checkNodeJSON(t *testing.T, nodes ...*vnode) {
	t.Helper()
	for _, n := range nodes {
		testutil.Poll(t, haWait, haEvery, n.name+" JSON matches SENTINEL MASTER/REPLICAS/SENTINELS", func() (bool, string) {
			m, reps, sents := n.sentinelMaps("MASTER"), n.sentinelMaps("REPLICAS"), n.sentinelMaps("SENTINELS")
			var j httpapi.Master
			if st := getJSON(t, "GET", n.base()+"/v1/masters/"+nodeGroup, "", &j); st != 200 || len(m) != 1 {
				return false, fmt.Sprintf("status %d, SENTINEL MASTER %v", st, m)
			}
			d := diffMaster(j, m[0], reps, sents)
			return len(d) == 0, strings.Join(d, "; ")
		})
	}
}

// nodeHealth is the status of GET /health/<route>/<group><query> on n
// (no addr: the node's own server).
func nodeHealth(t *testing.T, n *vnode, route, query string) (int, httpapi.Health) {
	var h httpapi.Health
	st := getJSON(t, "GET", n.base()+"/health/"+route+"/"+nodeGroup+query, "", &h)
	return st, h
}

// waitHealth polls until every node's /health/<route> answers its status.
func waitHealth(t *testing.T, route, query string, want map[*vnode]int) {
	t.Helper()
	for n, code := range want {
		testutil.Poll(t, haWait, haEvery, fmt.Sprintf("%s /health/%s%s %d", n.name, route, query, code), func() (bool, string) {
			st, h := nodeHealth(t, n, route, query)
			return st == code, fmt.Sprintf("%d %+v", st, h)
		})
	}
}

// serverSeries maps INFO text to the vigil_server_* series it should give
// (name{label="v",...} → value), read independently of package httpapi.
func serverSeries(info string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok || k == "" || k[0] == '#' {
			continue
		}
		f := map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			if a, b, ok := strings.Cut(kv, "="); ok {
				f[a] = b
			}
		}
		switch {
		case k == "role":
			out[`vigil_server_info{role}`] = v
		case k == "master_link_status":
			out["vigil_server_master_link_up"] = map[bool]string{true: "1", false: "0"}[v == "up"]
		case strings.HasSuffix(k, "_status") && (v == "ok" || v == "err"):
			out["vigil_server_"+k] = map[bool]string{true: "1", false: "0"}[v == "ok"]
		case strings.HasPrefix(k, "slave") && f["ip"] != "":
			l := fmt.Sprintf(`{addr="%s:%s",slave="%s"}`, f["ip"], f["port"], strings.TrimPrefix(k, "slave"))
			out["vigil_server_slave_offset"+l], out["vigil_server_slave_lag"+l] = f["offset"], f["lag"]
			out["vigil_server_slave_online"+l] = map[bool]string{true: "1", false: "0"}[f["state"] == "online"]
		case strings.HasPrefix(k, "db") && f["keys"] != "":
			for _, x := range []string{"keys", "expires", "avg_ttl"} {
				out[fmt.Sprintf(`vigil_server_db_%s{db="%s"}`, x, k)] = f[x]
			}
		default:
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				out["vigil_server_"+k] = v
			}
		}
	}
	return out
}

// scrapedSeries is /metrics' vigil_server_* series in serverSeries's form.
func scrapedSeries(fams map[string]*dto.MetricFamily) map[string]string {
	out := map[string]string{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "vigil_server_") {
			continue
		}
		for _, m := range f.GetMetric() {
			if name == "vigil_server_info" {
				for _, l := range m.GetLabel() {
					if l.GetName() == "role" {
						out[`vigil_server_info{role}`] = l.GetValue()
					}
				}
				continue
			}
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			out[key] = strconv.FormatFloat(m.GetGauge().GetValue(), 'f', -1, 64)
		}
	}
	return out
}

// checkServerFigures polls until one scrape of n's /metrics, between two
// INFO reads of its server, has every vigil_server_* series INFO gives, each
// equal to INFO's value when INFO gave the same value before and after (the
// figures that move, like used_memory, are skipped in that round), and the
// stable figures in must (plus the role) were among those compared.
func checkServerFigures(t *testing.T, n *vnode, must ...string) {
	t.Helper()
	must = append(must, `vigil_server_info{role}`)
	var compared int
	testutil.Poll(t, haWait, haEvery, n.name+" vigil_server_* = INFO", func() (bool, string) {
		info := func() map[string]string {
			s, err := n.c.Info(context.Background()).Result()
			if err != nil {
				t.Fatalf("%s INFO: %v", n.name, err)
			}
			return serverSeries(s)
		}
		before := info()
		got := scrapedSeries(testutil.Scrape(t, n.base()+"/metrics", ""))
		after := info()
		var d []string
		compared = 0
		for _, k := range slices.Sorted(maps.Keys(after)) {
			want, stable := after[k], before[k] == after[k]
			g, ok := got[k]
			switch {
			case !ok && before[k] != "" && !stable:
				// a figure that came or went meanwhile
			case !ok:
				d = append(d, k+" missing from /metrics")
			case stable && !sameFigure(g, want):
				d = append(d, fmt.Sprintf("%s: /metrics %s, INFO %s", k, g, want))
			case stable:
				compared++
			}
		}
		for k := range got {
			if _, ok := after[k]; !ok && before[k] == "" {
				d = append(d, k+" on /metrics is no INFO field")
			}
		}
		for _, k := range must {
			if before[k] == "" || before[k] != after[k] {
				d = append(d, fmt.Sprintf("%s not stable (INFO %q then %q)", k, before[k], after[k]))
			}
		}
		return len(d) == 0, strings.Join(d, "; ")
	})
	t.Logf("%s: %d vigil_server_* figures equal to INFO's, including %v", n.name, compared, must)
}

// sameFigure compares two figures as numbers (INFO's 1.23 and 1.2300 agree).
func sameFigure(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// TestNodeHTTP: three `vigil node` processes (down-after-milliseconds
// 1000), each with its HTTP endpoint. Before the failover: each node's
// /v1/masters/<group> matches its SENTINEL MASTER/REPLICAS/SENTINELS field
// by field; /health/master (no addr: the node's own server) is 200 on the
// master's node and 503 on the others, /health/replica?max_lag= the
// reverse; /metrics parses with expfmt, counts three alive mesh members,
// and its vigil_server_* figures equal the server's INFO. The master's node
// is killed with -9: both survivors' event streams carry +switch-master
// with the old and new addresses; a stream cut after the first event and
// resumed with Last-Event-ID gets exactly the events the uncut stream got;
// /health/master is 200 on the new master's node only, /health/replica 200
// on the other; JSON still matches; the failover counters moved by one
// failover and the leader observed each phase once; the vigil_server_*
// figures follow the new roles.
func TestNodeHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	nodes := startNodeGroup(t)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	ctx := context.Background()
	for i := range 50 { // keys, and keyspace hits and misses to compare
		if err := n1.c.Set(ctx, "k:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		n1.c.Get(ctx, "k:"+strconv.Itoa(i%7))
		n1.c.Get(ctx, "missing:"+strconv.Itoa(i%3))
	}
	n1.c.Set(ctx, "ttl", "x", time.Hour)

	checkNodeJSON(t, nodes...)
	waitHealth(t, "master", "", map[*vnode]int{n1: 200, n2: 503, n3: 503})
	waitHealth(t, "replica", "?max_lag=5", map[*vnode]int{n1: 503, n2: 200, n3: 200})
	for _, n := range nodes {
		testutil.Poll(t, haWait, haEvery, n.name+": 3 alive mesh members", func() (bool, string) {
			fams := testutil.Scrape(t, n.base()+"/metrics", "")
			alive := testutil.MetricValue(fams, "vigil_sentinel_mesh_members", map[string]string{"state": "alive"})
			return alive == 3, fmt.Sprint("alive ", alive)
		})
	}
	stable := []string{"vigil_server_connected_slaves", `vigil_server_db_keys{db="db0"}`, `vigil_server_db_expires{db="db0"}`,
		"vigil_server_rdb_last_bgsave_status", "vigil_server_aof_last_write_status"}
	checkServerFigures(t, n1, append(stable, "vigil_server_keyspace_hits", "vigil_server_keyspace_misses")...)
	for _, n := range []*vnode{n2, n3} {
		checkServerFigures(t, n, append(stable, "vigil_server_master_link_up", "vigil_server_master_port")...)
	}

	survivors := []*vnode{n2, n3}
	bases := []string{n2.base(), n3.base()}
	before := []map[string]float64{failoverCounts(t, bases[0], nodeGroup), failoverCounts(t, bases[1], nodeGroup)}
	url := "/v1/masters/" + nodeGroup + "/events"
	streams := []<-chan sseEvent{sseWatch(t, n2.base()+url, ""), sseWatch(t, n3.base()+url, "")}
	cut, cancelCut := sseFollow(t, n2.base()+url, "")
	published := make(chan time.Time, 1) // +switch-master on n2's pub/sub channel
	ps := n2.s.Subscribe(ctx, "+switch-master")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		if _, err := ps.ReceiveMessage(ctx); err == nil {
			published <- time.Now()
		}
	}()

	killed := time.Now()
	n1.proc.Kill()
	var first sseEvent
	select {
	case first = <-cut:
	case <-time.After(haWait):
		t.Fatal("no event on the stream to cut within", haWait)
	}
	cancelCut()
	newM, other := waitNewMaster(t, n2, n3)
	switchMsg := fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", nodeGroup, n1.port, newM.port)
	var seen [][]sseEvent
	for i, ch := range streams {
		s := waitEvent(t, ch, "+switch-master", switchMsg)
		t.Logf("%s: +switch-master on the stream %v after the kill", survivors[i].name, s[len(s)-1].at.Sub(killed))
		seen = append(seen, s)
	}
	select {
	case at := <-published:
		t.Logf("%s: +switch-master reached the SSE client %v after the pub/sub client (SSE - pub/sub)",
			n2.name, seen[0][len(seen[0])-1].at.Sub(at))
	case <-time.After(haWait):
		t.Errorf("no +switch-master on %s's sentinel endpoint pub/sub", n2.name)
	}
	resumed := waitEvent(t, sseWatch(t, n2.base()+url, first.ID), "+switch-master", switchMsg)
	checkResumed(t, seen[0], first, resumed)

	waitHealth(t, "master", "", map[*vnode]int{newM: 200, other: 503})
	waitHealth(t, "replica", "?max_lag=5", map[*vnode]int{newM: 503, other: 200})
	checkNodeJSON(t, survivors...)
	checkFailoverMetrics(t, bases, nodeGroup, before)
	waitFollowing(t, newM, other)
	checkServerFigures(t, newM, append(stable, "vigil_server_keyspace_hits", "vigil_server_keyspace_misses",
		fmt.Sprintf(`vigil_server_slave_online{addr="%s",slave="0"}`, other.addr))...)
	checkServerFigures(t, other, append(stable, "vigil_server_master_link_up", "vigil_server_master_port")...)
}

// checkResumed: the stream resumed with Last-Event-ID first.ID got exactly
// the events the uncut stream had after first (same ids, names and data, in
// order, ids increasing; events of no master such as +new-epoch are not on a
// master's stream, so ids may skip), up to the switch.
func checkResumed(t *testing.T, uncut []sseEvent, first sseEvent, resumed []sseEvent) {
	t.Helper()
	i := slices.IndexFunc(uncut, func(e sseEvent) bool { return e.ID == first.ID })
	if i < 0 {
		t.Fatalf("the uncut stream has no event %s (%s); it has %v", first.ID, first.Event, uncut)
	}
	want := uncut[i+1:]
	var d []string
	if len(resumed) != len(want) {
		d = append(d, fmt.Sprintf("%d events, want %d", len(resumed), len(want)))
	}
	prev, _ := strconv.ParseUint(first.ID, 10, 64)
	for k := 0; k < len(resumed) && k < len(want); k++ {
		r, w := resumed[k], want[k]
		if r.ID != w.ID || r.Event != w.Event || r.Data != w.Data {
			d = append(d, fmt.Sprintf("event %d: %s %s %s, want %s %s %s", k, r.ID, r.Event, r.Data, w.ID, w.Event, w.Data))
		}
		id, _ := strconv.ParseUint(r.ID, 10, 64)
		if id <= prev {
			d = append(d, fmt.Sprintf("event %d: id %s after %d", k, r.ID, prev))
		}
		prev = id
	}
	if len(d) > 0 {
		t.Errorf("resumed after %s (%s): %s", first.ID, first.Event, strings.Join(d, "; "))
	}
	var names []string
	for _, e := range resumed {
		names = append(names, e.ID+" "+e.Event)
	}
	t.Logf("resumed after %s %s: %d events, as the uncut stream: %v", first.ID, first.Event, len(resumed), names)
}

// TestNodeHTTPLatency measures node mode for the closing note, asserting
// nothing about time (run it with VIGIL_NODE_HTTP_BENCH=1 and -v; `make
// bench` does): in a live group of three nodes, the latency of
// /health/master/<group> and /v1/masters/<group> on a replica's node under
// 1,000 requests/s (four keep-alive clients at 250/s each, p50/p99), then,
// over several kill -9 failovers, the time from the endpoint receiving
// +switch-master to an SSE client reading it, and the SSE client's lag behind
// a pub/sub client of the same node's sentinel endpoint.
func TestNodeHTTPLatency(t *testing.T) {
	if os.Getenv("VIGIL_NODE_HTTP_BENCH") != "1" {
		t.Skip("a measurement: set VIGIL_NODE_HTTP_BENCH=1 (make bench)")
	}
	n1 := newVNode(t, "node1")
	n2 := newVNode(t, "node2", n1.gossip)
	n3 := newVNode(t, "node3", n1.gossip)
	nodes := []*vnode{n1, n2, n3}
	waitFollowing(t, n1, n2, n3)
	checkNodeJSON(t, nodes...)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	for _, route := range []string{"/health/master/" + nodeGroup, "/v1/masters/" + nodeGroup} {
		lat := paced(t, c, n2.base()+route, 4, 250, 5*time.Second)
		t.Logf("%s at 1,000 req/s on %s: %d requests, p50 %v, p99 %v, max %v", route, n2.name, len(lat),
			lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}

	const rounds = 5
	var toClient, behindPubSub []time.Duration
	master := n1
	for round := range rounds {
		watchers := slices.DeleteFunc(slices.Clone(nodes), func(n *vnode) bool { return n == master })
		w := watchers[0]
		stream := sseWatch(t, w.base()+"/v1/masters/"+nodeGroup+"/events", "")
		ps := w.s.Subscribe(context.Background(), "+switch-master")
		if _, err := ps.Receive(context.Background()); err != nil {
			t.Fatal(err)
		}
		published := make(chan time.Time, 1)
		go func() {
			if _, err := ps.ReceiveMessage(context.Background()); err == nil {
				published <- time.Now()
			}
		}()
		master.proc.Kill()
		var newM *vnode
		testutil.Poll(t, haWait, haEvery, "a new master", func() (bool, string) {
			a := w.masterAddr()
			for _, n := range watchers {
				if a == n.addr && n.role() == "master" {
					newM = n
				}
			}
			return newM != nil, a
		})
		msg := fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", nodeGroup, master.port, newM.port)
		seen := waitEvent(t, stream, "+switch-master", msg)
		ev := seen[len(seen)-1]
		var rec httpapi.Record
		if err := json.Unmarshal([]byte(ev.Data), &rec); err != nil {
			t.Fatal(err)
		}
		select {
		case at := <-published:
			behindPubSub = append(behindPubSub, ev.at.Sub(at))
		case <-time.After(haWait):
			t.Fatalf("round %d: no +switch-master on %s's pub/sub", round, w.name)
		}
		ps.Close()
		toClient = append(toClient, ev.at.Sub(rec.Time))
		master.start() // it rejoins as a replica of the new master
		waitFollowing(t, newM, master)
		for _, n := range nodes { // the leader's failover over too (killing a promoted master mid-reconfiguration stalls Sentinel)
			testutil.Poll(t, haWait, haEvery, n.name+" agent settled on "+newM.name, func() (bool, string) {
				a, f, r := n.masterAddr(), n.masterField("flags"), n.masterField("num-slaves")
				return a == newM.addr && f == "master" && r == "2", a + " " + f + " num-slaves=" + r
			})
		}
		master = newM
	}
	t.Logf("+switch-master, endpoint received → SSE client read, %d failovers: %v", rounds, toClient)
	t.Logf("+switch-master, SSE client read − pub/sub client read (same node): %v", behindPubSub)
}

// paced GETs url from clients goroutines, each at perClient requests/s, for
// d, and returns the sorted latencies.
func paced(t *testing.T, c *http.Client, url string, clients, perClient int, d time.Duration) []time.Duration {
	lat := make(chan []time.Duration, clients)
	n := int(d.Seconds() * float64(perClient))
	for range clients {
		go func() {
			var out []time.Duration
			tick := time.NewTicker(time.Second / time.Duration(perClient))
			defer tick.Stop()
			for range n {
				<-tick.C
				t0 := time.Now()
				resp, err := c.Get(url)
				if err != nil {
					t.Error(err)
					break
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				out = append(out, time.Since(t0))
			}
			lat <- out
		}()
	}
	var all []time.Duration
	for range clients {
		all = append(all, <-lat...)
	}
	if len(all) == 0 {
		t.Fatalf("GET %s: no answer", url)
	}
	slices.Sort(all)
	return all
}

// TestNodeHTTPAuth: a node whose server has requirepass (and so its agent,
// and so its HTTP endpoint) wants the bearer password on every route but
// /health/*, which answer without it about the node's own server.
func TestNodeHTTPAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	port, sport, hport := testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)
	p := testutil.Start(t, "node", testutil.VigilBinary(t), "node", "--port", strconv.Itoa(port),
		"--sentinel-port", strconv.Itoa(sport), "--gossip-port", strconv.Itoa(testutil.FreePort(t)),
		"--http-port", strconv.Itoa(hport), "--dir", t.TempDir(), "--requirepass", "s3cret")
	base := checkAuth(t, p, hport, append(authCases("vigil"),
		authCase{"/health/master/vigil", "", 200}, authCase{"/health/replica/vigil", "", 503}))
	fams := testutil.Scrape(t, base+"/metrics", "s3cret")
	if !testutil.HasSeries(fams, "vigil_server_info", map[string]string{"role": "master"}) {
		t.Errorf("/metrics with the password: no vigil_server_info{role=\"master\"}")
	}
}
