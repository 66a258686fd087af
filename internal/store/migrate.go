package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one step of the schema: SQL from migrations/, or Go code for
// loading reference data that ships with the program.
type migration struct {
	version int
	name    string
	sql     string
	load    func(ctx context.Context, t *tx) error
}

// migrations returns every step in order. Go steps are listed here by
// version, between the SQL files.
func migrations() ([]migration, error) {
	var ms []migration
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", base)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	ms = append(ms,
		migration{version: 2, name: "load_participants", load: loadParticipants},
		migration{version: 4, name: "load_treaties", load: loadTreaties},
		migration{version: 6, name: "load_statistics", load: loadStatistics},
		migration{version: 8, name: "collect_rules", load: loadRules},
	)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	// A Go step of the same version as a SQL file is one step with it,
	// run after its SQL in the same transaction: it seeds the table the
	// file creates.
	joined := ms[:0]
	for _, m := range ms {
		if n := len(joined); n > 0 && joined[n-1].version == m.version && joined[n-1].load == nil && m.sql == "" {
			joined[n-1].load = m.load
			continue
		}
		joined = append(joined, m)
	}
	ms = joined
	for i := range ms {
		if ms[i].version != i+1 {
			return nil, fmt.Errorf("migration %d (%s) is out of sequence: want version %d", ms[i].version, ms[i].name, i+1)
		}
	}
	return ms, nil
}

const createMigrationTable = `CREATE TABLE IF NOT EXISTS schema_migration (
    version    INT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL
)`

// Migrate applies the migrations the database lacks and returns their names.
// Several servers may call it at once: on PostgreSQL an advisory lock lets
// one of them apply each step.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	// CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin on
	// PostgreSQL, so the table is made under the lock too.
	err = db.inTx(ctx, func(t *tx) error {
		if err := db.migrationLock(ctx, t); err != nil {
			return err
		}
		_, err := t.exec(ctx, db.ddl(createMigrationTable))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create schema_migration: %w", err)
	}
	var applied []string
	for _, m := range ms {
		err := db.inTx(ctx, func(t *tx) error {
			if err := db.migrationLock(ctx, t); err != nil {
				return err
			}
			var n int
			if err := t.queryRow(ctx, "SELECT COUNT(*) FROM schema_migration WHERE version = ?", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if m.sql != "" {
				if _, err := t.exec(ctx, db.ddl(m.sql)); err != nil {
					return err
				}
			}
			if m.load != nil {
				if err := m.load(ctx, t); err != nil {
					return err
				}
			}
			if _, err := t.exec(ctx, "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, db.now()); err != nil {
				return err
			}
			applied = append(applied, fmt.Sprintf("%04d_%s", m.version, m.name))
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return applied, nil
}

// migrationLock lets one server at a time migrate a PostgreSQL database,
// until the transaction ends; SQLite's single writer needs nothing.
func (db *DB) migrationLock(ctx context.Context, t *tx) error {
	if db.engine != Postgres {
		return nil
	}
	// The first key is cpcj's own; the second is the schema's, so that
	// databases in different schemas of one server migrate side by side.
	_, err := t.exec(ctx, "SELECT pg_advisory_xact_lock(7270193, hashtext(current_schema()))")
	return err
}

// SchemaVersion returns the database's schema version and the version this
// program expects.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, err
	}
	want = len(ms)
	// A database that was never migrated has no schema_migration table;
	// any other failure is an error, not "version 0".
	var tables int
	exists := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migration'"
	if db.engine == Postgres {
		exists = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migration'"
	}
	if err := db.read.QueryRowContext(ctx, exists).Scan(&tables); err != nil {
		return 0, want, err
	}
	if tables == 0 {
		return 0, want, nil
	}
	err = db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migration").Scan(&have)
	return have, want, err
}
