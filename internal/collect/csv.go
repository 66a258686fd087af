package collect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// DefaultMaxBytes is the size past which a CSV upload is refused. The
// file of one scope holds a few hundred rows; the limit only bounds the
// time a wrong file (a whole database export, a file of another kind)
// takes to be refused.
const DefaultMaxBytes = 100 << 20

// Upload is what a CSV upload is read against: what the uploader declares
// with the file, and the tables it answers.
type Upload struct {
	Scope Scope
	// Tables are the round's tables: every value must be a cell of one of
	// the tables of the scope's dataflow.
	Tables []Table
	// Structure holds the code lists, to tell an unknown code from a
	// code no table asks for; nil leaves that distinction out.
	Structure *stats.Structure
	// DecimalComma declares that the file writes decimals with a comma
	// (12,5), as spreadsheets set to many languages do; otherwise
	// decimals are written with a point (12.5). Thousands separators are
	// refused either way.
	DecimalComma bool
	MaxBytes     int64 // refuse a larger file; 0 for DefaultMaxBytes
	// Progress, if set, is called now and then with the number of bytes
	// read so far, for the page of a job reading a large file.
	Progress func(read int64)
}

// ReadCSV reads a CSV or SDMX-CSV upload into the values of the declared
// scope. The file is SDMX-CSV 1.0 (a header naming the columns, as
// "REF_AREA" or "REF_AREA: Reference area", in any order; one row per
// value); the columns the scope settles — DATAFLOW, FREQ, REF_AREA and
// TIME_PERIOD — may be left out. Columns are separated by commas,
// semicolons or tabs, as the header shows. COMMENT is kept with each
// value; SOURCE_DETAIL and DERIVATION are read and not kept (a
// submission's source is the State, and derived values are cpcj's own).
//
// Reading is all or nothing: either every value, or no value and a
// *stats.Problems naming the line and column of every row refused — a
// value of another dataflow or State, or of a year other than the
// scope's and the one before, an unknown code, a series no
// table asks for, text or a thousands separator in OBS_VALUE, a second
// value for one cell, a wrong header, a file past the size limit. The
// file is read as a stream; what is kept is one Value per cell of the
// tables and year, whatever the size of the file.
//
// A row of the year before the scope's revises the figure published for
// it. It is kept as it is, even when it equals the published figure: the
// reader does not know the published figures, and publishing an equal
// figure again changes nothing in the public statistics.
func ReadCSV(ctx context.Context, r io.Reader, u Upload) ([]Value, error) {
	if u.MaxBytes <= 0 {
		u.MaxBytes = DefaultMaxBytes
	}
	lim := &csvLimitReader{r: r, max: u.MaxBytes}
	br := csvSkipBOM(lim)
	rr := newCSVRecords(br, csvSeparator(br))
	rd := &csvReader{u: u, grid: newCellGrid(u.Tables, u.Scope.Flow, u.Scope.State), year: strconv.Itoa(u.Scope.Year), prev: strconv.Itoa(u.Scope.Year - 1),
		flowRef: stats.FlowRef(u.Scope.Flow), state: []byte(u.Scope.State), annual: []byte("A")}
	// A value per cell at most in each of the two years; most files
	// answer the scope's year alone.
	rd.seen, rd.rows = make([]int32, 2*rd.grid.size), make([]csvRow, 0, rd.grid.size)
	fields, err := rr.read()
	if err != nil {
		switch {
		case errors.Is(err, io.EOF):
			rd.ps.Add(1, "", "the file is empty: it starts with a header naming the columns (%s)", strings.Join(stats.SDMXCSVHeader(), ","))
		case errors.Is(err, errCSVTooLarge):
			rd.tooLarge()
		default:
			rd.ps.Add(1, "", "cannot read the header: %v", stats.CSVReason(err))
		}
		return nil, &rd.ps
	}
	head := make([]string, len(fields))
	for i, f := range fields {
		head[i] = string(f)
	}
	if !rd.header(head) {
		return nil, &rd.ps
	}
	if len(rd.grid.tables) == 0 {
		rd.ps.Add(0, "", "no table of this round asks for figures of the dataflow %s", u.Scope.Flow)
		return nil, &rd.ps
	}
	for rows := 1; ; rows++ {
		rec, err := rr.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errCSVTooLarge) {
			rd.tooLarge()
			break
		}
		if err != nil {
			if rd.ps.AddCSVError(make([]string, len(rec)), len(head), err) {
				rd.rows = nil
				continue
			}
			break
		}
		rd.row(rec, rr.line)
		if rows%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if u.Progress != nil {
				u.Progress(lim.n)
			}
		}
	}
	if u.Progress != nil {
		u.Progress(lim.n)
	}
	if rd.ps.Len() > 0 {
		return nil, &rd.ps
	}
	return rd.values(), nil
}

// csvSkipBOM drops the UTF-8 byte order mark that spreadsheets write.
func csvSkipBOM(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	return br
}

// errCSVTooLarge stops the reading of a file past the size limit.
var errCSVTooLarge = errors.New("the file is larger than the limit")

// csvLimitReader counts the bytes read and fails past the limit.
type csvLimitReader struct {
	r      io.Reader
	n, max int64
}

func (l *csvLimitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, errCSVTooLarge
	}
	if left := l.max + 1 - l.n; int64(len(p)) > left {
		p = p[:left]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}

// csvSeparator finds the column separator from the header line: the commonest
// of comma, semicolon and tab.
func csvSeparator(br *bufio.Reader) byte {
	b, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	best, most := byte(','), bytes.Count(b, []byte(","))
	for _, c := range []byte{';', '\t'} {
		if n := bytes.Count(b, []byte{c}); n > most {
			best, most = c, n
		}
	}
	return best
}

// csvReader is one reading of an upload.
type csvReader struct {
	u       Upload
	grid    *cellGrid
	year    string // the scope's year, as TIME_PERIOD writes it
	prev    string // the year before, whose published figures a row may revise
	flowRef string // the scope's dataflow, as DATAFLOW writes it
	state   []byte // the codes of REF_AREA and FREQ when the file leaves them out
	annual  []byte
	cols    csvCols
	ps      stats.Problems
	// rows are the values read, compactly and without pointers, so that
	// a large file costs the garbage collector little until the end; nil
	// once a problem is found: nothing is kept.
	rows     []csvRow
	comments map[int]string // by position in rows
	seen     []int32        // per cell of the grid and year (the scope's, then the one before), the line of its value; 0 for none
	// asked are the codes the tables use, per dimension, as messages
	// list them; made on first use.
	asked [len(stats.Key{})]string
}

// csvRow is a value as read, before it becomes a Value.
type csvRow struct {
	line   int
	figure float64
	cell   int32
	status byte // the status code
	given  bool // a figure, not a missing value
	prev   bool // of the year before the scope's: a revision
}

// csvCols are the positions of the columns in the file; -1 for absent.
type csvCols struct {
	flow, period, value, status, comment int
	dims                                 [len(stats.Key{})]int
}

// scopeSettles reports whether the scope settles a column, which a file
// may then leave out.
func scopeSettles(column string) bool {
	switch column {
	case "DATAFLOW", "FREQ", "REF_AREA", stats.TimeDimension:
		return true
	}
	return false
}

func (rd *csvReader) header(head []string) bool {
	c := csvCols{flow: -1, period: -1, value: -1, status: -1, comment: -1}
	for i := range c.dims {
		c.dims[i] = -1
	}
	seen := map[string]bool{}
	known := 0
	for i, h := range head {
		id, _, _ := strings.Cut(h, ":")
		id = strings.ToUpper(strings.TrimSpace(id))
		if seen[id] {
			rd.ps.Add(1, id, "the column appears twice")
			continue
		}
		seen[id] = true
		known++
		switch id {
		case "DATAFLOW":
			c.flow = i
		case stats.TimeDimension:
			c.period = i
		case stats.PrimaryMeasure:
			c.value = i
		case "OBS_STATUS":
			c.status = i
		case "COMMENT":
			c.comment = i
		case "SOURCE_DETAIL", "DERIVATION":
		default:
			if d := stats.DimIndex(id); d >= 0 {
				c.dims[d] = i
				continue
			}
			known--
			rd.ps.Add(1, strconv.Itoa(i+1), "the header has %q, which is not a column of an upload (%s)", h, strings.Join(stats.SDMXCSVHeader(), ","))
		}
	}
	if known == 0 {
		rd.ps = stats.Problems{}
		rd.ps.Add(1, "", "the first line is not a header: it names the columns, %s (DATAFLOW, FREQ, REF_AREA and TIME_PERIOD may be left out)", strings.Join(stats.SDMXCSVHeader(), ","))
		return false
	}
	for d, i := range c.dims {
		if id := stats.Dimensions[d].ID; i < 0 && !scopeSettles(id) {
			rd.ps.Add(1, id, "the header lacks the column %s", id)
		}
	}
	if c.value < 0 {
		rd.ps.Add(1, stats.PrimaryMeasure, "the header lacks the column %s", stats.PrimaryMeasure)
	}
	rd.cols = c
	return rd.ps.Len() == 0
}

func (rd *csvReader) tooLarge() {
	rd.ps.Add(0, "", "the file is larger than %s, the limit for one upload; one scope (a dataflow, a State and a year) holds far fewer rows: check that this is the right file", csvSize(rd.u.MaxBytes))
	rd.rows = nil
}

func csvSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (rd *csvReader) row(rec [][]byte, line int) {
	c, sc := &rd.cols, rd.u.Scope
	n := rd.ps.Len()
	if c.flow >= 0 {
		if s := bytes.TrimSpace(rec[c.flow]); string(s) != sc.Flow && string(s) != rd.flowRef {
			if id, err := stats.ParseFlowRef(string(s)); err != nil {
				rd.ps.Add(line, "DATAFLOW", "%v", err)
			} else if id != sc.Flow {
				rd.ps.Add(line, "DATAFLOW", "is %s, but this upload is for the dataflow %s: one upload holds one dataflow", id, sc.Flow)
			}
		}
	}
	var k [len(stats.Key{})][]byte
	for d, i := range c.dims {
		switch {
		case i >= 0:
			k[d] = bytes.TrimSpace(rec[i])
		case d == keyArea:
			k[d] = rd.state
		default:
			k[d] = rd.annual // FREQ: a scope is a year
		}
	}
	areaOK := string(k[keyArea]) == sc.State
	if !areaOK {
		rd.ps.Add(line, "REF_AREA", "is %q, but this upload is for %s: one upload holds the figures of one State", k[keyArea], sc.State)
	}
	prev := false
	if c.period >= 0 {
		switch s := bytes.TrimSpace(rec[c.period]); string(s) {
		case rd.year:
		case rd.prev:
			prev = true
		default:
			if _, err := stats.ParsePeriod(string(s)); err != nil {
				rd.ps.Add(line, stats.TimeDimension, "%v", err)
			} else {
				rd.ps.Add(line, stats.TimeDimension, "is %s, but this upload is for the year %d: it takes the figures of %d, and revisions of those published for %d", s, sc.Year, sc.Year, sc.Year-1)
			}
		}
	}
	cell := findCell(rd.grid, &k)
	if cell < 0 && areaOK {
		var key stats.Key
		for d := range k {
			key[d] = string(k[d])
		}
		rd.unasked(key, line)
	}
	x, given, why := rd.figure(bytes.TrimSpace(rec[c.value]))
	if why != "" {
		rd.ps.Add(line, stats.PrimaryMeasure, "%s", why)
	}
	var status []byte
	if c.status >= 0 {
		status = bytes.TrimSpace(rec[c.status])
	}
	code := byte(0)
	if len(status) == 1 {
		code = status[0]
	}
	switch {
	case len(status) == 0:
		code = stats.StatusNormal[0]
		if !given && why == "" {
			code = stats.StatusMissing[0]
		}
	case code == stats.StatusNormal[0], code == stats.StatusEstimated[0], code == stats.StatusProvisional[0], code == stats.StatusBreak[0]:
		if !given && why == "" {
			rd.ps.Add(line, stats.PrimaryMeasure, "is empty, but OBS_STATUS is %s: give the figure, or OBS_STATUS M if it is not available", status)
		}
	case code == stats.StatusMissing[0]:
		if given {
			rd.ps.Add(line, "OBS_STATUS", "is M (missing), but OBS_VALUE is %s: leave OBS_VALUE empty, or give another status", msgExact(x))
		}
	default:
		rd.ps.Add(line, "OBS_STATUS", "%q is not a status: A normal, E estimated, P provisional, B break in series, M missing (OBS_VALUE empty)", status)
	}
	if cell >= 0 {
		at, year := cell, rd.year
		if prev {
			at, year = cell+rd.grid.size, rd.prev
		}
		if first := rd.seen[at]; first > 0 {
			rd.ps.Add(line, "", "gives a second figure for %s, %s; line %d gives the first: keep one", rd.grid.place(cell, ""), year, first)
		} else {
			rd.seen[at] = int32(min(line, 1<<31-1))
		}
	}
	if rd.ps.Len() > n {
		rd.rows = nil
		return
	}
	if n > 0 {
		return // an earlier row was refused: nothing is kept
	}
	if c.comment >= 0 {
		if s := bytes.TrimSpace(rec[c.comment]); len(s) > 0 {
			if rd.comments == nil {
				rd.comments = map[int]string{}
			}
			rd.comments[len(rd.rows)] = string(s)
		}
	}
	rd.rows = append(rd.rows, csvRow{line: line, figure: x, cell: int32(cell), status: code, given: given, prev: prev})
}

// figure reads OBS_VALUE, without an allocation for a plain number.
func (rd *csvReader) figure(b []byte) (x float64, given bool, why string) {
	if !rd.u.DecimalComma && csvPlainNumber(b) {
		if x, err := strconv.ParseFloat(string(b), 64); err == nil && !math.IsInf(x, 0) {
			return x, true, ""
		}
	}
	return csvFigure(string(b), rd.u.DecimalComma)
}

// values turns the rows read into values, with three allocations: the
// values, their figures and the text of their origins.
func (rd *csvReader) values() []Value {
	if len(rd.rows) == 0 {
		return nil
	}
	out := make([]Value, len(rd.rows))
	figures := make([]float64, len(rd.rows))
	var text []byte
	ends := make([]int, len(rd.rows))
	for i, r := range rd.rows {
		text = strconv.AppendInt(append(text, "line "...), int64(r.line), 10)
		ends[i] = len(text)
	}
	origins := string(text)
	year := stats.Period{Year: rd.u.Scope.Year, Kind: 'A'}
	prev := stats.Period{Year: rd.u.Scope.Year - 1, Kind: 'A'}
	start := 0
	for i, r := range rd.rows {
		v := &out[i]
		rd.grid.fillKey(int(r.cell), &v.Key)
		v.Period, v.Status = year, statusCode(r.status)
		if r.prev {
			v.Period = prev
		}
		v.Origin, start = origins[start:ends[i]], ends[i]
		if r.given {
			figures[i] = r.figure
			v.Value = &figures[i]
		}
		v.Comment = rd.comments[i]
	}
	return out
}

// statusCode returns the status whose code starts with c, as the shared
// constant string.
func statusCode(c byte) string {
	for _, s := range []string{stats.StatusNormal, stats.StatusEstimated, stats.StatusProvisional, stats.StatusBreak, stats.StatusMissing} {
		if s[0] == c {
			return s
		}
	}
	return string(c)
}

// unasked says why a key of the State is not a cell of any table: a code
// that is not in its code list, a code no table of the dataflow asks for,
// or a combination no table has.
func (rd *csvReader) unasked(k stats.Key, line int) {
	st, flow := rd.u.Structure, rd.u.Scope.Flow
	found := false
	for d, code := range k {
		dim := stats.Dimensions[d]
		switch {
		case rd.grid.uses(d, code):
			continue
		case code == "":
			rd.ps.Add(line, dim.ID, "is empty: every dimension needs a code")
		case st != nil && !st.Has(dim.Codelist, code):
			rd.ps.Add(line, dim.ID, "%q is not a code of %s", code, dim.Codelist)
		default:
			if rd.asked[d] == "" {
				rd.asked[d] = csvCodeList(rd.grid.codesOf(d))
			}
			rd.ps.Add(line, dim.ID, "%s is not asked for: the tables of %s take %s %s", code, flow, dim.ID, rd.asked[d])
		}
		found = true
	}
	if !found {
		rd.ps.Add(line, "", "the series %s is not a cell of any table of %s: its codes are each asked for, but not together", k, flow)
	}
}

// csvCodeList writes codes as "_T", "F, M or _T".
func csvCodeList(codes []string) string {
	if len(codes) > 12 {
		return strings.Join(codes[:12], ", ") + ", …"
	}
	if len(codes) == 1 {
		return codes[0]
	}
	return strings.Join(codes[:len(codes)-1], ", ") + " or " + codes[len(codes)-1]
}
