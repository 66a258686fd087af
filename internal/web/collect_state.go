package web

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// The focal point's pages of a round: what the round asks of their State
// and where each table stands, the web form of each table, and the Excel
// questionnaire (collect_upload.go has the uploads). The State's focal
// point answers; its experts and the secretariat read.

// answerBase is what every page of a State's answer to a round shows.
type answerBase struct {
	Round     collect.Round
	State     string // ISO 3166-1 alpha-3
	StateName string
	Path      string // the State's page for the round
	Open      bool   // the round takes figures today
	Today     civil.Date
	// CanAnswer says the reader is the State's focal point, who saves and
	// submits its figures; others read them.
	CanAnswer bool
}

// answerData reads the round and the State's questionnaire — its draft,
// and its published figures for the reference year and the year before —
// as the reader may see them: the store refuses another State's.
func (h *Handler) answerData(r *http.Request) (answerBase, collect.Workbook, error) {
	var b answerBase
	ctx := r.Context()
	by := access.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return b, collect.Workbook{}, fail.New(fail.NotFound, "No collection round has the id %q.", r.PathValue("id"))
	}
	p, err := h.store.Participant(ctx, strings.ToUpper(r.PathValue("code")))
	if err != nil {
		return b, collect.Workbook{}, err
	}
	wb, err := h.collect.Workbook(ctx, by, id, p.Code, p.Name)
	if err != nil {
		return b, wb, err
	}
	if b.Round, err = h.collect.Store.Round(ctx, by, id); err != nil {
		return b, wb, err
	}
	b.State, b.StateName, b.Today = p.Code, p.Name, h.collectDay()
	b.Path = fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, id, p.Code)
	b.Open = b.Round.Open(b.Today)
	b.CanAnswer = access.Allowed(by, access.SubmitData, p.Code)
	return b, wb, nil
}

// submissionsOf returns the State's submissions of the round, by table.
func (h *Handler) submissionsOf(r *http.Request, b answerBase) (map[string]collect.Submission, error) {
	subs, err := h.collect.Store.Submissions(r.Context(), access.FromContext(r.Context()), b.Round.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]collect.Submission{}
	for _, s := range subs {
		if s.State == b.State {
			out[s.Table] = s
		}
	}
	return out, nil
}

// answerStatePage is the data of a State's page for a round.
type answerStatePage struct {
	answerBase
	Tables  []answerTableRow
	Overdue int  // tables not sent though the due date has passed
	Sent    int  // tables sent to the secretariat
	Answers bool // the State answered some table last year
}

// answerTableRow is a table of the round as the State's page lists it.
type answerTableRow struct {
	collect.Table
	Status     collect.Status
	Label      string // the status, for people
	Values     int
	Queries    int
	Changed    time.Time // zero when not started
	Overdue    bool
	LastYear   int   // figures published for the year before the round's
	Submission int64 // 0 when not started
}

// StateAnswers shows what a round asks of a State: each table with its
// status, values, open queries and last change, what the State answered
// the year before, and the ways to answer.
func (h *Handler) StateAnswers(w http.ResponseWriter, r *http.Request) {
	b, wb, err := h.answerData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	subs, err := h.submissionsOf(r, b)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	l := h.Locale(r)
	d := answerStatePage{answerBase: b}
	late := b.Round.ClosedAt == nil && b.Today.After(b.Round.DueOn)
	for _, t := range b.Round.Tables {
		st := answerTableRow{Table: t, Status: collect.NotStarted}
		if s, ok := subs[t.ID]; ok {
			st.Status, st.Values, st.Queries, st.Changed, st.Submission = s.Status, s.Values, s.OpenQueries, s.UpdatedAt, s.ID
		}
		st.Label = statusLabel(l, st.Status)
		if st.Status.Sent() {
			d.Sent++
		} else {
			st.Overdue = late
		}
		for _, v := range wb.Published {
			if _, rate, ok := t.Locate(v.Key); ok && !rate && v.Period.Year == b.Round.Year-1 && v.Value != nil {
				st.LastYear++
			}
		}
		if st.Overdue {
			d.Overdue++
		}
		d.Answers = d.Answers || st.LastYear > 0
		d.Tables = append(d.Tables, st)
	}
	h.render(w, r, http.StatusOK, "collect_state", "collection", d)
}

// StateWorkbook sends the State's Excel questionnaire for the round,
// prefilled with its draft, or its published figures where it has none.
func (h *Handler) StateWorkbook(w http.ResponseWriter, r *http.Request) {
	b, wb, err := h.answerData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	// Written whole before it is sent, so that a failure is an error page
	// rather than half a file.
	var buf bytes.Buffer
	if err := collect.WriteWorkbook(&buf, wb); err != nil {
		h.Error(w, r, fmt.Errorf("questionnaire of %s for round %d: %w", b.State, b.Round.ID, err))
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	hdr.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": answerWorkbookName(b.Round.Name, b.State)}))
	// The questionnaire holds the State's unpublished draft.
	hdr.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

var answerNotInName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// answerWorkbookName names a State's questionnaire after the round and the
// State, in the characters every system takes: UN-CTS-2024-KEN.xlsx.
func answerWorkbookName(round, state string) string {
	base := strings.Trim(answerNotInName.ReplaceAllString(round, "-"), "-")
	if base == "" {
		base = "questionnaire"
	}
	return base + "-" + state + ".xlsx"
}

// answerTablePage is the data of the web form of one table.
type answerTablePage struct {
	answerBase
	Table      collect.Table
	Status     collect.Status
	Label      string
	Submission collect.Submission // ID 0 when not started
	Cols       []answerCol
	Rows       []answerRow
	Year       int
	LastYear   int
	Rates      bool
	// RateBelow puts each rate under its count, in the count's column,
	// where a table with columns would be too wide with a column of rates
	// beside each.
	RateBelow bool
	Statuses  []answerObs
	// Findings are the rules' findings on the table's values, as saved or
	// as typed; Others are those on the dataflow's other tables, which
	// stop a save too.
	Findings []answerFinding
	Others   []answerFinding
	Errors   int // error findings and figures that could not be read
	Warnings int // warnings not yet explained by a comment
	Err      string
	// CanEdit says the form takes figures: the focal point's, in an open
	// round, on a table the secretariat has not validated.
	CanEdit   bool
	CanSubmit bool
	Prefilled bool // the figures shown are the published ones: the table is not started
	// published are the table's figures published for the year before;
	// revisions, the State's draft revisions of them.
	published, revisions []collect.Value
}

// The lines of a row of the form: the year before the round's, whose
// published figures the State may revise, then the reference year.
const (
	linePrev = 0
	lineRef  = 1
)

// answerCol is a column of the table's grid.
type answerCol struct {
	Code, Label string
}

// answerRow is a row of the table's grid, a line for each year.
type answerRow struct {
	Code, Label string
	Lines       [2]answerLine // linePrev, lineRef
}

// answerLine is a row's cells for one year.
type answerLine struct {
	Year  int
	Prev  bool // the year before the round's: its published figures, to revise
	Cells []answerCell
}

// answerCell is one cell of the grid in one year: a figure, its rate
// where the table takes rates, its status and comment.
type answerCell struct {
	Name    string // the suffix of its fields' names and ids: "3-1", "p3-1" for the year before
	Label   string // row and column, for the fields' labels
	Figure  string // as typed or stored, a plain number
	Rate    string
	Status  string // stats.StatusNormal, …
	Comment string
	// Revised says the year before's figure shown is the State's
	// revision, not the one published, which Published and
	// PublishedRate give as people read them ("" for none).
	Revised                  bool
	Published, PublishedRate string
	// Findings are about the figure (or its status or comment),
	// RateFindings about the rate.
	Findings, RateFindings []answerFinding
	Invalid, RateInvalid   bool // an error is about the figure, the rate
}

// answerFinding is a finding of the rules, or a figure that could not be
// read, at the cell it is about.
type answerFinding struct {
	ID        string // the element's id, for aria-describedby
	Target    string // the id of the field it is about
	Where     string // the cell, or where a file's value was read
	Short     string // the message without the cell's name, shown at the cell
	Severity  collect.Severity
	Explained bool
	Rule      string
	Message   string
}

// answerObs is an observation status of the form's select.
type answerObs struct {
	Code, Label string
}

// TableForm shows the web form of one table of the round: for each cell,
// the figure published for the year before (or the State's revision of
// it) and the State's draft for the reference year, with the rules'
// findings at the cells.
func (h *Handler) TableForm(w http.ResponseWriter, r *http.Request) {
	d, wb, err := h.tableData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	sc := collect.Scope{Flow: d.Table.Flow, State: d.State, Year: d.Year}
	draft := wb.Draft[sc]
	shown := draft
	// A table not started shows the figures published, even where the
	// State has a draft of another table of the dataflow.
	if d.Submission.ID == 0 {
		shown = answerIn(wb.Published, d.Table, d.Year)
		d.Prefilled = len(shown) > 0
	}
	d.fill(lineRef, shown)
	if d.Submission.ID != 0 {
		p, err := h.collect.Save(r.Context(), access.FromContext(r.Context()), d.Round.ID, sc, draft, true)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		d.findings(h.Locale(r), p.Findings)
	}
	h.render(w, r, http.StatusOK, "collect_table", "collection", d)
}

// tableData gathers the form of a table: the reference year empty, the
// year before as published, with the State's revisions.
func (h *Handler) tableData(r *http.Request) (answerTablePage, collect.Workbook, error) {
	b, wb, err := h.answerData(r)
	if err != nil {
		return answerTablePage{}, wb, err
	}
	t, ok := b.Round.Table(r.PathValue("table"))
	if !ok {
		return answerTablePage{}, wb, fail.New(fail.NotFound, "The round %s has no table %q.", b.Round.Name, r.PathValue("table"))
	}
	subs, err := h.submissionsOf(r, b)
	if err != nil {
		return answerTablePage{}, wb, err
	}
	l := h.Locale(r)
	d := answerTablePage{answerBase: b, Table: t, Status: collect.NotStarted, Year: b.Round.Year, LastYear: b.Round.Year - 1, Rates: t.Rates,
		RateBelow: t.Rates && t.Cols.Dim != ""}
	if s, ok := subs[t.ID]; ok {
		d.Submission, d.Status = s, s.Status
	}
	d.Label = statusLabel(l, d.Status)
	d.CanEdit = b.CanAnswer && b.Open && collect.Move(d.Status, collect.Draft, collect.State) == nil
	d.CanSubmit = b.CanAnswer && d.Submission.ID != 0 && collect.Move(d.Status, collect.Submitted, collect.State) == nil
	for _, code := range []string{stats.StatusNormal, stats.StatusEstimated, stats.StatusProvisional, stats.StatusBreak} {
		d.Statuses = append(d.Statuses, answerObs{Code: code, Label: l.T("answer.obs." + code)})
	}
	cols := []answerCol{{}}
	if t.Cols.Dim != "" {
		cols = cols[:0]
		for i, c := range t.Cols.Codes {
			cols = append(cols, answerCol{Code: c, Label: axisLabel(t.Cols, i)})
		}
	}
	d.Cols = cols
	// Published rates carry every decimal of their computation; the form
	// shows them, and compares what comes back, to two, as rates are
	// given, so that a rate left as shown is no revision.
	for _, v := range answerIn(wb.Published, t, d.LastYear) {
		if _, rate, _ := t.Locate(v.Key); rate && v.Value != nil {
			x := math.Round(*v.Value*100) / 100
			v.Value = &x
		}
		d.published = append(d.published, v)
	}
	d.revisions = answerIn(wb.Draft[collect.Scope{Flow: t.Flow, State: b.State, Year: d.Year}], t, d.LastYear)
	for ri, rc := range t.Rows.Codes {
		row := answerRow{Code: rc, Label: axisLabel(t.Rows, ri)}
		row.Lines[linePrev] = answerLine{Year: d.LastYear, Prev: true}
		row.Lines[lineRef] = answerLine{Year: d.Year}
		for ci, c := range cols {
			cell := answerCell{Name: fmt.Sprintf("%d-%d", ri, ci), Label: row.Label, Status: stats.StatusNormal}
			if c.Code != "" {
				cell.Label += ", " + c.Label
			}
			k, err := t.Key(d.State, collect.Cell{Row: rc, Col: c.Code})
			if err != nil {
				return d, wb, err
			}
			prev := cell
			prev.Name = "p" + cell.Name
			if v, ok := answerValueAt(d.published, k, d.LastYear); ok && v.Value != nil {
				prev.Published = answerFigure(l, *v.Value)
			}
			if v, ok := answerValueAt(d.published, rateKey(k), d.LastYear); ok && v.Value != nil {
				prev.PublishedRate = answerFigure(l, *v.Value)
			}
			row.Lines[linePrev].Cells = append(row.Lines[linePrev].Cells, prev)
			row.Lines[lineRef].Cells = append(row.Lines[lineRef].Cells, cell)
		}
		d.Rows = append(d.Rows, row)
	}
	d.fill(linePrev, d.lastShown())
	return d, wb, nil
}

// lastShown returns the figures the form shows for the year before: the
// State's revision of each, or the one published.
func (d *answerTablePage) lastShown() []collect.Value {
	out := slices.Clone(d.revisions)
	for _, v := range d.published {
		if _, ok := answerValueAt(d.revisions, v.Key, d.LastYear); !ok {
			out = append(out, v)
		}
	}
	return out
}

// fill puts the values of a line's year into its fields: the figure,
// rate, status and comment of each cell, the status and comment being
// the count's, or the rate's where only the rate is given, as the
// questionnaire has it.
func (d *answerTablePage) fill(line int, values []collect.Value) {
	for ri := range d.Rows {
		ln := &d.Rows[ri].Lines[line]
		for ci := range ln.Cells {
			c := &ln.Cells[ci]
			k, err := d.Table.Key(d.State, collect.Cell{Row: d.Rows[ri].Code, Col: d.Cols[ci].Code})
			if err != nil {
				continue
			}
			count, hasCount := answerValueAt(values, k, ln.Year)
			rate, hasRate := answerValueAt(values, rateKey(k), ln.Year)
			if hasCount {
				if count.Value != nil {
					c.Figure = answerPlain(*count.Value)
				}
				c.Comment = count.Comment
				if count.Value != nil && count.Status != "" {
					c.Status = count.Status
				}
			}
			if hasRate && rate.Value != nil {
				c.Rate = answerPlain(*rate.Value)
				if !hasCount || count.Value == nil {
					c.Status = rate.Status
					if c.Comment == "" {
						c.Comment = rate.Comment
					}
				}
			}
			if ln.Prev {
				_, rc := answerValueAt(d.revisions, k, ln.Year)
				_, rr := answerValueAt(d.revisions, rateKey(k), ln.Year)
				c.Revised = rc || rr
			}
		}
	}
}

// findings places the rules' findings at the cells they are about, in
// the line of their year; those on other tables of the dataflow are kept
// for the summary.
func (d *answerTablePage) findings(l *i18n.Locale, fs []collect.Finding) {
	for i, f := range fs {
		cf := answerFinding{ID: fmt.Sprintf("finding-%d", i), Severity: f.Severity, Explained: f.Explained, Rule: f.Rule, Message: f.Message}
		c, rate, ok := d.Table.Locate(f.Key)
		switch {
		case f.Severity == collect.Error:
			d.Errors++
		case !f.Explained && ok:
			d.Warnings++
		}
		line := lineRef
		if f.Period.Year == d.LastYear {
			line = linePrev
		}
		ri, ci := slices.Index(d.Table.Rows.Codes, c.Row), slices.IndexFunc(d.Cols, func(g answerCol) bool { return g.Code == c.Col })
		if !ok || ri < 0 || ci < 0 || (f.Period.Year != d.Year && f.Period.Year != d.LastYear) {
			// Only an error of another table stops this one's save.
			if f.Severity == collect.Error {
				d.Others = append(d.Others, cf)
			}
			continue
		}
		cell := &d.Rows[ri].Lines[line].Cells[ci]
		place := d.Table.Title + ", " + cell.Label
		cf.Where, cf.Target = cell.Label, "v-"+cell.Name
		if rate {
			place += ", rate per 100,000"
			cf.Where, cf.Target = l.T("answer.table.rate_of", "cell", cell.Label), "r-"+cell.Name
			cell.RateInvalid = cell.RateInvalid || f.Severity == collect.Error
		} else {
			cell.Invalid = cell.Invalid || f.Severity == collect.Error
		}
		cf.Where += ", " + strconv.Itoa(f.Period.Year)
		// The rules name the cell a message is about, or its table and
		// row when the message is about the row; at the cell, that goes
		// without saying. In the summary, the year of a revision does
		// not.
		cf.Short = cf.Message
		for _, p := range []string{place + ": ", d.Table.Title + ", " + d.Rows[ri].Label + ": ", d.Table.Title + ", "} {
			if strings.HasPrefix(cf.Message, p) {
				cf.Short = strings.TrimPrefix(cf.Message, p)
				break
			}
		}
		if line == linePrev {
			cf.Message = l.T("answer.table.revision_of", "year", strconv.Itoa(d.LastYear), "message", cf.Message)
		}
		if rate {
			cell.RateFindings = append(cell.RateFindings, cf)
		} else {
			cell.Findings = append(cell.Findings, cf)
		}
		d.Findings = append(d.Findings, cf)
	}
}

// SaveTable saves the table's form as the State's draft, through the
// same validation as an upload: an error stores nothing and shows the
// form again as typed; warnings are saved and shown.
func (h *Handler) SaveTable(w http.ResponseWriter, r *http.Request) {
	d, wb, ok := h.answerTable(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	by := access.FromContext(ctx)
	l := h.Locale(r)
	values, problems := d.read(l, r)
	if len(problems) > 0 {
		d.Findings, d.Errors = problems, len(problems)
		d.Err = l.T("answer.table.unreadable", "n", len(problems))
		h.render(w, r, http.StatusBadRequest, "collect_table", "collection", d)
		return
	}
	// The scope is the dataflow: the draft's values of its other tables
	// (and of years the form does not show) go with the form's, as they
	// are.
	sc := collect.Scope{Flow: d.Table.Flow, State: d.State, Year: d.Year}
	for _, v := range wb.Draft[sc] {
		if _, in := d.Table.CellOf(v.Key); !in || (v.Period.Year != d.Year && v.Period.Year != d.LastYear) {
			values = append(values, v)
		}
	}
	p, err := h.collect.Save(ctx, by, d.Round.ID, sc, values, false)
	switch {
	case err != nil && !fail.Is(err, fail.Invalid) && !fail.Is(err, fail.Conflict):
		h.Error(w, r, err)
	case err != nil:
		d.Err = answerErr(err)
		h.render(w, r, fail.Status(err), "collect_table", "collection", d)
	case p.Saved == nil:
		d.findings(l, p.Findings)
		d.Err = l.T("answer.table.refused", "n", d.Errors)
		h.render(w, r, http.StatusBadRequest, "collect_table", "collection", d)
	default:
		redirectDone(w, r, r.URL.Path, "answer_saved")
	}
}

// answerTable gathers the form of a table for the State's focal point,
// who alone changes it, or answers the request with why not.
func (h *Handler) answerTable(w http.ResponseWriter, r *http.Request) (answerTablePage, collect.Workbook, bool) {
	if err := access.Check(access.FromContext(r.Context()), access.SubmitData, strings.ToUpper(r.PathValue("code"))); err != nil {
		h.Error(w, r, err)
		return answerTablePage{}, collect.Workbook{}, false
	}
	d, wb, err := h.tableData(r)
	if err != nil {
		h.Error(w, r, err)
		return d, wb, false
	}
	return d, wb, true
}

// read reads the form's figures into the table's values, keeping what
// was typed in the grid; problems are the figures that could not be
// read, each at its cell. The reference year's fields are the draft; the
// year before's give revisions: only a figure that differs from the one
// published (or that the draft already holds) is one. A figure of the
// year before left empty is no revision: the form never withdraws a
// published figure.
func (d *answerTablePage) read(l *i18n.Locale, r *http.Request) ([]collect.Value, []answerFinding) {
	var values []collect.Value
	var problems []answerFinding
	for ri := range d.Rows {
		for li := range d.Rows[ri].Lines {
			ln := &d.Rows[ri].Lines[li]
			period := stats.Period{Year: ln.Year, Kind: 'A'}
			for ci := range ln.Cells {
				c := &ln.Cells[ci]
				c.Figure = strings.TrimSpace(r.PostForm.Get("v-" + c.Name))
				c.Comment = strings.TrimSpace(r.PostForm.Get("n-" + c.Name))
				c.Status = r.PostForm.Get("s-" + c.Name)
				c.Rate = ""
				if d.Rates {
					c.Rate = strings.TrimSpace(r.PostForm.Get("r-" + c.Name))
				}
				bad := func(target, msg string, rate bool) {
					where := c.Label
					if rate {
						where = l.T("answer.table.rate_of", "cell", c.Label)
					}
					where += ", " + strconv.Itoa(ln.Year)
					f := answerFinding{ID: fmt.Sprintf("problem-%d", len(problems)), Target: target, Where: where, Severity: collect.Error,
						Rule: l.T("answer.table.typed"), Message: where + ": " + msg, Short: msg}
					if rate {
						c.RateFindings = append(c.RateFindings, f)
					} else {
						c.Findings = append(c.Findings, f)
					}
					problems = append(problems, f)
				}
				if !slices.ContainsFunc(d.Statuses, func(o answerObs) bool { return o.Code == c.Status }) {
					c.Status = stats.StatusNormal
				}
				if len(c.Comment) > collect.MaxMessage {
					bad("n-"+c.Name, l.T("answer.table.comment_long", "n", collect.MaxMessage), false)
				}
				figure, hasFigure := d.figure(c.Figure, func(msg string) { c.Invalid = true; bad("v-"+c.Name, msg, false) })
				rate, hasRate := d.figure(c.Rate, func(msg string) { c.RateInvalid = true; bad("r-"+c.Name, msg, true) })
				if !ln.Prev && !hasFigure && !hasRate && c.Figure == "" && c.Rate == "" && c.Status != stats.StatusNormal {
					bad("s-"+c.Name, l.T("answer.table.status_alone", "status", l.T("answer.obs."+c.Status)), false)
				}
				k, err := d.Table.Key(d.State, collect.Cell{Row: d.Rows[ri].Code, Col: d.Cols[ci].Code})
				if err != nil {
					continue
				}
				var count, rv *collect.Value
				if hasFigure || (!ln.Prev && c.Figure == "" && c.Comment != "") {
					count = &collect.Value{Key: k, Period: period, Status: c.Status, Comment: c.Comment, Origin: "form"}
					if hasFigure {
						count.Value = &figure
					} else {
						count.Status = stats.StatusMissing
					}
				}
				if hasRate {
					rv = &collect.Value{Key: rateKey(k), Period: period, Value: &rate, Status: c.Status, Comment: c.Comment, Origin: "form"}
				}
				if ln.Prev {
					// The status and comment are the count's: a rate is
					// revised only for its figure, which a revised count
					// does not change.
					if count != nil && !d.revises(*count, true) {
						count = nil
					}
					if rv != nil && !d.revises(*rv, false) {
						rv = nil
					}
					c.Revised = count != nil || rv != nil
				}
				if count != nil {
					values = append(values, *count)
				}
				if rv != nil {
					values = append(values, *rv)
				}
			}
		}
	}
	return values, problems
}

// revises says whether a value of the year before, as typed, is a
// revision to store: it differs from the figure published (in its
// figure, or with notes in its status and comment too), or the draft
// already holds it as a revision.
func (d *answerTablePage) revises(v collect.Value, notes bool) bool {
	if r, ok := answerValueAt(d.revisions, v.Key, v.Period.Year); ok && answerSame(r, v, true) {
		return true
	}
	p, ok := answerValueAt(d.published, v.Key, v.Period.Year)
	return !ok || !answerSame(p, v, notes)
}

// answerSame compares two values' figures, and with notes their status
// (an unset one being normal) and comment.
func answerSame(a, b collect.Value, notes bool) bool {
	if (a.Value == nil) != (b.Value == nil) || (a.Value != nil && *a.Value != *b.Value) {
		return false
	}
	if !notes {
		return true
	}
	status := func(s string) string { return cmp.Or(s, stats.StatusNormal) }
	return status(a.Status) == status(b.Status) && a.Comment == b.Comment
}

// figure reads a typed figure; given is false for an empty field or one
// that could not be read, which bad is told about.
func (d *answerTablePage) figure(s string, bad func(msg string)) (x float64, given bool) {
	if s == "" {
		return 0, false
	}
	x, why := collect.ReadFigure(s)
	if why != "" {
		bad(why)
		return 0, false
	}
	return x, true
}

// SubmitTable sends the table to the secretariat, if its figures pass the
// rules; otherwise the form shows what stops it.
func (h *Handler) SubmitTable(w http.ResponseWriter, r *http.Request) {
	d, wb, ok := h.answerTable(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	by := access.FromContext(ctx)
	if d.Submission.ID == 0 {
		h.Error(w, r, fail.New(fail.Conflict, "%s holds no figures yet: fill it in and save it before sending it.", d.Table.Title))
		return
	}
	_, findings, err := h.collect.Submit(ctx, by, d.Submission.ID)
	if err == nil {
		redirectDone(w, r, d.Path, "answer_submitted")
		return
	}
	if !fail.Is(err, fail.Conflict) {
		h.Error(w, r, err)
		return
	}
	l := h.Locale(r)
	d.fill(lineRef, wb.Draft[collect.Scope{Flow: d.Table.Flow, State: d.State, Year: d.Year}])
	d.findings(l, findings)
	d.Err = answerErr(err)
	h.render(w, r, http.StatusConflict, "collect_table", "collection", d)
}

// answerIn returns the values of a table's cells in a year.
func answerIn(vs []collect.Value, t collect.Table, year int) []collect.Value {
	var out []collect.Value
	for _, v := range vs {
		if _, ok := t.CellOf(v.Key); ok && v.Period.Year == year {
			out = append(out, v)
		}
	}
	return out
}

// answerValueAt finds the value of a key in a year.
func answerValueAt(vs []collect.Value, k stats.Key, year int) (collect.Value, bool) {
	for _, v := range vs {
		if v.Key == k && v.Period.Year == year {
			return v, true
		}
	}
	return collect.Value{}, false
}

// answerFigure writes a figure as people read it: whole numbers whole,
// others with two decimals.
func answerFigure(l *i18n.Locale, x float64) string {
	if x == math.Trunc(x) {
		return l.Decimal(x, 0)
	}
	return l.Decimal(x, 2)
}

// answerPlain writes a figure for a form's field: no grouping, a point.
func answerPlain(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
