package sdmx

import (
	"bufio"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// jsonWriter writes SDMX-JSON 1.0 data messages. SDMX-JSON names each
// dimension and attribute value once, in the structure, and refers to it
// by position in the data; so the writer first sees every observation
// (collect) to list the values, in code-list and time order, then writes
// the structure and streams the data sets.
type jsonWriter struct {
	w       *bufio.Writer
	m       *message
	dims    [len(stats.Key{})]*valueIndex
	periods *valueIndex
	attrs   []*valueIndex // by stats.Attributes
	when    map[string]stats.Period
	first   bool // the next series or flat observation is the first
	firstOb bool // the next observation of the series is the first
	inSer   bool
	buf     []byte
}

// valueIndex numbers the distinct values of a component.
type valueIndex struct {
	list []string
	pos  map[string]int
}

func newValueIndex() *valueIndex { return &valueIndex{pos: map[string]int{}} }

func (v *valueIndex) add(s string) {
	if _, ok := v.pos[s]; !ok {
		v.pos[s] = len(v.list)
		v.list = append(v.list, s)
	}
}

// sortBy orders the values and renumbers them.
func (v *valueIndex) sortBy(less func(a, b string) bool) {
	sort.SliceStable(v.list, func(i, j int) bool { return less(v.list[i], v.list[j]) })
	for i, s := range v.list {
		v.pos[s] = i
	}
}

func newJSONWriter(w *bufio.Writer, m *message) *jsonWriter {
	j := &jsonWriter{w: w, m: m, periods: newValueIndex(), when: map[string]stats.Period{}, first: true}
	for i := range j.dims {
		j.dims[i] = newValueIndex()
	}
	for range stats.Attributes {
		j.attrs = append(j.attrs, newValueIndex())
	}
	return j
}

func (j *jsonWriter) collect(o *stats.Observation) error {
	for i, c := range o.Key {
		j.dims[i].add(c)
	}
	p := o.Period.String()
	j.periods.add(p)
	j.when[p] = o.Period
	for i, a := range stats.Attributes {
		if v := attributeValue(o, a.ID); v != "" {
			j.attrs[i].add(v)
		}
	}
	return nil
}

// codeOrder orders codes as their code list does, unknown codes last.
func (j *jsonWriter) codeOrder(codelist string) func(a, b string) bool {
	l, ok := j.m.lists[codelist]
	if !ok {
		return func(a, b string) bool { return a < b }
	}
	pos := map[string]int{}
	for i, c := range l.Codes {
		pos[c.ID] = i
	}
	return func(a, b string) bool {
		pa, oka := pos[a]
		pb, okb := pos[b]
		switch {
		case oka && okb:
			return pa < pb
		case oka != okb:
			return oka
		}
		return a < b
	}
}

func (j *jsonWriter) str(s string) {
	b, _ := json.Marshal(s)
	j.w.Write(b)
}

func (j *jsonWriter) raw(s string) { j.w.WriteString(s) }

// value writes one entry of a component's values.
func (j *jsonWriter) value(id, name string) {
	j.raw(`{"id":`)
	j.str(id)
	j.raw(`,"name":`)
	j.str(name)
	j.raw("}")
}

// dimension writes a dimension of the structure.
func (j *jsonWriter) dimension(id, name string, position int, role string, values func()) {
	j.raw(`{"id":`)
	j.str(id)
	j.raw(`,"name":`)
	j.str(name)
	j.raw(`,"keyPosition":` + strconv.Itoa(position))
	if role != "" {
		j.raw(`,"role":`)
		j.str(role)
	}
	j.raw(`,"values":[`)
	values()
	j.raw("]}")
}

func (j *jsonWriter) begin() error {
	m := j.m
	for i, d := range stats.Dimensions {
		j.dims[i].sortBy(j.codeOrder(d.Codelist))
	}
	j.periods.sortBy(func(a, b string) bool {
		pa, pb := j.when[a], j.when[b]
		if !pa.Start().Equal(pb.Start()) {
			return pa.Start().Before(pb.Start())
		}
		return pa.End().Before(pb.End())
	})
	for i, a := range stats.Attributes {
		if a.Codelist != "" {
			j.attrs[i].sortBy(j.codeOrder(a.Codelist))
		} else {
			j.attrs[i].sortBy(func(a, b string) bool { return a < b })
		}
	}

	j.raw(`{"meta":{"id":`)
	j.str(m.id)
	j.raw(`,"test":false,"prepared":`)
	j.str(m.prepared.UTC().Format(time.RFC3339))
	j.raw(`,"content-language":["en"],"sender":{"id":`)
	j.str(stats.Agency)
	j.raw(`,"name":`)
	j.str(senderName)
	j.raw(`}},"data":{"structure":{"name":`)
	j.str(m.flow.Name)
	j.raw(`,"description":`)
	j.str(m.flow.Description)
	j.raw(`,"dimensions":{"dataSet":[],"series":[`)
	dim := func(i int) {
		d := stats.Dimensions[i]
		j.dimension(d.ID, d.Name, i, "", func() {
			for k, code := range j.dims[i].list {
				if k > 0 {
					j.raw(",")
				}
				j.value(code, m.codeName(d.Codelist, code))
			}
		})
	}
	timeDim := func() {
		j.dimension(stats.TimeDimension, "Time period", len(stats.Dimensions), "time", func() {
			for k, p := range j.periods.list {
				if k > 0 {
					j.raw(",")
				}
				per := j.when[p]
				j.raw(`{"id":`)
				j.str(p)
				j.raw(`,"name":`)
				j.str(p)
				j.raw(`,"start":`)
				j.str(per.Start().Format(time.RFC3339))
				j.raw(`,"end":`)
				j.str(per.End().Add(-time.Second).Format(time.RFC3339))
				j.raw("}")
			}
		})
	}
	if !m.q.flat() {
		for i := range stats.Dimensions {
			if i > 0 {
				j.raw(",")
			}
			dim(i)
		}
	}
	j.raw(`],"observation":[`)
	if m.q.flat() {
		for i := range stats.Dimensions {
			dim(i)
			j.raw(",")
		}
	}
	if m.q.withObservations() {
		timeDim()
	}
	j.raw(`]},"attributes":{"dataSet":[],"series":[],"observation":[`)
	if m.q.withAttributes() && m.q.withObservations() {
		for i, a := range stats.Attributes {
			if i > 0 {
				j.raw(",")
			}
			j.raw(`{"id":`)
			j.str(a.ID)
			j.raw(`,"name":`)
			j.str(a.Name)
			j.raw(`,"values":[`)
			for k, v := range j.attrs[i].list {
				if k > 0 {
					j.raw(",")
				}
				if a.Codelist != "" {
					j.value(v, m.codeName(a.Codelist, v))
				} else {
					j.raw(`{"name":`)
					j.str(v)
					j.raw("}")
				}
			}
			j.raw("]}")
		}
	}
	j.raw(`]}},"dataSets":[{"action":"Information",`)
	if m.q.flat() {
		j.raw(`"observations":{`)
	} else {
		j.raw(`"series":{`)
	}
	return nil
}

// index writes a key of positions, such as 0:3:1.
func (j *jsonWriter) index(k stats.Key, period string, withPeriod bool) {
	j.buf = j.buf[:0]
	for i, c := range k {
		if i > 0 {
			j.buf = append(j.buf, ':')
		}
		j.buf = strconv.AppendInt(j.buf, int64(j.dims[i].pos[c]), 10)
	}
	if withPeriod {
		j.buf = append(j.buf, ':')
		j.buf = strconv.AppendInt(j.buf, int64(j.periods.pos[period]), 10)
	}
	j.w.WriteByte('"')
	j.w.Write(j.buf)
	j.w.WriteString(`":`)
}

func (j *jsonWriter) series(k stats.Key) error {
	if j.inSer {
		j.raw("}}")
	}
	if !j.first {
		j.raw(",")
	}
	j.first = false
	j.index(k, "", false)
	j.raw(`{"attributes":[],"observations":{`)
	j.inSer, j.firstOb = true, true
	return nil
}

func (j *jsonWriter) obs(o *stats.Observation) error {
	p := o.Period.String()
	if j.m.q.flat() {
		if !j.first {
			j.raw(",")
		}
		j.first = false
		j.index(o.Key, p, true)
	} else {
		if !j.firstOb {
			j.raw(",")
		}
		j.firstOb = false
		j.w.WriteByte('"')
		j.w.WriteString(strconv.Itoa(j.periods.pos[p]))
		j.w.WriteString(`":`)
	}
	j.raw("[")
	if v := formatValue(o.Value); v == "" {
		j.raw("null")
	} else {
		j.raw(v)
	}
	if j.m.q.withAttributes() {
		for i, a := range stats.Attributes {
			j.raw(",")
			if v := attributeValue(o, a.ID); v != "" {
				j.raw(strconv.Itoa(j.attrs[i].pos[v]))
			} else {
				j.raw("null")
			}
		}
	}
	j.raw("]")
	return nil
}

func (j *jsonWriter) end() error {
	if j.inSer {
		j.raw("}}")
	}
	j.raw("}}]}}\n")
	return j.w.Flush()
}
