package stats

import (
	"hash/maphash"
)

// Checker checks the observations of one input, row by row, against the
// structure and against each other (one observation per series and
// period), collecting every problem so that a refused file is reported
// whole.
type Checker struct {
	s          *Structure
	flow       string
	seeds      [2]maphash.Seed
	seen       map[[2]uint64]int // key and period → first line, by a 128-bit hash to keep memory flat
	ps         Problems
	rows, good int
}

// NewChecker returns a checker for observations of the dataflow.
func NewChecker(s *Structure, flow string) *Checker {
	return &Checker{s: s, flow: flow, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, seen: map[[2]uint64]int{}}
}

// Check checks one observation read from the line, and reports whether it
// is good.
func (c *Checker) Check(line int, o Observation) bool {
	c.rows++
	n := c.ps.Len()
	if !c.s.HasFlow(c.flow) {
		c.ps.Add(0, "", "no dataflow has the id %q", c.flow)
		return false
	}
	for _, p := range c.s.Check(o) {
		c.ps.Add(line, p.Column, "%s", p.Reason)
	}
	id := o.Key.String() + "|" + o.Period.String()
	h := [2]uint64{maphash.String(c.seeds[0], id), maphash.String(c.seeds[1], id)}
	if first, ok := c.seen[h]; ok {
		c.ps.Add(line, TimeDimension, "duplicates line %d: the same series %s and period %s", first, o.Key, o.Period)
	} else {
		c.seen[h] = line
	}
	ok := c.ps.Len() == n
	if ok {
		c.good++
	}
	return ok
}

// Rows is the number of observations checked.
func (c *Checker) Rows() int { return c.rows }

// Problems returns what was found wrong.
func (c *Checker) Problems() *Problems { return &c.ps }
