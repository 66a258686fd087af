package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// obsWhere is the WHERE clause, with its arguments, of the current (or as
// of q.AsOf) observations a query selects, over stat_obs o joined to
// stat_series s. FirstN, LastN and Limit are not part of it.
func obsWhere(q stats.Query) (string, []any) {
	where := []string{"s.flow = ?"}
	args := []any{q.Flow}
	if keys := seriesKeys(q.Key); keys != nil {
		// The unique index on (flow, series_key) finds these series at
		// once, in key order. Without this condition SQLite reads all the
		// flow's series in that index's order, to save a sort, checking
		// each against the codes below: 42,000 in the benchmark, for one.
		where = append(where, "s.series_key IN ("+marks(len(keys))+")")
		for _, k := range keys {
			args = append(args, k)
		}
	}
	for i, codes := range q.Key {
		switch len(codes) {
		case 0:
		case 1:
			where, args = append(where, "s."+seriesColumns[i]+" = ?"), append(args, codes[0])
		default:
			where = append(where, "s."+seriesColumns[i]+" IN ("+marks(len(codes))+")")
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
	return strings.Join(where, " AND "), args
}

// obsSelect is the SELECT of observation rows that obsScanner reads, in
// the order of Observations: bytewise by series key (the same on both
// engines), then by period.
func (db *DB) obsSelect(where string) string {
	return `SELECT s.series_key, o.period, o.value, o.obs_status, o.source, o.comment, o.derivation, ` + db.timeText("o.valid_from") + `
		FROM stat_obs o JOIN stat_series s ON s.id = o.series_id
		WHERE ` + where + ` ORDER BY ` + db.bytewise("s.series_key") + `, o.period`
}

// obsScanner reads the rows of obsSelect as Observations does: the key,
// the period and the time are read as bytes and turned into values only
// when they differ from the last row's (a series' rows are together, a
// dataflow has few periods, and the rows of one import share their time).
type obsScanner struct {
	flow        string
	key, period []byte
	value       sql.NullFloat64
	o           stats.Observation
	lastKey     string
	keyParsed   stats.Key
	periods     map[string]stats.Period
	validFrom   timeScanner
}

func newObsScanner(flow string) *obsScanner {
	s := &obsScanner{flow: flow, periods: map[string]stats.Period{}}
	s.validFrom.t = &s.o.ValidFrom
	return s
}

// scan reads the current row.
func (s *obsScanner) scan(rows *sql.Rows) (stats.Observation, error) {
	o := &s.o
	if err := rows.Scan((*sql.RawBytes)(&s.key), (*sql.RawBytes)(&s.period), &s.value, &o.Status, &o.Source, &o.Comment, &o.Derived, &s.validFrom); err != nil {
		return stats.Observation{}, err
	}
	if string(s.key) != s.lastKey {
		s.lastKey = string(s.key)
		s.keyParsed = splitKey(s.lastKey)
	}
	o.Flow, o.Key = s.flow, s.keyParsed
	p, ok := s.periods[string(s.period)]
	if !ok {
		var err error
		if p, err = stats.ParsePeriod(string(s.period)); err != nil {
			return stats.Observation{}, fmt.Errorf("stored period %q: %w", s.period, err)
		}
		if len(s.periods) < maxPeriods {
			s.periods[string(s.period)] = p
		}
	}
	o.Period = p
	o.Value = nil
	if s.value.Valid {
		v := s.value.Float64
		o.Value = &v
	}
	return *o, nil
}

// inSnapshot runs fn on a read-only transaction that sees one state of the
// database throughout, so that a count and the rows it counts agree:
// REPEATABLE READ on PostgreSQL; on SQLite, in WAL mode, every read
// transaction does.
func (db *DB) inSnapshot(ctx context.Context, fn func(c conn) error) error {
	stx, err := db.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer stx.Rollback()
	return fn(conn{q: stx, db: db})
}

// CountObservations returns how many observations a query selects, its
// FirstN and LastN aside, counting no further than its Limit when it has
// one.
func (db *DB) CountObservations(ctx context.Context, q stats.Query) (int, error) {
	return db.countObservations(ctx, db.reader(), q)
}

func (db *DB) countObservations(ctx context.Context, c conn, q stats.Query) (int, error) {
	where, args := obsWhere(q)
	query := "SELECT COUNT(*) FROM stat_obs o JOIN stat_series s ON s.id = o.series_id WHERE " + where
	if q.Limit > 0 {
		query = "SELECT COUNT(*) FROM (SELECT 1 FROM stat_obs o JOIN stat_series s ON s.id = o.series_id WHERE " + where + " LIMIT ?) AS selected"
		args = append(args, q.Limit)
	}
	var n int
	err := c.queryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// ObservationPage returns one page of the observations a query selects,
// in the order of Observations, and how many the query selects in all,
// both as of one moment. The query's FirstN and LastN are refused: a page
// of a per-series selection would need the whole selection read.
func (db *DB) ObservationPage(ctx context.Context, q stats.Query, offset, limit int) ([]stats.Observation, int, error) {
	if q.FirstN > 0 || q.LastN > 0 {
		return nil, 0, fmt.Errorf("observation page: FirstN and LastN are not supported")
	}
	out := []stats.Observation{}
	var total int
	err := db.inSnapshot(ctx, func(c conn) error {
		var err error
		q.Limit = 0
		if total, err = db.countObservations(ctx, c, q); err != nil || offset >= total || limit <= 0 {
			return err
		}
		where, args := obsWhere(q)
		rows, err := c.query(ctx, db.obsSelect(where)+" LIMIT ? OFFSET ?", append(args, limit, offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		sc := newObsScanner(q.Flow)
		for rows.Next() {
			o, err := sc.scan(rows)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// ObservationCounts returns the number of current observations of each
// dataflow that has any.
func (db *DB) ObservationCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.reader().query(ctx, `SELECT s.flow, COUNT(*) FROM stat_obs o JOIN stat_series s ON s.id = o.series_id
		WHERE o.valid_to IS NULL GROUP BY s.flow`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var flow string
		var n int
		if err := rows.Scan(&flow, &n); err != nil {
			return nil, err
		}
		out[flow] = n
	}
	return out, rows.Err()
}

// StatisticsChanged returns when the statistics last changed: a code
// list, a dataflow's description or its observations. Each such change is
// recorded in the audit trail in its own transaction (entity stat_codelist
// or stat_dataflow), which dates it; zero when there was none.
func (db *DB) StatisticsChanged(ctx context.Context) (time.Time, error) {
	var t *time.Time
	err := db.reader().queryRow(ctx, "SELECT MAX(at) FROM audit WHERE entity IN ('stat_codelist', 'stat_dataflow')").Scan(ntstamp{&t})
	if err != nil || t == nil {
		return time.Time{}, err
	}
	return *t, nil
}
