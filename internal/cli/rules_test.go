package cli_test

import (
	"testing"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/store"
)

// TestRulesCommand lists the rules the database was seeded with, and
// exports them in the shipped file's form: the same file.
func TestRulesCommand(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, _ store.Engine, dbURL string) {
		cpcj(t, dbURL, "", "migrate").want(t, 0, "applied 0008_collect_rules")
		cpcj(t, dbURL, "", "stats", "rules", "list").
			want(t, 0, "ID  NAME", "Female + male = total", "threshold=0.5 window=1 min_years=1 min_value=20", "complete", "table=OFFENCES_POLICE")
		r := cpcj(t, dbURL, "", "stats", "rules", "list", "--csv")
		r.want(t, 0)
		shipped, err := data.FS.ReadFile(collect.RulesFile)
		if err != nil {
			t.Fatal(err)
		}
		if r.out != string(shipped) {
			t.Errorf("the rules exported differ from data/%s:\n%s", collect.RulesFile, r.out)
		}
		cpcj(t, dbURL, "", "stats", "rules").want(t, 2, "use: cpcj stats rules list [--csv]")
	})
}
