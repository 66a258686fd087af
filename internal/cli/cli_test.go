package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the driver that tampers with SQLite files below

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/cli"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// result is what one run of the command printed and returned.
type result struct {
	code     int
	out, err string
}

// cpcj runs the command line with the database URL in its environment
// and stdin as its input.
func cpcj(t *testing.T, dbURL, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string {
			if k == "CPCJ_DATABASE_URL" {
				return dbURL
			}
			return ""
		},
	}
	code := cli.Main(context.Background(), args, env)
	return result{code, out.String(), errb.String()}
}

// want fails the test unless r exited with code and printed each part.
func (r result) want(t *testing.T, code int, parts ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.out, r.err)
	}
	for _, p := range parts {
		if !strings.Contains(r.out+r.err, p) {
			t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", p, r.out, r.err)
		}
	}
}

// each runs f on a fresh, empty database URL of every engine.
func each(t *testing.T, f func(t *testing.T, e store.Engine, dbURL string)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) { f(t, e, storetest.URL(t, e)) })
	}
}

const pw = "a long enough password"

func TestMigrate(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e store.Engine, dbURL string) {
		cpcj(t, dbURL, "", "migrate").want(t, 0, "applied 0001_foundation", "applied 0002_load_participants", "the "+string(e)+" database is at schema version")
		r := cpcj(t, dbURL, "", "migrate")
		r.want(t, 0, "is up to date")
		if strings.Contains(r.out, "applied") {
			t.Errorf("second migrate applied something: %s", r.out)
		}
		cpcj(t, dbURL, "", "migrate", "extra").want(t, 2, `unexpected argument "extra"`)
	})
}

func TestUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, _ store.Engine, dbURL string) {
		for _, args := range [][]string{{"user", "list"}, {"audit", "verify"}} {
			cpcj(t, dbURL, "", args...).want(t, 1, "schema is at version 0", "cpcj migrate")
		}
	})
}

func TestUsersAndAudit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e store.Engine, dbURL string) {
		cpcj(t, dbURL, "", "migrate").want(t, 0)
		cpcj(t, dbURL, "", "user", "list").want(t, 0, "no accounts yet", "--role admin")

		r := cpcj(t, dbURL, pw+"\nsecond line is ignored\n", "user", "add", "--email", "Ada@Example.org", "--name", "Ada Admin", "--role", "admin", "--password-stdin")
		r.want(t, 0, "created account", "ada@example.org (admin)")
		if strings.Contains(r.out, pw) || strings.Contains(r.out, "password:") {
			t.Errorf("a password from stdin was printed: %s", r.out)
		}
		cpcj(t, dbURL, pw+"\r\n", "user", "add", "--email", "fp@example.org", "--name", "Focal Point", "--role", "focal-point", "--state", "ken", "--password-stdin").
			want(t, 0, "fp@example.org (focal_point for KEN)")
		// Without --password-stdin a password is made and shown once.
		r = cpcj(t, dbURL, "", "user", "add", "--email", "donor@example.org", "--name", "Donor", "--role", "donor", "--contributor", "norad")
		r.want(t, 0, "donor@example.org (donor for NORAD)", "shown once")
		made := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(r.out)
		if made == nil {
			t.Fatalf("no password in %q", r.out)
		}

		db, err := store.Open(t.Context(), dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for email, want := range map[string]string{"ada@example.org": pw, "fp@example.org": pw, "donor@example.org": made[1]} {
			_, hash, err := db.Credentials(t.Context(), email)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := account.VerifyPassword(want, hash); !ok || err != nil {
				t.Errorf("%s: the password given does not verify (%v)", email, err)
			}
		}

		r = cpcj(t, dbURL, "", "user", "list")
		r.want(t, 0, "E-MAIL", "ada@example.org", "Ada Admin", "focal_point for KEN", "donor for NORAD", "active")

		// Refusals.
		cpcj(t, dbURL, pw+"\n", "user", "add", "--email", "ada@example.org", "--name", "Again", "--role", "admin", "--password-stdin").
			want(t, 1, "exists already")
		cpcj(t, dbURL, pw+"\n", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "expert", "--password-stdin").
			want(t, 1, "state")
		cpcj(t, dbURL, pw+"\n", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "expert", "--state", "XYZ", "--password-stdin").
			want(t, 1, `no participant has the code "XYZ"`)
		cpcj(t, dbURL, "short\n", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "admin", "--password-stdin").
			want(t, 1, "at least 12 characters")
		cpcj(t, dbURL, "", "user", "add", "--email", "x@example.org", "--name", "X", "--role", "admin", "--password-stdin").
			want(t, 1, "read password from stdin")

		// New password for an account.
		const next = "the administrator's new one"
		cpcj(t, dbURL, next+"\n", "user", "password", "--email", "FP@example.org", "--password-stdin").
			want(t, 0, "new password set for fp@example.org")
		_, hash, _ := db.Credentials(t.Context(), "fp@example.org")
		if ok, _ := account.VerifyPassword(next, hash); !ok {
			t.Error("user password did not set the password")
		}
		cpcj(t, dbURL, next+"\n", "user", "password", "--email", "nobody@example.org", "--password-stdin").want(t, 1, "nobody@example.org")

		// The trail holds every change and verifies.
		r = cpcj(t, dbURL, "", "audit", "verify")
		r.want(t, 0, "the audit trail is intact")
		n, _, err := db.VerifyAudit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.out, " "+strconv.FormatInt(n, 10)+" records checked") {
			t.Errorf("verify output %q, want %d records", r.out, n)
		}

		// Alter a record behind the application's back.
		driver, dsn := "sqlite", dbURL
		if e == store.Postgres {
			driver = "pgx"
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec("UPDATE audit SET summary = 'nothing happened' WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		r = cpcj(t, dbURL, "", "audit", "verify")
		r.want(t, 1, "the audit trail is broken", "audit record 3", "altered", "2 records before it are sound")
		if r.out != "" {
			t.Errorf("a broken trail printed %q on stdout", r.out)
		}
	})
}

func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e store.Engine, dbURL string) {
		dir := t.TempDir()
		file := filepath.Join(dir, "backup.db")
		cpcj(t, dbURL, "", "migrate").want(t, 0)
		cpcj(t, dbURL, pw+"\n", "user", "add", "--email", "kept@example.org", "--name", "K", "--role", "admin", "--password-stdin").want(t, 0)
		if e == store.Postgres {
			cpcj(t, dbURL, "", "backup", file).want(t, 1, "pg_dump")
			cpcj(t, dbURL, "", "restore", file).want(t, 1, "pg_restore")
			return
		}
		cpcj(t, dbURL, "", "backup").want(t, 2, "give the file to write")
		cpcj(t, dbURL, "", "backup", file).want(t, 0, "wrote "+file, "passed the integrity check")
		cpcj(t, dbURL, "", "backup", file).want(t, 1, "exists already")

		cpcj(t, dbURL, pw+"\n", "user", "add", "--email", "lost@example.org", "--name", "L", "--role", "admin", "--password-stdin").want(t, 0)
		cpcj(t, dbURL, "", "restore").want(t, 2, "give the backup to restore")
		junk := filepath.Join(dir, "junk.db")
		os.WriteFile(junk, []byte("not a database"), 0o600)
		cpcj(t, dbURL, "", "restore", junk).want(t, 1, "junk.db")
		cpcj(t, dbURL, "", "user", "list").want(t, 0, "lost@example.org")

		r := cpcj(t, dbURL, "", "restore", file)
		r.want(t, 0, "restored "+dbURL+" from "+file, "kept as "+dbURL+".before-restore-")
		r = cpcj(t, dbURL, "", "user", "list")
		r.want(t, 0, "kept@example.org")
		if strings.Contains(r.out, "lost@example.org") {
			t.Error("the restored database holds an account made after the backup")
		}
		cpcj(t, dbURL, "", "audit", "verify").want(t, 0, "intact")
		// --database wins over the environment.
		cpcj(t, filepath.Join(dir, "elsewhere.db"), "", "user", "list", "--database", dbURL).want(t, 0, "kept@example.org")
	})
}

func TestUsage(t *testing.T) {
	t.Parallel()
	dbURL := filepath.Join(t.TempDir(), "never-created.db")
	tests := []struct {
		name  string
		args  []string
		code  int
		parts []string
	}{
		{"no command", nil, 2, []string{"Usage: cpcj COMMAND", "migrate", "backup"}},
		{"help", []string{"help"}, 0, []string{"Usage: cpcj COMMAND"}},
		{"--help", []string{"--help"}, 0, []string{"Commands:"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`, "Usage: cpcj COMMAND"}},
		{"version", []string{"version"}, 0, []string{"cpcj "}},
		{"version with an argument", []string{"version", "now"}, 2, []string{"takes no arguments"}},
		{"user without a subcommand", []string{"user"}, 2, []string{"use: cpcj user add|list|password"}},
		{"unknown user subcommand", []string{"user", "remove"}, 2, []string{`unknown user command "remove"`}},
		{"user add without flags", []string{"user", "add"}, 2, []string{"--email, --name and --role are required", "--role admin"}},
		{"user add without a role", []string{"user", "add", "--email", "a@example.org", "--name", "A"}, 2, []string{"--role are required"}},
		{"user add with a bad role", []string{"user", "add", "--email", "a@example.org", "--name", "A", "--role", "boss"}, 2, []string{`--role: unknown role "boss"`}},
		{"user add with an unknown flag", []string{"user", "add", "--colour", "red"}, 2, []string{"colour"}},
		{"user password without an e-mail", []string{"user", "password"}, 2, []string{"--email is required"}},
		{"user list with an argument", []string{"user", "list", "all"}, 2, []string{`unexpected argument "all"`}},
		{"audit without verify", []string{"audit"}, 2, []string{"use: cpcj audit verify"}},
		{"audit with something else", []string{"audit", "repair"}, 2, []string{"use: cpcj audit verify"}},
		{"migrate help", []string{"migrate", "-h"}, 0, []string{"Usage: cpcj migrate", "CPCJ_DATABASE_URL"}},
		{"backup with two files", []string{"backup", "a.db", "b.db"}, 2, []string{"give the file to write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpcj(t, dbURL, "", tt.args...).want(t, tt.code, tt.parts...)
		})
	}
	if _, err := os.Stat(dbURL); err == nil {
		t.Error("a usage error created the database")
	}
	// An empty database setting is a usage error, not a file named "".
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"migrate", "--database", ""}, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 2 || !strings.Contains(errb.String(), "CPCJ_DATABASE_URL (--database) is empty") {
		t.Errorf("empty database: exit %d, %q", code, errb.String())
	}
}
