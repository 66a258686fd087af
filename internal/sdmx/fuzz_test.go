package sdmx

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// The fuzzers feed the parsers of queries what a client, a proxy or an
// attacker may send. Inputs that once failed, and others worth keeping,
// are in testdata/fuzz.

// checkError fails unless err is an SDMX error of one of the statuses.
func checkError(t *testing.T, err error, statuses ...int) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("%T %v is not an SDMX error", err, err)
	}
	if !slices.Contains(statuses, e.Status) || e.Text == "" {
		t.Fatalf("SDMX error %d (HTTP %d) %q, want one of %v", e.Code, e.Status, e.Text, statuses)
	}
}

func validCodes(t *testing.T, key [10][]string) {
	t.Helper()
	for i, codes := range key {
		for _, c := range codes {
			if c == "" || len(c) > 50 || strings.ContainsFunc(c, func(r rune) bool {
				return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
			}) {
				t.Fatalf("dimension %d: code %q", i, c)
			}
		}
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"", "all", "ALL", "A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB", "A.KEN+ITA.VIC_HOM.0101._T._T._T._T.CJ+PH.",
		"A.KEN ITA.VIC_HOM.0101._T._T._T._T.CJ.NB", ".........", "*.*.*.*.*.*.*.*.*.*", "A.KEN", "A..........",
		"A.+.+.+.+.+.+.+.+.+", "A.KEN++ITA.........", "A.K\u00e9N.........", "A.KEN%2BITA.........", "A.KEN\x00.........",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := stats.ParseKey(s)
		if err != nil {
			return
		}
		validCodes(t, k)
		if s != "" && s != "all" && s != "ALL" && strings.Count(s, ".") != len(stats.Dimensions)-1 {
			t.Fatalf("%q parsed, with %d dots", s, strings.Count(s, "."))
		}
		again, err := stats.ParseKey(stats.FormatKey(k))
		if err != nil {
			t.Fatalf("%q parsed as %v, written as %q, which does not parse: %v", s, k, stats.FormatKey(k), err)
		}
		for i := range k {
			if !slices.Equal(k[i], again[i]) {
				t.Fatalf("%q parsed as %v, written as %q, read back as %v", s, k, stats.FormatKey(k), again)
			}
		}
	})
}

func FuzzDataQuery(f *testing.F) {
	const key = "A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB"
	for _, s := range [][4]string{
		{"HOMICIDE", key, "all", "startPeriod=2010&endPeriod=2012"},
		{"UNODC,HOMICIDE,1.0", key, "UNODC", "lastNObservations=5&detail=dataonly"},
		{"UNODC,HOMICIDE", "all", "", "firstNObservations=1&dimensionAtObservation=AllDimensions"},
		{"all,HOMICIDE,latest", "", "UNODC,UNODC", "updatedAfter=2014-10-06T00:00:00 01:00"},
		{"HOMICIDE", key, "", "updatedAfter=2014-10-06"},
		{"HOMICIDE", key, "", "startPeriod=2013-13"},
		{"HOMICIDE", key, "", "startPeriod=2013-Q1&endPeriod=2012-S2"},
		{"HOMICIDE", key, "", "startPeriod=2013-01-01&endPeriod=2013-12-31"},
		{"HOMICIDE", key, "", "startPeriod=9999&endPeriod=1000"},
		{"HOMICIDE", key, "", "STARTPERIOD=2010&startPeriod=2011"},
		{"HOMICIDE", key, "", "detail=SeriesKeysOnly&format=csv"},
		{"HOMICIDE", key, "", "dimensionAtObservation=REF_AREA&includeHistory=true"},
		{"ECB,EXR,1.0", key, "ECB", "lastNObservations=-1"},
		{"A,B,C,D", key, "a,b,c", "firstNObservations=99999999999999999999"},
		{"HOM\u00c9", key, "", "updatedAfter=2014-02-30T25:61:00Z"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, flow, key, provider, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseDataQuery(flow, key, provider, v)
		if err != nil {
			checkError(t, err, http.StatusBadRequest, http.StatusNotFound, http.StatusNotImplemented)
			return
		}
		if !validID(q.flow) || strings.Contains(q.flow, ",") {
			t.Fatalf("flow %q", q.flow)
		}
		validCodes(t, q.key)
		if !q.start.IsZero() && !q.end.IsZero() && !q.end.End().After(q.start.Start()) {
			t.Fatalf("start %s after end %s", q.start, q.end)
		}
		if q.firstN < 0 || q.lastN < 0 {
			t.Fatalf("firstN %d lastN %d", q.firstN, q.lastN)
		}
		if !slices.Contains([]string{detailFull, detailDataOnly, detailSeriesKeysOnly, detailNoData}, q.detail) {
			t.Fatalf("detail %q", q.detail)
		}
		if q.dimAtObs != stats.TimeDimension && q.dimAtObs != allDimensions && stats.DimIndex(q.dimAtObs) < 0 {
			t.Fatalf("dimensionAtObservation %q", q.dimAtObs)
		}
		if !q.updatedAfter.IsZero() && q.updatedAfter.Location() != time.UTC {
			t.Fatalf("updatedAfter %v is not in UTC", q.updatedAfter)
		}
		for _, f := range dataFormats {
			if err := checkShape(q, f); err != nil {
				checkError(t, err, http.StatusBadRequest, http.StatusNotImplemented)
			}
		}
	})
}

func FuzzStructureQuery(f *testing.F) {
	for _, s := range [][6]string{
		{"dataflow", "", "", "", "", ""},
		{"dataflow", "UNODC", "HOMICIDE", "latest", "", "references=all"},
		{"datastructure", "all", "CRIME", "1.0", "", "references=children&detail=referencestubs"},
		{"codelist", "UNODC", "CL_SEX+CL_AGE", "1.0", "F+M", "references=parentsandsiblings"},
		{"conceptscheme", "UNODC", "CS_CRIME", "latest", "TIME_PERIOD", "detail=allcompletestubs"},
		{"structure", "ALL", "ALL", "ALL", "", "references=codelist"},
		{"categoryscheme", "", "", "", "", ""},
		{"data", "HOMICIDE", "", "", "", ""},
		{"dataflow", "UNODC", "HOMICIDE", "1.0", "KEN", "references=bogus"},
		{"codelist", "UNODC", "CL_AREA", "2.0+1.0", "", "detail=referencepartial"},
		{"codelist", "+", " ", "all+x", "", "format=csv"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	cat := catalogue{
		flows: []stats.Dataflow{{ID: "HOMICIDE", Name: "Homicide"}, {ID: "VICTIMS", Name: "Victims"}},
		lists: []stats.Codelist{{ID: "CL_SEX", Name: "Sex", Codes: []stats.Code{{ID: "F", Name: "Female"}, {ID: "M", Name: "Male"}}},
			{ID: "CL_AREA", Name: "Area", Codes: []stats.Code{{ID: "001", Name: "World"}, {ID: "KEN", Name: "Kenya", Parent: "001"}}}},
	}
	f.Fuzz(func(t *testing.T, resource, agency, id, version, item, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseStructureQuery(resource, agency, id, version, item, v)
		if err != nil {
			checkError(t, err, http.StatusBadRequest, http.StatusNotFound, http.StatusNotImplemented)
			return
		}
		if !structureResources[q.resource] {
			t.Fatalf("resource %q accepted", q.resource)
		}
		for _, list := range [][]string{q.agencies, q.ids, q.versions, q.items} {
			for _, s := range list {
				if !validID(s) {
					t.Fatalf("identifier %q", s)
				}
			}
		}
		arts, err := cat.resolve(q)
		if err != nil {
			checkError(t, err, http.StatusNotFound)
			return
		}
		if len(arts) == 0 {
			t.Fatal("no artefacts and no error")
		}
	})
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"*/*", ""}, {"application/xml", ""}, {"text/html, application/xml;q=0.9, */*;q=0.8", ""},
		{"application/vnd.sdmx.data+csv;version=1.0.0;labels=both", ""}, {"application/vnd.sdmx.genericdata+xml;q=0, */*", ""},
		{"application/json;q=1.5", ""}, {";;,,/", ""}, {"text/html", "csv"}, {"", "xlsx"}, {"a/b;q=0.\u0000", "STRUCTURE"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, accept, formatParam string) {
		r, err := http.NewRequest(http.MethodGet, "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Accept", accept)
		for _, offered := range [][]format{dataFormats, structureFormats} {
			c, err := negotiate(r, offered, formatParam)
			if err != nil {
				checkError(t, err, http.StatusBadRequest, http.StatusNotAcceptable)
				continue
			}
			if !slices.Contains(offered, c.format) || c.labels && c.format != fmtCSV {
				t.Fatalf("Accept %q format %q: %v", accept, formatParam, c)
			}
		}
	})
}

func TestParseDateTime(t *testing.T) {
	for in, want := range map[string]string{
		"2014-10-06T00:00:00Z":            "2014-10-06T00:00:00Z",
		"2014-10-06T02:00:00+02:00":       "2014-10-06T00:00:00Z",
		"2014-10-06T02:00:00 02:00":       "2014-10-06T00:00:00Z",
		"2014-10-06T00:00:00.123456789Z":  "2014-10-06T00:00:00.123456789Z",
		"2014-10-06T00:00:00":             "2014-10-06T00:00:00Z",
		"2014-10-06T00:00":                "2014-10-06T00:00:00Z",
		"2014-10-06":                      "2014-10-06T00:00:00Z",
		"2014-10-06T00:00:00-05:00":       "2014-10-06T05:00:00Z",
		"2014-02-30T00:00:00Z":            "",
		"yesterday":                       "",
		"2014-10-06T00:00:00 02:00 extra": "",
		"20141006T000000Z":                "",
	} {
		got, _, err := parseDateTime("updatedAfter", in)
		switch {
		case want == "" && err == nil:
			t.Errorf("%q read as %v", in, got)
		case want == "":
		case err != nil:
			t.Errorf("%q: %v", in, err)
		case got.Format(time.RFC3339Nano) != want:
			t.Errorf("%q read as %s, want %s", in, got.Format(time.RFC3339Nano), want)
		}
	}
}
