package store

import (
	"context"
	"database/sql"
)

// RawQueryRead runs a query written with ? placeholders on the read pool,
// the pool the store's own reads use, so that a benchmark can time a bare
// query through the same connections as the store's methods.
func (db *DB) RawQueryRead(ctx context.Context, query string, args ...any) *sql.Row {
	return db.reader().queryRow(ctx, query, args...)
}
