// Package store is cpcj's storage layer: one schema and one query set that
// run on SQLite (the embedded default, pure Go) and on PostgreSQL (pgx).
// All SQL lives in this package. Queries are written once with ?
// placeholders; the few differences between the engines live in dialect.go.
//
// Every method that reads or writes State data takes the acting user, and
// restricts its query to that actor's scope; every method that changes
// programme data writes an audit record in the same transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/cpcj/cpcj/internal/fail"
)

// Engine names a database engine.
type Engine string

// The engines cpcj runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is a cpcj database. On SQLite it holds two pools: one connection for
// writes, because SQLite has a single writer, and several for reads, which
// WAL lets run beside the writer. On PostgreSQL both are the same pool.
type DB struct {
	engine Engine
	read   *sql.DB
	write  *sql.DB
	path   string // SQLite file, for backups
	// now reads the clock to the microsecond, as both engines store
	// times: a record returned or digested must equal the one read back.
	now func() time.Time
}

// EngineOf tells which engine a database URL names: postgres:// or
// postgresql:// URLs are PostgreSQL, anything else is a SQLite file path.
func EngineOf(dbURL string) Engine {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return Postgres
	}
	return SQLite
}

// Options tune the connection pools.
type Options struct {
	MaxOpenConns int // PostgreSQL pool size and SQLite read pool size; 0 for the default
}

// Open opens the database named by dbURL without migrating it.
func Open(ctx context.Context, dbURL string, opt Options) (*DB, error) {
	if opt.MaxOpenConns <= 0 {
		opt.MaxOpenConns = 16
	}
	db := &DB{engine: EngineOf(dbURL), now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
	var err error
	switch db.engine {
	case Postgres:
		if _, perr := url.Parse(dbURL); perr != nil {
			// The parse error quotes the URL, password and all: not shown.
			return nil, fmt.Errorf("the database URL is not a valid URL")
		}
		db.write, err = sql.Open("pgx", dbURL)
		if err != nil {
			return nil, err
		}
		db.write.SetMaxOpenConns(opt.MaxOpenConns)
		db.write.SetMaxIdleConns(opt.MaxOpenConns)
		db.write.SetConnMaxIdleTime(5 * time.Minute)
		db.read = db.write
	default:
		db.path = dbURL
		if dir := filepath.Dir(dbURL); dir != "" {
			if _, serr := os.Stat(dir); serr != nil {
				return nil, fmt.Errorf("database directory %s: %w", dir, serr)
			}
		}
		// busy_timeout comes first so that the other pragmas wait for a
		// lock rather than fail; writes begin IMMEDIATE so that a read
		// transaction never has to be upgraded to a write and fail.
		base := "file:" + dbURL + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		db.write, err = sql.Open("sqlite", base+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetMaxIdleConns(1)
		db.write.SetConnMaxLifetime(0)
		db.read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			db.write.Close()
			return nil, err
		}
		db.read.SetMaxOpenConns(opt.MaxOpenConns)
		db.read.SetMaxIdleConns(opt.MaxOpenConns)
		db.read.SetConnMaxLifetime(0)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.write.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", db.engine, err)
	}
	return db, nil
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Engine returns the engine the database runs on.
func (db *DB) Engine() Engine { return db.engine }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Stats returns the pool statistics of the read and write pools, for metrics.
func (db *DB) Stats() (read, write sql.DBStats) {
	return db.read.Stats(), db.write.Stats()
}

// SetClock replaces the clock, for tests.
func (db *DB) SetClock(now func() time.Time) {
	db.now = func() time.Time { return now().UTC().Truncate(time.Microsecond) }
}

// Now returns the store's clock reading.
func (db *DB) Now() time.Time { return db.now() }

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with ? placeholders on either engine.
type conn struct {
	q  querier
	db *DB
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.db.rebind(query), c.db.args(args)...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.db.rebind(query), c.db.args(args)...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.db.rebind(query), c.db.args(args)...)
}

// reader returns a conn on the read pool.
func (db *DB) reader() conn { return conn{q: db.read, db: db} }

// tx is a write transaction.
type tx struct {
	conn
	sqltx *sql.Tx
}

// inTx runs fn in a write transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *tx) error) error {
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{conn: conn{q: stx, db: db}, sqltx: stx}
	defer func() {
		// A panic in fn must not leave the transaction open: on SQLite it
		// would hold the only write connection for good.
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
	}()
	if err := fn(t); err != nil {
		if rerr := stx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into a NotFound error naming what was sought.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fail.New(fail.NotFound, format, args...)
	}
	return err
}

// page clamps a list's limit and offset.
func page(limit, offset int) (int, int) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}
