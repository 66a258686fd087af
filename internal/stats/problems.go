package stats

import (
	"encoding/csv"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a row of an input file.
type Problem struct {
	Line   int    `json:"line"`             // 1-based line of the file; 0 for the file as a whole
	Column string `json:"column,omitempty"` // the column's name, as in the header
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
	}
	if p.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %s", p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// MaxProblems is how many problems an input reports in full; past it they
// are only counted, so that a wholly wrong file does not flood the report.
const MaxProblems = 100

// Problems is the error of an input that was refused: every problem found,
// in the order of the file.
type Problems struct {
	List []Problem
	More int // problems found past MaxProblems
}

// Add records a problem.
func (ps *Problems) Add(line int, column, format string, args ...any) {
	if len(ps.List) >= MaxProblems {
		ps.More++
		return
	}
	ps.List = append(ps.List, Problem{Line: line, Column: column, Reason: fmt.Sprintf(format, args...)})
}

// Len is the number of problems found.
func (ps *Problems) Len() int { return len(ps.List) + ps.More }

// Err returns ps as an error, or nil if nothing was wrong.
func (ps *Problems) Err() error {
	if ps.Len() == 0 {
		return nil
	}
	return ps
}

func (ps *Problems) Error() string { return Summarize("problem(s)", ps.List, ps.Len()) }

// Summarize says a refusal on one line: the number of problems (total,
// counted as what) and the first five of the list.
func Summarize[P fmt.Stringer](what string, list []P, total int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", total, what)
	for i, p := range list {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", total-5)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Merge adds the problems of other, keeping the list in the order of the
// file's lines.
func (ps *Problems) Merge(other *Problems) {
	if other == nil {
		return
	}
	for _, p := range other.List {
		if len(ps.List) >= MaxProblems {
			ps.More++
			continue
		}
		ps.List = append(ps.List, p)
	}
	ps.More += other.More
	sort.SliceStable(ps.List, func(i, j int) bool { return ps.List[i].Line < ps.List[j].Line })
}

// AddCSVError records an error of csv.Reader.Read on a file whose header
// has fields columns. A row with the wrong number of fields is one problem
// and reading can go on; any other error stops the reading, which
// AddCSVError says by returning false.
func (ps *Problems) AddCSVError(rec []string, fields int, err error) (goOn bool) {
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
		ps.Add(pe.Line, "", "has %d fields; the header has %d", len(rec), fields)
		return true
	}
	line := 0
	if pe != nil {
		line = pe.Line
	}
	ps.Add(line, "", "cannot be read as CSV: %v; reading stopped here", CSVReason(err))
	return false
}

// CSVReason is the reason of a CSV reading error without its position,
// which the problem's line already gives.
func CSVReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
