package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// FuzzHandler: any method, path, query and Last-Event-ID get an answer
// below 500, in JSON unless it is the metrics or the mux's redirect to a
// clean path; nothing panics. (Event streams stay open: left out.)
func FuzzHandler(f *testing.F) {
	seeds := [][4]string{
		{"GET", "/v1/masters/m", "", ""},
		{"GET", "/health/master/m", "addr=127.0.0.1:6379", ""},
		{"GET", "/health/replica/m", "addr=[::1]:6380&max_lag=1e400", ""},
		{"GET", "/health/replica/m", "addr=127.0.0.1:0&max_lag_bytes=99999999999999999999", ""},
		{"POST", "/v1/masters/%zz", "", ""},
		{"GET", "/v1/masters/m/events", "last_event_id=18446744073709551616", "x"},
		{"DELETE", "/", "", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	s := New(newFake(), Config{}, zerolog.Nop())
	h := s.Handler()
	f.Fuzz(func(t *testing.T, method, path, query, lastID string) {
		if !validMethod(method) || path == "" || path[0] != '/' || strings.HasSuffix(path, "/events") {
			return // event streams stay open; net/http rejects the rest earlier
		}
		u := &url.URL{Path: path, RawQuery: query}
		req, err := http.NewRequest(method, "http://x"+u.RequestURI(), nil)
		if err != nil {
			return
		}
		req.Header.Set("Last-Event-ID", lastID)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s?%s: got %d %s", method, path, query, rec.Code, rec.Body)
		}
		redirect := rec.Code >= 300 && rec.Code < 400 // the mux cleans paths such as "/./x"
		if path != "/metrics" && method != http.MethodHead && !redirect && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s?%s: got %d, body not JSON: %q", method, path, query, rec.Code, rec.Body)
		}
	})
}

// validMethod is an HTTP token (what net/http accepts as a method).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}
