package httpapi

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/sentinel"
)

// Source is what the endpoint serves: *sentinel.Sentinel's Go API.
type Source interface {
	// Masters returns every monitored master (SENTINEL MASTERS).
	Masters() ([]sentinel.MasterSnapshot, error)
	// Master returns one master or an error wrapping sentinel.ErrNoSuchMaster.
	Master(name string) (sentinel.MasterSnapshot, error)
	// Subscribe delivers the sentinel's events until cancel is called.
	Subscribe(buffer int) (events <-chan sentinel.Event, dropped func() uint64, cancel func())
	// MeshMembers counts the gossip mesh's members by state; nil without a mesh.
	MeshMembers() (map[string]int, error)
}

// Config configures a Server.
type Config struct {
	// Addr is the host:port to listen on; port 0 lets the kernel choose.
	Addr string
	// Password, when not "", is required as `Authorization: Bearer
	// <password>` on every route but /health/* (the sentinel's requirepass).
	Password string
	// Self, when set, is the address /health/* checks when the request has
	// no addr parameter: a node's own data server. Default: none (addr is
	// required).
	Self sentinel.Addr
	// ServerInfo, when set, returns a data server's INFO text (a node's own
	// server); /metrics then also has its figures (vigil_server_*).
	ServerInfo func() string
	// TLSCertFile and TLSKeyFile, when both set, make the endpoint HTTPS.
	TLSCertFile, TLSKeyFile string
	// RingSize is how many recent events are kept for Last-Event-ID
	// resume. Default (0) DefaultRingSize.
	RingSize int
	// MaxStreams bounds the event streams open at once (each holds a
	// goroutine); the next one gets a 503. Default (0) DefaultMaxStreams.
	MaxStreams int
}

// Limits of the endpoint.
const (
	// DefaultRingSize is Config.RingSize's default.
	DefaultRingSize = 1024
	// maxBody is the largest request body read (no route takes one).
	maxBody = 1 << 10
	// maxHeader bounds the request line and headers.
	maxHeader = 16 << 10
	// subscribeBuffer is the event channel's capacity.
	subscribeBuffer = 4096
	// DefaultMaxStreams is Config.MaxStreams's default.
	DefaultMaxStreams = 256
)

// Server is the HTTP endpoint of one sentinel. Create it with New, then
// Start; Shutdown ends it.
type Server struct {
	src     Source
	cfg     Config
	log     zerolog.Logger
	ring    *ring
	metrics *metrics
	reg     *prometheus.Registry
	mux     *http.ServeMux
	srv     *http.Server
	ln      net.Listener

	streams  chan struct{} // one token per open event stream (Config.MaxStreams)
	closing  chan struct{} // closed by Shutdown: ends the event streams
	stopOnce sync.Once
	cancel   func() // ends the subscription
	pumpDone chan struct{}
}

// New returns a Server for src; it does not listen until Start.
func New(src Source, cfg Config, log zerolog.Logger) *Server {
	if cfg.RingSize <= 0 {
		cfg.RingSize = DefaultRingSize
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	s := &Server{src: src, cfg: cfg, log: log.With().Str("component", "httpapi").Logger(),
		ring: newRing(cfg.RingSize), reg: prometheus.NewRegistry(),
		streams: make(chan struct{}, cfg.MaxStreams), closing: make(chan struct{}), pumpDone: make(chan struct{})}
	s.metrics = newMetrics(src)
	s.reg.MustRegister(s.metrics)
	if cfg.ServerInfo != nil {
		s.reg.MustRegister(serverMetrics{info: cfg.ServerInfo})
	}
	s.mux = s.routes()
	return s
}

// Handler returns the endpoint's handler (auth, limits, panics to JSON 500).
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

// Start subscribes to the sentinel's events and starts listening. The
// listener is bound when Start returns.
func (s *Server) Start(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("httpapi: listen %s: %w", s.cfg.Addr, err)
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes: maxHeader, IdleTimeout: 2 * time.Minute}
	if s.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("httpapi: tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.ln = ln
	events, dropped, cancel := s.src.Subscribe(subscribeBuffer)
	s.cancel = cancel
	s.metrics.setDropped(dropped)
	go s.pump(events)
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("http endpoint stopped")
		}
	}()
	s.log.Info().Str("addr", ln.Addr().String()).Bool("tls", s.cfg.TLSCertFile != "").Msg("http endpoint listening")
	return nil
}

// Addr is the address the endpoint listens on (after Start).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown ends the event streams, stops listening, waits for the
// requests in flight (until ctx ends) and ends the subscription.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		close(s.closing)
		if s.srv != nil {
			err = s.srv.Shutdown(ctx)
		}
		if s.cancel != nil {
			s.cancel()
			<-s.pumpDone
		}
	})
	return err
}

// pump numbers the sentinel's events into the ring and the metrics.
func (s *Server) pump(events <-chan sentinel.Event) {
	defer close(s.pumpDone)
	for ev := range events {
		rec := s.ring.add(ev, time.Now())
		s.metrics.observe(rec)
	}
}

// routes builds the route table.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/masters", s.handleMasters)
	mux.HandleFunc("GET /v1/masters/{name}", s.handleMaster)
	mux.HandleFunc("GET /v1/masters/{name}/events", s.handleEvents)
	mux.HandleFunc("GET /health/live", s.handleLive)
	mux.HandleFunc("GET /health/master/{name}", s.handleHealthMaster)
	mux.HandleFunc("GET /health/replica/{name}", s.handleHealthReplica)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/", s.handleUnknown(mux))
	return mux
}

// handleUnknown answers what no route matches: 405 when the path exists for
// GET, else 404, both in JSON (the mux's own answers are plain text).
func (s *Server) handleUnknown(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			g := r.Clone(r.Context())
			g.Method = http.MethodGet
			if _, pattern := mux.Handler(g); pattern != "/" {
				w.Header().Set("Allow", "GET, HEAD")
				writeError(w, http.StatusMethodNotAllowed, "method not allowed")
				return
			}
		}
		writeError(w, http.StatusNotFound, "no such route")
	}
}

// guard wraps every route: panics become a JSON 500, bodies are limited,
// and every route but /health/* needs the bearer password when one is set.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error().Interface("panic", v).Str("path", r.URL.Path).Msg("http handler panicked")
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		if r.ContentLength > maxBody {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if !strings.HasPrefix(r.URL.Path, "/health/") && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized reports whether r carries the bearer password (or none is set).
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Password == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Password)) == 1
}

// errorBody is every error's JSON.
type errorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg, Status: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to do
}

// lookupMaster fetches name's snapshot or writes the error (404 for an
// unknown master, 503 when the sentinel is stopping).
func (s *Server) lookupMaster(w http.ResponseWriter, name string) (sentinel.MasterSnapshot, bool) {
	m, err := s.src.Master(name)
	switch {
	case errors.Is(err, sentinel.ErrNoSuchMaster):
		writeError(w, http.StatusNotFound, "No such master with that name")
		return m, false
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return m, false
	}
	return m, true
}
