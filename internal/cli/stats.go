package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stats/source"
	"github.com/cpcj/cpcj/internal/store"
)

func statsCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("use: cpcj stats import|export|round|workbook|rules [flags]")
	}
	switch args[0] {
	case "import":
		return statsImport(ctx, env, args[1:])
	case "export":
		return statsExport(ctx, env, args[1:])
	case "round":
		return statsRound(ctx, env, args[1:])
	case "workbook":
		return statsWorkbook(ctx, env, args[1:])
	case "rules":
		return statsRules(ctx, env, args[1:])
	}
	return usageErr("unknown stats command %q: use import, export, round, workbook or rules", args[0])
}

// statsDB opens the database for a statistics command.
func statsDB(ctx context.Context, dbURL string) (*store.DB, error) {
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if err := requireSchema(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func statsImport(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "stats import", "FILE --flow ID [--format F] [--dry-run]\n  or:  cpcj stats import FILE --round ID --state ISO3 [--flow ID] --dry-run",
		"Checks every row of FILE against the code lists — SDMX-CSV 1.0, or a source format: the GSH 2013 long table, a UNODC data portal (UN-CTS) export, the WDI population table — and stores the dataflow's observations, all or nothing. Changed values become new revisions; the old ones stay queryable as of before.\n\nWith --round and --state, FILE is a State's answer to a collection round (its Excel questionnaire, or CSV / SDMX-CSV for one dataflow): it is checked against the validation rules and compared with the State's draft; the report says what would be added, changed and removed, and every finding. The command exits non-zero when a finding is an error. It stores nothing: a State's figures are saved by its focal point.")
	var dbURL, flow, format, state string
	var dry, decimalComma bool
	var round int64
	config.BindDatabase(s, &dbURL)
	fs.Int64Var(&round, "round", 0, "check FILE as a State's answer to this collection round (cpcj stats round list)")
	fs.StringVar(&state, "state", "", "with --round: the State whose file it is, ISO 3166-1 alpha-3")
	fs.BoolVar(&decimalComma, "decimal-comma", false, "with --round, for CSV: decimals are written with a comma (12,5)")
	fs.StringVar(&flow, "flow", "", "the dataflow to import into (HOMICIDE, OFFENCES, VICTIMS, POPULATION)")
	fs.StringVar(&format, "format", "", "the file's format: "+strings.Join(source.Formats, ", ")+" (default: detected from the header)")
	fs.BoolVar(&dry, "dry-run", false, "check the file; store nothing")
	flagArgs, pos := interleave(args)
	if err := parse(env, s, flagArgs); err != nil {
		return err
	}
	if round != 0 || state != "" {
		switch {
		case len(pos) != 1 || round == 0 || state == "":
			return usageErr("give the file, the round and the State: cpcj stats import FILE --round ID --state ISO3 --dry-run")
		case !dry:
			return usageErr("a State's figures are saved by its focal point; here they can only be checked: add --dry-run")
		}
		return collectionCheck(ctx, env, dbURL, pos[0], round, state, flow, decimalComma)
	}
	if len(pos) != 1 || flow == "" {
		return usageErr("give the file and the dataflow: cpcj stats import FILE --flow ID [--dry-run]")
	}
	file, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer file.Close()
	db, err := statsDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	lists, err := db.Codelists(ctx)
	if err != nil {
		return err
	}
	flows, err := db.Dataflows(ctx)
	if err != nil {
		return err
	}
	ref, err := source.LoadReference(data.FS)
	if err != nil {
		return err
	}
	progressed := false
	progress := func(rows int) {
		progressed = true
		fmt.Fprintf(env.Stderr, "\r%s: %d rows read", pos[0], rows)
	}
	// The file is checked as it is read, and stored chunk by chunk in one
	// transaction while the next chunk is read: a file of a million rows
	// is never held whole, and a file with a problem leaves nothing stored.
	st := stats.NewStructure(lists, flows)
	if !st.HasFlow(flow) {
		return fmt.Errorf("%s: no dataflow has the id %q", pos[0], flow)
	}
	// The command's live memory is a few chunks of observations, while it
	// makes a million short-lived ones: the garbage collector, at its
	// default pace, took a fifth of the import's CPU. Letting the heap
	// grow to four times the live data (about 300 MB at the peak for a
	// million rows, against 200 MB) saves most of that.
	defer debug.SetGCPercent(debug.SetGCPercent(300))
	var rep *source.Report
	var ir store.IngestReport
	checked := 0
	if dry {
		rep, err = source.CheckChunks(file, format, flow, st, ref, progress, func(chunk []stats.Observation) bool {
			checked += len(chunk)
			return true
		})
	} else {
		ir, err = db.IngestStream(ctx, access.System("cpcj stats import"), flow, func(yield func([]stats.Observation, error) bool) {
			var cerr error
			rep, cerr = source.CheckChunks(file, format, flow, st, ref, progress, func(chunk []stats.Observation) bool { return yield(chunk, nil) })
			if cerr != nil {
				yield(nil, cerr)
			}
		}, "import of "+pos[0])
	}
	if progressed {
		fmt.Fprintln(env.Stderr)
	}
	var ps *stats.Problems
	if errors.As(err, &ps) {
		fmt.Fprintf(env.Stderr, "%s: nothing was stored; %d problem(s):\n", pos[0], ps.Len())
		for _, p := range ps.List {
			fmt.Fprintf(env.Stderr, "  %s\n", p)
		}
		if ps.More > 0 {
			fmt.Fprintf(env.Stderr, "  … and %d more\n", ps.More)
		}
		return fmt.Errorf("import refused")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	fmt.Fprintf(env.Stdout, "%s: %s\n", pos[0], rep)
	if dry {
		fmt.Fprintf(env.Stdout, "%d observations of %s checked (dry run, nothing stored)\n", checked, flow)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s: %d observations added, %d revised, %d unchanged, in %d series (%d new)\n",
		flow, ir.Added, ir.Revised, ir.Unchanged, ir.Series, ir.NewSeries)
	return nil
}

func statsExport(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "stats export", "--flow ID [--key KEY] [--start P] [--end P] --format csv|sdmx-csv|xlsx",
		"Writes the dataflow's observations (those the key selects) to standard output: csv with names and provenance columns, SDMX-CSV 1.0, or an Excel workbook with a provenance sheet.")
	var dbURL, flow, key, format, start, end string
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&flow, "flow", "", "the dataflow")
	fs.StringVar(&key, "key", "", "an SDMX key, e.g. A.KEN+UGA.VIC_HOM.0101......NB (empty: all)")
	fs.StringVar(&format, "format", "csv", "csv, sdmx-csv or xlsx")
	fs.StringVar(&start, "start", "", "first period, e.g. 2005")
	fs.StringVar(&end, "end", "", "last period, e.g. 2012")
	flagArgs, pos := interleave(args)
	if err := parse(env, s, flagArgs); err != nil {
		return err
	}
	if len(pos) != 0 || flow == "" {
		return usageErr("give the dataflow: cpcj stats export --flow ID [--key KEY] --format csv|sdmx-csv|xlsx")
	}
	q := stats.Query{Flow: flow}
	var err error
	if q.Key, err = stats.ParseKey(key); err != nil {
		return usageErr("%v", err)
	}
	for _, p := range []struct {
		s   string
		dst *stats.Period
	}{{start, &q.Start}, {end, &q.End}} {
		if p.s == "" {
			continue
		}
		if *p.dst, err = stats.ParsePeriod(p.s); err != nil {
			return usageErr("%v", err)
		}
	}
	if format != "csv" && format != "sdmx-csv" && format != "xlsx" {
		return usageErr("--format %q: use csv, sdmx-csv or xlsx", format)
	}
	db, err := statsDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := db.Dataflow(ctx, flow)
	if err != nil {
		return err
	}
	obs := stats.Stream(ctx, db, q)
	if format == "sdmx-csv" {
		return stats.WriteSDMXCSV(env.Stdout, flow, obs)
	}
	lists, err := db.Codelists(ctx)
	if err != nil {
		return err
	}
	d := stats.Download{Flow: f, Codelists: lists, Selection: "key " + stats.FormatKey(q.Key) + periodsText(start, end), Generated: db.Now()}
	if format == "xlsx" {
		return d.WriteXLSX(env.Stdout, obs)
	}
	return d.WriteCSV(env.Stdout, obs)
}

func periodsText(start, end string) string {
	switch {
	case start != "" && end != "":
		return ", " + start + " to " + end
	case start != "":
		return ", from " + start
	case end != "":
		return ", to " + end
	}
	return ""
}
