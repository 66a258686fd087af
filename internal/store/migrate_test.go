package store_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// Servers starting together may migrate at once: each step is applied by
// one of them, and only once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			url := storetest.URL(t, e)
			const servers = 3
			var dbs []*store.DB
			for range servers {
				db, err := store.Open(t.Context(), url, store.Options{MaxOpenConns: 2})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			applied := make([][]string, servers)
			errs := make([]error, servers)
			var wg sync.WaitGroup
			for i, db := range dbs {
				wg.Go(func() { applied[i], errs[i] = db.Migrate(t.Context()) })
			}
			wg.Wait()
			var all []string
			for i := range servers {
				if errs[i] != nil {
					t.Errorf("server %d: %v", i, errs[i])
				}
				all = append(all, applied[i]...)
			}
			slices.Sort(all)
			if len(all) == 0 || len(slices.Compact(slices.Clone(all))) != len(all) {
				t.Errorf("steps applied: %v; want each exactly once", all)
			}
			have, want, err := dbs[0].SchemaVersion(t.Context())
			if err != nil || have != want || len(all) != want {
				t.Errorf("schema version %d of %d after %d steps (%v)", have, want, len(all), err)
			}
			// Reference data was loaded once, not once per server.
			seen := map[string]bool{}
			for _, r := range wholeTrail(t, dbs[1]) {
				k := r.Action + " " + r.Entity + " " + r.Summary
				if seen[k] {
					t.Errorf("recorded twice: %s", k)
				}
				seen[k] = true
			}
		})
	}
}
