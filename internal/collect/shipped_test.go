package collect

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stats/source"
)

// shippedStructure returns the code lists and dataflows cpcj ships.
func shippedStructure(t testing.TB) *stats.Structure {
	t.Helper()
	ref, err := source.LoadReference(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	return stats.NewStructure(ref.Codelists, ref.Dataflows)
}

func TestShipped(t *testing.T) {
	tables, rules, err := Shipped(data.FS, shippedStructure(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tab := range tables {
		ids = append(ids, tab.ID)
	}
	if want := []string{"OFFENCES_POLICE", "OFFENCES_CYBER", "VICTIMS_ASSAULT", "VICTIMS_SEXUAL"}; !slices.Equal(ids, want) {
		t.Errorf("tables %v, want %v", ids, want)
	}
	kinds := map[RuleKind]int{}
	for _, r := range rules {
		if !r.Enabled {
			t.Errorf("rule %d (%s) is shipped disabled", r.ID, r.Name)
		}
		kinds[r.Kind]++
	}
	// No shipped table lays out the justice chain, so no order rule.
	want := map[RuleKind]int{Sum: 7, Count: 1, Rate: 1, Outlier: 2, Complete: 3}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s rules, want %d", kinds[k], k, n)
		}
	}
	if kinds[Order] != 0 {
		t.Errorf("%d order rules shipped", kinds[Order])
	}
}

// TestShippedBadFiles checks that a mistake in a shipped file is named
// with the file, the line and the field.
func TestShippedBadFiles(t *testing.T) {
	st := shippedStructure(t)
	tables, err := fs.ReadFile(data.FS, TablesFile)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := fs.ReadFile(data.FS, RulesFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file, old, new, want string
	}{
		{"a code", TablesFile, `"07041"`, `"07049"`, `data/collection/tables.json line 2: table OFFENCES_POLICE, rows.codes: "07049" is not a code of CL_ICCS`},
		{"a label", TablesFile, `"Kidnapping",`, ``, `data/collection/tables.json line 2: table OFFENCES_POLICE, rows.labels: 20 labels for 21 codes`},
		{"a rule", RulesFile, `,F M,`, `,F X,`, `data/collection/rules.csv line 2, column parts: "X" is not a code of CL_SEX`},
		{"a table of a rule", RulesFile, `,VICTIMS_SEXUAL,`, `,VICTIMS_SEX,`, `data/collection/rules.csv line 15, column table: No table has the id "VICTIMS_SEX"`},
	} {
		files := fstest.MapFS{TablesFile: {Data: tables}, RulesFile: {Data: rules}}
		before := string(files[c.file].Data)
		if !strings.Contains(before, c.old) {
			t.Fatalf("%s: %q is not in %s", c.name, c.old, c.file)
		}
		files[c.file] = &fstest.MapFile{Data: []byte(strings.Replace(before, c.old, c.new, 1))}
		if _, _, err := Shipped(files, st); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %s", c.name, err, c.want)
		}
	}
}

// TestShippedTablesUseTheData checks that the tables ask for the series
// the published data hold: every ICCS category, relationship and cyber
// code of the OFFENCES and VICTIMS counts is a cell of a table, and
// every code a table lays out is one the data use (or a total).
func TestShippedTablesUseTheData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the shipped statistics")
	}
	b, err := source.Load(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables, _, err := Shipped(data.FS, shippedStructure(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, flow := range []string{"OFFENCES", "VICTIMS"} {
		g := newCellGrid(tables, flow, "-")
		used := map[string]bool{}
		for _, o := range b.Obs[flow] {
			k := o.Key
			used[k.Dim("ICCS")+" "+k.Dim("SEX")+" "+k.Dim("RELATIONSHIP")+" "+k.Dim("CYBER")] = true
			k[keyArea] = "-"
			if g.find(k) < 0 {
				t.Errorf("%s: the vpast series %s is in no table", flow, o.Key)
				break
			}
		}
		for n := range g.size {
			k := g.cell(n).key
			if k.Dim("SEX") == "_T" && flow == "VICTIMS" || k.Dim("RELATIONSHIP") == "_T" {
				continue // totals the tables add
			}
			if !used[k.Dim("ICCS")+" "+k.Dim("SEX")+" "+k.Dim("RELATIONSHIP")+" "+k.Dim("CYBER")] {
				t.Errorf("%s: the cell %s is in no vpast series", flow, k)
			}
		}
	}
}

// TestShippedRulesOnPublishedData validates every State's published 2018
// figures, as if submitted, against the years before: what a focal point
// would see. Published counts break no error rule; the warnings are the
// ones the data explain (outliers, sub-categories above their category).
func TestShippedRulesOnPublishedData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the shipped statistics")
	}
	b, err := source.Load(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables, rules, err := Shipped(data.FS, shippedStructure(t))
	if err != nil {
		t.Fatal(err)
	}
	pop := stats.NewPopulations(b.Obs["POPULATION"])
	byRule := map[string]int{}
	submissions := 0
	for _, flow := range []string{"OFFENCES", "VICTIMS"} {
		subs := map[string][]Value{}
		hist := map[string][]stats.Observation{}
		for _, o := range b.Obs[flow] {
			area := o.Key[keyArea]
			switch {
			case o.Period.Year == 2018:
				subs[area] = append(subs[area], Value{Key: o.Key, Period: o.Period, Value: o.Value, Status: o.Status, Origin: "published"})
			case o.Period.Year < 2018:
				hist[area] = append(hist[area], o)
			}
		}
		for area, vs := range subs {
			submissions++
			fs := Validate(Input{Scope: Scope{Flow: flow, State: area, Year: 2018}, Tables: tables, Rules: rules, Values: vs, History: hist[area], Population: pop})
			for _, f := range fs {
				byRule[f.Rule]++
				if f.Severity == Error {
					t.Errorf("%s %s: %s", flow, area, f)
				}
				if !strings.Contains(f.Message, ": ") {
					t.Errorf("the finding does not name its cell: %s", f)
				}
			}
		}
	}
	if submissions < 100 {
		t.Errorf("%d submissions", submissions)
	}
	// The outlier and completeness rules find something in real data.
	t.Logf("%d submissions: %v", submissions, byRule)
	for _, name := range []string{"Change from the previous year beyond 50 %", "Far from the State's previous ten years", "Offences: required categories given"} {
		if byRule[name] == 0 {
			t.Errorf("no finding of %q", name)
		}
	}
}
