package stats

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/fail"
)

func viewStructure() *Structure {
	return NewStructure([]Codelist{
		{ID: "CL_AREA", Codes: []Code{{ID: "KEN"}, {ID: "FRA"}, {ID: "002"}}},
		{ID: "CL_SEX", Codes: []Code{{ID: "F"}, {ID: "M"}, {ID: "_T"}}},
		{ID: "CL_UNIT_MEASURE", Codes: []Code{{ID: "NB"}, {ID: "RT100K"}}},
	}, []Dataflow{{ID: "HOMICIDE"}})
}

func TestParseView(t *testing.T) {
	s := viewStructure()
	q, _ := url.ParseQuery("flow=HOMICIDE&area=KEN,%20FRA&area=002&area=KEN&sex=F&unit=RT100K&start=2003&end=2012&format=csv")
	v, err := ParseView(q, s)
	if err != nil {
		t.Fatal(err)
	}
	want := View{Flow: "HOMICIDE", Start: year(2003), End: year(2012)}
	want.Key[1] = []string{"KEN", "FRA", "002"}
	want.Key[4] = []string{"F"}
	want.Key[9] = []string{"RT100K"}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %+v\nwant %+v", v, want)
	}
	// The URL form reads back as the same view.
	back, err := ParseView(v.Values(), s)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if got := v.Values().Encode(); got != "area=KEN%2CFRA%2C002&end=2012&flow=HOMICIDE&sex=F&start=2003&unit=RT100K" {
		t.Errorf("Values: %s", got)
	}
	qu := v.Query([]string{"KEN"})
	if qu.Flow != "HOMICIDE" || !reflect.DeepEqual(qu.Key[1], []string{"KEN"}) || qu.Key[4][0] != "F" || qu.Start != year(2003) {
		t.Errorf("Query: %+v", qu)
	}

	// The span: a start on the first day of a year is the year, whose own
	// value begins then too; an end need only end after the start begins.
	for _, tc := range []struct {
		query      string
		start, end Period
	}{
		{"start=2010-01", year(2010), Period{}},
		{"start=2010-Q1", year(2010), Period{}},
		{"start=2010-S1", year(2010), Period{}},
		{"start=2010-01-01&end=2010-Q4", year(2010), Period{Year: 2010, Sub: 4, Kind: 'Q'}},
		{"start=2010-Q2", Period{Year: 2010, Sub: 2, Kind: 'Q'}, Period{}},
		{"start=2012-Q3&end=2012", Period{Year: 2012, Sub: 3, Kind: 'Q'}, year(2012)},
		{"start=2012&end=2012-Q1", year(2012), Period{Year: 2012, Sub: 1, Kind: 'Q'}},
		{"end=2012-06", Period{}, Period{Year: 2012, Sub: 6, Kind: 'M'}},
	} {
		q, _ := url.ParseQuery("flow=HOMICIDE&" + tc.query)
		v, err := ParseView(q, s)
		if err != nil || v.Start != tc.start || v.End != tc.end {
			t.Errorf("%s: %s to %s, %v; want %s to %s", tc.query, v.Start, v.End, err, tc.start, tc.end)
		}
	}

	for _, tc := range []struct{ query, field string }{
		{"", "flow"},
		{"flow=NOPE", "flow"},
		{"flow=HOMICIDE&area=XXX", "area"},
		{"flow=HOMICIDE&sex=f", "sex"},
		{"flow=HOMICIDE&start=2013-13", "start"},
		{"flow=HOMICIDE&end=last", "end"},
		{"flow=HOMICIDE&start=2012&end=2003", "end"},
		{"flow=HOMICIDE&start=2012-Q3&end=2012-Q2", "end"},
		{"flow=HOMICIDE&start=2013-Q1&end=2012-S2", "end"},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := ParseView(q, s)
		if e := fail.As(err); e == nil || e.Kind != fail.Invalid || e.Field != tc.field {
			t.Errorf("%q: %v, want an invalid %s", tc.query, err, tc.field)
		}
	}
}

func TestParseSpan(t *testing.T) {
	for _, tc := range []struct {
		start, end string
		want       string // "start end", or the bound at fault
	}{
		{"", "", " "},
		{"2010", "", "2010 "},
		{"2010-01", "2010-06", "2010 2010-06"},
		{"2010-S2", "2010", "2010-S2 2010"},
		{"2010-07", "2010-S2", "2010-07 2010-S2"},
		{"2010-13", "", "start"},
		{"", "2010-Q5", "end"},
		{"2011", "2010", "end"},
		{"2010-S2", "2010-Q2", "end"},
	} {
		from, to, err := ParseSpan(tc.start, tc.end)
		got := from.String() + " " + to.String()
		if e, ok := err.(*SpanError); ok {
			got = "start"
			if e.End {
				got = "end"
			}
		} else if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("ParseSpan(%q, %q) = %s, want %s", tc.start, tc.end, got, tc.want)
		}
	}
}

func TestDimensionPositions(t *testing.T) {
	for i, id := range map[int]string{DimFreq: "FREQ", DimArea: "REF_AREA", DimIndicator: "INDICATOR", DimICCS: "ICCS", DimSex: "SEX", DimAge: "AGE",
		DimRelationship: "RELATIONSHIP", DimCyber: "CYBER", DimSourceType: "SOURCE_TYPE", DimUnit: "UNIT_MEASURE"} {
		if DimIndex(id) != i {
			t.Errorf("%s is at %d, not %d", id, DimIndex(id), i)
		}
	}
	if len(Dimensions) != len(Key{}) || len(ViewParams) != len(Key{}) {
		t.Errorf("%d dimensions, %d view parameters, keys of %d", len(Dimensions), len(ViewParams), len(Key{}))
	}
}

func TestKeyJSON(t *testing.T) {
	k := Key{"A", "KEN", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"}
	b, err := json.Marshal(struct {
		Key Key `json:"key"`
	}{k})
	if err != nil || !strings.Contains(string(b), `"REF_AREA":"KEN"`) || !strings.Contains(string(b), `"UNIT_MEASURE":"NB"`) {
		t.Fatalf("%s, %v", b, err)
	}
	var back struct {
		Key Key `json:"key"`
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Key != k {
		t.Errorf("read back %v, %v", back.Key, err)
	}
}
