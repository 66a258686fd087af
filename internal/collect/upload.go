package collect

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// The files a State sends for a round — its Excel questionnaire, or CSV /
// SDMX-CSV for one dataflow — are read here, whoever reads them: the web
// pages, the background job that reads large files, the JSON API and the
// command line.

// File is what an uploaded file is declared to be, beside its contents.
type File struct {
	Name string // the name it was uploaded under, for messages
	Size int64  // in bytes
	// Flow is the dataflow a CSV file answers; a workbook answers every
	// table of the round and needs none.
	Flow         string
	DecimalComma bool // a CSV file writes decimals with a comma (12,5)
	// Progress, if set, is called now and then with the bytes of a CSV
	// file read so far.
	Progress func(read int64)
}

// The kinds of file a State sends.
const (
	WorkbookFile = "workbook" // the Excel questionnaire cpcj wrote
	CSVFile      = "csv"      // CSV or SDMX-CSV for one dataflow
)

// FileKind tells a workbook from a CSV file by its first bytes, whatever
// its name says: an .xlsx workbook is a zip archive. An Excel 97–2003
// workbook is refused, with what to do about it.
func FileKind(r io.ReaderAt) (string, error) {
	head := make([]byte, 8)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	head = head[:n]
	switch {
	case n == 0:
		return "", fail.Field("file", "The file is empty.")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return WorkbookFile, nil
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "", fail.Field("file", "This is an Excel 97–2003 workbook (.xls). Open it in Excel and save it as an Excel Workbook (.xlsx), then upload that file.")
	}
	return CSVFile, nil
}

// ReadFile reads a State's file for a round into its values, by scope.
// A workbook gives a scope for each dataflow of the round's tables, even
// one left empty, since saving it empties that draft; a CSV file gives
// the scope of its dataflow.
//
// Reading is all or nothing: a file refused yields no value and an error
// that names what is wrong — *SheetProblems or *stats.Problems, naming
// each cell or line at fault, or a *fail.Error for a file that is not
// this State's questionnaire for this round (FileProblems lists either
// for people).
func (s *Service) ReadFile(ctx context.Context, by access.Actor, round int64, state, stateName string, f File, r io.ReaderAt) (map[Scope][]Value, error) {
	kind, err := FileKind(r)
	if err != nil {
		return nil, err
	}
	rd, err := s.Store.Round(ctx, by, round)
	if err != nil {
		return nil, err
	}
	byScope := map[Scope][]Value{}
	if kind == WorkbookFile {
		wb, err := s.Workbook(ctx, by, round, state, stateName)
		if err != nil {
			return nil, err
		}
		values, err := ReadWorkbook(ctx, io.NewSectionReader(r, 0, f.Size), f.Size, wb)
		if err != nil {
			return nil, err
		}
		for _, t := range rd.Tables {
			byScope[Scope{Flow: t.Flow, State: state, Year: rd.Year}] = nil
		}
		for _, v := range values {
			sc := Scope{Flow: rd.flowOf(v.Key), State: state, Year: rd.Year}
			byScope[sc] = append(byScope[sc], v)
		}
		return byScope, nil
	}
	if f.Flow == "" {
		return nil, fail.Field("flow", "A CSV file answers one dataflow: say which.")
	}
	lists, err := s.Stats.Codelists(ctx)
	if err != nil {
		return nil, err
	}
	flows, err := s.Stats.Dataflows(ctx)
	if err != nil {
		return nil, err
	}
	sc := Scope{Flow: f.Flow, State: state, Year: rd.Year}
	values, err := ReadCSV(ctx, io.NewSectionReader(r, 0, f.Size), Upload{Scope: sc, Tables: rd.Tables, Structure: stats.NewStructure(lists, flows),
		DecimalComma: f.DecimalComma, Progress: f.Progress})
	if err != nil {
		return nil, err
	}
	byScope[sc] = values
	return byScope, nil
}

// flowOf returns the dataflow of the round's table a key falls in.
func (r Round) flowOf(k stats.Key) string {
	for _, t := range r.Tables {
		if _, ok := t.CellOf(k); ok {
			return t.Flow
		}
	}
	return ""
}

// FileProblem is one reason a file was refused, wherever it came from: a
// cell of a workbook, a line of a CSV file, or the file as a whole.
type FileProblem struct {
	Sheet  string `json:"sheet,omitempty"`  // the workbook's sheet
	Cell   string `json:"cell,omitempty"`   // "E12", in a workbook
	Row    int    `json:"row,omitempty"`    // the sheet's row or the CSV file's line; 0 for the whole
	Column string `json:"column,omitempty"` // the sheet's column letter, or the CSV column's name
	Reason string `json:"reason"`
}

// FileProblems lists what ReadFile found wrong with a file, for people,
// with how many more problems there were past the list; ok is false for
// an error that is not about the file (the database failed, say), which
// the caller reports as such.
func FileProblems(err error) (list []FileProblem, more int, ok bool) {
	var sp *SheetProblems
	var ps *stats.Problems
	switch {
	case errors.As(err, &sp):
		for _, p := range sp.List {
			list = append(list, FileProblem(p))
		}
		return list, sp.More, true
	case errors.As(err, &ps):
		for _, p := range ps.List {
			list = append(list, FileProblem{Row: p.Line, Column: p.Column, Reason: p.Reason})
		}
		return list, ps.More, true
	}
	if e := fail.As(err); e != nil && e.Kind != fail.Internal && e.Kind != fail.Unavailable {
		return []FileProblem{{Reason: e.Message}}, 0, true
	}
	return nil, 0, false
}

// DryRun checks the values of several scopes of a round, as one file
// gave them, and says what saving them would change, scope by scope in
// the order of the round's tables. It stores nothing.
func (s *Service) DryRun(ctx context.Context, by access.Actor, round int64, byScope map[Scope][]Value) ([]Preview, error) {
	r, err := s.Store.Round(ctx, by, round)
	if err != nil {
		return nil, err
	}
	var out []Preview
	for _, sc := range r.scopes(byScope) {
		p, err := s.Save(ctx, by, round, sc, byScope[sc], true)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// scopes orders the scopes of a file as the round's tables are ordered.
func (r Round) scopes(byScope map[Scope][]Value) []Scope {
	rank := func(flow string) int {
		return slices.IndexFunc(r.Tables, func(t Table) bool { return t.Flow == flow })
	}
	out := make([]Scope, 0, len(byScope))
	for sc := range byScope {
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b Scope) int {
		return cmp.Or(cmp.Compare(rank(a.Flow), rank(b.Flow)), cmp.Compare(a.Flow, b.Flow))
	})
	return out
}

// SaveAll saves the values of several scopes of a round, as one file
// gave them: all of them or none, in one transaction of the store.
// Nothing is saved when a scope has an error, or when a table the file
// changes cannot take a new draft (the secretariat has validated it); the
// previews then say why. Scopes the file leaves as they are stay
// untouched, so that tables already sent stay sent.
func (s *Service) SaveAll(ctx context.Context, by access.Actor, round int64, byScope map[Scope][]Value) ([]Preview, error) {
	if len(byScope) == 0 {
		return nil, fail.Field("file", "The file holds no figures.")
	}
	for sc := range byScope {
		if err := access.Check(by, access.SubmitData, sc.State); err != nil {
			return nil, err
		}
	}
	r, err := s.Store.Round(ctx, by, round)
	if err != nil {
		return nil, err
	}
	if err := r.CheckOpen(civil.Of(s.Now())); err != nil {
		return nil, err
	}
	// The previews name their scopes with the round's year, and the
	// figures saved are found by them.
	for sc := range byScope {
		if sc.Year != r.Year {
			return nil, fail.Field("year", "The round %s asks for %d, not %d.", r.Name, r.Year, sc.Year)
		}
	}
	previews, err := s.DryRun(ctx, by, round, byScope)
	if err != nil {
		return previews, err
	}
	errs := 0
	for _, p := range previews {
		errs += p.Errors()
	}
	if errs > 0 {
		return previews, fail.New(fail.Invalid, "The figures have %d error(s): nothing was saved. Correct them and upload the file again.", errs)
	}
	subs, err := s.Store.Submissions(ctx, by, round)
	if err != nil {
		return previews, err
	}
	changed := map[Scope][]Value{}
	for _, p := range previews {
		if p.Changes.Empty() {
			continue
		}
		changed[p.Scope] = byScope[p.Scope]
		for _, t := range r.touched(p.Changes) {
			for _, sub := range subs {
				if sub.State != p.Scope.State || sub.Table != t.ID {
					continue
				}
				if err := Move(sub.Status, Draft, State); err != nil {
					return previews, explain(err, "%s: %s Nothing was saved.", t.Title)
				}
			}
		}
	}
	if len(changed) == 0 {
		return previews, nil
	}
	saved, err := s.Store.SaveDrafts(ctx, by, round, changed)
	if err != nil {
		return previews, explain(err, "%s Nothing was saved.")
	}
	for i, p := range previews {
		if sv, ok := saved[p.Scope]; ok {
			previews[i].Saved = &sv
		}
	}
	return previews, nil
}

// touched returns the round's tables whose values the changes add,
// change or remove.
func (r Round) touched(c Changes) []Table {
	var out []Table
	add := func(k stats.Key) {
		for _, t := range r.Tables {
			if _, ok := t.CellOf(k); ok && !slices.ContainsFunc(out, func(o Table) bool { return o.ID == t.ID }) {
				out = append(out, t)
			}
		}
	}
	for _, v := range c.Added {
		add(v.Key)
	}
	for _, ch := range c.Changed {
		add(ch.New.Key)
	}
	for _, v := range c.Removed {
		add(v.Key)
	}
	return out
}

// explain puts the message of err in a sentence, format, whose last
// verb takes it; an error without a message for people is returned as it
// is, with the context for the log.
func explain(err error, format string, args ...any) error {
	e := fail.As(err)
	if e == nil {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, append(args, "")...), err)
	}
	return &fail.Error{Kind: e.Kind, Field: e.Field, Message: fmt.Sprintf(format, append(args, e.Message)...)}
}

// ReadFigure reads a figure as people type it in a form or a cell:
// spaces or apostrophes may group thousands, and a comma or a point be
// the decimal mark where that is unambiguous. It returns a reason, for
// people, when the text is not a number.
func ReadFigure(s string) (float64, string) { return wbFigure(s) }
