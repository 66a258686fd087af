package stats

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/xuri/excelize/v2"
)

// Download is what a table for people carries besides the observations:
// the dataflow, for provenance, and the code lists, for names.
type Download struct {
	Flow      Dataflow
	Codelists []Codelist
	Selection string    // the query, as the user gave it, e.g. a key
	Generated time.Time // when the file was made
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

func (d Download) row(name func(list, code string) string, o Observation) []string {
	k := o.Key
	return []string{d.Flow.ID, k[0], k[1], name("CL_AREA", k[1]), k[2], name("CL_INDICATOR", k[2]), k[3], name("CL_ICCS", k[3]),
		k[4], k[5], k[6], k[7], k[8], k[9], o.Period.String(), FormatValue(o.Value), o.Status,
		o.Source, o.Comment, o.Derived, d.Flow.Source, d.Flow.SourceURL, d.Flow.Licence, d.Flow.DataAsOf}
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
		if err := cw.Write(d.row(name, o)); err != nil {
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
// "Provenance" saying where they come from and what was selected.
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
	for o, err := range obs {
		if err != nil {
			return err
		}
		r++
		for i, s := range d.row(name, o) {
			cells[i] = s
		}
		if o.Value != nil {
			cells[15] = *o.Value
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
