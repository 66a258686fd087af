package stats

import (
	"fmt"
	"math"
)

// Structure is what observations are checked against: the code lists of
// the dimensions and attributes, and the dataflows.
type Structure struct {
	codes map[string]map[string]bool // code list → codes
	dims  [10]map[string]bool        // the codes of each dimension, in key order
	flows map[string]bool
}

// NewStructure indexes code lists and dataflows for checking.
func NewStructure(lists []Codelist, flows []Dataflow) *Structure {
	s := &Structure{codes: map[string]map[string]bool{}, flows: map[string]bool{}}
	for _, cl := range lists {
		m := make(map[string]bool, len(cl.Codes))
		for _, c := range cl.Codes {
			m[c.ID] = true
		}
		s.codes[cl.ID] = m
	}
	for i, d := range Dimensions {
		s.dims[i] = s.codes[d.Codelist]
	}
	for _, f := range flows {
		s.flows[f.ID] = true
	}
	return s
}

// HasFlow reports whether the dataflow exists.
func (s *Structure) HasFlow(id string) bool { return s.flows[id] }

// Has reports whether the code list holds the code.
func (s *Structure) Has(codelist, code string) bool { return s.codes[codelist][code] }

// CheckKey returns the problems of a series key: a code that its
// dimension's code list lacks.
func (s *Structure) CheckKey(k Key) []Problem {
	var out []Problem
	for i, d := range Dimensions {
		if k[i] == "" {
			out = append(out, Problem{Column: d.ID, Reason: "is empty: every dimension needs a code"})
			continue
		}
		if !s.dims[i][k[i]] {
			out = append(out, Problem{Column: d.ID, Reason: fmt.Sprintf("%q is not a code of %s", k[i], d.Codelist)})
		}
	}
	return out
}

// Check returns the problems of an observation: its key, its period, its
// value and its coded attributes. Line numbers are left to the caller.
func (s *Structure) Check(o Observation) []Problem {
	out := s.CheckKey(o.Key)
	if o.Period.IsZero() {
		out = append(out, Problem{Column: TimeDimension, Reason: "is empty"})
	} else if o.Key[DimFreq] == "A" && o.Period.Kind != 'A' {
		out = append(out, Problem{Column: TimeDimension, Reason: fmt.Sprintf("%s is not a year, but FREQ is A (annual)", o.Period)})
	}
	if o.Value != nil && (math.IsNaN(*o.Value) || math.IsInf(*o.Value, 0)) {
		out = append(out, Problem{Column: PrimaryMeasure, Reason: "is not a finite number"})
	}
	if o.Status != "" && !s.codes["CL_OBS_STATUS"][o.Status] {
		out = append(out, Problem{Column: "OBS_STATUS", Reason: fmt.Sprintf("%q is not a code of CL_OBS_STATUS", o.Status)})
	}
	if o.Derived != "" && !s.codes["CL_DERIVATION"][o.Derived] {
		out = append(out, Problem{Column: "DERIVATION", Reason: fmt.Sprintf("%q is not a code of CL_DERIVATION", o.Derived)})
	}
	if o.Value == nil && o.Status != StatusMissing {
		out = append(out, Problem{Column: PrimaryMeasure, Reason: "is empty: give a value, or OBS_STATUS M for a missing value"})
	}
	return out
}
