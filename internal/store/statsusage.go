package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// FlowUsage returns the codes the series of a dataflow use in each
// dimension, and the first and last period of its current observations.
func (db *DB) FlowUsage(ctx context.Context, flow string) (stats.Usage, error) {
	u := stats.Usage{Flow: flow}
	c := db.reader()
	rows, err := c.query(ctx, "SELECT "+strings.Join(seriesColumns, ", ")+" FROM stat_series WHERE flow = ?", flow)
	if err != nil {
		return u, err
	}
	seen := [10]map[string]bool{}
	for i := range seen {
		seen[i] = map[string]bool{}
	}
	var k stats.Key
	dest := make([]any, len(k))
	for i := range k {
		dest[i] = &k[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return u, err
		}
		u.Series++
		for i, code := range k {
			if !seen[i][code] {
				seen[i][code] = true
				u.Codes[i] = append(u.Codes[i], code)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return u, err
	}
	for i := range u.Codes {
		slices.Sort(u.Codes[i])
	}
	var first, last sql.NullString
	err = c.queryRow(ctx, `SELECT MIN(o.period), MAX(o.period) FROM stat_obs o JOIN stat_series s ON s.id = o.series_id
		WHERE s.flow = ? AND o.valid_to IS NULL`, flow).Scan(&first, &last)
	if err != nil {
		return u, err
	}
	for _, p := range []struct {
		s  sql.NullString
		to *stats.Period
	}{{first, &u.First}, {last, &u.Last}} {
		if !p.s.Valid {
			continue
		}
		if *p.to, err = stats.ParsePeriod(p.s.String); err != nil {
			return u, fmt.Errorf("stored period %q: %w", p.s.String, err)
		}
	}
	return u, nil
}
