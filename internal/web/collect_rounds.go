package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
)

// The secretariat's pages of the annual collection: the rounds, the
// dashboard of a round, and (collect_review.go) the review of one
// State's table. The focal point's pages of a State in a round link
// here for the review and its queries.

// collectionStore is what these pages read and change beyond the
// collection service.
type collectionStore interface {
	OpenRound(ctx context.Context, by access.Actor, r collect.Round) (collect.Round, error)
	CloseRound(ctx context.Context, by access.Actor, id int64) (collect.Round, error)
	RoundsProgress(ctx context.Context, by access.Actor) ([]collect.RoundProgress, error)
	CollectionProgress(ctx context.Context, by access.Actor, round int64, day civil.Date) (collect.Progress, error)
	SubmissionHistory(ctx context.Context, by access.Actor, id int64) ([]audit.Record, error)
	CollectionQuery(ctx context.Context, by access.Actor, id int64) (collect.Query, error)
}

// roundsPage is the data of the list of rounds.
type roundsPage struct {
	Rounds []roundRow
	// Review says the reader is the secretariat: the figures are the
	// programme's, and the form to open a round is shown.
	Review bool
	Form   roundForm
	Tables []collect.Table // the questionnaire's tables, for the form
	Err    string
	ErrFor string
}

// roundRow is a round in the list, with its response in words.
type roundRow struct {
	collect.RoundProgress
	Open     bool
	Link     string
	Progress string // e.g. "57 of 193 States have sent every table"
	Tables   string // e.g. "300 of 772 tables sent"
	Queries  string
}

// roundForm is the form to open a round, as typed.
type roundForm struct {
	Name, Year, OpensOn, DueOn string
	Tables                     map[string]bool
}

// Collection lists the rounds: with the programme's progress for the
// secretariat, who also opens rounds here; with their own State's for a
// focal point or an expert.
func (h *Handler) Collection(w http.ResponseWriter, r *http.Request) {
	today := h.collectDay()
	year := today.Year() - 1
	form := roundForm{Name: fmt.Sprintf("UN-CTS %d", year), Year: strconv.Itoa(year), OpensOn: today.String(),
		DueOn: today.AddDays(90).String(), Tables: map[string]bool{}}
	d, err := h.roundsData(r, form)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	for _, t := range d.Tables {
		d.Form.Tables[t.ID] = true
	}
	h.render(w, r, http.StatusOK, "collect_rounds", "collection", d)
}

func (h *Handler) roundsData(r *http.Request, form roundForm) (roundsPage, error) {
	by := access.FromContext(r.Context())
	rounds, err := h.store.RoundsProgress(r.Context(), by)
	if err != nil {
		return roundsPage{}, err
	}
	l := h.Locale(r)
	d := roundsPage{Review: access.Allowed(by, access.ReviewData, ""), Form: form}
	for _, rp := range rounds {
		row := roundRow{RoundProgress: rp, Open: rp.Round.ClosedAt == nil, Link: fmt.Sprintf("%s/rounds/%d", CollectionPrefix, rp.Round.ID)}
		if d.Review {
			row.Progress = l.T("collrev.rounds.states", "n", rp.Complete, "of", rp.States)
			row.Queries = l.T("collrev.rounds.queries_review", "n", rp.Answered, "open", rp.Open)
		} else {
			row.Link = fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, rp.Round.ID, by.State)
			row.Queries = l.T("collrev.rounds.queries_state", "n", rp.Open)
		}
		row.Tables = l.T("collrev.rounds.tables", "n", rp.Sent, "of", rp.Expected)
		d.Rounds = append(d.Rounds, row)
	}
	if d.Review {
		if d.Tables, err = h.shippedTables(r.Context()); err != nil {
			return d, err
		}
	}
	return d, nil
}

// shippedTables reads the questionnaire tables cpcj ships, checked
// against the statistics' structure.
func (h *Handler) shippedTables(ctx context.Context) ([]collect.Table, error) {
	lists, err := h.store.Codelists(ctx)
	if err != nil {
		return nil, err
	}
	flows, err := h.store.Dataflows(ctx)
	if err != nil {
		return nil, err
	}
	tables, _, err := collect.Shipped(data.FS, stats.NewStructure(lists, flows))
	return tables, err
}

// OpenRound handles the form to open a round.
func (h *Handler) OpenRound(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	f := r.PostForm
	form := roundForm{Name: strings.TrimSpace(f.Get("name")), Year: strings.TrimSpace(f.Get("year")),
		OpensOn: f.Get("opens_on"), DueOn: f.Get("due_on"), Tables: map[string]bool{}}
	for _, id := range f["table"] {
		form.Tables[id] = true
	}
	round, err := h.roundFromForm(r.Context(), form)
	if err == nil {
		round, err = h.store.OpenRound(r.Context(), by, round)
	}
	if err != nil {
		e := fail.As(err)
		if e == nil || (e.Kind != fail.Invalid && e.Kind != fail.Conflict) {
			h.Error(w, r, err)
			return
		}
		d, derr := h.roundsData(r, form)
		if derr != nil {
			h.Error(w, r, derr)
			return
		}
		d.Err, d.ErrFor = e.Message, e.Field
		h.render(w, r, fail.Status(err), "collect_rounds", "collection", d)
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/rounds/%d", CollectionPrefix, round.ID), "collrev_round_opened")
}

// roundFromForm reads the round the form asks for, with the shipped
// tables it chose, in the questionnaire's order.
func (h *Handler) roundFromForm(ctx context.Context, f roundForm) (collect.Round, error) {
	rd := collect.Round{Name: f.Name}
	var err error
	if rd.Year, err = strconv.Atoi(f.Year); err != nil {
		return rd, fail.Field("year", "Write the reference year as four digits, e.g. 2024.")
	}
	if rd.OpensOn, err = civil.Parse(f.OpensOn); err != nil {
		return rd, fail.Field("opens_on", "Give the opening date as YYYY-MM-DD.")
	}
	if rd.DueOn, err = civil.Parse(f.DueOn); err != nil {
		return rd, fail.Field("due_on", "Give the due date as YYYY-MM-DD.")
	}
	tables, err := h.shippedTables(ctx)
	if err != nil {
		return rd, err
	}
	n := 0
	for _, t := range tables {
		if f.Tables[t.ID] {
			rd.Tables = append(rd.Tables, t)
			n++
		}
	}
	if n != len(f.Tables) {
		return rd, fail.Field("tables", "Choose the tables among those of the questionnaire.")
	}
	return rd, nil
}

// dashboardPage is the data of a round's dashboard.
type dashboardPage struct {
	Round    collect.Round
	Open     bool
	Columns  []dashColumn
	Rows     []dashRow // the States the filters let through
	Shown    int
	All      int
	Counts   []statusCount
	Total    responseRow
	Groups   []responseRow
	Overdue  string // the overdue tables in words; empty before the due date
	Queries  []dashQuery
	Filter   dashFilter
	Groupset []state.Group
	Statuses []statusCount // the status filter's choices
	// Publish is what the bulk publication would publish.
	Publish publishSet
	Confirm bool   // the confirmation step of the bulk publication
	Err     string // an action that failed, said for the reader
	Lead    string // the round in one sentence
}

// dashColumn is a table of the round, as a column of the matrix.
type dashColumn struct {
	Short, Title string
}

// dashRow is a State in the matrix.
type dashRow struct {
	Name, Group string
	Link        string // the State's page of the round
	Cells       []dashCell
	Sent        string // e.g. "2 of 4"
	Complete    bool
}

// dashCell is a State's table in the matrix.
type dashCell struct {
	Label   string
	Class   string
	Link    string // the submission's review page; empty when not started
	Queries int    // queries not closed
}

// statusCount is a status with the number of tables in it.
type statusCount struct {
	Value, Label, Class string
	N                   int
}

// responseRow is the response of a regional group, or of all States.
type responseRow struct {
	Name                             string
	States, Complete, Sent, Expected int
	StateRate, TableRate             string
	TableRatePercent                 int // for the bar beside the share
}

// dashQuery is a query not closed, as the dashboard lists it.
type dashQuery struct {
	State     string
	Table     string
	Value     string // the cell and period
	Status    string // says who owes the next message
	UpdatedAt string
	Link      string
}

// dashFilter is what the matrix shows: States of a regional group, and
// with a table in a status ("missing" for States that have not sent
// every table).
type dashFilter struct {
	Group, Status string
}

// publishSet is the validated tables of a round, ready to publish.
type publishSet struct {
	IDs            []int64
	Tables, Values int
	States         int
	Text           string // what becomes public, in words
}

// missing is the status filter's value for States that have not sent
// every table.
const missing = "missing"

// RoundDashboard shows the secretariat where a round stands. A focal
// point or an expert is sent to their State's page of the round.
func (h *Handler) RoundDashboard(w http.ResponseWriter, r *http.Request) {
	h.dashboard(w, r, r.URL.Query().Get("confirm") == "publish", "", http.StatusOK)
}

// dashboard renders the dashboard, with the confirmation step of the
// bulk publication and an error when asked.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, confirm bool, msg string, status int) {
	by := access.FromContext(r.Context())
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	if by.Role.ForState() {
		// Their State's page of the round is theirs; the round must exist.
		if _, err := h.collect.Store.Round(r.Context(), by, id); err != nil {
			h.Error(w, r, err)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, id, by.State), http.StatusSeeOther)
		return
	}
	p, err := h.store.CollectionProgress(r.Context(), by, id, h.collectDay())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := dashFilter{Group: q.Get("group"), Status: q.Get("status")}
	// A filter of no known value filters nothing, rather than everything.
	if state.GroupName(f.Group) == "" {
		f.Group = ""
	}
	if f.Status != missing && !slices.Contains(collect.Statuses, collect.Status(f.Status)) {
		f.Status = ""
	}
	d := dashboardData(h.Locale(r), p, f)
	d.Confirm, d.Err = confirm && d.Publish.Tables > 0, msg
	h.render(w, r, status, "collect_round", "collection", d)
}

// dashboardData lays out a round's progress for the page.
func dashboardData(l *i18n.Locale, p collect.Progress, f dashFilter) dashboardPage {
	d := dashboardPage{Round: p.Round, Open: p.Round.ClosedAt == nil, Filter: f, Groupset: state.Groups, All: len(p.States)}
	titles := map[string]string{}
	for _, t := range p.Round.Tables {
		short := t.Short
		if short == "" {
			short = t.Title
		}
		d.Columns = append(d.Columns, dashColumn{Short: short, Title: t.Title})
		titles[t.ID] = short
	}
	d.Lead = l.T("collrev.round.lead", "year", strconv.Itoa(p.Round.Year), "opens", l.Date(p.Round.OpensOn.Time()), "due", l.Date(p.Round.DueOn.Time()), "n", len(p.Round.Tables))
	for _, s := range collect.Statuses {
		sc := statusCount{Value: string(s), Label: statusLabel(l, s), Class: "cr-st-" + string(s), N: p.Tables[s]}
		d.Counts = append(d.Counts, sc)
		d.Statuses = append(d.Statuses, sc)
	}
	d.Statuses = append(d.Statuses, statusCount{Value: missing, Label: l.T("collrev.filter.missing")})
	d.Total = responseOf(l, p.Total, l.T("collrev.groups.all"))
	for _, g := range p.Groups {
		name := state.GroupName(g.Group)
		if l.Has("group." + g.Group) {
			name = l.T("group." + g.Group)
		}
		if g.Group == "" {
			name = l.T("collrev.groups.none")
		}
		d.Groups = append(d.Groups, responseOf(l, g, name))
	}
	if p.Late() {
		d.Overdue = l.T("collrev.round.overdue", "n", p.Overdue, "states", p.OverdueStates)
	}
	names := map[string]string{}
	states := map[string]bool{}
	for _, s := range p.States {
		names[s.Code] = s.Name
		if s.Has(collect.Validated) {
			states[s.Code] = true
		}
		if (f.Group != "" && s.Group != f.Group) || !statusFilter(s, f.Status) {
			continue
		}
		row := dashRow{Name: s.Name, Group: s.Group, Complete: s.Complete(),
			Link: fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, p.Round.ID, s.Code),
			Sent: l.T("collrev.matrix.sent", "n", s.Sent, "of", len(s.Tables))}
		for _, t := range s.Tables {
			c := dashCell{Label: statusLabel(l, t.Status), Class: "cr-st-" + string(t.Status), Queries: t.OpenQueries}
			if t.Submission != 0 {
				c.Link = fmt.Sprintf("%s/submissions/%d", CollectionPrefix, t.Submission)
			}
			row.Cells = append(row.Cells, c)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Shown = len(d.Rows)
	d.Publish.IDs, d.Publish.Values = p.Validated()
	d.Publish.Tables, d.Publish.States = len(d.Publish.IDs), len(states)
	d.Publish.Text = l.T("collrev.publish.confirm_body", "tables", l.T("collrev.count.tables", "n", d.Publish.Tables),
		"states", l.T("collrev.count.states", "n", d.Publish.States), "values", l.T("collrev.count.values", "n", d.Publish.Values))
	for _, q := range p.Queries {
		dq := dashQuery{State: names[q.State], Table: titles[q.Table], Status: queryStatusLabel(l, q.Status),
			UpdatedAt: l.DateTime(q.UpdatedAt), Link: fmt.Sprintf("%s/submissions/%d#query-%d", CollectionPrefix, q.Submission, q.ID)}
		if dq.State == "" {
			dq.State = q.State
		}
		dq.Value = q.Period.String()
		if t, ok := p.Round.Table(q.Table); ok {
			dq.Value = cellLabel(l, t, q.Key) + ", " + q.Period.String()
		}
		d.Queries = append(d.Queries, dq)
	}
	return d
}

// statusFilter reports whether a State passes the status filter.
func statusFilter(s collect.StateProgress, status string) bool {
	switch status {
	case "":
		return true
	case missing:
		return !s.Complete()
	}
	return s.Has(collect.Status(status))
}

func responseOf(l *i18n.Locale, r collect.Response, name string) responseRow {
	return responseRow{Name: name, States: r.States, Complete: r.Complete, Sent: r.Sent, Expected: r.Expected,
		StateRate: percentOf(l, r.StateRate()), TableRate: percentOf(l, r.TableRate()),
		TableRatePercent: int(r.TableRate()*100 + 0.5)}
}

// percentOf writes a share, 0 to 1, as a whole percentage.
func percentOf(l *i18n.Locale, share float64) string {
	return l.T("collrev.percent", "n", l.Decimal(share*100, 0))
}

// CloseRound handles the button that closes a round.
func (h *Handler) CloseRound(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	if _, err := h.store.CloseRound(r.Context(), access.FromContext(r.Context()), id); err != nil {
		h.Error(w, r, err)
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/rounds/%d", CollectionPrefix, id), "collrev_round_closed")
}

// PublishRound handles the confirmed bulk publication of a round's
// validated tables: exactly those the confirmation listed, so that a
// table validated in between is not made public unseen.
func (h *Handler) PublishRound(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	p, err := h.store.CollectionProgress(r.Context(), by, id, h.collectDay())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	ready, _ := p.Validated()
	var ids []int64
	for _, s := range r.PostForm["submission"] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !slices.Contains(ready, n) {
			h.publishFailed(w, r, http.StatusConflict, h.Locale(r).T("collrev.publish.changed"))
			return
		}
		if !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
	}
	if _, err := h.collect.Publish(r.Context(), by, ids); err != nil {
		status := fail.Status(err)
		if status >= 500 || status == http.StatusForbidden {
			h.Error(w, r, err)
			return
		}
		h.publishFailed(w, r, status, h.message(r, err))
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/rounds/%d", CollectionPrefix, id), "collrev_published")
}

// publishFailed shows the dashboard again with the confirmation step and
// the reason, with the figures as they now stand.
func (h *Handler) publishFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	// The confirmation is asked again of the tables ready now, unfiltered.
	r.URL.RawQuery = url.Values{"confirm": {"publish"}}.Encode()
	h.dashboard(w, r, true, msg, status)
}
