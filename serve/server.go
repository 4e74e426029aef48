package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// Limits keep one server responsive and its memory bounded, whoever calls
// it. The zero value of a field means its default (DefaultLimits).
type Limits struct {
	// MaxArrivals caps the simulated arrivals of one request: rate ×
	// duration (× the on share of onoff arrivals) × strategies.
	MaxArrivals float64
	// Timeout bounds one run; a run that takes longer is stopped and
	// answered with a 503.
	Timeout time.Duration
	// MaxRuns is how many runs go at once; MaxQueue more may wait, each
	// at most QueueWait, before a 503.
	MaxRuns, MaxQueue int
	QueueWait         time.Duration
	// MaxBody bounds a request body (a scenario file posted by the page),
	// MaxQuery a query string.
	MaxBody, MaxQuery int
	// MaxPicks caps an explain's count.
	MaxPicks int
	// MaxSteps caps the traced steps of one explain, summed over its
	// picks (a pick on a full range probes all of it).
	MaxSteps int
}

// DefaultLimits are what New uses for the zero fields of Config.Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxArrivals: 2e6,
		Timeout:     10 * time.Second,
		MaxRuns:     max(1, runtime.GOMAXPROCS(0)),
		MaxQueue:    8,
		QueueWait:   5 * time.Second,
		MaxBody:     64 << 10,
		MaxQuery:    16 << 10,
		MaxPicks:    200,
		MaxSteps:    200_000,
	}
}

// Config configures a Server.
type Config struct {
	Limits Limits
	// LoopbackOnly refuses requests whose Host header is not localhost or
	// a loopback address: a server bound to loopback is then out of reach
	// of web pages elsewhere that rebind a name of theirs to 127.0.0.1.
	LoopbackOnly bool
	// Log, when set, hears of every failed request (5xx) and recovered
	// panic.
	Log *log.Logger
}

// Server is the explorer's http.Handler: the page and its API.
type Server struct {
	lim    Limits
	cfg    Config
	mux    *http.ServeMux
	slots  chan struct{}
	queued atomic.Int64
	page   []byte
	csp    string
}

// New returns a Server with cfg's limits, zero fields taking
// DefaultLimits' values.
func New(cfg Config) *Server {
	d := DefaultLimits()
	l := &cfg.Limits
	setDefault(&l.MaxArrivals, d.MaxArrivals)
	setDefault(&l.Timeout, d.Timeout)
	setDefault(&l.MaxRuns, d.MaxRuns)
	setDefault(&l.MaxQueue, d.MaxQueue)
	setDefault(&l.QueueWait, d.QueueWait)
	setDefault(&l.MaxBody, d.MaxBody)
	setDefault(&l.MaxQuery, d.MaxQuery)
	setDefault(&l.MaxPicks, d.MaxPicks)
	setDefault(&l.MaxSteps, d.MaxSteps)
	s := &Server{lim: *l, cfg: cfg, mux: http.NewServeMux(), slots: make(chan struct{}, l.MaxRuns)}
	s.page, s.csp = buildPage(s.pageConfig())
	s.mux.HandleFunc("GET /{$}", s.handlePage)
	s.mux.HandleFunc("GET /api/run", s.api(s.handleRun))
	s.mux.HandleFunc("GET /api/explain", s.api(s.handleExplain))
	s.mux.HandleFunc("GET /api/scenario.yaml", s.handleScenarioFile)
	s.mux.HandleFunc("POST /api/scenario", s.api(s.handleScenarioPost))
	return s
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// ServeHTTP checks what every request must satisfy (its Host, the size of
// its query and body), recovers a panic into a 500, and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logf("panic serving %s: %v", r.URL, v)
			writeJSON(w, http.StatusInternalServerError, apiError{Error: fmt.Sprintf("internal error: %v (a bug in portsim; please report it with the URL)", v)})
		}
	}()
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if s.cfg.LoopbackOnly && !loopbackHost(r.Host) {
		writeJSON(w, http.StatusForbidden, apiError{Field: "host", Error: fmt.Sprintf(
			"host: %q is not a loopback name; this server answers only at localhost, 127.0.0.1 or [::1] (start it with --allow-remote to serve other names)", r.Host)})
		return
	}
	if len(r.URL.RawQuery) > s.lim.MaxQuery {
		writeJSON(w, http.StatusBadRequest, apiError{Field: "query", Error: fmt.Sprintf(
			"query: %d bytes is over this server's limit of %d; want fewer or shorter settings", len(r.URL.RawQuery), s.lim.MaxQuery)})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.lim.MaxBody))
	s.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether a Host header names this machine's
// loopback: localhost, 127.0.0.0/8 or ::1, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// apiError is every error the API returns: Field names the setting at
// fault ("rate", "count", "body"), or is empty when none is.
type apiError struct {
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
	Busy  bool   `json:"busy,omitempty"` // try again: the server was busy
}

// A statusError is an error with the HTTP status it answers.
type statusError struct {
	status int
	apiError
}

func (e *statusError) Error() string { return e.apiError.Error }

// badInput is a 400 naming field.
func badInput(field, format string, args ...any) error {
	return &statusError{http.StatusBadRequest, apiError{Field: field, Error: fmt.Sprintf(format, args...)}}
}

// fieldError is a 400 for err, a parser's error that starts "NAME: " when
// it names its field; field is the one to blame otherwise.
func fieldError(field string, err error) error {
	msg := err.Error()
	if name, _, ok := strings.Cut(msg, ":"); ok && isField(name) {
		field = name
	} else if !strings.HasPrefix(msg, field+":") {
		msg = field + ": " + msg
	}
	return &statusError{http.StatusBadRequest, apiError{Field: field, Error: msg}}
}

func busy(format string, args ...any) error {
	return &statusError{http.StatusServiceUnavailable, apiError{Error: fmt.Sprintf(format, args...), Busy: true}}
}

// api adapts a handler that returns a value to JSON, errors included.
func (s *Server) api(h func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			s.writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	var se *statusError
	if !errors.As(err, &se) {
		se = &statusError{http.StatusInternalServerError, apiError{Error: err.Error()}}
	}
	if se.status >= 500 {
		s.logf("%d: %s", se.status, se.apiError.Error)
	}
	if se.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, se.status, se.apiError)
}

// writeJSON answers v as JSON. Markup in strings (the charts' SVG) is not
// escaped: the answer is read as JSON, never as HTML, and escaping every
// < of an SVG would make it half as large again.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error: cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		s.cfg.Log.Printf(format, args...)
	}
}

// acquire takes one of MaxRuns slots, waiting up to QueueWait when all
// are taken and fewer than MaxQueue others wait; the 503 says which limit
// was hit.
func (s *Server) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-s.slots }
	select {
	case s.slots <- struct{}{}:
		return release, nil
	default:
	}
	if n := s.queued.Add(1); n > int64(s.lim.MaxQueue) {
		s.queued.Add(-1)
		return nil, busy("busy: %d runs are going and %d waiting, this server's limit; try again in a moment", s.lim.MaxRuns, s.lim.MaxQueue)
	}
	defer s.queued.Add(-1)
	t := time.NewTimer(s.lim.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, busy("busy: waited %v for one of %d runs to finish; try again in a moment", s.lim.QueueWait, s.lim.MaxRuns)
	case <-ctx.Done():
		return nil, busy("busy: the request ended while waiting for a run to finish")
	}
}

// Warm runs DefaultScenario once and throws the answer away, so that the
// first student to load the page does not wait for what a first run sets
// up (the charts' fonts, the heap).
func (s *Server) Warm() error {
	sc := DefaultScenario()
	_, err := s.run(context.Background(), &sc, defaultWhy)
	return err
}

// Serve serves h on ln until ctx is done, then shuts down, giving requests
// in flight a few seconds to finish. Headers, bodies and idle connections
// are bounded in size and time.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
