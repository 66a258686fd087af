package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
)

// checkResult is what the result column holds: what a check found.
type checkResult struct {
	Previews []collect.Preview     `json:"previews,omitempty"`
	Problems []collect.FileProblem `json:"problems,omitempty"`
	More     int                   `json:"more,omitempty"`
	Error    string                `json:"error,omitempty"`
}

// checkAnswer is one scope of the answer column: the figures read.
type checkAnswer struct {
	Scope  collect.Scope   `json:"scope"`
	Values []collect.Value `json:"values"`
}

func encodeCheck(c collect.FileCheck) (result, answer string, err error) {
	r, err := json.Marshal(checkResult{Previews: c.Previews, Problems: c.Problems, More: c.More, Error: c.Error})
	if err != nil {
		return "", "", err
	}
	list := make([]checkAnswer, 0, len(c.Values))
	for sc, vs := range c.Values {
		list = append(list, checkAnswer{Scope: sc, Values: vs})
	}
	a, err := json.Marshal(list)
	return string(r), string(a), err
}

// CreateCheck stores the check of an uploaded file, owned by the actor,
// with the file itself when a job is to read it. Checks past their expiry
// go on the way: a focal point who did not confirm uploads again.
func (db *DB) CreateCheck(ctx context.Context, by access.Actor, c collect.FileCheck, content []byte) (collect.FileCheck, error) {
	if err := access.Check(by, access.SubmitData, c.State); err != nil {
		return c, err
	}
	if by.UserID == 0 {
		return c, fail.New(fail.Forbidden, "A file is checked for a signed-in focal point.")
	}
	result, answer, err := encodeCheck(c)
	if err != nil {
		return c, err
	}
	now := db.now()
	c.Owner, c.CreatedAt, c.UpdatedAt, c.ExpiresAt = by.UserID, now, now, now.Add(collect.CheckTTL)
	var blob any
	digest := ""
	if content != nil {
		blob = content
		sum := sha256.Sum256(content)
		digest = hex.EncodeToString(sum[:])
	}
	err = db.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, "DELETE FROM collect_check WHERE expires_at < ?", now); err != nil {
			return err
		}
		err := t.queryRow(ctx, `INSERT INTO collect_check (round_id, state, state_name, account_id, name, kind, flow, decimal_comma, size, status,
			content, result, answer, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Round, c.State, c.StateName, c.Owner, c.Name, c.Kind, c.Flow, c.DecimalComma, c.Size, string(c.Status),
			blob, result, answer, now, now, c.ExpiresAt).Scan(&c.ID)
		if isForeignKey(err) {
			return fail.New(fail.NotFound, "No collection round has the id %d.", c.Round)
		}
		if err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "upload", Entity: "collect_check", EntityID: fmt.Sprint(c.ID),
			After: struct {
				Check  collect.FileCheck `json:"check"`
				SHA256 string            `json:"sha256,omitempty"`
			}{c, digest},
			Summary: fmt.Sprintf("%s uploaded for %s to round %d, %d bytes, to be checked (%s)", c.Name, c.State, c.Round, c.Size, c.Status)})
	})
	return c, err
}

const checkColumns = `id, round_id, state, state_name, account_id, name, kind, flow, decimal_comma, size, status, bytes_read,
	result, answer, created_at, updated_at, expires_at, saved_at`

func scanCheck(sc interface{ Scan(...any) error }, c *collect.FileCheck) error {
	var status, result, answer string
	if err := sc.Scan(&c.ID, &c.Round, &c.State, &c.StateName, &c.Owner, &c.Name, &c.Kind, &c.Flow, &c.DecimalComma, &c.Size, &status, &c.Read,
		&result, &answer, tstamp{&c.CreatedAt}, tstamp{&c.UpdatedAt}, tstamp{&c.ExpiresAt}, ntstamp{&c.SavedAt}); err != nil {
		return err
	}
	c.Status = collect.CheckStatus(status)
	var r checkResult
	if err := json.Unmarshal([]byte(result), &r); err != nil {
		return fmt.Errorf("check %d: result: %w", c.ID, err)
	}
	c.Previews, c.Problems, c.More, c.Error = r.Previews, r.Problems, r.More, r.Error
	var list []checkAnswer
	if err := json.Unmarshal([]byte(answer), &list); err != nil {
		return fmt.Errorf("check %d: answer: %w", c.ID, err)
	}
	c.Values = make(map[collect.Scope][]collect.Value, len(list))
	for _, a := range list {
		c.Values[a.Scope] = a.Values
	}
	return nil
}

// Check returns the check of an uploaded file until it expires: to its
// uploader, and to the secretariat. Another's check is not found, so that
// its existence does not leak.
func (db *DB) Check(ctx context.Context, by access.Actor, id int64) (collect.FileCheck, error) {
	return db.reader().check(ctx, by, id)
}

func (c conn) check(ctx context.Context, by access.Actor, id int64) (collect.FileCheck, error) {
	var fc collect.FileCheck
	if !by.SignedIn() {
		return fc, access.Check(by, access.ReadCollection, "")
	}
	err := scanCheck(c.queryRow(ctx, "SELECT "+checkColumns+" FROM collect_check WHERE id = ? AND expires_at > ?", id, c.db.now()), &fc)
	if err == nil && !access.Allowed(by, access.ReviewData, fc.State) && (fc.Owner != by.UserID || !access.Allowed(by, access.ReadCollection, fc.State)) {
		err = sql.ErrNoRows
	}
	if err != nil {
		return collect.FileCheck{}, notFound(err, "No upload has the id %d: an upload is kept for a day after it is checked.", id)
	}
	return fc, nil
}

// StartCheck gives the job that reads a large file the file and the actor
// it reads it as, its uploader as the account now stands, and marks the
// check running. ok is false when there is nothing left to read.
func (db *DB) StartCheck(ctx context.Context, id int64) (collect.FileCheck, access.Actor, []byte, bool, error) {
	var fc collect.FileCheck
	var content []byte
	var by access.Actor
	err := db.inTx(ctx, func(t *tx) error {
		err := scanCheck(t.queryRow(ctx, "SELECT "+checkColumns+" FROM collect_check WHERE id = ? AND expires_at > ? AND status IN ('waiting', 'running')",
			id, db.now()), &fc)
		if err != nil {
			return err
		}
		if err := t.queryRow(ctx, "SELECT content FROM collect_check WHERE id = ?", id).Scan(&content); err != nil {
			return err
		}
		if content == nil {
			return sql.ErrNoRows
		}
		u, err := t.user(ctx, access.System("collection check"), fc.Owner)
		if err != nil {
			return err
		}
		by = u.Actor()
		fc.Status, fc.UpdatedAt = collect.CheckRunning, db.now()
		_, err = t.exec(ctx, "UPDATE collect_check SET status = 'running', bytes_read = 0, updated_at = ? WHERE id = ?", fc.UpdatedAt, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return fc, by, nil, false, nil
	}
	return fc, by, content, err == nil, err
}

// CheckProgress records how much of its file a job has read. Progress,
// like marking a check running, is the job's bookkeeping: the audit trail
// has the upload and its outcome (FinishCheck), not every second between.
func (db *DB) CheckProgress(ctx context.Context, id, read int64) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE collect_check SET bytes_read = ?, updated_at = ? WHERE id = ? AND status = 'running'", read, db.now(), id)
		return err
	})
}

// FinishCheck records the outcome of a job's check. A check finished no
// longer holds its file; one left waiting (to be tried again) does.
func (db *DB) FinishCheck(ctx context.Context, c collect.FileCheck) error {
	result, answer, err := encodeCheck(c)
	if err != nil {
		return err
	}
	keep := !c.Finished()
	return db.inTx(ctx, func(t *tx) error {
		c.UpdatedAt = db.now()
		res, err := t.exec(ctx, `UPDATE collect_check SET status = ?, bytes_read = ?, result = ?, answer = ?, updated_at = ?,
			content = CASE WHEN ? THEN content ELSE NULL END WHERE id = ?`,
			string(c.Status), c.Read, result, answer, c.UpdatedAt, keep, c.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// No row: the check expired meanwhile; there is nothing to record.
			return err
		}
		return t.record(ctx, access.System("collection check"), audit.Change{Action: "check", Entity: "collect_check", EntityID: fmt.Sprint(c.ID), After: c,
			Summary: fmt.Sprintf("%s of %s for round %d read: %s", c.Name, c.State, c.Round, c.Status)})
	})
}

// CheckSaved marks a check whose figures the actor saved, and lets go of
// the figures, which are the draft's now.
func (db *DB) CheckSaved(ctx context.Context, by access.Actor, id int64) (collect.FileCheck, error) {
	var fc collect.FileCheck
	err := db.inTx(ctx, func(t *tx) error {
		var err error
		if fc, err = t.check(ctx, by, id); err != nil {
			return err
		}
		if err := access.Check(by, access.SubmitData, fc.State); err != nil {
			return err
		}
		before := fc
		now := db.now()
		fc.Status, fc.SavedAt, fc.UpdatedAt, fc.Values = collect.CheckSaved, &now, now, nil
		if _, err := t.exec(ctx, "UPDATE collect_check SET status = 'saved', saved_at = ?, updated_at = ?, answer = '[]' WHERE id = ?", now, now, id); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "save", Entity: "collect_check", EntityID: fmt.Sprint(id), Before: before, After: fc,
			Summary: fmt.Sprintf("figures of %s saved to the draft of %s in round %d", fc.Name, fc.State, fc.Round)})
	})
	return fc, err
}

var _ collect.CheckStore = (*DB)(nil)
