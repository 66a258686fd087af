package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cpcj/cpcj/internal/fail"
)

// Backup writes a consistent copy of a SQLite database to path while the
// database stays online (VACUUM INTO reads one snapshot), then checks the
// copy. PostgreSQL is backed up with its own tools.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.engine != SQLite {
		return fail.New(fail.Invalid, "cpcj backup copies SQLite databases; back up PostgreSQL with pg_dump (see the README)")
	}
	if _, err := os.Stat(path); err == nil {
		return fail.New(fail.Conflict, "%s exists already; choose a new file name", path)
	}
	if _, err := db.write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("copy database: %w", err)
	}
	if _, _, err := CheckFile(ctx, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("the copy failed its check and was removed: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity and foreign-key checks.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if db.engine != SQLite {
		return nil
	}
	return integrity(ctx, db.read)
}

func integrity(ctx context.Context, q *sql.DB) error {
	var res string
	if err := q.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	rows, err := q.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		return fmt.Errorf("foreign key check: a row refers to a missing record")
	}
	return rows.Err()
}

// CheckFile opens a SQLite file read-only and checks that it is a sound
// cpcj database; it returns the file's schema version and the version this
// program expects.
func CheckFile(ctx context.Context, path string) (have, want int, err error) {
	if _, err := os.Stat(path); err != nil {
		return 0, 0, err
	}
	q, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, 0, err
	}
	defer q.Close()
	if err := integrity(ctx, q); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	db := &DB{engine: SQLite, read: q, write: q}
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migration").Scan(&have); err != nil {
		return 0, 0, fmt.Errorf("%s is not a cpcj database: %w", path, err)
	}
	_, want, err = db.SchemaVersion(ctx)
	return have, want, err
}

// Restore replaces the SQLite database at target with the backup at src,
// after checking the backup. The database being replaced is kept beside it
// under a dated name. No server may be running on target meanwhile.
func Restore(ctx context.Context, src, target string) (kept string, err error) {
	have, want, err := CheckFile(ctx, src)
	if err != nil {
		return "", err
	}
	if have > want {
		return "", fmt.Errorf("%s has schema version %d, newer than this program's %d: restore it with a newer cpcj", src, have, want)
	}
	tmp := target + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if _, err := os.Stat(target); err == nil {
		stamp := time.Now().UTC().Format("20060102T150405Z")
		kept = fmt.Sprintf("%s.before-restore-%s", target, stamp)
		// A second restore within the same second must not overwrite the
		// database the first one kept.
		for i := 2; exists(kept); i++ {
			kept = fmt.Sprintf("%s.before-restore-%s-%d", target, stamp, i)
		}
		// The checkpoint folds the WAL into the file, so the kept copy is whole.
		if q, err := sql.Open("sqlite", "file:"+target+"?_pragma=busy_timeout(5000)"); err == nil {
			q.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
			q.Close()
		}
		if err := os.Rename(target, kept); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	// A write-ahead log the checkpoint could not fold in (a server still
	// running) goes with the kept copy rather than being lost.
	for _, suffix := range []string{"-wal", "-shm"} {
		if kept != "" && exists(target+suffix) {
			if err := os.Rename(target+suffix, kept+suffix); err != nil {
				return kept, fmt.Errorf("keep the write-ahead log beside %s: %w", kept, err)
			}
		}
		if err := os.Remove(target + suffix); err != nil && !os.IsNotExist(err) {
			return kept, err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return kept, err
	}
	return kept, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
