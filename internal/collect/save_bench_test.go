package collect_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// BenchmarkSaveSubmission validates and stores a UN-CTS-sized answer (40
// tables of 50 categories by sex, 6,000 values: all the tables of one
// State for one year) through the service, as the web form, an upload
// and the API do: the rules in force read from the database, the State's
// published history and population, the difference with its draft, and
// the draft replaced. Each round changes every value, so every round
// rewrites the whole draft. The target is under a second on SQLite.
func BenchmarkSaveSubmission(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.URL(b, e), store.Options{MaxOpenConns: 4})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			admin := access.System("bench")
			u, err := db.CreateUser(ctx, admin, account.User{Email: "fp@ken.bench", Name: "Focal point", Role: access.FocalPoint, State: "KEN"}, "not a hash")
			if err != nil {
				b.Fatal(err)
			}
			var tables []collect.Table
			for i := range 40 {
				tables = append(tables, collect.BenchTable(fmt.Sprintf("T%02d", i), fmt.Sprintf("I%02d", i), 50))
			}
			today := civil.Today()
			round, err := db.OpenRound(ctx, admin, collect.Round{Name: "UN-CTS 2023 (benchmark)", Year: 2023,
				OpensOn: today.AddDays(-1), DueOn: today.AddDays(30), Tables: tables})
			if err != nil {
				b.Fatal(err)
			}
			svc := &collect.Service{Store: db, Stats: db, Notes: &notes{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
			values := func(shift float64) []collect.Value {
				var out []collect.Value
				for _, t := range tables {
					for i, code := range t.Rows.Codes {
						f, m := float64(100+i)+shift, float64(120+i)+shift
						for _, c := range []struct {
							sex string
							v   float64
						}{{"F", f}, {"M", m}, {"_T", f + m}} {
							k, err := t.Key("KEN", collect.Cell{Row: code, Col: c.sex})
							if err != nil {
								b.Fatal(err)
							}
							v := c.v
							out = append(out, collect.Value{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &v, Status: stats.StatusNormal, Origin: t.ID + " " + code + " " + c.sex})
						}
					}
				}
				return out
			}
			answers := [2][]collect.Value{values(0), values(1)}
			sc := collect.Scope{Flow: "OFFENCES", State: "KEN"}
			fp := u.Actor()
			i := 0
			for b.Loop() {
				p, err := svc.Save(ctx, fp, round.ID, sc, answers[i%2], false)
				if err != nil || p.Saved == nil || p.Saved.Values != len(answers[0]) {
					b.Fatalf("saved %+v, %d errors, %v", p.Saved, p.Errors(), err)
				}
				if i > 0 && len(p.Changes.Changed) != len(answers[0]) {
					b.Fatalf("%d values changed, want all %d", len(p.Changes.Changed), len(answers[0]))
				}
				i++
			}
			b.ReportMetric(float64(len(answers[0])), "values")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/save")
		})
	}
}
