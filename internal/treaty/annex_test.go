package treaty_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/treaty"
)

// annex is a status annex of UNTOC and its Trafficking Protocol with three
// participants: a party to both, a signatory, and one that withdrew.
func annex() treaty.Annex {
	return treaty.Annex{
		Date:        day("2013-12-18"),
		Instruments: []treaty.Instrument{untoc, tip},
		RecordsAsOf: day("2015-03-14"),
		Totals: []treaty.Status{
			{Date: day("2013-12-18"), Parties: 179, StatesParties: 178, Signatories: 147},
			{Date: day("2013-12-18"), Parties: 157, StatesParties: 156, Signatories: 117},
		},
		Rows: []treaty.AnnexRow{
			{Code: "AFG", Name: "Afghanistan", Cells: []treaty.Standing{
				{Participant: "AFG", Signed: day("2000-12-14"), Consented: day("2003-09-24"), Action: treaty.Ratification, EntryIntoForce: day("2003-10-24")},
				{Participant: "AFG", Consented: day("2014-08-15"), Action: treaty.Accession, EntryIntoForce: day("2014-09-14")},
			}},
			{Code: "DEU", Name: "Germany", Cells: []treaty.Standing{
				{Participant: "DEU", Signed: day("2000-12-12")},
				{},
			}},
			{Code: "XYZ", Name: "Côte d'Ivoire, \"République\"", Cells: []treaty.Standing{
				{Participant: "XYZ", Consented: day("2005-01-01"), Action: treaty.Accession, EntryIntoForce: day("2005-01-31"), Withdrawn: day("2010-01-15")},
				{},
			}},
		},
	}
}

func TestAnnexWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := annex().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(&buf)
	cr.FieldsPerRecord = -1
	got, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("the annex is not CSV: %v\n%s", err, buf.String())
	}
	want := [][]string{
		{"participant", "code",
			"XVIII-12 signature", "XVIII-12 party since", "XVIII-12 action", "XVIII-12 entry into force",
			"XVIII-12-a signature", "XVIII-12-a party since", "XVIII-12-a action", "XVIII-12-a entry into force"},
		{"Afghanistan", "AFG", "2000-12-14", "2003-09-24", "ratification", "2003-10-24", "", "2014-08-15", "accession", "2014-09-14"},
		{"Germany", "DEU", "2000-12-12", "", "", "", "", "", "", ""},
		// A participant that withdrew is no party: no date, action or entry into force.
		{"Côte d'Ivoire, \"République\"", "XYZ", "", "", "", "", "", "", "", ""},
		{"Total", "", "147 signatories", "179 parties", "178 States parties", "", "117 signatories", "157 parties", "156 States parties", ""},
		// The provenance, as wide as the rest for strict CSV readers.
		{"Status as of 2013-12-18, from the depositary records as of 2015-03-14.", "", "", "", "", "", "", "", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
}

func TestAnnexWriteXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := annex().WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); !slices.Equal(sheets, []string{"Status"}) {
		t.Fatalf("sheets %v, want [Status]", sheets)
	}
	cell := func(name string) string {
		t.Helper()
		v, err := f.GetCellValue("Status", name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if title := cell("A1"); !strings.Contains(title, "as of 2013-12-18") || !strings.Contains(title, "depositary records as of 2015-03-14") {
		t.Errorf("A1 = %q, want the date and the records' date", title)
	}
	for name, want := range map[string]string{
		"A3": "participant", "B3": "code", "C3": "XVIII-12 signature", "D3": "XVIII-12 party since", "F3": "XVIII-12 entry into force",
		"G3": "XVIII-12-a signature", "J3": "XVIII-12-a entry into force",
		"A4": "Afghanistan", "B4": "AFG", "C4": "2000-12-14", "D4": "2003-09-24", "E4": "ratification", "F4": "2003-10-24", "H4": "2014-08-15",
		"A5": "Germany", "C5": "2000-12-12", "D5": "",
		"A6": "Côte d'Ivoire, \"République\"", "D6": "",
		"A7": "Total", "C7": "147 signatories", "D7": "179 parties", "E7": "178 States parties", "H7": "157 parties",
		"A8": "",
	} {
		if got := cell(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// Dates stay text, as the CSV has them, so that no spreadsheet turns
	// them into numbers of its own calendar.
	if typ, err := f.GetCellType("Status", "C4"); err != nil || typ == excelize.CellTypeNumber || typ == excelize.CellTypeDate {
		t.Errorf("C4 is of type %v (%v), want text", typ, err)
	}
	rows, err := f.GetRows("Status")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 {
		t.Errorf("%d rows, want 7 (title, blank, header, 3 participants, totals)", len(rows))
	}
}

func TestActionCode(t *testing.T) {
	want := map[treaty.Action]string{
		treaty.Ratification: "", treaty.Signature: "", treaty.Withdrawal: "",
		treaty.Acceptance: "A", treaty.Approval: "AA", treaty.Accession: "a", treaty.Succession: "d",
		treaty.SuccessionToSignature: "d", treaty.FormalConfirmation: "c", treaty.ParticipationVia1972: "p",
	}
	for _, a := range treaty.Actions {
		if got := a.Code(); got != want[a] {
			t.Errorf("%s.Code() = %q, want %q", a, got, want[a])
		}
	}
}

func TestActions(t *testing.T) {
	consents := []treaty.Action{treaty.Ratification, treaty.Acceptance, treaty.Approval, treaty.Accession, treaty.Succession,
		treaty.FormalConfirmation, treaty.ParticipationVia1972}
	signs := []treaty.Action{treaty.Signature, treaty.SuccessionToSignature}
	for _, a := range treaty.Actions {
		if got, err := treaty.ParseAction(string(a)); got != a || err != nil {
			t.Errorf("ParseAction(%q) = %q, %v", a, got, err)
		}
		if a.Consents() != slices.Contains(consents, a) || a.Signs() != slices.Contains(signs, a) {
			t.Errorf("%s: Consents %v, Signs %v", a, a.Consents(), a.Signs())
		}
	}
	for _, s := range []string{"", "Ratification", "denunciation", "ratification "} {
		if _, err := treaty.ParseAction(s); err == nil {
			t.Errorf("ParseAction(%q) accepted", s)
		}
	}
	for id, want := range map[string]bool{"XVIII-12": true, "XVIII-12-a": true, "VI-15": true, "TOKYO-1963": false, "XVIII-12-A": false, "": false} {
		if got := (treaty.Instrument{ID: id}).HasMTDSG(); got != want {
			t.Errorf("HasMTDSG(%q) = %v, want %v", id, got, want)
		}
	}
}
