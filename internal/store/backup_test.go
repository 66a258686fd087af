package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// openFile opens the SQLite database at path, closed when the test ends.
func openFile(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// allEmails lists every account's address.
func allEmails(t *testing.T, db *store.DB) []string {
	t.Helper()
	us, _, err := db.Users(t.Context(), root, account.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return emails(us)
}

func TestBackup(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		path := filepath.Join(t.TempDir(), "copy.db")
		if db.Engine() == store.Postgres {
			err := db.Backup(t.Context(), path)
			wantKind(t, err, fail.Invalid)
			if !strings.Contains(err.Error(), "pg_dump") {
				t.Errorf("message %q does not say what to use instead", err)
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("a file was written")
			}
			return
		}
		newCast(t, db)
		if err := db.Backup(t.Context(), path); err != nil {
			t.Fatal(err)
		}
		have, want, err := store.CheckFile(t.Context(), path)
		if err != nil || have != want || have == 0 {
			t.Fatalf("CheckFile = %d, %d, %v", have, want, err)
		}
		cp := openFile(t, path)
		if got, orig := allEmails(t, cp), allEmails(t, db); !slices.Equal(got, orig) {
			t.Errorf("copy holds %v, want %v", got, orig)
		}
		if n, m := auditCount(t, cp), auditCount(t, db); n != m {
			t.Errorf("copy's trail has %d records, want %d", n, m)
		}

		// An existing file is never overwritten.
		before, _ := os.ReadFile(path)
		addUser(t, db, account.User{Email: "later@example.org", Role: access.Admin})
		wantKind(t, db.Backup(t.Context(), path), fail.Conflict)
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Error("a refused backup changed the existing file")
		}
	})
}

// sqliteFile makes a fresh, migrated SQLite database holding one account
// per address, and returns its path; the database is closed.
func sqliteFile(t *testing.T, addrs ...string) string {
	t.Helper()
	path := storetest.URL(t, store.SQLite)
	db, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		addUser(t, db, account.User{Email: a, Role: access.Secretariat})
	}
	return path
}

// backupOf writes a backup of the SQLite database at path.
func backupOf(t *testing.T, path string) string {
	t.Helper()
	db := openFile(t, path)
	out := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	return out
}

// rawSQLite runs statements on a SQLite file with the driver alone.
func rawSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	q, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for _, s := range stmts {
		if _, err := q.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRestore(t *testing.T) {
	t.Parallel()
	// Restore works on SQLite files; PostgreSQL has its own tools.
	target := sqliteFile(t, "before@example.org")
	src := backupOf(t, target)
	func() {
		db := openFile(t, target)
		addUser(t, db, account.User{Email: "after@example.org", Role: access.Admin})
		db.Close()
	}()

	kept, err := store.Restore(t.Context(), src, target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(kept, target+".before-restore-") {
		t.Errorf("kept as %q", kept)
	}
	got := allEmails(t, openFile(t, target))
	if !slices.Equal(got, []string{"before@example.org"}) {
		t.Errorf("restored database holds %v, want the backup's accounts", got)
	}
	old := openFile(t, kept)
	if got := allEmails(t, old); !slices.Equal(got, []string{"after@example.org", "before@example.org"}) {
		t.Errorf("kept database holds %v, want the replaced database's accounts", got)
	}
	auditCount(t, old)
	if _, err := os.Stat(target + ".restoring"); err == nil {
		t.Error("the temporary copy was left behind")
	}
	// The backup itself is left as it was, for another restore.
	if _, _, err := store.CheckFile(t.Context(), src); err != nil {
		t.Errorf("backup after restore: %v", err)
	}

	// Onto a new machine: nothing to keep.
	fresh := filepath.Join(t.TempDir(), "new", "cpcj.db")
	kept, err = store.Restore(t.Context(), src, fresh)
	if err != nil || kept != "" {
		t.Fatalf("restore to a new file: kept %q, %v", kept, err)
	}
	if got := allEmails(t, openFile(t, fresh)); !slices.Equal(got, []string{"before@example.org"}) {
		t.Errorf("new database holds %v", got)
	}
}

// A database whose last changes are still in its write-ahead log, as a
// crashed server leaves it, is kept whole.
func TestRestoreKeepsWriteAheadLog(t *testing.T) {
	t.Parallel()
	live := sqliteFile(t)
	src := backupOf(t, live)
	db := openFile(t, live)
	addUser(t, db, account.User{Email: "in-the-log@example.org", Role: access.Admin})
	// Copy the file and its log while the database is open, as a crash
	// would leave them.
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := store.Restore(t.Context(), src, crashed)
	if err != nil {
		t.Fatal(err)
	}
	if got := allEmails(t, openFile(t, kept)); !slices.Equal(got, []string{"in-the-log@example.org"}) {
		t.Errorf("kept database holds %v, want the change from its log", got)
	}
	if got := allEmails(t, openFile(t, crashed)); len(got) != 0 {
		t.Errorf("restored database holds %v, want the backup's (none)", got)
	}
}

// Two restores in a row keep both databases they replaced.
func TestRestoreTwiceKeepsBoth(t *testing.T) {
	t.Parallel()
	target := sqliteFile(t, "first@example.org")
	src := backupOf(t, sqliteFile(t, "backup@example.org"))
	kept1, err := store.Restore(t.Context(), src, target)
	if err != nil {
		t.Fatal(err)
	}
	kept2, err := store.Restore(t.Context(), src, target)
	if err != nil {
		t.Fatal(err)
	}
	if kept1 == kept2 {
		t.Fatalf("both restores kept the replaced database as %s", kept1)
	}
	if got := allEmails(t, openFile(t, kept1)); !slices.Equal(got, []string{"first@example.org"}) {
		t.Errorf("first kept database holds %v", got)
	}
	if got := allEmails(t, openFile(t, kept2)); !slices.Equal(got, []string{"backup@example.org"}) {
		t.Errorf("second kept database holds %v", got)
	}
}

func TestRestoreRefuses(t *testing.T) {
	t.Parallel()
	good := backupOf(t, sqliteFile(t, "someone@example.org"))
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		src    func(t *testing.T, path string) // writes the source file
		reason string                          // part of the error
	}{
		{"missing file", func(*testing.T, string) {}, "no such file"},
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("name,email\nsomeone,someone@example.org\n"), 0o600)
		}, "not a database"},
		{"another program's database", func(t *testing.T, path string) {
			rawSQLite(t, path, "CREATE TABLE note (body TEXT)", "INSERT INTO note VALUES ('hello')")
		}, "not a cpcj database"},
		{"empty file", func(t *testing.T, path string) { os.WriteFile(path, nil, 0o600) }, "not a cpcj database"},
		{"damaged header", func(t *testing.T, path string) {
			b := bytes.Clone(goodBytes)
			copy(b, "SQLite format 9")
			os.WriteFile(path, b, 0o600)
		}, "not a database"},
		{"damaged pages", func(t *testing.T, path string) {
			b := bytes.Clone(goodBytes)
			mid := len(b) / 2 / 4096 * 4096
			copy(b[mid:], bytes.Repeat([]byte{0xa5}, 3*4096))
			os.WriteFile(path, b, 0o600)
		}, "integrity check"},
		{"newer schema", func(t *testing.T, path string) {
			os.WriteFile(path, goodBytes, 0o600)
			rawSQLite(t, path, "INSERT INTO schema_migration (version, name, applied_at) VALUES (999, 'future', '2099-01-01 00:00:00.000000Z')")
		}, "newer than this program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := sqliteFile(t, "current@example.org")
			before := fileSum(t, target)
			src := filepath.Join(t.TempDir(), "src.db")
			tt.src(t, src)
			kept, err := store.Restore(context.Background(), src, target)
			if err == nil {
				t.Fatal("restored")
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q, want it to mention %q", err, tt.reason)
			}
			if kept != "" {
				t.Errorf("kept = %q", kept)
			}
			if fileSum(t, target) != before {
				t.Error("the target was changed")
			}
			left, _ := filepath.Glob(target + ".*")
			if len(left) > 0 {
				t.Errorf("files left beside the target: %v", left)
			}
			if got := allEmails(t, openFile(t, target)); !slices.Equal(got, []string{"current@example.org"}) {
				t.Errorf("target holds %v", got)
			}
		})
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
