package source

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/cpcj/cpcj/internal/stats"
)

// Check reads a file of one of the formats (detected when format is
// empty), checks every row against the structure and the others, and
// returns the observations of the dataflow — all of them, or an error: a
// *stats.Problems naming the line, column and reason of every problem.
// Rows a source file holds for other dataflows are counted in the report,
// not returned. progress, if not nil, is called every progressEvery rows.
func Check(r io.Reader, format, flow string, st *stats.Structure, ref *Reference, progress func(rows int)) ([]stats.Observation, *Report, error) {
	if !st.HasFlow(flow) {
		return nil, nil, fmt.Errorf("no dataflow has the id %q", flow)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if format == "" {
		var err error
		if format, err = Detect(br); err != nil {
			return nil, nil, err
		}
	}
	c := stats.NewChecker(st, flow)
	var out []stats.Observation
	rows := 0
	other := 0
	rep, err := Read(br, format, ref, func(line int, o stats.Observation) error {
		rows++
		if progress != nil && rows%progressEvery == 0 {
			progress(rows)
		}
		if format != FormatSDMXCSV && o.Flow != flow {
			other++
			return nil
		}
		if o.Flow != flow {
			c.Problems().Add(line, "DATAFLOW", "is %s, but this import is for %s", o.Flow, flow)
			return nil
		}
		if c.Check(line, o) {
			out = append(out, o)
		}
		return nil
	})
	if rep != nil && other > 0 {
		rep.Skipped = append(rep.Skipped, Skip{What: "observations of other dataflows", Reason: "this import is for " + flow, Rows: other})
	}
	var ps stats.Problems
	var p *stats.Problems
	if errors.As(err, &p) {
		ps.Merge(p)
	} else if err != nil {
		return nil, rep, err
	}
	ps.Merge(c.Problems())
	if ps.Len() > 0 {
		return nil, rep, &ps
	}
	if len(out) == 0 {
		return nil, rep, fmt.Errorf("the file holds no observation of %s", flow)
	}
	return out, rep, nil
}

// progressEvery is how often Check reports progress, in rows.
const progressEvery = 50000
