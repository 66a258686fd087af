package collect

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/stats"
)

// Workbook is the Excel questionnaire of one State for one round: what
// WriteWorkbook lays out, and what ReadWorkbook expects back from the
// filled file (it reads the round, year, State and sheets, and ignores
// the values to prefill).
type Workbook struct {
	RoundID   int64  // the round's id, recorded in the file
	Round     string // the round's name, e.g. "UN-CTS 2024"
	Year      int    // the round's reference year
	State     string // ISO 3166-1 alpha-3
	StateName string // e.g. "Kenya"
	Sheets    []Sheet
	// Published are the State's published values for the years asked and
	// the year before each: they prefill a table where the State has no
	// draft, and show beside each figure the one published for the year
	// before.
	Published []Value
	// Draft holds the State's current draft by scope. A scope present,
	// even with no value, is prefilled from the draft alone, so that a
	// figure the State removed does not come back from the published
	// ones.
	Draft     map[Scope][]Value
	Codelists []stats.Codelist // names the codes each table fixes
	Generated time.Time        // when the file was made; zero to leave it out
}

// Sheet is one table of a questionnaire and the years it asks.
type Sheet struct {
	Table Table
	// Years are the years asked: the reference year first, then any
	// earlier years the round asks States to revise.
	Years []int
}

// The observation statuses as the workbook's Status column shows them,
// in the order of its list. A figure without a status is normal.
var wbStatuses = []struct{ code, label string }{
	{stats.StatusNormal, "normal"},
	{stats.StatusEstimated, "estimated"},
	{stats.StatusProvisional, "provisional"},
	{stats.StatusBreak, "break in series"},
}

// The hidden codes that let ReadWorkbook find its way in a workbook that
// people have edited. The cell holding a table's marker is where its
// hidden code row (naming the columns) crosses its hidden code column
// (naming the rows); the reader looks for the marker, not for a place.
const (
	wbMetaSheet  = "_cpcj"                    // very hidden: round, State, year, tables
	wbMetaFormat = "cpcj collection workbook" // in the metadata sheet's A1
	wbMarker     = "cpcj:"                    // + table id, in the marker cell
	wbNotData    = "#"                        // in the code column of a row cpcj made that holds no figure
	wbRateUnit   = "RT100K"                   // the unit of a table's rates (Table.Rates)
	wbVersion    = 1                          // the layout; a reader refuses a newer one
)

// The codes of the hidden code row: which column holds what.
const (
	wbColYear    = "year"
	wbColRow     = "row"
	wbColCol     = "col"
	wbColValue   = "value"
	wbColRate    = "rate" // the rate per 100,000 beside the count, for a table with Rates
	wbColStatus  = "status"
	wbColComment = "comment"
	wbColPrev    = "published" // the published figure of the year before, for reference; not read back
)

// wbRowCode is the hidden code of a data row: the year, and the table's
// row and column codes.
func wbRowCode(year int, c Cell) string { return strconv.Itoa(year) + "|" + c.Row + "|" + c.Col }

// wbRateKey returns the key of the rate beside a count.
func wbRateKey(k stats.Key) stats.Key {
	k[stats.DimIndex("UNIT_MEASURE")] = wbRateUnit
	return k
}

// wbValues indexes values by series key and period.
type wbValues map[string]Value

// wbAt is the index of a value in wbValues: its key and year.
func wbAt(k stats.Key, year int) string { return k.String() + "@" + strconv.Itoa(year) }

func (m wbValues) add(vs []Value) {
	for _, v := range vs {
		m[wbAt(v.Key, v.Period.Year)] = v
	}
}

// The layout of a table sheet. Column A and row 1 are hidden and hold the
// codes; rows 2 to 6 are the header block; row 7 heads the columns, and
// the data rows follow, one per figure: every cell of the table for every
// year asked, the reference year first. A long layout rather than a grid:
// each figure has its status and comment beside it, Tab goes from figure
// to status to comment to the next figure (a protected sheet moves between
// the white cells only), and the sheet prints on pages as wide as one.
const (
	wbHeadRow  = 7
	wbFirstRow = wbHeadRow + 1
)

// WriteWorkbook writes the questionnaire: one sheet per table, titled in
// plain language, with a header block (round, State, what the table
// counts, how to fill it) and one row per figure, prefilled from the
// draft or the published values. Only the figure, status and comment
// cells can be changed: the sheets are protected without a password, to
// guide rather than to lock. The codes that tie each sheet, row and
// column to the collection are hidden in the sheets and in a very hidden
// sheet, where ReadWorkbook finds them whatever was renamed, moved or
// inserted.
func WriteWorkbook(w io.Writer, wb Workbook) error {
	if len(wb.Sheets) == 0 {
		return fmt.Errorf("workbook for %s, %s: no table", wb.State, wb.Round)
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := wbNewStyles(f)
	if err != nil {
		return err
	}
	published := wbValues{}
	published.add(wb.Published)
	names := wbSheetNames(wb.Sheets)
	for i, s := range wb.Sheets {
		if i == 0 {
			err = f.SetSheetName("Sheet1", names[0])
		} else {
			_, err = f.NewSheet(names[i])
		}
		if err != nil {
			return err
		}
		prefill := wbValues{}
		for _, y := range s.Years {
			sc := Scope{Flow: s.Table.Flow, State: wb.State, Year: y}
			if d, ok := wb.Draft[sc]; ok {
				prefill.add(d)
			} else {
				prefill.add(wbPublishedIn(wb.Published, s.Table, y))
			}
		}
		tw := wbTableWriter{f: f, sheet: names[i], wb: wb, s: s, st: st, prefill: prefill, published: published}
		if err := tw.write(); err != nil {
			return fmt.Errorf("sheet %q: %w", names[i], err)
		}
	}
	if err := wbWriteMeta(f, wb, names); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:   fmt.Sprintf("%s questionnaire: %s", wb.Round, wb.StateName),
		Subject: "Crime and criminal justice statistics",
		Creator: "cpcj",
	}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// wbPublishedIn returns the published values of a table's cells in a year.
func wbPublishedIn(vs []Value, t Table, year int) []Value {
	var out []Value
	for _, v := range vs {
		k := v.Key
		if v.Period.Year != year {
			continue
		}
		if t.Rates && k.Dim("UNIT_MEASURE") == wbRateUnit {
			k[stats.DimIndex("UNIT_MEASURE")] = t.Fixed["UNIT_MEASURE"]
		}
		if _, ok := t.CellOf(k); ok {
			out = append(out, v)
		}
	}
	return out
}

// wbSheetNames gives each table a sheet name Excel accepts: its short
// name or its title, with the characters Excel forbids in a name
// replaced, cut at a word to 31 characters, and told apart from the
// others.
func wbSheetNames(sheets []Sheet) []string {
	seen := map[string]bool{strings.ToLower(wbMetaSheet): true, "history": true}
	fix := strings.NewReplacer(":", " -", "/", "-", `\`, "-", "[", "(", "]", ")", "?", "", "*", "")
	names := make([]string, len(sheets))
	for i, s := range sheets {
		base := s.Table.Short
		if base == "" {
			base = s.Table.Title
		}
		base = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, fix.Replace(base))
		base = strings.Trim(strings.Join(strings.Fields(base), " "), "'")
		if base == "" {
			base = s.Table.ID
		}
		name := wbCut(base, 31)
		for n := 2; seen[strings.ToLower(name)]; n++ {
			suffix := fmt.Sprintf(" (%d)", n)
			name = wbCut(base, 31-len(suffix)) + suffix
		}
		seen[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

// wbCut shortens s to at most n characters, at a word when it can, ending
// with an ellipsis when it cut.
func wbCut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndex(string(r), " "); i > len(string(r))/2 {
		r = []rune(string(r)[:i])
	}
	return strings.TrimRight(string(r), " -'") + "…"
}

// wbStyles are the cell styles of a table sheet. The input cells are
// white and unlocked; everything else is locked, and grey where it sits
// beside the input cells, so that "fill the white cells" says it all.
// Each data style has a variant that opens a year, with a heavier line
// above.
type wbStyles struct {
	title, context, note, head           int
	label, figure, status, comment, prev [2]int
}

func wbNewStyles(f *excelize.File) (wbStyles, error) {
	var st wbStyles
	var err error
	style := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	locked := &excelize.Protection{Locked: true}
	unlocked := &excelize.Protection{Locked: false}
	grey := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}
	white := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFFFF"}}
	borders := func(top string, weight int) []excelize.Border {
		return []excelize.Border{
			{Type: "left", Color: "BFBFBF", Style: 1},
			{Type: "right", Color: "BFBFBF", Style: 1},
			{Type: "bottom", Color: "BFBFBF", Style: 1},
			{Type: "top", Color: top, Style: weight},
		}
	}
	st.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Protection: locked})
	st.context = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Protection: locked})
	st.note = style(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, Protection: locked})
	st.head = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border: borders("BFBFBF", 1), Alignment: &excelize.Alignment{WrapText: true, Vertical: "bottom"}, Protection: locked})
	for i, b := range [][]excelize.Border{borders("BFBFBF", 1), borders("404040", 2)} {
		st.label[i] = style(&excelize.Style{Fill: grey, Border: b, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, Protection: locked})
		st.figure[i] = style(&excelize.Style{Fill: white, Border: b, Alignment: &excelize.Alignment{Vertical: "top"}, Protection: unlocked})
		st.status[i] = style(&excelize.Style{Fill: white, Border: b, Alignment: &excelize.Alignment{Vertical: "top"}, Protection: unlocked})
		st.comment[i] = style(&excelize.Style{Fill: white, Border: b, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, Protection: unlocked})
		st.prev[i] = style(&excelize.Style{Fill: grey, Border: b, Font: &excelize.Font{Color: "595959"}, Alignment: &excelize.Alignment{Vertical: "top"}, Protection: locked})
	}
	return st, err
}

// wbTableWriter writes one table's sheet.
type wbTableWriter struct {
	f         *excelize.File
	sheet     string
	wb        Workbook
	s         Sheet
	st        wbStyles
	prefill   wbValues // what the input cells start with
	published wbValues // for the year-before column
	err       error
}

// wbColumn is one column of a table sheet.
type wbColumn struct {
	code  string  // in the hidden code row; empty for the code column
	head  string  // its heading
	width float64 // in characters
}

// columns lays out the sheet: the hidden code column, the labels, the
// input cells and, when there are published figures, the year before.
func (tw *wbTableWriter) columns() []wbColumn {
	t := tw.s.Table
	cols := []wbColumn{{width: 4}, {wbColYear, "Year", 7}, {wbColRow, wbDimName(t.Rows.Dim), 44}}
	if t.Cols.Dim != "" {
		cols = append(cols, wbColumn{wbColCol, wbDimName(t.Cols.Dim), 24})
	}
	cols = append(cols, wbColumn{wbColValue, tw.figureHead(), 14})
	if t.Rates {
		cols = append(cols, wbColumn{wbColRate, "Rate per 100,000 population (optional)", 15})
	}
	cols = append(cols,
		wbColumn{wbColStatus, "Status (empty if normal)", 17},
		wbColumn{wbColComment, "Comment", 48})
	if tw.anyPrevious() {
		cols = append(cols, wbColumn{wbColPrev, "Published figure for the year before", 15})
	}
	return cols
}

// anyPrevious reports whether a figure of the table was published for
// a year before one asked.
func (tw *wbTableWriter) anyPrevious() bool {
	for _, y := range tw.s.Years {
		if len(wbPublishedIn(tw.wb.Published, tw.s.Table, y-1)) > 0 {
			return true
		}
	}
	return false
}

// wbDimName names a dimension in words: "Sex".
func wbDimName(id string) string {
	for _, d := range stats.Dimensions {
		if d.ID == id {
			return d.Name
		}
	}
	return id
}

// set writes a value and a style to a cell; the first error sticks, as
// with do.
func (tw *wbTableWriter) set(col, row int, v any, style int) {
	if tw.err != nil {
		return
	}
	cell, err := excelize.CoordinatesToCellName(col, row)
	if x, ok := v.(float64); ok && err == nil {
		err = tw.f.SetCellFloat(tw.sheet, cell, x, wbDecimals(x), 64)
	} else if err == nil && v != nil {
		err = tw.f.SetCellValue(tw.sheet, cell, v)
	}
	if err == nil && style != 0 {
		err = tw.f.SetCellStyle(tw.sheet, cell, cell, style)
	}
	tw.err = err
}

// do keeps the first error of a run of calls, for write to return.
func (tw *wbTableWriter) do(err error) {
	if tw.err == nil {
		tw.err = err
	}
}

// write lays out the sheet: codes, header block, data rows, lists,
// protection, view and print settings.
func (tw *wbTableWriter) write() error {
	t, wb, st := tw.s.Table, tw.wb, tw.st
	cols := tw.columns()
	last := len(cols)
	lastName, _ := excelize.ColumnNumberToName(last)
	idx := map[string]int{}
	for i, c := range cols {
		if c.code != "" {
			idx[c.code] = i + 1
		}
		name, _ := excelize.ColumnNumberToName(i + 1)
		tw.do(tw.f.SetColWidth(tw.sheet, name, name, c.width))
	}

	// Row 1 and column A: the hidden codes.
	tw.set(1, 1, wbMarker+t.ID, 0)
	for i, c := range cols {
		if c.code != "" {
			tw.set(i+1, 1, c.code, 0)
		}
	}
	for r := 2; r <= wbHeadRow; r++ {
		tw.set(1, r, wbNotData, 0)
	}

	// The header block.
	tw.set(2, 2, t.Title, st.title)
	tw.set(2, 3, fmt.Sprintf("%s · %s (%s) · %s", wb.Round, wb.StateName, wb.State, wbYearsAsked(tw.s.Years)), st.context)
	tw.set(2, 4, tw.counts(), st.note)
	tw.set(2, 5, "Fill the white cells; the grey ones are fixed. Leave a cell empty if the figure is not available. "+
		"Mark estimates in the Status column: estimated, provisional or break in series (empty means normal). "+
		"Put notes in the Comment column. Type figures without thousands separators.", st.note)
	if len(tw.prefill) > 0 {
		tw.set(2, 6, "The figures you have already given or that are published are filled in: check them and correct them where needed.", st.note)
	}
	for _, r := range []int{4, 5, 6} {
		tw.do(tw.f.MergeCell(tw.sheet, fmt.Sprintf("B%d", r), fmt.Sprintf("%s%d", lastName, r)))
	}
	tw.do(tw.f.SetRowHeight(tw.sheet, 4, 30))
	tw.do(tw.f.SetRowHeight(tw.sheet, 5, 45))
	for i, c := range cols {
		if i > 0 {
			tw.set(i+1, wbHeadRow, c.head, st.head)
		}
	}
	tw.do(tw.f.SetRowHeight(tw.sheet, wbHeadRow, 48))

	// The data rows.
	r := wbFirstRow
	for _, y := range tw.s.Years {
		first := 1
		for ri, rc := range t.Rows.Codes {
			cellCols := t.Cols.Codes
			if t.Cols.Dim == "" {
				cellCols = []string{""}
			}
			for ci, cc := range cellCols {
				tw.dataRow(r, y, Cell{rc, cc}, wbLabel(t.Rows, ri), wbLabel(t.Cols, ci), idx, first)
				first = 0
				r++
			}
		}
	}
	lastRow := r - 1

	// Lists, protection, view and print.
	if lastRow >= wbFirstRow {
		tw.validate(idx, lastRow)
	}
	tw.do(tw.f.SetColVisible(tw.sheet, "A", false))
	tw.do(tw.f.SetRowVisible(tw.sheet, 1, false))
	figure, _ := excelize.CoordinatesToCellName(idx[wbColValue], wbFirstRow)
	tw.do(tw.f.SetPanes(tw.sheet, &excelize.Panes{Freeze: true, YSplit: wbHeadRow, TopLeftCell: fmt.Sprintf("A%d", wbFirstRow), ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: figure, ActiveCell: figure, Pane: "bottomLeft"}}}))
	tw.do(tw.f.ProtectSheet(tw.sheet, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true, FormatColumns: true, FormatRows: true}))
	landscape, a4, wide, tall := "landscape", 9, 1, 0
	tw.do(tw.f.SetPageLayout(tw.sheet, &excelize.PageLayoutOptions{Orientation: &landscape, Size: &a4, FitToWidth: &wide, FitToHeight: &tall}))
	fit := true
	tw.do(tw.f.SetSheetProps(tw.sheet, &excelize.SheetPropsOptions{FitToPage: &fit}))
	tw.do(tw.f.SetHeaderFooter(tw.sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&L" + wbFooterText(wb.Round+" · "+wb.StateName) + "&C&A&RPage &P of &N"}))
	tw.do(tw.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: tw.sheet,
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", strings.ReplaceAll(tw.sheet, "'", "''"), wbHeadRow, wbHeadRow)}))
	return tw.err
}

// wbLabel is the label of an axis' i-th code, or the code itself.
func wbLabel(a Axis, i int) string {
	if a.Dim == "" {
		return ""
	}
	if i < len(a.Labels) && a.Labels[i] != "" {
		return a.Labels[i]
	}
	return a.Codes[i]
}

// dataRow writes the row of one cell of the table in a year; first is 1
// on the first row of a year. The status and comment are the count's,
// or the rate's when only the rate is given: one status and one comment
// stand for both figures of the row.
func (tw *wbTableWriter) dataRow(r, year int, c Cell, rowLabel, colLabel string, idx map[string]int, first int) {
	t, st := tw.s.Table, tw.st
	k, err := t.Key(tw.wb.State, c)
	tw.do(err)
	tw.set(1, r, wbRowCode(year, c), 0)
	tw.set(idx[wbColYear], r, year, st.label[first])
	tw.set(idx[wbColRow], r, rowLabel, st.label[first])
	if i, ok := idx[wbColCol]; ok {
		tw.set(i, r, colLabel, st.label[first])
	}
	var status, comment any
	note := func(v Value, ok bool) {
		if !ok {
			return
		}
		if status == nil && v.Value != nil && v.Status != stats.StatusNormal && v.Status != "" {
			status = wbStatusLabel(v.Status)
		}
		if comment == nil && v.Comment != "" {
			comment = v.Comment
		}
	}
	count, ok := tw.prefill[wbAt(k, year)]
	tw.set(idx[wbColValue], r, wbFigureOf(count, ok), st.figure[first])
	note(count, ok)
	if i, isRate := idx[wbColRate]; isRate {
		rate, ok := tw.prefill[wbAt(wbRateKey(k), year)]
		tw.set(i, r, wbFigureOf(rate, ok), st.figure[first])
		if count.Value == nil {
			note(rate, ok)
		}
	}
	tw.set(idx[wbColStatus], r, status, st.status[first])
	tw.set(idx[wbColComment], r, comment, st.comment[first])
	if i, ok := idx[wbColPrev]; ok {
		p, ok := tw.published[wbAt(k, year-1)]
		tw.set(i, r, wbFigureOf(p, ok), st.prev[first])
	}
}

// wbDecimals is how many decimals write a figure exactly: excelize, left
// to choose, keeps 15 significant digits, as Excel shows them, and a rate
// read back would differ from the one written.
func wbDecimals(x float64) int {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// wbFigureOf returns a value's figure for a cell: nil for none.
func wbFigureOf(v Value, ok bool) any {
	if !ok || v.Value == nil {
		return nil
	}
	return *v.Value
}

// wbStatusLabel names a status as the Status column lists it; an unknown
// code is written as it is, for the reader to report.
func wbStatusLabel(code string) string {
	for _, s := range wbStatuses {
		if s.code == code {
			return s.label
		}
	}
	return code
}

// figureHead heads the column of figures with their unit, "Number".
func (tw *wbTableWriter) figureHead() string {
	code := tw.s.Table.Fixed["UNIT_MEASURE"]
	for _, cl := range tw.wb.Codelists {
		if cl.ID == "CL_UNIT_MEASURE" && cl.Has(code) {
			return cl.CodeName(code)
		}
	}
	return "Figure"
}

// counts says in words what each figure of the table counts: the
// indicator, then the other codes the table fixes, leaving out those not
// applicable.
func (tw *wbTableWriter) counts() string {
	t := tw.s.Table
	name := func(d stats.Dimension, code string) string {
		for _, cl := range tw.wb.Codelists {
			if cl.ID == d.Codelist && cl.Has(code) {
				return cl.CodeName(code)
			}
		}
		return code
	}
	var parts []string
	for _, d := range stats.Dimensions {
		code, ok := t.Fixed[d.ID]
		switch {
		case !ok || code == "_Z" || d.ID == "FREQ" || d.ID == "REF_AREA" || d.ID == t.Rows.Dim || d.ID == t.Cols.Dim:
		case d.ID == "INDICATOR":
			parts = append([]string{name(d, code)}, parts...)
		default:
			parts = append(parts, d.Name+": "+name(d, code))
		}
	}
	s := "Each figure: " + strings.Join(parts, " · ") + "."
	if t.Rates {
		s += " Rates per 100,000 population are optional: cpcj computes those you leave empty."
	}
	return s
}

// validate adds the drop-down list of statuses and a warning for a
// figure that is not a number of zero or more.
func (tw *wbTableWriter) validate(idx map[string]int, lastRow int) {
	ref := func(code string) string {
		name, _ := excelize.ColumnNumberToName(idx[code])
		return fmt.Sprintf("%s%d:%s%d", name, wbFirstRow, name, lastRow)
	}
	list := excelize.NewDataValidation(true)
	list.SetSqref(ref(wbColStatus))
	labels := make([]string, len(wbStatuses))
	for i, s := range wbStatuses {
		labels[i] = s.label
	}
	tw.do(list.SetDropList(labels))
	list.SetError(excelize.DataValidationErrorStyleStop, "Status",
		"Choose estimated, provisional or break in series from the list, or leave the cell empty for a normal figure.")
	tw.do(tw.f.AddDataValidation(tw.sheet, list))

	num := excelize.NewDataValidation(true)
	num.SetSqref(ref(wbColValue))
	if _, ok := idx[wbColRate]; ok {
		num.SetSqref(ref(wbColRate))
	}
	tw.do(num.SetRange(0, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween))
	num.SetError(excelize.DataValidationErrorStyleWarning, "Figure",
		"A figure is a number of zero or more, typed without thousands separators. Leave the cell empty if the figure is not available, and explain in the Comment column.")
	tw.do(tw.f.AddDataValidation(tw.sheet, num))
}

// wbYearsAsked says which years a sheet asks, for its header.
func wbYearsAsked(years []int) string {
	if len(years) == 0 {
		return ""
	}
	s := fmt.Sprintf("figures for %d", years[0])
	if len(years) > 1 {
		rest := make([]string, len(years)-1)
		for i, y := range years[1:] {
			rest[i] = strconv.Itoa(y)
		}
		s += ", and revision of " + strings.Join(rest, ", ")
	}
	return s
}

// wbFooterText escapes the ampersands of text for a page header or footer.
func wbFooterText(s string) string { return strings.ReplaceAll(s, "&", "&&") }

// wbWriteMeta writes the very hidden sheet that says whose workbook this is
// and which tables it holds, as label and value pairs that the reader
// finds by label.
func wbWriteMeta(f *excelize.File, wb Workbook, names []string) error {
	if _, err := f.NewSheet(wbMetaSheet); err != nil {
		return err
	}
	rows := [][]any{
		{wbMetaFormat, wbVersion},
		{"round id", wb.RoundID},
		{"round", wb.Round},
		{"year", wb.Year},
		{"state", wb.State},
		{"state name", wb.StateName},
	}
	if !wb.Generated.IsZero() {
		rows = append(rows, []any{"generated", wb.Generated.UTC().Format(time.RFC3339)})
	}
	for i, s := range wb.Sheets {
		years := make([]string, len(s.Years))
		for j, y := range s.Years {
			years[j] = strconv.Itoa(y)
		}
		rows = append(rows, []any{"table", s.Table.ID, s.Table.Flow, strings.Join(years, " "), names[i]})
	}
	for i, r := range rows {
		if err := f.SetSheetRow(wbMetaSheet, fmt.Sprintf("A%d", i+1), &r); err != nil {
			return err
		}
	}
	if err := f.ProtectSheet(wbMetaSheet, &excelize.SheetProtectionOptions{}); err != nil {
		return err
	}
	return f.SetSheetVisible(wbMetaSheet, false, true)
}
