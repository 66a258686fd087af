package stats

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
)

// SDMX-CSV 1.0 is the CSV format of SDMX 2.1 web services: one row per
// observation, a DATAFLOW column naming the flow as AGENCY:ID(VERSION),
// one column per dimension, TIME_PERIOD, OBS_VALUE, then the attributes.

// FlowRef writes a dataflow reference as SDMX-CSV and SDMX-ML name it.
func FlowRef(flow string) string { return Agency + ":" + flow + "(" + Version + ")" }

// ParseFlowRef reads a dataflow reference: "HOMICIDE", "UNODC:HOMICIDE"
// or "UNODC:HOMICIDE(1.0)". It returns the flow's id.
func ParseFlowRef(s string) (string, error) {
	id := s
	if a, rest, ok := strings.Cut(id, ":"); ok {
		if a != Agency {
			return "", fmt.Errorf("%q: the agency is %s, not %s", s, Agency, a)
		}
		id = rest
	}
	if i := strings.IndexByte(id, '('); i >= 0 {
		if !strings.HasSuffix(id, ")") || id[i+1:len(id)-1] != Version {
			return "", fmt.Errorf("%q: the version is %s", s, Version)
		}
		id = id[:i]
	}
	if !validCode(id) {
		return "", fmt.Errorf("%q is not a dataflow reference such as %s", s, FlowRef("HOMICIDE"))
	}
	return id, nil
}

// SDMXCSVHeader returns the columns of an SDMX-CSV file of cpcj's data
// structure, in order.
func SDMXCSVHeader() []string {
	h := []string{"DATAFLOW"}
	for _, d := range Dimensions {
		h = append(h, d.ID)
	}
	h = append(h, TimeDimension, PrimaryMeasure)
	for _, a := range Attributes {
		h = append(h, a.ID)
	}
	return h
}

// FormatValue writes an observation value as the files and the API carry
// it: the shortest decimal that reads back as the same number, no
// exponent; empty for a missing value.
func FormatValue(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// SDMXCSVWriter writes observations as SDMX-CSV 1.0, one at a time, so that
// a whole dataflow streams in constant memory. Its cells are written as
// stored, text that a spreadsheet would take for a formula too: SDMX-CSV
// is read by programs, which must get back exactly what was stored (the
// downloads for people guard it: see safeCell).
type SDMXCSVWriter struct {
	flow   string // the DATAFLOW column, as AGENCY:ID(VERSION)
	bw     *bufio.Writer
	w      *csv.Writer
	header bool
	row    []string
}

// NewSDMXCSVWriter returns a writer to w of the dataflow's observations.
// Call Flush at the end.
func NewSDMXCSVWriter(w io.Writer, flow string) *SDMXCSVWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &SDMXCSVWriter{flow: FlowRef(flow), bw: bw, w: csv.NewWriter(bw), row: make([]string, len(SDMXCSVHeader()))}
}

// Write writes one observation, after the header if it is the first.
func (sw *SDMXCSVWriter) Write(o Observation) error {
	if !sw.header {
		sw.header = true
		if err := sw.w.Write(SDMXCSVHeader()); err != nil {
			return err
		}
	}
	r := sw.row[:0]
	r = append(r, sw.flow)
	r = append(r, o.Key[:]...)
	r = append(r, o.Period.String(), FormatValue(o.Value), o.Status, o.Source, o.Comment, o.Derived)
	return sw.w.Write(r)
}

// Flush writes the header if nothing else was written, and flushes.
func (sw *SDMXCSVWriter) Flush() error {
	if !sw.header {
		sw.header = true
		if err := sw.w.Write(SDMXCSVHeader()); err != nil {
			return err
		}
	}
	sw.w.Flush()
	if err := sw.w.Error(); err != nil {
		return err
	}
	return sw.bw.Flush()
}

// WriteSDMXCSV writes the dataflow's observations as SDMX-CSV 1.0 to w. An
// empty sequence writes the header alone. The first error of the sequence
// stops the writing and is returned.
func WriteSDMXCSV(w io.Writer, flow string, obs iter.Seq2[Observation, error]) error {
	sw := NewSDMXCSVWriter(w, flow)
	for o, err := range obs {
		if err != nil {
			return err
		}
		if err := sw.Write(o); err != nil {
			return err
		}
	}
	return sw.Flush()
}

var errStopStream = errors.New("stop")

// Stream returns the observations a query selects from a store as a
// sequence, for the writers.
func Stream(ctx context.Context, s Store, q Query) iter.Seq2[Observation, error] {
	return func(yield func(Observation, error) bool) {
		err := s.Observations(ctx, q, func(o Observation) error {
			if !yield(o, nil) {
				return errStopStream
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopStream) {
			yield(Observation{}, err)
		}
	}
}

// Slice returns observations as a sequence.
func Slice(obs []Observation) iter.Seq2[Observation, error] {
	return func(yield func(Observation, error) bool) {
		for _, o := range obs {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// ReadSDMXCSV reads an SDMX-CSV 1.0 file and calls fn with each row it can
// read, with the row's line. Columns are found by their id (a header
// "REF_AREA: Reference area", as SDMX writes with labels, is read as
// REF_AREA), in any order; the attribute columns may be left out. If flow
// is not empty, every row must be of that dataflow. Rows that cannot be
// read are not passed to fn: the problems of all of them are returned
// together at the end, as *Problems; a wrong header is reported at once.
// An error from fn stops the reading and is returned.
func ReadSDMXCSV(r io.Reader, flow string, fn func(line int, o Observation) error) error {
	cr := csv.NewReader(bomSkipper(r))
	cr.ReuseRecord = true
	var ps Problems
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			ps.Add(1, "", "the file is empty: an SDMX-CSV file starts with a header (%s)", strings.Join(SDMXCSVHeader(), ","))
			return &ps
		}
		ps.Add(1, "", "cannot read the header: %v", CSVReason(err))
		return &ps
	}
	cols, hp := sdmxColumns(head)
	if hp.Len() > 0 {
		return hp
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ps.AddCSVError(rec, len(head), err) {
				continue
			}
			return &ps
		}
		line, _ := cr.FieldPos(0)
		o, ok := cols.observation(rec, line, flow, &ps)
		if !ok {
			continue
		}
		if err := fn(line, o); err != nil {
			return err
		}
	}
	return ps.Err()
}

// bomSkipper drops a UTF-8 byte order mark, which spreadsheets write.
func bomSkipper(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	return br
}

// sdmxCols maps the columns of an SDMX-CSV file.
type sdmxCols struct {
	flow, period, value int
	dims                [10]int
	attrs               [4]int // -1 when absent
	width               int
	// The last good dataflow reference, codes and attributes read. Most
	// rows repeat most of them: text equal to them needs no check, and
	// their strings are shared, so that a row read does not keep its
	// whole line in memory.
	lastRef, lastFlow string
	lastCodes         [10]string
	lastAttrs         [4]string
}

func sdmxColumns(head []string) (sdmxCols, *Problems) {
	c := sdmxCols{flow: -1, period: -1, value: -1, width: len(head)}
	for i := range c.dims {
		c.dims[i] = -1
	}
	for i := range c.attrs {
		c.attrs[i] = -1
	}
	var ps Problems
	seen := map[string]bool{}
	for i, h := range head {
		id, _, _ := strings.Cut(h, ":")
		id = strings.TrimSpace(id)
		if seen[id] {
			ps.Add(1, id, "the column appears twice")
			continue
		}
		seen[id] = true
		switch id {
		case "DATAFLOW":
			c.flow = i
			continue
		case TimeDimension:
			c.period = i
			continue
		case PrimaryMeasure:
			c.value = i
			continue
		}
		if d := DimIndex(id); d >= 0 {
			c.dims[d] = i
			continue
		}
		found := false
		for a, at := range Attributes {
			if at.ID == id {
				c.attrs[a], found = i, true
			}
		}
		if !found {
			ps.Add(1, fmt.Sprintf("%d", i+1), "the header has %q, which is not a column of SDMX-CSV for the %s structure (%s)", h, DSDID, strings.Join(SDMXCSVHeader(), ","))
		}
	}
	need := func(i int, id string) {
		if i < 0 {
			ps.Add(1, id, "the header lacks the column %s", id)
		}
	}
	need(c.flow, "DATAFLOW")
	for d, i := range c.dims {
		need(i, Dimensions[d].ID)
	}
	need(c.period, TimeDimension)
	need(c.value, PrimaryMeasure)
	return c, &ps
}

func (c *sdmxCols) observation(rec []string, line int, flow string, ps *Problems) (Observation, bool) {
	var o Observation
	n := ps.Len()
	ref := strings.TrimSpace(rec[c.flow])
	if ref != c.lastRef || ref == "" {
		id, err := ParseFlowRef(ref)
		if err != nil {
			ps.Add(line, "DATAFLOW", "%v", err)
		} else {
			c.lastRef, c.lastFlow = ref, id
		}
		o.Flow = id
	} else {
		o.Flow = c.lastFlow
	}
	if o.Flow != "" && flow != "" && o.Flow != flow {
		ps.Add(line, "DATAFLOW", "is %s, but this import is for %s", o.Flow, flow)
	}
	for d, i := range c.dims {
		code := strings.TrimSpace(rec[i])
		switch {
		case code == c.lastCodes[d] && code != "":
			code = c.lastCodes[d]
		case code == "":
			ps.Add(line, Dimensions[d].ID, "is empty: every dimension needs a code")
		case !validCode(code):
			ps.Add(line, Dimensions[d].ID, "%q is not a code: a code is letters, digits and _ - only", code)
		default:
			c.lastCodes[d] = code
		}
		o.Key[d] = code
	}
	p, err := ParsePeriod(strings.TrimSpace(rec[c.period]))
	if err != nil {
		ps.Add(line, TimeDimension, "%v", err)
	}
	o.Period = p
	o.Value, err = ParseValue(rec[c.value])
	if err != nil {
		ps.Add(line, PrimaryMeasure, "%v", err)
	}
	attr := func(a int) string {
		if c.attrs[a] < 0 {
			return ""
		}
		v := strings.TrimSpace(rec[c.attrs[a]])
		if v == c.lastAttrs[a] {
			return c.lastAttrs[a]
		}
		c.lastAttrs[a] = v
		return v
	}
	o.Status, o.Source, o.Comment, o.Derived = attr(0), attr(1), attr(2), attr(3)
	if o.Value == nil && o.Status == "" {
		o.Status = StatusMissing
	}
	return o, ps.Len() == n
}

// ParseValue reads an observation value: a decimal number with a point
// ("1234", "12.5", "-3", "1.5e3"), or an empty cell or NaN for a missing
// value.
func ParseValue(s string) (*float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "NaN" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		if strings.Contains(s, ",") {
			return nil, fmt.Errorf("%q is not a number: write decimals with a point and no thousands separator", s)
		}
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return &v, nil
}
