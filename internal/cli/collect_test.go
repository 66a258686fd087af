package cli_test

import (
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/store"
)

// TestCollectionCommands opens a round, writes Kenya's questionnaire,
// fills one figure in it as a focal point would, and checks it; then a
// CSV answer with an error, which makes the check fail.
func TestCollectionCommands(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, _ store.Engine, dbURL string) {
		cpcj(t, dbURL, "", "migrate").want(t, 0)
		cpcj(t, dbURL, "", "stats", "round", "list").want(t, 0, "no collection round yet")
		cpcj(t, dbURL, "", "stats", "round", "open", "--name", "UN-CTS 2023", "--year", "2023", "--due", "2099-03-31", "--tables", "OFFENCES_POLICE").
			want(t, 0, "round 1 opened: UN-CTS 2023, reference year 2023", "1 tables")
		cpcj(t, dbURL, "", "stats", "round", "open", "--name", "x", "--year", "2023", "--due", "2099-03-31", "--tables", "NOPE").
			want(t, 2, "the tables are OFFENCES_POLICE, OFFENCES_CYBER, VICTIMS_ASSAULT, VICTIMS_SEXUAL")
		cpcj(t, dbURL, "", "stats", "round", "list").want(t, 0, "UN-CTS 2023", "open")

		wb := filepath.Join(t.TempDir(), "ken.xlsx")
		cpcj(t, dbURL, "", "stats", "workbook", "--round", "1", "--state", "KEN", "--out", wb).want(t, 0)

		// The focal point types 30,000 serious assaults for 2023: 33 %
		// more than the 22,573 the police recorded in 2022, under the
		// outlier warning's 50 %.
		f, err := excelize.OpenFile(wb)
		if err != nil {
			t.Fatal(err)
		}
		cell := figureCell(t, f, "2023|020111|")
		if err := f.SetCellValue(f.GetSheetName(0), cell, 30000); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		cpcj(t, dbURL, "", "stats", "import", wb, "--round", "1", "--state", "KEN").want(t, 2, "add --dry-run")
		cpcj(t, dbURL, "", "stats", "import", wb, "--round", "1", "--state", "KEN", "--dry-run").
			want(t, 0, "OFFENCES, KEN, 2023: 1 values; against the draft: 1 added, 0 changed, 0 removed", "Burglary: no figure is given", "no error")
		cpcj(t, dbURL, "", "stats", "import", wb, "--round", "1", "--state", "FRA", "--dry-run").
			want(t, 1, "This workbook is Kenya's for UN-CTS 2023; you are uploading for France")

		bad := writeFile(t, "ken.csv", sdmxHead+"UNODC:OFFENCES(1.0),A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,-4,A,,,\n")
		cpcj(t, dbURL, "", "stats", "import", bad, "--round", "1", "--state", "KEN", "--flow", "OFFENCES", "--dry-run").
			want(t, 1, "1 added", "Counts are whole numbers, 0 or more (error)", "1 error(s)")
	})
}

// figureCell finds the Number cell of the row whose hidden code (column A)
// is code, as cpcj's questionnaire lays it out.
func figureCell(t *testing.T, f *excelize.File, code string) string {
	t.Helper()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for n, r := range rows {
		for i, v := range r {
			if v == "Number" {
				col = i
			}
		}
		if col >= 0 && len(r) > 0 && r[0] == code {
			name, err := excelize.CoordinatesToCellName(col+1, n+1)
			if err != nil {
				t.Fatal(err)
			}
			return name
		}
	}
	t.Fatalf("no row %q with a Number column in the questionnaire", code)
	return ""
}
