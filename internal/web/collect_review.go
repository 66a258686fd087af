package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// The review of one State's table in a round, which both sides use: the
// secretariat reads the figures beside last year's, with what the rules
// find, queries a value, validates and publishes; the focal point
// answers the queries and is led to the form to correct the figures.

// reviewPage is the data of a submission's page.
type reviewPage struct {
	Sub         collect.Submission
	Round       collect.Round
	Table       collect.Table
	StateName   string
	Status      string
	StatusClass string
	Periods     []reviewPeriod
	Findings    []reviewFinding
	Errors      int // findings of severity error
	Warnings    int // warnings without the comment that explains them
	Queries     []reviewQuery
	OpenQueries int
	History     []historyRow
	// Review says the reader is the secretariat, Answer the State's
	// focal point; an expert of the State reads only.
	Review, Answer bool
	CanRaise       bool
	CanValidate    bool
	CanPublish     bool
	EditLink       string // the focal point's form of the table, while the round is open
	StateLink      string // the State's page of the round
	RoundLink      string
	Choices        []valueChoice // the values a query can be raised on
	Raise          raiseForm
	Reply          replyForm
	Err            string
	ErrAt          string // the form the error is about: raise, query-ID, validate or publish
}

// reviewPeriod is the values of one period, as a table of the page.
type reviewPeriod struct {
	Period   string
	Previous string // the period whose published values are compared
	// Revision says the period is before the round's: the State revises
	// figures published for it, each shown beside the one it replaces.
	Revision bool
	Rows     []reviewRow
}

// reviewRow is one value of the table: a cell's count, or its rate.
type reviewRow struct {
	ID       string // the row's anchor
	Row, Col string // the labels of the cell's row and column
	Rate     bool
	Value    string // empty when the State gave none
	Missing  bool   // the State says the figure is not available
	Status   string // the observation status, when not normal
	Comment  string
	Previous string // the value published for the period before
	Change   string // the change from it, in per cent
	Findings []reviewFinding
	Severity string // the gravest finding's: error or warning
	Choice   string // the value's key and period for the query form; empty when there is no value
	Query    int64  // a query not closed on the value
}

// reviewFinding is what a rule found, for the page.
type reviewFinding struct {
	Place     string // the cell and period
	Anchor    string // the row's anchor
	Rule      string
	Severity  string
	Message   string
	Explained bool
}

// reviewQuery is a query with its thread.
type reviewQuery struct {
	ID       int64
	Value    string // the cell and period
	Anchor   string
	Status   string
	Class    string
	Closed   bool
	Messages []reviewMessage
}

// reviewMessage is a message of a query's thread.
type reviewMessage struct {
	Author, Party, At, ISO, Body string
	State                        bool // written by the State
}

// historyRow is an entry of the submission's audit trail.
type historyRow struct {
	At, ISO, Actor, Summary string
}

// valueChoice is a value the secretariat may raise a query on.
type valueChoice struct {
	Value, Label string
}

// raiseForm is the form to raise a query, as typed.
type raiseForm struct {
	Value, Body string
}

// replyForm is a reply being written, kept when it fails.
type replyForm struct {
	Query int64
	Body  string
	Close bool
}

// ReviewSubmission shows one State's table in a round for review.
func (h *Handler) ReviewSubmission(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	d, err := h.reviewData(r, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if d.CanRaise {
		d.Raise.Value = r.URL.Query().Get("raise")
	}
	h.render(w, r, http.StatusOK, "collect_submission", "collection", d)
}

// reviewData gathers the page of a submission the reader may see.
func (h *Handler) reviewData(r *http.Request, id int64) (reviewPage, error) {
	ctx := r.Context()
	by := access.FromContext(ctx)
	l := h.Locale(r)
	var d reviewPage
	var err error
	if d.Sub, err = h.collect.Store.Submission(ctx, by, id); err != nil {
		return d, err
	}
	if d.Round, err = h.collect.Store.Round(ctx, by, d.Sub.Round); err != nil {
		return d, err
	}
	t, ok := d.Round.Table(d.Sub.Table)
	if !ok {
		return d, fmt.Errorf("round %d has no table %s", d.Round.ID, d.Sub.Table)
	}
	d.Table = t
	d.StateName = d.Sub.State
	if p, err := h.store.Participant(ctx, d.Sub.State); err == nil {
		d.StateName = p.Name
	}
	d.Status, d.StatusClass = statusLabel(l, d.Sub.Status), "cr-st-"+string(d.Sub.Status)
	d.Review = access.Allowed(by, access.ReviewData, d.Sub.State)
	d.Answer = access.Allowed(by, access.SubmitData, d.Sub.State)
	d.CanRaise = d.Review && (d.Sub.Status == collect.Submitted || d.Sub.Status == collect.Queried || d.Sub.Status == collect.Validated)
	d.CanValidate = d.Review && (d.Sub.Status == collect.Submitted || d.Sub.Status == collect.Queried)
	d.CanPublish = d.Review && d.Sub.Status == collect.Validated
	d.RoundLink = fmt.Sprintf("%s/rounds/%d", CollectionPrefix, d.Round.ID)
	d.StateLink = fmt.Sprintf("%s/rounds/%d/states/%s", CollectionPrefix, d.Round.ID, d.Sub.State)
	if d.Answer && d.Round.ClosedAt == nil {
		d.EditLink = fmt.Sprintf("%s/tables/%s", d.StateLink, t.ID)
	}

	values, err := h.collect.Store.Draft(ctx, by, d.Round.ID, collect.Scope{Flow: t.Flow, State: d.Sub.State, Year: d.Round.Year})
	if err != nil {
		return d, err
	}
	findings, err := h.collect.Check(ctx, by, id)
	if err != nil {
		return d, err
	}
	queries, err := h.collect.Store.Queries(ctx, by, id)
	if err != nil {
		return d, err
	}
	if err := h.reviewValues(r, &d, values, findings, queries); err != nil {
		return d, err
	}
	for _, q := range queries {
		rq := reviewQuery{ID: q.ID, Value: cellLabel(l, t, q.Key) + ", " + q.Period.String(), Anchor: valueAnchor(q.Key, q.Period),
			Status: queryStatusLabel(l, q.Status), Class: "cr-q-" + string(q.Status), Closed: q.Status == collect.QueryClosed}
		if !rq.Closed {
			d.OpenQueries++
		}
		for _, m := range q.Messages {
			party := l.T("collrev.party.secretariat")
			if m.Party == collect.State {
				party = d.StateName
			}
			rq.Messages = append(rq.Messages, reviewMessage{Author: m.Author, Party: party, At: l.DateTime(m.CreatedAt),
				ISO: m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), Body: m.Body, State: m.Party == collect.State})
		}
		d.Queries = append(d.Queries, rq)
	}
	history, err := h.store.SubmissionHistory(ctx, by, id)
	if err != nil {
		return d, err
	}
	for _, rec := range history {
		d.History = append(d.History, historyRow{At: l.DateTime(rec.At), ISO: rec.At.UTC().Format("2006-01-02T15:04:05Z"),
			Actor: rec.Actor, Summary: historySummary(l, d.Sub, t, rec.Summary)})
	}
	return d, nil
}

// reviewValues lays out the table's values period by period, each cell
// beside the value published for the period before, with the findings
// of the rules and the queries on it.
func (h *Handler) reviewValues(r *http.Request, d *reviewPage, values []collect.Value, findings []collect.Finding, queries []collect.Query) error {
	l := h.Locale(r)
	t := d.Table
	type at struct {
		key    stats.Key
		period stats.Period
	}
	mine := map[at]collect.Value{}
	periods := []stats.Period{{Year: d.Round.Year, Kind: 'A'}}
	for _, v := range values {
		if _, _, in := t.Locate(v.Key); !in {
			continue
		}
		mine[at{v.Key, v.Period}] = v
		if !slices.Contains(periods, v.Period) {
			periods = append(periods, v.Period)
		}
	}
	// The reference year first, then the earlier years the State revised.
	slices.SortFunc(periods, func(a, b stats.Period) int { return strings.Compare(b.String(), a.String()) })

	published := map[at]*float64{}
	q := stats.Query{Flow: t.Flow, Start: stats.Period{Year: periods[len(periods)-1].Year - 1, Kind: 'A'}, End: stats.Period{Year: periods[0].Year, Kind: 'A'}}
	q.Key[stats.DimArea] = []string{d.Sub.State}
	err := h.store.Observations(r.Context(), q, func(o stats.Observation) error {
		if _, _, in := t.Locate(o.Key); in && o.Period.Kind == 'A' {
			published[at{o.Key, o.Period}] = o.Value
		}
		return nil
	})
	if err != nil {
		return err
	}

	found := map[at][]reviewFinding{}
	for _, f := range findings {
		// The rules name the table first; on its own page that is said.
		msg := strings.TrimPrefix(strings.TrimPrefix(f.Message, t.Title+", "), t.Title+": ")
		rf := reviewFinding{Place: cellLabel(l, t, f.Key) + ", " + f.Period.String(), Anchor: valueAnchor(f.Key, f.Period),
			Rule: f.Rule, Severity: string(f.Severity), Message: msg, Explained: f.Explained}
		switch {
		case f.Severity == collect.Error:
			d.Errors++
		case !f.Explained:
			d.Warnings++
		}
		d.Findings = append(d.Findings, rf)
		found[at{f.Key, f.Period}] = append(found[at{f.Key, f.Period}], rf)
	}
	open := map[at]int64{}
	for _, q := range queries {
		if q.Status != collect.QueryClosed {
			open[at{q.Key, q.Period}] = q.ID
		}
	}

	cols := t.Cols.Codes
	if t.Cols.Dim == "" {
		cols = []string{""}
	}
	for _, p := range periods {
		// The reference year is compared with the year before; a revision
		// of an earlier year with the figure it replaces.
		rp := reviewPeriod{Period: p.String(), Previous: strconv.Itoa(p.Year - 1), Revision: p.Year < d.Round.Year}
		prev := stats.Period{Year: p.Year - 1, Kind: 'A'}
		if rp.Revision {
			rp.Previous, prev = p.String(), p
		}
		for i, row := range t.Rows.Codes {
			for j, col := range cols {
				k, err := t.Key(d.Sub.State, collect.Cell{Row: row, Col: col})
				if err != nil {
					return err
				}
				keys := []stats.Key{k}
				if t.Rates {
					keys = append(keys, rateKey(k))
				}
				for n, key := range keys {
					v, given := mine[at{key, p}]
					if (n > 0 || rp.Revision) && !given {
						continue // a rate the State left out is computed; a figure it does not revise stays
					}
					rr := reviewRow{ID: valueAnchor(key, p), Row: axisLabel(t.Rows, i), Rate: n > 0,
						Findings: found[at{key, p}], Query: open[at{key, p}]}
					if t.Cols.Dim != "" {
						rr.Col = axisLabel(t.Cols, j)
					}
					unit := key[stats.DimUnit]
					if given {
						rr.Choice = key.String() + "@" + p.String()
						rr.Comment = v.Comment
						if v.Value == nil {
							rr.Missing = true
						} else {
							rr.Value = formatValue(l, unit, *v.Value)
						}
						rr.Status = obsLabel(l, v.Status)
						label := rr.Row
						if rr.Col != "" {
							label += " — " + rr.Col
						}
						if rr.Rate {
							label += " (" + l.T("collrev.values.rate") + ")"
						}
						d.Choices = append(d.Choices, valueChoice{Value: rr.Choice, Label: label + ", " + p.String() + ": " + valueText(l, rr)})
					}
					if pv, ok := published[at{key, prev}]; ok && pv != nil {
						rr.Previous = formatValue(l, unit, *pv)
						if given && v.Value != nil && *pv != 0 {
							change := (*v.Value - *pv) / *pv * 100
							rr.Change = signed(l.Decimal(change, 1), change) + " %"
						}
					}
					// An explained warning needs nothing more: only what
					// still needs a correction or a comment is marked.
					for _, f := range rr.Findings {
						if f.Severity == string(collect.Error) || (!f.Explained && rr.Severity == "") {
							rr.Severity = f.Severity
						}
					}
					rp.Rows = append(rp.Rows, rr)
				}
			}
		}
		d.Periods = append(d.Periods, rp)
	}
	return nil
}

// keyInSummary matches a series key in the audit trail's summaries, with
// the year after it if there is one: "A.KEN.OFF.020111._T._T._Z._T.CJ.NB 2023".
var keyInSummary = regexp.MustCompile(`\b[A-Z0-9_]+(?:\.[A-Za-z0-9_]+){9}\b( [0-9]{4}\b)?`)

// historySummary writes an entry of the audit trail for people: the
// cells of the table by their row and column rather than their series
// keys, and the table by its title. The trail keeps the codes, which
// stay true when labels change.
func historySummary(l *i18n.Locale, sub collect.Submission, t collect.Table, s string) string {
	s = keyInSummary.ReplaceAllStringFunc(s, func(m string) string {
		ks, year, _ := strings.Cut(m, " ")
		var k stats.Key
		parts := strings.Split(ks, ".")
		if len(parts) != len(k) {
			return m
		}
		copy(k[:], parts)
		if _, _, ok := t.Locate(k); !ok {
			return m
		}
		if year != "" {
			return cellLabel(l, t, k) + ", " + year
		}
		return cellLabel(l, t, k)
	})
	return strings.ReplaceAll(s, fmt.Sprintf("table %s, %s", sub.Table, sub.State), fmt.Sprintf("“%s”, %s", t.Title, sub.State))
}

// valueText is a value as the query form's choices show it.
func valueText(l *i18n.Locale, rr reviewRow) string {
	if rr.Missing {
		return l.T("collrev.values.not_available")
	}
	return rr.Value
}

// valueAnchor is the id of a value's row on the page.
func valueAnchor(k stats.Key, p stats.Period) string {
	return "v-" + strings.NewReplacer(".", "-", "_", "").Replace(k.String()) + "-" + p.String()
}

// reviewFailed shows the page again with the error at the form it is
// about and what was typed, or the error page for a refusal.
func (h *Handler) reviewFailed(w http.ResponseWriter, r *http.Request, id int64, err error, at string, keep func(*reviewPage)) {
	e := fail.As(err)
	if e == nil || (e.Kind != fail.Invalid && e.Kind != fail.Conflict) {
		h.Error(w, r, err)
		return
	}
	d, derr := h.reviewData(r, id)
	if derr != nil {
		h.Error(w, r, derr)
		return
	}
	d.Err, d.ErrAt = h.message(r, err), at
	if keep != nil {
		keep(&d)
	}
	h.render(w, r, fail.Status(err), "collect_submission", "collection", d)
}

// actionID reads the id of an action's path, after checking that the
// reader is signed in: the public is asked to sign in before anything
// of the form is read.
func (h *Handler) actionID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	if by := access.FromContext(r.Context()); !by.SignedIn() {
		h.Error(w, r, access.Check(by, access.ReadCollection, ""))
		return 0, false
	}
	return h.idOf(w, r)
}

// RaiseQuery handles the secretariat's question on a value.
func (h *Handler) RaiseQuery(w http.ResponseWriter, r *http.Request) {
	id, ok := h.actionID(w, r)
	if !ok {
		return
	}
	by := access.FromContext(r.Context())
	form := raiseForm{Value: r.PostForm.Get("value"), Body: strings.TrimSpace(r.PostForm.Get("body"))}
	keep := func(d *reviewPage) { d.Raise = form }
	key, period, err := parseChoice(form.Value)
	if err == nil {
		_, err = h.collect.RaiseQuery(r.Context(), by, id, key, period, form.Body)
	}
	if err != nil {
		h.reviewFailed(w, r, id, err, "raise", keep)
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/submissions/%d", CollectionPrefix, id), "collrev_query_raised")
}

// parseChoice reads a value of the query form: a series key and a
// period, joined by @.
func parseChoice(s string) (stats.Key, stats.Period, error) {
	var k stats.Key
	ks, ps, ok := strings.Cut(s, "@")
	parts := strings.Split(ks, ".")
	if !ok || len(parts) != len(k) {
		return k, stats.Period{}, fail.Field("value", "Choose the value the query is about.")
	}
	copy(k[:], parts)
	p, err := stats.ParsePeriod(ps)
	if err != nil {
		return k, p, fail.Field("value", "Choose the value the query is about.")
	}
	return k, p, nil
}

// ReplyQuery handles a message in a query's thread: the State's answer,
// or the secretariat's follow-up, which may close the query.
func (h *Handler) ReplyQuery(w http.ResponseWriter, r *http.Request) {
	id, ok := h.actionID(w, r)
	if !ok {
		return
	}
	by := access.FromContext(r.Context())
	q, err := h.store.CollectionQuery(r.Context(), by, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	form := replyForm{Query: id, Body: strings.TrimSpace(r.PostForm.Get("body")), Close: r.PostForm.Get("close") == "on"}
	if _, err := h.collect.ReplyQuery(r.Context(), by, id, form.Body, form.Close); err != nil {
		h.reviewFailed(w, r, q.Submission, err, fmt.Sprintf("query-%d", id), func(d *reviewPage) { d.Reply = form })
		return
	}
	done := "collrev_replied"
	if form.Close {
		done = "collrev_query_closed"
	}
	redirectDone(w, r, fmt.Sprintf("%s/submissions/%d", CollectionPrefix, q.Submission), done)
}

// ValidateSubmission handles the secretariat's acceptance of a table.
func (h *Handler) ValidateSubmission(w http.ResponseWriter, r *http.Request) {
	id, ok := h.actionID(w, r)
	if !ok {
		return
	}
	if _, err := h.collect.Validate(r.Context(), access.FromContext(r.Context()), id); err != nil {
		h.reviewFailed(w, r, id, err, "validate", nil)
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/submissions/%d", CollectionPrefix, id), "collrev_validated")
}

// PublishSubmission handles the publication of one validated table.
func (h *Handler) PublishSubmission(w http.ResponseWriter, r *http.Request) {
	id, ok := h.actionID(w, r)
	if !ok {
		return
	}
	if _, err := h.collect.Publish(r.Context(), access.FromContext(r.Context()), []int64{id}); err != nil {
		h.reviewFailed(w, r, id, err, "publish", nil)
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/submissions/%d", CollectionPrefix, id), "collrev_published_one")
}
