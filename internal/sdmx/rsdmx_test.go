package sdmx_test

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// TestRsdmx has a real SDMX client, R's rsdmx, read the dataflows, the data
// structure with its code lists, and data for several keys in three
// representations (testdata/rsdmx.R), and compares everything it read with
// the database. It needs Rscript and the rsdmx package (Debian:
// r-cran-rsdmx); without them it is skipped, unless CPCJ_E2E=1 asks for
// every end-to-end test to run.
func TestRsdmx(t *testing.T) {
	t.Parallel()
	rscript := requireRsdmx(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		h := newHarness(t, db)
		out := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		cmd := exec.CommandContext(ctx, rscript, "--vanilla", filepath.Join("testdata", "rsdmx.R"), h.ts.URL+"/sdmx/rest", out)
		msg, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rsdmx failed: %v\n%s", err, msg)
		}
		t.Logf("rsdmx read the API in %s", time.Since(start).Round(time.Millisecond))

		checkRsdmxDataflows(t, db, readCSV(t, out, "dataflows.csv"))
		checkRsdmxStructure(t, db, readCSV(t, out, "components.csv"), readCSV(t, out, "codelists.csv"), readCSV(t, out, "references_all.csv"))
		for _, c := range rsdmxData {
			t.Run(c.file, func(t *testing.T) { checkRsdmxData(t, db, c, readCSV(t, out, c.file)) })
		}
	})
}

// requireRsdmx returns the path of Rscript, or skips the test (fails it
// under CPCJ_E2E=1) when R or rsdmx is missing.
func requireRsdmx(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CPCJ_E2E") == "1" {
			t.Fatalf("CPCJ_E2E=1 but %s (Debian: apt-get install r-cran-rsdmx)", why)
		}
		t.Skipf("%s (Debian: apt-get install r-cran-rsdmx; CPCJ_E2E=1 makes this a failure)", why)
	}
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		missing("Rscript is not installed")
	}
	if out, err := exec.Command(rscript, "--vanilla", "-e", "library(rsdmx)").CombinedOutput(); err != nil {
		missing("the R package rsdmx is not installed: " + strings.TrimSpace(string(out)))
	}
	return rscript
}

// readCSV reads a file the R script wrote, as rows keyed by column name.
func readCSV(t *testing.T, dir, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s: rsdmx read nothing", name)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = r[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func checkRsdmxDataflows(t *testing.T, db *store.DB, rows []map[string]string) {
	t.Helper()
	flows, err := db.Dataflows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(flows) {
		t.Errorf("rsdmx read %d dataflows, the database has %d", len(rows), len(flows))
	}
	got := map[string]map[string]string{}
	for _, r := range rows {
		got[r["id"]] = r
	}
	for _, f := range flows {
		r, ok := got[f.ID]
		if !ok {
			t.Errorf("rsdmx did not read the dataflow %s", f.ID)
			continue
		}
		want := map[string]string{"agency": stats.Agency, "version": stats.Version, "name": f.Name, "dsd": stats.DSDID}
		for col, v := range want {
			if r[col] != v {
				t.Errorf("dataflow %s: rsdmx read %s %q, want %q", f.ID, col, r[col], v)
			}
		}
	}
}

func checkRsdmxStructure(t *testing.T, db *store.DB, comps, codes, refs []map[string]string) {
	t.Helper()
	var want [][3]string
	for _, d := range stats.Dimensions {
		want = append(want, [3]string{"Dimension", d.ID, d.Codelist})
	}
	want = append(want, [3]string{"TimeDimension", stats.TimeDimension, ""}, [3]string{"PrimaryMeasure", stats.PrimaryMeasure, ""})
	for _, a := range stats.Attributes {
		want = append(want, [3]string{"Attribute", a.ID, a.Codelist})
	}
	var got [][3]string
	for _, c := range comps {
		got = append(got, [3]string{c["component"], c["id"], c["codelist"]})
	}
	if !slices.Equal(got, want) {
		t.Errorf("rsdmx read the components\n%v\nwant\n%v", got, want)
	}

	lists, err := db.Codelists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]map[string]string{}
	for _, c := range codes {
		if read[c["codelist"]] == nil {
			read[c["codelist"]] = map[string]string{}
		}
		read[c["codelist"]][c["id"]] = c["name"]
	}
	var used []string
	for _, w := range want {
		if w[2] != "" {
			used = append(used, w[2])
		}
	}
	n := 0
	for _, l := range lists {
		if !slices.Contains(used, l.ID) {
			continue
		}
		n++
		if len(read[l.ID]) != len(l.Codes) {
			t.Errorf("code list %s: rsdmx read %d codes, the database has %d", l.ID, len(read[l.ID]), len(l.Codes))
		}
		for _, c := range l.Codes {
			if name, ok := read[l.ID][c.ID]; !ok || name != c.Name {
				t.Errorf("code list %s code %s: rsdmx read %q (found %v), want %q", l.ID, c.ID, name, ok, c.Name)
			}
		}
	}
	if n != len(read) || n != len(used) {
		t.Errorf("rsdmx read %d code lists, the data structure uses %d and the database has %d of them", len(read), len(used), n)
	}
	var all []string
	for _, r := range refs {
		all = append(all, r["codelist"])
	}
	slices.Sort(all)
	slices.Sort(used)
	if !slices.Equal(all, used) {
		t.Errorf("dataflow?references=all: rsdmx read the code lists %v, want %v", all, used)
	}
}

// rsdmxQuery is a data query of testdata/rsdmx.R, as the store reads it.
type rsdmxQuery struct {
	file       string
	flow, key  string
	start, end string
	lastN      int
	min        int  // at least this many observations, so that the check means something
	labels     bool // rsdmx labelled the areas with their names
	missing    bool // some observation has no value, and a comment saying why
}

var rsdmxData = []rsdmxQuery{
	{"homicide_generic.csv", "HOMICIDE", "A.KEN+ITA+BRA+JPN.VIC_HOM.0101._T._T._T._T.CJ.", "2005", "2012", 0, 50, true, false},
	{"victims_generic.csv", "VICTIMS", "A.ITA+FRA.VIC.0301+020111.F+M._T.IPFM+_U._T.CJ.NB", "2015", "", 0, 20, false, false},
	{"offences_structurespecific.csv", "OFFENCES", "A..OFF.0703._T._T._Z._T.CJ.NB", "2018", "", 0, 100, false, false},
	{"population_timeseries.csv", "POPULATION", "A.KEN+ITA+BRA.POP._Z._T._T._Z._Z._Z.PS", "", "", 5, 15, false, false},
	{"homicide_flat.csv", "HOMICIDE", "A.SMR+NRU+PLW+BDI.VIC_HOM.0101._T._T._T._T.PH.", "", "", 0, 8, false, true},
}

func checkRsdmxData(t *testing.T, db *store.DB, c rsdmxQuery, rows []map[string]string) {
	t.Helper()
	q := query(t, c.flow, c.key)
	q.LastN = c.lastN
	var err error
	if c.start != "" {
		if q.Start, err = stats.ParsePeriod(c.start); err != nil {
			t.Fatal(err)
		}
	}
	if c.end != "" {
		if q.End, err = stats.ParsePeriod(c.end); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]stats.Observation{}
	for _, o := range observations(t, db, q) {
		want[obsID(o.Key, o.Period.String())] = o
	}
	if len(want) < c.min {
		t.Fatalf("the database has %d observations for %s %s, fewer than the %d the check needs", len(want), c.flow, c.key, c.min)
	}
	areas := map[string]string{}
	if c.labels {
		lists, err := db.Codelists(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lists {
			if l.ID == "CL_AREA" {
				for _, code := range l.Codes {
					areas[code.ID] = code.Name
				}
			}
		}
	}
	seen := map[string]bool{}
	missing := false
	for _, r := range rows {
		id := r["key"] + " " + r["period"]
		if seen[id] {
			t.Errorf("rsdmx read %s twice", id)
		}
		seen[id] = true
		o, ok := want[id]
		if !ok {
			t.Errorf("rsdmx read %s = %q, which the database does not have for this query", id, r["value"])
			continue
		}
		switch {
		case o.Value == nil && r["value"] != "":
			t.Errorf("%s: rsdmx read %s, the database has no value", id, r["value"])
		case o.Value != nil:
			v, err := strconv.ParseFloat(r["value"], 64)
			if err != nil || v != *o.Value {
				t.Errorf("%s: rsdmx read %q, the database has %v", id, r["value"], *o.Value)
			}
		}
		missing = missing || (r["value"] == "" && r["status"] == stats.StatusMissing && r["comment"] != "")
		if r["status"] != o.Status {
			t.Errorf("%s: rsdmx read status %q, the database has %q", id, r["status"], o.Status)
		}
		if r["comment"] != o.Comment {
			t.Errorf("%s: rsdmx read comment %q, the database has %q", id, r["comment"], o.Comment)
		}
		if c.labels && r["area_name"] != areas[o.Key.Dim("REF_AREA")] {
			t.Errorf("%s: rsdmx labelled the area %q, CL_AREA names it %q", id, r["area_name"], areas[o.Key.Dim("REF_AREA")])
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("rsdmx did not read %s, which the database has", id)
		}
	}
	if c.missing && !missing {
		t.Errorf("rsdmx read no missing value with its status and comment")
	}
}
