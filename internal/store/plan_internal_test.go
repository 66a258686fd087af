package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// TestObservationPlans checks that SQLite finds the observations of a
// series through an index, for the current figures and "as of" a date:
// stat_obs has no index on its own series_id beside the partial ones (see
// migration 8), and a full scan of a million rows would still give the
// right answer, only a thousand times slower.
func TestObservationPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	one := stats.Query{Flow: "HOMICIDE"}
	one.Key[stats.DimArea] = []string{"KEN"}
	asOf := one
	asOf.AsOf = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	updated := one
	updated.UpdatedAfter = asOf.AsOf
	for name, q := range map[string]stats.Query{"current": one, "as of": asOf, "updated after": updated} {
		where, args := obsWhere(q)
		rows, err := db.reader().query(ctx, "EXPLAIN QUERY PLAN "+db.obsSelect(where), args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "SCAN o") || !strings.Contains(text, "SEARCH o USING INDEX stat_obs_current") {
			t.Errorf("%s: stat_obs is not searched through its indexes:\n%s", name, text)
		}
		if name == "as of" && !strings.Contains(text, "stat_obs_past") {
			t.Errorf("as of: the earlier revisions are not found through stat_obs_past:\n%s", text)
		}
	}
}
