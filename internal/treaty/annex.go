package treaty

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Code is the letter the UN Treaty Collection writes after a date to say
// what kind of instrument was deposited; ratification has none.
func (a Action) Code() string {
	switch a {
	case Acceptance:
		return "A"
	case Approval:
		return "AA"
	case Accession:
		return "a"
	case Succession, SuccessionToSignature:
		return "d"
	case FormalConfirmation:
		return "c"
	case ParticipationVia1972:
		return "p"
	}
	return ""
}

// header is the annex's header: the participant and its code, then four
// columns per instrument.
func (a Annex) header() []string {
	h := []string{"participant", "code"}
	for _, in := range a.Instruments {
		h = append(h, in.ID+" signature", in.ID+" party since", in.ID+" action", in.ID+" entry into force")
	}
	return h
}

func (a Annex) cells(row AnnexRow) []string {
	out := []string{row.Name, row.Code}
	for _, c := range row.Cells {
		action := ""
		if c.Party() {
			action = string(c.Action)
		}
		party := ""
		if c.Party() {
			party = c.Consented.String()
		}
		eif := ""
		if c.Party() {
			eif = c.EntryIntoForce.String()
		}
		out = append(out, c.Signed.String(), party, action, eif)
	}
	return out
}

// totals is the closing line of counts, per instrument.
func (a Annex) totals() []string {
	out := []string{"Total", ""}
	for _, t := range a.Totals {
		out = append(out, fmt.Sprintf("%d signatories", t.Signatories),
			fmt.Sprintf("%d parties", t.Parties), fmt.Sprintf("%d States parties", t.StatesParties), "")
	}
	return out
}

// WriteCSV writes the annex as CSV with ISO dates, the totals last and a
// line naming the date and the source's "as of" date.
func (a Annex) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(a.header())
	for _, r := range a.Rows {
		cw.Write(a.cells(r))
	}
	cw.Write(a.totals())
	// The provenance line has as many fields as the others, so that strict
	// CSV readers take the file.
	note := make([]string, len(a.header()))
	note[0] = fmt.Sprintf("Status as of %s, from the depositary records as of %s.", a.Date, a.RecordsAsOf)
	cw.Write(note)
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the annex as an Excel workbook of one sheet.
func (a Annex) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Status"
	f.SetSheetName("Sheet1", sheet)
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	put := func(row int, vals []string) error {
		for i, v := range vals {
			cell, err := excelize.CoordinatesToCellName(i+1, row)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return err
			}
		}
		return nil
	}
	title := fmt.Sprintf("Status of ratifications of, or accessions to, the instruments as of %s (depositary records as of %s)", a.Date, a.RecordsAsOf)
	if err := put(1, []string{title}); err != nil {
		return err
	}
	if err := put(3, a.header()); err != nil {
		return err
	}
	f.SetRowStyle(sheet, 3, 3, bold)
	row := 4
	for _, r := range a.Rows {
		if err := put(row, a.cells(r)); err != nil {
			return err
		}
		row++
	}
	if err := put(row, a.totals()); err != nil {
		return err
	}
	f.SetRowStyle(sheet, row, row, bold)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, Split: false, XSplit: 1, YSplit: 3, TopLeftCell: "B4", ActivePane: "bottomRight"})
	f.SetColWidth(sheet, "A", "A", 36)
	return f.Write(w)
}
