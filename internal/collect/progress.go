package collect

import (
	"time"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/stats"
)

// Sent reports whether a table in the status has reached the
// secretariat: submitted, and not since taken back into a draft. A
// queried table counts: the State sent it, and owes an answer, not the
// table.
func (s Status) Sent() bool {
	return s == Submitted || s == Queried || s == Validated || s == Published
}

// Progress is where a round stands, as the secretariat follows it: every
// State expected to answer with the status of each of its tables, the
// response by UN regional group, and the queries not yet closed.
type Progress struct {
	Round Round
	// Day is the day the progress is of: tables not sent after the due
	// date are overdue on it.
	Day civil.Date
	// States are the States expected to answer, by name: every Member
	// State, and any other participant that sent something.
	States []StateProgress
	// Groups is the response of each UN regional group, in the order of
	// state.Groups; States of no group come last, under the code "".
	Groups []Response
	// Total is the response of all the States.
	Total Response
	// Tables counts the States' tables by status, not started included.
	Tables map[Status]int
	// Overdue counts the tables not sent, and the States with any, once
	// the due date has passed; zero before.
	Overdue, OverdueStates int
	// Queries are the queries not closed, oldest first.
	Queries []OpenQuery
}

// Late reports whether the due date of the round has passed on the day
// of the progress.
func (p Progress) Late() bool { return p.Day.After(p.Round.DueOn) }

// Validated returns the submissions of the round ready to publish, and
// how many values they hold.
func (p Progress) Validated() (ids []int64, values int) {
	for _, s := range p.States {
		for _, t := range s.Tables {
			if t.Status == Validated {
				ids = append(ids, t.Submission)
				values += t.Values
			}
		}
	}
	return ids, values
}

// StateProgress is one State's answer to a round.
type StateProgress struct {
	Code  string
	Name  string
	Group string // UN regional group; empty for none
	// Tables holds the status of each table of the round, in the round's
	// order.
	Tables []TableProgress
	// Sent counts the tables sent.
	Sent int
}

// Complete reports whether the State has sent every table.
func (s StateProgress) Complete() bool { return s.Sent == len(s.Tables) }

// Has reports whether one of the State's tables is in the status.
func (s StateProgress) Has(st Status) bool {
	for _, t := range s.Tables {
		if t.Status == st {
			return true
		}
	}
	return false
}

// TableProgress is where one State's table stands in a round.
type TableProgress struct {
	Table       string
	Submission  int64 // 0 while not started
	Status      Status
	Values      int
	OpenQueries int
}

// Response is how far a set of States (a regional group, or all) has
// answered a round.
type Response struct {
	Group    string // the regional group's code; empty for all States, or for States of no group
	States   int    // States expected to answer
	Complete int    // States that sent every table
	Sent     int    // tables sent
	Expected int    // tables expected: States × tables of the round
}

// StateRate is the share of the States that sent every table, 0 to 1.
func (r Response) StateRate() float64 { return ratio(r.Complete, r.States) }

// TableRate is the share of the tables expected that were sent, 0 to 1.
func (r Response) TableRate() float64 { return ratio(r.Sent, r.Expected) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// OpenQuery is a query not yet closed, as the round's dashboard lists
// it: open while the State owes an answer, answered while the
// secretariat does.
type OpenQuery struct {
	ID         int64
	Submission int64
	State      string
	Table      string
	Key        stats.Key
	Period     stats.Period
	Status     QueryStatus
	UpdatedAt  time.Time
}

// RoundProgress is a round with its response so far, for the list of
// rounds: of every State expected for the programme, of their own State
// for a focal point or an expert.
type RoundProgress struct {
	Round Round // without its tables
	Asked int   // tables the round asks of each State
	Response
	// Open and Answered count the queries awaiting the State and the
	// secretariat.
	Open, Answered int
}
