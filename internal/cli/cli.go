// Package cli is the cpcj command: its subcommands, and the one place where
// the program is wired together.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/store"
)

// Env is what a command runs in: its arguments' streams and environment.
// Tests pass their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ready, if set, is called with the server's address once it listens.
	Ready func(addr string)
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type command struct {
	name, args, about string
	run               func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "run the web server (UI, API, background jobs)", serve},
		{"migrate", "[--database URL]", "bring the database schema up to date and load reference data", migrate},
		{"user", "add|list|password|token", "manage accounts (e.g. create the first administrator)", user},
		{"audit", "verify", "check that the audit trail has not been altered", auditCmd},
		{"treaty", "status|export|import", "treaty status on a date; export and import participation records", treatyCmd},
		{"stats", "import|export|round|workbook|rules", "import statistics (SDMX-CSV, UNODC and World Bank files); export a dataflow; open collection rounds, write a State's questionnaire, check its answer, list the validation rules", statsCmd},
		{"backup", "FILE", "write a consistent copy of the SQLite database to FILE", backup},
		{"restore", "FILE", "replace the SQLite database with the backup in FILE (servers stopped)", restore},
		{"version", "", "print the version", version},
	}
}

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.Stderr, "cpcj %s: %v\n", c.name, err)
			return exitUsage
		}
		fmt.Fprintf(env.Stderr, "cpcj %s: %v\n", c.name, err)
		return exitError
	}
	fmt.Fprintf(env.Stderr, "cpcj: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return exitUsage
}

var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cpcj — information system of the UN crime prevention and criminal justice programme")
	fmt.Fprintln(w, "\nUsage: cpcj COMMAND [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %-24s %s\n", c.name, c.args, c.about)
	}
	fmt.Fprintln(w, "\nRun 'cpcj COMMAND -h' for a command's flags. Every flag has an environment variable (CPCJ_…).")
	fmt.Fprintln(w, "Start here:  cpcj serve --demo   then open http://localhost:8080")
}

// flags returns a flag set that prints its usage to the command's stderr.
func flags(env Env, name, args, about string) (*flag.FlagSet, *config.Settings) {
	fs := flag.NewFlagSet("cpcj "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	s := config.New(fs)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: cpcj %s %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nEnvironment variables:")
		s.PrintEnv(env.Stderr)
	}
	return fs, s
}

// parse parses the flags, turning a bad flag into a usage error.
func parse(env Env, s *config.Settings, args []string) error {
	if err := s.Parse(args, env.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr("%v", err)
	}
	return nil
}

// openDB opens the database for a maintenance command.
func openDB(ctx context.Context, dbURL string) (*store.DB, error) {
	if dbURL == "" {
		return nil, usageErr("CPCJ_DATABASE_URL (--database) is empty")
	}
	db, err := store.Open(ctx, dbURL, store.Options{MaxOpenConns: 4})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", config.Redact(dbURL), err)
	}
	return db, nil
}

// requireSchema refuses to work on a database whose schema is not current.
func requireSchema(ctx context.Context, db *store.DB) error {
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case have < want:
		return fmt.Errorf("the database schema is at version %d, this program needs %d: run 'cpcj migrate' first", have, want)
	case have > want:
		return fmt.Errorf("the database schema (version %d) is newer than this program (version %d): use the cpcj of the release that migrated it", have, want)
	}
	return nil
}

// Version is the program's version: the module version when built from a
// tagged module, else the VCS revision the binary was built from.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-modified"
	}
	return "dev-" + rev
}

func version(_ context.Context, env Env, args []string) error {
	if len(args) > 0 {
		return usageErr("version takes no arguments")
	}
	fmt.Fprintf(env.Stdout, "cpcj %s\n", Version())
	return nil
}

// newLogger returns the structured logger the settings ask for.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Stdio is the Env of a real process.
func Stdio() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}
