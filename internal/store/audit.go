package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
)

// record appends a change to the audit trail inside the transaction that
// makes it. Locking the head row serialises appends, so the chain has no
// forks even with several servers writing at once.
func (t *tx) record(ctx context.Context, by access.Actor, c audit.Change) error {
	r := audit.Record{
		At:       t.db.now().Truncate(time.Microsecond),
		ActorID:  by.UserID,
		Actor:    by.Label(),
		Role:     string(by.Role),
		Action:   c.Action,
		Entity:   c.Entity,
		EntityID: c.EntityID,
		Before:   audit.Digest(c.Before),
		After:    audit.Digest(c.After),
		Summary:  c.Summary,
	}
	meta := audit.MetaFrom(ctx)
	r.RequestID, r.Address = meta.RequestID, meta.Address
	if err := t.queryRow(ctx, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").Scan(&r.Seq, &r.PrevHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	r.Hash = r.ComputeHash()
	_, err := t.exec(ctx, `INSERT INTO audit (seq, at, actor_id, actor, role, action, entity, entity_id,
		before_digest, after_digest, summary, request_id, address, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.At, r.ActorID, r.Actor, r.Role, r.Action, r.Entity, r.EntityID,
		r.Before, r.After, r.Summary, r.RequestID, r.Address, r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := t.exec(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", r.Hash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

const auditColumns = `seq, at, actor_id, actor, role, action, entity, entity_id,
	before_digest, after_digest, summary, request_id, address, prev_hash, hash`

func scanAudit(sc interface{ Scan(...any) error }, r *audit.Record) error {
	var actorID *int64
	err := sc.Scan(&r.Seq, tstamp{&r.At}, &actorID, &r.Actor, &r.Role, &r.Action, &r.Entity, &r.EntityID,
		&r.Before, &r.After, &r.Summary, &r.RequestID, &r.Address, &r.PrevHash, &r.Hash)
	if actorID != nil {
		r.ActorID = *actorID
	}
	return err
}

// AuditRecords lists audit records, newest first, for the audit page. Only
// programme-wide roles may read the trail.
func (db *DB) AuditRecords(ctx context.Context, by access.Actor, f audit.Filter) ([]audit.Record, error) {
	if err := access.Check(by, access.ReadAudit, ""); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if f.Entity != "" {
		where, args = append(where, "entity = ?"), append(args, f.Entity)
	}
	if f.EntityID != "" {
		where, args = append(where, "entity_id = ?"), append(args, f.EntityID)
	}
	if f.Actor != "" {
		where, args = append(where, `LOWER(actor) LIKE ? ESCAPE '\'`), append(args, likeContains(strings.ToLower(f.Actor)))
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From)
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To)
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	q := "SELECT " + auditColumns + " FROM audit"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit, _ := page(f.Limit, 0)
	q += " ORDER BY seq DESC LIMIT " + strconv.Itoa(limit)
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Record
	for rows.Next() {
		var r audit.Record
		if err := scanAudit(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole trail in order and returns the number of
// records checked and the first problem, if any.
func (db *DB) VerifyAudit(ctx context.Context) (int64, *audit.Problem, error) {
	// The head and the records are read in one snapshot: a change committed
	// between two separate reads would look like an insertion.
	opts := &sql.TxOptions{ReadOnly: true}
	if db.engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	stx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return 0, nil, err
	}
	defer stx.Rollback()
	var head audit.Head
	c := conn{q: stx, db: db}
	if err := c.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&head.Seq, &head.Hash); err != nil {
		return 0, nil, fmt.Errorf("read audit head: %w", err)
	}
	rows, err := c.query(ctx, "SELECT "+auditColumns+" FROM audit ORDER BY seq")
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var v audit.Verifier
	for rows.Next() {
		var r audit.Record
		if err := scanAudit(rows, &r); err != nil {
			return v.Count(), nil, err
		}
		if p := v.Add(r); p != nil {
			return v.Count(), p, nil
		}
	}
	if err := rows.Err(); err != nil {
		return v.Count(), nil, err
	}
	return v.Count(), v.Finish(head), nil
}
