package sdmx

import (
	"bufio"
	"encoding/csv"

	"github.com/cpcj/cpcj/internal/stats"
)

// csvWriter writes SDMX-CSV 1.0: a header row, then one row per
// observation: DATAFLOW (AGENCY:ID(VERSION)), the dimensions in key order,
// TIME_PERIOD, OBS_VALUE and the attributes. Without observations (detail
// serieskeysonly or nodata) a row is a series key. With labels=both,
// headers and codes carry their names as "ID: Name". Cells are written
// as stored, without the formula guard of the downloads for people:
// SDMX-CSV is a format for programs, which must read back what was stored.
//
// It writes what the data engineer's SDMX-CSV writer in package stats will
// write for exports; the two are to become one.
type csvWriter struct {
	w   *csv.Writer
	bw  *bufio.Writer
	m   *message
	row []string
}

func newCSVWriter(w *bufio.Writer, m *message) *csvWriter {
	c := csv.NewWriter(w)
	c.UseCRLF = true // RFC 4180, on which SDMX-CSV rests
	return &csvWriter{w: c, bw: w, m: m}
}

// label writes a code, or with labels=both, "code: name".
func (c *csvWriter) label(code, name string) string {
	if !c.m.labels || name == "" || name == code {
		return code
	}
	return code + ": " + name
}

func (c *csvWriter) begin() error {
	q := c.m.q
	head := []string{c.label("DATAFLOW", "")}
	for _, d := range stats.Dimensions {
		head = append(head, c.label(d.ID, d.Name))
	}
	if q.withObservations() {
		head = append(head, c.label(stats.TimeDimension, "Time period"), c.label(stats.PrimaryMeasure, "Observation value"))
		if q.withAttributes() {
			for _, a := range stats.Attributes {
				head = append(head, c.label(a.ID, a.Name))
			}
		}
	}
	return c.w.Write(head)
}

// key fills the first columns of a row with the dataflow and a series key.
func (c *csvWriter) key(k stats.Key) {
	c.row = append(c.row[:0], c.label(flowRef(c.m.flow.ID), c.m.flow.Name))
	for i, d := range stats.Dimensions {
		code := k[i]
		if c.m.labels {
			// Only labels need the name: looking it up is a walk through
			// the code list, for every code of every row.
			code = c.label(code, c.m.codeName(d.Codelist, code))
		}
		c.row = append(c.row, code)
	}
}

func (c *csvWriter) series(k stats.Key) error {
	if c.m.q.withObservations() {
		return nil
	}
	c.key(k)
	return c.w.Write(c.row)
}

func (c *csvWriter) obs(o *stats.Observation) error {
	c.key(o.Key)
	c.row = append(c.row, o.Period.String(), formatValue(o.Value))
	if c.m.q.withAttributes() {
		for _, a := range stats.Attributes {
			v := attributeValue(o, a.ID)
			if c.m.labels && a.Codelist != "" && v != "" {
				v = c.label(v, c.m.codeName(a.Codelist, v))
			}
			c.row = append(c.row, v)
		}
	}
	return c.w.Write(c.row)
}

func (c *csvWriter) end() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}
