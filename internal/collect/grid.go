package collect

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// cellGrid indexes the cells of a dataflow's tables for one State: every
// series key a submission of the scope may hold, each with a number, its
// table and its cell. The readers find a value's place with it, and the
// validation names cells with it. Cells are numbered table by table, row
// by row, column by column, the rate (if the table takes rates) after
// each count; a key is found by comparing the codes a table fixes and
// looking up its row code, so that the index stays small for a table of
// a million cells. A grid serves one goroutine: find remembers where it
// last found a key.
type cellGrid struct {
	tables []Table
	parts  []gridTable
	size   int // the number of cells
	last   int // the table of the last key found
	// lastLocated is the table of the last cell located.
	lastLocated int
}

// gridTable is a table of the grid.
type gridTable struct {
	base     int       // the number of its first cell
	key      stats.Key // the codes it fixes, and the State
	fixed    []int     // the dimensions it fixes, REF_AREA included
	row      int       // the dimension of its rows
	col      int       // the dimension of its columns; -1 for a single column
	rows     map[string]int32
	rowCodes []string
	cols     []string
	counts   int // cells per row and column: 2 with rates, else 1
	// lastCode and lastRow are the row code last found, and its row.
	lastCode string
	lastRow  int32
}

// gridCell is a cell of the grid, as the validation names it.
type gridCell struct {
	key   stats.Key
	table int // position in cellGrid.tables
	cell  Cell
	rate  bool // the rate per 100,000 of the count cell, for a table with Rates
}

// Positions of dimensions in a key that the package reads often.
var (
	keyArea = stats.DimIndex("REF_AREA")
	keySex  = stats.DimIndex("SEX")
	keyAge  = stats.DimIndex("AGE")
	keyUnit = stats.DimIndex("UNIT_MEASURE")
)

// newCellGrid indexes the cells of the tables of a dataflow for a State.
// Tables of other dataflows, and tables that give no code for a dimension
// (which CheckTables refuses), are left out.
func newCellGrid(tables []Table, flow, state string) *cellGrid {
	g := &cellGrid{}
	for _, t := range tables {
		if t.Flow != flow {
			continue
		}
		gt := gridTable{base: g.size, row: stats.DimIndex(t.Rows.Dim), col: -1, counts: 1, cols: []string{""}}
		if t.Cols.Dim != "" {
			gt.col, gt.cols = stats.DimIndex(t.Cols.Dim), t.Cols.Codes
		}
		if t.Rates {
			gt.counts = 2
		}
		complete := gt.row >= 0 && (t.Cols.Dim == "" || gt.col >= 0)
		for d, dim := range stats.Dimensions {
			switch {
			case d == keyArea:
				gt.key[d] = state
			case d == gt.row || d == gt.col:
				continue
			default:
				gt.key[d] = t.Fixed[dim.ID]
			}
			gt.fixed = append(gt.fixed, d)
			complete = complete && gt.key[d] != ""
		}
		if !complete {
			continue
		}
		gt.rows, gt.rowCodes = make(map[string]int32, len(t.Rows.Codes)), t.Rows.Codes
		for i, c := range t.Rows.Codes {
			if _, dup := gt.rows[c]; !dup {
				gt.rows[c] = int32(i)
			}
		}
		g.tables = append(g.tables, t)
		g.parts = append(g.parts, gt)
		g.size += len(t.Rows.Codes) * len(gt.cols) * gt.counts
	}
	return g
}

// find returns the number of the cell with the key, or -1. A key in two
// tables (which CheckTables refuses) is found in the first.
func (g *cellGrid) find(k stats.Key) int { return findCell(g, (*[len(stats.Key{})]string)(&k)) }

// findCell is find for a key of strings or, from a file, of bytes.
func findCell[T string | []byte](g *cellGrid, k *[len(stats.Key{})]T) int {
	// Files and submissions come table by table and row by row: the
	// table of the last key found is tried first.
	if n := findInTable(g, g.last, k); n >= 0 {
		return n
	}
	for i := range g.parts {
		if n := findInTable(g, i, k); n >= 0 {
			g.last = i
			return n
		}
	}
	return -1
}

// findInTable returns the number of the cell with the key in the table
// at position i, or -1.
func findInTable[T string | []byte](g *cellGrid, i int, k *[len(stats.Key{})]T) int {
	if i >= len(g.parts) {
		return -1
	}
	gt := &g.parts[i]
	rate := 0
	for _, d := range gt.fixed {
		if string(k[d]) == gt.key[d] {
			continue
		}
		if d == keyUnit && gt.counts == 2 && string(k[d]) == stats.UnitRate {
			rate = 1
			continue
		}
		return -1
	}
	code := k[gt.row]
	r, ok := gt.lastRow, gt.lastCode != "" && string(code) == gt.lastCode
	if !ok {
		// The row after the last one found, or any row.
		if next := int(gt.lastRow) + 1; gt.lastCode != "" && next < len(gt.rowCodes) && string(code) == gt.rowCodes[next] {
			r = int32(next)
		} else if r, ok = gt.rows[string(code)]; !ok {
			return -1
		}
		gt.lastRow, gt.lastCode = r, gt.rowCodes[r]
	}
	c := 0
	if gt.col >= 0 {
		for c < len(gt.cols) && gt.cols[c] != string(k[gt.col]) {
			c++
		}
		if c == len(gt.cols) {
			return -1
		}
	}
	return gt.base + (int(r)*len(gt.cols)+c)*gt.counts + rate
}

// uses reports whether a table of the grid has cells with the code of
// dimension d: fixes it, or lays it out.
func (g *cellGrid) uses(d int, code string) bool {
	for i := range g.parts {
		gt := &g.parts[i]
		switch {
		case d == gt.row:
			if _, ok := gt.rows[code]; ok {
				return true
			}
		case d == gt.col:
			if slices.Contains(gt.cols, code) {
				return true
			}
		case gt.key[d] == code, d == keyUnit && gt.counts == 2 && code == stats.UnitRate:
			return true
		}
	}
	return false
}

// codesOf lists the codes of dimension d that the tables use, in order.
func (g *cellGrid) codesOf(d int) []string {
	set := map[string]bool{}
	for i := range g.parts {
		gt := &g.parts[i]
		switch d {
		case gt.row:
			for _, c := range gt.rowCodes {
				set[c] = true
			}
		case gt.col:
			for _, c := range gt.cols {
				set[c] = true
			}
		default:
			set[gt.key[d]] = true
			if d == keyUnit && gt.counts == 2 {
				set[stats.UnitRate] = true
			}
		}
	}
	codes := slices.Collect(maps.Keys(set))
	slices.Sort(codes)
	return codes
}

// locate returns the position of the table of the cell with the number,
// and the cell's row, column and whether it is a rate.
func (g *cellGrid) locate(n int) (ti, r, c int, rate bool) {
	ti = g.lastLocated
	if n < g.parts[ti].base || ti+1 < len(g.parts) && n >= g.parts[ti+1].base {
		ti = sort.Search(len(g.parts), func(i int) bool { return g.parts[i].base > n }) - 1
		g.lastLocated = ti
	}
	gt := &g.parts[ti]
	n -= gt.base
	rate, n = n%gt.counts == 1, n/gt.counts
	return ti, n / len(gt.cols), n % len(gt.cols), rate
}

// codeOf returns the code of dimension d in the key of the cell with the
// number.
func (g *cellGrid) codeOf(n, d int) string {
	ti, r, c, rate := g.locate(n)
	gt := &g.parts[ti]
	switch {
	case d == gt.row:
		return gt.rowCodes[r]
	case d == gt.col:
		return gt.cols[c]
	case d == keyUnit && rate:
		return stats.UnitRate
	}
	return gt.key[d]
}

// number returns the number of a cell of a table, by row and column.
func (g *cellGrid) number(ti, r, c int, rate bool) int {
	gt := &g.parts[ti]
	n := gt.base + (r*len(gt.cols)+c)*gt.counts
	if rate {
		n++
	}
	return n
}

// cell returns the cell with the number, its key made of the tables'
// own strings.
func (g *cellGrid) cell(n int) gridCell {
	ti, r, c, rate := g.locate(n)
	out := gridCell{table: ti, cell: Cell{Row: g.parts[ti].rowCodes[r], Col: g.parts[ti].cols[c]}, rate: rate}
	g.fillKey(n, &out.key)
	return out
}

// fillKey sets the key of the cell with the number, made of the tables'
// own strings.
func (g *cellGrid) fillKey(n int, k *stats.Key) {
	ti, r, c, rate := g.locate(n)
	gt := &g.parts[ti]
	*k = gt.key
	k[gt.row] = gt.rowCodes[r]
	if gt.col >= 0 {
		k[gt.col] = gt.cols[c]
	}
	if rate {
		k[keyUnit] = stats.UnitRate
	}
}

// neighbour returns the number of the cell whose key is that of cell n
// with the code of dimension d changed, when the table of cell n says it
// (d is its row or column dimension and it lays out the code, or d is
// the unit of a table with rates): ok false means the cell is not in
// that table, and another may have it.
func (g *cellGrid) neighbour(n, d int, code string) (m int, ok bool) {
	ti, r, c, rate := g.locate(n)
	gt := &g.parts[ti]
	switch {
	case d == gt.row:
		i, found := gt.rows[code]
		if !found {
			return -1, false
		}
		return g.number(ti, int(i), c, rate), true
	case d == gt.col:
		for i, col := range gt.cols {
			if col == code {
				return g.number(ti, r, i, rate), true
			}
		}
		return -1, false
	case d == keyUnit && gt.counts == 2 && code == gt.key[keyUnit]:
		return g.number(ti, r, c, false), true
	case d == keyUnit && gt.counts == 2 && code == stats.UnitRate:
		return g.number(ti, r, c, true), true
	}
	return -1, false
}

// place names a cell for people: the table's title, then the labels of
// its row and column, leaving out the code of the dimension skip (the one
// a message is about).
func (g *cellGrid) place(n int, skip string) string {
	ti, r, c, rate := g.locate(n)
	t := g.tables[ti]
	parts := []string{t.Title}
	if t.Rows.Dim != skip {
		parts = append(parts, labelAt(t.Rows, r))
	}
	if t.Cols.Dim != "" && t.Cols.Dim != skip {
		parts = append(parts, labelAt(t.Cols, c))
	}
	if rate {
		parts = append(parts, "rate per 100,000")
	}
	return strings.Join(parts, ", ")
}

// labelAt returns the label of the code at position i of an axis, or the
// code if the axis lacks labels (CheckTables refuses such a table).
func labelAt(a Axis, i int) string {
	if i < len(a.Labels) {
		return a.Labels[i]
	}
	return a.Codes[i]
}

// codeLabel returns the label the tables give a code of a dimension, or
// the code itself.
func (g *cellGrid) codeLabel(dim, code string) string {
	for _, t := range g.tables {
		if l := t.codeLabel(dim, code); l != "" {
			return l
		}
	}
	return code
}
