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
	var out []stats.Observation
	rep, err := CheckChunks(r, format, flow, st, ref, progress, func(chunk []stats.Observation) bool {
		out = append(out, chunk...)
		return true
	})
	if err != nil {
		return nil, rep, err
	}
	return out, rep, nil
}

// CheckChunks is Check handing the observations over as it reads, in
// chunks of ChunkSize, each a new slice, to emit, which returns false to
// stop the reading. Once a problem is found, it hands nothing more over
// but reads on, to report every problem at the end: a caller that stores
// the chunks must undo that on an error.
func CheckChunks(r io.Reader, format, flow string, st *stats.Structure, ref *Reference, progress func(rows int), emit func([]stats.Observation) bool) (*Report, error) {
	if !st.HasFlow(flow) {
		return nil, fmt.Errorf("no dataflow has the id %q", flow)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if format == "" {
		var err error
		if format, err = Detect(br); err != nil {
			return nil, err
		}
	}
	c := stats.NewChecker(st, flow)
	chunk := make([]stats.Observation, 0, ChunkSize)
	rows, other, good := 0, 0, 0
	errStop := errors.New("stopped")
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
		if !c.Check(line, o) || c.Problems().Len() > 0 {
			return nil
		}
		good++
		chunk = append(chunk, o)
		if len(chunk) == ChunkSize {
			if !emit(chunk) {
				return errStop
			}
			chunk = make([]stats.Observation, 0, ChunkSize)
		}
		return nil
	})
	if rep != nil && other > 0 {
		rep.Skipped = append(rep.Skipped, Skip{What: "observations of other dataflows", Reason: "this import is for " + flow, Rows: other})
	}
	if errors.Is(err, errStop) {
		return rep, nil
	}
	var ps stats.Problems
	var p *stats.Problems
	if errors.As(err, &p) {
		ps.Merge(p)
	} else if err != nil {
		return rep, err
	}
	ps.Merge(c.Problems())
	if ps.Len() > 0 {
		return rep, &ps
	}
	if good == 0 {
		return rep, fmt.Errorf("the file holds no observation of %s", flow)
	}
	if len(chunk) > 0 {
		emit(chunk)
	}
	return rep, nil
}

// ChunkSize is the number of observations CheckChunks hands over at a
// time: enough for the store to write them in large batches, few enough
// to keep memory flat (a few MB).
const ChunkSize = 20000

// progressEvery is how often Check reports progress, in rows.
const progressEvery = 50000
