package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/vigil-db/vigil/sentinel"
)

// Master is a master's JSON: the facts of SENTINEL MASTER, REPLICAS and
// SENTINELS. Field names are stable; docs/http.md maps each to SENTINEL's.
// Addr is ip:port; Flags lists SENTINEL MASTER's flags, SDown and ODown
// repeat two of them, with SDownSince and ODownSince (nil while not down);
// FailoverState is "" without a failover, FailoverSince when it entered that
// state (nil without one); Offset is the master's master_repl_offset from its
// last INFO; LastOKPing its last valid PING reply (nil: never).
type Master struct {
	Name              string     `json:"name"`
	IP                string     `json:"ip"`
	Port              int        `json:"port"`
	Addr              string     `json:"addr"`
	RunID             string     `json:"run_id"`
	ConfigEpoch       uint64     `json:"config_epoch"`
	Offset            int64      `json:"offset"`
	Flags             []string   `json:"flags"`
	SDown             bool       `json:"sdown"`
	SDownSince        *string    `json:"sdown_since"`
	ODown             bool       `json:"odown"`
	ODownSince        *string    `json:"odown_since"`
	FailoverState     string     `json:"failover_state"`
	FailoverSince     *string    `json:"failover_state_since"`
	LastOKPing        *string    `json:"last_ok_ping"`
	Quorum            int        `json:"quorum"`
	NumReplicas       int        `json:"num_replicas"`
	NumOtherSentinels int        `json:"num_other_sentinels"`
	Replicas          []Replica  `json:"replicas"`
	Sentinels         []Sentinel `json:"sentinels"`
	// CutOff: fenced mode, and this sentinel reaches no majority of the master's
	// sentinels (sentinel.MasterSnapshot.CutOff): its view may be stale.
	CutOff bool `json:"cut_off"`
}

// Replica is a replica's JSON (a SENTINEL REPLICAS entry): Offset is
// slave-repl-offset, LagBytes the master's offset minus it (0 when the
// master's is unknown), LinkUp master-link-status ok, LinkDownMS
// master-link-down-time, LastOKPing the last valid PING reply (nil: never).
type Replica struct {
	IP         string   `json:"ip"`
	Port       int      `json:"port"`
	Addr       string   `json:"addr"`
	RunID      string   `json:"run_id"`
	Flags      []string `json:"flags"`
	Offset     int64    `json:"offset"`
	LagBytes   int64    `json:"lag_bytes"`
	LinkUp     bool     `json:"link_up"`
	LinkDownMS int64    `json:"link_down_time_ms"`
	MasterHost string   `json:"master_host"`
	MasterPort int      `json:"master_port"`
	Priority   int      `json:"priority"`
	LastOKPing *string  `json:"last_ok_ping"`
}

// Sentinel is another sentinel's JSON (a SENTINEL SENTINELS entry): ID is
// its runid; LastHello and LastOKPing are nil when never.
type Sentinel struct {
	ID         string   `json:"id"`
	IP         string   `json:"ip"`
	Port       int      `json:"port"`
	Flags      []string `json:"flags"`
	LastHello  *string  `json:"last_hello"`
	LastOKPing *string  `json:"last_ok_ping"`
}

// flagList splits Flags.String into a list ([] when none).
func flagList(f sentinel.Flags) []string {
	s := f.String()
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// stamp is a time in RFC 3339 with milliseconds, nil for the zero time.
func stamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	return &s
}

// toMaster converts a snapshot to its JSON.
func toMaster(m sentinel.MasterSnapshot) Master {
	out := Master{Name: m.Name, IP: m.Addr.Host, Port: m.Addr.Port, Addr: m.Addr.String(), RunID: m.RunID,
		ConfigEpoch: m.ConfigEpoch, Offset: m.Offset, Flags: flagList(m.Flags), SDown: m.Flags&sentinel.FlagSDown != 0,
		ODown: m.Flags&sentinel.FlagODown != 0, FailoverState: m.FailoverState, Quorum: m.Quorum,
		SDownSince: stamp(m.SDownSince), ODownSince: stamp(m.ODownSince), FailoverSince: stamp(m.FailoverSince),
		LastOKPing:  stamp(m.LastOKPing),
		NumReplicas: len(m.Replicas), NumOtherSentinels: len(m.Sentinels), CutOff: m.CutOff,
		Replicas: make([]Replica, 0, len(m.Replicas)), Sentinels: make([]Sentinel, 0, len(m.Sentinels))}
	for _, r := range m.Replicas {
		out.Replicas = append(out.Replicas, Replica{IP: r.Addr.Host, Port: r.Addr.Port, Addr: r.Addr.String(),
			RunID: r.RunID, Flags: flagList(r.Flags), Offset: r.Offset, LagBytes: lagBytes(m, r), LinkUp: r.LinkUp,
			LinkDownMS: r.LinkDownTime.Milliseconds(), MasterHost: r.MasterAddr.Host, MasterPort: r.MasterAddr.Port,
			Priority: r.Priority, LastOKPing: stamp(r.LastOKPing)})
	}
	for _, si := range m.Sentinels {
		out.Sentinels = append(out.Sentinels, Sentinel{ID: si.ID, IP: si.Addr.Host, Port: si.Addr.Port,
			Flags: flagList(si.Flags), LastHello: stamp(si.LastHello), LastOKPing: stamp(si.LastOKPing)})
	}
	return out
}

// lagBytes is how many bytes r is behind m (0 when m's offset is unknown).
func lagBytes(m sentinel.MasterSnapshot, r sentinel.ReplicaSnapshot) int64 {
	if m.Offset == 0 {
		return 0
	}
	return max(m.Offset-r.Offset, 0)
}

// handleMasters is GET /v1/masters.
func (s *Server) handleMasters(w http.ResponseWriter, _ *http.Request) {
	ms, err := s.src.Masters()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	out := make([]Master, 0, len(ms))
	for _, m := range ms {
		out = append(out, toMaster(m))
	}
	writeJSON(w, http.StatusOK, struct {
		Masters []Master `json:"masters"`
	}{out})
}

// handleMaster is GET /v1/masters/{name}: 503 while this sentinel is cut off (names no
// master, as GET-MASTER-ADDR-BY-NAME answers a null then; /v1/masters still shows its view).
func (s *Server) handleMaster(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookupMaster(w, r.PathValue("name"))
	if !ok {
		return
	}
	if m.CutOff {
		writeError(w, http.StatusServiceUnavailable, reasonCutOff)
		return
	}
	writeJSON(w, http.StatusOK, toMaster(m))
}

// reasonCutOff is why a cut-off sentinel names no master (MasterSnapshot.CutOff).
const reasonCutOff = "this sentinel reaches no majority of the master's sentinels (fenced mode): another master may have been promoted; ask another sentinel"
