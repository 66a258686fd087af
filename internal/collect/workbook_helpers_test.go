package collect

import (
	"archive/zip"
	"bytes"
	"cmp"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stats/source"
)

// Two questionnaire tables on the shipped dataflows, with the codes the
// shipped OFFENCES and VICTIMS series use.
var (
	wbOffences = Table{ID: "OFFENCES_POLICE", Title: "Offences recorded by the police", Flow: "OFFENCES",
		Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
		Rows:  Axis{Dim: "ICCS", Codes: []string{"020111", "0501", "0502"}, Labels: []string{"Serious assault", "Burglary", "Theft"}},
		Rates: true}
	wbVictims = Table{ID: "VICTIMS_ASSAULT", Title: "Victims of serious assault recorded by the police, by sex and relationship to the perpetrator", Flow: "VICTIMS",
		Fixed: map[string]string{"FREQ": "A", "INDICATOR": "VIC", "ICCS": "020111", "AGE": "_T", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
		Rows: Axis{Dim: "RELATIONSHIP", Codes: []string{"IPFM", "KNOWN", "UNKNOWN", "_U"},
			Labels: []string{"Intimate partner or family member", "Other perpetrator known to the victim", "Perpetrator unknown to the victim", "Relationship to the perpetrator not known"}},
		Cols: Axis{Dim: "SEX", Codes: []string{"_T", "F", "M"}, Labels: []string{"Total", "Female", "Male"}}}
)

// The sheets of wbSpec's workbook as WriteWorkbook names and lays them
// out. Offences: B year, C category, D number, E rate, F status, G
// comment, H published the year before; rows 8 to 10 for 2024 (serious
// assault, burglary, theft), 11 to 13 for 2023. Victims: B year, C
// relationship, D sex, E number, F status, G comment; rows 8 to 19, by
// relationship then sex (total, female, male).
const (
	wbOffSheet = "Offences recorded by the police"
	wbVicSheet = "Victims of serious assault…"
)

// wbCodelists are the code lists cpcj ships.
func wbCodelists(t testing.TB) []stats.Codelist {
	t.Helper()
	ref, err := source.LoadReference(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	return ref.Codelists
}

func wbYear(y int) stats.Period { return stats.Period{Year: y, Kind: 'A'} }

func wbF(v float64) *float64 { return &v }

// wbKey returns the key of a cell of a table for Kenya, or of its rate.
func wbKey(t testing.TB, tab Table, row, col string, rate bool) stats.Key {
	t.Helper()
	k, err := tab.Key("KEN", Cell{Row: row, Col: col})
	if err != nil {
		t.Fatal(err)
	}
	if rate {
		k = wbRateKey(k)
	}
	return k
}

// wbSpec is Kenya's workbook for UN-CTS 2024: offences for 2024 and 2023
// (revision), victims for 2024; prefilled from a draft of 2024 and the
// figures published for 2022 and 2023.
func wbSpec(t testing.TB) Workbook {
	off := func(iccs string, rate bool, y int, v *float64, status, comment string) Value {
		return Value{Key: wbKey(t, wbOffences, iccs, "", rate), Period: wbYear(y), Value: v, Status: status, Comment: comment}
	}
	vic := func(rel, sex string, v *float64, status, comment string) Value {
		return Value{Key: wbKey(t, wbVictims, rel, sex, false), Period: wbYear(2024), Value: v, Status: status, Comment: comment}
	}
	return Workbook{RoundID: 7, Round: "UN-CTS 2024", Year: 2024, State: "KEN", StateName: "Kenya",
		Sheets: []Sheet{{Table: wbOffences, Years: []int{2024, 2023}}, {Table: wbVictims, Years: []int{2024}}},
		Draft: map[Scope][]Value{
			{Flow: "OFFENCES", State: "KEN", Year: 2024}: {
				off("020111", false, 2024, wbF(4500), stats.StatusEstimated, "Police estimate"),
				off("020111", true, 2024, wbF(8.25), stats.StatusEstimated, "Police estimate"),
				off("0501", false, 2024, nil, stats.StatusMissing, "Not collected since 2020"),
				off("0502", false, 2024, wbF(12000), stats.StatusBreak, "New recording system"),
			},
			{Flow: "VICTIMS", State: "KEN", Year: 2024}: {
				vic("IPFM", "F", wbF(120), stats.StatusNormal, ""),
				vic("IPFM", "M", wbF(30.5), stats.StatusProvisional, "Provisional; \"quoted\" & <marked>"),
			},
		},
		Published: []Value{
			off("020111", false, 2023, wbF(4321), stats.StatusNormal, ""),
			off("0501", false, 2023, wbF(800), stats.StatusNormal, ""),
			off("0502", false, 2023, wbF(11000), stats.StatusNormal, "Source: national police"),
			off("020111", false, 2022, wbF(4000), stats.StatusNormal, ""),
			off("0502", false, 2022, wbF(10500), stats.StatusNormal, ""),
			// Superseded by the draft: not in the workbook.
			off("0501", false, 2024, wbF(999), stats.StatusNormal, ""),
		},
		Codelists: wbCodelists(t),
		Generated: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
	}
}

// wbPrefilled is what wbSpec's workbook holds, read back: the draft of
// 2024 and the published figures of 2023.
func wbPrefilled(t testing.TB) []Value {
	wb := wbSpec(t)
	var out []Value
	for _, sc := range []Scope{{"OFFENCES", "KEN", 2024}, {"VICTIMS", "KEN", 2024}} {
		out = append(out, wb.Draft[sc]...)
	}
	for _, v := range wb.Published {
		if v.Period.Year == 2023 {
			out = append(out, v)
		}
	}
	return out
}

// wbWrite writes a workbook and returns its bytes.
func wbWrite(t testing.TB, wb Workbook) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteWorkbook(&buf, wb); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wbEdit opens a workbook in excelize, changes it as a person would in a
// spreadsheet program, and returns it saved.
func wbEdit(t testing.TB, b []byte, edit func(f *excelize.File) error) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := edit(f); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wbPatch rewrites the parts of a workbook's package: fn returns the new
// content of a part, or nil to leave it out.
func wbPatch(t testing.TB, b []byte, fn func(name string, content []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if content = fn(zf.Name, content); content == nil {
			continue
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// wbSheetPart is the package part of the first sheet, the offences.
const wbSheetPart = "xl/worksheets/sheet1.xml"

// wbSorted sorts values by key and period, and drops their origins, to
// compare what was read with what was meant.
func wbSorted(vs []Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		v.Origin = ""
		out[i] = v
	}
	slices.SortFunc(out, func(a, b Value) int {
		return cmp.Or(strings.Compare(a.Key.String(), b.Key.String()), cmp.Compare(a.Period.Year, b.Period.Year))
	})
	return out
}

// wbSame fails the test when got and want are not the same values.
func wbSame(t testing.TB, got, want []Value) {
	t.Helper()
	g, w := wbSorted(got), wbSorted(want)
	if len(g) != len(w) {
		t.Errorf("read %d values, want %d:\n%s", len(g), len(w), wbList(got))
	}
	for i := range min(len(g), len(w)) {
		if wbValueText(g[i]) != wbValueText(w[i]) {
			t.Errorf("value %d = %s, want %s", i, wbValueText(g[i]), wbValueText(w[i]))
		}
	}
}

func wbValueText(v Value) string {
	return v.Key.String() + " " + v.Period.String() + " " + stats.FormatValue(v.Value) + " " + v.Status + " " + v.Comment
}

func wbList(vs []Value) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(wbValueText(v) + " (" + v.Origin + ")\n")
	}
	return b.String()
}

// wbProblems returns the problems of a refused workbook, failing the test
// when it was not refused cell by cell.
func wbProblems(t testing.TB, vs []Value, err error) []SheetProblem {
	t.Helper()
	var ps *SheetProblems
	if !errors.As(err, &ps) {
		t.Fatalf("read %d values, error %v; want *SheetProblems", len(vs), err)
	}
	if vs != nil {
		t.Errorf("a refused workbook gave %d values", len(vs))
	}
	return ps.List
}
