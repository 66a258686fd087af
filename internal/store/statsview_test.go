package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// TestObservationPage checks that pages of a query, one after the other,
// hold what Observations streams for it, in its order, and that the total
// is the query's count: for a query by codes, and for one that names a
// code in every dimension (found by series key).
func TestObservationPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := stats.Query{Flow: "HOMICIDE", Start: stats.Period{Year: 2005, Kind: 'A'}, End: stats.Period{Year: 2010, Kind: 'A'}}
		q.Key[stats.DimArea] = []string{"KEN", "PHL", "FRA"}
		full := stats.Query{Flow: "HOMICIDE"}
		for i, c := range (stats.Key{"A", "KEN", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"}) {
			full.Key[i] = []string{c}
		}
		full.Key[stats.DimArea] = []string{"PHL", "KEN"}
		full.Key[stats.DimUnit] = []string{"RT100K", "NB"}
		for _, q := range []stats.Query{q, full} {
			var want []string
			err := db.Observations(ctx, q, func(o stats.Observation) error {
				want = append(want, o.Key.String()+" "+o.Period.String()+" "+stats.FormatValue(o.Value)+" "+o.Status)
				return nil
			})
			if err != nil || len(want) < 20 {
				t.Fatalf("%d observations, %v", len(want), err)
			}
			if n, err := db.CountObservations(ctx, q); n != len(want) || err != nil {
				t.Errorf("count %d, %v; want %d", n, err, len(want))
			}
			limited := q
			limited.Limit = 5
			if n, err := db.CountObservations(ctx, limited); n != 5 || err != nil {
				t.Errorf("count to 5: %d, %v", n, err)
			}
			var got []string
			for offset := 0; ; offset += 7 {
				page, total, err := db.ObservationPage(ctx, q, offset, 7)
				if err != nil {
					t.Fatal(err)
				}
				if total != len(want) {
					t.Fatalf("total %d, want %d", total, len(want))
				}
				if len(page) == 0 {
					break
				}
				for _, o := range page {
					got = append(got, o.Key.String()+" "+o.Period.String()+" "+stats.FormatValue(o.Value)+" "+o.Status)
					if o.Flow != "HOMICIDE" || o.ValidFrom.IsZero() {
						t.Errorf("observation %+v", o)
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages hold %d observations, the stream %d, or in another order", len(got), len(want))
			}
		}
		if page, total, err := db.ObservationPage(ctx, stats.Query{Flow: "NOPE"}, 0, 10); err != nil || total != 0 || page == nil || len(page) != 0 {
			t.Errorf("unknown flow: %v %d %v", page, total, err)
		}
		if _, _, err := db.ObservationPage(ctx, stats.Query{Flow: "HOMICIDE", LastN: 1}, 0, 10); err == nil {
			t.Error("a page of the last observations of each series")
		}

		counts, err := db.ObservationCounts(ctx)
		if err != nil || !maps.Equal(counts, shippedCounts) {
			t.Errorf("counts %v, want %v (%v)", counts, shippedCounts, err)
		}
	})
}

// TestStatisticsChanged checks that the time of the last change of the
// statistics moves with a code list, a dataflow's description and an
// import.
func TestStatisticsChanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		by := access.System("test")
		loaded, err := db.StatisticsChanged(ctx)
		if err != nil || loaded.IsZero() {
			t.Fatalf("after the load: %v, %v", loaded, err)
		}
		at := loaded
		next := func() time.Time {
			at = at.Add(time.Hour)
			db.SetClock(func() time.Time { return at })
			return at
		}
		check := func(what string, want time.Time) {
			t.Helper()
			if got, err := db.StatisticsChanged(ctx); err != nil || !got.Equal(want) {
				t.Errorf("after %s: %v, %v; want %v", what, got, err, want)
			}
		}
		lists, err := db.Codelists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := next()
		if err := db.PutCodelist(ctx, by, lists[0]); err != nil {
			t.Fatal(err)
		}
		check("a code list", want)
		f, err := db.Dataflow(ctx, "HOMICIDE")
		if err != nil {
			t.Fatal(err)
		}
		f.Description += " Revised."
		want = next()
		if err := db.PutDataflow(ctx, by, f); err != nil {
			t.Fatal(err)
		}
		check("a dataflow", want)
		o := stats.Observation{Key: stats.Key{"A", "KEN", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"},
			Period: stats.Period{Year: 1999, Kind: 'A'}, Value: new(1.0), Status: "A"}
		want = next()
		if _, err := db.Ingest(ctx, by, "HOMICIDE", []stats.Observation{o}, "test"); err != nil {
			t.Fatal(err)
		}
		check("an import", want)
	})
}
