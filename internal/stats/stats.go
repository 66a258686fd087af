// Package stats is the crime and criminal-justice statistics store, shaped
// like SDMX: code lists, one data structure definition, dataflows, and
// observations keyed by their dimensions, revised but never overwritten
// (resolution 68/193, ¶ 16, 25 and 26).
package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Agency maintains cpcj's structures, in SDMX terms.
const Agency = "UNODC"

// Version of the structures.
const Version = "1.0"

// DSDID is the identifier of the one data structure every dataflow uses.
const DSDID = "CRIME"

// Code is one entry of a code list.
type Code struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"` // for hierarchical lists such as ICCS
}

// Codelist is a list of codes a dimension or attribute takes.
type Codelist struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Partial says the list holds only part of its classification: for
	// ICCS, the sections in full, section 01 in full, and elsewhere only
	// the categories the data use.
	Partial bool   `json:"partial"`
	Codes   []Code `json:"codes"`
}

// Has reports whether the list holds the code.
func (c Codelist) Has(id string) bool {
	for _, code := range c.Codes {
		if code.ID == id {
			return true
		}
	}
	return false
}

// CodeName returns the name of a code, or the code itself if the list lacks it.
func (c Codelist) CodeName(id string) string {
	for _, code := range c.Codes {
		if code.ID == id {
			return code.Name
		}
	}
	return id
}

// Dimension is one part of a series key.
type Dimension struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Codelist string `json:"codelist"`
}

// Attribute is a property of an observation.
type Attribute struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Codelist string `json:"codelist,omitempty"` // empty for free text
}

// The dimensions of the data structure, in key order. Every observation
// has a value for each; "_Z" means "not applicable", "_T" "total".
var Dimensions = []Dimension{
	{"FREQ", "Frequency", "CL_FREQ"},
	{"REF_AREA", "Reference area", "CL_AREA"},
	{"INDICATOR", "Indicator", "CL_INDICATOR"},
	{"ICCS", "Crime category (ICCS)", "CL_ICCS"},
	{"SEX", "Sex", "CL_SEX"},
	{"AGE", "Age", "CL_AGE"},
	{"RELATIONSHIP", "Relationship to the perpetrator", "CL_RELATIONSHIP"},
	{"CYBER", "Cyber-related", "CL_CYBER"},
	{"SOURCE_TYPE", "Type of source", "CL_SOURCE_TYPE"},
	{"UNIT_MEASURE", "Unit of measure", "CL_UNIT_MEASURE"},
}

// The positions of the dimensions in a key, in Dimensions order.
const (
	DimFreq = iota
	DimArea
	DimIndicator
	DimICCS
	DimSex
	DimAge
	DimRelationship
	DimCyber
	DimSourceType
	DimUnit
)

// TimeDimension is the SDMX time dimension.
const TimeDimension = "TIME_PERIOD"

// PrimaryMeasure is the SDMX measure.
const PrimaryMeasure = "OBS_VALUE"

// Attributes of an observation.
var Attributes = []Attribute{
	{"OBS_STATUS", "Observation status", "CL_OBS_STATUS"},
	{"SOURCE_DETAIL", "Source", ""},
	{"COMMENT", "Comment", ""},
	{"DERIVATION", "Derivation", "CL_DERIVATION"},
}

// Observation statuses (SDMX CL_OBS_STATUS codes).
const (
	StatusNormal      = "A"
	StatusEstimated   = "E"
	StatusProvisional = "P"
	StatusBreak       = "B"
	StatusMissing     = "M"
)

// DerivationComputed marks a value cpcj computed (a rate from a count and
// the population), as opposed to one reported by the source.
const DerivationComputed = "C"

// Key is a series key: one code per dimension, in Dimensions order.
type Key [10]string

// String writes the key as SDMX does: codes joined by dots.
func (k Key) String() string { return strings.Join(k[:], ".") }

// MarshalJSON writes the key as an object of codes by dimension ID, e.g.
// {"FREQ": "A", "REF_AREA": "KEN", …}: what a script reads without
// knowing the order of the dimensions.
func (k Key) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(k))
	for i, d := range Dimensions {
		m[d.ID] = k[i]
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a key written by MarshalJSON.
func (k *Key) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for i, d := range Dimensions {
		k[i] = m[d.ID]
	}
	return nil
}

// Dim returns the code of the named dimension.
func (k Key) Dim(id string) string {
	for i, d := range Dimensions {
		if d.ID == id {
			return k[i]
		}
	}
	return ""
}

// DimIndex returns the position of a dimension in the key, or -1.
func DimIndex(id string) int {
	for i, d := range Dimensions {
		if d.ID == id {
			return i
		}
	}
	return -1
}

// Dataflow is a set of series published together.
type Dataflow struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Source      string    `json:"source"`     // who produced the data
	SourceURL   string    `json:"source_url"` // where the source publishes them
	Licence     string    `json:"licence"`
	DataAsOf    string    `json:"data_as_of"` // the source's date of data, as it states it
	UpdatedAt   time.Time `json:"updated_at"` // last change to any of its observations here
}

// Observation is one value of a series in a period, with its attributes.
type Observation struct {
	Flow      string    `json:"flow"`
	Key       Key       `json:"-"`
	Period    Period    `json:"period"`
	Value     *float64  `json:"value"` // nil when missing (status M)
	Status    string    `json:"obs_status"`
	Source    string    `json:"source,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	Derived   string    `json:"derivation,omitempty"`
	ValidFrom time.Time `json:"valid_from"` // when this revision was stored
}

// Query selects observations of one dataflow.
type Query struct {
	Flow string
	// Key holds, per dimension, the codes wanted; an empty list means any.
	Key          [10][]string
	Start, End   Period    // inclusive; zero for open
	AsOf         time.Time // the store as it was then; zero for now
	UpdatedAfter time.Time // only revisions stored after this; zero for all
	FirstN       int       // the first N periods of each series; 0 for all
	LastN        int       // the last N periods of each series; 0 for all
	Limit        int       // at most this many observations; 0 for no limit
}

// Store keeps the statistics.
type Store interface {
	Codelists(ctx context.Context) ([]Codelist, error)
	Dataflows(ctx context.Context) ([]Dataflow, error)
	Dataflow(ctx context.Context, id string) (Dataflow, error)
	// Observations streams the observations the query selects, ordered by
	// series key and period, to fn; fn returning an error stops it.
	Observations(ctx context.Context, q Query, fn func(Observation) error) error
	// CountObservations returns how many observations Observations
	// streams for the query without its FirstN and LastN, counting no
	// further than its Limit when it has one: what a view would read,
	// known before it is read.
	CountObservations(ctx context.Context, q Query) (int, error)
}

// Period is an SDMX reporting period: a year ("2013"), a quarter
// ("2013-Q1"), a month ("2013-01") or a half-year ("2013-S1").
type Period struct {
	Year int
	// Sub is 0 for a year, 1..4 for quarters, 1..12 for months, 1..2 for
	// halves; Kind says which.
	Sub  int
	Kind byte // 'A', 'Q', 'M' or 'S'
}

// ParsePeriod reads an SDMX period.
func ParsePeriod(s string) (Period, error) {
	// The error is built only when needed: loading reads tens of
	// thousands of periods.
	p, ok := parsePeriod(s)
	if !ok {
		return Period{}, errors.New(notPeriod(s))
	}
	return p, nil
}

// SpanError says which bound of a span of periods is wrong, and why.
type SpanError struct {
	End     bool   // the end is wrong; else the start
	Message string // for people, without the bound's name
}

func (e *SpanError) Error() string { return e.Message }

// ParseSpan reads the first and the last period of a span, each optional
// (empty for an open end), for every query that takes one: the data
// explorer's, the JSON API's and SDMX's.
//
// Observations are selected by the text of their periods, and a year sorts
// before its parts ("2010" < "2010-01"). A start on the first day of a
// year (2010-01, 2010-Q1, 2010-S1, 2010-01-01) is therefore read as the
// year, so that the year's own value, which begins then too, is in the
// span. The end must end after the start begins: 2012-Q3 to 2012 is the
// second half of 2012. A bad bound, or an end before the start, is a
// *SpanError.
func ParseSpan(start, end string) (Period, Period, error) {
	var from, to Period
	if start != "" {
		p, ok := parsePeriod(start)
		if !ok {
			return from, to, &SpanError{Message: notPeriod(start)}
		}
		if p.Kind != 'A' && p.Start().YearDay() == 1 {
			p = Period{Year: p.Year, Kind: 'A'}
		}
		from = p
	}
	if end != "" {
		p, ok := parsePeriod(end)
		if !ok {
			return from, to, &SpanError{End: true, Message: notPeriod(end)}
		}
		to = p
	}
	if !from.IsZero() && !to.IsZero() && !to.End().After(from.Start()) {
		return from, to, &SpanError{End: true, Message: fmt.Sprintf("the end, %s, is before the start, %s", to, from)}
	}
	return from, to, nil
}

func notPeriod(s string) string {
	return fmt.Sprintf("%q is not a period: write a year (2013), a quarter (2013-Q1), a half-year (2013-S1) or a month (2013-01)", s)
}

func parsePeriod(s string) (Period, bool) {
	if len(s) < 4 {
		return Period{}, false
	}
	y, ok := digits(s[:4])
	if !ok || y < 1000 {
		return Period{}, false
	}
	if len(s) == 4 {
		return Period{Year: y, Kind: 'A'}, true
	}
	if len(s) < 6 || s[4] != '-' {
		return Period{}, false
	}
	rest := s[5:]
	switch {
	case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'S'):
		n, ok := digits(rest[1:])
		max := 4
		if rest[0] == 'S' {
			max = 2
		}
		if !ok || n < 1 || n > max {
			return Period{}, false
		}
		return Period{Year: y, Sub: n, Kind: rest[0]}, true
	case len(rest) == 2:
		n, ok := digits(rest)
		if !ok || n < 1 || n > 12 {
			return Period{}, false
		}
		return Period{Year: y, Sub: n, Kind: 'M'}, true
	case len(rest) == 5 && rest[2] == '-':
		// A date such as 2013-01-01, which SDMX allows for startPeriod:
		// read as its month.
		n, ok := digits(rest[:2])
		d, ok2 := digits(rest[3:])
		if !ok || !ok2 || n < 1 || n > 12 || d < 1 || d > 31 {
			return Period{}, false
		}
		return Period{Year: y, Sub: n, Kind: 'M'}, true
	}
	return Period{}, false
}

func digits(s string) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, s != ""
}

// IsZero reports whether p is no period.
func (p Period) IsZero() bool { return p.Year == 0 }

// String writes the period as SDMX does.
func (p Period) String() string {
	if p.Kind == 'A' && p.Year >= 1000 && p.Year <= 9999 {
		return strconv.Itoa(p.Year) // the commonest case, without fmt
	}
	switch p.Kind {
	case 'Q', 'S':
		return fmt.Sprintf("%04d-%c%d", p.Year, p.Kind, p.Sub)
	case 'M':
		return fmt.Sprintf("%04d-%02d", p.Year, p.Sub)
	case 0:
		return ""
	}
	return fmt.Sprintf("%04d", p.Year)
}

// Start returns the first day of the period.
func (p Period) Start() time.Time {
	switch p.Kind {
	case 'Q':
		return time.Date(p.Year, time.Month(3*(p.Sub-1)+1), 1, 0, 0, 0, 0, time.UTC)
	case 'S':
		return time.Date(p.Year, time.Month(6*(p.Sub-1)+1), 1, 0, 0, 0, 0, time.UTC)
	case 'M':
		return time.Date(p.Year, time.Month(p.Sub), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(p.Year, 1, 1, 0, 0, 0, 0, time.UTC)
}

// End returns the first day after the period.
func (p Period) End() time.Time {
	s := p.Start()
	switch p.Kind {
	case 'Q':
		return s.AddDate(0, 3, 0)
	case 'S':
		return s.AddDate(0, 6, 0)
	case 'M':
		return s.AddDate(0, 1, 0)
	}
	return s.AddDate(1, 0, 0)
}

// MarshalText writes the period as SDMX does.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads an SDMX period.
func (p *Period) UnmarshalText(b []byte) error {
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
