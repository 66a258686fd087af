package store_test

import (
	"context"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// BenchmarkMigrate migrates a new, empty database per iteration, as the
// first start of "cpcj serve" does: the schema, the participants and the
// treaty data (the instruments and the UN Treaty Collection's records).
// Opening the database is timed too; closing it is not. PostgreSQL runs
// when CPCJ_TEST_DATABASE_URL is set, each iteration in a schema of its
// own.
func BenchmarkMigrate(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				url := storetest.URL(b, e)
				b.StartTimer()
				db, err := store.Open(ctx, url, store.Options{MaxOpenConns: 4})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
		})
	}
}
