package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// ReadTables reads questionnaire tables written as a JSON array (the form
// of data/collection/tables.json) and checks them with CheckTables. An
// error names the line of the table at fault and the field.
func ReadTables(r io.Reader, st *stats.Structure) ([]Table, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("line %d: the file must be a JSON array of tables, [ {...}, {...} ]", jsonLineAt(src, dec.InputOffset()))
	}
	var tables []Table
	var lines []int
	for dec.More() {
		// The table starts after the blanks and the comma that follow
		// the one before.
		base := dec.InputOffset()
		at := base
		for at < int64(len(src)) && strings.IndexByte(" \t\r\n,", src[at]) >= 0 {
			at++
		}
		start := jsonLineAt(src, at)
		var t Table
		if err := dec.Decode(&t); err != nil {
			return nil, tablesJSONError(src, base, start, len(tables)+1, err)
		}
		tables, lines = append(tables, t), append(lines, start)
	}
	if _, err := dec.Token(); err != nil {
		return nil, tablesJSONError(src, dec.InputOffset(), jsonLineAt(src, dec.InputOffset()), len(tables)+1, err)
	}
	if err := CheckTables(tables, st); err != nil {
		var te *TableError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("line %d: %w", lines[te.Index], err)
		}
		return nil, err
	}
	return tables, nil
}

// tablesJSONError names the line and field of a JSON decoding error in
// the nth table, which starts on the line; base is where the decoder
// started reading it (the offsets of type errors count from there).
func tablesJSONError(src []byte, base int64, line, nth int, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: table %d is not valid JSON: %v", jsonLineAt(src, syn.Offset), nth, err)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: table %d, field %s: %s is not a %s", jsonLineAt(src, base+typ.Offset), nth, typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: the file ends inside table %d", jsonLineAt(src, int64(len(src))), nth)
	}
	// Unknown fields: encoding/json says `json: unknown field "x"`.
	return fmt.Errorf("line %d: table %d: %s", line, nth, strings.TrimPrefix(err.Error(), "json: "))
}

// jsonLineAt is the 1-based line of a byte offset.
func jsonLineAt(src []byte, off int64) int {
	off = min(max(off, 0), int64(len(src)))
	return bytes.Count(src[:off], []byte("\n")) + 1
}

// TableError is what is wrong with one table of a list.
type TableError struct {
	Index int    // position of the table in the list
	ID    string // the table's id
	Field string // e.g. "rows.codes"
	Msg   string
}

func (e *TableError) Error() string {
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("number %d", e.Index+1)
	}
	return fmt.Sprintf("table %s, %s: %s", id, e.Field, e.Msg)
}

// CheckTables checks tables before they are offered to States: ids unique,
// titles given, every dimension given a code (laid out by an axis, or
// fixed), codes in their code lists, a label for every code, required
// cells in the table, and no cell in two tables of the same dataflow (a
// figure has one place). st may be nil to leave the code lists out. The
// error is the first *TableError found.
func CheckTables(tables []Table, st *stats.Structure) error {
	ids := map[string]bool{}
	type flowKey struct {
		flow string
		key  stats.Key
	}
	owner := map[flowKey]string{} // a cell's dataflow and key → the table's id
	for i, t := range tables {
		bad := func(field, format string, args ...any) error {
			return &TableError{Index: i, ID: t.ID, Field: field, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case !tableIDLike(t.ID):
			return bad("id", "%q is not an id: use capitals, digits and _ (e.g. OFFENCES_POLICE)", t.ID)
		case ids[t.ID]:
			return bad("id", "another table has the id %s", t.ID)
		case strings.TrimSpace(t.Title) == "":
			return bad("title", "give the table a title in plain language")
		case t.Flow == "":
			return bad("flow", "name the dataflow the table's values go to")
		case st != nil && !st.HasFlow(t.Flow):
			return bad("flow", "no dataflow has the id %q", t.Flow)
		}
		ids[t.ID] = true
		if err := checkTableAxis(t.Rows, "rows", st, bad); err != nil {
			return err
		}
		if t.Cols.Dim != "" || len(t.Cols.Codes) > 0 {
			if err := checkTableAxis(t.Cols, "cols", st, bad); err != nil {
				return err
			}
			if t.Cols.Dim == t.Rows.Dim {
				return bad("cols.dim", "rows and columns both lay out %s", t.Rows.Dim)
			}
		}
		for _, d := range stats.Dimensions {
			code, fixed := t.Fixed[d.ID]
			axis := d.ID == t.Rows.Dim || d.ID == t.Cols.Dim
			switch {
			case d.ID == "REF_AREA" && fixed:
				return bad("fixed.REF_AREA", "the State is the one answering, not a code of the table")
			case d.ID == "REF_AREA":
			case axis && fixed:
				return bad("fixed."+d.ID, "%s is laid out by the table; it cannot be fixed too", d.ID)
			case !axis && code == "":
				return bad("fixed", "give a code for %s (every dimension needs one)", d.ID)
			case !axis && st != nil && !st.Has(d.Codelist, code):
				return bad("fixed."+d.ID, "%q is not a code of %s", code, d.Codelist)
			}
		}
		for id := range t.Fixed {
			if stats.DimIndex(id) < 0 {
				return bad("fixed."+id, "%s is not a dimension (%s)", id, dimensionIDList())
			}
		}
		if t.Rates && t.Fixed["UNIT_MEASURE"] != stats.UnitNumber {
			return bad("rates", "a table takes rates beside its counts only if fixed.UNIT_MEASURE is %s", stats.UnitNumber)
		}
		for _, c := range t.Required {
			if c.Row != "" && !slices.Contains(t.Rows.Codes, c.Row) {
				return bad("required", "the row %q is not a row of the table", c.Row)
			}
			if c.Col != "" && !slices.Contains(t.Cols.Codes, c.Col) {
				return bad("required", "the column %q is not a column of the table", c.Col)
			}
		}
		for _, c := range t.allCells() {
			k, err := t.Key("-", c)
			if err != nil {
				return bad("fixed", "%v", err)
			}
			at := flowKey{t.Flow, k}
			if other, ok := owner[at]; ok {
				return bad("rows", "the cell %s is also in the table %s: a figure has one place", tableCellText(c), other)
			}
			owner[at] = t.ID
		}
	}
	return nil
}

func checkTableAxis(a Axis, field string, st *stats.Structure, bad func(field, format string, args ...any) error) error {
	d := stats.DimIndex(a.Dim)
	switch {
	case d < 0:
		return bad(field+".dim", "%q is not a dimension (%s)", a.Dim, dimensionIDList())
	case a.Dim == "REF_AREA":
		return bad(field+".dim", "the State is the one answering; a table cannot lay out REF_AREA")
	case len(a.Codes) == 0:
		return bad(field+".codes", "give at least one code")
	case len(a.Labels) != len(a.Codes):
		return bad(field+".labels", "%d labels for %d codes: give one label per code, in the same order", len(a.Labels), len(a.Codes))
	}
	seen := map[string]bool{}
	for i, c := range a.Codes {
		switch {
		case seen[c]:
			return bad(field+".codes", "%q appears twice", c)
		case st != nil && !st.Has(stats.Dimensions[d].Codelist, c):
			return bad(field+".codes", "%q is not a code of %s", c, stats.Dimensions[d].Codelist)
		case strings.TrimSpace(a.Labels[i]) == "":
			return bad(field+".labels", "the code %s has an empty label", c)
		}
		seen[c] = true
	}
	return nil
}

func tableIDLike(s string) bool {
	if s == "" || len(s) > 50 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func dimensionIDList() string {
	ids := make([]string, len(stats.Dimensions))
	for i, d := range stats.Dimensions {
		ids[i] = d.ID
	}
	return strings.Join(ids, ", ")
}

func tableCellText(c Cell) string {
	if c.Col == "" {
		return c.Row
	}
	return c.Row + " × " + c.Col
}

// cells lists the cells of the table, row by row.
func (t Table) allCells() []Cell {
	cols := t.Cols.Codes
	if t.Cols.Dim == "" {
		cols = []string{""}
	}
	out := make([]Cell, 0, len(t.Rows.Codes)*len(cols))
	for _, r := range t.Rows.Codes {
		for _, c := range cols {
			out = append(out, Cell{Row: r, Col: c})
		}
	}
	return out
}

// isRequired reports whether a complete answer fills the cell.
func (t Table) isRequired(c Cell) bool {
	for _, r := range t.Required {
		if (r.Row == "" || r.Row == c.Row) && (r.Col == "" || r.Col == c.Col) {
			return true
		}
	}
	return false
}

// label returns the plain-language label of a code the table lays out, or
// "" if it lays out no such code.
func (t Table) codeLabel(dim, code string) string {
	for _, a := range []Axis{t.Rows, t.Cols} {
		if a.Dim != dim {
			continue
		}
		if i := slices.Index(a.Codes, code); i >= 0 {
			return labelAt(a, i)
		}
	}
	return ""
}
