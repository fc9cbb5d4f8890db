package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-db/vigil/sentinel"
)

// Record is one numbered event, the JSON of an SSE event's data.
type Record struct {
	// ID increases by one per event this process saw (the SSE id).
	ID uint64 `json:"id"`
	// Event is Redis's event name (+sdown, +switch-master, ...).
	Event string `json:"event"`
	// Master is the master the event concerns ("" for +new-epoch and others).
	Master string `json:"master"`
	// Message is Redis's message text, as on the pub/sub channel.
	Message string `json:"message"`
	// Time is when the endpoint received it.
	Time time.Time `json:"time"`
}

// ring keeps the last events with ids, so a reconnecting client resumes
// from Last-Event-ID without missing one still held.
type ring struct {
	mu     sync.Mutex
	buf    []Record // circular, len = capacity once full
	next   int      // index of the next write once full
	lastID uint64
	wake   chan struct{} // closed and replaced on every add
}

func newRing(size int) *ring {
	return &ring{buf: make([]Record, 0, size), wake: make(chan struct{})}
}

// add numbers ev and keeps it.
func (r *ring) add(ev sentinel.Event, now time.Time) Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastID++
	rec := Record{ID: r.lastID, Event: ev.Name, Master: masterOf(ev), Message: ev.Message, Time: now}
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, rec)
	} else {
		r.buf[r.next] = rec
		r.next = (r.next + 1) % len(r.buf)
	}
	close(r.wake)
	r.wake = make(chan struct{})
	return rec
}

// since returns the held events of master with an id above after (all
// masters when master is ""), the id of the last event, whether events
// after `after` were already dropped, and a channel closed on the next add.
// Ids are consecutive, so the first record after `after` is found by
// arithmetic: a wake-up reads only the records it returns or skips for
// another master, never the whole ring.
func (r *ring) since(after uint64, master string) (out []Record, last uint64, gap bool, wake <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.buf)
	if n == 0 || after >= r.lastID {
		return nil, r.lastID, false, r.wake
	}
	oldest := r.lastID - uint64(n) + 1 // the id at position r.next (0 until full)
	skip := 0
	if after+1 < oldest {
		gap = true
	} else {
		skip = int(after + 1 - oldest)
	}
	for i := skip; i < n; i++ {
		rec := r.buf[(r.next+i)%n]
		if master == "" || rec.Master == master {
			out = append(out, rec)
		}
	}
	return out, r.lastID, gap, r.wake
}

// last is the id of the newest event (0 before the first).
func (r *ring) last() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastID
}

// writeGap tells a stream's client that events after its id are lost.
func writeGap(w http.ResponseWriter, after uint64) {
	fmt.Fprintf(w, "event: gap\ndata: {\"after\":%d}\n\n", after)
}

// masterOf finds the master an event concerns from Redis's message formats:
// "<type> <name> <ip> <port>[ @ <master> <ip> <port>]" and +switch-master's
// "<master> <old ip> <old port> <new ip> <new port>".
func masterOf(ev sentinel.Event) string {
	f := strings.Fields(ev.Message)
	if ev.Name == "+switch-master" && len(f) > 0 {
		return f[0]
	}
	for i, w := range f {
		if w == "@" && i+1 < len(f) {
			return f[i+1]
		}
	}
	if len(f) > 1 && f[0] == "master" {
		return f[1]
	}
	return ""
}

// heartbeat is how often an idle stream gets a comment line, so proxies
// keep it open and a dead client is noticed.
const heartbeat = 15 * time.Second

// handleEvents is GET /v1/masters/{name}/events: Server-Sent Events, one
// per sentinel event of that master, resumable with Last-Event-ID.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookupMaster(w, r.PathValue("name"))
	if !ok {
		return
	}
	after, ok := s.lastEventID(w, r)
	if !ok {
		return
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		writeError(w, http.StatusServiceUnavailable, "too many event streams")
		return
	}
	fl, canFlush := w.(http.Flusher)
	if !canFlush {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprint(w, "retry: 1000\n\n")
	fl.Flush()
	s.stream(w, fl, r, m.Name, after)
}

// lastEventID reads Last-Event-ID (header, or last_event_id in the query
// for clients that cannot set headers); without either the stream starts
// at the next event.
func (s *Server) lastEventID(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return s.ring.last(), true
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Last-Event-ID must be a decimal event id")
		return 0, false
	}
	return id, true
}

// stream writes events until the client leaves or the server shuts down.
func (s *Server) stream(w http.ResponseWriter, fl http.Flusher, r *http.Request, master string, after uint64) {
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	told := false // the client was told of a gap already
	if after > s.ring.last() {
		// An id this process never gave (the sentinel restarted and its ids
		// began again): the client may have missed anything; replay all held.
		writeGap(w, after)
		after, told = 0, true
	}
	for {
		recs, last, gap, wake := s.ring.since(after, master)
		if gap && !told {
			writeGap(w, after) // events after the client's id left the ring
		}
		told = false
		for _, rec := range recs {
			data, _ := json.Marshal(rec) // a Record always encodes
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", rec.ID, rec.Event, data)
		}
		if last > after {
			after = last
		}
		fl.Flush()
		select {
		case <-wake:
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}
