package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)

		r := h.get(t, "/healthz", nil)
		if r.status != http.StatusOK || r.body != "ok\n" {
			t.Errorf("/healthz: %s", r)
		}
		r = h.get(t, "/readyz", nil)
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, "ready: "+string(db.Engine())) {
			t.Errorf("/readyz: %s", r)
		}
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("/readyz Cache-Control %q, want no-store", got)
		}

		// A request the metrics can name by its route.
		h.get(t, "/api/v1/states/KEN", nil)
		h.get(t, "/no/such/page", nil)
		// Methods made up by clients share one label value, so that they
		// cannot grow the metrics without bound.
		for _, m := range []string{"FOO1", "FOO2", "PROPFIND"} {
			req, err := http.NewRequest(m, h.ts.URL+"/api/v1/states", nil)
			if err != nil {
				t.Fatal(err)
			}
			h.send(t, req)
		}
		r = h.get(t, "/metrics", nil)
		if r.status != http.StatusOK {
			t.Fatalf("/metrics: %s", r)
		}
		for _, re := range []string{
			`(?m)^cpcj_http_requests_total\{method="GET",route="GET /api/v1/states/\{code\}",status="200"\} 1$`,
			`(?m)^cpcj_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$`,
			`(?m)^cpcj_http_requests_total\{method="other",route="unmatched",status="404"\} 3$`,
			`(?m)^cpcj_http_request_duration_seconds_bucket\{route="GET /healthz",le="[0-9.+Inf]+"\} 1$`,
			`(?m)^cpcj_db_open_connections\{pool="read"\} \d+$`,
			`(?m)^cpcj_db_open_connections\{pool="write"\} \d+$`,
			`(?m)^cpcj_jobs_queued\{status="pending"\} \d+$`,
			`(?m)^cpcj_jobs_queued\{status="failed"\} \d+$`,
			`(?m)^go_goroutines \d+$`,
		} {
			if !regexp.MustCompile(re).MatchString(r.body) {
				t.Errorf("/metrics lacks a line matching %s", re)
			}
		}
		if strings.Contains(r.body, `method="FOO1"`) {
			t.Error("/metrics has a label value a client made up")
		}
	})
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	// The id is always the server's own (it goes into the audit trail);
	// a client's id is only logged beside it.
	for _, tc := range []struct {
		name, sent string
		echoed     bool
	}{
		{"client's not taken", "req-0123456789", false},
		{"none", "", false},
		{"too long", strings.Repeat("a", 65), false},
		{"control characters", "bad id\twith tab", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr map[string]string
			if tc.sent != "" {
				hdr = map[string]string{"X-Request-Id": tc.sent}
			}
			r := h.do(t, call{path: "/api/v1/states/ZZZ", header: hdr})
			got := r.header.Get("X-Request-Id")
			switch {
			case tc.echoed && got != tc.sent:
				t.Errorf("X-Request-Id %q, want %q echoed", got, tc.sent)
			case !tc.echoed && (got == "" || got == tc.sent):
				t.Errorf("X-Request-Id %q, want a new id", got)
			}
			// The problem document quotes the same id.
			if p := problemOf(t, r, http.StatusNotFound, ""); p.RequestID != got {
				t.Errorf("problem request_id %q, header %q", p.RequestID, got)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	for _, path := range []string{"/", "/signin", "/api/v1/states", "/api/v1/nothing", "/healthz", "/no/such/page", "/static/" + h.staticFile(t)} {
		r := h.get(t, path, nil)
		csp := r.header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy %q allows unsafe scripts or styles", path, csp)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
		// Served over plain HTTP, the server must not ask for HSTS.
		if got := r.header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s: Strict-Transport-Security %q over http", path, got)
		}
	}
}
