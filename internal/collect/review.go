package collect

import (
	"context"
	"fmt"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// The secretariat's review of what States sent: the rules run again on a
// submission, validation and publication, each told to the State.

// Publisher moves validated tables into the public statistics: the
// store, which does it in one transaction.
type Publisher interface {
	PublishTables(ctx context.Context, by access.Actor, ids []int64) (Publication, error)
}

// Publication says what publishing validated tables did.
type Publication struct {
	Tables []Submission // the submissions published, now with that status
	// Added, Revised and Unchanged count the observations of the public
	// statistics: new, new revisions of a value published before, and
	// equal to the value published.
	Added, Revised, Unchanged int
}

// Locate returns the cell of the table that a series key falls in, and
// whether the key is the rate per 100,000 of the cell's count (for a
// table with Rates); ok is false for a key outside the table.
func (t Table) Locate(k stats.Key) (c Cell, rate, ok bool) {
	if t.Rates && k[stats.DimUnit] == stats.UnitRate {
		k[stats.DimUnit] = t.Fixed["UNIT_MEASURE"]
		rate = true
	}
	c, ok = t.CellOf(k)
	return c, rate && ok, ok
}

// Check runs the rules over the values of a submission as Submit does,
// with the State's published history and population, and returns the
// findings on the table's cells.
func (s *Service) Check(ctx context.Context, by access.Actor, submission int64) ([]Finding, error) {
	sub, err := s.Store.Submission(ctx, by, submission)
	if err != nil {
		return nil, err
	}
	_, findings, err := s.check(ctx, by, sub)
	return findings, err
}

// check runs the rules over the draft of a submission's dataflow and
// returns the submission's table with the findings on its cells.
func (s *Service) check(ctx context.Context, by access.Actor, sub Submission) (Table, []Finding, error) {
	r, err := s.Store.Round(ctx, by, sub.Round)
	if err != nil {
		return Table{}, nil, err
	}
	t, ok := r.Table(sub.Table)
	if !ok {
		return t, nil, fmt.Errorf("round %d has no table %s", r.ID, sub.Table)
	}
	sc := Scope{Flow: t.Flow, State: sub.State, Year: r.Year}
	values, err := s.Store.Draft(ctx, by, r.ID, sc)
	if err != nil {
		return t, nil, err
	}
	all, err := s.validate(ctx, by, r, sc, values)
	if err != nil {
		return t, nil, err
	}
	// The scope holds the dataflow's other tables too: their findings
	// are theirs.
	var findings []Finding
	for _, f := range all {
		if _, in := t.CellOf(f.Key); in {
			findings = append(findings, f)
		}
	}
	return t, findings, nil
}

// Validate accepts a table the State sent, and tells the State.
func (s *Service) Validate(ctx context.Context, by access.Actor, submission int64) (Submission, error) {
	sub, err := s.Store.MoveSubmission(ctx, by, submission, Validated)
	if err != nil {
		return sub, err
	}
	title := s.tableTitle(ctx, by, sub, map[int64]Round{})
	s.tellState(ctx, sub.State, "The secretariat validated your figures: "+title,
		fmt.Sprintf("UNODC has checked and accepted your figures for %s. They will be public once the secretariat publishes them.", title), s.link(sub))
	return sub, nil
}

// Publish moves the values of validated tables into the public
// statistics, all of them or none, and tells each State which of its
// tables are now public.
func (s *Service) Publish(ctx context.Context, by access.Actor, ids []int64) (Publication, error) {
	if len(ids) == 0 {
		return Publication{}, fail.Field("submissions", "Choose at least one validated table to publish.")
	}
	p, ok := s.Store.(Publisher)
	if !ok {
		return Publication{}, fmt.Errorf("collect: the store %T cannot publish", s.Store)
	}
	pub, err := p.PublishTables(ctx, by, ids)
	if err != nil {
		return pub, err
	}
	byState := map[string][]Submission{}
	var states []string
	for _, sub := range pub.Tables {
		if byState[sub.State] == nil {
			states = append(states, sub.State)
		}
		byState[sub.State] = append(byState[sub.State], sub)
	}
	rounds := map[int64]Round{}
	for _, st := range states {
		subs := byState[st]
		var titles []string
		for _, sub := range subs {
			titles = append(titles, s.tableTitle(ctx, by, sub, rounds))
		}
		// One table links to its page; several, to the first.
		s.tellState(ctx, st, "Your figures are published",
			fmt.Sprintf("UNODC has published your figures for %s. They are now in the public statistics.", strings.Join(titles, "; ")), s.link(subs[0]))
	}
	return pub, nil
}

// tableTitle names a submission's table for a notice: its title, or its
// id when the round cannot be read. Rounds read are kept in rounds: a
// bulk publication names hundreds of tables of one round.
func (s *Service) tableTitle(ctx context.Context, by access.Actor, sub Submission, rounds map[int64]Round) string {
	r, ok := rounds[sub.Round]
	if !ok {
		var err error
		if r, err = s.Store.Round(ctx, by, sub.Round); err != nil {
			return sub.Table
		}
		rounds[sub.Round] = r
	}
	if t, ok := r.Table(sub.Table); ok {
		return fmt.Sprintf("%s (%s)", t.Title, r.Name)
	}
	return sub.Table
}

// valueName names a value of a submission for a notice as the focal
// point reads the table — its year, its cell by row and column, the
// table by its title: "2023 figure for Serious assault in “Offences
// recorded by the police”" — or by its codes when the round's table
// cannot be read.
func (s *Service) valueName(ctx context.Context, by access.Actor, sub Submission, k stats.Key, p stats.Period) string {
	r, err := s.Store.Round(ctx, by, sub.Round)
	if err != nil {
		return fmt.Sprintf("%s figure for %s (table %s)", p, k, sub.Table)
	}
	t, ok := r.Table(sub.Table)
	c, rate, in := t.Locate(k)
	if !ok || !in {
		return fmt.Sprintf("%s figure for %s (table %s)", p, k, sub.Table)
	}
	cell := t.codeLabel(t.Rows.Dim, c.Row)
	if t.Cols.Dim != "" {
		cell += ", " + t.codeLabel(t.Cols.Dim, c.Col)
	}
	what := "figure"
	if rate {
		what = "rate per 100,000"
	}
	return fmt.Sprintf("%s %s for %s in “%s”", p, what, cell, t.Title)
}
