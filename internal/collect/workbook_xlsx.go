package collect

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// The reading side of a workbook streams its XML rather than going
// through excelize: excelize materializes a worksheet as rows up to the
// highest row number, each padded to its rightmost cell, so that a file
// of a few kilobytes naming far-away cells inflates to gigabytes. Here
// every part is decompressed under one budget and decoded token by
// token, and only the cells the reader asks for are kept.

// xlsx is an Office Open XML workbook opened for reading.
type xlsx struct {
	ctx      context.Context      // checked as parts are read, to stop a long reading
	parts    map[string]*zip.File // by lower-case path
	left     int64                // decompressed bytes that may still be read
	sheets   []xlsxSheet          // in the workbook's order
	strings  []string             // the shared strings
	formats  []string             // number format code of each cell style, "" for General
	date1904 bool
}

// xlsxSheet is a sheet of the workbook.
type xlsxSheet struct {
	name  string
	state string // "", "hidden" or "veryHidden"
	part  string // path of its XML in the package; empty for a sheet that is not a worksheet
}

// xlsxCell is a cell as the sheet stores it.
type xlsxCell struct {
	row, col int
	typ      string // the t attribute: "" or "n" number, "s" shared string, "str" formula text, "inlineStr", "b", "e", "d"
	style    int
	v        string // the <v> value, or the text of an inline string
	formula  bool
	f        string // the formula's text; empty for a cell sharing another's
}

// Limits of a workbook, past which it is refused rather than read.
const (
	xlsxMaxUnzipped = 64 << 20 // all parts read, decompressed, added up
	xlsxMaxStrings  = 1 << 20  // entries of the shared strings table
	xlsxMaxStyles   = 1 << 16  // cell styles; Excel allows 64,000
	xlsxMaxRow      = 1 << 20  // Excel's last row
	xlsxMaxCol      = 1 << 14  // Excel's last column, XFD
)

// errNotXLSX says a file is not an Office Open XML workbook.
var errNotXLSX = errors.New("not an xlsx workbook")

// errXLSXUnzipped says a workbook holds more than maxUnzipped.
var errXLSXUnzipped = errors.New("too large unzipped")

// xlsxDamaged is an error in the structure of a part.
type xlsxDamaged struct {
	part string
	err  error
}

func (d *xlsxDamaged) Error() string { return fmt.Sprintf("%s: %v", d.part, d.err) }

// openXLSX reads the structure of a workbook: its sheets, shared strings
// and number formats.
func openXLSX(ctx context.Context, r io.ReaderAt, size int64) (*xlsx, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, errNotXLSX
	}
	x := &xlsx{ctx: ctx, parts: map[string]*zip.File{}, left: xlsxMaxUnzipped}
	for _, f := range zr.File {
		x.parts[strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))] = f
	}
	if x.parts["xl/workbook.xml"] == nil {
		return nil, errNotXLSX
	}
	targets, err := x.rels("xl/_rels/workbook.xml.rels")
	if err != nil {
		return nil, err
	}
	if err := x.readWorkbook(targets); err != nil {
		return nil, err
	}
	if err := x.readStrings(); err != nil {
		return nil, err
	}
	if err := x.readStyles(); err != nil {
		return nil, err
	}
	return x, nil
}

// decode streams the XML of a part to fn, token by token, counting what
// it decompresses against the budget. A part that is missing is empty.
func (x *xlsx) decode(name string, fn func(d *xml.Decoder, t xml.Token) error) error {
	f := x.parts[strings.ToLower(name)]
	if f == nil {
		return nil
	}
	if int64(f.UncompressedSize64) > x.left || f.UncompressedSize64 > xlsxMaxUnzipped {
		return errXLSXUnzipped
	}
	rc, err := f.Open()
	if err != nil {
		return &xlsxDamaged{name, err}
	}
	defer rc.Close()
	d := xml.NewDecoder(&xlsxBudget{r: rc, left: &x.left})
	for n := 0; ; n++ {
		if n%(1<<14) == 0 {
			if err := x.ctx.Err(); err != nil {
				return err
			}
		}
		t, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errXLSXUnzipped) {
			return err
		}
		if err != nil {
			return &xlsxDamaged{name, err}
		}
		if err := fn(d, t); err != nil {
			return err
		}
	}
}

// xlsxBudget fails once the workbook's decompression budget is spent,
// whatever a zip entry declares its size to be.
type xlsxBudget struct {
	r    io.Reader
	left *int64
}

func (b *xlsxBudget) Read(p []byte) (int, error) {
	if *b.left <= 0 {
		return 0, errXLSXUnzipped
	}
	if int64(len(p)) > *b.left {
		p = p[:*b.left]
	}
	n, err := b.r.Read(p)
	*b.left -= int64(n)
	return n, err
}

// xmlAttr returns the value of an element's attribute, by local name.
func xmlAttr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// rels reads a relationships part: target path by id, resolved against
// the folder of the part they belong to.
func (x *xlsx) rels(name string) (map[string]string, error) {
	base := path.Dir(path.Dir(name)) // xl/_rels/workbook.xml.rels belongs to xl/
	out := map[string]string{}
	err := x.decode(name, func(_ *xml.Decoder, t xml.Token) error {
		if e, ok := t.(xml.StartElement); ok && e.Name.Local == "Relationship" {
			target := xmlAttr(e, "Target")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join(base, target)
			}
			out[xmlAttr(e, "Id")] = target
		}
		return nil
	})
	return out, err
}

func (x *xlsx) readWorkbook(targets map[string]string) error {
	return x.decode("xl/workbook.xml", func(_ *xml.Decoder, t xml.Token) error {
		e, ok := t.(xml.StartElement)
		if !ok {
			return nil
		}
		switch e.Name.Local {
		case "workbookPr":
			x.date1904 = xmlAttr(e, "date1904") == "1" || xmlAttr(e, "date1904") == "true"
		case "sheet":
			// Excel's names have 31 characters at most; a longer one, cut,
			// cannot flood the messages that name it.
			s := xlsxSheet{name: wbCut(xmlAttr(e, "name"), 100), state: xmlAttr(e, "state")}
			for _, a := range e.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					s.part = targets[a.Value]
				}
			}
			if !strings.HasPrefix(strings.ToLower(s.part), "xl/worksheets/") {
				s.part = "" // a chart sheet or a dialog sheet: no cells
			}
			x.sheets = append(x.sheets, s)
		}
		return nil
	})
}

// readStrings reads the shared strings table: the text of each entry,
// runs joined, phonetic hints left out.
func (x *xlsx) readStrings() error {
	var b strings.Builder
	in, phonetic := false, 0
	err := x.decode("xl/sharedStrings.xml", func(_ *xml.Decoder, t xml.Token) error {
		switch e := t.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "si":
				if len(x.strings) >= xlsxMaxStrings {
					return &xlsxDamaged{"xl/sharedStrings.xml", fmt.Errorf("more than %d strings", xlsxMaxStrings)}
				}
				in = true
				b.Reset()
			case "rPh":
				phonetic++
			}
		case xml.CharData:
			if in && phonetic == 0 {
				b.Write(e)
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "si":
				x.strings = append(x.strings, b.String())
				in = false
			case "rPh":
				phonetic--
			}
		}
		return nil
	})
	return err
}

// readStyles reads the number format of each cell style.
func (x *xlsx) readStyles() error {
	codes := map[int]string{}
	var ids []int
	inXfs := false
	err := x.decode("xl/styles.xml", func(_ *xml.Decoder, t xml.Token) error {
		switch e := t.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "numFmt":
				if id, err := strconv.Atoi(xmlAttr(e, "numFmtId")); err == nil {
					codes[id] = xmlAttr(e, "formatCode")
				}
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs {
					if len(ids) >= xlsxMaxStyles {
						return &xlsxDamaged{"xl/styles.xml", fmt.Errorf("more than %d cell styles", xlsxMaxStyles)}
					}
					id, _ := strconv.Atoi(xmlAttr(e, "numFmtId"))
					ids = append(ids, id)
				}
			}
		case xml.EndElement:
			if e.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
		return nil
	})
	x.formats = make([]string, len(ids))
	for i, id := range ids {
		if code, ok := codes[id]; ok {
			x.formats[i] = code
		} else {
			x.formats[i] = xlsxBuiltinFormat(id)
		}
	}
	return err
}

// xlsxBuiltinFormat stands for a number format Excel does not write out, by
// the kind of value it shows: a date or time, a percentage or a number.
func xlsxBuiltinFormat(id int) string {
	switch {
	case id >= 14 && id <= 22, id >= 27 && id <= 36, id >= 45 && id <= 47, id >= 50 && id <= 58:
		return "yyyy-mm-dd hh:mm"
	case id == 9, id == 10:
		return "0%"
	}
	return ""
}

// format returns the number format code of a cell style.
func (x *xlsx) format(style int) string {
	if style >= 0 && style < len(x.formats) {
		return x.formats[style]
	}
	return ""
}

// text returns a cell's value as text: the shared string it refers to,
// or the value as stored.
func (x *xlsx) text(c xlsxCell) (string, bool) {
	if c.typ != "s" {
		return c.v, true
	}
	i, err := strconv.Atoi(strings.TrimSpace(c.v))
	if err != nil || i < 0 || i >= len(x.strings) {
		return "", false
	}
	return x.strings[i], true
}

// cells streams the cells of a worksheet to fn, in the order of the
// sheet, and its merged ranges to merged. Rows and cells must come in
// order, as every spreadsheet program writes them; a sheet that breaks
// that is damaged.
func (x *xlsx) cells(s xlsxSheet, fn func(xlsxCell) error, merged func(ref string) error) error {
	var (
		c              xlsxCell
		row, col       int
		inData, inCell bool
		into           *strings.Builder
		v, f, inline   strings.Builder
		inInline, rPh  int
	)
	bad := func(format string, args ...any) error {
		return &xlsxDamaged{s.part, fmt.Errorf(format, args...)}
	}
	return x.decode(s.part, func(_ *xml.Decoder, t xml.Token) error {
		switch e := t.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "sheetData":
				inData = true
			case "row":
				if !inData {
					return nil
				}
				n := row + 1
				if r := xmlAttr(e, "r"); r != "" {
					var err error
					if n, err = strconv.Atoi(r); err != nil || n <= row || n > xlsxMaxRow {
						return bad("row %q out of order after row %d", r, row)
					}
				}
				row, col = n, 0
			case "c":
				if !inData || row == 0 {
					return nil
				}
				n := col + 1
				if r := xmlAttr(e, "r"); r != "" {
					cn, rn, ok := xlsxCellRef(r)
					if !ok || rn != row || cn <= col {
						return bad("cell %q out of order in row %d", r, row)
					}
					n = cn
				}
				if n > xlsxMaxCol {
					return bad("cell beyond the last column in row %d", row)
				}
				col = n
				c = xlsxCell{row: row, col: col, typ: xmlAttr(e, "t")}
				if s := xmlAttr(e, "s"); s != "" {
					c.style, _ = strconv.Atoi(s)
				}
				inCell = true
				v.Reset()
				f.Reset()
				inline.Reset()
			case "v":
				if inCell {
					into = &v
				}
			case "f":
				if inCell {
					c.formula, into = true, &f
				}
			case "is":
				inInline++
			case "rPh":
				rPh++
			case "t":
				if inCell && inInline > 0 && rPh == 0 {
					into = &inline
				}
			case "mergeCell":
				if merged != nil {
					return merged(xmlAttr(e, "ref"))
				}
			}
		case xml.CharData:
			if into != nil {
				into.Write(e)
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "sheetData":
				inData = false
			case "v", "f", "t":
				into = nil
			case "is":
				inInline--
			case "rPh":
				rPh--
			case "c":
				if !inCell {
					return nil
				}
				inCell = false
				c.v, c.f = v.String(), f.String()
				if c.typ == "inlineStr" {
					c.v = inline.String()
				}
				return fn(c)
			}
		}
		return nil
	})
}

// xlsxCellRef reads a cell reference such as "E12" into its column and row.
func xlsxCellRef(s string) (col, row int, ok bool) {
	s = strings.ReplaceAll(strings.ToUpper(s), "$", "")
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		col = col*26 + int(s[i]-'A'+1)
		if col > xlsxMaxCol {
			return 0, 0, false
		}
		i++
	}
	if i == 0 || i == len(s) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(s[i:])
	if err != nil || row < 1 || row > xlsxMaxRow || s[i] == '+' || s[i] == '-' {
		return 0, 0, false
	}
	return col, row, true
}

// xlsxRangeRef reads a range such as "B4:H4", or a single cell, into its
// corners.
func xlsxRangeRef(s string) (c1, r1, c2, r2 int, ok bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		b = a
	}
	c1, r1, ok1 := xlsxCellRef(a)
	c2, r2, ok2 := xlsxCellRef(b)
	if !ok1 || !ok2 {
		return 0, 0, 0, 0, false
	}
	return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2), true
}

// xlsxCellName writes a column and row as a cell reference, "E12".
func xlsxCellName(col, row int) string { return xlsxColName(col) + strconv.Itoa(row) }

// xlsxColName writes a column number as letters, "E".
func xlsxColName(col int) string {
	var b []byte
	for ; col > 0; col = (col - 1) / 26 {
		b = append([]byte{byte('A' + (col-1)%26)}, b...)
	}
	return string(b)
}
