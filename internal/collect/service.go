package collect

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/stats"
)

// Store keeps rounds, drafts, submissions and queries; the storage layer
// scopes every call by the actor.
type Store interface {
	Round(ctx context.Context, by access.Actor, id int64) (Round, error)
	Submissions(ctx context.Context, by access.Actor, round int64) ([]Submission, error)
	Submission(ctx context.Context, by access.Actor, id int64) (Submission, error)
	Draft(ctx context.Context, by access.Actor, round int64, sc Scope) ([]Value, error)
	SaveDraft(ctx context.Context, by access.Actor, round int64, sc Scope, values []Value) (Saved, error)
	// SaveDrafts saves the drafts of several scopes as SaveDraft does
	// one, all of them or none.
	SaveDrafts(ctx context.Context, by access.Actor, round int64, drafts map[Scope][]Value) (map[Scope]Saved, error)
	MoveSubmission(ctx context.Context, by access.Actor, id int64, to Status) (Submission, error)
	RaiseQuery(ctx context.Context, by access.Actor, submission int64, key stats.Key, period stats.Period, body string) (Query, error)
	ReplyQuery(ctx context.Context, by access.Actor, id int64, body string, done bool) (Query, error)
	Queries(ctx context.Context, by access.Actor, submission int64) ([]Query, error)
	FocalPoints(ctx context.Context, state string) ([]int64, error)
	DueReminders(ctx context.Context, day civil.Date, days int) ([]Reminder, error)
	MarkReminded(ctx context.Context, r Reminder) (bool, error)
	// Rules returns the validation rules, enabled or not, as they stand:
	// every validation reads them again, so that a rule the secretariat
	// changes applies from the next one.
	Rules(ctx context.Context, by access.Actor) ([]Rule, error)
}

// RuleStore keeps the validation rules the secretariat defines: anyone
// taking part in the collection reads them, the secretariat writes them.
// A rule is never deleted, since it explains the findings it made; it is
// disabled instead.
type RuleStore interface {
	Rules(ctx context.Context, by access.Actor) ([]Rule, error)
	Rule(ctx context.Context, by access.Actor, id int64) (Rule, error)
	CreateRule(ctx context.Context, by access.Actor, r Rule) (Rule, error)
	// UpdateRule changes a rule's name, severity, dataflow, parameters,
	// note and whether it is enabled; a rule keeps its kind.
	UpdateRule(ctx context.Context, by access.Actor, r Rule) (Rule, error)
	// RuleTables returns the tables a completeness rule may name: those
	// cpcj ships and those of every round.
	RuleTables(ctx context.Context, by access.Actor) ([]Table, error)
}

// Notifier tells a user about something, in the application and by
// e-mail when a mail server is configured.
type Notifier interface {
	Notify(ctx context.Context, userID int64, subject, body, link string) error
}

// RemindJob is the daily job that reminds States of due dates.
const RemindJob = "collection.remind"

// RemindBefore is how many days before the due date the first reminder
// goes out.
const RemindBefore = 14

// Service runs the collection: it validates what a State sends before
// anything is stored, and tells each side what the other did.
type Service struct {
	Store Store
	// Stats is the public statistics: the structure codes are checked
	// against, the State's published history for outliers and the
	// population for rates.
	Stats stats.Store
	Notes Notifier
	Log   *slog.Logger
	Now   func() time.Time
	// Prefix is the path of the collection pages, for links in notices;
	// empty while there are none.
	Prefix string
}

// Preview is what saving values would change in a State's draft and what
// the rules find in them.
type Preview struct {
	Scope    Scope     `json:"scope"`
	Changes  Changes   `json:"changes"`
	Findings []Finding `json:"findings"`
	// Saved is what was stored; nil for a dry run, or when an error
	// finding stopped the save.
	Saved *Saved `json:"saved"`
}

// Errors counts the findings of severity error.
func (p Preview) Errors() int {
	n := 0
	for _, f := range p.Findings {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

// Save validates the values of a scope of a round (whichever way they
// came in) and, unless it is a dry run or a finding is an error, replaces
// the State's draft for the scope with them. Warnings do not stop a
// save; they stop the submission until each is explained.
func (s *Service) Save(ctx context.Context, by access.Actor, round int64, sc Scope, values []Value, dryRun bool) (Preview, error) {
	p := Preview{Scope: sc}
	r, err := s.Store.Round(ctx, by, round)
	if err != nil {
		return p, err
	}
	if sc.Year != 0 && sc.Year != r.Year {
		return p, fail.Field("year", "The round %s asks for %d, not %d.", r.Name, r.Year, sc.Year)
	}
	sc.Year = r.Year
	p.Scope = sc
	draft, err := s.Store.Draft(ctx, by, round, sc)
	if err != nil {
		return p, err
	}
	p.Changes = Diff(draft, values)
	if p.Findings, err = s.validate(ctx, by, r, sc, values); err != nil {
		return p, err
	}
	if dryRun || p.Errors() > 0 {
		return p, nil
	}
	saved, err := s.Store.SaveDraft(ctx, by, round, sc, values)
	if err != nil {
		return p, err
	}
	p.Saved = &saved
	return p, nil
}

// Submit sends a table to the secretariat, if its values pass the rules
// (see Check): no error, and every warning explained by a comment.
func (s *Service) Submit(ctx context.Context, by access.Actor, submission int64) (Submission, []Finding, error) {
	sub, err := s.Store.Submission(ctx, by, submission)
	if err != nil {
		return sub, nil, err
	}
	// Before the rules run: a reader who cannot send the table is told
	// so, not what stops it.
	if err := access.Check(by, access.SubmitData, sub.State); err != nil {
		return sub, nil, err
	}
	t, findings, err := s.check(ctx, by, sub)
	if err != nil {
		return sub, nil, err
	}
	n := 0
	for _, f := range findings {
		if f.Blocks() {
			n++
		}
	}
	if n > 0 {
		return sub, findings, fail.New(fail.Conflict, "%s cannot be sent yet: %d findings need a correction, or a comment explaining the figure.", t.Title, n)
	}
	sub, err = s.Store.MoveSubmission(ctx, by, submission, Submitted)
	return sub, findings, err
}

// validate runs the rules in force over the values of a scope, with the
// State's published history of the dataflow and its population.
func (s *Service) validate(ctx context.Context, by access.Actor, r Round, sc Scope, values []Value) ([]Finding, error) {
	rules, err := s.Store.Rules(ctx, by)
	if err != nil {
		return nil, err
	}
	in := Input{Scope: sc, Tables: r.Tables, Rules: rules, Values: values}
	q := stats.Query{Flow: sc.Flow, End: stats.Period{Year: sc.Year - 1, Kind: 'A'}}
	q.Key[stats.DimArea] = []string{sc.State}
	err = s.Stats.Observations(ctx, q, func(o stats.Observation) error {
		in.History = append(in.History, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	q = stats.Query{Flow: "POPULATION"}
	q.Key[stats.DimArea] = []string{sc.State}
	var pop []stats.Observation
	if err := s.Stats.Observations(ctx, q, func(o stats.Observation) error {
		pop = append(pop, o)
		return nil
	}); err != nil {
		return nil, err
	}
	in.Population = stats.NewPopulations(pop)
	return Validate(in), nil
}

// RaiseQuery asks the State about one of its figures and tells its focal
// points.
func (s *Service) RaiseQuery(ctx context.Context, by access.Actor, submission int64, key stats.Key, period stats.Period, body string) (Query, error) {
	q, err := s.Store.RaiseQuery(ctx, by, submission, key, period, body)
	if err != nil {
		return q, err
	}
	sub, err := s.Store.Submission(ctx, by, submission)
	if err != nil {
		return q, err
	}
	s.tellState(ctx, sub.State, "The secretariat has a question on your figures",
		fmt.Sprintf("UNODC asks about your %s:\n\n%s", s.valueName(ctx, by, sub, key, period), body), s.link(sub))
	return q, nil
}

// ReplyQuery adds to a query's thread and tells the other side: the
// State's answer goes to the secretariat member who asked, a follow-up to
// the State's focal points.
func (s *Service) ReplyQuery(ctx context.Context, by access.Actor, id int64, body string, done bool) (Query, error) {
	q, err := s.Store.ReplyQuery(ctx, by, id, body, done)
	if err != nil || body == "" {
		return q, err
	}
	sub, err := s.Store.Submission(ctx, by, q.Submission)
	if err != nil {
		return q, err
	}
	last := q.Messages[len(q.Messages)-1]
	what := s.valueName(ctx, by, sub, q.Key, q.Period)
	if last.Party == State {
		if asker := q.Messages[0].AuthorID; asker != 0 {
			s.tell(ctx, asker, fmt.Sprintf("%s answered your question", sub.State),
				fmt.Sprintf("On %s's %s:\n\n%s", sub.State, what, body), s.link(sub))
		}
		return q, nil
	}
	s.tellState(ctx, sub.State, "The secretariat wrote again about your figures",
		fmt.Sprintf("On your %s:\n\n%s", what, body), s.link(sub))
	return q, nil
}

// Remind sends the reminders owed today: to every State whose tables of
// an open round are not all sent, once when the due date is near and
// once when it has passed.
func (s *Service) Remind(ctx context.Context, _ job.Job) error {
	due, err := s.Store.DueReminders(ctx, civil.Of(s.Now()), RemindBefore)
	if err != nil {
		return err
	}
	for _, r := range due {
		// Marked first: a reminder lost to a crash is better than one
		// sent twice by two servers.
		first, err := s.Store.MarkReminded(ctx, r)
		if err != nil {
			return err
		}
		if !first {
			continue
		}
		subject := fmt.Sprintf("%s: your figures are due on %s", r.Round.Name, r.Round.DueOn)
		body := fmt.Sprintf("%d of the %d tables of %s are not yet sent. They are due on %s.", r.Outstanding, len(r.Round.Tables), r.Round.Name, r.Round.DueOn)
		if r.Kind == "overdue" {
			subject = fmt.Sprintf("%s: your figures were due on %s", r.Round.Name, r.Round.DueOn)
			body = fmt.Sprintf("%d of the %d tables of %s are not yet sent; they were due on %s. Send what you have, or tell the secretariat when to expect it.",
				r.Outstanding, len(r.Round.Tables), r.Round.Name, r.Round.DueOn)
		}
		link := ""
		if s.Prefix != "" {
			link = fmt.Sprintf("%s/rounds/%d", s.Prefix, r.Round.ID)
		}
		for _, id := range r.FocalPoints {
			s.tell(ctx, id, subject, body, link)
		}
	}
	return nil
}

func (s *Service) link(sub Submission) string {
	if s.Prefix == "" {
		return ""
	}
	return fmt.Sprintf("%s/submissions/%d", s.Prefix, sub.ID)
}

// tellState notifies every focal point of the State.
func (s *Service) tellState(ctx context.Context, state, subject, body, link string) {
	ids, err := s.Store.FocalPoints(ctx, state)
	if err != nil {
		s.Log.ErrorContext(ctx, "collection notice", "state", state, "err", err)
		return
	}
	for _, id := range ids {
		s.tell(ctx, id, subject, body, link)
	}
}

// tell notifies one user. A notice that cannot be written is logged, not
// returned: the change it reports is made and must not look failed.
func (s *Service) tell(ctx context.Context, userID int64, subject, body, link string) {
	if err := s.Notes.Notify(ctx, userID, subject, body, link); err != nil {
		s.Log.ErrorContext(ctx, "collection notice", "user", userID, "err", err)
	}
}

// Workbook gathers what the Excel questionnaire of a State for a round
// holds: the round's tables for its reference year, the State's
// published figures (for the year and the year before, to prefill and to
// compare) and its draft.
func (s *Service) Workbook(ctx context.Context, by access.Actor, round int64, state, stateName string) (Workbook, error) {
	r, err := s.Store.Round(ctx, by, round)
	if err != nil {
		return Workbook{}, err
	}
	wb := Workbook{RoundID: r.ID, Round: r.Name, Year: r.Year, State: state, StateName: stateName, Draft: map[Scope][]Value{}, Generated: s.Now()}
	if wb.Codelists, err = s.Stats.Codelists(ctx); err != nil {
		return wb, err
	}
	flows := map[string]bool{}
	for _, t := range r.Tables {
		wb.Sheets = append(wb.Sheets, Sheet{Table: t, Years: []int{r.Year}})
		if flows[t.Flow] {
			continue
		}
		flows[t.Flow] = true
		sc := Scope{Flow: t.Flow, State: state, Year: r.Year}
		draft, err := s.Store.Draft(ctx, by, r.ID, sc)
		if err != nil {
			return wb, err
		}
		if len(draft) > 0 {
			wb.Draft[sc] = draft
		}
		q := stats.Query{Flow: t.Flow, Start: stats.Period{Year: r.Year - 1, Kind: 'A'}, End: stats.Period{Year: r.Year, Kind: 'A'}}
		q.Key[stats.DimArea] = []string{state}
		err = s.Stats.Observations(ctx, q, func(o stats.Observation) error {
			wb.Published = append(wb.Published, Value{Key: o.Key, Period: o.Period, Value: o.Value, Status: o.Status, Comment: o.Comment})
			return nil
		})
		if err != nil {
			return wb, err
		}
	}
	return wb, nil
}
