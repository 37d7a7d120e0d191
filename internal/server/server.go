// Package server runs Ward's HTTP server: the API, the web UI, health and
// readiness probes and Prometheus metrics, with timeouts, body limits and
// graceful shutdown. NewStack wires the services the API needs from one
// database.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardiomt/ward/internal/api"
)

// Pinger reports whether the database answers (*db.DB via *sql.DB).
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Config configures the HTTP server.
type Config struct {
	API      *api.API     // required
	Web      http.Handler // the UI at "/"; nil: a plain page pointing at the API
	DB       Pinger       // readiness; nil: always ready
	Registry *prometheus.Registry
	Logger   *slog.Logger

	ReadHeaderTimeout time.Duration // default 10s
	ReadTimeout       time.Duration // whole request incl. body; default 2m (sensor uploads)
	WriteTimeout      time.Duration // default 2m (CSV exports)
	IdleTimeout       time.Duration // default 2m
	ShutdownTimeout   time.Duration // default 20s
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.ReadHeaderTimeout, 10*time.Second)
	set(&c.ReadTimeout, 2*time.Minute)
	set(&c.WriteTimeout, 2*time.Minute)
	set(&c.IdleTimeout, 2*time.Minute)
	set(&c.ShutdownTimeout, 20*time.Second)
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ward", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "ward", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ward", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served."}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inflight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	// Process and runtime metrics; tolerate a registry that already has them.
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		var are prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &are) {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// Handler builds the complete HTTP handler.
func Handler(cfg Config) (http.Handler, error) {
	cfg.defaults()
	if cfg.API == nil {
		return nil, errors.New("server: API is required")
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	cfg.API.Register(mux)
	cfg.API.Document("GET", "/healthz", "meta", "Liveness: the process serves HTTP", "text/plain")
	cfg.API.Document("GET", "/readyz", "meta", "Readiness: the database answers (503 otherwise)", "text/plain")
	cfg.API.Document("GET", "/metrics", "meta", "Prometheus metrics", "text/plain")
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if cfg.DB != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := cfg.DB.PingContext(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("database unavailable\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	// Unknown API paths answer JSON, not the UI's 404 page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"no such API route; see /api/openapi.json"}` + "\n"))
	})
	web := cfg.Web
	if web == nil {
		web = http.HandlerFunc(placeholder)
	}
	mux.Handle("/", web)
	var h http.Handler = mux
	// instrument sits inside MaxBytesHandler, which copies the request:
	// the mux must set Pattern on the request instrument holds.
	h = instrument(h, m, cfg.Logger)
	h = http.MaxBytesHandler(h, cfg.API.MaxBody())
	return h, nil
}

func placeholder(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Ward server. The API is at /api/v1 (see /api/openapi.json).\n"))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// instrument adds security headers, panic recovery and metrics. The route
// label is the mux pattern, never the raw path, so metric cardinality stays
// bounded whatever clients request.
func instrument(next http.Handler, m *metrics, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inflight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		defer func() {
			m.inflight.Dec()
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if sw.code == 0 {
					sw.Header().Set("Content-Type", "application/json")
					sw.WriteHeader(http.StatusInternalServerError)
					_, _ = sw.Write([]byte(`{"error":"internal error"}` + "\n"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
			m.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// Server is a running HTTP server.
type Server struct {
	cfg  Config
	http *http.Server
}

// New builds the server for handler h.
func New(cfg Config, h http.Handler) *Server {
	cfg.defaults()
	return &Server{cfg: cfg, http: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}}
}

// Serve serves on ln (TLS when certFile is set) until ctx ends, then shuts
// down gracefully: in-flight requests get ShutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	errc := make(chan error, 1)
	go func() {
		var err error
		if certFile != "" {
			err = s.http.ServeTLS(ln, certFile, keyFile)
		} else {
			err = s.http.Serve(ln)
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
