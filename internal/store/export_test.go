package store

import (
	"context"
	"database/sql"
)

// The hooks below reach the tables behind the application's back, as an
// intruder with database access would, so that tests can tamper with the
// audit trail and see what the store really keeps. They live here, and the
// tests in package store_test, because storetest imports store: an internal
// test could not use storetest.Each.

// RawExec runs a statement written with ? placeholders on the write pool.
func (db *DB) RawExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return conn{q: db.write, db: db}.exec(ctx, query, args...)
}

// RawQueryRow runs a query written with ? placeholders on the write pool.
func (db *DB) RawQueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return conn{q: db.write, db: db}.queryRow(ctx, query, args...)
}
