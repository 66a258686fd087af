package stats

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/fail"
)

// Download is what a table for people carries besides the observations:
// the dataflow, for provenance, and the code lists, for names.
type Download struct {
	Flow      Dataflow
	Codelists []Codelist
	Selection string    // the query, as the user gave it, e.g. a key
	Generated time.Time // when the file was made
	// Computed says what cpcj computed among the rows, if anything.
	Computed string
	maxRows  int // of a workbook: MaxXLSXRows when zero; lower in tests
}

// downloadHeader is the columns of a CSV or XLSX download: codes with the
// names of the main ones, the value and its attributes, and the
// provenance of the dataflow on every row, so that a row copied elsewhere
// keeps it.
var downloadHeader = []string{"DATAFLOW", "FREQ", "REF_AREA", "REF_AREA_NAME", "INDICATOR", "INDICATOR_NAME", "ICCS", "ICCS_NAME",
	"SEX", "AGE", "RELATIONSHIP", "CYBER", "SOURCE_TYPE", "UNIT_MEASURE", "TIME_PERIOD", "OBS_VALUE", "OBS_STATUS",
	"SOURCE_DETAIL", "COMMENT", "DERIVATION", "SOURCE", "SOURCE_URL", "LICENCE", "DATA_AS_OF"}

func (d Download) names() func(list, code string) string {
	idx := map[string]map[string]string{}
	for _, cl := range d.Codelists {
		m := map[string]string{}
		for _, c := range cl.Codes {
			m[c.ID] = c.Name
		}
		idx[cl.ID] = m
	}
	return func(list, code string) string {
		if n, ok := idx[list][code]; ok {
			return n
		}
		return ""
	}
}

// valueColumn is the place of OBS_VALUE in a row.
var valueColumn = slices.Index(downloadHeader, PrimaryMeasure)

// row is an observation as a row of the download. For CSV (guard true)
// text a spreadsheet would take for a formula is guarded (see safeCell);
// a workbook's text cells are never evaluated, and stay as they are.
func (d Download) row(name func(list, code string) string, o Observation, guard bool) []string {
	k := o.Key
	row := []string{d.Flow.ID, k[DimFreq], k[DimArea], name("CL_AREA", k[DimArea]), k[DimIndicator], name("CL_INDICATOR", k[DimIndicator]),
		k[DimICCS], name("CL_ICCS", k[DimICCS]), k[DimSex], k[DimAge], k[DimRelationship], k[DimCyber], k[DimSourceType], k[DimUnit],
		o.Period.String(), FormatValue(o.Value), o.Status, o.Source, o.Comment, o.Derived, d.Flow.Source, d.Flow.SourceURL, d.Flow.Licence, d.Flow.DataAsOf}
	if guard {
		for i, s := range row {
			if i != valueColumn { // a number, which may well begin with "-"
				row[i] = safeCell(s)
			}
		}
	}
	return row
}

// safeCell keeps a spreadsheet that opens a CSV file from taking text for
// a formula: text that begins with =, +, -, @, a tab or a carriage return
// (which some spreadsheets skip before looking for a formula) gets a
// leading apostrophe, as OWASP advises against CSV injection. Comments and
// names come from files that anyone may have written. SDMX-CSV, a format
// for programs that must read back exactly what was stored, is
// deliberately not guarded (see SDMXCSVWriter).
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// MaxXLSXRows is the most observations an XLSX download holds. A workbook
// is built whole, in memory, before its first byte is sent: a million rows
// took 100 s and 620 MB, and Excel opens at most 1,048,576. A CSV download
// streams any number.
const MaxXLSXRows = 200_000

// CheckXLSXRows refuses a workbook of n rows, more than MaxXLSXRows, with
// a field error for "format".
func CheckXLSXRows(n int) error { return checkRows(n, MaxXLSXRows) }

func checkRows(n, most int) error {
	if n <= most {
		return nil
	}
	return fail.Field("format", "The view has more than %d rows, the most an Excel workbook from cpcj holds. Download it as CSV (format=csv), which has no limit, or narrow the view.",
		most)
}

// WriteCSV writes observations as a CSV table for people and scripts, with
// names and provenance columns, streaming.
func (d Download) WriteCSV(w io.Writer, obs iter.Seq2[Observation, error]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(downloadHeader); err != nil {
		return err
	}
	name := d.names()
	for o, err := range obs {
		if err != nil {
			return err
		}
		if err := cw.Write(d.row(name, o, true)); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteXLSX writes observations as an Excel workbook: a sheet "Data" with
// the columns of the CSV download, values as numbers, and a sheet
// "Provenance" saying where they come from and what was selected. Nothing
// is written to w before the workbook is whole, so that a view of more
// than MaxXLSXRows rows is refused (see CheckXLSXRows) before it starts.
func (d Download) WriteXLSX(w io.Writer, obs iter.Seq2[Observation, error]) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", "Data"); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter("Data")
	if err != nil {
		return err
	}
	head := make([]any, len(downloadHeader))
	for i, h := range downloadHeader {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	name := d.names()
	r := 1
	cells := make([]any, len(downloadHeader))
	most := d.maxRows
	if most == 0 {
		most = MaxXLSXRows
	}
	for o, err := range obs {
		if err != nil {
			return err
		}
		r++
		if err := checkRows(r-1, most); err != nil {
			return err
		}
		for i, s := range d.row(name, o, false) {
			cells[i] = s
		}
		if o.Value != nil {
			cells[valueColumn] = *o.Value
		}
		cell, err := excelize.CoordinatesToCellName(1, r)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if _, err := x.NewSheet("Provenance"); err != nil {
		return err
	}
	prov := [][2]string{
		{"Dataflow", d.Flow.ID + " — " + d.Flow.Name},
		{"Description", d.Flow.Description},
		{"Source", d.Flow.Source},
		{"Source URL", d.Flow.SourceURL},
		{"Licence and terms", d.Flow.Licence},
		{"Data as of", d.Flow.DataAsOf},
		{"Selection", d.Selection},
		{"Computed by cpcj", d.Computed},
		{"Observations", fmt.Sprint(r - 1)},
		{"Generated", d.Generated.UTC().Format(time.RFC3339)},
		{"Notes", "OBS_STATUS: A normal, E estimated, P provisional, B break in series (not comparable with earlier periods), M missing. DERIVATION C: computed by cpcj."},
	}
	for i, p := range prov {
		if err := x.SetSheetRow("Provenance", fmt.Sprintf("A%d", i+1), &[]any{p[0], p[1]}); err != nil {
			return err
		}
	}
	_, err = x.WriteTo(w)
	return err
}
