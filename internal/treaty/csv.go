package treaty

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
)

// CSVHeader is the header of the participation records' CSV form, which
// export writes and import reads.
var CSVHeader = []string{"instrument", "participant", "action", "date", "effective", "declarations", "source", "records_as_of", "exception"}

// WriteCSV writes records in the CSV form.
func WriteCSV(w io.Writer, rs []Record) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for _, r := range rs {
		cw.Write([]string{r.Instrument, r.Participant, string(r.Action), r.Date.String(), r.Effective.String(),
			r.Declarations, r.Source, r.RecordsAsOf.String(), r.Exception})
	}
	cw.Flush()
	return cw.Error()
}

// RowError is one rejected row of an import.
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) String() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d, %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// ImportError is an import refused as a whole, with every rejected row.
type ImportError struct {
	Rows []RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the import was refused and nothing was stored: %d row", len(e.Rows))
	if len(e.Rows) != 1 {
		b.WriteString("s")
	}
	b.WriteString(" rejected")
	for i, r := range e.Rows {
		if i == 20 {
			fmt.Fprintf(&b, "; and %d more", len(e.Rows)-20)
			break
		}
		b.WriteString("; ")
		b.WriteString(r.String())
	}
	return b.String()
}

// maxImportBytes bounds the size of an import file.
const maxImportBytes = 256 << 20

// MaxImportRows bounds an import; the whole UN Treaty Collection for the
// programme's instruments is a few thousand rows.
const MaxImportRows = 200000

// Catalog is what an import checks rows against.
type Catalog struct {
	Instruments  map[string]Instrument // by ID and by alias
	Participants map[string]bool
	Today        civil.Date
	// Stored are the records kept now, by instrument: a protocol's rows
	// are checked against them when the file does not carry the
	// Convention's records itself.
	Stored map[string][]Record
}

// ReadCSV reads participation records and checks every row and every rule;
// it returns the records, or an *ImportError naming each rejected row.
// Instruments may be given by MTDSG number or alias.
func ReadCSV(r io.Reader, cat Catalog) ([]Record, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxImportBytes {
		// Cut off, a file could still parse, and its start be imported
		// as if it were all of it.
		return nil, &ImportError{Rows: []RowError{{Line: 1, Reason: fmt.Sprintf("the file is larger than %d MiB", maxImportBytes>>20)}}}
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(raw) {
		line := 1 + bytes.Count(raw[:firstInvalid(raw)], []byte("\n"))
		return nil, &ImportError{Rows: []RowError{{Line: line, Reason: "the file is not UTF-8 text; save it as CSV UTF-8"}}}
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ImportError{Rows: []RowError{{Line: 1, Reason: "the file is empty"}}}
		}
		return nil, &ImportError{Rows: []RowError{{Line: 1, Reason: err.Error()}}}
	}
	col := map[string]int{}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[name]; dup {
			return nil, &ImportError{Rows: []RowError{{Line: 1, Field: h, Reason: "this column appears twice in the header"}}}
		}
		col[name] = i
	}
	var missing []string
	for _, h := range []string{"instrument", "participant", "action", "date", "source", "records_as_of"} {
		if _, ok := col[h]; !ok {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return nil, &ImportError{Rows: []RowError{{Line: 1, Reason: fmt.Sprintf("the header lacks the column(s) %s; it should be %s", strings.Join(missing, ", "), strings.Join(CSVHeader, ","))}}}
	}
	for _, h := range head {
		if !slices.Contains(CSVHeader, strings.ToLower(strings.TrimSpace(h))) {
			return nil, &ImportError{Rows: []RowError{{Line: 1, Field: h, Reason: fmt.Sprintf("unknown column; the columns are %s", strings.Join(CSVHeader, ","))}}}
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []RowError
	var out []Record
	var lineOf []int // the line each record came from
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A record that does not parse may have no field to ask
			// FieldPos about: its line is in the error.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			rows = append(rows, RowError{Line: line, Reason: err.Error()})
			if len(rows) > 1000 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(out)+len(rows) >= MaxImportRows {
			rows = append(rows, RowError{Line: line, Reason: fmt.Sprintf("the file has more than %d rows", MaxImportRows)})
			break
		}
		if len(rec) != len(head) {
			rows = append(rows, RowError{Line: line, Reason: fmt.Sprintf("%d fields where the header has %d", len(rec), len(head))})
			continue
		}
		r, rerr := parseRow(rec, get, cat)
		if rerr != nil {
			rerr.Line = line
			rows = append(rows, *rerr)
			continue
		}
		out = append(out, r)
		lineOf = append(lineOf, line)
	}
	// Rows that parsed are checked against the rules even when others did
	// not, so that one pass names every problem.
	rows = append(rows, checkRules(out, lineOf, cat)...)
	if len(rows) > 0 {
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Line < rows[j].Line })
		return nil, &ImportError{Rows: rows}
	}
	return out, nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func parseRow(rec []string, get func([]string, string) string, cat Catalog) (Record, *RowError) {
	bad := func(field, format string, args ...any) (Record, *RowError) {
		return Record{}, &RowError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	id := get(rec, "instrument")
	inst, ok := cat.Instruments[strings.ToUpper(id)]
	if !ok {
		if i, ok2 := cat.Instruments[id]; ok2 {
			inst, ok = i, true
		}
	}
	if !ok {
		return bad("instrument", "%q is not a known instrument (give its MTDSG number, e.g. XVIII-12, or its alias, e.g. UNTOC)", id)
	}
	if !inst.Records {
		return bad("instrument", "cpcj keeps no participation records for %s: its depositary is %s", inst.ID, inst.Depositary)
	}
	code := strings.ToUpper(get(rec, "participant"))
	if !cat.Participants[code] {
		return bad("participant", "%q is not a known participant code (ISO 3166-1 alpha-3, or EUU for the European Union)", get(rec, "participant"))
	}
	action, err := ParseAction(get(rec, "action"))
	if err != nil {
		return bad("action", "%s", fail.As(err).Message)
	}
	r := Record{Instrument: inst.ID, Participant: code, Action: action, Declarations: get(rec, "declarations"),
		Source: get(rec, "source"), Exception: get(rec, "exception")}
	for _, f := range []struct {
		name     string
		dst      *civil.Date
		optional bool
	}{{"date", &r.Date, false}, {"effective", &r.Effective, true}, {"records_as_of", &r.RecordsAsOf, false}} {
		s := get(rec, f.name)
		if s == "" && f.optional {
			continue
		}
		d, err := civil.Parse(s)
		if err != nil {
			return bad(f.name, "%v", err)
		}
		*f.dst = d
	}
	return r, nil
}

// checkRules applies Check to every record in date order, as if they were
// entered one by one, and names the rows that break a rule.
func checkRules(rs []Record, lineOf []int, cat Catalog) []RowError {
	idx := make([]int, len(rs))
	insts := make([]Instrument, len(rs))
	for i, r := range rs {
		idx[i] = i
		var ok bool
		if insts[i], ok = cat.Instruments[strings.ToUpper(r.Instrument)]; !ok {
			// As parseRow: the catalog may hold numbers as they are
			// written (XVIII-12-a).
			insts[i] = cat.Instruments[r.Instrument]
		}
	}
	// On one day, a Convention's deposits before its Protocols': a State
	// may join both the same day (UNTOC art. 37(2)), whatever the order of
	// the file.
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := rs[idx[a]], rs[idx[b]]
		if c := ra.Date.Compare(rb.Date); c != 0 {
			return c < 0
		}
		// On the same day: the Convention before its Protocols, and a
		// signature before a deposit, as the depositary would record them.
		if pa, pb := insts[idx[a]].RequiresParent, insts[idx[b]].RequiresParent; pa != pb {
			return pb
		}
		return ra.Action.Signs() && !rb.Action.Signs()
	})
	// accepted holds, by instrument and participant, the records checked so far.
	type key struct{ inst, part string }
	accepted := map[key][]Record{}
	inFile := map[string]bool{}
	for _, r := range rs {
		inFile[r.Instrument] = true
	}
	for inst, stored := range cat.Stored {
		if inFile[inst] {
			continue
		}
		for _, r := range stored {
			accepted[key{inst, r.Participant}] = append(accepted[key{inst, r.Participant}], r)
		}
	}
	var rows []RowError
	for _, i := range idx {
		r, inst := rs[i], insts[i]
		var parent []Record
		if inst.RequiresParent {
			parent = accepted[key{inst.Parent, r.Participant}]
		}
		if err := Check(inst, r, accepted[key{r.Instrument, r.Participant}], parent, cat.Today); err != nil {
			e := fail.As(err)
			rows = append(rows, RowError{Line: lineOf[i], Field: e.Field, Reason: e.Message})
			continue
		}
		accepted[key{r.Instrument, r.Participant}] = append(accepted[key{r.Instrument, r.Participant}], r)
	}
	return rows
}
