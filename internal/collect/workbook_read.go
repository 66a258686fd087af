package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// MaxWorkbookSize is the largest workbook file ReadWorkbook takes, in
// bytes. A filled questionnaire weighs tens of kilobytes; the margin is
// for what people paste into workbooks.
const MaxWorkbookSize = 10 << 20

// SheetProblem is one thing wrong with an uploaded workbook: a cell, a
// row or a sheet that cannot be read as the questionnaire asks.
type SheetProblem struct {
	Sheet  string `json:"sheet,omitempty"`  // the sheet's name, as the file has it
	Cell   string `json:"cell,omitempty"`   // "E12", or a range "E12:F13"; empty for a row or a sheet
	Row    int    `json:"row,omitempty"`    // 1-based; 0 for a sheet
	Column string `json:"column,omitempty"` // "E"; empty for a row or a sheet
	Reason string `json:"reason"`
}

func (p SheetProblem) String() string {
	var b strings.Builder
	if p.Sheet != "" {
		fmt.Fprintf(&b, "sheet %q", p.Sheet)
	}
	switch {
	case p.Cell != "":
		fmt.Fprintf(&b, ", cell %s", p.Cell)
	case p.Row > 0:
		fmt.Fprintf(&b, ", row %d", p.Row)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// SheetProblems is the error of a workbook that was refused cell by cell:
// every problem found, sheet by sheet in the order of the questionnaire,
// row by row. Nothing of such a workbook is read.
type SheetProblems struct {
	List []SheetProblem
	More int // problems found past stats.MaxProblems
}

func (ps *SheetProblems) add(p SheetProblem) {
	if len(ps.List) >= stats.MaxProblems {
		ps.More++
		return
	}
	ps.List = append(ps.List, p)
}

// Len is the number of problems found.
func (ps *SheetProblems) Len() int { return len(ps.List) + ps.More }

func (ps *SheetProblems) Error() string {
	return stats.Summarize("problem(s) in the workbook", ps.List, ps.Len())
}

// Unwrap makes a refused workbook invalid input, for the edges.
func (ps *SheetProblems) Unwrap() error {
	return &fail.Error{Kind: fail.Invalid, Message: "The workbook cannot be read: see the problems listed."}
}

// ReadWorkbook reads a questionnaire filled from WriteWorkbook back into
// values, for the State, round and tables of wb. It finds each table by
// the codes hidden in its sheet, not by the sheet's name or place, and
// each figure by the codes of its row and column, not by their place: so
// sheets may be renamed or reordered, and rows and columns inserted.
//
// A figure left empty, without comment, is not available and yields no
// value; an empty figure with a comment yields a value with no figure
// (status missing), so that the note is kept. Each value's Origin names
// its sheet and cell.
//
// size is the file's size, or -1 when unknown: a file over
// MaxWorkbookSize is refused before it is read. A reader that is also an
// io.ReaderAt (a file, an upload) is read in place; any other is read
// into memory once.
//
// Whatever is wrong, nothing is returned: a file that is not this
// State's workbook for this round is refused with a *fail.Error saying
// so; a workbook whose cells cannot all be read with *SheetProblems,
// listing every cell at fault.
func ReadWorkbook(ctx context.Context, r io.Reader, size int64, wb Workbook) ([]Value, error) {
	if size > MaxWorkbookSize {
		return nil, fail.New(fail.TooLarge, "The file is %s; a workbook can be at most %s. A filled questionnaire is far smaller: was something large pasted into it?",
			wbMegabytes(size), wbMegabytes(MaxWorkbookSize))
	}
	ra, ok := r.(io.ReaderAt)
	if !ok || size < 0 {
		data, err := io.ReadAll(io.LimitReader(r, MaxWorkbookSize+1))
		if err != nil {
			return nil, err
		}
		if len(data) > MaxWorkbookSize {
			return nil, fail.New(fail.TooLarge, "The file is larger than %s, the most a workbook can be. A filled questionnaire is far smaller: was something large pasted into it?",
				wbMegabytes(MaxWorkbookSize))
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	x, err := openXLSX(ctx, ra, size)
	if err != nil {
		return nil, wbOpenError(err)
	}
	rd := &wbReader{x: x, wb: wb}
	vs, err := rd.read()
	if err != nil {
		return nil, wbOpenError(err)
	}
	if rd.ps.Len() > 0 {
		return nil, &rd.ps
	}
	return vs, nil
}

func wbMegabytes(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

// wbOpenError says what is wrong with a file that cannot be read as a
// workbook at all.
func wbOpenError(err error) error {
	var d *xlsxDamaged
	switch {
	case errors.Is(err, errNotXLSX):
		return fail.New(fail.Invalid, "The file is not an Excel workbook (.xlsx). Save it from your spreadsheet program as \"Excel Workbook (.xlsx)\", without a password to open it, and upload it again.")
	case errors.Is(err, errXLSXUnzipped):
		return fail.New(fail.TooLarge, "Unzipped, the workbook holds more than %s, far more than a questionnaire: was a large picture or sheet added to it? Remove it and upload the workbook again.",
			wbMegabytes(xlsxMaxUnzipped))
	case errors.As(err, &d):
		return fail.New(fail.Invalid, "The workbook is damaged and cannot be read (%s). Open it in your spreadsheet program, save it again as an Excel Workbook (.xlsx), and upload it again.",
			wbCut(d.Error(), 200))
	}
	return err
}

// wbReader reads one workbook.
type wbReader struct {
	x  *xlsx
	wb Workbook
	ps SheetProblems
}

// wbMeta is what the hidden sheet says about the workbook.
type wbMeta struct {
	version   int
	roundID   int64
	round     string
	year      int
	state     string
	stateName string
	sheets    map[string]string // sheet name when made, by table id
}

func (rd *wbReader) read() ([]Value, error) {
	m, err := rd.meta()
	if err != nil {
		return nil, err
	}
	if err := rd.whose(m); err != nil {
		return nil, err
	}
	found, err := rd.findTables()
	if err != nil {
		return nil, err
	}
	var out []Value
	for _, s := range rd.wb.Sheets {
		at := found[s.Table.ID]
		switch len(at) {
		case 0:
			was := ""
			if name := m.sheets[s.Table.ID]; name != "" {
				was = fmt.Sprintf(" (a sheet first named %q)", wbClip(name))
			}
			rd.ps.add(SheetProblem{Reason: fmt.Sprintf("No sheet holds the table %q%s: was the sheet deleted, or its hidden first row or column? "+
				"Download a new workbook from cpcj and copy your figures into it.", s.Table.Title, was)})
			continue
		case 1:
		default:
			names := make([]string, len(at))
			for i, a := range at {
				names[i] = strconv.Quote(wbClip(a.sheet.name))
			}
			rd.ps.add(SheetProblem{Reason: fmt.Sprintf("The sheets %s all hold the table %q: keep the one with your figures and delete the others.",
				strings.Join(names, ", "), s.Table.Title)})
			continue
		}
		vs, err := rd.readSheet(at[0], s)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

// notOurs is the answer to a workbook cpcj did not make.
func (rd *wbReader) notOurs() error {
	return fail.New(fail.Invalid, "This workbook was not made by cpcj for the collection, or its hidden sheet %q was removed, so its figures cannot be matched to the questionnaire. "+
		"Download %s's workbook for %s from cpcj, copy your figures into it, and upload that one.", wbMetaSheet, rd.stateName(), rd.wb.Round)
}

func (rd *wbReader) stateName() string {
	if rd.wb.StateName != "" {
		return rd.wb.StateName
	}
	return rd.wb.State
}

// meta reads the hidden sheet: labels in column A, values beside them.
func (rd *wbReader) meta() (wbMeta, error) {
	var s xlsxSheet
	for _, sh := range rd.x.sheets {
		if sh.name == wbMetaSheet {
			s = sh
		}
	}
	if s.part == "" {
		return wbMeta{}, rd.notOurs()
	}
	m := wbMeta{sheets: map[string]string{}}
	var row []string
	format := ""
	flush := func() {
		if len(row) < 2 {
			return
		}
		switch row[0] {
		case wbMetaFormat:
			format = row[0]
			m.version, _ = strconv.Atoi(row[1])
		case "round id":
			m.roundID, _ = strconv.ParseInt(row[1], 10, 64)
		case "round":
			m.round = row[1]
		case "year":
			m.year, _ = strconv.Atoi(row[1])
		case "state":
			m.state = row[1]
		case "state name":
			m.stateName = row[1]
		case "table":
			if len(row) >= 5 {
				m.sheets[row[1]] = row[4]
			}
		}
	}
	cur := 0
	err := rd.x.cells(s, func(c xlsxCell) error {
		if c.row != cur {
			flush()
			row, cur = nil, c.row
		}
		if c.col > 5 {
			return nil
		}
		for len(row) < c.col {
			row = append(row, "")
		}
		row[c.col-1], _ = rd.x.text(c)
		return nil
	}, nil)
	if err != nil {
		return m, err
	}
	flush()
	switch {
	case format == "":
		return m, rd.notOurs()
	case m.version > wbVersion:
		return m, fail.New(fail.Invalid, "This workbook was made by a newer version of cpcj than this one: download the workbook again from this site.")
	case m.version < 1 || m.state == "" || m.year == 0:
		return m, fail.New(fail.Invalid, "The hidden sheet %q of this workbook was changed, so the workbook cannot be matched to the questionnaire. "+
			"Download a new workbook from cpcj and copy your figures into it.", wbMetaSheet)
	}
	return m, nil
}

// whose refuses a workbook made for another State or another round.
func (rd *wbReader) whose(m wbMeta) error {
	wb := rd.wb
	otherState := m.state != wb.State
	otherRound := m.year != wb.Year || (wb.RoundID != 0 && m.roundID != wb.RoundID) || (wb.RoundID == 0 && m.round != wb.Round)
	theirs, round := wbClip(m.stateName), wbClip(m.round)
	if theirs == "" {
		theirs = wbClip(m.state)
	}
	switch {
	case otherState && otherRound:
		return fail.New(fail.Invalid, "This workbook is %s's for %s; you are uploading %s's figures for %s. Download %s's workbook for %s from cpcj.",
			theirs, round, rd.stateName(), wb.Round, rd.stateName(), wb.Round)
	case otherState:
		return fail.New(fail.Invalid, "This workbook is %s's for %s; you are uploading for %s. Download %s's workbook from cpcj and copy the figures into it.",
			theirs, round, rd.stateName(), rd.stateName())
	case otherRound:
		return fail.New(fail.Invalid, "This workbook is for %s (figures for %d); you are uploading for %s (figures for %d). Download the %s workbook from cpcj and copy your figures into it.",
			round, m.year, wb.Round, wb.Year, wb.Round)
	}
	return nil
}

// wbTableAt is where a table's hidden codes cross in a sheet.
type wbTableAt struct {
	sheet    xlsxSheet
	row, col int
	codes    map[int]string // the hidden code row: column code by column
	merged   [][4]int       // merged ranges: first column, first row, last column, last row
}

// wbMaxMerged is the most merged ranges a table's sheet may have: a few
// head its columns, and the reader checks every one against the rows.
const wbMaxMerged = 10000

// findTables looks in every sheet for the marker of a table: a sheet
// without one is not part of the questionnaire (a sheet of notes the
// State added, say) and is left alone.
func (rd *wbReader) findTables() (map[string][]wbTableAt, error) {
	found := map[string][]wbTableAt{}
	for _, s := range rd.x.sheets {
		if s.name == wbMetaSheet || s.part == "" {
			continue
		}
		var (
			at      wbTableAt
			id      string
			cur     []xlsxCell // the cells of the row being read, until the marker is found
			codeRow []xlsxCell
			merges  int
		)
		err := rd.x.cells(s, func(c xlsxCell) error {
			if id != "" {
				if c.row == at.row {
					codeRow = append(codeRow, c)
				}
				return nil
			}
			if len(cur) > 0 && cur[0].row != c.row {
				cur = cur[:0]
			}
			cur = append(cur, c)
			if t, ok := rd.x.text(c); ok && (c.typ == "s" || c.typ == "str" || c.typ == "inlineStr") && strings.HasPrefix(t, wbMarker) {
				id, at = strings.TrimPrefix(t, wbMarker), wbTableAt{sheet: s, row: c.row, col: c.col}
				codeRow = append(codeRow, cur...)
			}
			return nil
		}, func(ref string) error {
			merges++
			if c1, r1, c2, r2, ok := xlsxRangeRef(ref); ok && merges <= wbMaxMerged {
				at.merged = append(at.merged, [4]int{c1, r1, c2, r2})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if id == "" {
			continue
		}
		if !slices.ContainsFunc(rd.wb.Sheets, func(sh Sheet) bool { return sh.Table.ID == id }) {
			rd.ps.add(SheetProblem{Sheet: s.name, Reason: fmt.Sprintf("This sheet holds the table %q, which %s does not ask for: was it copied from another workbook? Delete it.", wbClip(id), rd.wb.Round)})
			continue
		}
		if merges > wbMaxMerged {
			rd.ps.add(SheetProblem{Sheet: s.name, Reason: fmt.Sprintf("This sheet has %d merged ranges, more than the %d cpcj reads: unmerge the cells (select all, then Home, Merge & Center).", merges, wbMaxMerged)})
			continue
		}
		at.merged = at.merged[:min(len(at.merged), wbMaxMerged)]
		at.codes = map[int]string{}
		for _, c := range codeRow {
			if c.col != at.col {
				t, _ := rd.x.text(c)
				at.codes[c.col] = strings.TrimSpace(t)
			}
		}
		found[id] = append(found[id], at)
	}
	return found, nil
}

// wbSheetReader reads the figures of one table's sheet.
type wbSheetReader struct {
	*wbReader
	at    wbTableAt
	s     Sheet
	cols  map[string]int // column by code
	rows  map[string]int // row by hidden code, to tell duplicates
	cells map[int]*wbRowCells
	order []int
}

// wbRowCells are the cells of a row the reader looks at.
type wbRowCells struct {
	code                      *xlsxCell
	year, label, col          *xlsxCell
	value, rate, status, note *xlsxCell
}

func (rd *wbReader) readSheet(at wbTableAt, s Sheet) ([]Value, error) {
	sr := &wbSheetReader{wbReader: rd, at: at, s: s, cols: map[string]int{}, rows: map[string]int{}, cells: map[int]*wbRowCells{}}
	name := at.sheet.name
	for _, col := range slices.Sorted(maps.Keys(at.codes)) {
		code := at.codes[col]
		if code == "" {
			continue
		}
		if prev, ok := sr.cols[code]; ok {
			rd.ps.add(SheetProblem{Sheet: name, Row: at.row, Reason: fmt.Sprintf("The columns %s and %s are both marked as the %s column in the hidden row %d: was a column copied? Delete the copy.",
				xlsxColName(min(prev, col)), xlsxColName(max(prev, col)), code, at.row)})
			return nil, nil
		}
		sr.cols[code] = col
	}
	for _, code := range []string{wbColValue, wbColStatus, wbColComment} {
		if _, ok := sr.cols[code]; !ok {
			rd.ps.add(SheetProblem{Sheet: name, Reason: fmt.Sprintf("The hidden row %d no longer marks the %s column: was the column deleted? Download a new workbook from cpcj and copy your figures into it.",
				at.row, wbColumnTitle(code))})
			return nil, nil
		}
	}
	pick := map[int]func(*wbRowCells) **xlsxCell{
		at.col: func(r *wbRowCells) **xlsxCell { return &r.code },
	}
	for code, f := range map[string]func(*wbRowCells) **xlsxCell{
		wbColYear:    func(r *wbRowCells) **xlsxCell { return &r.year },
		wbColRow:     func(r *wbRowCells) **xlsxCell { return &r.label },
		wbColCol:     func(r *wbRowCells) **xlsxCell { return &r.col },
		wbColRate:    func(r *wbRowCells) **xlsxCell { return &r.rate },
		wbColValue:   func(r *wbRowCells) **xlsxCell { return &r.value },
		wbColStatus:  func(r *wbRowCells) **xlsxCell { return &r.status },
		wbColComment: func(r *wbRowCells) **xlsxCell { return &r.note },
	} {
		if col, ok := sr.cols[code]; ok {
			pick[col] = f
		}
	}
	err := rd.x.cells(at.sheet, func(c xlsxCell) error {
		f, ok := pick[c.col]
		if !ok || c.row == at.row {
			return nil
		}
		rc := sr.cells[c.row]
		if rc == nil {
			rc = &wbRowCells{}
			sr.cells[c.row] = rc
			sr.order = append(sr.order, c.row)
		}
		*f(rc) = &c
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	sr.checkMerged()
	var out []Value
	for _, r := range sr.order {
		out = append(out, sr.row(r, sr.cells[r])...)
	}
	return out, nil
}

// wbColumnTitle names an input column as its heading does.
func wbColumnTitle(code string) string {
	switch code {
	case wbColValue:
		return "Figure"
	case wbColStatus:
		return "Status"
	case wbColComment:
		return "Comment"
	}
	return code
}

// checkMerged refuses merged cells over the figure, status or comment
// cells: a merged range holds one value where the questionnaire asks for
// several.
func (sr *wbSheetReader) checkMerged() {
	var data []int // the rows holding a figure, in order
	for _, r := range sr.order {
		if sr.dataRow(r) {
			data = append(data, r)
		}
	}
	inputs := []int{sr.cols[wbColValue], sr.cols[wbColStatus], sr.cols[wbColComment]}
	if col, ok := sr.cols[wbColRate]; ok {
		inputs = append(inputs, col)
	}
	for _, m := range sr.at.merged {
		if !slices.ContainsFunc(inputs, func(col int) bool { return col >= m[0] && col <= m[2] }) {
			continue
		}
		i, _ := slices.BinarySearch(data, m[1])
		if i == len(data) || data[i] > m[3] {
			continue
		}
		ref := xlsxCellName(m[0], m[1]) + ":" + xlsxCellName(m[2], m[3])
		sr.ps.add(SheetProblem{Sheet: sr.at.sheet.name, Cell: ref, Row: m[1], Column: xlsxColName(m[0]),
			Reason: fmt.Sprintf("The cells %s are merged, over cells that each hold a figure, a status or a comment. Unmerge them (Home, Merge & Center) and check what each cell holds.", ref)})
	}
}

// dataRow reports whether a row holds a figure's hidden code.
func (sr *wbSheetReader) dataRow(r int) bool {
	rc := sr.cells[r]
	if rc == nil || rc.code == nil {
		return false
	}
	t, _ := sr.x.text(*rc.code)
	t = strings.TrimSpace(t)
	return t != "" && t != wbNotData
}

// merged reports whether a cell lies in a merged range.
func (sr *wbSheetReader) merged(col, row int) bool {
	for _, m := range sr.at.merged {
		if col >= m[0] && col <= m[2] && row >= m[1] && row <= m[3] {
			return true
		}
	}
	return false
}

// row reads the values of one row: the count, and the rate when the
// table takes rates, each with the row's status and comment.
func (sr *wbSheetReader) row(r int, rc *wbRowCells) []Value {
	name := sr.at.sheet.name
	code := ""
	if rc.code != nil {
		code, _ = sr.x.text(*rc.code)
		code = strings.TrimSpace(code)
	}
	inputs := []*xlsxCell{rc.value, rc.rate, rc.status, rc.note}
	switch code {
	case wbNotData:
		return nil
	case "":
		for _, c := range inputs {
			if t := sr.shown(c); t != "" {
				sr.ps.add(SheetProblem{Sheet: name, Cell: xlsxCellName(c.col, r), Row: r, Column: xlsxColName(c.col),
					Reason: fmt.Sprintf("%q is in a row that cpcj did not make, so it belongs to no figure. Move it to the Comment of the figure it is about, or delete the row.", wbClip(t))})
				break
			}
		}
		return nil
	}
	year, cell, ok := sr.parseCode(code)
	if !ok {
		sr.ps.add(SheetProblem{Sheet: name, Row: r, Reason: fmt.Sprintf("The row's hidden code %q is not a figure of this table: was the row copied from another sheet or workbook? Delete it.", wbClip(code))})
		return nil
	}
	what := sr.what(year, cell)
	if prev, dup := sr.rows[code]; dup {
		sr.ps.add(SheetProblem{Sheet: name, Row: r, Reason: fmt.Sprintf("Rows %d and %d are both for %s: was a row copied? Keep one and delete the other.", prev, r, what)})
		return nil
	}
	sr.rows[code] = r
	if !sr.labelsAgree(r, rc, year, cell) {
		return nil
	}
	for _, c := range inputs {
		if c != nil && sr.merged(c.col, r) {
			return nil // said once for the whole range
		}
	}
	k, err := sr.s.Table.Key(sr.wb.State, cell)
	if err != nil {
		sr.ps.add(SheetProblem{Sheet: name, Row: r, Reason: err.Error()})
		return nil
	}
	n := sr.ps.Len()
	count := sr.figure(rc.value, r, what)
	rate := sr.figure(rc.rate, r, what+", rate per 100,000")
	status := sr.status(rc.status, r, what)
	comment := strings.TrimSpace(sr.shown(rc.note))
	if sr.ps.Len() > n {
		return nil
	}
	if count == nil && rate == nil && status != "" {
		sr.ps.add(SheetProblem{Sheet: name, Cell: xlsxCellName(rc.status.col, r), Row: r, Column: xlsxColName(rc.status.col),
			Reason: fmt.Sprintf("%s: the status says %s, but there is no figure. Give the figure, or clear the status.", what, wbStatusLabel(status))})
		return nil
	}
	if status == "" {
		status = stats.StatusNormal
	}
	period := stats.Period{Year: year, Kind: 'A'}
	var out []Value
	if count != nil || comment != "" {
		v := Value{Key: k, Period: period, Value: count, Status: status, Comment: comment,
			Origin: fmt.Sprintf("sheet %q, cell %s", name, xlsxCellName(sr.cols[wbColValue], r))}
		if count == nil {
			v.Status = stats.StatusMissing
		}
		out = append(out, v)
	}
	if rate != nil {
		out = append(out, Value{Key: wbRateKey(k), Period: period, Value: rate, Status: status, Comment: comment,
			Origin: fmt.Sprintf("sheet %q, cell %s", name, xlsxCellName(rc.rate.col, r))})
	}
	return out
}

// parseCode reads a row's hidden code and checks that it is a cell and a
// year the table asks for.
func (sr *wbSheetReader) parseCode(code string) (year int, c Cell, ok bool) {
	t := sr.s.Table
	parts := strings.Split(code, "|")
	if len(parts) != 3 {
		return 0, c, false
	}
	year, err := strconv.Atoi(parts[0])
	if err != nil || !slices.Contains(sr.s.Years, year) {
		return 0, c, false
	}
	c = Cell{Row: parts[1], Col: parts[2]}
	if !slices.Contains(t.Rows.Codes, c.Row) {
		return 0, c, false
	}
	if t.Cols.Dim == "" && c.Col != "" || t.Cols.Dim != "" && !slices.Contains(t.Cols.Codes, c.Col) {
		return 0, c, false
	}
	return year, c, true
}

// labelsAgree checks that the labels a row shows are those of the figure
// its hidden code names. They part when rows were sorted, or cut and
// pasted, without the hidden column: the figures would then land in
// other cells. A label changed to text that is no other row's label is
// let be.
func (sr *wbSheetReader) labelsAgree(r int, rc *wbRowCells, year int, c Cell) bool {
	t := sr.s.Table
	clash := func(x *xlsxCell, want string, others []string) bool {
		got := strings.TrimSpace(sr.shown(x))
		return got != "" && got != want && slices.Contains(others, got)
	}
	years := make([]string, len(sr.s.Years))
	for i, y := range sr.s.Years {
		years[i] = strconv.Itoa(y)
	}
	bad := clash(rc.year, strconv.Itoa(year), years) ||
		clash(rc.label, wbLabel(t.Rows, slices.Index(t.Rows.Codes, c.Row)), wbLabels(t.Rows)) ||
		t.Cols.Dim != "" && clash(rc.col, wbLabel(t.Cols, slices.Index(t.Cols.Codes, c.Col)), wbLabels(t.Cols))
	if bad {
		sr.ps.add(SheetProblem{Sheet: sr.at.sheet.name, Row: r, Reason: fmt.Sprintf("The row reads %s, but its hidden code is for %s: were rows sorted, or cut and pasted, without the hidden column %s? "+
			"Undo that, or download a new workbook from cpcj and copy your figures into it.", sr.rowText(rc), sr.what(year, c), xlsxColName(sr.at.col))})
	}
	return !bad
}

// wbLabels lists the labels of an axis, as the sheet shows them.
func wbLabels(a Axis) []string {
	out := make([]string, len(a.Codes))
	for i := range a.Codes {
		out[i] = wbLabel(a, i)
	}
	return out
}

// rowText is what a row's labels say, for a message.
func (sr *wbSheetReader) rowText(rc *wbRowCells) string {
	var parts []string
	for _, c := range []*xlsxCell{rc.label, rc.col, rc.year} {
		if t := strings.TrimSpace(sr.shown(c)); t != "" {
			parts = append(parts, wbClip(t))
		}
	}
	return strings.Join(parts, ", ")
}

// what names a figure for a message: "Serious assault, Female, 2024".
func (sr *wbSheetReader) what(year int, c Cell) string {
	t := sr.s.Table
	parts := []string{wbLabel(t.Rows, slices.Index(t.Rows.Codes, c.Row))}
	if t.Cols.Dim != "" {
		parts = append(parts, wbLabel(t.Cols, slices.Index(t.Cols.Codes, c.Col)))
	}
	return strings.Join(append(parts, strconv.Itoa(year)), ", ")
}

// shown is a cell's value as text, as people see it for text and plain
// numbers: a shared string resolved, a boolean as TRUE or FALSE.
func (sr *wbSheetReader) shown(c *xlsxCell) string {
	if c == nil {
		return ""
	}
	t, _ := sr.x.text(*c)
	if c.typ == "b" {
		if t == "1" {
			return "TRUE"
		}
		return "FALSE"
	}
	return t
}

// wbClip shortens text quoted in a message.
func wbClip(s string) string { return wbCut(strings.Join(strings.Fields(s), " "), 60) }

// figure reads a figure cell; nil when it is empty or cannot be read (the
// problem is then added).
func (sr *wbSheetReader) figure(c *xlsxCell, r int, what string) *float64 {
	if c == nil {
		return nil
	}
	ref := xlsxCellName(c.col, r)
	problem := func(format string, args ...any) *float64 {
		sr.ps.add(SheetProblem{Sheet: sr.at.sheet.name, Cell: ref, Row: r, Column: xlsxColName(c.col),
			Reason: what + ": " + fmt.Sprintf(format, args...)})
		return nil
	}
	if c.formula && c.v == "" {
		return problem("the cell holds a formula%s that has not been calculated, so its result is not in the file. Copy the cell and paste it back as a value (Paste Special, Values).", wbFormulaText(c))
	}
	switch c.typ {
	case "e":
		return problem("the cell shows the error %s. Type the figure, or leave the cell empty if it is not available.", wbClip(c.v))
	case "b":
		return problem("%s is not a number. Type the figure, or leave the cell empty if it is not available.", sr.shown(c))
	case "d":
		return problem("the cell holds the date %s, not a figure. Format the cell as Number and type the figure again.", wbClip(c.v))
	case "s", "str", "inlineStr":
		t, ok := sr.x.text(*c)
		if !ok {
			return problem("the cell refers to text the workbook lacks: the file is damaged. Type the figure again.")
		}
		if strings.TrimSpace(t) == "" {
			return nil
		}
		v, why := wbFigure(t)
		if why != "" {
			return problem("%s", why)
		}
		return &v
	}
	raw := strings.TrimSpace(c.v)
	if raw == "" {
		return nil
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return problem("the cell holds %q, which is not a number. Type the figure again.", wbClip(raw))
	}
	switch xlsxFormatKind(sr.x.format(c.style)) {
	case "date":
		return problem("the cell is formatted as a date, so it shows %s rather than the number %s. A figure typed into a date cell becomes a date: format the cell as Number and type the figure again.",
			xlsxSerialDate(v, sr.x.date1904), raw)
	case "percent":
		return problem("the cell is formatted as a percentage, so it shows %s%% for the number %s. Format the cell as Number and type the figure itself.",
			strconv.FormatFloat(v*100, 'f', -1, 64), raw)
	}
	return &v
}

func wbFormulaText(c *xlsxCell) string {
	if c.f == "" {
		return ""
	}
	return " (=" + wbClip(c.f) + ")"
}

// status reads a status cell: the code of the status chosen, "" for none
// or normal.
func (sr *wbSheetReader) status(c *xlsxCell, r int, what string) string {
	t := strings.TrimSpace(sr.shown(c))
	if t == "" {
		return ""
	}
	for _, s := range wbStatuses {
		if strings.EqualFold(t, s.label) || strings.EqualFold(t, s.code) {
			if s.code == stats.StatusNormal {
				return ""
			}
			return s.code
		}
	}
	sr.ps.add(SheetProblem{Sheet: sr.at.sheet.name, Cell: xlsxCellName(c.col, r), Row: r, Column: xlsxColName(c.col),
		Reason: fmt.Sprintf("%s: %q is not a status. Choose estimated, provisional or break in series from the list, or leave the cell empty for a normal figure.", what, wbClip(t))})
	return ""
}

// xlsxFormatKind says what a number format shows a number as: "date" (a
// date, a time or both), "percent", or "" for a number. A format shows a
// date when its first section has a date or time part outside quoted
// text, escapes and brackets ([Red], [$€-407]; but [h] and [mm] are
// elapsed time).
func xlsxFormatKind(code string) string {
	if code == "" || strings.EqualFold(code, "General") || code == "@" {
		return ""
	}
	percent := false
	rs := []rune(strings.ToLower(code))
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '"':
			for i++; i < len(rs) && rs[i] != '"'; i++ {
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if inner := string(rs[i+1 : min(j, len(rs))]); inner != "" && strings.Trim(inner, "hms") == "" {
				return "date"
			}
			i = j
		case 'g':
			if strings.HasPrefix(string(rs[i:]), "general") {
				i += len("general") - 1
				continue
			}
			return "date" // an era
		case 'e':
			if i+1 < len(rs) && (rs[i+1] == '+' || rs[i+1] == '-') {
				i++ // scientific notation, E+00
				continue
			}
			return "date"
		case 'y', 'm', 'd', 'h', 's', 'b':
			return "date"
		case '%':
			percent = true
		case ';':
			i = len(rs) // the first section shows positive numbers
		}
	}
	if percent {
		return "percent"
	}
	return ""
}

// xlsxSerialDate shows an Excel serial number as a cell formatted as a date
// shows it.
func xlsxSerialDate(v float64, date1904 bool) string {
	if v < 0 || v > 2958465 {
		return "####"
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	days, frac := math.Modf(v)
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(math.Round(frac*86400)) * time.Second)
	if frac != 0 {
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("2006-01-02")
}

// wbFigure reads a figure typed as text, as people type figures.
// Spaces (plain, no-break, thin) and apostrophes between groups of three
// digits are thousands separators: they are never decimal marks. Of a
// comma and a point, the last is the decimal mark and the other groups
// thousands ("1,234.5", "1.234,5"); either repeated groups thousands
// ("1,234,567"). A single comma or point is a decimal mark ("12,5" is
// 12.5), except where it could as well group thousands: "1,234" and
// "1.234" are refused as ambiguous rather than guessed. The reason is ""
// when the text is a number.
func wbFigure(s string) (float64, string) {
	notNumber := fmt.Sprintf("%q is not a number. Type the figure alone: leave the cell empty if it is not available, and put any note in the Comment column.", wbClip(s))
	t := strings.TrimFunc(s, unicode.IsSpace)
	t = strings.ReplaceAll(t, "\u2212", "-") // the minus sign
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg, t = t[0] == '-', strings.TrimSpace(t[1:])
	}
	if t == "" {
		return 0, notNumber
	}
	// Normalise the separators: ' ' for any space or apostrophe.
	var b strings.Builder
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9', r == ',', r == '.':
			b.WriteRune(r)
		case unicode.IsSpace(r), r == '\'', r == '\u2019':
			b.WriteByte(' ')
		default:
			return 0, notNumber
		}
	}
	t = b.String()
	commas, points, spaces := strings.Count(t, ","), strings.Count(t, "."), strings.Count(t, " ")
	lastComma, lastPoint := strings.LastIndex(t, ","), strings.LastIndex(t, ".")
	var group, decimal byte
	switch {
	case commas > 0 && points > 0:
		decimal, group = ',', '.'
		if lastPoint > lastComma {
			decimal, group = '.', ','
		}
		if strings.Count(t, string(decimal)) > 1 || spaces > 0 {
			return 0, notNumber
		}
	case commas+points > 1:
		group = ','
		if points > 0 {
			group = '.'
		}
		if spaces > 0 {
			return 0, notNumber
		}
	case commas+points == 1:
		decimal = ','
		if points > 0 {
			decimal = '.'
		}
		if spaces > 0 {
			group = ' '
			break
		}
		whole, frac, _ := strings.Cut(t, string(decimal))
		if len(frac) == 3 && len(whole) >= 1 && len(whole) <= 3 && whole[0] != '0' {
			alt := strings.ReplaceAll(t, string(decimal), "")
			return 0, fmt.Sprintf("%q is ambiguous: %s with a thousands separator, or %s with a decimal %s. Type it without a thousands separator (%s), or with a decimal point (%s).",
				wbClip(s), alt, whole+"."+frac, map[byte]string{',': "comma", '.': "point"}[decimal], alt, whole+"."+frac)
		}
	case spaces > 0:
		group = ' '
	}
	whole, frac := t, ""
	if decimal != 0 {
		var ok bool
		whole, frac, ok = strings.Cut(t, string(decimal))
		if !ok || frac == "" || strings.ContainsAny(frac, ", .") {
			return 0, notNumber
		}
	}
	if group != 0 {
		gs := strings.Split(whole, string(group))
		for i, g := range gs {
			if g == "" || len(g) > 3 || i > 0 && len(g) != 3 || strings.ContainsAny(g, ", .") {
				return 0, notNumber
			}
		}
		whole = strings.Join(gs, "")
	}
	if whole == "" && frac == "" || strings.ContainsAny(whole, ", .") {
		return 0, notNumber
	}
	if whole == "" {
		whole = "0"
	}
	num := whole
	if frac != "" {
		num += "." + frac
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, notNumber
	}
	if neg {
		v = -v
	}
	return v, ""
}
