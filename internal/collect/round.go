package collect

import (
	"fmt"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// Round is one year's collection: the secretariat opens it for a reference
// year and a set of tables, with an opening date and a due date.
type Round struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"` // e.g. "UN-CTS 2024"
	Year     int        `json:"year"` // the reference year asked
	OpensOn  civil.Date `json:"opens_on"`
	DueOn    civil.Date `json:"due_on"`
	ClosedAt *time.Time `json:"closed_at"` // set when the secretariat closes it; no upload after
	Tables   []Table    `json:"tables"`    // as they were when the round opened
}

// Check refuses a round that cannot be opened.
func (r Round) Check() error {
	switch {
	case r.Name == "":
		return fail.Field("name", "Give the round a name, e.g. \"UN-CTS %d\".", r.Year)
	case r.Year < 1900 || r.Year > 2200:
		return fail.Field("year", "The reference year %d is not a plausible year.", r.Year)
	case r.OpensOn.IsZero():
		return fail.Field("opens_on", "Give the opening date.")
	case r.DueOn.IsZero():
		return fail.Field("due_on", "Give the due date.")
	case r.DueOn.Before(r.OpensOn):
		return fail.Field("due_on", "The due date, %s, is before the opening date, %s.", r.DueOn, r.OpensOn)
	case len(r.Tables) == 0:
		return fail.Field("tables", "Choose at least one table.")
	}
	seen := map[string]bool{}
	for _, t := range r.Tables {
		if seen[t.ID] {
			return fail.Field("tables", "The table %s is chosen twice.", t.ID)
		}
		seen[t.ID] = true
	}
	return nil
}

// Table returns the round's table with the id.
func (r Round) Table(id string) (Table, bool) {
	for _, t := range r.Tables {
		if t.ID == id {
			return t, true
		}
	}
	return Table{}, false
}

// Open reports whether States can still send data on the day.
func (r Round) Open(day civil.Date) bool {
	return r.ClosedAt == nil && !day.Before(r.OpensOn)
}

// CheckOpen refuses figures sent to the round on a day it does not take
// them, saying why: it is closed, or not yet open.
func (r Round) CheckOpen(day civil.Date) error {
	switch {
	case r.ClosedAt != nil:
		return fail.New(fail.Conflict, "The round %s is closed: it takes no more figures.", r.Name)
	case day.Before(r.OpensOn):
		return fail.New(fail.Conflict, "The round %s opens on %s: it takes figures from then.", r.Name, r.OpensOn)
	}
	return nil
}

// Status is where a State's answer to one table of a round stands.
type Status string

// The statuses of a submission, in the order they are reached.
const (
	NotStarted Status = "not_started" // nothing saved yet: there is no submission
	Draft      Status = "draft"       // saved by the State, not yet sent
	Submitted  Status = "submitted"   // sent to the secretariat
	Queried    Status = "queried"     // the secretariat asked about a value
	Validated  Status = "validated"   // accepted by the secretariat, not yet public
	Published  Status = "published"   // in the public statistics
)

// Statuses lists the statuses in order.
var Statuses = []Status{NotStarted, Draft, Submitted, Queried, Validated, Published}

// next says which statuses a submission may move to from each, and who
// moves it: the State (its focal point) or the secretariat.
var next = map[Status]map[Status]Party{
	NotStarted: {Draft: State},
	Draft:      {Draft: State, Submitted: State},
	Submitted:  {Draft: State, Queried: Secretariat, Validated: Secretariat},
	Queried:    {Draft: State, Submitted: State, Validated: Secretariat},
	Validated:  {Queried: Secretariat, Published: Secretariat},
	// A published table can be revised: the State saves a new draft, and
	// the values published stay public until the revision is.
	Published: {Draft: State},
}

// Party is a side of the collection.
type Party string

// The parties.
const (
	State       Party = "state"
	Secretariat Party = "secretariat"
)

// Move checks that a submission may go from one status to another, made
// by the party, and names the reason when it may not.
func Move(from, to Status, by Party) error {
	who, ok := next[from][to]
	switch {
	case !ok:
		return fail.New(fail.Conflict, "A table that is %s cannot become %s.", from.Label(), to.Label())
	case who != by:
		return fail.New(fail.Forbidden, "Only the %s can make a %s table %s.", who, from.Label(), to.Label())
	}
	return nil
}

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case NotStarted:
		return "not started"
	case "":
		return "unknown"
	}
	return string(s)
}

// Submission is a State's answer to one table of a round.
type Submission struct {
	ID          int64      `json:"id"`
	Round       int64      `json:"round"`
	Table       string     `json:"table"`
	State       string     `json:"state"`
	Status      Status     `json:"status"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SubmittedAt *time.Time `json:"submitted_at"`
	Values      int        `json:"values"`       // how many values the draft holds
	OpenQueries int        `json:"open_queries"` // queries not yet closed
}

func (s Submission) String() string {
	return fmt.Sprintf("round %d, table %s, %s: %s", s.Round, s.Table, s.State, s.Status.Label())
}

// Query is a question of the secretariat on one value of a submission,
// with its thread of messages.
type Query struct {
	ID         int64        `json:"id"`
	Submission int64        `json:"submission"`
	Key        stats.Key    `json:"key"`
	Period     stats.Period `json:"period"`
	Status     QueryStatus  `json:"status"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	Messages   []Message    `json:"messages"`
}

// QueryStatus is where a query stands.
type QueryStatus string

// The statuses of a query: open until the State answers, answered until
// the secretariat closes it (or asks again, which opens it again).
const (
	QueryOpen     QueryStatus = "open"
	QueryAnswered QueryStatus = "answered"
	QueryClosed   QueryStatus = "closed"
)

// Message is one message of a query's thread.
type Message struct {
	ID        int64     `json:"id"`
	AuthorID  int64     `json:"-"`
	Author    string    `json:"author"`
	Party     Party     `json:"party"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxMessage is the longest message a thread takes, in bytes.
const MaxMessage = 8000

// CheckMessage refuses an empty or overlong message.
func CheckMessage(body string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return fail.Field("body", "Write the message.")
	case len(body) > MaxMessage:
		return fail.Field("body", "The message is longer than %d characters: shorten it.", MaxMessage)
	}
	return nil
}

// Saved says what saving a draft did.
type Saved struct {
	Values int            `json:"values"` // values the scope now holds
	Tables map[string]int `json:"tables"` // values per table
}

// Reminder is a notice owed to a State about a round: its tables are not
// all sent and the due date is near ("due") or past ("overdue").
type Reminder struct {
	Round       Round
	State       string
	Kind        string // "due" or "overdue"
	Outstanding int    // tables not yet sent
	FocalPoints []int64
}
