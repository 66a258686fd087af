package store

import (
	"context"
	"database/sql"
	"strings"
)

// batcher writes rows by multi-row INSERTs of insertBatch rows, through one
// statement prepared once for the whole transaction: preparing a statement
// of thousands of parameters costs more than running it, and on
// PostgreSQL each statement is a round trip.
type batcher struct {
	t          *tx
	head, row  string
	params     int
	args       []any
	full       *sql.Stmt // prepared on the first full batch
	prepareErr error
}

func (t *tx) batcher(_ context.Context, head, row string, params int) *batcher {
	return &batcher{t: t, head: head, row: row, params: params, args: make([]any, 0, params*insertBatch)}
}

func (b *batcher) statement(rows int) string {
	return b.head + strings.TrimSuffix(strings.Repeat(b.row+", ", rows), ", ")
}

// add queues one row, writing a batch when it is full.
func (b *batcher) add(ctx context.Context, args ...any) error {
	b.args = append(b.args, args...)
	if len(b.args) < b.params*insertBatch {
		return nil
	}
	if b.full == nil {
		b.full, b.prepareErr = b.t.sqltx.PrepareContext(ctx, b.t.db.rebind(b.statement(insertBatch)))
		if b.prepareErr != nil {
			return b.prepareErr
		}
	}
	_, err := b.full.ExecContext(ctx, b.t.db.args(b.args)...)
	b.args = b.args[:0]
	return err
}

// flush writes the rows still queued.
func (b *batcher) flush(ctx context.Context) error {
	if len(b.args) == 0 {
		return nil
	}
	_, err := b.t.exec(ctx, b.statement(len(b.args)/b.params), b.args...)
	b.args = b.args[:0]
	return err
}

func (b *batcher) close() {
	if b.full != nil {
		b.full.Close()
	}
}
