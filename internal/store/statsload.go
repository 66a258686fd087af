package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/stats/source"
)

// StatsLoad tells what loading the shipped statistics did.
type StatsLoad struct {
	Flows map[string]IngestReport   // by dataflow
	Files map[string]*source.Report // by data file
}

func (l StatsLoad) String() string {
	flows := make([]string, 0, len(l.Flows))
	for f := range l.Flows {
		flows = append(flows, f)
	}
	sort.Strings(flows)
	var parts []string
	for _, f := range flows {
		r := l.Flows[f]
		parts = append(parts, fmt.Sprintf("%s %d observations (%d added, %d revised, %d unchanged)", f, r.Added+r.Revised+r.Unchanged, r.Added, r.Revised, r.Unchanged))
	}
	skipped := 0
	for _, r := range l.Files {
		skipped += r.SkippedRows()
	}
	return strings.Join(parts, "; ") + fmt.Sprintf("; %d source rows not loaded (see data/crime-stats/README.md)", skipped)
}

// loadStatistics loads the shipped code lists, dataflows and statistics
// of data/crime-stats. Like the participants, it runs once, as a
// migration; ReloadStatistics runs it again.
func loadStatistics(ctx context.Context, t *tx) error {
	_, err := t.loadStatistics(ctx, access.System("cpcj migrate"))
	return err
}

// ReloadStatistics loads the shipped statistics again: code lists and
// dataflows are replaced, observations that differ from the stored ones
// are revised (the old revision stays queryable "as of" before), equal ones
// are left alone.
func (db *DB) ReloadStatistics(ctx context.Context, by access.Actor) (StatsLoad, error) {
	if err := access.Check(by, access.ManageStatistics, ""); err != nil {
		return StatsLoad{}, err
	}
	var l StatsLoad
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		l, err = t.loadStatistics(ctx, by)
		return err
	})
	return l, err
}

func (t *tx) loadStatistics(ctx context.Context, by access.Actor) (StatsLoad, error) {
	l := StatsLoad{Flows: map[string]IngestReport{}}
	b, err := source.Load(data.FS)
	if err != nil {
		return l, err
	}
	l.Files = b.Reports
	for _, cl := range b.Ref.Codelists {
		if err := t.putCodelist(ctx, by, cl); err != nil {
			return l, err
		}
	}
	for _, f := range b.Ref.Dataflows {
		if err := t.putDataflow(ctx, by, f); err != nil {
			return l, err
		}
	}
	for _, flow := range b.Flows() {
		rep, err := t.ingest(ctx, by, flow, b.Obs[flow], "shipped data of data/crime-stats")
		if err != nil {
			return l, fmt.Errorf("dataflow %s: %w", flow, err)
		}
		l.Flows[flow] = rep
	}
	after := map[string]any{"flows": l.Flows, "files": l.Files}
	return l, t.record(ctx, by, audit.Change{Action: "load", Entity: "stat_dataflow", EntityID: "*", After: after,
		Summary: "statistics loaded from data/crime-stats: " + l.String()})
}

// RegionalGroups returns the UN regional group of each participant that
// has one, for regional aggregates.
func (db *DB) RegionalGroups(ctx context.Context) (map[string]string, error) {
	rows, err := db.reader().query(ctx, "SELECT code, regional_group FROM participant WHERE regional_group IS NOT NULL AND regional_group <> ''")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, group string
		if err := rows.Scan(&code, &group); err != nil {
			return nil, err
		}
		out[code] = group
	}
	return out, rows.Err()
}
