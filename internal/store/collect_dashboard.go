package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
)

// The secretariat's view of the collection: how far each round has
// come, which States sent what, and the history of a submission.

// sentStatuses is collect.Status.Sent in SQL.
const sentStatuses = "('submitted', 'queried', 'validated', 'published')"

// expectedStates is the condition on participant p of the States asked
// to answer the round whose id the SQL expression round gives: every
// Member State, and any other participant that sent something to it.
func expectedStates(round string) string {
	return "(p.kind = 'member_state' OR EXISTS (SELECT 1 FROM collect_submission e WHERE e.round_id = " + round + " AND e.state = p.code))"
}

// RoundsProgress lists the rounds, open ones first, each newest first,
// with their response so far: of every State expected for the
// programme, of their own State for a focal point or an expert.
func (db *DB) RoundsProgress(ctx context.Context, by access.Actor) ([]collect.RoundProgress, error) {
	rounds, err := db.Rounds(ctx, by)
	if err != nil {
		return nil, err
	}
	scope := access.Covered(by, access.ReadCollection)
	// own restricts a query on collect_submission s to the actor's State.
	own, args := "", []any{}
	if !scope.All {
		own, args = " AND s.state = ?", []any{scope.State}
	}
	c := db.reader()
	out := make([]collect.RoundProgress, len(rounds))
	at := map[int64]*collect.RoundProgress{}
	for i, r := range rounds {
		out[i] = collect.RoundProgress{Round: r}
		at[r.ID] = &out[i]
	}
	// What each round asks: its tables, of so many States.
	states := "(SELECT COUNT(*) FROM participant p WHERE " + expectedStates("r.id") + ")"
	if !scope.All {
		states = "1"
	}
	asked := "SELECT r.id, (SELECT COUNT(*) FROM collect_table t WHERE t.round_id = r.id), " + states + " FROM collect_round r"
	if err := scanEach(ctx, c, asked, nil, func(sc scanner) error {
		var id int64
		var tables, n int
		if err := sc.Scan(&id, &tables, &n); err != nil {
			return err
		}
		if p := at[id]; p != nil {
			p.Asked, p.States = tables, n
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// Tables sent, and States that sent as many tables as the round asks.
	sent := `SELECT x.round_id, SUM(x.sent), SUM(CASE WHEN x.sent = x.asked THEN 1 ELSE 0 END)
		FROM (SELECT s.round_id, s.state, COUNT(*) AS sent, (SELECT COUNT(*) FROM collect_table t WHERE t.round_id = s.round_id) AS asked
			FROM collect_submission s WHERE s.status IN ` + sentStatuses + own + ` GROUP BY s.round_id, s.state) x
		GROUP BY x.round_id`
	if err := scanEach(ctx, c, sent, args, func(sc scanner) error {
		var id int64
		var n, complete int
		if err := sc.Scan(&id, &n, &complete); err != nil {
			return err
		}
		if p := at[id]; p != nil {
			p.Sent, p.Complete = n, complete
		}
		return nil
	}); err != nil {
		return nil, err
	}
	queries := `SELECT s.round_id, q.status, COUNT(*) FROM collect_query q JOIN collect_submission s ON s.id = q.submission_id
		WHERE q.status <> 'closed'` + own + ` GROUP BY s.round_id, q.status`
	if err := scanEach(ctx, c, queries, args, func(sc scanner) error {
		var id int64
		var status string
		var n int
		if err := sc.Scan(&id, &status, &n); err != nil {
			return err
		}
		if p := at[id]; p != nil {
			if collect.QueryStatus(status) == collect.QueryAnswered {
				p.Answered = n
			} else {
				p.Open = n
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Expected = out[i].States * out[i].Asked
	}
	// Open rounds first: they are the ones being worked on.
	slices.SortStableFunc(out, func(a, b collect.RoundProgress) int {
		return boolOrder(a.Round.ClosedAt != nil, b.Round.ClosedAt != nil)
	})
	return out, nil
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// CollectionProgress returns where a round stands on a day, for the
// secretariat: every State expected, the status of each of its tables,
// the response by regional group and the queries not closed. It reads
// the round in a few queries, whatever the number of States.
func (db *DB) CollectionProgress(ctx context.Context, by access.Actor, round int64, day civil.Date) (collect.Progress, error) {
	p := collect.Progress{Day: day, Tables: map[collect.Status]int{}}
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		return p, err
	}
	c := db.reader()
	var err error
	if p.Round, err = c.round(ctx, round); err != nil {
		return p, err
	}
	asked := len(p.Round.Tables)
	column := map[string]int{}
	for i, t := range p.Round.Tables {
		column[t.ID] = i
	}

	index := map[string]int{}
	if err := scanEach(ctx, c, "SELECT p.code, p.name, COALESCE(p.regional_group, '') FROM participant p WHERE "+expectedStates("?"), []any{round}, func(sc scanner) error {
		s := collect.StateProgress{Tables: make([]collect.TableProgress, asked)}
		if err := sc.Scan(&s.Code, &s.Name, &s.Group); err != nil {
			return err
		}
		for i, t := range p.Round.Tables {
			s.Tables[i] = collect.TableProgress{Table: t.ID, Status: collect.NotStarted}
		}
		p.States = append(p.States, s)
		return nil
	}); err != nil {
		return p, err
	}
	// By name as readers expect it, whatever the engine's collation.
	coll := state.Collator()
	slices.SortFunc(p.States, func(a, b collect.StateProgress) int { return coll.CompareString(a.Name, b.Name) })
	for i, s := range p.States {
		index[s.Code] = i
	}

	err = scanEach(ctx, c, `SELECT s.id, s.table_id, s.state, s.status,
		(SELECT COUNT(*) FROM collect_value v WHERE v.submission_id = s.id),
		(SELECT COUNT(*) FROM collect_query q WHERE q.submission_id = s.id AND q.status <> 'closed')
		FROM collect_submission s WHERE s.round_id = ?`, []any{round}, func(sc scanner) error {
		var tp collect.TableProgress
		var st, status string
		if err := sc.Scan(&tp.Submission, &tp.Table, &st, &status, &tp.Values, &tp.OpenQueries); err != nil {
			return err
		}
		tp.Status = collect.Status(status)
		i, ok := index[st]
		col, in := column[tp.Table]
		if !ok || !in {
			return fmt.Errorf("round %d: submission %d of %s for table %s is outside the round's States and tables", round, tp.Submission, st, tp.Table)
		}
		p.States[i].Tables[col] = tp
		if tp.Status.Sent() {
			p.States[i].Sent++
		}
		return nil
	})
	if err != nil {
		return p, err
	}

	// The response by regional group, counted by the database.
	groups := map[string]collect.Response{}
	err = scanEach(ctx, c, `SELECT COALESCE(p.regional_group, ''), COUNT(*),
		COALESCE(SUM(CASE WHEN x.sent = ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(x.sent), 0)
		FROM participant p LEFT JOIN (SELECT s.state, COUNT(*) AS sent FROM collect_submission s
			WHERE s.round_id = ? AND s.status IN `+sentStatuses+` GROUP BY s.state) x ON x.state = p.code
		WHERE `+expectedStates("?")+`
		GROUP BY COALESCE(p.regional_group, '')`, []any{asked, round, round}, func(sc scanner) error {
		var g collect.Response
		if err := sc.Scan(&g.Group, &g.States, &g.Complete, &g.Sent); err != nil {
			return err
		}
		g.Expected = g.States * asked
		groups[g.Group] = g
		return nil
	})
	if err != nil {
		return p, err
	}
	for _, g := range append(slices.Clone(state.Groups), state.Group{}) {
		r, ok := groups[g.Code]
		if !ok {
			if g.Code == "" {
				continue
			}
			r = collect.Response{Group: g.Code}
		}
		p.Groups = append(p.Groups, r)
		p.Total.States += r.States
		p.Total.Complete += r.Complete
		p.Total.Sent += r.Sent
		p.Total.Expected += r.Expected
	}

	// The tables by status; those without a submission are not started.
	started := 0
	err = scanEach(ctx, c, "SELECT status, COUNT(*) FROM collect_submission WHERE round_id = ? GROUP BY status", []any{round}, func(sc scanner) error {
		var status string
		var n int
		if err := sc.Scan(&status, &n); err != nil {
			return err
		}
		p.Tables[collect.Status(status)] = n
		started += n
		return nil
	})
	if err != nil {
		return p, err
	}
	p.Tables[collect.NotStarted] = p.Total.Expected - started
	if p.Late() {
		p.Overdue = p.Total.Expected - p.Total.Sent
		p.OverdueStates = p.Total.States - p.Total.Complete
	}

	err = scanEach(ctx, c, `SELECT q.id, q.submission_id, s.state, s.table_id, q.series_key, q.period, q.status, q.updated_at
		FROM collect_query q JOIN collect_submission s ON s.id = q.submission_id
		WHERE s.round_id = ? AND q.status <> 'closed' ORDER BY q.updated_at, q.id`, []any{round}, func(sc scanner) error {
		var q collect.OpenQuery
		var key, period, status string
		if err := sc.Scan(&q.ID, &q.Submission, &q.State, &q.Table, &key, &period, &status, tstamp{&q.UpdatedAt}); err != nil {
			return err
		}
		var err error
		if q.Key, err = parseSeriesKey(key); err != nil {
			return err
		}
		if q.Period, err = stats.ParsePeriod(period); err != nil {
			return err
		}
		q.Status = collect.QueryStatus(status)
		p.Queries = append(p.Queries, q)
		return nil
	})
	return p, err
}

// SubmissionHistory returns what happened to a submission, oldest first,
// from the audit trail: its moves from status to status, the saves of
// the State's draft of its dataflow, and its queries. Whoever may see
// the submission may see its history.
func (db *DB) SubmissionHistory(ctx context.Context, by access.Actor, id int64) ([]audit.Record, error) {
	c := db.reader()
	s, err := c.submission(ctx, by, id)
	if err != nil {
		return nil, err
	}
	var flow string
	if err := c.queryRow(ctx, "SELECT flow FROM collect_table WHERE round_id = ? AND id = ?", s.Round, s.Table).Scan(&flow); err != nil {
		return nil, err
	}
	var out []audit.Record
	err = scanEach(ctx, c, "SELECT "+auditColumns+` FROM audit
		WHERE (entity = 'collect_submission' AND entity_id = ?)
		OR (entity = 'collect_draft' AND entity_id = ?)
		OR (entity = 'collect_query' AND entity_id IN (SELECT CAST(q.id AS TEXT) FROM collect_query q WHERE q.submission_id = ?))
		ORDER BY seq`, []any{fmt.Sprint(id), fmt.Sprintf("%d/%s/%s", s.Round, s.State, flow), id}, func(sc scanner) error {
		var r audit.Record
		if err := scanAudit(sc, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// CollectionQuery returns a query with its thread, if the actor may see
// its submission; one of another State is not found.
func (db *DB) CollectionQuery(ctx context.Context, by access.Actor, id int64) (collect.Query, error) {
	return db.reader().query1(ctx, by, id)
}

// PublishTables publishes validated submissions (see Publish) and
// returns them as they now stand, with what the public statistics
// received.
func (db *DB) PublishTables(ctx context.Context, by access.Actor, ids []int64) (collect.Publication, error) {
	var pub collect.Publication
	reps, err := db.Publish(ctx, by, ids)
	if err != nil {
		return pub, err
	}
	for _, r := range reps {
		pub.Added += r.Added
		pub.Revised += r.Revised
		pub.Unchanged += r.Unchanged
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	err = scanEach(ctx, db.reader(), `SELECT id, round_id, table_id, state, status, updated_at, submitted_at
		FROM collect_submission WHERE id IN (`+marks+`) ORDER BY state, id`, args, func(sc scanner) error {
		var s collect.Submission
		var status string
		if err := sc.Scan(&s.ID, &s.Round, &s.Table, &s.State, &status, tstamp{&s.UpdatedAt}, ntstamp{&s.SubmittedAt}); err != nil {
			return err
		}
		s.Status = collect.Status(status)
		pub.Tables = append(pub.Tables, s)
		return nil
	})
	return pub, err
}

var _ collect.Publisher = (*DB)(nil)

// scanner is a row to scan.
type scanner interface{ Scan(...any) error }

// scanEach runs a query and calls fn for each row.
func scanEach(ctx context.Context, c conn, q string, args []any, fn func(scanner) error) error {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
