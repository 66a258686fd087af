// Package storetest opens fresh, migrated databases for tests on both
// engines: SQLite always, and PostgreSQL when CPCJ_TEST_DATABASE_URL names a
// server (CI always sets it). Each PostgreSQL database is a schema of its
// own, dropped when the test ends, so tests may run in parallel.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/store"
)

// EnvURL is the variable that names the PostgreSQL test server.
const EnvURL = "CPCJ_TEST_DATABASE_URL"

// Engines returns the engines this run can test.
func Engines() []store.Engine {
	if os.Getenv(EnvURL) != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Each runs f as a subtest on a fresh database of every engine.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			f(t, Open(t, e))
		})
	}
}

// URL returns a database URL for a fresh, empty database of the engine.
func URL(t testing.TB, e store.Engine) string {
	t.Helper()
	if e == store.SQLite {
		return filepath.Join(t.TempDir(), "cpcj.db")
	}
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skipf("PostgreSQL tests need %s", EnvURL)
	}
	schema := fmt.Sprintf("t_%d_%s", time.Now().UnixNano(), strings.ToLower(account.NewSecret(4)))
	schema = strings.NewReplacer("-", "_").Replace(schema)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh, migrated database of the engine, closed when the
// test ends.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	u := URL(t, e)
	if e == store.SQLite {
		// Migrating loads the shipped data (tens of thousands of
		// observations); each test starts from a copy of one migrated
		// database instead.
		tmpl, err := sqliteTemplate()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(u, tmpl, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, u, store.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// sqliteTemplate is the file of a freshly migrated SQLite database, made
// once per test binary.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "cpcj-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	path := filepath.Join(dir, "template.db")
	db, err := store.Open(ctx, path, store.Options{MaxOpenConns: 1})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	copyPath := filepath.Join(dir, "copy.db")
	if err := db.Backup(ctx, copyPath); err != nil {
		db.Close()
		return nil, err
	}
	db.Close()
	return os.ReadFile(copyPath)
})
