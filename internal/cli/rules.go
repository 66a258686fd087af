package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/config"
)

// The validation rules of the collection live in the database, seeded
// from data/collection/rules.csv; the secretariat edits them on the
// collection's rules page. The command line lists them, or exports them
// in the shipped file's form.

func statsRules(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usageErr("use: cpcj stats rules list [--csv]")
	}
	fs, s := flags(env, "stats rules list", "[--csv]",
		"Lists the validation rules of the collection as they stand in the database, enabled or not; with --csv, writes them in the form of data/collection/rules.csv.")
	var dbURL string
	var asCSV bool
	config.BindDatabase(s, &dbURL)
	fs.BoolVar(&asCSV, "csv", false, "write the rules as CSV, in the columns of the shipped rules file")
	if err := parse(env, s, args[1:]); err != nil {
		return err
	}
	db, err := statsDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	rules, err := db.Rules(ctx, cliActor)
	if err != nil {
		return err
	}
	if asCSV {
		return collect.WriteRules(env.Stdout, rules)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tSEVERITY\tDATAFLOW\tENABLED\tPARAMETERS")
	for _, r := range rules {
		flow, enabled := r.Flow, "yes"
		if flow == "" {
			flow = "all"
		}
		if !r.Enabled {
			enabled = "no"
		}
		var params []string
		for _, c := range r.Kind.Reads() {
			if v := r.Params.Field(c); v != "" {
				params = append(params, c+"="+v)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Kind, r.Severity, flow, enabled, strings.Join(params, " "))
	}
	return tw.Flush()
}
