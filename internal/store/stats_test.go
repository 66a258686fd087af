package store_test

import (
	"context"
	"errors"
	"iter"
	"reflect"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// streamObs returns n observations of a test flow over a few series and
// years, in file order, their values shifted by delta.
func streamObs(n int, delta float64) []stats.Observation {
	var out []stats.Observation
	for i := range n {
		area := []string{"ITA", "KEN", "MEX"}[i/30%3]
		sex := []string{"F", "M"}[i/90%2]
		v := float64(i) + delta
		out = append(out, stats.Observation{Flow: "STREAMTEST",
			Key:    stats.Key{"A", area, "VIC", "0301", sex, "_T", "_T", "_T", "CJ", "NB"},
			Period: stats.Period{Year: 1990 + i%30, Kind: 'A'}, Value: &v, Status: stats.StatusNormal, Source: "test"})
	}
	return out
}

// chunked yields obs in chunks of size.
func chunked(obs []stats.Observation, size int) iter.Seq2[[]stats.Observation, error] {
	return func(yield func([]stats.Observation, error) bool) {
		for start := 0; start < len(obs); start += size {
			if !yield(obs[start:min(start+size, len(obs))], nil) {
				return
			}
		}
	}
}

func allObs(t *testing.T, db *store.DB, q stats.Query) []stats.Observation {
	t.Helper()
	var out []stats.Observation
	if err := db.Observations(context.Background(), q, func(o stats.Observation) error { out = append(out, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// An ingest fed in chunks stores and reports what one of the whole does,
// also when series and revisions span chunks.
func TestIngestStream(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		by := access.System("test")
		if err := db.PutDataflow(ctx, by, stats.Dataflow{ID: "STREAMTEST", Name: "Stream test", Source: "cpcj tests"}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return t0 })
		first := streamObs(150, 0)
		rep, err := db.IngestStream(ctx, by, "STREAMTEST", chunked(first[:100], 7), "first")
		if want := (store.IngestReport{Series: 4, NewSeries: 4, Added: 100}); err != nil || rep != want {
			t.Fatalf("first: %+v, %v; want %+v", rep, err, want)
		}
		// The second ingest repeats the first 100 observations, changes
		// 40 of them and adds 50, in chunks that cut series in two.
		second := streamObs(150, 0)
		for i := 60; i < 100; i++ {
			*second[i].Value += 0.5
		}
		db.SetClock(func() time.Time { return t0.AddDate(1, 0, 0) })
		rep, err = db.IngestStream(ctx, by, "STREAMTEST", chunked(second, 13), "second")
		if want := (store.IngestReport{Series: 5, NewSeries: 1, Added: 50, Revised: 40, Unchanged: 60}); err != nil || rep != want {
			t.Fatalf("second: %+v, %v; want %+v", rep, err, want)
		}
		db.SetClock(time.Now)
		now := allObs(t, db, stats.Query{Flow: "STREAMTEST"})
		then := allObs(t, db, stats.Query{Flow: "STREAMTEST", AsOf: t0.AddDate(0, 6, 0)})
		if len(now) != 150 || len(then) != 100 {
			t.Fatalf("%d observations now, %d as of before the second ingest; want 150 and 100", len(now), len(then))
		}
		values := func(obs []stats.Observation) map[string]string {
			m := map[string]string{}
			for _, o := range obs {
				m[o.Key.String()+" "+o.Period.String()] = stats.FormatValue(o.Value)
			}
			return m
		}
		want := map[string]string{}
		for _, o := range second {
			want[o.Key.String()+" "+o.Period.String()] = stats.FormatValue(o.Value)
		}
		if got := values(now); !reflect.DeepEqual(got, want) {
			t.Errorf("stored values differ from the second ingest's")
		}
		for _, o := range then {
			if *o.Value != float64(int(*o.Value)) {
				t.Errorf("as of before the revision, %s %s = %s", o.Key, o.Period, stats.FormatValue(o.Value))
			}
		}

		// The same observations in one piece, into another flow, are
		// stored alike.
		if err := db.PutDataflow(ctx, by, stats.Dataflow{ID: "STREAMONE", Name: "One piece", Source: "cpcj tests"}); err != nil {
			t.Fatal(err)
		}
		rep, err = db.Ingest(ctx, by, "STREAMONE", second, "one piece")
		if want := (store.IngestReport{Series: 5, NewSeries: 5, Added: 150}); err != nil || rep != want {
			t.Fatalf("one piece: %+v, %v; want %+v", rep, err, want)
		}
		if got := values(allObs(t, db, stats.Query{Flow: "STREAMONE"})); !reflect.DeepEqual(got, want) {
			t.Errorf("the flow ingested in one piece differs")
		}
	})
}

// A stream that ends in an error, or an observation the store refuses,
// leaves nothing stored, and the stream is stopped.
func TestIngestStreamAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		by := access.System("test")
		if err := db.PutDataflow(ctx, by, stats.Dataflow{ID: "STREAMTEST", Name: "Stream test", Source: "cpcj tests"}); err != nil {
			t.Fatal(err)
		}
		obs := streamObs(100, 0)
		bad := errors.New("the file is bad at its end")
		_, err := db.IngestStream(ctx, by, "STREAMTEST", func(yield func([]stats.Observation, error) bool) {
			for o, err := range chunked(obs, 10) {
				if !yield(o, err) {
					return
				}
			}
			yield(nil, bad)
		}, "bad")
		if !errors.Is(err, bad) {
			t.Fatalf("err = %v, want the stream's", err)
		}
		if n := len(allObs(t, db, stats.Query{Flow: "STREAMTEST"})); n != 0 {
			t.Fatalf("%d observations stored from a refused stream", n)
		}

		// The same series and period again and again, a row per chunk: the
		// store refuses the batch that holds them, and the stream is told
		// to stop.
		dup := append(streamObs(100, 0), streamObs(1, 0)...)
		yielded, stopped := 0, false
		_, err = db.IngestStream(ctx, by, "STREAMTEST", func(yield func([]stats.Observation, error) bool) {
			for i := range 100_000 {
				chunk := dup[len(dup)-1:]
				if i < len(dup)-1 {
					chunk = dup[i : i+1]
				}
				yielded++
				if !yield(chunk, nil) {
					stopped = true
					return
				}
			}
		}, "duplicate")
		if err == nil || !stopped || yielded >= 100_000 {
			t.Fatalf("err %v, stopped %v after %d chunks", err, stopped, yielded)
		}
		if n := len(allObs(t, db, stats.Query{Flow: "STREAMTEST"})); n != 0 {
			t.Fatalf("%d observations stored from a refused stream", n)
		}
	})
}

// A query naming codes in every dimension finds the series by their keys;
// it answers what the same codes one dimension at a time select.
func TestObservationsByKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		full := stats.Query{Flow: "VICTIMS", Key: [10][]string{{"A"}, {"ITA", "MEX", "XXX"}, {"VIC"}, {"0301"}, {"F", "M"}, {"_T"}, {"_U", "_T"}, {"_T"}, {"CJ"}, {"NB", "RT100K"}},
			Start: stats.Period{Year: 2010, Kind: 'A'}, End: stats.Period{Year: 2022, Kind: 'A'}}
		partial := full
		partial.Key[0], partial.Key[6] = nil, nil
		var want []stats.Observation
		for _, o := range allObs(t, db, partial) {
			if o.Key[0] == "A" && (o.Key[6] == "_U" || o.Key[6] == "_T") {
				want = append(want, o)
			}
		}
		got := allObs(t, db, full)
		if len(got) < 10 || !reflect.DeepEqual(got, want) {
			t.Errorf("by keys: %d observations, by dimensions %d; they differ", len(got), len(want))
		}
		for _, o := range got {
			if o.Key[1] != "ITA" && o.Key[1] != "MEX" {
				t.Errorf("unexpected area %s", o.Key[1])
			}
		}
	})
}
