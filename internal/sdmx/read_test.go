package sdmx_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/stats"
)

// Readers of the messages the service writes, independent of its writers,
// so that the tests check what a client gets back.

// The namespaces of SDMX-ML 2.1.
const (
	nsMessage  = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
	nsCommon   = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
	nsStruct   = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
	nsGeneric  = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
	nsSpecific = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
)

// row is one observation, or one series key when a message carries no
// observations.
type row struct {
	key    string // the series key, codes joined by dots
	period string
	value  string // as written, without trailing zeros; empty when missing
	attrs  map[string]string
}

func (r row) String() string {
	return fmt.Sprintf("%s %s = %q %v", r.key, r.period, r.value, r.attrs)
}

// rowsOf turns observations into rows, as a message with or without
// attributes carries them.
func rowsOf(obs []stats.Observation, withAttrs bool) []row {
	out := make([]row, 0, len(obs))
	for _, o := range obs {
		r := row{key: o.Key.String(), period: o.Period.String(), attrs: map[string]string{}}
		if o.Value != nil {
			r.value = strconv.FormatFloat(*o.Value, 'f', -1, 64)
		}
		if withAttrs {
			for id, v := range map[string]string{"OBS_STATUS": o.Status, "SOURCE_DETAIL": o.Source, "COMMENT": o.Comment, "DERIVATION": o.Derived} {
				if v != "" {
					r.attrs[id] = v
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// seriesOf turns observations into the distinct series keys, in order.
func seriesOf(obs []stats.Observation) []row {
	var out []row
	for i, o := range obs {
		if i == 0 || o.Key != obs[i-1].Key {
			out = append(out, row{key: o.Key.String(), attrs: map[string]string{}})
		}
	}
	return out
}

// sameRows reports the differences between what a message carries and
// what the store holds; ordered says the order matters too.
func sameRows(t *testing.T, got, want []row, ordered bool) {
	t.Helper()
	if !ordered {
		sortRows(got)
		sortRows(want)
	}
	if len(got) != len(want) {
		t.Errorf("the message carries %d rows, the store has %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.key != w.key || g.period != w.period || g.value != w.value || !mapsEqual(g.attrs, w.attrs) {
			t.Errorf("row %d:\n got %v\nwant %v", i, g, w)
			return
		}
	}
}

func sortRows(rs []row) {
	slices.SortFunc(rs, func(a, b row) int { return strings.Compare(a.key+" "+a.period, b.key+" "+b.period) })
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkNamespaces walks an SDMX-ML message: it must be well-formed, its
// root the named element of the message namespace, and every element in
// one of the namespaces allowed, or in none (references' Ref, and the
// series and observations of structure-specific data).
func checkNamespaces(t *testing.T, body, root string, allowed ...string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	first := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, body)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if first {
			first = false
			if el.Name.Space != nsMessage || el.Name.Local != root {
				t.Fatalf("root element {%s}%s, want {%s}%s", el.Name.Space, el.Name.Local, nsMessage, root)
			}
			continue
		}
		switch {
		case el.Name.Space == "":
			if !slices.Contains([]string{"Ref", "Series", "Obs"}, el.Name.Local) {
				t.Errorf("element %s has no namespace", el.Name.Local)
			}
		case !slices.Contains(append(allowed, nsMessage, nsCommon), el.Name.Space):
			t.Errorf("element %s is in the namespace %s", el.Name.Local, el.Name.Space)
		}
	}
}

// msgHeader is the header of an SDMX-ML data message.
type msgHeader struct {
	ID       string `xml:"ID"`
	Test     string `xml:"Test"`
	Prepared string `xml:"Prepared"`
	Sender   struct {
		ID string `xml:"id,attr"`
	} `xml:"Sender"`
	Structure struct {
		ID        string `xml:"structureID,attr"`
		Namespace string `xml:"namespace,attr"`
		DimAtObs  string `xml:"dimensionAtObservation,attr"`
		Ref       struct {
			Agency  string `xml:"agencyID,attr"`
			ID      string `xml:"id,attr"`
			Version string `xml:"version,attr"`
		} `xml:"Structure>Ref"`
	} `xml:"Structure"`
}

type genericValue struct {
	ID    string `xml:"id,attr"`
	Value string `xml:"value,attr"`
}

type genericObs struct {
	Key   []genericValue `xml:"ObsKey>Value"`
	Dim   genericValue   `xml:"ObsDimension"`
	Value *genericValue  `xml:"ObsValue"`
	Attrs []genericValue `xml:"Attributes>Value"`
}

type genericMessage struct {
	XMLName xml.Name
	Header  msgHeader `xml:"Header"`
	DataSet struct {
		StructureRef string `xml:"structureRef,attr"`
		Series       []struct {
			Key []genericValue `xml:"SeriesKey>Value"`
			Obs []genericObs   `xml:"Obs"`
		} `xml:"Series"`
		Obs []genericObs `xml:"Obs"`
	} `xml:"DataSet"`
}

// readGeneric reads SDMX-ML GenericData (or GenericTimeSeriesData).
func readGeneric(t *testing.T, body string) (msgHeader, []row) {
	t.Helper()
	var m genericMessage
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("GenericData: %v", err)
	}
	if m.DataSet.StructureRef != m.Header.Structure.ID || m.Header.Structure.ID == "" {
		t.Errorf("DataSet structureRef %q, header structureID %q", m.DataSet.StructureRef, m.Header.Structure.ID)
	}
	value := func(o genericObs, r *row) {
		if o.Value != nil && o.Value.Value != "NaN" {
			r.value = o.Value.Value
		}
		for _, a := range o.Attrs {
			r.attrs[a.ID] = a.Value
		}
	}
	var out []row
	for _, s := range m.DataSet.Series {
		key := genericKey(t, s.Key)
		if len(s.Obs) == 0 {
			out = append(out, row{key: key, attrs: map[string]string{}})
		}
		for _, o := range s.Obs {
			r := row{key: key, period: o.Dim.Value, attrs: map[string]string{}}
			value(o, &r)
			out = append(out, r)
		}
	}
	for _, o := range m.DataSet.Obs {
		n := len(o.Key)
		if n != len(stats.Dimensions)+1 || o.Key[n-1].ID != stats.TimeDimension {
			t.Fatalf("ObsKey %v is not the dimensions and the time", o.Key)
		}
		r := row{key: genericKey(t, o.Key[:n-1]), period: o.Key[n-1].Value, attrs: map[string]string{}}
		value(o, &r)
		out = append(out, r)
	}
	return m.Header, out
}

func genericKey(t *testing.T, vs []genericValue) string {
	t.Helper()
	var codes []string
	for i, v := range vs {
		if i >= len(stats.Dimensions) || v.ID != stats.Dimensions[i].ID {
			t.Fatalf("key value %d is %s, want the dimensions in order", i, v.ID)
		}
		codes = append(codes, v.Value)
	}
	return strings.Join(codes, ".")
}

type specificElement struct {
	Attrs []xml.Attr `xml:",any,attr"`
}

type specificMessage struct {
	XMLName xml.Name
	Header  msgHeader `xml:"Header"`
	DataSet struct {
		Attrs  []xml.Attr `xml:",any,attr"`
		Series []struct {
			Attrs []xml.Attr        `xml:",any,attr"`
			Obs   []specificElement `xml:"Obs"`
		} `xml:"Series"`
		Obs []specificElement `xml:"Obs"`
	} `xml:"DataSet"`
}

// readSpecific reads SDMX-ML StructureSpecificData (or
// StructureSpecificTimeSeriesData).
func readSpecific(t *testing.T, body string) (msgHeader, []row) {
	t.Helper()
	var m specificMessage
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("StructureSpecificData: %v", err)
	}
	ds := map[string]string{}
	for _, a := range m.DataSet.Attrs {
		ds[a.Name.Space+" "+a.Name.Local] = a.Value
	}
	if ds[nsSpecific+" structureRef"] != m.Header.Structure.ID || ds[nsSpecific+" dataScope"] != "DataStructure" {
		t.Errorf("DataSet attributes %v", ds)
	}
	if typ := ds["http://www.w3.org/2001/XMLSchema-instance type"]; !strings.HasSuffix(typ, "DataSetType") {
		t.Errorf("DataSet xsi:type %q", typ)
	}
	attrs := func(list []xml.Attr) map[string]string {
		out := map[string]string{}
		for _, a := range list {
			if a.Name.Space != "" {
				t.Fatalf("attribute %s is in the namespace %s", a.Name.Local, a.Name.Space)
			}
			out[a.Name.Local] = a.Value
		}
		return out
	}
	take := func(m map[string]string, r *row) {
		r.period = m[stats.TimeDimension]
		if v := m[stats.PrimaryMeasure]; v != "NaN" {
			r.value = v
		}
		delete(m, stats.TimeDimension)
		delete(m, stats.PrimaryMeasure)
		for _, d := range stats.Dimensions {
			delete(m, d.ID)
		}
		r.attrs = m
	}
	key := func(m map[string]string) string {
		codes := make([]string, len(stats.Dimensions))
		for i, d := range stats.Dimensions {
			codes[i] = m[d.ID]
		}
		return strings.Join(codes, ".")
	}
	var out []row
	for _, s := range m.DataSet.Series {
		sa := attrs(s.Attrs)
		if len(sa) != len(stats.Dimensions) {
			t.Errorf("series attributes %v are not the dimensions", sa)
		}
		if len(s.Obs) == 0 {
			out = append(out, row{key: key(sa), attrs: map[string]string{}})
		}
		for _, o := range s.Obs {
			r := row{key: key(sa)}
			take(attrs(o.Attrs), &r)
			out = append(out, r)
		}
	}
	for _, o := range m.DataSet.Obs {
		oa := attrs(o.Attrs)
		r := row{key: key(oa)}
		take(oa, &r)
		out = append(out, r)
	}
	return m.Header, out
}

// readSDMXCSV reads SDMX-CSV 1.0, checking its columns.
func readSDMXCSV(t *testing.T, body, flow string, withObs, withAttrs bool) []row {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("SDMX-CSV: %v", err)
	}
	want := []string{"DATAFLOW"}
	for _, d := range stats.Dimensions {
		want = append(want, d.ID)
	}
	if withObs {
		want = append(want, stats.TimeDimension, stats.PrimaryMeasure)
		if withAttrs {
			for _, a := range stats.Attributes {
				want = append(want, a.ID)
			}
		}
	}
	if !slices.Equal(recs[0], want) {
		t.Fatalf("SDMX-CSV columns %v, want %v", recs[0], want)
	}
	if !strings.Contains(body, "\r\n") {
		t.Errorf("SDMX-CSV lines do not end in CRLF (RFC 4180)")
	}
	var out []row
	n := len(stats.Dimensions)
	for _, rec := range recs[1:] {
		if rec[0] != stats.Agency+":"+flow+"("+stats.Version+")" {
			t.Fatalf("DATAFLOW %q", rec[0])
		}
		r := row{key: strings.Join(rec[1:n+1], "."), attrs: map[string]string{}}
		if withObs {
			r.period, r.value = rec[n+1], rec[n+2]
			for i, v := range rec[n+3:] {
				if v != "" {
					r.attrs[stats.Attributes[i].ID] = v
				}
			}
		}
		out = append(out, r)
	}
	return out
}

type jsonComponent struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	KeyPosition *int   `json:"keyPosition"`
	Role        string `json:"role"`
	Values      []struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"values"`
}

type jsonMessage struct {
	Meta struct {
		ID       string   `json:"id"`
		Test     bool     `json:"test"`
		Prepared string   `json:"prepared"`
		Language []string `json:"content-language"`
		Sender   struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"sender"`
	} `json:"meta"`
	Data struct {
		Structure struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Dimensions  struct {
				DataSet     []jsonComponent `json:"dataSet"`
				Series      []jsonComponent `json:"series"`
				Observation []jsonComponent `json:"observation"`
			} `json:"dimensions"`
			Attributes struct {
				DataSet     []jsonComponent `json:"dataSet"`
				Series      []jsonComponent `json:"series"`
				Observation []jsonComponent `json:"observation"`
			} `json:"attributes"`
		} `json:"structure"`
		DataSets []struct {
			Action string `json:"action"`
			Series map[string]struct {
				Attributes   []*int                `json:"attributes"`
				Observations map[string][]*float64 `json:"observations"`
			} `json:"series"`
			Observations map[string][]*float64 `json:"observations"`
		} `json:"dataSets"`
	} `json:"data"`
}

// readJSON reads SDMX-JSON 1.0 data, resolving every position in a key or
// an observation to the value the structure lists.
func readJSON(t *testing.T, body string) (jsonMessage, []row) {
	t.Helper()
	var m jsonMessage
	d := json.NewDecoder(bytes.NewReader([]byte(body)))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("SDMX-JSON: %v\n%.2000s", err, body)
	}
	st := m.Data.Structure
	if len(m.Data.DataSets) != 1 {
		t.Fatalf("%d data sets", len(m.Data.DataSets))
	}
	pick := func(c jsonComponent, idx string) string {
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= len(c.Values) {
			t.Fatalf("position %q of %s is not one of its %d values", idx, c.ID, len(c.Values))
		}
		return c.Values[i].ID
	}
	key := func(dims []jsonComponent, parts []string) string {
		if len(parts) != len(dims) {
			t.Fatalf("key %v has %d positions for %d dimensions", parts, len(parts), len(dims))
		}
		codes := make([]string, len(dims))
		for i, c := range dims {
			if c.KeyPosition == nil || *c.KeyPosition != i {
				t.Fatalf("dimension %s has keyPosition %v, want %d", c.ID, c.KeyPosition, i)
			}
			codes[i] = pick(c, parts[i])
		}
		return strings.Join(codes, ".")
	}
	obs := func(r *row, vals []*float64) {
		if len(vals) != 1+len(st.Attributes.Observation) {
			t.Fatalf("observation %v has %d entries for %d attributes", vals, len(vals), len(st.Attributes.Observation))
		}
		if vals[0] != nil {
			r.value = strconv.FormatFloat(*vals[0], 'f', -1, 64)
		}
		for i, a := range st.Attributes.Observation {
			if v := vals[i+1]; v != nil {
				at := a.Values[int(*v)]
				r.attrs[a.ID] = at.ID
				if at.ID == "" {
					r.attrs[a.ID] = at.Name
				}
			}
		}
	}
	var out []row
	ds := m.Data.DataSets[0]
	for k, s := range ds.Series {
		dims := st.Dimensions.Series
		r := row{key: key(dims, strings.Split(k, ":")), attrs: map[string]string{}}
		if len(s.Observations) == 0 {
			out = append(out, r)
		}
		for p, vals := range s.Observations {
			o := r
			o.attrs = map[string]string{}
			o.period = pick(st.Dimensions.Observation[0], p)
			obs(&o, vals)
			out = append(out, o)
		}
	}
	for k, vals := range ds.Observations {
		dims := st.Dimensions.Observation
		parts := strings.Split(k, ":")
		if len(parts) != len(dims) || dims[len(dims)-1].ID != stats.TimeDimension {
			t.Fatalf("flat key %s for the dimensions %v", k, dims)
		}
		r := row{key: key(dims[:len(dims)-1], parts[:len(parts)-1]), period: pick(dims[len(dims)-1], parts[len(parts)-1]), attrs: map[string]string{}}
		obs(&r, vals)
		out = append(out, r)
	}
	return m, out
}
