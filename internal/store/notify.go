package store

import (
	"context"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/notify"
)

// AddNotification stores a notification and, when mail is true, queues it
// by e-mail to the account's address in the same transaction.
func (db *DB) AddNotification(ctx context.Context, n notify.Notification, mail bool, mailBody string) (notify.Notification, error) {
	err := db.inTx(ctx, func(t *tx) error {
		err := t.queryRow(ctx, `INSERT INTO notification (account_id, subject, body, link, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			n.UserID, n.Subject, n.Body, n.Link, n.CreatedAt).Scan(&n.ID)
		if err != nil {
			return err
		}
		if !mail {
			return nil
		}
		_, err = t.exec(ctx, `INSERT INTO outbox (notification_id, to_addr, subject, body, created_at, next_attempt_at)
			SELECT ?, email, ?, ?, ?, ? FROM account WHERE id = ? AND NOT disabled`,
			n.ID, n.Subject, mailBody, n.CreatedAt, n.CreatedAt, n.UserID)
		return err
	})
	return n, err
}

// Notifications lists the actor's own notifications, newest first.
func (db *DB) Notifications(ctx context.Context, by access.Actor, unreadOnly bool, limit int) ([]notify.Notification, error) {
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		return nil, err
	}
	q := "SELECT id, account_id, subject, body, link, created_at, read_at FROM notification WHERE account_id = ?"
	if unreadOnly {
		q += " AND read_at IS NULL"
	}
	limit, _ = page(limit, 0)
	rows, err := db.reader().query(ctx, q+" ORDER BY created_at DESC, id DESC LIMIT "+strconv.Itoa(limit), by.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notify.Notification{}
	for rows.Next() {
		var n notify.Notification
		if err := rows.Scan(&n.ID, &n.UserID, &n.Subject, &n.Body, &n.Link, tstamp{&n.CreatedAt}, ntstamp{&n.ReadAt}); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// UnreadCount returns the number of the actor's unread notifications.
func (db *DB) UnreadCount(ctx context.Context, by access.Actor) (int, error) {
	if !by.SignedIn() {
		return 0, nil
	}
	var n int
	err := db.reader().queryRow(ctx, "SELECT COUNT(*) FROM notification WHERE account_id = ? AND read_at IS NULL", by.UserID).Scan(&n)
	return n, err
}

// MarkRead marks one of the actor's notifications as read, or all of them
// for id 0.
func (db *DB) MarkRead(ctx context.Context, by access.Actor, id int64) error {
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error {
		q, args := "UPDATE notification SET read_at = ? WHERE account_id = ? AND read_at IS NULL", []any{db.now(), by.UserID}
		if id != 0 {
			q, args = q+" AND id = ?", append(args, id)
		}
		res, err := t.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && id != 0 {
			var exists int
			if err := t.queryRow(ctx, "SELECT COUNT(*) FROM notification WHERE account_id = ? AND id = ?", by.UserID, id).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return fail.New(fail.NotFound, "You have no notification with the id %d.", id)
			}
		}
		return nil
	})
}

// DueMail returns outbox messages that are due for a (new) attempt.
func (db *DB) DueMail(ctx context.Context, now time.Time, limit int) ([]notify.Mail, error) {
	rows, err := db.reader().query(ctx, `SELECT id, to_addr, subject, body, attempts FROM outbox
		WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`, now, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notify.Mail
	for rows.Next() {
		var m notify.Mail
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.Attempts); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailSent marks an outbox message as sent.
func (db *DB) MailSent(ctx context.Context, id int64, now time.Time) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?", now, id)
		return err
	})
}

// MailFailed records a failed attempt and when to try again.
func (db *DB) MailFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?", reason, next, id)
		return err
	})
}
