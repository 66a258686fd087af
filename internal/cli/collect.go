package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
)

// The commands of the annual collection: rounds, the Excel questionnaire
// of a State, and the check of a State's file against the rules.

// collection opens the database and the collection service, acting as
// the command line (the secretariat's operator).
func collection(ctx context.Context, dbURL string) (*store.DB, *collect.Service, *stats.Structure, error) {
	db, err := statsDB(ctx, dbURL)
	if err != nil {
		return nil, nil, nil, err
	}
	lists, err := db.Codelists(ctx)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	flows, err := db.Dataflows(ctx)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	svc := &collect.Service{Store: db, Stats: db, Notes: noNotes{}, Log: slog.New(slog.DiscardHandler), Now: time.Now}
	return db, svc, stats.NewStructure(lists, flows), nil
}

// noNotes drops notices: the commands here send none.
type noNotes struct{}

func (noNotes) Notify(context.Context, int64, string, string, string) error { return nil }

var cliActor = access.System("cpcj stats")

func statsRound(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("use: cpcj stats round open|list|close [flags]")
	}
	switch args[0] {
	case "open":
		return roundOpen(ctx, env, args[1:])
	case "list":
		return roundList(ctx, env, args[1:])
	case "close":
		return roundClose(ctx, env, args[1:])
	}
	return usageErr("unknown round command %q: use open, list or close", args[0])
}

func roundOpen(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "stats round open", "--name NAME --year YEAR --opens DATE --due DATE [--tables ID,ID]",
		"Opens a collection round for a reference year with the shipped questionnaire tables (data/collection/tables.json), all of them or those named.")
	var dbURL, name, opens, due, tables string
	var year int
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&name, "name", "", `the round's name, e.g. "UN-CTS 2024"`)
	fs.IntVar(&year, "year", 0, "the reference year asked")
	fs.StringVar(&opens, "opens", "", "the opening date, YYYY-MM-DD (default today)")
	fs.StringVar(&due, "due", "", "the due date, YYYY-MM-DD")
	fs.StringVar(&tables, "tables", "", "the tables, by id, separated by commas (default all)")
	if err := parse(env, s, args); err != nil {
		return err
	}
	r := collect.Round{Name: name, Year: year, OpensOn: civil.Today()}
	var err error
	if opens != "" {
		if r.OpensOn, err = civil.Parse(opens); err != nil {
			return usageErr("--opens %q: write the date as YYYY-MM-DD", opens)
		}
	}
	if r.DueOn, err = civil.Parse(due); err != nil {
		return usageErr("--due %q: write the date as YYYY-MM-DD", due)
	}
	db, _, st, err := collection(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	all, _, err := collect.Shipped(data.FS, st)
	if err != nil {
		return err
	}
	for _, t := range all {
		if tables == "" || slices.Contains(strings.Split(tables, ","), t.ID) {
			r.Tables = append(r.Tables, t)
		}
	}
	if tables != "" && len(r.Tables) != len(strings.Split(tables, ",")) {
		var ids []string
		for _, t := range all {
			ids = append(ids, t.ID)
		}
		return usageErr("--tables %q: the tables are %s", tables, strings.Join(ids, ", "))
	}
	if r, err = db.OpenRound(ctx, cliActor, r); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "round %d opened: %s, reference year %d, from %s, due %s, %d tables\n", r.ID, r.Name, r.Year, r.OpensOn, r.DueOn, len(r.Tables))
	return nil
}

func roundList(ctx context.Context, env Env, args []string) error {
	_, s := flags(env, "stats round list", "", "Lists the collection rounds, newest first, with how many tables were sent.")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	if err := parse(env, s, args); err != nil {
		return err
	}
	db, err := statsDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	rounds, err := db.Rounds(ctx, cliActor)
	if err != nil {
		return err
	}
	if len(rounds) == 0 {
		fmt.Fprintln(env.Stdout, "no collection round yet: open one with cpcj stats round open")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tYEAR\tOPENS\tDUE\tSTATUS\tSENT")
	for _, r := range rounds {
		subs, err := db.Submissions(ctx, cliActor, r.ID)
		if err != nil {
			return err
		}
		sent := 0
		for _, sub := range subs {
			if sub.Status != collect.Draft {
				sent++
			}
		}
		status := "open"
		if r.ClosedAt != nil {
			status = "closed"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%d tables from %d submissions\n", r.ID, r.Name, r.Year, r.OpensOn, r.DueOn, status, sent, len(subs))
	}
	return tw.Flush()
}

func roundClose(ctx context.Context, env Env, args []string) error {
	_, s := flags(env, "stats round close", "ID", "Closes a round: States can send no more data to it.")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	flagArgs, pos := interleave(args)
	if err := parse(env, s, flagArgs); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("give the round's id: cpcj stats round close ID")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return usageErr("%q is not a round id", pos[0])
	}
	db, err := statsDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.CloseRound(ctx, cliActor, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "round %d (%s) closed\n", r.ID, r.Name)
	return nil
}

func statsWorkbook(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "stats workbook", "--round ID --state ISO3 [--out FILE]",
		"Writes the Excel questionnaire of a State for a round, prefilled with its draft or its published figures, to FILE or standard output.")
	var dbURL, state, out string
	var round int64
	config.BindDatabase(s, &dbURL)
	fs.Int64Var(&round, "round", 0, "the round's id (cpcj stats round list)")
	fs.StringVar(&state, "state", "", "the State, ISO 3166-1 alpha-3, e.g. KEN")
	fs.StringVar(&out, "out", "", "the file to write (default standard output)")
	if err := parse(env, s, args); err != nil {
		return err
	}
	if round == 0 || state == "" {
		return usageErr("give the round and the State: cpcj stats workbook --round ID --state ISO3")
	}
	db, svc, _, err := collection(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.Participant(ctx, strings.ToUpper(state))
	if err != nil {
		return err
	}
	wb, err := svc.Workbook(ctx, cliActor, round, p.Code, p.Name)
	if err != nil {
		return err
	}
	var w io.Writer = env.Stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := collect.WriteWorkbook(w, wb); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(env.Stderr, "%s: the %s questionnaire of %s, %d tables\n", out, wb.Round, wb.StateName, len(wb.Sheets))
	}
	return nil
}

// collectionCheck reads a State's file for a round (its Excel
// questionnaire, or CSV / SDMX-CSV for one dataflow), and prints what it
// would change in the State's draft and what the rules find. It stores
// nothing: a State's figures are saved by its focal point.
func collectionCheck(ctx context.Context, env Env, dbURL, file string, round int64, state, flow string, decimalComma bool) error {
	db, svc, _, err := collection(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.Participant(ctx, strings.ToUpper(state))
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if kind, err := collect.FileKind(f); err == nil && kind == collect.CSVFile && flow == "" {
		return usageErr("a CSV file answers one dataflow: give it with --flow")
	}
	byScope, err := svc.ReadFile(ctx, cliActor, round, p.Code, p.Name, collect.File{Name: file, Size: info.Size(), Flow: flow, DecimalComma: decimalComma}, f)
	if err != nil {
		return refused(env, file, err)
	}
	previews, err := svc.DryRun(ctx, cliActor, round, byScope)
	if err != nil {
		return err
	}
	errs := 0
	for _, pv := range previews {
		c := pv.Changes
		fmt.Fprintf(env.Stdout, "%s: %d values; against the draft: %d added, %d changed, %d removed, %d the same\n",
			pv.Scope, len(byScope[pv.Scope]), len(c.Added), len(c.Changed), len(c.Removed), c.Same)
		for _, fd := range pv.Findings {
			note := ""
			if fd.Severity == collect.Warning && fd.Explained {
				note = " (explained by a comment)"
			}
			fmt.Fprintf(env.Stdout, "  %s%s\n", fd, note)
		}
		errs += pv.Errors()
	}
	if errs > 0 {
		return fmt.Errorf("%s: %d error(s): correct them before the file can be saved", file, errs)
	}
	fmt.Fprintf(env.Stdout, "%s: no error (checked only: a State's figures are saved by its focal point)\n", file)
	return nil
}

// refused prints the problems of a file that could not be read, and
// returns the command's error.
func refused(env Env, file string, err error) error {
	var ps *stats.Problems
	var sp *collect.SheetProblems
	var list []fmt.Stringer
	more := 0
	switch {
	case errors.As(err, &ps):
		for _, p := range ps.List {
			list = append(list, p)
		}
		more = ps.More
	case errors.As(err, &sp):
		for _, p := range sp.List {
			list = append(list, p)
		}
		more = sp.More
	default:
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(env.Stderr, "%s: %d problem(s):\n", file, len(list)+more)
	for _, p := range list {
		fmt.Fprintf(env.Stderr, "  %s\n", p)
	}
	if more > 0 {
		fmt.Fprintf(env.Stderr, "  … and %d more\n", more)
	}
	return fmt.Errorf("%s could not be read", file)
}
