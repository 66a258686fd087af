package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/treaty"
)

func treatyCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("use: cpcj treaty status|export|import [flags]")
	}
	switch args[0] {
	case "status":
		return treatyStatus(ctx, env, args[1:])
	case "export":
		return treatyExport(ctx, env, args[1:])
	case "import":
		return treatyImport(ctx, env, args[1:])
	}
	return usageErr("unknown treaty command %q: use status, export or import", args[0])
}

// treatyService opens the database for a treaty command.
func treatyService(ctx context.Context, dbURL string) (*store.DB, *treaty.Service, error) {
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return nil, nil, err
	}
	if err := requireSchema(ctx, db); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, treaty.NewService(db, db), nil
}

// interleave lets flags follow the positional arguments, as in
// "cpcj treaty status XVIII-12 --date 2013-12-18".
func interleave(args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(positional, args[i+1:]...)
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !boolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	return flags, positional
}

func boolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "list", "dry-run", "h", "help":
		return true
	}
	return false
}

func treatyStatus(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "treaty status", "INSTRUMENT [--date YYYY-MM-DD] [--list]",
		"Prints where an instrument stands on a date: parties, States parties, signatories and entry into force. INSTRUMENT is the UN Treaty Collection number (XVIII-12) or the alias (UNTOC).")
	var dbURL, date string
	var list bool
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&date, "date", "", "the date, YYYY-MM-DD (default today)")
	fs.BoolVar(&list, "list", false, "also list the parties")
	flagArgs, pos := interleave(args)
	if err := parse(env, s, flagArgs); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("name one instrument, e.g. cpcj treaty status XVIII-12 --date 2013-12-18")
	}
	on := civil.Today()
	if date != "" {
		d, err := civil.Parse(date)
		if err != nil {
			return usageErr("--date: %v", err)
		}
		on = d
	}
	db, svc, err := treatyService(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := svc.Status(ctx, pos[0], on)
	if err != nil {
		return err
	}
	in := rep.Instrument
	fmt.Fprintf(env.Stdout, "%s (%s), %s\n", in.Title, in.ID, on)
	fmt.Fprintf(env.Stdout, "  parties          %d\n", rep.Parties)
	fmt.Fprintf(env.Stdout, "  States parties   %d\n", rep.StatesParties)
	fmt.Fprintf(env.Stdout, "  signatories      %d\n", rep.Signatories)
	switch {
	case rep.InForce:
		fmt.Fprintf(env.Stdout, "  in force since   %s\n", rep.EntryIntoForce)
	case in.Rule != nil:
		fmt.Fprintf(env.Stdout, "  not yet in force\n")
	}
	fmt.Fprintf(env.Stdout, "source: %s\n", in.Source)
	if in.RecordsAsOf.Before(on) {
		fmt.Fprintf(env.Stdout, "note: the records are as of %s; later actions are not in cpcj\n", in.RecordsAsOf)
	}
	if list {
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nCODE\tPARTICIPANT\tSIGNED\tPARTY SINCE\tACTION")
		for _, p := range rep.PartyList {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Code, p.Name, p.Signed, p.Consented, p.Action)
		}
		return tw.Flush()
	}
	return nil
}

func treatyExport(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "treaty export", "[--instrument ID]", "Writes the participation records as CSV to stdout, in the form cpcj treaty import reads.")
	var dbURL, inst string
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&inst, "instrument", "", "only this instrument (number or alias)")
	if err := parse(env, s, args); err != nil {
		return err
	}
	db, svc, err := treatyService(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	f := treaty.Filter{}
	if inst != "" {
		in, err := svc.Instrument(ctx, inst)
		if err != nil {
			return err
		}
		f.Instrument = in.ID
	}
	rs, err := db.Records(ctx, f)
	if err != nil {
		return err
	}
	return treaty.WriteCSV(env.Stdout, rs)
}

func treatyImport(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "treaty import", "FILE [--dry-run]",
		"Replaces the records of every instrument the CSV file names with the file's records, all or nothing; every rejected row is named with its reason.")
	var dbURL string
	var dry bool
	config.BindDatabase(s, &dbURL)
	fs.BoolVar(&dry, "dry-run", false, "check the file; store nothing")
	flagArgs, pos := interleave(args)
	if err := parse(env, s, flagArgs); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("give the CSV file: cpcj treaty import FILE [--dry-run]")
	}
	file, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer file.Close()
	db, svc, err := treatyService(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := svc.Import(ctx, access.System("cpcj treaty import"), file, dry)
	var ie *treaty.ImportError
	if errors.As(err, &ie) {
		fmt.Fprintf(env.Stderr, "%s: nothing was stored; %d row(s) rejected:\n", pos[0], len(ie.Rows))
		for _, r := range ie.Rows {
			fmt.Fprintf(env.Stderr, "  %s\n", r)
		}
		return fmt.Errorf("import refused")
	}
	if err != nil {
		return err
	}
	verb := "imported"
	if dry {
		verb = "checked (dry run, nothing stored)"
	}
	fmt.Fprintf(env.Stdout, "%d records %s for %s; they replace %d records\n", res.Records, verb, strings.Join(res.Instruments, ", "), res.Replaced)
	return nil
}
