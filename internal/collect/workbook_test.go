package collect

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stats/source"
)

func TestWorkbookRoundTrip(t *testing.T) {
	wb := wbSpec(t)
	b := wbWrite(t, wb)
	got, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	if err != nil {
		t.Fatal(err)
	}
	wbSame(t, got, wbPrefilled(t))
	origins := map[string]bool{}
	for _, v := range got {
		origins[v.Origin] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if vs, err := ReadWorkbook(ctx, bytes.NewReader(b), int64(len(b)), wb); vs != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("reading with a cancelled context: %d values, %v", len(vs), err)
	}
	for _, o := range []string{`sheet "Offences recorded by the police", cell D8`, `sheet "Offences recorded by the police", cell E8`,
		`sheet "Offences recorded by the police", cell D11`, `sheet "Victims of serious assault…", cell E9`} {
		if !origins[o] {
			t.Errorf("no value read from %s; origins: %v", o, origins)
		}
	}
}

// TestWorkbookFilled fills the workbook as a focal point would, with
// figures typed as numbers and as text, statuses and comments.
func TestWorkbookFilled(t *testing.T) {
	wb := wbSpec(t)
	b := wbEdit(t, wbWrite(t, wb), func(f *excelize.File) error {
		for cell, v := range map[string]any{
			"D9": 950, "F9": "Estimated", "G9": "From the annual report", // burglary 2024, over the draft's empty figure
			"E10": "23,5",                        // theft 2024: a rate with a decimal comma
			"D12": "1 234", "F12": "provisional", // burglary 2023: thousands separated by a space
			"D13": "11,500.5", "F13": "normal", // theft 2023
			"D8": nil, "E8": nil, "F8": nil, "G8": nil, // serious assault 2024 cleared
		} {
			if err := f.SetCellValue(wbOffSheet, cell, v); err != nil {
				return err
			}
		}
		return f.SetCellValue(wbVicSheet, "E19", "7") // relationship not known, male: a number stored as text
	})
	got, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	if err != nil {
		t.Fatal(err)
	}
	off := func(iccs string, rate bool, y int, v *float64, status, comment string) Value {
		return Value{Key: wbKey(t, wbOffences, iccs, "", rate), Period: wbYear(y), Value: v, Status: status, Comment: comment}
	}
	want := []Value{
		off("0501", false, 2024, wbF(950), stats.StatusEstimated, "From the annual report"),
		off("0502", false, 2024, wbF(12000), stats.StatusBreak, "New recording system"),
		off("0502", true, 2024, wbF(23.5), stats.StatusBreak, "New recording system"),
		off("020111", false, 2023, wbF(4321), stats.StatusNormal, ""),
		off("0501", false, 2023, wbF(1234), stats.StatusProvisional, ""),
		off("0502", false, 2023, wbF(11500.5), stats.StatusNormal, "Source: national police"),
		{Key: wbKey(t, wbVictims, "IPFM", "F", false), Period: wbYear(2024), Value: wbF(120), Status: stats.StatusNormal},
		{Key: wbKey(t, wbVictims, "IPFM", "M", false), Period: wbYear(2024), Value: wbF(30.5), Status: stats.StatusProvisional, Comment: "Provisional; \"quoted\" & <marked>"},
		{Key: wbKey(t, wbVictims, "_U", "M", false), Period: wbYear(2024), Value: wbF(7), Status: stats.StatusNormal},
	}
	wbSame(t, got, want)
}

// TestWorkbookEdited reads a workbook whose sheets were renamed and
// moved, with rows and columns inserted, a sheet of notes added and its
// file read from a plain reader of unknown size: the figures are where
// they were.
func TestWorkbookEdited(t *testing.T) {
	wb := wbSpec(t)
	b := wbEdit(t, wbWrite(t, wb), func(f *excelize.File) error {
		for _, err := range []error{
			f.InsertRows(wbOffSheet, 9, 2),   // between serious assault and burglary, 2024
			f.InsertRows(wbOffSheet, 2, 1),   // above the header block
			f.InsertCols(wbOffSheet, "D", 1), // before the figures
			f.InsertCols(wbOffSheet, "A", 2), // before the hidden codes
			f.SetCellValue(wbOffSheet, "F9", "Our own column"),
			f.RemoveRow(wbVicSheet, 18), // relationship not known, female: an empty row
			f.SetSheetName(wbOffSheet, "Police"),
			f.SetSheetName(wbVicSheet, "Victims"),
			f.MoveSheet("Victims", "Police"),
		} {
			if err != nil {
				return err
			}
		}
		if _, err := f.NewSheet("Notes"); err != nil {
			return err
		}
		return f.SetSheetRow("Notes", "A1", &[]any{"Figures checked by the statistics office", 2024, "cpcj:"})
	})
	got, err := ReadWorkbook(context.Background(), io.MultiReader(bytes.NewReader(b)), -1, wb)
	if err != nil {
		t.Fatal(err)
	}
	wbSame(t, got, wbPrefilled(t))
	for _, v := range got {
		if v.Key == wbKey(t, wbOffences, "020111", "", false) && v.Period.Year == 2024 && v.Origin != `sheet "Police", cell G9` {
			t.Errorf("serious assault 2024 read from %s, want sheet \"Police\", cell G9", v.Origin)
		}
	}
}

func TestWorkbookRefuses(t *testing.T) {
	wb := wbSpec(t)
	base := wbWrite(t, wb)
	set := func(sheet string, cells ...any) func(f *excelize.File) error {
		return func(f *excelize.File) error {
			for i := 0; i < len(cells); i += 2 {
				if err := f.SetCellValue(sheet, cells[i].(string), cells[i+1]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	for _, c := range []struct {
		name  string
		edit  func(f *excelize.File) error
		patch func(name string, content []byte) []byte
		cells []string // the cells or rows the problems name, in order ("row 12" for a row)
		says  []string // what the problems say, in order
	}{{
		name:  "merged cells over figures",
		edit:  func(f *excelize.File) error { return f.MergeCell(wbOffSheet, "D9", "E10") },
		cells: []string{"D9:E10"},
		says:  []string{"The cells D9:E10 are merged"},
	}, {
		name:  "a formula without its result",
		edit:  func(f *excelize.File) error { return f.SetCellFormula(wbOffSheet, "D9", "D8/2") },
		cells: []string{"D9"},
		says:  []string{"Burglary, 2024: the cell holds a formula (=D8/2) that has not been calculated, so its result is not in the file. Copy the cell and paste it back as a value"},
	}, {
		name:  "a formula resulting in an error",
		edit:  func(f *excelize.File) error { return f.SetCellFormula(wbOffSheet, "D9", "D8/0") },
		patch: wbReplace(`t="str"><f>D8/0</f>`, `t="e"><f>D8/0</f><v>#DIV/0!</v>`),
		cells: []string{"D9"},
		says:  []string{"Burglary, 2024: the cell shows the error #DIV/0!"},
	}, {
		name:  "a number stored as text that is not a number",
		edit:  set(wbOffSheet, "D9", "n/a", "E10", "12.5%", "D12", "1,234", "E12", "1.234", "D13", "1 23"),
		cells: []string{"D9", "E10", "D12", "E12", "D13"},
		says: []string{`Burglary, 2024: "n/a" is not a number. Type the figure alone: leave the cell empty if it is not available, and put any note in the Comment column.`,
			`Theft, 2024, rate per 100,000: "12.5%" is not a number`,
			`Burglary, 2023: "1,234" is ambiguous: 1234 with a thousands separator, or 1.234 with a decimal comma. Type it without a thousands separator (1234), or with a decimal point (1.234).`,
			`"1.234" is ambiguous: 1234 with a thousands separator, or 1.234 with a decimal point`,
			`Theft, 2023: "1 23" is not a number`},
	}, {
		name: "a count in a cell formatted as a date",
		edit: func(f *excelize.File) error {
			date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
			if err != nil {
				return err
			}
			pct, err := f.NewStyle(&excelize.Style{NumFmt: 10})
			if err != nil {
				return err
			}
			return errors.Join(f.SetCellValue(wbOffSheet, "D9", 1234), f.SetCellStyle(wbOffSheet, "D9", "D9", date),
				f.SetCellValue(wbOffSheet, "E9", 0.125), f.SetCellStyle(wbOffSheet, "E9", "E9", pct))
		},
		cells: []string{"D9", "E9"},
		says: []string{"Burglary, 2024: the cell is formatted as a date, so it shows 1903-05-18 rather than the number 1234. A figure typed into a date cell becomes a date: format the cell as Number and type the figure again.",
			"Burglary, 2024, rate per 100,000: the cell is formatted as a percentage, so it shows 12.5% for the number 0.125"},
	}, {
		name:  "a date and a truth value",
		edit:  set(wbOffSheet, "D9", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "D10", true),
		cells: []string{"D9", "D10"},
		says:  []string{"Burglary, 2024: the cell is formatted as a date, so it shows 2024-05-01", "Theft, 2024: TRUE is not a number"},
	}, {
		name:  "a status not in the list, and one without a figure",
		edit:  set(wbVicSheet, "F8", "guessed", "F11", "estimated"),
		cells: []string{"F8", "F11"},
		says: []string{`Intimate partner or family member, Total, 2024: "guessed" is not a status. Choose estimated, provisional or break in series from the list`,
			"Other perpetrator known to the victim, Total, 2024: the status says estimated, but there is no figure"},
	}, {
		name: "figures in a row cpcj did not make",
		edit: func(f *excelize.File) error {
			return errors.Join(f.InsertRows(wbOffSheet, 9, 1), set(wbOffSheet, "D9", 77)(f))
		},
		cells: []string{"D9"},
		says:  []string{`"77" is in a row that cpcj did not make, so it belongs to no figure`},
	}, {
		name:  "a row copied",
		edit:  func(f *excelize.File) error { return f.DuplicateRow(wbOffSheet, 9) },
		cells: []string{"row 10"},
		says:  []string{"Rows 9 and 10 are both for Burglary, 2024: was a row copied? Keep one and delete the other."},
	}, {
		name:  "rows sorted without the hidden column",
		edit:  set(wbOffSheet, "C8", "Burglary", "D8", 800, "C9", "Serious assault", "D9", 4500),
		cells: []string{"row 8", "row 9"},
		says: []string{"The row reads Burglary, 2024, but its hidden code is for Serious assault, 2024: were rows sorted, or cut and pasted, without the hidden column A?",
			"The row reads Serious assault, 2024, but its hidden code is for Burglary, 2024"},
	}, {
		name:  "a row's hidden code changed",
		edit:  set(wbOffSheet, "A9", "2019|0501|"),
		cells: []string{"row 9"},
		says:  []string{`The row's hidden code "2019|0501|" is not a figure of this table`},
	}, {
		name:  "a table's sheet deleted",
		edit:  func(f *excelize.File) error { return f.DeleteSheet(wbVicSheet) },
		cells: []string{""},
		says:  []string{`No sheet holds the table "Victims of serious assault recorded by the police, by sex and relationship to the perpetrator" (a sheet first named "Victims of serious assault…"): was the sheet deleted, or its hidden first row or column?`},
	}, {
		name:  "the hidden column deleted",
		edit:  func(f *excelize.File) error { return f.RemoveCol(wbOffSheet, "A") },
		cells: []string{""},
		says:  []string{`No sheet holds the table "Offences recorded by the police"`},
	}, {
		name:  "the hidden row deleted",
		edit:  func(f *excelize.File) error { return f.RemoveRow(wbVicSheet, 1) },
		cells: []string{""},
		says:  []string{`No sheet holds the table "Victims of serious assault`},
	}, {
		name: "a hidden column code deleted",
		edit: set(wbOffSheet, "F1", ""),
		says: []string{"The hidden row 1 no longer marks the Status column"},
	}, {
		name: "a sheet copied",
		edit: func(f *excelize.File) error {
			i, err := f.NewSheet("Copy")
			if err != nil {
				return err
			}
			return f.CopySheet(0, i)
		},
		says: []string{`The sheets "Offences recorded by the police", "Copy" all hold the table "Offences recorded by the police"`},
	}, {
		name: "a sheet of a table the round does not ask for",
		edit: set(wbVicSheet, "A1", "cpcj:PRISONS"),
		says: []string{`This sheet holds the table "PRISONS", which UN-CTS 2024 does not ask for`, `No sheet holds the table "Victims of serious assault`},
	}} {
		t.Run(c.name, func(t *testing.T) {
			b := base
			if c.edit != nil {
				b = wbEdit(t, b, c.edit)
			}
			if c.patch != nil {
				b = wbPatch(t, b, c.patch)
			}
			vs, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
			ps := wbProblems(t, vs, err)
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("kind %s, want invalid", fail.KindOf(err))
			}
			if len(ps) != len(c.says) {
				t.Errorf("%d problems, want %d: %v", len(ps), len(c.says), err)
			}
			for i, p := range ps {
				if i >= len(c.says) {
					break
				}
				if !strings.Contains(p.Reason, c.says[i]) {
					t.Errorf("problem %d says %q, want %q", i, p.Reason, c.says[i])
				}
				where := p.Cell
				if where == "" && p.Row > 0 {
					where = fmt.Sprintf("row %d", p.Row)
				}
				if i < len(c.cells) && where != c.cells[i] {
					t.Errorf("problem %d is at %q, want %q (%s)", i, where, c.cells[i], p)
				}
				if p.Cell != "" && p.Sheet == "" {
					t.Errorf("problem %d names a cell but no sheet: %s", i, p)
				}
			}
		})
	}
}

// wbReplace returns a patch of the offences sheet's XML.
func wbReplace(old, new string) func(name string, content []byte) []byte {
	return func(name string, content []byte) []byte {
		if name != wbSheetPart {
			return content
		}
		return bytes.Replace(content, []byte(old), []byte(new), 1)
	}
}

// TestWorkbookFormulaResult takes the result a spreadsheet program saved
// with a formula.
func TestWorkbookFormulaResult(t *testing.T) {
	wb := wbSpec(t)
	b := wbEdit(t, wbWrite(t, wb), func(f *excelize.File) error { return f.SetCellFormula(wbOffSheet, "D9", "D8/2") })
	b = wbPatch(t, b, wbReplace(`t="str"><f>D8/2</f>`, `><f>D8/2</f><v>2250</v>`))
	got, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	if err != nil {
		t.Fatal(err)
	}
	want := wbPrefilled(t)
	for i, v := range want {
		if v.Key == wbKey(t, wbOffences, "0501", "", false) && v.Period.Year == 2024 {
			want[i].Value, want[i].Status = wbF(2250), stats.StatusNormal
		}
	}
	wbSame(t, got, want)
}

// TestWorkbookProblemsTogether finds every problem of a workbook in one
// reading, in the order of the questionnaire.
func TestWorkbookProblemsTogether(t *testing.T) {
	wb := wbSpec(t)
	b := wbEdit(t, wbWrite(t, wb), func(f *excelize.File) error {
		return errors.Join(f.SetCellValue(wbVicSheet, "E8", "many"), f.SetCellValue(wbOffSheet, "D10", "lots"),
			f.SetCellValue(wbOffSheet, "F12", "approx."), f.MoveSheet(wbVicSheet, wbOffSheet))
	})
	vs, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	ps := wbProblems(t, vs, err)
	var got []string
	for _, p := range ps {
		got = append(got, p.Sheet+"!"+p.Cell)
	}
	if want := []string{wbOffSheet + "!D10", wbOffSheet + "!F12", wbVicSheet + "!E8"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("problems at %v, want %v", got, want)
	}
	if !strings.HasPrefix(err.Error(), "3 problem(s) in the workbook; sheet \"Offences recorded by the police\", cell D10: Theft, 2024: \"lots\" is not a number") {
		t.Errorf("error says %q", err)
	}
}

// TestWorkbookWhose refuses a workbook made for another State, another
// round, or by something else than cpcj, before looking at its figures.
func TestWorkbookWhose(t *testing.T) {
	wb := wbSpec(t)
	b := wbWrite(t, wb)
	france := wb
	france.State, france.StateName = "FRA", "France"
	nextRound := wb
	nextRound.RoundID, nextRound.Round, nextRound.Year = 9, "UN-CTS 2025", 2025
	both := nextRound
	both.State, both.StateName = "FRA", "France"
	noMeta := wbEdit(t, b, func(f *excelize.File) error { return f.DeleteSheet(wbMetaSheet) })
	other := wbEdit(t, b, func(f *excelize.File) error { return f.SetCellValue(wbMetaSheet, "A1", "something else") })
	plain := excelize.NewFile()
	var plainBuf bytes.Buffer
	plain.WriteTo(&plainBuf)
	for _, c := range []struct {
		name string
		file []byte
		wb   Workbook
		says string
	}{
		{"another State", b, france, "This workbook is Kenya's for UN-CTS 2024; you are uploading for France. Download France's workbook from cpcj and copy the figures into it."},
		{"another round", b, nextRound, "This workbook is for UN-CTS 2024 (figures for 2024); you are uploading for UN-CTS 2025 (figures for 2025)."},
		{"another State and round", b, both, "This workbook is Kenya's for UN-CTS 2024; you are uploading France's figures for UN-CTS 2025."},
		{"the hidden sheet removed", noMeta, wb, `This workbook was not made by cpcj for the collection, or its hidden sheet "_cpcj" was removed`},
		{"the hidden sheet changed", other, wb, `This workbook was not made by cpcj for the collection`},
		{"a workbook not made by cpcj", plainBuf.Bytes(), wb, "Download Kenya's workbook for UN-CTS 2024 from cpcj, copy your figures into it"},
		{"not a workbook", []byte("Iso3_code,Year,VALUE\nKEN,2024,12\n"), wb, "The file is not an Excel workbook (.xlsx)"},
		{"an empty file", nil, wb, "The file is not an Excel workbook (.xlsx)"},
		{"an old Excel file", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...), wb, "The file is not an Excel workbook (.xlsx)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vs, err := ReadWorkbook(context.Background(), bytes.NewReader(c.file), int64(len(c.file)), c.wb)
			if vs != nil || !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("read %d values, error %v; want an invalid input saying %q", len(vs), err, c.says)
			}
		})
	}
}

// TestWorkbookLimits refuses files too large, before reading them where
// the size is known, and zip bombs, without inflating them.
func TestWorkbookLimits(t *testing.T) {
	wb := wbSpec(t)
	huge := &wbEndless{}
	vs, err := ReadWorkbook(context.Background(), huge, 300<<20, wb)
	if vs != nil || !fail.Is(err, fail.TooLarge) || err.Error() != "The file is 300.0 MB; a workbook can be at most 10.0 MB. A filled questionnaire is far smaller: was something large pasted into it?" {
		t.Errorf("300 MB file: %v", err)
	}
	if huge.read != 0 {
		t.Errorf("read %d bytes of a file too large", huge.read)
	}
	// A size not given, or given wrong: read up to the limit and no further.
	for _, size := range []int64{-1, 1000} {
		huge = &wbEndless{}
		vs, err = ReadWorkbook(context.Background(), io.MultiReader(huge), size, wb)
		if vs != nil || !fail.Is(err, fail.TooLarge) || !strings.Contains(err.Error(), "The file is larger than 10.0 MB, the most a workbook can be") {
			t.Errorf("size %d: %v", size, err)
		}
		if huge.read > MaxWorkbookSize+64<<10 {
			t.Errorf("size %d: read %d bytes", size, huge.read)
		}
	}

	// Zip bombs: a sheet of 100 MB of spaces, a hundred kilobytes zipped,
	// saying so in the zip's directory, and saying it holds a kilobyte.
	for _, c := range []struct {
		declared uint64
		kind     fail.Kind
		says     string
	}{
		{100 << 20, fail.TooLarge, "Unzipped, the workbook holds more than 64.0 MB"},
		{1 << 10, fail.Invalid, "The workbook is damaged and cannot be read"},
	} {
		bomb := wbBomb(t, wbWrite(t, wb), 100<<20, c.declared)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		vs, err = ReadWorkbook(context.Background(), bytes.NewReader(bomb), int64(len(bomb)), wb)
		runtime.ReadMemStats(&after)
		if vs != nil || !fail.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("zip bomb of %d KB declaring %d bytes: %v", len(bomb)>>10, c.declared, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("zip bomb declaring %d bytes: allocated %d MB", c.declared, alloc>>20)
		}
	}
}

// wbBomb returns the workbook b with spaces added to its first sheet, as
// many as pad, and its zip entry declaring the size declared.
func wbBomb(t testing.TB, b []byte, pad int, declared uint64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name != wbSheetPart {
			if err := zw.Copy(zf); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(rc)
		rc.Close()
		head, tail, _ := bytes.Cut(content, []byte("<sheetData>"))
		var packed bytes.Buffer
		sum := crc32.NewIEEE()
		fw, _ := flate.NewWriter(&packed, flate.BestCompression)
		w := io.MultiWriter(fw, sum)
		w.Write(head)
		w.Write([]byte("<sheetData>"))
		spaces := bytes.Repeat([]byte(" "), 1<<20)
		for n := 0; n < pad; n += len(spaces) {
			w.Write(spaces)
		}
		w.Write(tail)
		fw.Close()
		raw, err := zw.CreateRaw(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, CRC32: sum.Sum32(),
			CompressedSize64: uint64(packed.Len()), UncompressedSize64: declared})
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(packed.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// wbEndless is a file that never ends, counting what is read of it.
type wbEndless struct{ read int64 }

func (e *wbEndless) Read(p []byte) (int, error) {
	clear(p)
	e.read += int64(len(p))
	return len(p), nil
}

// TestWorkbookFarCells reads a sheet whose cells lie at the far end of
// every row, in rows without numbers: a file of a few kilobytes that a
// reader materializing rows would inflate to gigabytes.
func TestWorkbookFarCells(t *testing.T) {
	wb := wbSpec(t)
	var rows strings.Builder
	for i := 0; i < 20000; i++ {
		rows.WriteString(`<row><c r="XFD` + fmt.Sprint(i+1) + `"/></row>`)
	}
	b := wbPatch(t, wbWrite(t, wb), func(name string, content []byte) []byte {
		if name == wbSheetPart {
			return regexp.MustCompile(`(?s)<sheetData>.*</sheetData>`).ReplaceAll(content, []byte("<sheetData>"+rows.String()+"</sheetData>"))
		}
		return content
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	vs, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	runtime.ReadMemStats(&after)
	ps := wbProblems(t, vs, err)
	if len(ps) != 1 || !strings.Contains(ps[0].Reason, `No sheet holds the table "Offences recorded by the police"`) {
		t.Errorf("problems: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("a file of %d KB: allocated %d MB", len(b)>>10, alloc>>20)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a file of %d KB took %s", len(b)>>10, d)
	}
}

// TestWorkbookLibreOffice reads the workbook of wbSpec filled and saved by
// LibreOffice Calc 7.4, which writes its own styles and number formats
// and keeps the very hidden sheet only hidden. In it, serious assault for
// 2024 is 4600 (a formula, =4500+100, with its result) and burglary for
// 2024 is 950, typed as text "950", estimated.
func TestWorkbookLibreOffice(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "workbook-libreoffice.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	wb := wbSpec(t)
	got, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	if err != nil {
		t.Fatal(err)
	}
	want := wbPrefilled(t)
	for i, v := range want {
		switch {
		case v.Key == wbKey(t, wbOffences, "020111", "", false) && v.Period.Year == 2024:
			want[i].Value = wbF(4600)
		case v.Key == wbKey(t, wbOffences, "0501", "", false) && v.Period.Year == 2024:
			want[i].Value, want[i].Status = wbF(950), stats.StatusEstimated
		}
	}
	wbSame(t, got, want)
}

// TestWorkbookLayout checks what a person meets in the workbook: sheets
// named after the tables within Excel's limits, the codes hidden, the
// input cells alone unlocked, a list of statuses, pages that print.
func TestWorkbookLayout(t *testing.T) {
	wb := wbSpec(t)
	f, err := excelize.OpenReader(bytes.NewReader(wbWrite(t, wb)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), "|"); got != wbOffSheet+"|"+wbVicSheet+"|"+wbMetaSheet {
		t.Errorf("sheets %s", got)
	}
	if v, _ := f.GetSheetVisible(wbMetaSheet); v {
		t.Errorf("the metadata sheet is visible")
	}
	for _, s := range []string{wbOffSheet, wbVicSheet} {
		if v, _ := f.GetColVisible(s, "A"); v {
			t.Errorf("%s: the code column is visible", s)
		}
		if v, _ := f.GetRowVisible(s, 1); v {
			t.Errorf("%s: the code row is visible", s)
		}
		dvs, _ := f.GetDataValidations(s)
		lists := 0
		for _, dv := range dvs {
			if dv.Type == "list" && strings.Contains(dv.Formula1, "break in series") {
				lists++
			}
		}
		if lists != 1 {
			t.Errorf("%s: %d status lists", s, lists)
		}
	}
	head, _ := f.GetRows(wbOffSheet)
	if got := strings.Join(head[6][1:], "|"); got != "Year|Crime category (ICCS)|Number|Rate per 100,000 population (optional)|Status (empty if normal)|Comment|Published figure for the year before" {
		t.Errorf("column heads %s", got)
	}
	if got := strings.Join(head[8][1:8], "|"); got != "2024|Burglary||||Not collected since 2020|800" {
		t.Errorf("row 9: %s", got)
	}
	for cell, locked := range map[string]bool{"B8": true, "C8": true, "D8": false, "E8": false, "F8": false, "G8": false, "H8": true, "D2": true} {
		id, _ := f.GetCellStyle(wbOffSheet, cell)
		st, _ := f.GetStyle(id)
		if got := st.Protection != nil && st.Protection.Locked || st.Protection == nil; got != locked {
			t.Errorf("%s locked = %v, want %v", cell, got, locked)
		}
	}
	var titles bool
	for _, n := range f.GetDefinedName() {
		titles = titles || n.Name == "_xlnm.Print_Titles" && n.Scope == wbOffSheet && n.RefersTo == "'Offences recorded by the police'!$7:$7"
	}
	if !titles {
		t.Errorf("no print titles: %v", f.GetDefinedName())
	}
}

func TestWorkbookSheetNames(t *testing.T) {
	var sheets []Sheet
	for _, title := range []string{"Offences: police [2024] / courts?", "Offences: police [2024] / courts?", "History", "'Quoted'", "",
		"Persons brought into formal contact with the police and/or criminal justice system", "Offences recorded by the police: of which cyber-related"} {
		sheets = append(sheets, Sheet{Table: Table{ID: "T", Title: title}})
	}
	sheets = append(sheets, Sheet{Table: Table{ID: "T", Title: "Offences recorded by the police: of which cyber-related", Short: "Offences: cyber-related"}})
	want := []string{"Offences - police (2024)…", "Offences - police (2024)… (2)", "History (2)", "Quoted", "T",
		"Persons brought into formal…", "Offences recorded by the…", "Offences - cyber-related"}
	got := wbSheetNames(sheets)
	for i := range want {
		if got[i] != want[i] || utf8.RuneCountInString(got[i]) > 31 {
			t.Errorf("sheet %d named %q, want %q", i, got[i], want[i])
		}
	}
}

// TestWorkbookShippedTables writes and reads back every table cpcj
// ships, every cell filled.
func TestWorkbookShippedTables(t *testing.T) {
	ref, err := source.LoadReference(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables, _, err := Shipped(data.FS, stats.NewStructure(ref.Codelists, ref.Dataflows))
	if err != nil {
		t.Fatal(err)
	}
	wb := Workbook{RoundID: 1, Round: "UN-CTS 2024", Year: 2024, State: "FRA", StateName: "France", Codelists: wbCodelists(t),
		Draft: map[Scope][]Value{}}
	n := 0.0
	var want []Value
	for _, tab := range tables {
		wb.Sheets = append(wb.Sheets, Sheet{Table: tab, Years: []int{2024, 2023}})
		for _, y := range []int{2024, 2023} {
			sc := Scope{Flow: tab.Flow, State: "FRA", Year: y}
			for _, c := range wbCells(tab) {
				k, err := tab.Key("FRA", c)
				if err != nil {
					t.Fatal(err)
				}
				n++
				v := Value{Key: k, Period: wbYear(y), Value: wbF(n), Status: stats.StatusNormal}
				wb.Draft[sc] = append(wb.Draft[sc], v)
				want = append(want, v)
				if tab.Rates {
					v := Value{Key: wbRateKey(k), Period: wbYear(y), Value: wbF(n / 7), Status: stats.StatusNormal}
					wb.Draft[sc] = append(wb.Draft[sc], v)
					want = append(want, v)
				}
			}
		}
	}
	b := wbWrite(t, wb)
	got, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
	if err != nil {
		t.Fatal(err)
	}
	wbSame(t, got, want)
}

// wbCells lists the cells of a table, row by row.
func wbCells(tab Table) []Cell {
	cols := tab.Cols.Codes
	if tab.Cols.Dim == "" {
		cols = []string{""}
	}
	var out []Cell
	for _, r := range tab.Rows.Codes {
		for _, c := range cols {
			out = append(out, Cell{r, c})
		}
	}
	return out
}

func TestWorkbookFigure(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		why  string
	}{
		{"1234", 1234, ""},
		{" 1234 ", 1234, ""},
		{"-3", -3, ""},
		{"\u22123", -3, ""},
		{"+7", 7, ""},
		{"12.5", 12.5, ""},
		{"12,5", 12.5, ""},
		{"0,123", 0.123, ""},
		{".5", 0.5, ""},
		{"1 234", 1234, ""},
		{"1\u00a0234\u00a0567", 1234567, ""},
		{"1\u202f234,5", 1234.5, ""},
		{"1'234", 1234, ""},
		{"1,234,567", 1234567, ""},
		{"1.234.567", 1234567, ""},
		{"1,234.5", 1234.5, ""},
		{"1.234,5", 1234.5, ""},
		{"12,345.678", 12345.678, ""},
		{"1,234", 0, "is ambiguous"},
		{"1.234", 0, "is ambiguous"},
		{"-999,999", 0, "is ambiguous"},
		{"1,2345", 1.2345, ""},
		{"1 23", 0, "is not a number"},
		{"1,23,456", 0, "is not a number"},
		{"1.234,567.8", 0, "is not a number"},
		{"1 234.567,8", 0, "is not a number"},
		{"12.", 0, "is not a number"},
		{"n/a", 0, "is not a number"},
		{"..", 0, "is not a number"},
		{"-", 0, "is not a number"},
		{"1e3", 0, "is not a number"},
		{"Inf", 0, "is not a number"},
		{"0x10", 0, "is not a number"},
		{"12%", 0, "is not a number"},
		{"(123)", 0, "is not a number"},
		{"", 0, "is not a number"},
	} {
		got, why := wbFigure(c.in)
		if got != c.want || !strings.Contains(why, c.why) || (c.why == "") != (why == "") {
			t.Errorf("wbFigure(%q) = %v, %q; want %v, %q", c.in, got, why, c.want, c.why)
		}
	}
}

func TestWorkbookFormatKind(t *testing.T) {
	for code, want := range map[string]string{
		"": "", "General": "", "0": "", "#,##0.00": "", "0.00E+00": "", `#,##0 "cases"`: "", "[Red]#,##0;[Blue]-#,##0": "", `[$€-407] #,##0.00`: "",
		"@": "", `0\d`: "",
		"yyyy-mm-dd": "date", "d/m/yy": "date", "[$-F800]dddd, mmmm dd, yyyy": "date", "h:mm": "date", "[h]:mm:ss": "date", "mm:ss.0": "date",
		"0%": "percent", "0.00%": "percent", `0;"%"`: "",
	} {
		if got := xlsxFormatKind(code); got != want {
			t.Errorf("xlsxFormatKind(%q) = %q, want %q", code, got, want)
		}
	}
}

// TestXLSXParts reads shared strings as spreadsheet programs write them
// (rich text in runs, phonetic hints to leave out, spaces kept) and cells
// anywhere in a sheet, without row or cell references.
func TestXLSXParts(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string]string{
		"xl/workbook.xml": `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` +
			`<sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Chart" sheetId="2" r:id="rId2"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Target="/xl/worksheets/data.xml"/><Relationship Id="rId2" Target="chartsheets/sheet1.xml"/></Relationships>`,
		"xl/sharedStrings.xml": `<sst><si><t xml:space="preserve"> plain </t></si><si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r>` +
			`<rPh sb="0" eb="1"><t>ignored</t></rPh></si></sst>`,
		"xl/worksheets/data.xml": `<worksheet><sheetData><row><c t="s"><v>1</v></c><c t="s"><v>0</v></c></row>` +
			`<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData></worksheet>`,
	} {
		w, _ := zw.Create(name)
		io.WriteString(w, content)
	}
	zw.Close()
	x, err := openXLSX(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(x.sheets) != 2 || x.sheets[0].part != "xl/worksheets/data.xml" || x.sheets[1].part != "" {
		t.Fatalf("sheets %+v", x.sheets)
	}
	var got []string
	err = x.cells(x.sheets[0], func(c xlsxCell) error {
		text, _ := x.text(c)
		got = append(got, fmt.Sprintf("%s=%q", xlsxCellName(c.col, c.row), text))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `A1="rich text" B1=" plain " XFD1048576="far"`; strings.Join(got, " ") != want {
		t.Errorf("cells %s, want %s", strings.Join(got, " "), want)
	}
}
