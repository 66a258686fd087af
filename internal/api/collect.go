package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
)

// The annual collection (UN-CTS) for scripts: statistics offices upload
// their files and follow their submissions; the secretariat reads every
// State's and queries figures. The store scopes every read and write by
// the caller: a State's unpublished figures reach its own focal point and
// experts and the secretariat, no one else.

// CollectStore is what the collection API reads beyond the service.
type CollectStore interface {
	collect.Store
	Rounds(ctx context.Context, by access.Actor) ([]collect.Round, error)
}

// Media types of the files a State uploads.
const (
	xlsxType       = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	csvType        = "text/csv"
	sdmxCSVType    = "application/vnd.sdmx.data+csv"
	uploadExpected = "send CSV or SDMX-CSV as text/csv, or the Excel questionnaire as " + xlsxType
)

// UploadTypes are the media types PUT .../data takes.
var UploadTypes = []string{csvType, sdmxCSVType, xlsxType}

// RoundSummary is a collection round in the list, without its tables.
type RoundSummary struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"`
	Year     int        `json:"year"` // the reference year asked
	OpensOn  civil.Date `json:"opens_on"`
	DueOn    civil.Date `json:"due_on"`
	ClosedAt *time.Time `json:"closed_at"`
	// Open says States can send figures to the round today: it has
	// opened and is not closed.
	Open bool `json:"open"`
}

// RoundDetail is a round with the tables it asks for.
type RoundDetail struct {
	RoundSummary
	Tables []collect.Table `json:"tables"`
}

// SubmissionDetail is a State's answer to one table with the values of
// its draft and what the rules find in them now.
type SubmissionDetail struct {
	collect.Submission
	Flow     string            `json:"flow"`  // the dataflow of the table
	Year     int               `json:"year"`  // the round's reference year
	Draft    []collect.Value   `json:"draft"` // the values the table holds
	Findings []collect.Finding `json:"findings"`
}

// UploadResult answers a State's file: for each scope it replaces (one
// dataflow of the round: one for a CSV file, every one for a workbook),
// what it changes in the draft and what the rules find.
type UploadResult struct {
	DryRun bool              `json:"dry_run"`
	Scopes []collect.Preview `json:"scopes"`
}

// NewQuery is the body of POST /collection/submissions/{id}/queries.
type NewQuery struct {
	Key    stats.Key    `json:"key"`    // the series of the value asked about
	Period stats.Period `json:"period"` // its period, e.g. 2023
	Body   string       `json:"body"`   // the question
}

// Reply is the body of POST /collection/queries/{id}/replies.
type Reply struct {
	Body string `json:"body"` // may be empty only to close the query
	// Close, for the secretariat, closes the query (with the message, if
	// any): the answer satisfies it.
	Close bool `json:"close,omitempty"`
}

// DataProblem is the problem document of figures refused: a file that
// could not be read, with every line or cell at fault, or values the
// rules refuse, with every finding. Nothing was stored.
type DataProblem struct {
	Problem
	Problems []collect.FileProblem `json:"problems,omitempty"`
	More     int                   `json:"more,omitempty"` // problems found past those listed
	Findings []collect.Finding     `json:"findings,omitempty"`
}

func summary(r collect.Round, today civil.Date) RoundSummary {
	return RoundSummary{ID: r.ID, Name: r.Name, Year: r.Year, OpensOn: r.OpensOn, DueOn: r.DueOn, ClosedAt: r.ClosedAt, Open: r.Open(today)}
}

func (h *Handler) today() civil.Date { return civil.Of(h.Collect.Now()) }

// idOnly reads the id of the request's path, refusing query parameters.
func idOnly(r *http.Request) (int64, error) {
	if _, err := query(r); err != nil {
		return 0, err
	}
	return pathID(r, "id")
}

// pageOf cuts the page that the limit and offset of q ask for out of a
// list held whole.
func pageOf[T any](r *http.Request, q url.Values, items []T) (List[T], error) {
	limit, offset, err := paging(q)
	if err != nil {
		return List[T]{}, err
	}
	out := List[T]{Items: []T{}, Total: len(items), Limit: limit, Offset: offset, Next: nextURL(r, limit, offset, len(items))}
	if offset < len(items) {
		out.Items = items[offset:min(offset+limit, len(items))]
	}
	return out, nil
}

// ListRounds answers GET /api/v1/collection/rounds.
func (h *Handler) ListRounds(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		q, err := query(r, "limit", "offset")
		if err != nil {
			return nil, err
		}
		rounds, err := h.CollectStore.Rounds(r.Context(), by)
		if err != nil {
			return nil, err
		}
		today := h.today()
		out := make([]RoundSummary, len(rounds))
		for i, rd := range rounds {
			out[i] = summary(rd, today)
		}
		return pageOf(r, q, out)
	})
}

// GetRound answers GET /api/v1/collection/rounds/{id}.
func (h *Handler) GetRound(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		id, err := idOnly(r)
		if err != nil {
			return nil, err
		}
		rd, err := h.CollectStore.Round(r.Context(), by, id)
		if err != nil {
			return nil, err
		}
		return RoundDetail{RoundSummary: summary(rd, h.today()), Tables: rd.Tables}, nil
	})
}

// ListSubmissions answers GET /api/v1/collection/rounds/{id}/submissions:
// every State's for the secretariat, the caller's State's for a focal
// point or an expert.
func (h *Handler) ListSubmissions(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		q, err := query(r, "state", "status", "limit", "offset")
		if err != nil {
			return nil, err
		}
		code := strings.ToUpper(q.Get("state"))
		if code != "" && !state.ValidCode(code) {
			return nil, fail.Field("state", "%q is not an ISO 3166-1 alpha-3 code", q.Get("state"))
		}
		status := collect.Status(q.Get("status"))
		if status != "" && (status == collect.NotStarted || !slices.Contains(collect.Statuses, status)) {
			return nil, fail.Field("status", "%q is not a status of a submission: use draft, submitted, queried, validated or published", status)
		}
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		// The round first: an unknown round is not found, not empty.
		if _, err := h.CollectStore.Round(r.Context(), by, id); err != nil {
			return nil, err
		}
		subs, err := h.CollectStore.Submissions(r.Context(), by, id)
		if err != nil {
			return nil, err
		}
		subs = slices.DeleteFunc(subs, func(s collect.Submission) bool {
			return (code != "" && s.State != code) || (status != "" && s.Status != status)
		})
		return pageOf(r, q, subs)
	})
}

// GetSubmission answers GET /api/v1/collection/submissions/{id}: the
// submission, its draft's values and the rules' findings on them.
func (h *Handler) GetSubmission(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		id, err := idOnly(r)
		if err != nil {
			return nil, err
		}
		ctx := r.Context()
		sub, err := h.CollectStore.Submission(ctx, by, id)
		if err != nil {
			return nil, err
		}
		rd, err := h.CollectStore.Round(ctx, by, sub.Round)
		if err != nil {
			return nil, err
		}
		t, ok := rd.Table(sub.Table)
		if !ok {
			return nil, fmt.Errorf("round %d has no table %s", rd.ID, sub.Table)
		}
		sc := collect.Scope{Flow: t.Flow, State: sub.State, Year: rd.Year}
		// The draft is kept by dataflow: the other tables of the flow are
		// other submissions.
		draft, err := h.CollectStore.Draft(ctx, by, rd.ID, sc)
		if err != nil {
			return nil, err
		}
		findings, err := h.Collect.Check(ctx, by, id)
		if err != nil {
			return nil, err
		}
		out := SubmissionDetail{Submission: sub, Flow: t.Flow, Year: rd.Year, Draft: []collect.Value{}, Findings: orEmpty(findings)}
		for _, v := range draft {
			if _, _, in := t.Locate(v.Key); in {
				out.Draft = append(out.Draft, v)
			}
		}
		return out, nil
	})
}

// ListQueries answers GET /api/v1/collection/submissions/{id}/queries.
func (h *Handler) ListQueries(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		q, err := query(r, "limit", "offset")
		if err != nil {
			return nil, err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		qs, err := h.CollectStore.Queries(r.Context(), by, id)
		if err != nil {
			return nil, err
		}
		return pageOf(r, q, qs)
	})
}

// SubmitSubmission answers POST /api/v1/collection/submissions/{id}/submit:
// the focal point sends a table to the secretariat. A table whose values
// the rules stop is refused with 409 and every finding.
func (h *Handler) SubmitSubmission(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	id, err := idOnly(r)
	var sub collect.Submission
	var findings []collect.Finding
	if err == nil {
		sub, findings, err = h.Collect.Submit(r.Context(), by, id)
	}
	switch {
	case err != nil && fail.Is(err, fail.Conflict) && collect.Blocks(findings):
		h.dataProblem(w, r, http.StatusConflict, fail.As(err).Message, nil, 0, findings, collect.Finding.Blocks)
	case err != nil:
		Error(w, r, h.Log, err)
	default:
		writeJSON(w, http.StatusOK, sub)
	}
}

// RaiseQuery answers POST /api/v1/collection/submissions/{id}/queries: the
// secretariat asks the State about one value of a submitted table.
func (h *Handler) RaiseQuery(w http.ResponseWriter, r *http.Request) {
	var in NewQuery
	h.act(w, r, http.StatusCreated, &in, func(by access.Actor, id int64) (any, error) {
		for i, d := range stats.Dimensions {
			if in.Key[i] == "" {
				return nil, fail.Field("key", "give the code of every dimension of the series: %s is missing", d.ID)
			}
		}
		if in.Period.IsZero() {
			return nil, fail.Field("period", "give the period of the value, e.g. %d", time.Now().Year()-1)
		}
		return h.Collect.RaiseQuery(r.Context(), by, id, in.Key, in.Period, in.Body)
	})
}

// ReplyQuery answers POST /api/v1/collection/queries/{id}/replies: the
// State answers, or the secretariat writes again or closes the query.
func (h *Handler) ReplyQuery(w http.ResponseWriter, r *http.Request) {
	var in Reply
	h.act(w, r, http.StatusOK, &in, func(by access.Actor, id int64) (any, error) {
		return h.Collect.ReplyQuery(r.Context(), by, id, in.Body, in.Close)
	})
}

// act serves a POST on the collection record whose id the path gives,
// with a JSON body read into in: the public is asked to sign in before
// the body is read.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, status int, in any, fn func(by access.Actor, id int64) (any, error)) {
	h.serve(w, r, status, func(by access.Actor) (any, error) {
		id, err := idOnly(r)
		if err != nil {
			return nil, err
		}
		if !by.SignedIn() {
			return nil, access.Check(by, access.ReadCollection, "")
		}
		if err := decode(r, in); err != nil {
			return nil, err
		}
		return fn(by, id)
	})
}

// PutData answers PUT /api/v1/collection/rounds/{id}/states/{code}/data:
// a State's file (CSV or SDMX-CSV for one dataflow, or its Excel
// questionnaire) replaces its draft for each scope the file answers. The
// whole file is checked first; a file that cannot be read, or whose
// values the rules find an error in, is refused with 422 and every
// problem, and nothing is stored.
func (h *Handler) PutData(w http.ResponseWriter, r *http.Request) {
	res, err := h.putData(r)
	var sp *collect.SheetProblems
	var ps *stats.Problems
	switch {
	case errors.As(err, &sp) || errors.As(err, &ps):
		list, more, _ := collect.FileProblems(err)
		h.dataProblem(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("The file cannot be read: %d problem(s). Nothing was stored.", len(list)+more), list, more, nil, nil)
	case err != nil && res.errors() > 0:
		var findings []collect.Finding
		for _, p := range res.Scopes {
			findings = append(findings, p.Findings...)
		}
		h.dataProblem(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("The rules find %d error(s) in the figures: correct them and send the file again. Nothing was stored.", res.errors()),
			nil, 0, findings, func(f collect.Finding) bool { return f.Severity == collect.Error })
	case err != nil:
		Error(w, r, h.Log, err)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// errors counts the findings of severity error.
func (u UploadResult) errors() int {
	n := 0
	for _, p := range u.Scopes {
		n += p.Errors()
	}
	return n
}

func (h *Handler) putData(r *http.Request) (UploadResult, error) {
	ctx := r.Context()
	by := access.FromContext(ctx)
	q, err := query(r, "flow", "dry_run", "decimal_comma")
	if err != nil {
		return UploadResult{}, err
	}
	res := UploadResult{}
	if res.DryRun, err = boolParam(q.Get("dry_run"), "dry_run"); err != nil {
		return res, err
	}
	file := collect.File{Flow: q.Get("flow")}
	if file.DecimalComma, err = boolParam(q.Get("decimal_comma"), "decimal_comma"); err != nil {
		return res, err
	}
	round, err := pathID(r, "id")
	if err != nil {
		return res, err
	}
	code := strings.ToUpper(r.PathValue("code"))
	if !state.ValidCode(code) {
		return res, fail.Field("code", "%q is not an ISO 3166-1 alpha-3 code", r.PathValue("code"))
	}
	// Who may send this State's figures is checked before the file is
	// read: anyone who may read its draft may check a file against it.
	action := access.SubmitData
	if res.DryRun {
		action = access.ReadCollection
	}
	if err := access.Check(by, action, code); err != nil {
		return res, err
	}
	rd, err := h.CollectStore.Round(ctx, by, round)
	if err != nil {
		return res, err
	}
	if !res.DryRun {
		// Refused before the file is read, which may take a while.
		if err := rd.CheckOpen(h.today()); err != nil {
			return res, err
		}
	}
	if file.Flow != "" && !slices.ContainsFunc(rd.Tables, func(t collect.Table) bool { return t.Flow == file.Flow }) {
		return res, fail.Field("flow", "the round %s asks nothing of the dataflow %q", rd.Name, file.Flow)
	}
	p, err := h.States.Participant(ctx, code)
	if err != nil {
		return res, err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !slices.Contains(UploadTypes, mt) {
		return res, &fail.Error{Kind: fail.Invalid, Field: "Content-Type", Message: uploadExpected}
	}
	body, err := spool(r)
	if err != nil {
		return res, err
	}
	defer body.Close()
	if file.Size, err = body.Seek(0, io.SeekEnd); err != nil {
		return res, err
	}
	byScope, err := h.Collect.ReadFile(ctx, by, rd.ID, p.Code, p.Name, file, body)
	if err != nil {
		return res, err
	}
	if file.Flow != "" {
		// A workbook answers every dataflow of the round; only the one
		// named is taken.
		maps.DeleteFunc(byScope, func(sc collect.Scope, _ []collect.Value) bool { return sc.Flow != file.Flow })
	}
	if res.DryRun {
		res.Scopes, err = h.Collect.DryRun(ctx, by, rd.ID, byScope)
	} else {
		res.Scopes, err = h.Collect.SaveAll(ctx, by, rd.ID, byScope)
	}
	for i := range res.Scopes {
		res.Scopes[i] = normalPreview(res.Scopes[i])
	}
	if err == nil && res.errors() > 0 {
		err = fail.New(fail.Invalid, "The figures have errors.")
	}
	return res, err
}

// spool copies a request's body to a temporary file, which is read in
// place (a workbook is a zip archive, read from its end) and removed when
// closed.
func spool(r *http.Request) (*tempFile, error) {
	f, err := os.CreateTemp("", "cpcj-upload-*")
	if err != nil {
		return nil, err
	}
	t := &tempFile{f}
	if _, err := io.Copy(f, maxBytesReader{r.Body}); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// tempFile is a file removed when closed.
type tempFile struct{ *os.File }

func (t *tempFile) Close() error {
	err := t.File.Close()
	os.Remove(t.Name())
	return err
}

// maxBytesReader turns the server's refusal of a body past the upload
// limit into an error that says so.
type maxBytesReader struct{ r io.Reader }

func (m maxBytesReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = &fail.Error{Kind: fail.TooLarge, Message: fmt.Sprintf("The file is larger than the limit of %d bytes.", tooBig.Limit)}
	}
	return n, err
}

// normalPreview gives a preview's lists as empty rather than absent.
func normalPreview(p collect.Preview) collect.Preview {
	c := &p.Changes
	c.Added, c.Changed, c.Removed = orEmpty(c.Added), orEmpty(c.Changed), orEmpty(c.Removed)
	p.Findings = orEmpty(p.Findings)
	return p
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// boolParam reads an optional true/false parameter.
func boolParam(s, name string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fail.Field(name, "use true or false")
	}
	return b, nil
}

// dataProblem sends figures refused: the problems of a file that could
// not be read, or the rules' findings; each problem, and each finding
// that blocks, is also in errors by where it is.
func (h *Handler) dataProblem(w http.ResponseWriter, r *http.Request, status int, detail string, problems []collect.FileProblem, more int,
	findings []collect.Finding, blocks func(collect.Finding) bool) {
	p := DataProblem{Problem: Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Instance: r.URL.Path,
		RequestID: audit.MetaFrom(r.Context()).RequestID}, Problems: problems, More: more, Findings: findings}
	for _, fp := range problems {
		p.Errors = append(p.Errors, ProblemField{Field: where(fp), Detail: fp.Reason})
	}
	for _, f := range findings {
		if blocks(f) {
			where := f.Origin
			if where == "" {
				where = f.Key.String() + " " + f.Period.String()
			}
			p.Errors = append(p.Errors, ProblemField{Field: where, Detail: f.Rule + ": " + f.Message})
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	writeJSON(w, status, p)
}

// where names the place of a file problem, as errors' field: a cell of
// a workbook, or a line and column of a CSV file.
func where(p collect.FileProblem) string {
	var parts []string
	switch {
	case p.Sheet != "":
		parts = append(parts, fmt.Sprintf("sheet %q", p.Sheet))
		if p.Cell != "" {
			parts = append(parts, "cell "+p.Cell)
		} else if p.Row > 0 {
			parts = append(parts, fmt.Sprintf("row %d", p.Row))
		}
	case p.Row > 0:
		parts = append(parts, fmt.Sprintf("line %d", p.Row))
		if p.Column != "" {
			parts = append(parts, "column "+p.Column)
		}
	}
	if len(parts) == 0 {
		return "file"
	}
	return strings.Join(parts, ", ")
}
