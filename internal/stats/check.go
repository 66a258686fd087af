package stats

import (
	"hash/maphash"
	"strconv"
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
	buf        []byte            // the key and period being hashed
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
	h := c.hash(&o)
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

// hash returns the 128-bit hash of an observation's key and period. They
// are written into a buffer kept from row to row, so that a million rows
// make no garbage: the codes, each ended by a byte no code holds, then the
// period as text.
func (c *Checker) hash(o *Observation) [2]uint64 {
	b := c.buf[:0]
	for _, code := range o.Key {
		b = append(b, code...)
		b = append(b, 0)
	}
	if p := o.Period; p.Kind == 'A' && p.Year >= 1000 && p.Year <= 9999 {
		b = strconv.AppendInt(b, int64(p.Year), 10) // as String writes it
	} else {
		b = append(b, p.String()...)
	}
	c.buf = b
	return [2]uint64{maphash.Bytes(c.seeds[0], b), maphash.Bytes(c.seeds[1], b)}
}

// Rows is the number of observations checked.
func (c *Checker) Rows() int { return c.rows }

// Problems returns what was found wrong.
func (c *Checker) Problems() *Problems { return &c.ps }
