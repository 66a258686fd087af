// Package collect is the annual collection of crime statistics from
// Member States (UN-CTS): the tables of a questionnaire, the values a
// State submits for them, and the validation every submission goes
// through, whichever way it came in (web form, Excel workbook, CSV).
//
// The package holds the rules of the collection and no storage: the store
// keeps rounds, drafts and threads, and moves validated values into the
// public statistics (package stats) when the secretariat publishes them.
package collect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// Table is one table of a questionnaire: the cells a State is asked to
// fill for one dataflow, laid out as a grid of rows by columns, for each
// year asked. Every cell is one series key and one year.
type Table struct {
	ID    string `json:"id"`    // short and stable, e.g. "OFFENCES_POLICE"; names the workbook sheet's hidden code
	Title string `json:"title"` // in plain language: "Offences recorded by the police"
	Flow  string `json:"flow"`  // the dataflow its values go to
	// Fixed gives the code of every dimension that does not vary in the
	// table, by dimension id (FREQ, INDICATOR, UNIT_MEASURE, …).
	Fixed map[string]string `json:"fixed"`
	Rows  Axis              `json:"rows"`          // e.g. ICCS categories
	Cols  Axis              `json:"cols,omitzero"` // e.g. sex; zero for a single column
	// Required are the cells a complete answer fills, as row code and
	// column code ("" for every code of the axis); empty means none is
	// required.
	Required []Cell `json:"required,omitempty"`
	// Rates says the table also takes, beside each count, the rate per
	// 100,000 population (the count's key with UNIT_MEASURE RT100K), as
	// files from statistics offices often carry both; Fixed must then
	// give UNIT_MEASURE NB. Rates a State leaves out, cpcj computes.
	Rates bool `json:"rates,omitempty"`
	// Short names the table where room is short: the tab of its sheet in
	// the Excel questionnaire, which holds 31 characters. Empty for the
	// title, cut to fit.
	Short string `json:"short,omitempty"`
}

// Axis is a dimension of a table and the codes it lays out, in order.
type Axis struct {
	Dim    string   `json:"dim"`    // a dimension id of stats.Dimensions
	Codes  []string `json:"codes"`  // the codes, in the order shown
	Labels []string `json:"labels"` // plain-language label of each code, for people
}

// Cell is a place in a table, by its row and column codes; Col is empty
// when the table has a single column.
type Cell struct {
	Row string `json:"row"`
	Col string `json:"col,omitempty"`
}

// Key returns the series key of a cell of the table for a State.
func (t Table) Key(state string, c Cell) (stats.Key, error) {
	var k stats.Key
	for i, d := range stats.Dimensions {
		switch {
		case d.ID == "REF_AREA":
			k[i] = state
		case d.ID == t.Rows.Dim:
			k[i] = c.Row
		case t.Cols.Dim != "" && d.ID == t.Cols.Dim:
			k[i] = c.Col
		default:
			k[i] = t.Fixed[d.ID]
		}
		if k[i] == "" {
			return k, fmt.Errorf("table %s gives no code for the dimension %s", t.ID, d.ID)
		}
	}
	return k, nil
}

// CellOf returns the cell of the table that a series key falls in, and
// whether it falls in the table at all (its fixed codes, and row and
// column codes the table lays out). The rate beside a count, in a table
// that takes rates, falls in the count's cell.
func (t Table) CellOf(k stats.Key) (Cell, bool) {
	var c Cell
	for i, d := range stats.Dimensions {
		switch {
		case d.ID == "REF_AREA":
		case d.ID == t.Rows.Dim:
			if !slices.Contains(t.Rows.Codes, k[i]) {
				return c, false
			}
			c.Row = k[i]
		case t.Cols.Dim != "" && d.ID == t.Cols.Dim:
			if !slices.Contains(t.Cols.Codes, k[i]) {
				return c, false
			}
			c.Col = k[i]
		case d.ID == "UNIT_MEASURE" && t.Rates && k[i] == stats.UnitRate:
		default:
			if t.Fixed[d.ID] != k[i] {
				return c, false
			}
		}
	}
	return c, true
}

// Scope is what one submission answers, and replaces when it is stored:
// one dataflow, one State, one reference year. A value of the scope left
// out of a new upload is removed from the draft.
type Scope struct {
	Flow  string `json:"flow"`
	State string `json:"state"` // ISO 3166-1 alpha-3
	Year  int    `json:"year"`
}

func (s Scope) String() string { return fmt.Sprintf("%s, %s, %d", s.Flow, s.State, s.Year) }

// Value is one figure a State reports: a cell of a table for a year,
// with its status and the focal point's comment.
type Value struct {
	Key    stats.Key    `json:"key"`
	Period stats.Period `json:"period"`
	Value  *float64     `json:"value"` // nil when the State says the figure is not available
	// Status is stats.StatusNormal, StatusEstimated, StatusProvisional
	// or StatusBreak for a figure, stats.StatusMissing for a nil Value.
	Status string `json:"status"`
	// Comment is the focal point's note on the value; a warning needs
	// one before the value can be submitted.
	Comment string `json:"comment,omitempty"`
	// Origin says where the value was read, for findings: "sheet
	// Offences, row 12, column D", "line 40" or "form".
	Origin string `json:"origin,omitempty"`
}

// Severity says what a finding stops.
type Severity string

// The severities of a rule.
const (
	// Error blocks submission until the value is corrected.
	Error Severity = "error"
	// Warning lets the value through once the focal point explains it in
	// a comment.
	Warning Severity = "warning"
)

// RuleKind is what a validation rule checks. Rules are data: the
// secretariat creates and edits them (kind, parameters, severity) without
// a change to the program.
type RuleKind string

// The kinds of rule.
const (
	// Sum: the parts of a disaggregation add up to the total. Params: Dim,
	// Parts, Total; parts ≤ total always, equal when every part is given
	// (within Tolerance, absolute: 0 for counts). OfWhich says the parts
	// need not cover the total ("of which" items): only parts ≤ total is
	// checked. Unit, if given, limits the rule to values in that unit
	// (rates by sex do not add up: each has its own population).
	Sum RuleKind = "sum"
	// Count: counts are non-negative whole numbers. Params: Unit (the
	// count unit, e.g. NB).
	Count RuleKind = "count"
	// Rate: a rate agrees with its count and the population within
	// rounding. Params: Unit (rate unit), CountUnit, Tolerance (absolute,
	// per 100,000) and Relative (0.01 for 1 %, as population figures from
	// different sources differ); a rate within either agrees. Only rates
	// of the whole population (SEX and AGE total or not applicable) are
	// checked, and only where the population of the State and year is
	// known: cpcj's population is not disaggregated.
	Rate RuleKind = "rate"
	// Order: along the justice chain, a later stage never exceeds an
	// earlier one for the same offence and year. Params: Dim (e.g.
	// INDICATOR), Chain (codes from the widest to the narrowest stage,
	// e.g. formal contact, prosecuted, convicted), Unit (optional, as for
	// Sum), Tolerance. A stage is compared with the nearest earlier stage
	// that has a figure.
	Order RuleKind = "order"
	// Outlier: a change from the State's previous years beyond a
	// threshold. Params: Threshold (relative change, 0.5 for 50 %,
	// against the mean of the previous years) and/or ZScore (limit of the
	// robust z-score against the previous years: (figure − median) /
	// (1.4826 × MAD), or / (1.2533 × mean absolute deviation) when the
	// MAD is 0; none when the previous years do not vary), Window (how
	// many years before the value's year count as previous: 1 for the
	// previous year alone; 0 for all), MinYears (previous years with a
	// figure needed; at least 1, and 3 for the z-score), MinValue (ignore
	// a value whose figure and reference are both smaller), Unit
	// (optional).
	Outlier RuleKind = "outlier"
	// Complete: the table's required cells are filled. Params: Table. A
	// cell marked not available (status M) is found too: with a comment
	// it explains a warning.
	Complete RuleKind = "complete"
)

// Rule is one validation rule, as the secretariat defines it.
type Rule struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"` // shown with every finding, e.g. "Female + male ≤ total"
	Kind     RuleKind `json:"kind"`
	Severity Severity `json:"severity"`
	Flow     string   `json:"flow,omitempty"` // the dataflow it applies to; empty for all
	Params   Params   `json:"params"`
	Enabled  bool     `json:"enabled"`
	Note     string   `json:"note,omitempty"` // why the rule exists, for the secretariat and the focal points
	// Who made the rule and who changed it last, and when; zero for a
	// rule read from a file.
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Params are the parameters of a rule; which ones a kind reads is said
// at the kind.
type Params struct {
	Dim       string   `json:"dim,omitempty"`
	Parts     []string `json:"parts,omitempty"`
	Total     string   `json:"total,omitempty"`
	Chain     []string `json:"chain,omitempty"`
	Unit      string   `json:"unit,omitempty"`
	CountUnit string   `json:"count_unit,omitempty"`
	Tolerance float64  `json:"tolerance,omitempty"`
	Threshold float64  `json:"threshold,omitempty"`
	ZScore    float64  `json:"z_score,omitempty"`
	MinYears  int      `json:"min_years,omitempty"`
	MinValue  float64  `json:"min_value,omitempty"`
	Table     string   `json:"table,omitempty"`
	OfWhich   bool     `json:"of_which,omitempty"`
	Relative  float64  `json:"relative,omitempty"`
	Window    int      `json:"window,omitempty"`
}

// Finding is what a rule found wrong with a value of a submission.
type Finding struct {
	Rule     string       `json:"rule"` // the rule's name
	RuleID   int64        `json:"rule_id"`
	Severity Severity     `json:"severity"`
	Key      stats.Key    `json:"key"`
	Period   stats.Period `json:"period"`
	Origin   string       `json:"origin,omitempty"` // the value's Origin
	Message  string       `json:"message"`          // says what is wrong, with the figures
	// Explained is true for a warning whose value carries a comment.
	Explained bool `json:"explained"`
}

func (f Finding) String() string {
	var b strings.Builder
	if f.Origin != "" {
		b.WriteString(f.Origin + ": ")
	}
	fmt.Fprintf(&b, "%s (%s): %s", f.Rule, f.Severity, f.Message)
	return b.String()
}

// Blocks reports whether the finding stops a submission: an error, or a
// warning not yet explained.
func (f Finding) Blocks() bool { return f.Severity == Error || !f.Explained }

// Blocks reports whether any of the findings stops a submission.
func Blocks(findings []Finding) bool { return slices.ContainsFunc(findings, Finding.Blocks) }
