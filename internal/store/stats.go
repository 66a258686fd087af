package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// seriesColumns are the dimension columns of stat_series, in key order.
var seriesColumns = []string{"freq", "ref_area", "indicator", "iccs", "sex", "age", "relationship", "cyber", "source_type", "unit_measure"}

// Codelists returns every code list with its codes, in order.
func (db *DB) Codelists(ctx context.Context) ([]stats.Codelist, error) {
	c := db.reader()
	rows, err := c.query(ctx, "SELECT id, name, description, partial FROM stat_codelist ORDER BY id")
	if err != nil {
		return nil, err
	}
	var out []stats.Codelist
	idx := map[string]int{}
	for rows.Next() {
		var cl stats.Codelist
		if err := rows.Scan(&cl.ID, &cl.Name, &cl.Description, &cl.Partial); err != nil {
			rows.Close()
			return nil, err
		}
		idx[cl.ID] = len(out)
		out = append(out, cl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = c.query(ctx, "SELECT codelist, id, name, parent FROM stat_code ORDER BY codelist, position")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var list string
		var code stats.Code
		if err := rows.Scan(&list, &code.ID, &code.Name, &code.Parent); err != nil {
			return nil, err
		}
		if i, ok := idx[list]; ok {
			out[i].Codes = append(out[i].Codes, code)
		}
	}
	return out, rows.Err()
}

// PutCodelist stores a code list, replacing the codes it had. Code lists
// are reference data: the change is audited.
func (db *DB) PutCodelist(ctx context.Context, by access.Actor, cl stats.Codelist) error {
	if err := access.Check(by, access.ManageReference, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error { return t.putCodelist(ctx, by, cl) })
}

func (t *tx) putCodelist(ctx context.Context, by access.Actor, cl stats.Codelist) error {
	_, err := t.exec(ctx, `INSERT INTO stat_codelist (id, name, description, partial) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, partial = excluded.partial`,
		cl.ID, cl.Name, cl.Description, cl.Partial)
	if err != nil {
		return fmt.Errorf("code list %s: %w", cl.ID, err)
	}
	if _, err := t.exec(ctx, "DELETE FROM stat_code WHERE codelist = ?", cl.ID); err != nil {
		return err
	}
	for i, code := range cl.Codes {
		if _, err := t.exec(ctx, "INSERT INTO stat_code (codelist, id, name, parent, position) VALUES (?, ?, ?, ?, ?)",
			cl.ID, code.ID, code.Name, code.Parent, i); err != nil {
			return fmt.Errorf("code list %s code %s: %w", cl.ID, code.ID, err)
		}
	}
	if err := t.bump(ctx, "statistics"); err != nil {
		return err
	}
	return t.record(ctx, by, audit.Change{Action: "put", Entity: "stat_codelist", EntityID: cl.ID, After: cl,
		Summary: fmt.Sprintf("code list %s with %d codes", cl.ID, len(cl.Codes))})
}

const dataflowColumns = "id, name, description, source, source_url, licence, data_as_of, updated_at"

func scanDataflow(sc interface{ Scan(...any) error }, f *stats.Dataflow) error {
	return sc.Scan(&f.ID, &f.Name, &f.Description, &f.Source, &f.SourceURL, &f.Licence, &f.DataAsOf, tstamp{&f.UpdatedAt})
}

// Dataflows lists the dataflows.
func (db *DB) Dataflows(ctx context.Context) ([]stats.Dataflow, error) {
	rows, err := db.reader().query(ctx, "SELECT "+dataflowColumns+" FROM stat_dataflow ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stats.Dataflow
	for rows.Next() {
		var f stats.Dataflow
		if err := scanDataflow(rows, &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Dataflow returns one dataflow.
func (db *DB) Dataflow(ctx context.Context, id string) (stats.Dataflow, error) {
	var f stats.Dataflow
	err := scanDataflow(db.reader().queryRow(ctx, "SELECT "+dataflowColumns+" FROM stat_dataflow WHERE id = ?", id), &f)
	return f, notFound(err, "No dataflow has the id %q.", id)
}

// PutDataflow stores a dataflow's description.
func (db *DB) PutDataflow(ctx context.Context, by access.Actor, f stats.Dataflow) error {
	if err := access.Check(by, access.ManageReference, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error { return t.putDataflow(ctx, by, f) })
}

func (t *tx) putDataflow(ctx context.Context, by access.Actor, f stats.Dataflow) error {
	_, err := t.exec(ctx, `INSERT INTO stat_dataflow (id, name, description, source, source_url, licence, data_as_of, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, source = excluded.source,
			source_url = excluded.source_url, licence = excluded.licence, data_as_of = excluded.data_as_of`,
		f.ID, f.Name, f.Description, f.Source, f.SourceURL, f.Licence, f.DataAsOf, t.db.now())
	if err != nil {
		return fmt.Errorf("dataflow %s: %w", f.ID, err)
	}
	if err := t.bump(ctx, "statistics"); err != nil {
		return err
	}
	return t.record(ctx, by, audit.Change{Action: "put", Entity: "stat_dataflow", EntityID: f.ID, After: f, Summary: "dataflow " + f.ID})
}

// Observations streams the observations a query selects, by series key and
// period.
func (db *DB) Observations(ctx context.Context, q stats.Query, fn func(stats.Observation) error) error {
	var where []string
	args := []any{q.Flow}
	where = append(where, "s.flow = ?")
	for i, codes := range q.Key {
		switch len(codes) {
		case 0:
		case 1:
			where, args = append(where, "s."+seriesColumns[i]+" = ?"), append(args, codes[0])
		default:
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(codes)), ", ")
			where = append(where, "s."+seriesColumns[i]+" IN ("+marks+")")
			for _, c := range codes {
				args = append(args, c)
			}
		}
	}
	if q.AsOf.IsZero() {
		where = append(where, "o.valid_to IS NULL")
	} else {
		where, args = append(where, "o.valid_from <= ? AND (o.valid_to IS NULL OR o.valid_to > ?)"), append(args, q.AsOf, q.AsOf)
	}
	if !q.Start.IsZero() {
		where, args = append(where, "o.period >= ?"), append(args, q.Start.String())
	}
	if !q.End.IsZero() {
		// A period sorts after its year ("2013-Q4" > "2013"), so the end
		// bound is the next period of the same kind.
		where, args = append(where, "o.period < ?"), append(args, periodAfter(q.End))
	}
	if !q.UpdatedAfter.IsZero() {
		where, args = append(where, "o.valid_from > ?"), append(args, q.UpdatedAfter)
	}
	query := `SELECT s.series_key, o.period, o.value, o.obs_status, o.source, o.comment, o.derivation, o.valid_from
		FROM stat_obs o JOIN stat_series s ON s.id = o.series_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY s.series_key, o.period`
	if q.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(q.Limit)
	}
	rows, err := db.reader().query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	emit, flush := fn, func() error { return nil }
	if q.FirstN > 0 || q.LastN > 0 {
		emit, flush = perSeries(q.FirstN, q.LastN, fn)
	}
	var (
		key, period string
		value       sql.NullFloat64
		o           stats.Observation
		lastKey     string
		keyParsed   stats.Key
	)
	for rows.Next() {
		if err := rows.Scan(&key, &period, &value, &o.Status, &o.Source, &o.Comment, &o.Derived, tstamp{&o.ValidFrom}); err != nil {
			return err
		}
		if key != lastKey {
			keyParsed, lastKey = splitKey(key), key
		}
		o.Flow, o.Key = q.Flow, keyParsed
		if o.Period, err = stats.ParsePeriod(period); err != nil {
			return fmt.Errorf("stored period %q: %w", period, err)
		}
		o.Value = nil
		if value.Valid {
			v := value.Float64
			o.Value = &v
		}
		if err := emit(o); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// perSeries keeps the first n and the last m observations of each series
// (n or m zero for none) of a stream ordered by series and period, and
// hands them on to fn; flush ends the last series. A series is buffered
// only when the last observations are wanted.
func perSeries(n, m int, fn func(stats.Observation) error) (emit func(stats.Observation) error, flush func() error) {
	var (
		key     stats.Key
		started bool
		count   int
		buf     []stats.Observation
	)
	end := func() error {
		for i, o := range buf {
			if i >= n && i < len(buf)-m {
				continue
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		buf = buf[:0]
		return nil
	}
	emit = func(o stats.Observation) error {
		if !started || o.Key != key {
			if err := end(); err != nil {
				return err
			}
			key, started, count = o.Key, true, 0
		}
		count++
		if m == 0 {
			if count <= n {
				return fn(o)
			}
			return nil
		}
		buf = append(buf, o)
		return nil
	}
	return emit, end
}

// periodAfter is the smallest period text that sorts after every period
// within p.
func periodAfter(p stats.Period) string {
	if p.Kind == 'A' {
		return fmt.Sprintf("%04d.", p.Year) // '.' sorts after '-', so 2013-Q4 < 2013.
	}
	return p.String() + "~"
}

func splitKey(s string) stats.Key {
	var k stats.Key
	parts := strings.SplitN(s, ".", len(k))
	copy(k[:], parts)
	return k
}

// IngestReport tells what an ingest did.
type IngestReport struct {
	Series    int // series the input touched
	NewSeries int
	Added     int // observations where there were none
	Revised   int // observations whose value or attributes changed
	Unchanged int
}

// insertBatch is the number of observations written per INSERT statement:
// enough to spend little time per row on statement overhead, few enough to
// stay under SQLite's limit of 32,766 parameters.
const insertBatch = 500

// Ingest stores observations of one dataflow in one transaction. An
// observation equal to the current one is left alone; one that differs
// closes the current revision and becomes the new one; so nothing is ever
// overwritten and "as of" queries see what was published then. The caller
// has validated the observations.
func (db *DB) Ingest(ctx context.Context, by access.Actor, flow string, obs []stats.Observation, summary string) (IngestReport, error) {
	var rep IngestReport
	if err := access.Check(by, access.ManageStatistics, ""); err != nil {
		return rep, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		rep, err = t.ingest(ctx, by, flow, obs, summary)
		return err
	})
	return rep, err
}

func (t *tx) ingest(ctx context.Context, by access.Actor, flow string, obs []stats.Observation, summary string) (IngestReport, error) {
	var rep IngestReport
	var exists int
	if err := t.queryRow(ctx, "SELECT COUNT(*) FROM stat_dataflow WHERE id = ?", flow).Scan(&exists); err != nil {
		return rep, err
	}
	if exists == 0 {
		return rep, fail.New(fail.NotFound, "No dataflow has the id %q.", flow)
	}
	now := t.db.now()
	var created []int64
	ids, err := t.seriesIDs(ctx, flow, obs, &rep, &created)
	if err != nil {
		return rep, err
	}
	current, err := t.currentObs(ctx, ids, created)
	if err != nil {
		return rep, err
	}
	// Rows point into obs: an observation is a few hundred bytes, too
	// many to copy around while sorting.
	type row struct {
		series int64
		period string
		o      *stats.Observation
	}
	var inserts []row
	var closeIDs []int64
	for i := range obs {
		o := &obs[i]
		sid := ids[o.Key.String()]
		k := obsKey{sid, o.Period.String()}
		if cur, ok := current[k]; ok {
			if cur.same(*o) {
				rep.Unchanged++
				continue
			}
			closeIDs = append(closeIDs, cur.id)
			rep.Revised++
		} else {
			rep.Added++
		}
		inserts = append(inserts, row{sid, k.period, o})
	}
	for start := 0; start < len(closeIDs); start += insertBatch {
		end := min(start+insertBatch, len(closeIDs))
		args := []any{now}
		for _, id := range closeIDs[start:end] {
			args = append(args, id)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", end-start), ", ")
		if _, err := t.exec(ctx, "UPDATE stat_obs SET valid_to = ? WHERE id IN ("+marks+")", args...); err != nil {
			return rep, err
		}
	}
	// In series and period order, the rows go into the indexes of stat_obs
	// almost as appends.
	sort.Slice(inserts, func(i, j int) bool {
		if inserts[i].series != inserts[j].series {
			return inserts[i].series < inserts[j].series
		}
		return inserts[i].period < inserts[j].period
	})
	ins := t.batcher(ctx, "INSERT INTO stat_obs (series_id, period, value, obs_status, source, comment, derivation, valid_from) VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?)", 8)
	defer ins.close()
	for _, r := range inserts {
		var v any
		if r.o.Value != nil {
			v = *r.o.Value
		}
		status := r.o.Status
		if status == "" {
			status = stats.StatusNormal
		}
		if err := ins.add(ctx, r.series, r.period, v, status, r.o.Source, r.o.Comment, r.o.Derived, now); err != nil {
			return rep, fmt.Errorf("store observations: %w", err)
		}
	}
	if err := ins.flush(ctx); err != nil {
		return rep, fmt.Errorf("store observations: %w", err)
	}
	if rep.Added+rep.Revised > 0 {
		if _, err := t.exec(ctx, "UPDATE stat_dataflow SET updated_at = ? WHERE id = ?", now, flow); err != nil {
			return rep, err
		}
		if err := t.bump(ctx, "statistics"); err != nil {
			return rep, err
		}
	}
	err = t.record(ctx, by, audit.Change{Action: "ingest", Entity: "stat_dataflow", EntityID: flow,
		After:   map[string]int{"series": rep.Series, "new_series": rep.NewSeries, "added": rep.Added, "revised": rep.Revised, "unchanged": rep.Unchanged},
		Summary: fmt.Sprintf("%s: %d observations added, %d revised, %d unchanged in %d series", summary, rep.Added, rep.Revised, rep.Unchanged, rep.Series)})
	return rep, err
}

// seriesIDs returns the id of every series the observations belong to,
// creating the ones that do not exist yet.
func (t *tx) seriesIDs(ctx context.Context, flow string, obs []stats.Observation, rep *IngestReport, newIDs *[]int64) (map[string]int64, error) {
	ids := map[string]int64{}
	keys := map[string]stats.Key{}
	for _, o := range obs {
		keys[o.Key.String()] = o.Key
	}
	rep.Series = len(keys)
	// Existing series of the flow, read in one query: a flow has at most
	// tens of thousands, and this is cheaper than one query per key.
	rows, err := t.query(ctx, "SELECT id, series_key FROM stat_series WHERE flow = ?", flow)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return nil, err
		}
		if _, wanted := keys[key]; wanted {
			ids[key] = id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// New series go in by multi-row INSERTs; RETURNING names each new id
	// with its key, so the order of the returned rows does not matter.
	var fresh []string
	for s := range keys {
		if _, ok := ids[s]; !ok {
			fresh = append(fresh, s)
		}
	}
	sort.Strings(fresh)
	for start := 0; start < len(fresh); start += insertBatch {
		end := min(start+insertBatch, len(fresh))
		args := make([]any, 0, 12*(end-start))
		for _, s := range fresh[start:end] {
			args = append(args, flow, s)
			for _, c := range keys[s] {
				args = append(args, c)
			}
		}
		q := `INSERT INTO stat_series (flow, series_key, ` + strings.Join(seriesColumns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", end-start), ", ") + ` RETURNING id, series_key`
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("series %s…: %w", fresh[start], err)
		}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, err
			}
			ids[key] = id
			*newIDs = append(*newIDs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		rep.NewSeries += end - start
	}
	return ids, nil
}

type obsKey struct {
	series int64
	period string
}

type currentObs struct {
	id                                  int64
	value                               sql.NullFloat64
	status, source, comment, derivation string
}

func (c currentObs) same(o stats.Observation) bool {
	status := o.Status
	if status == "" {
		status = stats.StatusNormal
	}
	switch {
	case c.value.Valid != (o.Value != nil):
		return false
	case c.value.Valid && c.value.Float64 != *o.Value:
		return false
	}
	return c.status == status && c.source == o.Source && c.comment == o.Comment && c.derivation == o.Derived
}

// currentObs reads the current revision of every observation of the
// series, but those just created, which have none.
func (t *tx) currentObs(ctx context.Context, ids map[string]int64, created []int64) (map[obsKey]currentObs, error) {
	out := map[obsKey]currentObs{}
	skip := make(map[int64]bool, len(created))
	for _, id := range created {
		skip[id] = true
	}
	list := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !skip[id] {
			list = append(list, id)
		}
	}
	for start := 0; start < len(list); start += insertBatch {
		end := min(start+insertBatch, len(list))
		args := make([]any, 0, end-start)
		for _, id := range list[start:end] {
			args = append(args, id)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", end-start), ", ")
		rows, err := t.query(ctx, `SELECT id, series_id, period, value, obs_status, source, comment, derivation
			FROM stat_obs WHERE valid_to IS NULL AND series_id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c currentObs
			var k obsKey
			if err := rows.Scan(&c.id, &k.series, &k.period, &c.value, &c.status, &c.source, &c.comment, &c.derivation); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StatisticsVersion changes whenever observations or structures change.
func (db *DB) StatisticsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.reader().queryRow(ctx, "SELECT version FROM data_version WHERE name = 'statistics'").Scan(&v)
	return v, err
}

// LastUpdate returns when the dataflow's observations last changed.
func (db *DB) LastUpdate(ctx context.Context, flow string) (time.Time, error) {
	f, err := db.Dataflow(ctx, flow)
	return f.UpdatedAt, err
}
