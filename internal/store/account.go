package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
)

const accountColumns = `id, email, name, role, COALESCE(state, ''), contributor, locale, disabled, sample, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }, u *account.User) error {
	return sc.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.State, &u.Contributor, &u.Locale, &u.Disabled, &u.Sample,
		tstamp{&u.CreatedAt}, tstamp{&u.UpdatedAt})
}

// userScope returns the condition that restricts accounts to those the
// policy lets the actor read (access.ReadUsers): all, one State's, or none.
func userScope(by access.Actor) (string, []any) {
	s := access.Covered(by, access.ReadUsers)
	switch {
	case s.All:
		return "1 = 1", nil
	case s.State != "":
		return "state = ?", []any{s.State}
	}
	return "1 = 0", nil
}

// accountError explains a failed account write.
func accountError(err error, u account.User) error {
	switch {
	case isUnique(err):
		return &fail.Error{Kind: fail.Conflict, Field: "email", Message: fmt.Sprintf("An account with the e-mail address %s exists already.", u.Email)}
	case isForeignKey(err):
		return fail.Field("state", "no participant has the code %q", u.State)
	}
	return err
}

// CreateUser adds an account.
func (db *DB) CreateUser(ctx context.Context, by access.Actor, u account.User, passwordHash string) (account.User, error) {
	if err := access.Check(by, access.ManageUsers, u.State); err != nil {
		return account.User{}, err
	}
	now := db.now()
	u.CreatedAt, u.UpdatedAt = now, now
	err := db.inTx(ctx, func(t *tx) error {
		err := t.queryRow(ctx, `INSERT INTO account (email, name, password_hash, role, state, contributor, locale, disabled, sample, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			u.Email, u.Name, passwordHash, string(u.Role), nullString(u.State), u.Contributor, u.Locale, u.Disabled, u.Sample, now, now).Scan(&u.ID)
		if err != nil {
			return accountError(err, u)
		}
		return t.record(ctx, by, audit.Change{Action: "create", Entity: "account", EntityID: fmt.Sprint(u.ID), After: u,
			Summary: fmt.Sprintf("%s, %s%s", u.Email, u.Role, scopeSuffix(u))})
	})
	return u, err
}

func disabledSuffix(u account.User) string {
	if u.Disabled {
		return ", disabled"
	}
	return ""
}

func scopeSuffix(u account.User) string {
	switch {
	case u.State != "":
		return " for " + u.State
	case u.Contributor != "":
		return " for " + u.Contributor
	}
	return ""
}

// UpdateUser changes an account's name, role, scope, locale and disabled flag.
func (db *DB) UpdateUser(ctx context.Context, by access.Actor, u account.User) (account.User, error) {
	var out account.User
	err := db.inTx(ctx, func(t *tx) error {
		before, err := t.user(ctx, by, u.ID)
		if err != nil {
			return err
		}
		if err := access.Check(by, access.ManageUsers, before.State); err != nil {
			return err
		}
		if err := access.Check(by, access.ManageUsers, u.State); err != nil {
			return err
		}
		after := before
		after.Name, after.Role, after.State, after.Contributor, after.Locale, after.Disabled = u.Name, u.Role, u.State, u.Contributor, u.Locale, u.Disabled
		after.UpdatedAt = db.now()
		_, err = t.exec(ctx, `UPDATE account SET name = ?, role = ?, state = ?, contributor = ?, locale = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			after.Name, string(after.Role), nullString(after.State), after.Contributor, after.Locale, after.Disabled, after.UpdatedAt, after.ID)
		if err != nil {
			return accountError(err, after)
		}
		if after.Disabled {
			if _, err := t.exec(ctx, "DELETE FROM session WHERE account_id = ?", after.ID); err != nil {
				return err
			}
		}
		out = after
		return t.record(ctx, by, audit.Change{Action: "update", Entity: "account", EntityID: fmt.Sprint(u.ID), Before: before, After: after,
			Summary: fmt.Sprintf("%s, %s%s%s", after.Email, after.Role, scopeSuffix(after), disabledSuffix(after))})
	})
	return out, err
}

// SetLocale records the language a user chose. Anyone signed in may set
// their own; it is a preference, not programme data, so it is not audited.
func (db *DB) SetLocale(ctx context.Context, by access.Actor, locale string) error {
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE account SET locale = ? WHERE id = ?", locale, by.UserID)
		return err
	})
}

// SetPassword replaces an account's password hash. Users may set their own;
// admins anyone's.
func (db *DB) SetPassword(ctx context.Context, by access.Actor, userID int64, passwordHash string) error {
	if by.UserID != userID {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "UPDATE account SET password_hash = ?, updated_at = ? WHERE id = ?", passwordHash, db.now(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fail.New(fail.NotFound, "No account has the id %d.", userID)
		}
		// The digest is of the event, not of the hash: the trail must not
		// help anyone test guesses against a password.
		return t.record(ctx, by, audit.Change{Action: "set_password", Entity: "account", EntityID: fmt.Sprint(userID),
			Summary: "password changed"})
	})
}

func (t *tx) user(ctx context.Context, by access.Actor, id int64) (account.User, error) {
	return userBy(ctx, t.conn, by, id)
}

func userBy(ctx context.Context, c conn, by access.Actor, id int64) (account.User, error) {
	cond, args := userScope(by)
	if by.SignedIn() {
		// Everyone may read their own account.
		cond, args = "("+cond+" OR id = ?)", append(args, by.UserID)
	}
	var u account.User
	err := scanUser(c.queryRow(ctx, "SELECT "+accountColumns+" FROM account WHERE id = ? AND "+cond, append([]any{id}, args...)...), &u)
	// An account outside the actor's scope is reported as not found, so
	// that its existence does not leak either.
	return u, notFound(err, "No account has the id %d.", id)
}

// User returns one account, if the actor's scope covers it.
func (db *DB) User(ctx context.Context, by access.Actor, id int64) (account.User, error) {
	return userBy(ctx, db.reader(), by, id)
}

// Users lists the accounts the actor's scope covers, by e-mail address.
func (db *DB) Users(ctx context.Context, by access.Actor, f account.UserFilter) ([]account.User, int, error) {
	if s := access.Covered(by, access.ReadUsers); !s.All && s.State == "" {
		return nil, 0, access.Check(by, access.ReadUsers, "")
	}
	cond, args := userScope(by)
	where := []string{cond}
	if f.Role != "" {
		where, args = append(where, "role = ?"), append(args, string(f.Role))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Query != "" {
		q := likeContains(strings.ToLower(f.Query))
		where, args = append(where, `(email LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\')`), append(args, q, q)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	c := db.reader()
	var total int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM account"+w, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := c.query(ctx, "SELECT "+accountColumns+" FROM account"+w+" ORDER BY "+db.bytewise("email")+" LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []account.User{}
	for rows.Next() {
		var u account.User
		if err := scanUser(rows, &u); err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// CountUsers returns the number of accounts, to tell a new installation.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.reader().queryRow(ctx, "SELECT COUNT(*) FROM account").Scan(&n)
	return n, err
}

// Credentials returns an account and its password hash by e-mail address.
func (db *DB) Credentials(ctx context.Context, email string) (account.User, string, error) {
	var u account.User
	var hash string
	row := db.reader().queryRow(ctx, "SELECT "+accountColumns+", password_hash FROM account WHERE email = ?", email)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.State, &u.Contributor, &u.Locale, &u.Disabled, &u.Sample,
		tstamp{&u.CreatedAt}, tstamp{&u.UpdatedAt}, &hash)
	return u, hash, notFound(err, "No account has the e-mail address %s.", email)
}

// CreateSession stores a new session and records the sign-in.
func (db *DB) CreateSession(ctx context.Context, u account.User, s account.Session) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, `INSERT INTO session (hash, account_id, csrf, created_at, expires_at, seen_at, address, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.Hash, s.UserID, s.CSRF, s.CreatedAt, s.ExpiresAt, s.SeenAt, s.Address, s.UserAgent)
		if err != nil {
			return err
		}
		return t.record(ctx, u.Actor(), audit.Change{Action: "sign_in", Entity: "account", EntityID: fmt.Sprint(u.ID), Summary: u.Email + " signed in"})
	})
}

// SessionUser returns the session with the hash, and its user, if it has
// not expired and was seen after idleSince.
func (db *DB) SessionUser(ctx context.Context, hash string, idleSince time.Time) (account.User, account.Session, error) {
	var u account.User
	var s account.Session
	now := db.now()
	row := db.reader().queryRow(ctx, `SELECT a.id, a.email, a.name, a.role, COALESCE(a.state, ''), a.contributor, a.locale, a.disabled, a.sample,
		a.created_at, a.updated_at, s.hash, s.csrf, s.created_at, s.expires_at, s.seen_at
		FROM session s JOIN account a ON a.id = s.account_id
		WHERE s.hash = ? AND s.expires_at > ? AND s.seen_at > ? AND NOT a.disabled`, hash, now, idleSince)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.State, &u.Contributor, &u.Locale, &u.Disabled, &u.Sample,
		tstamp{&u.CreatedAt}, tstamp{&u.UpdatedAt}, &s.Hash, &s.CSRF, tstamp{&s.CreatedAt}, tstamp{&s.ExpiresAt}, tstamp{&s.SeenAt})
	if errors.Is(err, sql.ErrNoRows) {
		return u, s, fail.New(fail.Unauthorized, "Your session has ended. Please sign in again.")
	}
	s.UserID = u.ID
	return u, s, err
}

// TouchSession records that the session was used.
func (db *DB) TouchSession(ctx context.Context, hash string, now time.Time) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE session SET seen_at = ? WHERE hash = ?", now, hash)
		return err
	})
}

// DeleteSession ends a session (sign-out) and records it.
func (db *DB) DeleteSession(ctx context.Context, by access.Actor, hash string) error {
	return db.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "DELETE FROM session WHERE hash = ? AND account_id = ?", hash, by.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return t.record(ctx, by, audit.Change{Action: "sign_out", Entity: "account", EntityID: fmt.Sprint(by.UserID), Summary: by.Label() + " signed out"})
	})
}

// DeleteOtherSessions ends every session of the user but keepHash's.
func (db *DB) DeleteOtherSessions(ctx context.Context, userID int64, keepHash string) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "DELETE FROM session WHERE account_id = ? AND hash <> ?", userID, keepHash)
		return err
	})
}

// DeleteExpiredSessions removes sessions past their expiry or idle since
// idleSince, and sign-in counters whose window has passed. It returns the
// number of sessions removed.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now, idleSince, failuresSince time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "DELETE FROM session WHERE expires_at <= ? OR seen_at <= ?", now, idleSince)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = t.exec(ctx, "DELETE FROM signin_failure WHERE window_start <= ?", failuresSince)
		return err
	})
	return n, err
}

// CreateToken stores a new API token for the actor.
func (db *DB) CreateToken(ctx context.Context, by access.Actor, tk account.Token, hash string) (account.Token, error) {
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		return tk, err
	}
	if tk.UserID == 0 {
		tk.UserID = by.UserID
	}
	if tk.UserID != by.UserID {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return tk, err
		}
	}
	// The caller's clock may carry nanoseconds and a zone; the token
	// returned and digested must equal the one read back.
	tk.CreatedAt = tk.CreatedAt.UTC().Truncate(time.Microsecond)
	if tk.ExpiresAt != nil {
		exp := tk.ExpiresAt.UTC().Truncate(time.Microsecond)
		tk.ExpiresAt = &exp
	}
	err := db.inTx(ctx, func(t *tx) error {
		err := t.queryRow(ctx, `INSERT INTO api_token (account_id, name, hash, prefix, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, tk.UserID, tk.Name, hash, tk.Prefix, tk.CreatedAt, tk.ExpiresAt).Scan(&tk.ID)
		if err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "create", Entity: "api_token", EntityID: fmt.Sprint(tk.ID), After: tk,
			Summary: fmt.Sprintf("token %q (%s…)", tk.Name, tk.Prefix)})
	})
	return tk, err
}

const tokenColumns = `id, account_id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }, tk *account.Token) error {
	return sc.Scan(&tk.ID, &tk.UserID, &tk.Name, &tk.Prefix, tstamp{&tk.CreatedAt}, ntstamp{&tk.ExpiresAt}, ntstamp{&tk.LastUsedAt}, ntstamp{&tk.RevokedAt})
}

// Tokens lists a user's API tokens. Users see their own; admins anyone's.
func (db *DB) Tokens(ctx context.Context, by access.Actor, userID int64) ([]account.Token, error) {
	if by.UserID != userID {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return nil, err
		}
	}
	rows, err := db.reader().query(ctx, "SELECT "+tokenColumns+" FROM api_token WHERE account_id = ? ORDER BY id DESC", userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []account.Token{}
	for rows.Next() {
		var tk account.Token
		if err := scanToken(rows, &tk); err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the actor's tokens (or anyone's, for admins).
func (db *DB) RevokeToken(ctx context.Context, by access.Actor, id int64) error {
	return db.inTx(ctx, func(t *tx) error {
		var tk account.Token
		err := scanToken(t.queryRow(ctx, "SELECT "+tokenColumns+" FROM api_token WHERE id = ?", id), &tk)
		if err == nil && tk.UserID != by.UserID && !access.Allowed(by, access.ManageUsers, "") {
			err = sql.ErrNoRows
		}
		if err != nil {
			return notFound(err, "You have no API token with the id %d.", id)
		}
		if tk.RevokedAt != nil {
			return nil
		}
		before := tk
		now := db.now()
		tk.RevokedAt = &now
		if _, err := t.exec(ctx, "UPDATE api_token SET revoked_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "revoke", Entity: "api_token", EntityID: fmt.Sprint(id), Before: before, After: tk,
			Summary: fmt.Sprintf("token %q (%s…)", tk.Name, tk.Prefix)})
	})
}

// RevokeTokens revokes every token of an account that is not revoked yet.
func (db *DB) RevokeTokens(ctx context.Context, by access.Actor, userID int64) error {
	if by.UserID != userID {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "UPDATE api_token SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", db.now(), userID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			return nil
		}
		return t.record(ctx, by, audit.Change{Action: "revoke_all", Entity: "api_token", EntityID: fmt.Sprint(userID),
			Summary: fmt.Sprintf("%d tokens of account %d revoked", n, userID)})
	})
}

// TokenUser returns the owner of a valid API token and notes its use.
func (db *DB) TokenUser(ctx context.Context, hash string, now time.Time) (account.User, error) {
	var u account.User
	var id int64
	var last *time.Time
	row := db.reader().queryRow(ctx, `SELECT a.id, a.email, a.name, a.role, COALESCE(a.state, ''), a.contributor, a.locale, a.disabled, a.sample,
		a.created_at, a.updated_at, t.id, t.last_used_at
		FROM api_token t JOIN account a ON a.id = t.account_id
		WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?) AND NOT a.disabled`, hash, now)
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.State, &u.Contributor, &u.Locale, &u.Disabled, &u.Sample,
		tstamp{&u.CreatedAt}, tstamp{&u.UpdatedAt}, &id, ntstamp{&last})
	if err != nil {
		return u, notFound(err, "No valid API token matches.")
	}
	// Last use is kept to the minute, so a busy client does not turn every
	// read into a write.
	if last == nil || now.Sub(*last) > time.Minute {
		err = db.inTx(ctx, func(t *tx) error {
			_, err := t.exec(ctx, "UPDATE api_token SET last_used_at = ? WHERE id = ?", now, id)
			return err
		})
	}
	return u, err
}

// Failures returns the failed sign-in attempts counted under key since since.
func (db *DB) Failures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	var n int
	var start time.Time
	err := db.reader().queryRow(ctx, "SELECT count, window_start FROM signin_failure WHERE key = ? AND window_start > ?", key, since).
		Scan(&n, tstamp{&start})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	return n, start, err
}

// AddFailure counts an attempt under key and returns the count and the
// start of its window; a window that began before since starts again. The
// count is taken in one statement, so parallel attempts each see their own.
func (db *DB) AddFailure(ctx context.Context, key string, now, since time.Time) (int, time.Time, error) {
	var n int
	var start time.Time
	err := db.inTx(ctx, func(t *tx) error {
		return t.queryRow(ctx, `INSERT INTO signin_failure (key, window_start, count) VALUES (?, ?, 1)
			ON CONFLICT (key) DO UPDATE SET
				count = CASE WHEN signin_failure.window_start <= ? THEN 1 ELSE signin_failure.count + 1 END,
				window_start = CASE WHEN signin_failure.window_start <= ? THEN excluded.window_start ELSE signin_failure.window_start END
			RETURNING count, window_start`,
			key, now, since, since).Scan(&n, tstamp{&start})
	})
	return n, start, err
}

// ForgiveFailure takes back one attempt counted under key: a sign-in that
// succeeded.
func (db *DB) ForgiveFailure(ctx context.Context, key string) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "UPDATE signin_failure SET count = count - 1 WHERE key = ? AND count > 0", key)
		return err
	})
}

// ClearFailures forgets the failed attempts under key.
func (db *DB) ClearFailures(ctx context.Context, key string) error {
	return db.inTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, "DELETE FROM signin_failure WHERE key = ?", key)
		return err
	})
}
