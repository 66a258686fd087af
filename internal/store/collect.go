package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// OpenRound opens a collection round with its tables, as the secretariat
// defines it.
func (db *DB) OpenRound(ctx context.Context, by access.Actor, r collect.Round) (collect.Round, error) {
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		return r, err
	}
	if err := r.Check(); err != nil {
		return r, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		err := t.queryRow(ctx, `INSERT INTO collect_round (name, year, opens_on, due_on, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			r.Name, r.Year, r.OpensOn.String(), r.DueOn.String(), db.now()).Scan(&r.ID)
		if err != nil {
			return err
		}
		for i, tb := range r.Tables {
			spec, err := json.Marshal(tb)
			if err != nil {
				return err
			}
			_, err = t.exec(ctx, "INSERT INTO collect_table (round_id, id, position, flow, spec) VALUES (?, ?, ?, ?, ?)", r.ID, tb.ID, i, tb.Flow, string(spec))
			if isForeignKey(err) {
				return fail.Field("tables", "The table %s is for the dataflow %q, which does not exist.", tb.ID, tb.Flow)
			}
			if err != nil {
				return err
			}
		}
		return t.record(ctx, by, audit.Change{Action: "create", Entity: "collect_round", EntityID: fmt.Sprint(r.ID), After: r,
			Summary: fmt.Sprintf("opened %s (reference year %d, due %s, %d tables)", r.Name, r.Year, r.DueOn, len(r.Tables))})
	})
	return r, err
}

// CloseRound closes a round: no State can send data to it after.
func (db *DB) CloseRound(ctx context.Context, by access.Actor, id int64) (collect.Round, error) {
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		return collect.Round{}, err
	}
	var r collect.Round
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		if r, err = t.round(ctx, id); err != nil || r.ClosedAt != nil {
			return err
		}
		now := db.now()
		if _, err := t.exec(ctx, "UPDATE collect_round SET closed_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		before := r
		r.ClosedAt = &now
		return t.record(ctx, by, audit.Change{Action: "close", Entity: "collect_round", EntityID: fmt.Sprint(id), Before: before, After: r,
			Summary: "closed " + r.Name})
	})
	return r, err
}

// canSeeRounds reports whether the actor takes part in the collection at
// all: the programme, and anyone holding a role for a State. Rounds
// themselves are no State's data; what a State sent is, and is scoped.
func canSeeRounds(by access.Actor) error {
	if by.Role.ProgrammeWide() {
		return nil
	}
	return access.Check(by, access.ReadCollection, by.State)
}

// Rounds lists the rounds, newest first, without their tables.
func (db *DB) Rounds(ctx context.Context, by access.Actor) ([]collect.Round, error) {
	if err := canSeeRounds(by); err != nil {
		return nil, err
	}
	rows, err := db.reader().query(ctx, "SELECT "+roundColumns+" FROM collect_round ORDER BY year DESC, id DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []collect.Round
	for rows.Next() {
		var r collect.Round
		if err := scanRound(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Round returns a round with its tables.
func (db *DB) Round(ctx context.Context, by access.Actor, id int64) (collect.Round, error) {
	if err := canSeeRounds(by); err != nil {
		return collect.Round{}, err
	}
	return db.reader().round(ctx, id)
}

const roundColumns = "id, name, year, opens_on, due_on, closed_at"

func scanRound(sc interface{ Scan(...any) error }, r *collect.Round) error {
	var opens, due string
	if err := sc.Scan(&r.ID, &r.Name, &r.Year, &opens, &due, ntstamp{&r.ClosedAt}); err != nil {
		return err
	}
	var err error
	if r.OpensOn, err = civil.Parse(opens); err != nil {
		return err
	}
	r.DueOn, err = civil.Parse(due)
	return err
}

func (c conn) round(ctx context.Context, id int64) (collect.Round, error) {
	var r collect.Round
	if err := scanRound(c.queryRow(ctx, "SELECT "+roundColumns+" FROM collect_round WHERE id = ?", id), &r); err != nil {
		return r, notFound(err, "No collection round has the id %d.", id)
	}
	rows, err := c.query(ctx, "SELECT spec FROM collect_table WHERE round_id = ? ORDER BY position", id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			return r, err
		}
		var tb collect.Table
		if err := json.Unmarshal([]byte(spec), &tb); err != nil {
			return r, fmt.Errorf("round %d: table spec: %w", id, err)
		}
		r.Tables = append(r.Tables, tb)
	}
	return r, rows.Err()
}

// Submissions lists the submissions of a round the actor may see: every
// State's for the secretariat, its own State's for a focal point or an
// expert. Tables a State has not started have no submission.
func (db *DB) Submissions(ctx context.Context, by access.Actor, round int64) ([]collect.Submission, error) {
	scope := access.Covered(by, access.ReadCollection)
	if !scope.All && scope.State == "" {
		return nil, access.Check(by, access.ReadCollection, "")
	}
	q := `SELECT s.id, s.round_id, s.table_id, s.state, s.status, s.updated_at, s.submitted_at,
		(SELECT COUNT(*) FROM collect_value v WHERE v.submission_id = s.id),
		(SELECT COUNT(*) FROM collect_query q WHERE q.submission_id = s.id AND q.status <> 'closed')
		FROM collect_submission s WHERE s.round_id = ?`
	args := []any{round}
	if !scope.All {
		q += " AND s.state = ?"
		args = append(args, scope.State)
	}
	rows, err := db.reader().query(ctx, q+" ORDER BY s.state, s.table_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []collect.Submission
	for rows.Next() {
		var s collect.Submission
		var status string
		if err := rows.Scan(&s.ID, &s.Round, &s.Table, &s.State, &status, tstamp{&s.UpdatedAt}, ntstamp{&s.SubmittedAt}, &s.Values, &s.OpenQueries); err != nil {
			return nil, err
		}
		s.Status = collect.Status(status)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Draft returns the values a State has saved for the round's tables of a
// dataflow, ordered by series and period.
func (db *DB) Draft(ctx context.Context, by access.Actor, round int64, sc collect.Scope) ([]collect.Value, error) {
	if err := access.Check(by, access.ReadCollection, sc.State); err != nil {
		return nil, err
	}
	rows, err := db.reader().query(ctx, `SELECT v.series_key, v.period, v.value, v.obs_status, v.comment, v.origin
		FROM collect_value v JOIN collect_submission s ON s.id = v.submission_id
		JOIN collect_table t ON t.round_id = s.round_id AND t.id = s.table_id
		WHERE s.round_id = ? AND s.state = ? AND t.flow = ?
		ORDER BY `+db.bytewise("v.series_key")+`, v.period`, round, sc.State, sc.Flow)
	if err != nil {
		return nil, err
	}
	return scanValues(rows)
}

// scanValues reads rows of series_key, period, value, obs_status,
// comment, origin, and closes them.
func scanValues(rows *sql.Rows) ([]collect.Value, error) {
	defer rows.Close()
	var out []collect.Value
	for rows.Next() {
		var v collect.Value
		var key, period string
		if err := rows.Scan(&key, &period, &v.Value, &v.Status, &v.Comment, &v.Origin); err != nil {
			return nil, err
		}
		var err error
		if v.Key, err = parseSeriesKey(key); err != nil {
			return nil, err
		}
		if v.Period, err = stats.ParsePeriod(period); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func parseSeriesKey(s string) (stats.Key, error) {
	var k stats.Key
	parts := strings.Split(s, ".")
	if len(parts) != len(k) {
		return k, fmt.Errorf("stored series key %q has %d parts", s, len(parts))
	}
	copy(k[:], parts)
	return k, nil
}

// SaveDraft replaces the State's draft for a scope (the round's tables of
// one dataflow) with the values given: a value left out is removed. The
// values must each fall in one of those tables and be for the State; the
// caller has validated them. Every table of the scope whose values
// change becomes a draft again, which is allowed from any status but
// validated (the secretariat would have to query it first); a table left
// as it was keeps its status.
func (db *DB) SaveDraft(ctx context.Context, by access.Actor, round int64, sc collect.Scope, values []collect.Value) (collect.Saved, error) {
	saved, err := db.SaveDrafts(ctx, by, round, map[collect.Scope][]collect.Value{sc: values})
	return saved[sc], err
}

// SaveDrafts replaces the State's drafts of several scopes of a round, as
// SaveDraft does one, in one transaction: all of them or none, as a file
// answering several dataflows is saved.
func (db *DB) SaveDrafts(ctx context.Context, by access.Actor, round int64, drafts map[collect.Scope][]collect.Value) (map[collect.Scope]collect.Saved, error) {
	scopes := slices.SortedFunc(maps.Keys(drafts), func(a, b collect.Scope) int {
		return cmp.Or(cmp.Compare(a.State, b.State), cmp.Compare(a.Flow, b.Flow))
	})
	for _, sc := range scopes {
		if err := access.Check(by, access.SubmitData, sc.State); err != nil {
			return nil, err
		}
	}
	var out map[collect.Scope]collect.Saved
	err := db.inTx(ctx, func(t *tx) error {
		r, err := t.round(ctx, round)
		if err != nil {
			return err
		}
		if err := r.CheckOpen(civil.Of(db.now())); err != nil {
			return err
		}
		out = make(map[collect.Scope]collect.Saved, len(scopes))
		for _, sc := range scopes {
			saved, err := t.saveDraft(ctx, by, r, sc, drafts[sc])
			if err != nil {
				return err
			}
			out[sc] = saved
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveDraft replaces the draft of one scope of an open round, in the
// transaction (see SaveDraft).
func (t *tx) saveDraft(ctx context.Context, by access.Actor, r collect.Round, sc collect.Scope, values []collect.Value) (collect.Saved, error) {
	rep := collect.Saved{Tables: map[string]int{}}
	byTable := map[string][]collect.Value{}
	var tables []collect.Table
	for _, tb := range r.Tables {
		if tb.Flow == sc.Flow {
			tables = append(tables, tb)
			byTable[tb.ID] = nil
		}
	}
	if len(tables) == 0 {
		return rep, fail.Field("flow", "The round %s asks nothing of the dataflow %s.", r.Name, sc.Flow)
	}
	for _, v := range values {
		if v.Key.Dim("REF_AREA") != sc.State {
			return rep, fail.New(fail.Invalid, "%s: the value is for %s, not %s.", origin(v), v.Key.Dim("REF_AREA"), sc.State)
		}
		if v.Period.Kind != 'A' || v.Period.Year > r.Year {
			return rep, fail.New(fail.Invalid, "%s: the round %s asks for years up to %d, not %s.", origin(v), r.Name, r.Year, v.Period)
		}
		in := ""
		for _, tb := range tables {
			if _, ok := tb.CellOf(v.Key); ok {
				in = tb.ID
				break
			}
		}
		if in == "" {
			return rep, fail.New(fail.Invalid, "%s: the series %s is in none of the round's tables.", origin(v), v.Key)
		}
		byTable[in] = append(byTable[in], v)
	}
	now := t.db.now()
	for _, tb := range tables {
		vals := byTable[tb.ID]
		var id int64
		var status string
		err := t.queryRow(ctx, "SELECT id, status FROM collect_submission WHERE round_id = ? AND table_id = ? AND state = ?", r.ID, tb.ID, sc.State).Scan(&id, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows) && len(vals) == 0:
			continue
		case errors.Is(err, sql.ErrNoRows):
			err = t.queryRow(ctx, `INSERT INTO collect_submission (round_id, table_id, state, status, updated_at) VALUES (?, ?, ?, 'draft', ?) RETURNING id`,
				r.ID, tb.ID, sc.State, now).Scan(&id)
		case err == nil:
			// A table the save leaves as it was keeps its status:
			// saving one table of a dataflow does not call back the
			// others already sent.
			prev, verr := t.values(ctx, id)
			if verr != nil {
				return rep, verr
			}
			if collect.Diff(prev, vals).Empty() {
				rep.Tables[tb.ID] = len(vals)
				rep.Values += len(vals)
				continue
			}
			if err := collect.Move(collect.Status(status), collect.Draft, collect.State); err != nil {
				// The message names the table, since a file saves several.
				e := fail.As(err)
				return rep, &fail.Error{Kind: e.Kind, Message: tb.Title + ": " + e.Message}
			}
			if _, err = t.exec(ctx, "DELETE FROM collect_value WHERE submission_id = ?", id); err != nil {
				return rep, err
			}
			_, err = t.exec(ctx, "UPDATE collect_submission SET status = 'draft', updated_at = ? WHERE id = ?", now, id)
		}
		if err != nil {
			return rep, err
		}
		if err := t.insertValues(ctx, id, vals); err != nil {
			return rep, err
		}
		rep.Tables[tb.ID] = len(vals)
		rep.Values += len(vals)
	}
	return rep, t.record(ctx, by, audit.Change{Action: "save", Entity: "collect_draft", EntityID: fmt.Sprintf("%d/%s/%s", r.ID, sc.State, sc.Flow),
		After: values, Summary: fmt.Sprintf("%s: draft of %s for %s saved, %d values", r.Name, sc.Flow, sc.State, rep.Values)})
}

// insertValues writes the values of a submission.
func (t *tx) insertValues(ctx context.Context, submission int64, values []collect.Value) error {
	b := t.batcher(ctx, "INSERT INTO collect_value (submission_id, series_key, period, value, obs_status, comment, origin) VALUES ", "(?, ?, ?, ?, ?, ?, ?)", 7)
	defer b.close()
	for _, v := range values {
		if err := b.add(ctx, submission, v.Key.String(), v.Period.String(), v.Value, v.Status, v.Comment, v.Origin); err != nil {
			return err
		}
	}
	return b.flush(ctx)
}

func origin(v collect.Value) string {
	if v.Origin != "" {
		return v.Origin
	}
	return v.Key.String() + " " + v.Period.String()
}

// MoveSubmission changes the status of a submission: the focal point
// submits a draft; the secretariat queries or validates it. Publication
// has its own method, Publish, since it writes the public statistics.
func (db *DB) MoveSubmission(ctx context.Context, by access.Actor, id int64, to collect.Status) (collect.Submission, error) {
	var s collect.Submission
	if to == collect.Published {
		return s, fail.Field("status", "Publish validated tables with the publication step.")
	}
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		if s, err = t.submission(ctx, by, id); err != nil {
			return err
		}
		party, err := partyOf(by, s.State)
		if err != nil {
			return err
		}
		if err := collect.Move(s.Status, to, party); err != nil {
			return err
		}
		if to == collect.Submitted && s.Values == 0 {
			return fail.New(fail.Conflict, "The table %s holds no values yet: save them before submitting.", s.Table)
		}
		before := s
		now := db.now()
		s.Status, s.UpdatedAt = to, now
		q, args := "UPDATE collect_submission SET status = ?, updated_at = ? WHERE id = ?", []any{string(to), now, id}
		if to == collect.Submitted {
			s.SubmittedAt = &now
			q, args = "UPDATE collect_submission SET status = ?, updated_at = ?, submitted_at = ? WHERE id = ?", []any{string(to), now, now, id}
		}
		if _, err := t.exec(ctx, q, args...); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: string(to), Entity: "collect_submission", EntityID: fmt.Sprint(id), Before: before, After: s,
			Summary: fmt.Sprintf("%s: %s → %s", s, before.Status.Label(), to.Label())})
	})
	return s, err
}

// partyOf says on which side of the collection an actor acts for a
// State, or refuses one who is on neither.
func partyOf(by access.Actor, state string) (collect.Party, error) {
	switch {
	case access.Allowed(by, access.ReviewData, state):
		return collect.Secretariat, nil
	case access.Allowed(by, access.SubmitData, state):
		return collect.State, nil
	}
	return "", access.Check(by, access.SubmitData, state)
}

// Submission returns a submission the actor may see.
func (db *DB) Submission(ctx context.Context, by access.Actor, id int64) (collect.Submission, error) {
	return db.reader().submission(ctx, by, id)
}

// submission reads a submission the actor may see; one of another State
// is not found, so that its existence does not leak.
func (t conn) submission(ctx context.Context, by access.Actor, id int64) (collect.Submission, error) {
	var s collect.Submission
	var status string
	err := t.queryRow(ctx, `SELECT s.id, s.round_id, s.table_id, s.state, s.status, s.updated_at, s.submitted_at,
		(SELECT COUNT(*) FROM collect_value v WHERE v.submission_id = s.id),
		(SELECT COUNT(*) FROM collect_query q WHERE q.submission_id = s.id AND q.status <> 'closed')
		FROM collect_submission s WHERE s.id = ?`, id).Scan(&s.ID, &s.Round, &s.Table, &s.State, &status, tstamp{&s.UpdatedAt}, ntstamp{&s.SubmittedAt}, &s.Values, &s.OpenQueries)
	if err == nil && !access.Allowed(by, access.ReadCollection, s.State) {
		if !by.SignedIn() {
			return s, access.Check(by, access.ReadCollection, s.State)
		}
		err = sql.ErrNoRows
	}
	s.Status = collect.Status(status)
	return s, notFound(err, "No submission has the id %d.", id)
}

// Publish moves the values of validated submissions into the public
// statistics, as a new revision of each series (the values published
// before stay queryable "as of" their date), and marks the submissions
// published; all of them or none. It is the secretariat's bulk approval
// too: a whole round's validated tables at once.
func (db *DB) Publish(ctx context.Context, by access.Actor, ids []int64) (map[string]IngestReport, error) {
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		return nil, err
	}
	out := map[string]IngestReport{}
	err := db.inTx(ctx, func(t *tx) error {
		obs := map[string][]stats.Observation{}
		var subs []collect.Submission
		for _, id := range ids {
			s, err := t.submission(ctx, by, id)
			if err != nil {
				return err
			}
			if err := collect.Move(s.Status, collect.Published, collect.Secretariat); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			var flow string
			if err := t.queryRow(ctx, "SELECT flow FROM collect_table WHERE round_id = ? AND id = ?", s.Round, s.Table).Scan(&flow); err != nil {
				return err
			}
			vals, err := t.values(ctx, id)
			if err != nil {
				return err
			}
			for _, v := range vals {
				status := v.Status
				if v.Value == nil {
					status = stats.StatusMissing
				}
				obs[flow] = append(obs[flow], stats.Observation{Flow: flow, Key: v.Key, Period: v.Period, Value: v.Value, Status: status,
					Source: "national submission (" + s.State + ")", Comment: v.Comment})
			}
			subs = append(subs, s)
		}
		for flow, list := range obs {
			rep, err := t.ingest(ctx, by, flow, list, fmt.Sprintf("publication of %d validated submissions", len(subs)))
			if err != nil {
				return err
			}
			out[flow] = rep
		}
		now := db.now()
		for _, s := range subs {
			if _, err := t.exec(ctx, "UPDATE collect_submission SET status = 'published', updated_at = ? WHERE id = ?", now, s.ID); err != nil {
				return err
			}
			before := s
			s.Status, s.UpdatedAt = collect.Published, now
			if err := t.record(ctx, by, audit.Change{Action: "publish", Entity: "collect_submission", EntityID: fmt.Sprint(s.ID), Before: before, After: s,
				Summary: s.String()}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (t *tx) values(ctx context.Context, submission int64) ([]collect.Value, error) {
	rows, err := t.query(ctx, "SELECT series_key, period, value, obs_status, comment, origin FROM collect_value WHERE submission_id = ? ORDER BY "+t.db.bytewise("series_key")+", period", submission)
	if err != nil {
		return nil, err
	}
	return scanValues(rows)
}

// RaiseQuery opens a query of the secretariat on one value of a submitted
// (or validated) table, with its first message, and marks the table
// queried.
func (db *DB) RaiseQuery(ctx context.Context, by access.Actor, submission int64, key stats.Key, period stats.Period, body string) (collect.Query, error) {
	q := collect.Query{Submission: submission, Key: key, Period: period, Status: collect.QueryOpen}
	if err := collect.CheckMessage(body); err != nil {
		return q, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		s, err := t.submission(ctx, by, submission)
		if err != nil {
			return err
		}
		if err := access.Check(by, access.ReviewData, s.State); err != nil {
			return err
		}
		var n int
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM collect_value WHERE submission_id = ? AND series_key = ? AND period = ?",
			submission, key.String(), period.String()).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fail.Field("key", "The table holds no value for %s in %s.", key, period)
		}
		if s.Status != collect.Queried {
			if err := collect.Move(s.Status, collect.Queried, collect.Secretariat); err != nil {
				return err
			}
		}
		now := db.now()
		q.CreatedAt, q.UpdatedAt = now, now
		if err := t.queryRow(ctx, `INSERT INTO collect_query (submission_id, series_key, period, status, created_at, updated_at)
			VALUES (?, ?, ?, 'open', ?, ?) RETURNING id`, submission, key.String(), period.String(), now, now).Scan(&q.ID); err != nil {
			return err
		}
		m, err := t.addMessage(ctx, by, q.ID, collect.Secretariat, body)
		if err != nil {
			return err
		}
		q.Messages = []collect.Message{m}
		if _, err := t.exec(ctx, "UPDATE collect_submission SET status = 'queried', updated_at = ? WHERE id = ?", now, submission); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "create", Entity: "collect_query", EntityID: fmt.Sprint(q.ID), After: q,
			Summary: fmt.Sprintf("query on %s %s (%s)", key, period, s)})
	})
	return q, err
}

// ReplyQuery adds a message to a query's thread: the State's answer
// (which marks the query answered) or the secretariat's follow-up
// (which opens it again). done, for the secretariat, closes the query
// with the message, or without one when body is empty.
func (db *DB) ReplyQuery(ctx context.Context, by access.Actor, id int64, body string, done bool) (collect.Query, error) {
	var q collect.Query
	if !(done && body == "") {
		if err := collect.CheckMessage(body); err != nil {
			return q, err
		}
	}
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		if q, err = t.query1(ctx, by, id); err != nil {
			return err
		}
		s, err := t.submission(ctx, by, q.Submission)
		if err != nil {
			return err
		}
		party, err := partyOf(by, s.State)
		if err != nil {
			return err
		}
		if q.Status == collect.QueryClosed {
			return fail.New(fail.Conflict, "The query is closed.")
		}
		before := q
		switch {
		case done && party != collect.Secretariat:
			return fail.New(fail.Forbidden, "Only the secretariat closes a query.")
		case done:
			q.Status = collect.QueryClosed
		case party == collect.State:
			q.Status = collect.QueryAnswered
		default:
			q.Status = collect.QueryOpen
		}
		if body != "" {
			m, err := t.addMessage(ctx, by, id, party, body)
			if err != nil {
				return err
			}
			q.Messages = append(q.Messages, m)
		}
		q.UpdatedAt = db.now()
		if _, err := t.exec(ctx, "UPDATE collect_query SET status = ?, updated_at = ? WHERE id = ?", string(q.Status), q.UpdatedAt, id); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "reply", Entity: "collect_query", EntityID: fmt.Sprint(id), Before: before, After: q,
			Summary: fmt.Sprintf("query on %s %s: %s", q.Key, q.Period, q.Status)})
	})
	return q, err
}

func (t *tx) addMessage(ctx context.Context, by access.Actor, query int64, party collect.Party, body string) (collect.Message, error) {
	m := collect.Message{AuthorID: by.UserID, Author: by.Label(), Party: party, Body: body, CreatedAt: t.db.now()}
	var author any
	if by.UserID != 0 {
		author = by.UserID
	}
	err := t.queryRow(ctx, `INSERT INTO collect_message (query_id, author_id, author, party, body, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		query, author, m.Author, string(party), body, m.CreatedAt).Scan(&m.ID)
	return m, err
}

// query1 reads one query with its thread, if the actor may see its
// submission.
func (t conn) query1(ctx context.Context, by access.Actor, id int64) (collect.Query, error) {
	qs, err := t.queries(ctx, "id = ?", id)
	if err == nil && len(qs) == 0 {
		err = sql.ErrNoRows
	}
	if err == nil {
		_, err = t.submission(ctx, by, qs[0].Submission)
	}
	if err != nil {
		return collect.Query{}, notFound(err, "No query has the id %d.", id)
	}
	return qs[0], nil
}

// Queries lists the queries of a submission with their threads.
func (db *DB) Queries(ctx context.Context, by access.Actor, submission int64) ([]collect.Query, error) {
	c := db.reader()
	if _, err := c.submission(ctx, by, submission); err != nil {
		return nil, err
	}
	return c.queries(ctx, "submission_id = ?", submission)
}

// queries reads the queries the condition selects, with their threads.
// The caller has checked that the actor may see their submission.
func (c conn) queries(ctx context.Context, where string, arg int64) ([]collect.Query, error) {
	rows, err := c.query(ctx, "SELECT id, submission_id, series_key, period, status, created_at, updated_at FROM collect_query WHERE "+where+" ORDER BY id", arg)
	if err != nil {
		return nil, err
	}
	var qs []collect.Query
	for rows.Next() {
		var q collect.Query
		var key, period, status string
		if err := rows.Scan(&q.ID, &q.Submission, &key, &period, &status, tstamp{&q.CreatedAt}, tstamp{&q.UpdatedAt}); err != nil {
			rows.Close()
			return nil, err
		}
		if q.Key, err = parseSeriesKey(key); err != nil {
			rows.Close()
			return nil, err
		}
		if q.Period, err = stats.ParsePeriod(period); err != nil {
			rows.Close()
			return nil, err
		}
		q.Status = collect.QueryStatus(status)
		qs = append(qs, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range qs {
		if qs[i].Messages, err = c.messages(ctx, qs[i].ID); err != nil {
			return nil, err
		}
	}
	return qs, nil
}

// messages reads the thread of a query, oldest first.
func (c conn) messages(ctx context.Context, query int64) ([]collect.Message, error) {
	rows, err := c.query(ctx, "SELECT id, COALESCE(author_id, 0), author, party, body, created_at FROM collect_message WHERE query_id = ? ORDER BY id", query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []collect.Message
	for rows.Next() {
		var m collect.Message
		var party string
		if err := rows.Scan(&m.ID, &m.AuthorID, &m.Author, &party, &m.Body, tstamp{&m.CreatedAt}); err != nil {
			return nil, err
		}
		m.Party = collect.Party(party)
		out = append(out, m)
	}
	return out, rows.Err()
}

// FocalPoints returns the ids of the active focal point accounts of a
// State, whom collection notices go to.
func (db *DB) FocalPoints(ctx context.Context, state string) ([]int64, error) {
	rows, err := db.reader().query(ctx, "SELECT id FROM account WHERE role = 'focal_point' AND state = ? AND NOT disabled ORDER BY id", state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// DueReminders returns the reminders owed on day: for every open round
// due within the next days (or past due), every State with an active
// focal point whose tables are not all sent (collect.Status.Sent: a
// queried table was sent), and which has not had that reminder yet.
func (db *DB) DueReminders(ctx context.Context, day civil.Date, days int) ([]collect.Reminder, error) {
	rows, err := db.reader().query(ctx, `SELECT r.id, a.state, a.id,
		(SELECT COUNT(*) FROM collect_table t WHERE t.round_id = r.id) -
		(SELECT COUNT(*) FROM collect_submission s WHERE s.round_id = r.id AND s.state = a.state AND s.status IN `+sentStatuses+`),
		CASE WHEN r.due_on < ? THEN 'overdue' ELSE 'due' END
		FROM collect_round r JOIN account a ON a.role = 'focal_point' AND NOT a.disabled
		WHERE r.closed_at IS NULL AND r.opens_on <= ? AND r.due_on <= ?
		AND NOT EXISTS (SELECT 1 FROM collect_reminder m WHERE m.round_id = r.id AND m.state = a.state
			AND m.kind = CASE WHEN r.due_on < ? THEN 'overdue' ELSE 'due' END)
		ORDER BY r.id, a.state, a.id`, day.String(), day.String(), day.AddDays(days).String(), day.String())
	if err != nil {
		return nil, err
	}
	var out []collect.Reminder
	for rows.Next() {
		var round, account int64
		var state, kind string
		var outstanding int
		if err := rows.Scan(&round, &state, &account, &outstanding, &kind); err != nil {
			rows.Close()
			return nil, err
		}
		if outstanding <= 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Round.ID == round && out[n-1].State == state {
			out[n-1].FocalPoints = append(out[n-1].FocalPoints, account)
			continue
		}
		out = append(out, collect.Reminder{Round: collect.Round{ID: round}, State: state, Kind: kind, Outstanding: outstanding, FocalPoints: []int64{account}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Round, err = db.reader().round(ctx, out[i].Round.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MarkReminded notes that a reminder was sent, so that it is not sent
// again; false when another server sent it first.
func (db *DB) MarkReminded(ctx context.Context, r collect.Reminder) (bool, error) {
	var n int64
	err := db.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "INSERT INTO collect_reminder (round_id, state, kind, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			r.Round.ID, r.State, r.Kind, db.now())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

var _ collect.Store = (*DB)(nil)
