package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// countingStore counts the observation queries of a store.
type countingStore struct {
	*store.DB
	queries atomic.Int32
}

func (c *countingStore) Observations(ctx context.Context, q stats.Query, fn func(stats.Observation) error) error {
	c.queries.Add(1)
	return c.DB.Observations(ctx, q, fn)
}

// TestDownloadHead checks that HEAD answers a download's headers without
// making the file.
func TestDownloadHead(t *testing.T) {
	t.Parallel()
	db := &countingStore{DB: storetest.Open(t, store.SQLite)}
	h := New(Deps{Stats: db, Log: slog.New(slog.DiscardHandler), Version: "test"})
	for _, path := range []string{"/api/v1/stats/download?flow=HOMICIDE&area=KEN&format=xlsx", "/api/v1/stats/download?flow=HOMICIDE&area=KEN,002&unit=RT100K"} {
		w := httptest.NewRecorder()
		h.Download(w, httptest.NewRequest(http.MethodHead, path, nil))
		_, params, _ := mime.ParseMediaType(w.Header().Get("Content-Disposition"))
		if w.Code != http.StatusOK || !strings.HasPrefix(params["filename"], "cpcj-HOMICIDE-KEN") || w.Header().Get("ETag") == "" || w.Body.Len() != 0 {
			t.Errorf("HEAD %s: %d %v", path, w.Code, w.Header())
		}
		if n := db.queries.Load(); n != 0 {
			t.Errorf("HEAD %s read the observations %d times", path, n)
		}
		w = httptest.NewRecorder()
		h.Download(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK || w.Body.Len() == 0 || db.queries.Load() == 0 {
			t.Errorf("GET %s: %d, %d bytes", path, w.Code, w.Body.Len())
		}
		db.queries.Store(0)
	}
}

// brokenWriter fails every write after the first, as a connection that
// breaks; gone says the client went away, which cancels its request.
type brokenWriter struct {
	*httptest.ResponseRecorder
	writes int
	cancel context.CancelFunc
}

func (b *brokenWriter) Write(p []byte) (int, error) {
	if b.writes++; b.writes > 1 {
		if b.cancel != nil {
			b.cancel()
		}
		return 0, errors.New("connection reset")
	}
	return b.ResponseRecorder.Write(p)
}

// TestDownloadBroken checks that a download broken off halfway is logged,
// whether the client went away or not, and cut.
func TestDownloadBroken(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	for _, gone := range []bool{false, true} {
		var logs bytes.Buffer
		h := New(Deps{Stats: db, Log: slog.New(slog.NewTextHandler(&logs, nil)), Version: "test"})
		ctx, cancel := context.WithCancel(context.Background())
		w := &brokenWriter{ResponseRecorder: httptest.NewRecorder()}
		if gone {
			w.cancel = cancel
		}
		func() {
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Errorf("panic %v, want http.ErrAbortHandler", p)
				}
			}()
			h.Download(w, httptest.NewRequest(http.MethodGet, "/api/v1/stats/download?flow=OFFENCES", nil).WithContext(ctx))
		}()
		cancel()
		if l := logs.String(); w.Code != http.StatusOK || !strings.Contains(l, "statistics download broken off") {
			t.Errorf("client gone %v: %d, logged %q", gone, w.Code, l)
		}
	}
}

// TestCompute checks that a server computing as much as it may answers 503
// with Retry-After, saying why.
func TestCompute(t *testing.T) {
	var logs bytes.Buffer
	h := New(Deps{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	h.computeWait = 10 * time.Millisecond
	var releases []func()
	for range MaxComputing {
		release, err := h.compute(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	_, err := h.compute(context.Background())
	if e := fail.As(err); e == nil || e.Kind != fail.Unavailable || e.RetryAfter != computeRetry {
		t.Fatalf("a turn too many: %v", err)
	}
	w := httptest.NewRecorder()
	Error(w, httptest.NewRequest(http.MethodGet, "/api/v1/stats/explore", nil), h.Log, err)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" || !strings.Contains(w.Body.String(), "ask again") || logs.Len() != 0 {
		t.Errorf("answer %d %v %s; logged %q", w.Code, w.Header(), w.Body, logs.String())
	}
	releases[0]()
	release, err := h.compute(context.Background())
	if err != nil {
		t.Errorf("after a turn was given back: %v", err)
	} else {
		release()
	}
}
