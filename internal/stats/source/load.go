package source

import (
	"fmt"
	"io/fs"

	"github.com/cpcj/cpcj/internal/stats"
)

// Shipped lists the data files cpcj loads on first start, in the order it
// loads them: the population first, as the denominator of rates.
var Shipped = []struct{ File, Format string }{
	{WDIFile, FormatWDI},
	{GSHFile, FormatGSH},
	{CTSViolentFile, FormatCTS},
	{CTSEconomicFile, FormatCTS},
}

// Bundle is the shipped statistics, read and checked, ready to store.
type Bundle struct {
	Ref     *Reference
	Obs     map[string][]stats.Observation // by dataflow
	Reports map[string]*Report             // by file
}

// Flows returns the dataflows of the bundle in the order to load them.
func (b *Bundle) Flows() []string {
	var out []string
	for _, f := range []string{"POPULATION", "HOMICIDE", "OFFENCES", "VICTIMS"} {
		if len(b.Obs[f]) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Load reads the shipped structures, mapping tables and data files from
// the data folder and checks every observation against the structures; a
// problem anywhere is an error naming the file, line and column.
func Load(fsys fs.FS) (*Bundle, error) {
	ref, err := LoadReference(fsys)
	if err != nil {
		return nil, err
	}
	st := stats.NewStructure(ref.Codelists, ref.Dataflows)
	b := &Bundle{Ref: ref, Obs: map[string][]stats.Observation{}, Reports: map[string]*Report{}}
	checkers := map[string]*stats.Checker{}
	// Observations gather in chunks, copied once at the end: appending
	// tens of thousands of large structs one by one spent more time
	// copying than reading.
	chunks := map[string][][]stats.Observation{}
	for _, s := range Shipped {
		f, err := fsys.Open(s.File)
		if err != nil {
			return nil, err
		}
		var bad stats.Problems
		rep, err := Read(f, s.Format, ref, func(line int, o stats.Observation) error {
			c := checkers[o.Flow]
			if c == nil {
				if !st.HasFlow(o.Flow) {
					return fmt.Errorf("line %d: dataflow %s is not in data/%s", line, o.Flow, DataflowsFile)
				}
				c = stats.NewChecker(st, o.Flow)
				checkers[o.Flow] = c
			}
			before := c.Problems().Len()
			if c.Check(line, o) {
				cs := chunks[o.Flow]
				if len(cs) == 0 || len(cs[len(cs)-1]) == cap(cs[len(cs)-1]) {
					cs = append(cs, make([]stats.Observation, 0, 4096))
				}
				cs[len(cs)-1] = append(cs[len(cs)-1], o)
				chunks[o.Flow] = cs
			} else {
				bad.List = append(bad.List, c.Problems().List[min(before, len(c.Problems().List)):]...)
			}
			return nil
		})
		f.Close()
		if err == nil {
			err = bad.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("data/%s: %w", s.File, err)
		}
		b.Reports[s.File] = rep
	}
	for flow, cs := range chunks {
		n := 0
		for _, c := range cs {
			n += len(c)
		}
		all := make([]stats.Observation, 0, n)
		for _, c := range cs {
			all = append(all, c...)
		}
		b.Obs[flow] = all
	}
	return b, nil
}
