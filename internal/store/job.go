package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/job"
)

// Enqueue adds a job unless an unfinished one has the same dedupe key.
func (db *DB) Enqueue(ctx context.Context, j job.Job) (bool, error) {
	var added bool
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		added, err = t.enqueue(ctx, j)
		return err
	})
	return added, err
}

func (t *tx) enqueue(ctx context.Context, j job.Job) (bool, error) {
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 5
	}
	if len(j.Payload) == 0 {
		j.Payload = []byte("{}")
	}
	res, err := t.exec(ctx, `INSERT INTO job (kind, payload, dedupe, run_at, max_attempts, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		j.Kind, string(j.Payload), nullString(j.Dedupe), j.RunAt, j.MaxAttempts, t.db.now())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Claim leases the next due job of the kinds: a pending one whose time has
// come, or a running one whose lease ran out because its worker died. A
// running job whose lease ran out on its last attempt is marked failed
// rather than run again and again.
func (db *DB) Claim(ctx context.Context, worker string, kinds []string, now time.Time, lease time.Duration) (job.Job, bool, error) {
	var j job.Job
	var payload string
	kindCond, args := "", []any{worker, now.Add(lease), now, now}
	if kinds != nil {
		if len(kinds) == 0 {
			return j, false, nil
		}
		kindCond = " AND kind IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ") + ")"
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	err := db.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `UPDATE job SET status = 'failed', finished_at = ?, locked_until = NULL,
			last_error = 'its lease ran out on its last attempt: the worker stopped or took too long'
			WHERE status = 'running' AND locked_until < ? AND attempts >= max_attempts`, now, now); err != nil {
			return err
		}
		return t.queryRow(ctx, `UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = ?, locked_until = ?
			WHERE id = (SELECT id FROM job
				WHERE ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND locked_until < ?))`+kindCond+`
				ORDER BY run_at, id LIMIT 1`+db.skipLocked()+`)
			RETURNING id, kind, payload, COALESCE(dedupe, ''), run_at, attempts, max_attempts`, args...).
			Scan(&j.ID, &j.Kind, &payload, &j.Dedupe, tstamp{&j.RunAt}, &j.Attempts, &j.MaxAttempts)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return job.Job{}, false, nil
	}
	if err != nil {
		return job.Job{}, false, err
	}
	j.Payload = []byte(payload)
	return j, true, nil
}

// Finish records a job's outcome, if the worker still holds it, and
// enqueues its successor, if any.
func (db *DB) Finish(ctx context.Context, id int64, worker string, runErr error, retryAt time.Time, next *job.Job) error {
	now := db.now()
	return db.inTx(ctx, func(t *tx) error {
		const held = " WHERE id = ? AND status = 'running' AND locked_by = ?"
		var res sql.Result
		var err error
		switch {
		case runErr == nil:
			res, err = t.exec(ctx, "UPDATE job SET status = 'done', finished_at = ?, locked_until = NULL, last_error = ''"+held, now, id, worker)
		case !retryAt.IsZero():
			res, err = t.exec(ctx, "UPDATE job SET status = 'pending', run_at = ?, locked_until = NULL, last_error = ?"+held, retryAt, truncateErr(runErr), id, worker)
		default:
			res, err = t.exec(ctx, "UPDATE job SET status = 'failed', finished_at = ?, locked_until = NULL, last_error = ?"+held, now, truncateErr(runErr), id, worker)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return job.ErrLeaseLost
		}
		if next == nil {
			return nil
		}
		_, err = t.enqueue(ctx, *next)
		return err
	})
}

// Expedite brings the pending job with the dedupe key forward to now.
func (db *DB) Expedite(ctx context.Context, dedupe string, now time.Time) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE job SET run_at = ? WHERE dedupe = ? AND status = 'pending' AND run_at > ?", now, dedupe, now)
		return err
	})
}

// DeleteFinishedJobs removes jobs that finished before the given time.
func (db *DB) DeleteFinishedJobs(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "DELETE FROM job WHERE status IN ('done', 'failed') AND finished_at < ?", before)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// CountJobs returns the number of jobs by status.
func (db *DB) CountJobs(ctx context.Context) (map[string]int, error) {
	rows, err := db.reader().query(ctx, "SELECT status, COUNT(*) FROM job GROUP BY status")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{"pending": 0, "running": 0, "done": 0, "failed": 0}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// truncateErr keeps the start of an error message, cut at a character
// boundary: a cut through a character is text PostgreSQL refuses.
func truncateErr(err error) string {
	s := strings.ToValidUTF8(err.Error(), "")
	if len(s) > 2000 {
		n := 2000
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}
