package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/store"
)

func migrate(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "migrate", "[--database URL]", "Brings the database schema up to date and loads the reference data shipped with cpcj. Safe to run again, and from several servers at once.")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	if err := parse(env, s, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintf(env.Stdout, "applied %s\n", m)
	}
	if err != nil {
		return err
	}
	have, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "the %s database is up to date (schema version %d)\n", db.Engine(), have)
	} else {
		fmt.Fprintf(env.Stdout, "the %s database is at schema version %d\n", db.Engine(), have)
	}
	return nil
}

func auditCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageErr("use: cpcj audit verify [--database URL]")
	}
	fs, s := flags(env, "audit verify", "[--database URL]", "Walks the audit trail from its first record and checks every link of its hash chain. Exits with status 1 and names the first record that was altered, removed or inserted.")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	if err := parse(env, s, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := requireSchema(ctx, db); err != nil {
		return err
	}
	n, problem, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if problem != nil {
		return fmt.Errorf("the audit trail is broken: %v (%d records before it are sound)", problem, n)
	}
	fmt.Fprintf(env.Stdout, "the audit trail is intact: %d records checked\n", n)
	return nil
}

func backup(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "backup", "FILE", "Writes a consistent copy of the SQLite database to FILE while servers keep running, and checks the copy. For PostgreSQL use pg_dump (see the README).")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	if err := parse(env, s, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("give the file to write: cpcj backup FILE")
	}
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := requireSchema(ctx, db); err != nil {
		return err
	}
	start := time.Now()
	if err := db.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s in %s; it passed the integrity check\n", fs.Arg(0), time.Since(start).Round(time.Millisecond))
	return nil
}

func restore(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "restore", "FILE", "Replaces the SQLite database with the backup in FILE, after checking it. Stop every server first. The database it replaces is kept beside it under a dated name.")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	if err := parse(env, s, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("give the backup to restore: cpcj restore FILE")
	}
	if store.EngineOf(dbURL) != store.SQLite {
		return fmt.Errorf("cpcj restore replaces SQLite databases; restore PostgreSQL with pg_restore (see the README)")
	}
	kept, err := store.Restore(ctx, fs.Arg(0), dbURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s from %s\n", dbURL, fs.Arg(0))
	if kept != "" {
		fmt.Fprintf(env.Stdout, "the database it replaced is kept as %s\n", kept)
	}
	fmt.Fprintln(env.Stdout, "start the server with 'cpcj serve'; it migrates the schema if the backup is older")
	return nil
}
