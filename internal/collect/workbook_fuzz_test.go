package collect

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// wbFuzzSeeds are workbooks to start fuzzing from: as written, filled,
// edited, refused, and as LibreOffice saves them.
func wbFuzzSeeds(t testing.TB) [][]byte {
	wb := wbSpec(t)
	base := wbWrite(t, wb)
	seeds := [][]byte{base}
	for _, edit := range []func(f *excelize.File) error{
		func(f *excelize.File) error {
			return errors.Join(f.SetCellValue(wbOffSheet, "D9", "1 234,5"), f.SetCellValue(wbOffSheet, "F9", "estimated"), f.SetCellValue(wbOffSheet, "E10", "1,234"))
		},
		func(f *excelize.File) error {
			return errors.Join(f.InsertRows(wbOffSheet, 9, 2), f.InsertCols(wbOffSheet, "D", 1), f.MergeCell(wbVicSheet, "E8", "F9"))
		},
		func(f *excelize.File) error {
			return errors.Join(f.SetCellFormula(wbOffSheet, "D9", "D8/2"), f.SetCellValue(wbOffSheet, "A10", "2019|0501|"), f.DuplicateRow(wbVicSheet, 9))
		},
	} {
		seeds = append(seeds, wbEdit(t, base, edit))
	}
	if lo, err := os.ReadFile(filepath.Join("testdata", "workbook-libreoffice.xlsx")); err == nil {
		seeds = append(seeds, lo)
	}
	return seeds
}

// wbCheckRead checks what ReadWorkbook made of any file: values of the
// State, the years and the tables asked, each with its origin; or a
// refusal of a kind the edges know, with nothing read.
func wbCheckRead(t *testing.T, wb Workbook, vs []Value, err error) {
	if err != nil {
		if vs != nil {
			t.Fatalf("refused (%v) with %d values", err, len(vs))
		}
		var ps *SheetProblems
		if errors.As(err, &ps) {
			if ps.Len() == 0 {
				t.Fatal("refused with no problem")
			}
			for _, p := range ps.List {
				if p.Reason == "" || p.Cell != "" && p.Sheet == "" {
					t.Fatalf("problem without a reason or a sheet: %#v", p)
				}
			}
		}
		if k := fail.KindOf(err); k != fail.Invalid && k != fail.TooLarge {
			t.Fatalf("refused as %s: %v", k, err)
		}
		return
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if v.Key.Dim("REF_AREA") != wb.State || v.Origin == "" || v.Period.Kind != 'A' {
			t.Fatalf("value %s %s from %q", v.Key, v.Period, v.Origin)
		}
		in := false
		for _, s := range wb.Sheets {
			k := v.Key
			if s.Table.Rates && k.Dim("UNIT_MEASURE") == wbRateUnit {
				k[stats.DimIndex("UNIT_MEASURE")] = s.Table.Fixed["UNIT_MEASURE"]
			}
			if _, ok := s.Table.CellOf(k); ok && slices.Contains(s.Years, v.Period.Year) {
				in = true
			}
		}
		if !in {
			t.Fatalf("value %s %s is no cell of the workbook", v.Key, v.Period)
		}
		if (v.Value == nil) != (v.Status == stats.StatusMissing) || !slices.Contains([]string{"A", "E", "P", "B", "M"}, v.Status) {
			t.Fatalf("value %s %s: %v with status %q", v.Key, v.Period, v.Value, v.Status)
		}
		id := v.Key.String() + v.Period.String()
		if seen[id] {
			t.Fatalf("value %s %s read twice", v.Key, v.Period)
		}
		seen[id] = true
	}
}

// FuzzReadWorkbook reads arbitrary files as workbooks. Whatever arrives,
// ReadWorkbook does not panic and answers as wbCheckRead expects.
//
//	go test -run=^$ -fuzz=FuzzReadWorkbook$ -fuzztime=60s ./internal/collect/
func FuzzReadWorkbook(f *testing.F) {
	for _, s := range wbFuzzSeeds(f) {
		f.Add(s)
	}
	wb := wbSpec(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := ReadWorkbook(context.Background(), bytes.NewReader(b), int64(len(b)), wb)
		wbCheckRead(t, wb, vs, err)
	})
}

// FuzzReadWorkbookSheet reads workbooks whose first sheet is arbitrary
// XML, and whose shared strings have arbitrary XML added after those the
// other sheets use, in a sound zip: where fuzzing whole files mostly
// breaks the zip, this reaches the reading of cells.
//
//	go test -run=^$ -fuzz=FuzzReadWorkbookSheet -fuzztime=60s ./internal/collect/
func FuzzReadWorkbookSheet(f *testing.F) {
	const sst = "xl/sharedStrings.xml"
	for _, s := range wbFuzzSeeds(f) {
		f.Add(wbParts(f, s)[wbSheetPart], []byte(nil))
	}
	wb := wbSpec(f)
	base := wbParts(f, wbWrite(f, wb))
	f.Fuzz(func(t *testing.T, sheet, strs []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for n := range base {
				if !yield(n) {
					return
				}
			}
		}) {
			content := base[name]
			switch name {
			case wbSheetPart:
				content = sheet
			case sst:
				content = bytes.Replace(content, []byte("</sst>"), append(slices.Clip(strs), "</sst>"...), 1)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(content)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		vs, err := ReadWorkbook(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), wb)
		wbCheckRead(t, wb, vs, err)
	})
}

// wbParts returns the parts of a workbook's package by name.
func wbParts(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		parts[zf.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return parts
}
