package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vigil-db/vigil/internal/testutil"
	"github.com/vigil-db/vigil/sentinel"
)

// openStream opens m's event stream, resuming after lastID when not "".
func openStream(t *testing.T, base, lastID string) (*bufio.Reader, func()) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/masters/m/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: got %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewReader(resp.Body), func() { resp.Body.Close() }
}

// next reads one event and decodes its JSON data.
func next(t *testing.T, r *bufio.Reader) (testutil.SSEEvent, Record) {
	t.Helper()
	ev, err := testutil.ReadSSE(r)
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var rec Record
	if ev.Event != "gap" {
		if err := json.Unmarshal([]byte(ev.Data), &rec); err != nil {
			t.Fatalf("event data %q: %v", ev.Data, err)
		}
	}
	return ev, rec
}

// waitID polls until the ring numbered id events.
func waitID(t *testing.T, s *Server, id uint64) {
	testutil.CheckFor(t, 5*time.Second, 5*time.Millisecond, "ring numbers the events", func() bool {
		return s.ring.last() >= id
	})
}

// TestEventsResume: a stream gets m's events (not other masters'), and a
// reconnect with Last-Event-ID gets exactly what it missed; a client too
// far behind the ring is told of the gap.
func TestEventsResume(t *testing.T) {
	src := newFake()
	s, base := startServer(t, src, "")
	r, closeStream := openStream(t, base, "")
	src.publish("+sdown", "master m 127.0.0.1 6379")
	src.publish("+sdown", "master other 127.0.0.1 7000")
	src.publish("+odown", "master m 127.0.0.1 6379 #quorum 2/2")
	ev, rec := next(t, r)
	if ev.ID != "1" || ev.Event != "+sdown" || rec.Master != "m" || rec.Message != "master m 127.0.0.1 6379" {
		t.Fatalf("first: got %+v %+v, want id 1 +sdown of m", ev, rec)
	}
	ev, _ = next(t, r)
	if ev.ID != "3" || ev.Event != "+odown" {
		t.Fatalf("second: got %+v, want id 3 +odown (id 2 is another master's)", ev)
	}
	closeStream()
	src.publish("+switch-master", "m 127.0.0.1 6379 127.0.0.1 6380")
	src.publish("+config-update-from", "sentinel x 127.0.0.1 26380 @ m 127.0.0.1 6379")
	waitID(t, s, 5)
	r, closeStream = openStream(t, base, "3")
	ev, rec = next(t, r)
	if ev.ID != "4" || ev.Event != "+switch-master" || rec.Message != "m 127.0.0.1 6379 127.0.0.1 6380" {
		t.Fatalf("resumed: got %+v %+v, want id 4 +switch-master", ev, rec)
	}
	if ev, _ = next(t, r); ev.ID != "5" {
		t.Fatalf("resumed second: got %+v, want id 5", ev)
	}
	closeStream()
	for i := 0; i < 10; i++ { // the ring holds 8
		src.publish("+sdown", "master m 127.0.0.1 6379")
	}
	waitID(t, s, 15)
	r, closeStream = openStream(t, base, "5")
	defer closeStream()
	if ev, _ = next(t, r); ev.Event != "gap" {
		t.Fatalf("behind the ring: got %+v, want a gap event", ev)
	}
	if ev, _ = next(t, r); ev.ID != "8" {
		t.Fatalf("after the gap: got %+v, want id 8 (oldest held)", ev)
	}
	closeStream()
	// An id from before a restart (above any given): a gap, then all held.
	r, closeStream = openStream(t, base, "1000")
	if ev, _ = next(t, r); ev.Event != "gap" {
		t.Fatalf("unknown id: got %+v, want a gap event", ev)
	}
	if ev, _ = next(t, r); ev.ID != "8" {
		t.Fatalf("after an unknown id: got %+v, want id 8 (oldest held)", ev)
	}
	closeStream()
}

// TestShutdownEndsStreams: Shutdown returns with a stream open.
func TestShutdownEndsStreams(t *testing.T) {
	src := newFake()
	s, base := startServer(t, src, "")
	r, closeStream := openStream(t, base, "")
	defer closeStream()
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(t.Context()) }()
	if _, err := testutil.ReadSSE(r); err == nil {
		t.Fatal("stream: got an event after Shutdown, want the end of the stream")
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestStreamLimit: past MaxStreams open streams the next gets a JSON 503;
// closing one frees its place.
func TestStreamLimit(t *testing.T) {
	_, base := startServer(t, newFake(), "")
	_, close1 := openStream(t, base, "")
	_, close2 := openStream(t, base, "")
	defer close2()
	resp := get(t, "GET", base+"/v1/masters/m/events", "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("third stream: got %d %q, want a JSON 503", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	close1()
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, "a closed stream frees its place", func() bool {
		resp := get(t, "GET", base+"/v1/masters/m/events", "")
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestRingSince compares the ring's indexed lookup with a naive scan of every event
// still held, for each resume point, master filter and fill level (including wrap).
func TestRingSince(t *testing.T) {
	const size = 5
	masters := []string{"a", "b", ""}
	for total := 0; total <= 3*size; total++ {
		r := newRing(size)
		var all []Record
		for i := 0; i < total; i++ {
			m := masters[i%2]
			rec := r.add(sentinel.Event{Name: "+sdown", Message: "master " + m + " 127.0.0.1 6379"}, time.Unix(int64(i), 0))
			all = append(all, rec)
		}
		held := all[max(len(all)-size, 0):]
		for after := uint64(0); after <= uint64(total)+1; after++ {
			for _, m := range masters {
				var want []Record
				for _, rec := range held {
					if rec.ID > after && (m == "" || rec.Master == m) {
						want = append(want, rec)
					}
				}
				wantGap := len(held) > 0 && held[0].ID > after+1
				got, last, gap, _ := r.since(after, m)
				if !slices.Equal(got, want) || last != uint64(total) || gap != wantGap {
					t.Errorf("%d events, since(%d, %q): got %d records %v, last %d, gap %v; want %d records %v, last %d, gap %v",
						total, after, m, len(got), ids(got), last, gap, len(want), ids(want), total, wantGap)
				}
			}
		}
	}
}

func ids(recs []Record) []uint64 {
	out := make([]uint64, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}
