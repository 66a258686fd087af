package stats

import (
	"bytes"
	"encoding/csv"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/fail"
)

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+2": "'=1+2", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "Kenya": "Kenya", "a=b": "a=b", "'x": "'x",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func seq(obs ...Observation) iter.Seq2[Observation, error] {
	return func(yield func(Observation, error) bool) {
		for _, o := range obs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// TestDownloadGuardsFormulas checks that text a spreadsheet would run
// is guarded in every column but the value, which stays a number.
func TestDownloadGuardsFormulas(t *testing.T) {
	d := Download{Flow: Dataflow{ID: "T", Source: "=evil()", Licence: "open"}}
	o := obs("AAA", "0101", "_T", "_T", "NB", 2010, f(-5), "A")
	o.Comment, o.Source = `=HYPERLINK("http://x","y")`, "+cmd"
	var buf bytes.Buffer
	if err := d.WriteCSV(&buf, seq(o)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if row["OBS_VALUE"] != "-5" || row["COMMENT"] != `'=HYPERLINK("http://x","y")` || row["SOURCE_DETAIL"] != "'+cmd" || row["SOURCE"] != "'=evil()" || row["LICENCE"] != "open" {
		t.Errorf("row %v", row)
	}
}

// TestWorkbook checks that a workbook keeps text as it is (its text cells
// are never formulas) and values as numbers, and that one of more rows
// than the most is refused before a byte is written.
func TestWorkbook(t *testing.T) {
	d := Download{Flow: Dataflow{ID: "T", Source: "=evil()"}}
	o := obs("AAA", "0101", "_T", "_T", "NB", 2010, f(-5), "A")
	o.Comment = `=HYPERLINK("http://x","y")`
	var buf bytes.Buffer
	if err := d.WriteXLSX(&buf, seq(o)); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Data")
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	comment, _ := excelize.CoordinatesToCellName(slices.Index(downloadHeader, "COMMENT")+1, 2)
	value, _ := excelize.CoordinatesToCellName(valueColumn+1, 2)
	formula, _ := x.GetCellFormula("Data", comment)
	typ, _ := x.GetCellType("Data", value)
	if got, _ := x.GetCellValue("Data", comment); got != o.Comment || formula != "" || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("comment %q, formula %q, value type %v", got, formula, typ)
	}

	buf.Reset()
	d.maxRows = 2
	err = d.WriteXLSX(&buf, seq(o, o, o))
	if e := fail.As(err); e == nil || e.Field != "format" || !strings.Contains(e.Message, "format=csv") || buf.Len() != 0 {
		t.Errorf("3 rows of at most 2: %v, %d bytes", err, buf.Len())
	}
	if CheckXLSXRows(MaxXLSXRows) != nil || CheckXLSXRows(MaxXLSXRows+1) == nil {
		t.Error("CheckXLSXRows")
	}
}
