package sdmx_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
)

// The tests run the whole server, as clients meet it, over a fresh database
// of each engine; migrating it loads the shipped statistics (UNODC and
// World Bank data), which the tests read back through the API and compare
// with the store.

// harness is a cpcj server over a database.
type harness struct {
	db   *store.DB
	ts   *httptest.Server
	logs *logRecorder
}

func newHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	logs := &logRecorder{}
	log := slog.New(logs)
	notes := &notify.Service{Store: db, Log: log, BaseURL: "http://cpcj.test", Now: time.Now}
	cfg := config.Config{DatabaseURL: "test", Addr: ":0", BaseURL: "http://cpcj.test", LogFormat: "text", LogLevel: "info",
		MaxBodyBytes: 1 << 20, DBMaxConns: 4, ShutdownTimeout: 5 * time.Second}
	srv, err := server.New(server.Deps{Config: cfg, DB: db, Accounts: account.NewService(db, notes, log), Log: log,
		Metrics: server.NewMetrics(db), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if n := logs.errors(); n > 0 {
			t.Errorf("the server logged %d errors: %q", n, logs.lines())
		}
	})
	if _, err := db.Dataflow(context.Background(), "HOMICIDE"); err != nil {
		t.Fatalf("the migrated database has no HOMICIDE dataflow (the shipped statistics are loaded by migration): %v", err)
	}
	return &harness{db: db, ts: ts, logs: logs}
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) String() string {
	body := r.body
	if len(body) > 2000 {
		body = body[:2000] + "…"
	}
	return fmt.Sprintf("%d %s\n%s", r.status, r.header.Get("Content-Type"), body)
}

// get asks the server for a path under /sdmx/rest with headers given as
// name, value pairs.
func (h *harness) get(t testing.TB, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.ts.URL+"/sdmx/rest"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.do(t, req)
}

func (h *harness) do(t testing.TB, req *http.Request) response {
	t.Helper()
	res, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// observations reads what the store holds for a query.
func observations(t testing.TB, db *store.DB, q stats.Query) []stats.Observation {
	t.Helper()
	var out []stats.Observation
	if err := db.Observations(context.Background(), q, func(o stats.Observation) error {
		out = append(out, o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// query builds a store query from an SDMX key.
func query(t testing.TB, flow, key string) stats.Query {
	t.Helper()
	k, err := stats.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return stats.Query{Flow: flow, Key: k}
}

// obsID names an observation by its series key and period.
func obsID(k stats.Key, period string) string { return k.String() + " " + period }

// logRecorder keeps the server's log.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) errors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level >= slog.LevelError {
			n++
		}
	}
	return n
}

func (l *logRecorder) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if r.Level < slog.LevelWarn {
			continue
		}
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		out = append(out, b.String())
	}
	return out
}
