package storetest_test

import (
	"database/sql"
	"net/url"
	"os"
	"slices"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

func TestEachRunsEveryEngine(t *testing.T) {
	var ran []store.Engine
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ran = append(ran, db.Engine())
		have, want, err := db.SchemaVersion(t.Context())
		if err != nil || have != want || have == 0 {
			t.Errorf("schema version %d, want %d (%v): not migrated", have, want, err)
		}
	})
	if !slices.Equal(ran, storetest.Engines()) {
		t.Errorf("ran on %v, want %v", ran, storetest.Engines())
	}
	if os.Getenv(storetest.EnvURL) != "" && !slices.Contains(ran, store.Postgres) {
		t.Errorf("%s is set but PostgreSQL was not tested", storetest.EnvURL)
	}
}

// Each test gets a schema of its own, and leaves none behind.
func TestPostgresSchemas(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skipf("needs %s", storetest.EnvURL)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	exists := func(schema string) bool {
		t.Helper()
		var n int
		if err := admin.QueryRow("SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	var schemas []string
	t.Run("use", func(t *testing.T) {
		for range 2 {
			u, err := url.Parse(storetest.URL(t, store.Postgres))
			if err != nil {
				t.Fatal(err)
			}
			s := u.Query().Get("search_path")
			if s == "" || !exists(s) {
				t.Fatalf("URL %s names no schema that exists", u.Redacted())
			}
			schemas = append(schemas, s)
		}
		if schemas[0] == schemas[1] {
			t.Errorf("two URLs share the schema %s", schemas[0])
		}
	})
	for _, s := range schemas {
		if exists(s) {
			t.Errorf("schema %s outlived its test", s)
		}
	}
}
