// Package server wires cpcj's HTTP surface together: the one route table,
// the middleware every request passes through (request id, access log,
// metrics, recovery, security headers, body limits, authentication,
// language, CSRF), and the operational endpoints.
package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/resolution"
	"github.com/cpcj/cpcj/internal/sdmx"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/treaty"
	"github.com/cpcj/cpcj/internal/web"
)

// Server is cpcj's HTTP handler and everything it needs.
type Server struct {
	cfg      config.Config
	db       *store.DB
	accounts *account.Service
	bundle   *i18n.Bundle
	log      *slog.Logger
	api      *api.Handler
	web      *web.Handler
	collect  *collect.Service
	sdmx     *sdmx.Handler
	metrics  *Metrics
	openapi  []byte
	handler  http.Handler
	routes   []Route
	version  string
}

// Deps are what the server is built from.
type Deps struct {
	Config   config.Config
	DB       *store.DB
	Accounts *account.Service
	Log      *slog.Logger
	Metrics  *Metrics
	Version  string
	// Notes tells users about the collection's steps; the in-application
	// notices alone when nil.
	Notes collect.Notifier
	// Jobs runs the collection's large uploads in the background; they
	// are refused when nil.
	Jobs *job.Runner
}

// New builds the server and its route table.
func New(d Deps) (*Server, error) {
	bundle, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("message catalogues: %w", err)
	}
	res, err := resolution.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: d.Config, db: d.DB, accounts: d.Accounts, bundle: bundle, log: d.Log, metrics: d.Metrics, version: d.Version}
	treaties := treaty.NewService(d.DB, d.DB)
	s.collect = newCollection(d)
	s.api = api.New(api.Deps{States: d.DB, Accounts: d.Accounts, Notes: d.DB, Audit: d.DB, Treaties: treaties, TreatyStore: d.DB, Stats: d.DB,
		Collect: s.collect, CollectStore: d.DB, Log: d.Log, Version: d.Version})
	s.openapi, err = api.Document(d.Version, endpoints(apiRoutes(s.api)))
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	s.web, err = web.New(web.Deps{Store: d.DB, Accounts: d.Accounts, Treaties: treaties, Collect: s.collect, Jobs: d.Jobs, Bundle: bundle, Resolution: res, Log: d.Log}, web.Options{
		Secure: d.Config.Secure(), Version: d.Version, BaseURL: d.Config.BaseURL, OpenAPI: s.openapi})
	if err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	s.sdmx = sdmx.New(sdmx.Deps{Store: d.DB, Log: d.Log, BaseURL: d.Config.BaseURL, Version: d.Version})
	s.routes = s.routeTable()
	s.handler = s.build()
	return s, nil
}

// newCollection builds the service of the annual collection. Its
// validation rules are in the database, read again at every validation.
func newCollection(d Deps) *collect.Service {
	notes := d.Notes
	if notes == nil {
		notes = &notify.Service{Store: d.DB, Log: d.Log, Now: time.Now}
	}
	return &collect.Service{Store: d.DB, Stats: d.DB, Notes: notes, Log: d.Log, Now: time.Now, Prefix: web.CollectionPrefix}
}

// Collection returns the service of the annual collection, for its jobs.
func (s *Server) Collection() *collect.Service { return s.collect }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI returns the API document.
func (s *Server) OpenAPI() []byte { return s.openapi }

// endpoints lists the API operations of routes, for the OpenAPI document.
func endpoints(routes []Route) []api.Endpoint {
	var out []api.Endpoint
	for _, r := range routes {
		if r.Kind != API {
			continue
		}
		method, path, _ := strings.Cut(r.Pattern, " ")
		out = append(out, api.Endpoint{Method: method, Path: strings.TrimPrefix(path, api.Prefix), Op: r.Op})
	}
	return out
}

// build mounts every route with the middleware its kind needs.
func (s *Server) build() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routes {
		var h http.Handler = r.Handler
		switch r.Kind {
		case Page:
			h = s.web.CSRF(h)
		case API:
			h = s.apiCSRF(h)
		}
		mux.Handle(r.Pattern, named(s.capBody(h, r.Upload)))
	}
	// Unmatched paths get the 404 of their kind.
	mux.HandleFunc("/sdmx/", s.sdmx.NotFound)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		api.Error(w, r, s.log, fail.New(fail.NotFound, "There is no API operation at %s %s. See %s/openapi.json.", r.Method, r.URL.Path, api.Prefix))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.web.Error(w, r, &fail.Error{Kind: fail.NotFound})
			return
		}
		s.web.NotFound(w, r)
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fail.New(fail.Forbidden, "Cross-origin request refused: the form did not come from this site."))
	}))
	var h http.Handler = sdmx.StripSlash(mux)
	h = s.authenticate(h)
	h = s.locale(h)
	h = cop.Handler(h)
	h = s.limitBody(h)
	h = s.headers(h)
	h = s.recover(h)
	h = s.observe(h)
	return h
}

// routeKey carries the matched pattern to the access log and metrics, which
// run outside the mux.
type routeKey struct{}

type routeBox struct{ pattern string }

// observe gives each request an id, and logs and measures it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// The id is always cpcj's own: it goes into the audit trail, where
		// a client must not choose what is written. A client's id is
		// logged beside it, to follow a request across systems.
		id := account.NewSecret(12)
		clientID := r.Header.Get("X-Request-Id")
		if len(clientID) > 64 || strings.ContainsFunc(clientID, func(c rune) bool { return c < '!' || c > '~' }) {
			clientID = ""
		}
		w.Header().Set("X-Request-Id", id)
		box := &routeBox{}
		ctx := audit.WithMeta(r.Context(), audit.Meta{RequestID: id, Address: s.clientAddr(r)})
		ctx = context.WithValue(ctx, routeKey{}, box)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		took := time.Since(start)
		route := box.pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, r.Method, sw.status, took)
		level := slog.LevelInfo
		switch {
		case sw.status >= 500 && sw.status != http.StatusNotImplemented: // 501 answers a request for what is not built
			level = slog.LevelError
		case route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics":
			level = slog.LevelDebug
		}
		s.log.LogAttrs(ctx, level, "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("route", route), slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("took", took), slog.String("address", audit.MetaFrom(ctx).Address), slog.String("client_request_id", clientID))
	})
}

// named records the matched route's pattern for observe.
func named(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if box, ok := r.Context().Value(routeKey{}).(*routeBox); ok {
			box.pattern = r.Pattern
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recover turns a panic into a 500 and keeps the server up.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil || p == http.ErrAbortHandler {
				if p != nil {
					panic(p)
				}
				return
			}
			err := fmt.Errorf("panic: %v", p)
			s.log.ErrorContext(r.Context(), "handler panicked", "err", err, "path", r.URL.Path)
			s.fail(w, r, err)
		}()
		next.ServeHTTP(w, r)
	})
}

// headers sets the security headers every response carries.
func (s *Server) headers(next http.Handler) http.Handler {
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.cfg.Secure() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body at the largest any route takes, and
// refuses query strings that are not UTF-8; each route then caps its own
// body (capBody).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.bodyFits(w, r, s.maxBody()) {
			return
		}
		// Text that is not UTF-8 would reach the database, which
		// PostgreSQL refuses: the request is refused here instead.
		if r.URL.RawQuery != "" && !utf8.ValidString(r.URL.RawQuery) || strings.Contains(r.URL.RawQuery, "%") && !validQuery(r.URL.RawQuery) {
			s.fail(w, r, &fail.Error{Kind: fail.Invalid, Field: "query", Message: "the query string is not valid UTF-8 text"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// capBody caps the body of one route: files for the upload routes,
// CPCJ_MAX_BODY for the others. Handlers see a MaxBytesError beyond it.
func (s *Server) capBody(next http.Handler, upload bool) http.Handler {
	limit := s.cfg.MaxBodyBytes
	if upload {
		limit = s.maxBody()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.bodyFits(w, r, limit) {
			next.ServeHTTP(w, r)
		}
	})
}

// bodyFits refuses a body that declares itself longer than limit, and
// caps the reading of one that does not say.
func (s *Server) bodyFits(w http.ResponseWriter, r *http.Request, limit int64) bool {
	if r.ContentLength > limit {
		s.fail(w, r, &fail.Error{Kind: fail.TooLarge, Message: fmt.Sprintf("The request body (%d bytes) is larger than the limit of %d bytes.", r.ContentLength, limit)})
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return true
}

// maxBody is the largest body any route takes.
func (s *Server) maxBody() int64 { return max(s.cfg.MaxBodyBytes, s.cfg.MaxUploadBytes) }

// validQuery reports whether every name and value of a query string
// decodes to valid UTF-8.
func validQuery(raw string) bool {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return true // the handler's own parsing names the problem
	}
	for k, vs := range q {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// locale picks the request's language: the account's choice, the cookie's,
// or the browser's Accept-Language.
func (s *Server) locale(next http.Handler) http.Handler {
	cookie := web.LangCookie(s.cfg.Secure())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, api.Prefix) || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		choice := ""
		if c, err := r.Cookie(cookie); err == nil {
			choice = c.Value
		}
		l := s.bundle.Match(choice, r.Header.Get("Accept-Language"))
		next.ServeHTTP(w, r.WithContext(i18n.WithLocale(r.Context(), l)))
	})
}

// authenticate finds the actor: an API token in the Authorization header,
// or a session cookie. A bad token is refused; a stale cookie is dropped
// and the request goes on as the public's.
func (s *Server) authenticate(next http.Handler) http.Handler {
	cookieName := web.SessionCookie(s.cfg.Secure())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// Only the API reads tokens: a proxy's Basic credentials in front
		// of the site must not turn pages into JSON refusals.
		if h := r.Header.Get("Authorization"); h != "" && strings.HasPrefix(r.URL.Path, api.Prefix) {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				api.Error(w, r, s.log, &fail.Error{Kind: fail.Unauthorized, Field: "Authorization", Message: "use the form: Authorization: Bearer cpcj_…"})
				return
			}
			a, err := s.accounts.FromToken(ctx, strings.TrimSpace(token))
			if err != nil {
				api.Error(w, r, s.log, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(access.WithActor(ctx, a)))
			return
		}
		if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
			a, err := s.accounts.FromSession(ctx, c.Value)
			switch {
			case err == nil:
				if a.Locale != "" {
					ctx = i18n.WithLocale(ctx, s.bundle.Match(a.Locale, r.Header.Get("Accept-Language")))
				}
				ctx = access.WithActor(ctx, a)
			case fail.Is(err, fail.Unauthorized):
				http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
			default:
				if isSDMX(r) {
					s.sdmx.WriteError(w, r, err)
				} else {
					s.web.Error(w, r, err)
				}
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// isSDMX reports whether a request is for the SDMX API, whose clients read
// SDMX error messages only.
func isSDMX(r *http.Request) bool {
	return r.URL.Path == "/sdmx" || strings.HasPrefix(r.URL.Path, "/sdmx/")
}

// fail answers a failure of the middleware in the form of the path's kind
// of route: an SDMX error message, a problem document or an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case isSDMX(r):
		s.sdmx.WriteError(w, r, err)
	case strings.HasPrefix(r.URL.Path, api.Prefix):
		api.Error(w, r, s.log, err)
	default:
		s.web.Error(w, r, err)
	}
}

// apiCSRF asks a browser session that changes data through the API to show
// its CSRF token in a header; token-authenticated clients need not.
func (s *Server) apiCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if a := access.FromContext(r.Context()); a.SessionCSRF != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(a.SessionCSRF)) != 1 {
				api.Error(w, r, s.log, &fail.Error{Kind: fail.Forbidden, Field: "X-CSRF-Token", Message: "a browser session must send its CSRF token in this header"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the client's address: the peer's, or, behind a trusted
// proxy, the last address the proxy appended to X-Forwarded-For.
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Healthz answers that the process is alive.
func (s *Server) Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// Readyz answers whether this server can serve: the database answers and
// its schema is the one this program expects.
func (s *Server) Readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready: database", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unreachable")
		return
	}
	// A newer schema is ready too: during an upgrade the operator migrates
	// first, and the servers still running the old release keep serving
	// (migrations only add until the old release is gone).
	have, want, err := s.db.SchemaVersion(ctx)
	if err != nil || have < want {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "schema version %d, this program needs %d: run cpcj migrate\n", have, want)
		return
	}
	fmt.Fprintf(w, "ready: %s, schema version %d\n", s.db.Engine(), have)
}

// HTTPServer returns an http.Server for the handler with explicit timeouts,
// so that slow clients cannot hold connections open.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
