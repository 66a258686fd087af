package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/treaty"
)

// benchAnnexDate is the date of the full annex: that of the shipped records.
const benchAnnexDate = "2015-03-14"

// BenchmarkAnnex renders the full status annex, every participant by the
// 15 instruments with records on benchAnnexDate, as HTML: GET
// /treaties/annex?instrument=…&date=2015-03-14 through cpcj's full handler
// (every middleware, the route table, the page handler, its templates),
// into an httptest.ResponseRecorder, on each engine (PostgreSQL when
// CPCJ_TEST_DATABASE_URL is set). Sub-benchmarks:
//
//   - html: the whole request, the figure the target (under 20 ms on
//     SQLite) is judged on; it also reports ms/op and the page's bytes;
//   - service: treaty.Service.Annex alone, on the same database with its
//     cache warm: the computation and sorting without the template, for
//     information.
func BenchmarkAnnex(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) { benchAnnex(b, e) })
	}
}

func benchAnnex(b *testing.B, e store.Engine) {
	h, db := benchServer(b, e, slog.LevelWarn)
	ctx := context.Background()
	svc := treaty.NewService(db, db)
	insts, err := svc.Instruments(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	q := url.Values{}
	for _, in := range insts {
		if in.Records {
			ids = append(ids, in.ID)
			q.Add("instrument", in.ID)
		}
	}
	if len(ids) != 15 {
		b.Fatalf("%d instruments with records, want 15", len(ids))
	}
	q.Set("date", benchAnnexDate)
	path := "/treaties/annex?" + q.Encode()
	on := civil.MustParse(benchAnnexDate)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<table class="annex">`) {
		b.Fatalf("GET %s: status %d: %.500s", path, rec.Code, rec.Body)
	}
	size := rec.Body.Len()
	a, err := svc.Annex(ctx, ids, on)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d participants × %d instruments, %d bytes of HTML", e, len(a.Rows), len(a.Instruments), size)

	b.Run("html", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != http.StatusOK || rec.Body.Len() != size {
				b.Fatalf("GET %s: status %d, %d bytes, want 200 and %d bytes", path, rec.Code, rec.Body.Len(), size)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
		b.ReportMetric(float64(size), "bytes")
	})
	b.Run("service", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Annex(ctx, ids, on); err != nil {
				b.Fatal(err)
			}
		}
	})
}
