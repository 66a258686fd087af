package server_test

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// statesPath is the request the states benchmarks serve.
const statesPath = "/api/v1/states"

// benchServer returns cpcj's full handler, as "cpcj serve" builds it over
// a fresh database of the engine with its logger at level, and the
// database.
func benchServer(b *testing.B, e store.Engine, level slog.Level) (http.Handler, *store.DB) {
	b.Helper()
	db := storetest.Open(b, e)
	var cfg config.Config
	config.BindServe(config.New(flag.NewFlagSet("serve", flag.ContinueOnError)), &cfg)
	cfg.DatabaseURL = "bench.db"
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	srv, err := server.New(server.Deps{Config: cfg, DB: db, Accounts: account.NewService(db, nil, log), Log: log, Metrics: server.NewMetrics(db), Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), db
}

// benchStatesHandlers returns cpcj's full handler, as "cpcj serve" builds
// it over a fresh SQLite database with its logger at level, and a bare
// handler that writes the same bytes with the same Content-Type.
func benchStatesHandlers(b *testing.B, level slog.Level) (cpcj, bare http.Handler, body []byte) {
	b.Helper()
	cpcj, _ = benchServer(b, store.SQLite, level)

	rec := httptest.NewRecorder()
	cpcj.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, statesPath, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: status %d: %s", statesPath, rec.Code, rec.Body)
	}
	body = rec.Body.Bytes()
	ctype := rec.Header().Get("Content-Type")
	length := strconv.Itoa(len(body))
	bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	return cpcj, bare, body
}

// serveStates serves one request to h as the benchmark's client would
// send it, and checks the answer.
func serveStates(h http.Handler, want int) error {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, statesPath, nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != want {
		return fmt.Errorf("GET %s: status %d, %d bytes, want 200 and %d bytes", statesPath, rec.Code, rec.Body.Len(), want)
	}
	return nil
}

// benchBlock is how many requests go to one handler before the other
// takes its turn: small enough that drift and noise fall on both alike.
const benchBlock = 64

// timeBoth serves b.N requests to each handler from workers goroutines, in
// alternating blocks, and returns the time each handler took, summed over
// the goroutines.
func timeBoth(b *testing.B, cpcj, bare http.Handler, want, workers int) (tc, tb time.Duration) {
	var next, cpcjNs, bareNs atomic.Int64
	blocks := (b.N + benchBlock - 1) / benchBlock
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= blocks {
					return
				}
				n := min(benchBlock, b.N-i*benchBlock)
				first, second, firstNs, secondNs := bare, cpcj, &bareNs, &cpcjNs
				if i%2 == 1 {
					first, second, firstNs, secondNs = cpcj, bare, &cpcjNs, &bareNs
				}
				var err error
				t0 := time.Now()
				for j := 0; j < n && err == nil; j++ {
					err = serveStates(first, want)
				}
				t1 := time.Now()
				for j := 0; j < n && err == nil; j++ {
					err = serveStates(second, want)
				}
				if err != nil {
					b.Error(err)
					return
				}
				firstNs.Add(int64(t1.Sub(t0)))
				secondNs.Add(int64(time.Since(t1)))
			}
		})
	}
	wg.Wait()
	return time.Duration(cpcjNs.Load()), time.Duration(bareNs.Load())
}

// BenchmarkStates serves GET /api/v1/states through cpcj's full handler
// (every middleware, the route table and the API handler with its cache)
// and through a bare handler that writes the same bytes, in the same run.
// The ratio sub-benchmarks report cpcj's requests per second as a share of
// the bare handler's (bare-ns/req ÷ cpcj-ns/req), each iteration serving
// one request to each handler in alternating blocks; the network is left out,
// so this isolates the cost of cpcj's own code. The end-to-end figure over
// TCP is measured by the bench program at the root of the module.
func BenchmarkStates(b *testing.B) {
	cpcj, bare, body := benchStatesHandlers(b, slog.LevelWarn)
	want := len(body)
	b.Run("cpcj", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := serveStates(cpcj, want); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := serveStates(bare, want); err != nil {
				b.Fatal(err)
			}
		}
	})
	ratio := func(b *testing.B, workers int) {
		tc, tb := timeBoth(b, cpcj, bare, want, workers)
		n := float64(b.N)
		b.ReportMetric(float64(tc.Nanoseconds())/n, "cpcj-ns/req")
		b.ReportMetric(float64(tb.Nanoseconds())/n, "bare-ns/req")
		b.ReportMetric(float64(tc.Nanoseconds()-tb.Nanoseconds())/n, "overhead-ns/req")
		b.ReportMetric(float64(tb)/float64(tc), "cpcj/bare-rps")
	}
	b.Run("ratio", func(b *testing.B) { ratio(b, 1) })
	b.Run("ratio-parallel", func(b *testing.B) { ratio(b, runtime.GOMAXPROCS(0)) })
}

// BenchmarkStatesInfoLog is the cpcj handler with the logger at info, the
// default level, which writes one access-log line per request (here to
// io.Discard, so only the formatting is counted).
func BenchmarkStatesInfoLog(b *testing.B) {
	cpcj, _, body := benchStatesHandlers(b, slog.LevelInfo)
	b.ReportAllocs()
	for b.Loop() {
		if err := serveStates(cpcj, len(body)); err != nil {
			b.Fatal(err)
		}
	}
}
