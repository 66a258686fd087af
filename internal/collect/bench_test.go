package collect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stats/source"
)

// benchRules are the shipped rules that read the cells of a synthetic
// table (sums by sex, counts, rates, both outlier rules), and a
// completeness rule for the table.
func benchRules(b *testing.B, table string) []Rule {
	_, shipped, err := Shipped(data.FS, shippedStructure(b))
	if err != nil {
		b.Fatal(err)
	}
	var rules []Rule
	for _, r := range shipped {
		if r.Flow == "" {
			rules = append(rules, r)
		}
	}
	return append(rules, Rule{ID: 99, Name: "Totals given", Kind: Complete, Severity: Warning, Enabled: true, Params: Params{Table: table}})
}

// benchTable is a table of n rows by sex, with rates; its row codes are
// made up (the reader needs no code list for cells the tables lay out).
func benchTable(id, indicator string, n int) Table {
	t := Table{ID: id, Title: "Synthetic " + id, Flow: "OFFENCES",
		Fixed: map[string]string{"FREQ": "A", "INDICATOR": indicator, "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
		Rows:  Axis{Dim: "ICCS"}, Cols: Axis{Dim: "SEX", Codes: []string{"F", "M", "_T"}, Labels: []string{"Female", "Male", "Total"}},
		Required: []Cell{{Col: "_T"}}, Rates: true}
	for i := range n {
		code := fmt.Sprintf("C%06d", i)
		t.Rows.Codes = append(t.Rows.Codes, code)
		t.Rows.Labels = append(t.Rows.Labels, "Category "+code)
	}
	return t
}

const benchPopulation = 50_000_000

// writeBenchFile writes an SDMX-CSV upload of every cell of the tables
// for Kenya in 2023, counts and rates that agree, totals by sex that add
// up but in one row of a thousand, with history for every tenth total;
// it returns the number of rows and the history.
func writeBenchFile(b *testing.B, w io.Writer, tables []Table) (int, []stats.Observation) {
	bw := bufio.NewWriter(w)
	sw := stats.NewSDMXCSVWriter(bw, "OFFENCES")
	rows := 0
	var hist []stats.Observation
	for _, t := range tables {
		for i, code := range t.Rows.Codes {
			female, male := float64(i%1000+40), float64(i%500+40)
			total := female + male
			if i%1000 == 7 {
				total++ // a sum that does not add up, for a few findings
			}
			for _, sex := range []string{"F", "M", "_T"} {
				x := map[string]float64{"F": female, "M": male, "_T": total}[sex]
				k, err := t.Key("KEN", Cell{Row: code, Col: sex})
				if err != nil {
					b.Fatal(err)
				}
				o := stats.Observation{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &x, Status: "A"}
				if i%97 == 0 {
					o.Comment = "Recording rules changed in 2023, see the national report."
				}
				rate := x / benchPopulation * 100000
				r := o
				r.Key[keyUnit], r.Value, r.Comment = stats.UnitRate, &rate, ""
				if err := sw.Write(o); err != nil {
					b.Fatal(err)
				}
				if err := sw.Write(r); err != nil {
					b.Fatal(err)
				}
				rows += 2
				if sex == "_T" && i%10 == 0 {
					for y := 2013; y < 2023; y++ {
						past := x * (0.8 + 0.04*float64(y%5))
						hist = append(hist, stats.Observation{Key: k, Period: stats.Period{Year: y, Kind: 'A'}, Value: &past, Status: "A"})
					}
				}
			}
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	return rows, hist
}

// BenchmarkUpload1M reads and validates a 1,000,000-row SDMX-CSV upload
// (one table of 166,667 rows by sex, counts and rates, against the
// shipped rules), and parses the same file with encoding/csv alone in the
// same run, as a program would by default (csv.NewReader, Read to the
// end) and with ReuseRecord. Metric "ratio" is the upload's rate over
// that of encoding/csv by default, "ratio-reuse" over that with
// ReuseRecord: the target is 0.5 or more (issue 5, Performance).
func BenchmarkUpload1M(b *testing.B) {
	table := benchTable("BENCH", "OFF", 166_667)
	path := filepath.Join(b.TempDir(), "upload.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	rows, hist := writeBenchFile(b, f, []Table{table})
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	in := Input{Scope: Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}, Tables: []Table{table}, Rules: benchRules(b, table.ID),
		History: hist, Population: stats.Populations{"KEN": {{Year: 2023, Kind: 'A'}: benchPopulation}}}
	u := Upload{Scope: in.Scope, Tables: in.Tables, MaxBytes: info.Size()}

	var parse, reuse, read, validate time.Duration
	var findings int
	for b.Loop() {
		// Each part starts from a collected heap, so that none pays for
		// the garbage of another.
		for _, p := range []struct {
			reuse bool
			took  *time.Duration
		}{{false, &parse}, {true, &reuse}} {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
			start := time.Now()
			n := parseCSVOnly(b, path, p.reuse)
			*p.took += time.Since(start)
			if n != rows+1 {
				b.Fatalf("encoding/csv read %d records, want %d", n, rows+1)
			}
		}
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		file, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		values, err := ReadCSV(context.Background(), file, u)
		file.Close()
		if err != nil {
			b.Fatal(err)
		}
		read += time.Since(start)
		if len(values) != rows {
			b.Fatalf("read %d values, want %d", len(values), rows)
		}
		start = time.Now()
		in.Values = values
		findings = len(Validate(in))
		validate += time.Since(start)
		in.Values = nil
	}
	upload := read + validate
	b.ReportMetric(float64(parse)/float64(upload), "ratio")
	b.ReportMetric(float64(reuse)/float64(upload), "ratio-reuse")
	b.ReportMetric(float64(rows)*float64(b.N)/parse.Seconds(), "csv-rows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/reuse.Seconds(), "csv-reuse-rows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/upload.Seconds(), "upload-rows/s")
	b.ReportMetric(float64(read)/float64(b.N)/1e6, "read-ms/op")
	b.ReportMetric(float64(validate)/float64(b.N)/1e6, "validate-ms/op")
	b.ReportMetric(float64(info.Size())/1e6, "file-MB")
	b.ReportMetric(float64(findings), "findings")
}

// parseCSVOnly reads a file with encoding/csv and nothing else, reusing
// records or not: the baselines of BenchmarkUpload1M.
func parseCSVOnly(b *testing.B, path string, reuse bool) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = reuse
	n := 0
	for {
		_, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkSubmission validates a full UN-CTS-sized submission, all the
// tables of one State for one year: 40 tables of 25 rows by sex, counts
// and rates (6,000 values, about the size of the UN-CTS questionnaire),
// read from SDMX-CSV and validated against the shipped rules with ten
// years of history. Storing is not part of it yet.
func BenchmarkSubmission(b *testing.B) {
	var tables []Table
	for i := range 40 {
		tables = append(tables, benchTable(fmt.Sprintf("T%02d", i), fmt.Sprintf("I%02d", i), 25))
	}
	var buf bytes.Buffer
	rows, hist := writeBenchFile(b, &buf, tables)
	in := Input{Scope: Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}, Tables: tables, Rules: benchRules(b, "T00"),
		History: hist, Population: stats.Populations{"KEN": {{Year: 2023, Kind: 'A'}: benchPopulation}}}
	u := Upload{Scope: in.Scope, Tables: tables}
	for b.Loop() {
		values, err := ReadCSV(context.Background(), bytes.NewReader(buf.Bytes()), u)
		if err != nil || len(values) != rows {
			b.Fatalf("%d values, %v", len(values), err)
		}
		in.Values = values
		Validate(in)
	}
	b.ReportMetric(float64(rows), "values")
}

// BenchmarkShippedSubmission validates Germany's published 2018 figures
// of the shipped tables (OFFENCES and VICTIMS, counts and rates) as a
// submission, against the years before: the real data, with every
// shipped rule.
func BenchmarkShippedSubmission(b *testing.B) {
	all, err := source.Load(data.FS)
	if err != nil {
		b.Fatal(err)
	}
	tables, rules, err := Shipped(data.FS, shippedStructure(b))
	if err != nil {
		b.Fatal(err)
	}
	pop := stats.NewPopulations(all.Obs["POPULATION"])
	var inputs []Input
	values := 0
	for _, flow := range []string{"OFFENCES", "VICTIMS"} {
		in := Input{Scope: Scope{Flow: flow, State: "DEU", Year: 2018}, Tables: tables, Rules: rules, Population: pop}
		for _, o := range all.Obs[flow] {
			switch {
			case o.Key[keyArea] != "DEU":
			case o.Period.Year == 2018:
				in.Values = append(in.Values, Value{Key: o.Key, Period: o.Period, Value: o.Value, Status: o.Status, Origin: "line " + strconv.Itoa(len(in.Values)+2)})
			case o.Period.Year < 2018:
				in.History = append(in.History, o)
			}
		}
		values += len(in.Values)
		inputs = append(inputs, in)
	}
	for b.Loop() {
		for _, in := range inputs {
			Validate(in)
		}
	}
	b.ReportMetric(float64(values), "values")
}
