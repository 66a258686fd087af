package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// A focal point uploads a file of their State's figures — the Excel
// questionnaire, or CSV / SDMX-CSV for one dataflow — and sees first what
// it would change and what the rules find, storing nothing; the figures
// are saved when they confirm. A file up to collect.InlineBytes is read
// while the upload waits; a larger one by a background job, whose page
// shows its progress. The page of a check is at /collection/jobs/{id}
// either way, so that the confirmation has an address of its own.

// checker is the collection's checker of uploaded files. Without a job
// runner (as in some tests) large files are refused, with a message.
func (h *Handler) checker() *collect.Checker {
	c := &collect.Checker{Service: h.collect, Store: h.store}
	if h.jobs != nil {
		c.Jobs = h.jobs
	}
	return c
}

// answerUploadPage is the data of the upload form.
type answerUploadPage struct {
	answerBase
	Flows        []answerFlow
	Flow         string
	DecimalComma bool
	Inline       string // the size past which a file is read in the background
	Err          string
	File         string // the file refused
	fileProblems
}

// fileProblems is why a file was refused, as the upload form and the
// check's page list it (the partial _collect_problems.html).
type fileProblems struct {
	Problems []collect.FileProblem
	More     int  // problems past those listed
	Sheets   bool // the problems are a workbook's, by sheet and cell; else a CSV file's, by line
}

// answerFlow is a dataflow of the round, for a CSV file.
type answerFlow struct {
	ID, Name string
}

// UploadForm shows the form to upload a file of the State's figures.
func (h *Handler) UploadForm(w http.ResponseWriter, r *http.Request) {
	d, err := h.uploadData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "collect_upload", "collection", d)
}

func (h *Handler) uploadData(r *http.Request) (answerUploadPage, error) {
	if err := access.Check(access.FromContext(r.Context()), access.SubmitData, strings.ToUpper(r.PathValue("code"))); err != nil {
		return answerUploadPage{}, err
	}
	b, _, err := h.answerData(r)
	if err != nil {
		return answerUploadPage{}, err
	}
	l := h.Locale(r)
	d := answerUploadPage{answerBase: b, Inline: answerSize(l, collect.InlineBytes)}
	for _, t := range b.Round.Tables {
		if len(d.Flows) == 0 || d.Flows[len(d.Flows)-1].ID != t.Flow {
			d.Flows = append(d.Flows, answerFlow{ID: t.Flow, Name: label(l, "stats.flowname.", t.Flow)})
		}
	}
	return d, nil
}

// UploadFile checks an uploaded file: a small one at once, then its
// check's page; a refused one shows the form again with every problem,
// storing nothing; a large one goes to a background job, whose page
// shows its progress.
func (h *Handler) UploadFile(w http.ResponseWriter, r *http.Request) {
	d, err := h.uploadData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	l := h.Locale(r)
	d.Flow, d.DecimalComma = r.PostForm.Get("flow"), r.PostForm.Get("decimal_comma") == "on"
	file, fh, err := r.FormFile("file")
	if err != nil {
		d.Err = l.T("answer.upload.no_file")
		h.render(w, r, http.StatusBadRequest, "collect_upload", "collection", d)
		return
	}
	defer file.Close()
	d.File = fh.Filename
	f := collect.File{Name: fh.Filename, Size: fh.Size, Flow: d.Flow, DecimalComma: d.DecimalComma}
	fc, err := h.checker().Start(r.Context(), access.FromContext(r.Context()), d.Round.ID, d.State, d.StateName, f, file)
	if err != nil {
		h.uploadFailed(w, r, d, err)
		return
	}
	http.Redirect(w, r, answerCheckPath(fc.ID), http.StatusSeeOther)
}

// uploadFailed shows the form again with why the file was refused —
// every problem of a file that cannot be read, or what stops the upload
// (a closed round, a file too large) — or the error page for a refusal
// of the reader.
func (h *Handler) uploadFailed(w http.ResponseWriter, r *http.Request, d answerUploadPage, err error) {
	var sp *collect.SheetProblems
	var ps *stats.Problems
	status := fail.Status(err)
	switch {
	case errors.As(err, &sp) || errors.As(err, &ps):
		list, more, _ := collect.FileProblems(err)
		d.Problems, d.More, d.Sheets = list, more, sp != nil
		d.Err = h.Locale(r).T("answer.upload.refused", "file", d.File, "n", len(list)+more)
		status = http.StatusBadRequest
	case slices.Contains([]fail.Kind{fail.Invalid, fail.Conflict, fail.TooLarge, fail.Unavailable}, fail.KindOf(err)):
		d.Err = answerErr(err)
	default:
		h.Error(w, r, err)
		return
	}
	h.render(w, r, status, "collect_upload", "collection", d)
}

func answerCheckPath(id int64) string { return fmt.Sprintf("%s/jobs/%d", CollectionPrefix, id) }

// answerCheckPage is the data of the page of a file's check.
type answerCheckPage struct {
	Check   collect.FileCheck
	Round   collect.Round
	Path    string // the State's page for the round
	Link    string // the check's page
	Scopes  []answerScope
	Percent int
	Read    string // how much of the file a job has read, for people
	Size    string
	Errors  int
	CanSave bool
	Stalled bool // a job has not said anything for a while
	Err     string
	fileProblems
}

// answerScope is what a file changes in one scope, for people.
type answerScope struct {
	Title                         string
	Scope                         collect.Scope
	Added, Changed, Removed, Same int
	Rows                          []answerChange
	Hidden                        int // changes past those listed
	Findings                      []answerFinding
	Errors, Warnings              int
}

// answerChange is one value the file adds, changes or removes.
type answerChange struct {
	Kind     string // "added", "changed", "removed"
	Table    string
	Cell     string
	Old, New string
}

// answerMaxChanges is how many changes of a scope the page lists.
const answerMaxChanges = 500

// UploadCheck shows the check of an uploaded file: its progress while a
// job reads it (the page refreshes itself), then what saving it would
// change and what the rules found, with the button that saves it; or why
// it was refused.
func (h *Handler) UploadCheck(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	fc, err := h.store.Check(r.Context(), access.FromContext(r.Context()), id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderCheck(w, r, http.StatusOK, fc, "")
}

func (h *Handler) renderCheck(w http.ResponseWriter, r *http.Request, status int, fc collect.FileCheck, msg string) {
	ctx := r.Context()
	by := access.FromContext(ctx)
	rd, err := h.collect.Store.Round(ctx, by, fc.Round)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	l := h.Locale(r)
	d := answerCheckPage{Check: fc, Round: rd, Path: fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, fc.Round, fc.State), Errors: fc.Errors(), Err: msg}
	d.Link = answerCheckPath(fc.ID)
	d.fileProblems = fileProblems{Problems: fc.Problems, More: fc.More, Sheets: fc.Kind == collect.WorkbookFile}
	if fc.Size > 0 {
		d.Percent = int(fc.Read * 100 / fc.Size)
	}
	d.Read, d.Size = answerSize(l, fc.Read), answerSize(l, fc.Size)
	d.CanSave = fc.Status == collect.CheckRead && d.Errors == 0 && fc.Owner == by.UserID && access.Allowed(by, access.SubmitData, fc.State) && rd.Open(h.collectDay())
	for _, p := range fc.Previews {
		d.Scopes = append(d.Scopes, answerScopeOf(l, rd, p))
	}
	if !fc.Finished() {
		d.Stalled = h.collect.Now().Sub(fc.UpdatedAt) > answerStalled
		// Browsers reload the page by themselves while the job works.
		w.Header().Set("Refresh", "2")
	}
	h.render(w, r, status, "collect_job", "collection", d)
}

// answerStalled is how long a job may go without a word before its page
// says it seems stopped: longer than the job runner's lease, after which
// another server takes the job over.
const answerStalled = 10 * time.Minute

// answerScopeOf lays out a preview of one scope for people.
func answerScopeOf(l *i18n.Locale, rd collect.Round, p collect.Preview) answerScope {
	c := p.Changes
	v := answerScope{Title: label(l, "stats.flowname.", p.Scope.Flow), Scope: p.Scope, Added: len(c.Added), Changed: len(c.Changed), Removed: len(c.Removed), Same: c.Same}
	add := func(kind string, old, new *collect.Value) {
		if len(v.Rows) >= answerMaxChanges {
			v.Hidden++
			return
		}
		at := new
		if at == nil {
			at = old
		}
		row := answerChange{Kind: kind}
		row.Table, row.Cell = answerCellOf(l, rd, at.Key)
		if at.Period.Year != rd.Year {
			row.Cell = l.T("answer.table.revision_cell", "cell", row.Cell, "year", strconv.Itoa(at.Period.Year))
		}
		if old != nil {
			row.Old = answerValueText(l, *old)
		}
		if new != nil {
			row.New = answerValueText(l, *new)
		}
		v.Rows = append(v.Rows, row)
	}
	for i := range c.Added {
		add("added", nil, &c.Added[i])
	}
	for i := range c.Changed {
		add("changed", &c.Changed[i].Old, &c.Changed[i].New)
	}
	for i := range c.Removed {
		add("removed", &c.Removed[i], nil)
	}
	for i, f := range p.Findings {
		v.Findings = append(v.Findings, answerFinding{ID: fmt.Sprintf("f-%s-%d", p.Scope.Flow, i), Where: f.Origin, Severity: f.Severity,
			Explained: f.Explained, Rule: f.Rule, Message: f.Message})
		switch {
		case f.Severity == collect.Error:
			v.Errors++
		case !f.Explained:
			v.Warnings++
		}
	}
	return v
}

// answerCellOf names the table and cell of the round a key falls in.
func answerCellOf(l *i18n.Locale, rd collect.Round, k stats.Key) (table, cell string) {
	for _, t := range rd.Tables {
		c, rate, ok := t.Locate(k)
		if !ok {
			continue
		}
		cell = codeLabel(t.Rows, c.Row)
		if t.Cols.Dim != "" {
			cell += ", " + codeLabel(t.Cols, c.Col)
		}
		if rate {
			cell = l.T("answer.table.rate_of", "cell", cell)
		}
		return t.Title, cell
	}
	return "", k.String()
}

// answerValueText writes a value as the preview shows it: its figure, its
// status when not normal, and its comment.
func answerValueText(l *i18n.Locale, v collect.Value) string {
	s := l.T("answer.obs.M")
	if v.Value != nil {
		s = answerFigure(l, *v.Value)
		if st := obsLabel(l, v.Status); st != "" {
			s += " (" + st + ")"
		}
	}
	if v.Comment != "" {
		s += " — " + v.Comment
	}
	return s
}

// SaveUpload saves the figures of a file checked, all of them or none,
// and leads to the State's page; a refusal shows the check again with why.
func (h *Handler) SaveUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	fc, err := h.checker().Save(r.Context(), access.FromContext(r.Context()), id)
	if err != nil {
		switch fail.KindOf(err) {
		case fail.Invalid, fail.Conflict:
			h.renderCheck(w, r, fail.Status(err), fc, answerErr(err))
		default:
			h.Error(w, r, err)
		}
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, fc.Round, fc.State), "answer_uploaded")
}

// answerSize writes a number of bytes in megabytes or kilobytes.
func answerSize(l *i18n.Locale, n int64) string {
	if n >= 1<<20 {
		return l.T("answer.size.mb", "n", l.Decimal(float64(n)/(1<<20), 1))
	}
	return l.T("answer.size.kb", "n", l.Decimal(float64(n)/(1<<10), 0))
}
