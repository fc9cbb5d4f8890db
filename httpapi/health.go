package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-db/vigil/sentinel"
)

// Health is the JSON of a /health/* answer: Healthy decides the status
// (200/503), Reason says why not, Role is what addr was checked as.
type Health struct {
	Healthy bool   `json:"healthy"`
	Master  string `json:"master,omitempty"`
	Addr    string `json:"addr,omitempty"`
	Role    string `json:"role,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// handleLive is GET /health/live: the process answers.
func (s *Server) handleLive(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, Health{Healthy: true})
}

// queryAddr parses the addr=host:port parameter or writes a 400. Without
// the parameter it is Config.Self when set (a node's own server).
func (s *Server) queryAddr(w http.ResponseWriter, r *http.Request) (sentinel.Addr, bool) {
	raw := r.URL.Query().Get("addr")
	if raw == "" && !s.cfg.Self.IsZero() {
		return s.cfg.Self, true
	}
	host, port, err := net.SplitHostPort(raw)
	p, perr := strconv.Atoi(port)
	if raw == "" || err != nil || perr != nil || host == "" || p <= 0 || p > 65535 {
		writeError(w, http.StatusBadRequest, "addr must be host:port")
		return sentinel.Addr{}, false
	}
	return sentinel.Addr{Host: host, Port: p}, true
}

// writeHealth answers 200 for healthy, 503 otherwise.
func writeHealth(w http.ResponseWriter, h Health) {
	status := http.StatusOK
	if !h.Healthy {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

// handleHealthMaster is GET /health/master/{name}?addr=host:port: 200 when
// addr is the group's master by the agreed configuration (the address
// SENTINEL GET-MASTER-ADDR-BY-NAME gives) and this sentinel does not see it
// down; 503 otherwise.
func (s *Server) handleHealthMaster(w http.ResponseWriter, r *http.Request) {
	addr, ok := s.queryAddr(w, r)
	if !ok {
		return
	}
	m, ok := s.lookupMaster(w, r.PathValue("name"))
	if !ok {
		return
	}
	h := Health{Master: m.Name, Addr: addr.String(), Role: "master", Healthy: true}
	switch {
	case m.CutOff:
		h.Healthy, h.Role, h.Reason = false, "", reasonCutOff
	case m.Addr != addr:
		h.Healthy, h.Role, h.Reason = false, "", "not the master (master is "+m.Addr.String()+")"
	case m.Flags&sentinel.FlagODown != 0:
		h.Healthy, h.Reason = false, "master is objectively down"
	case m.Flags&sentinel.FlagSDown != 0:
		h.Healthy, h.Reason = false, "master is subjectively down"
	}
	writeHealth(w, h)
}

// handleHealthReplica is GET /health/replica/{name}?addr=host:port&max_lag=N:
// 200 for a replica of the group that this sentinel sees up, whose link to
// the current master is up and whose link down time is at most max_lag
// seconds (default 10) and, when max_lag_bytes is given, whose offset is at
// most that many bytes behind the master's; 503 otherwise.
func (s *Server) handleHealthReplica(w http.ResponseWriter, r *http.Request) {
	addr, ok := s.queryAddr(w, r)
	if !ok {
		return
	}
	lim := lagLimit{seconds: 10 * time.Second, bytes: -1}
	q := r.URL.Query()
	if v := q.Get("max_lag"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || n > 1e9 {
			writeError(w, http.StatusBadRequest, "max_lag must be a number of seconds")
			return
		}
		lim.seconds = time.Duration(n * float64(time.Second))
	}
	if v := q.Get("max_lag_bytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "max_lag_bytes must be a number of bytes")
			return
		}
		lim.bytes = n
	}
	m, ok := s.lookupMaster(w, r.PathValue("name"))
	if !ok {
		return
	}
	writeHealth(w, replicaHealth(m, addr, lim))
}

// lagLimit is how far behind a healthy replica may be: seconds of link
// down time, and bytes of offset (-1: not checked).
type lagLimit struct {
	seconds time.Duration
	bytes   int64
}

// replicaHealth judges addr as a replica of m.
func replicaHealth(m sentinel.MasterSnapshot, addr sentinel.Addr, lim lagLimit) Health {
	h := Health{Master: m.Name, Addr: addr.String(), Role: "replica"}
	if m.CutOff {
		h.Role, h.Reason = "", reasonCutOff
		return h
	}
	for _, rep := range m.Replicas {
		if rep.Addr != addr {
			continue
		}
		switch {
		case rep.Flags&(sentinel.FlagSDown|sentinel.FlagDisconnected) != 0:
			h.Reason = "replica is down"
		case !rep.LinkUp:
			h.Reason = "replication link is down"
		case rep.MasterAddr != m.Addr:
			h.Reason = "replicates from " + rep.MasterAddr.String() + ", not the master " + m.Addr.String()
		case rep.LinkDownTime > lim.seconds:
			h.Reason = "lag above max_lag"
		case lim.bytes >= 0 && lagBytes(m, rep) > lim.bytes:
			h.Reason = "lag above max_lag_bytes"
		default:
			h.Healthy = true
		}
		return h
	}
	h.Role, h.Reason = "", "not a known replica"
	return h
}
