package source

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// The formats Read understands.
const (
	FormatSDMXCSV = "sdmx-csv" // SDMX-CSV 1.0
	FormatGSH     = "gsh"      // Global Study on Homicide 2013 table, long form
	FormatCTS     = "cts"      // UNODC data portal (UN-CTS) export, header row first
	FormatWDI     = "wdi"      // World Bank WDI population, long form
)

// Formats lists the formats, for help texts.
var Formats = []string{FormatSDMXCSV, FormatGSH, FormatCTS, FormatWDI}

var headers = map[string]string{
	FormatGSH: "region,subregion,country,source_type,source,indicator,year,value,flag",
	FormatCTS: "Iso3_code,Country,Region,Subregion,Indicator,Dimension,Category,Sex,Age,Year,Unit of measurement,VALUE,Source",
	FormatWDI: "iso3,country_name,year,homicide_rate_per_100k,population",
}

// Report tells what a reader did with a file.
type Report struct {
	Format  string         `json:"format"`
	Rows    int            `json:"rows"`    // data rows read
	ByFlow  map[string]int `json:"by_flow"` // observations produced, by dataflow
	Skipped []Skip         `json:"skipped,omitempty"`
}

// Skip is a kind of row that was deliberately not loaded.
type Skip struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

func newReport(format string) *Report { return &Report{Format: format, ByFlow: map[string]int{}} }

func (r *Report) skip(what, reason string) {
	for i := range r.Skipped {
		if r.Skipped[i].What == what {
			r.Skipped[i].Rows++
			return
		}
	}
	r.Skipped = append(r.Skipped, Skip{What: what, Reason: reason, Rows: 1})
}

// Observations is the number of observations produced.
func (r *Report) Observations() int {
	n := 0
	for _, v := range r.ByFlow {
		n += v
	}
	return n
}

// SkippedRows is the number of rows deliberately not loaded.
func (r *Report) SkippedRows() int {
	n := 0
	for _, s := range r.Skipped {
		n += s.Rows
	}
	return n
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows read (%s)", r.Rows, r.Format)
	flows := make([]string, 0, len(r.ByFlow))
	for f := range r.ByFlow {
		flows = append(flows, f)
	}
	sort.Strings(flows)
	for _, f := range flows {
		fmt.Fprintf(&b, "; %s: %d observations", f, r.ByFlow[f])
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "; not loaded: %d rows of %s (%s)", s.Rows, s.What, s.Reason)
	}
	return b.String()
}

// Read reads a file of one of the formats (detected from its header when
// format is empty) and calls fn with each observation and its line. Rows
// that cannot be read or mapped are not passed on: their problems are
// returned together at the end as *stats.Problems. An error from fn stops
// the reading and is returned.
func Read(r io.Reader, format string, ref *Reference, fn func(line int, o stats.Observation) error) (*Report, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if format == "" {
		var err error
		if format, err = Detect(br); err != nil {
			return nil, err
		}
	}
	switch format {
	case FormatSDMXCSV:
		rep := newReport(format)
		err := stats.ReadSDMXCSV(br, "", func(line int, o stats.Observation) error {
			rep.Rows++
			rep.ByFlow[o.Flow]++
			return fn(line, o)
		})
		return rep, err
	case FormatGSH:
		return ReadGSH(br, ref, fn)
	case FormatCTS:
		return ReadCTS(br, ref, fn)
	case FormatWDI:
		return ReadWDI(br, ref, fn)
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// Detect tells the format of a file from its first line, without consuming
// it.
func Detect(br *bufio.Reader) (string, error) {
	line, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	s := strings.TrimPrefix(string(line), "\xef\xbb\xbf")
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	for f, h := range headers {
		if s == h {
			return f, nil
		}
	}
	if strings.HasPrefix(s, "DATAFLOW") {
		return FormatSDMXCSV, nil
	}
	if s == "" {
		return "", &stats.Problems{List: []stats.Problem{{Line: 1, Reason: "the file is empty"}}}
	}
	return "", &stats.Problems{List: []stats.Problem{{Line: 1, Reason: fmt.Sprintf(
		"the header %q is not one of a known format: SDMX-CSV (starting DATAFLOW,FREQ,...), the GSH 2013 long table (%s), a UNODC data portal export (%s) or the WDI population table (%s)",
		clip(s), headers[FormatGSH], headers[FormatCTS], headers[FormatWDI])}}}
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// eachRow reads a CSV file whose header must be head, calling row with
// each record. Problems of the CSV layer go to ps.
func eachRow(r io.Reader, format string, ps *stats.Problems, row func(line int, rec []string) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			ps.Add(1, "", "the file is empty")
		} else {
			ps.Add(1, "", "cannot read the header: %v", stats.CSVReason(err))
		}
		return nil
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\xef\xbb\xbf")
	}
	if got := strings.Join(head, ","); got != headers[format] {
		ps.Add(1, "", "the header is %q; a %s file has %q", clip(got), format, headers[format])
		return nil
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ps.AddCSVError(rec, len(head), err) {
				continue
			}
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err := row(line, rec); err != nil {
			return err
		}
	}
}

func year(s string) (stats.Period, error) {
	p, err := stats.ParsePeriod(strings.TrimSpace(s))
	if err != nil {
		return p, err
	}
	if p.Kind != 'A' {
		return p, fmt.Errorf("%q is not a year", s)
	}
	return p, nil
}

func value(s string) (*float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return &v, nil
}

// unitOf maps the units of the UNODC files.
func unitOf(s string) (string, bool) {
	switch s {
	case "Counts", "count":
		return "NB", true
	case "Rate per 100,000 population", "rate":
		return "RT100K", true
	}
	return "", false
}

func sexOf(s string) (string, bool) {
	switch s {
	case "Total":
		return "_T", true
	case "Female":
		return "F", true
	case "Male":
		return "M", true
	}
	return "", false
}

func ageOf(s string) (string, bool) {
	switch s {
	case "Total":
		return "_T", true
	case "Adult":
		return "Y_GE18", true
	case "Juvenile":
		return "Y_LT18", true
	}
	return "", false
}
