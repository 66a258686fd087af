package sdmx_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// dataFormat is a representation of data: how a client asks for it, and
// what the answer is.
type dataFormat struct {
	name       string // value of the format parameter
	accept     string // the Accept header that asks for it
	root       string // root element, for SDMX-ML
	timeSeries bool   // only with time at the observation level
}

var dataFormats = []dataFormat{
	{"genericdata", "application/vnd.sdmx.genericdata+xml;version=2.1", "GenericData", false},
	{"structurespecificdata", "application/vnd.sdmx.structurespecificdata+xml;version=2.1", "StructureSpecificData", false},
	{"generictimeseriesdata", "application/vnd.sdmx.generictimeseriesdata+xml;version=2.1", "GenericTimeSeriesData", true},
	{"structurespecifictimeseriesdata", "application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1", "StructureSpecificTimeSeriesData", true},
	{"csv", "application/vnd.sdmx.data+csv;version=1.0.0", "", false},
	{"jsondata", "application/vnd.sdmx.data+json;version=1.0.0", "", false},
}

// read reads the rows of an answer, and checks the message's header.
func (f dataFormat) read(t *testing.T, r response, flow, dimAtObs string, withObs, withAttrs bool) []row {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r)
	}
	if ct := r.header.Get("Content-Type"); ct != f.accept {
		t.Fatalf("Content-Type %q, want %q", ct, f.accept)
	}
	checkHeader := func(h msgHeader) {
		t.Helper()
		if h.Sender.ID != stats.Agency || h.Test != "false" || !strings.HasPrefix(h.ID, "IREF") {
			t.Errorf("header: sender %q, test %q, ID %q", h.Sender.ID, h.Test, h.ID)
		}
		if _, err := time.Parse(time.RFC3339, h.Prepared); err != nil {
			t.Errorf("header: Prepared %q: %v", h.Prepared, err)
		}
		ref := h.Structure.Ref
		if h.Structure.ID != stats.DSDID || ref.Agency != stats.Agency || ref.ID != stats.DSDID || ref.Version != stats.Version || h.Structure.DimAtObs != dimAtObs {
			t.Errorf("header structure %+v", h.Structure)
		}
	}
	switch f.name {
	case "genericdata", "generictimeseriesdata":
		checkNamespaces(t, r.body, f.root, nsGeneric)
		h, rows := readGeneric(t, r.body)
		checkHeader(h)
		return rows
	case "structurespecificdata", "structurespecifictimeseriesdata":
		checkNamespaces(t, r.body, f.root, nsSpecific)
		h, rows := readSpecific(t, r.body)
		checkHeader(h)
		if want := "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=UNODC:CRIME(1.0):ObsLevelDim:" + dimAtObs; h.Structure.Namespace != want {
			t.Errorf("structure namespace %q, want %q", h.Structure.Namespace, want)
		}
		return rows
	case "csv":
		return readSDMXCSV(t, r.body, flow, withObs, withAttrs)
	}
	m, rows := readJSON(t, r.body)
	if m.Meta.Sender.ID != stats.Agency || !strings.HasPrefix(m.Meta.ID, "IREF") || m.Data.DataSets[0].Action != "Information" {
		t.Errorf("SDMX-JSON meta %+v, action %q", m.Meta, m.Data.DataSets[0].Action)
	}
	return rows
}

// homicideKey selects criminal-justice and public-health homicide figures
// of three countries, among them San Marino's missing 2012 count.
const homicideKey = "A.KEN+ITA+SMR.VIC_HOM.0101._T._T._T._T.CJ+PH."

func homicideQuery(t *testing.T) stats.Query {
	q := query(t, "HOMICIDE", homicideKey)
	q.Start = stats.Period{Year: 2008, Kind: 'A'}
	return q
}

func TestDataFormats(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		obs := observations(t, db, homicideQuery(t))
		missing := slices.IndexFunc(obs, func(o stats.Observation) bool { return o.Value == nil && o.Comment != "" })
		if len(obs) < 20 || missing < 0 {
			t.Fatalf("the query selects %d observations (missing with a comment: %v): the test data changed", len(obs), missing >= 0)
		}
		for _, f := range dataFormats {
			for _, dim := range []string{stats.TimeDimension, "AllDimensions"} {
				if f.timeSeries && dim != stats.TimeDimension {
					continue
				}
				for _, detail := range []string{"full", "dataonly"} {
					for _, via := range []string{"format", "Accept"} {
						t.Run(f.name+"/"+dim+"/"+detail+"/"+via, func(t *testing.T) {
							path := "/data/HOMICIDE/" + homicideKey + "/all?startPeriod=2008&dimensionAtObservation=" + dim + "&detail=" + detail
							var r response
							if via == "format" {
								r = h.get(t, path+"&format="+f.name)
							} else {
								r = h.get(t, path, "Accept", f.accept)
							}
							got := f.read(t, r, "HOMICIDE", dim, true, detail == "full")
							sameRows(t, got, rowsOf(obs, detail == "full"), f.name != "jsondata")
							checkCaching(t, r, true)
						})
					}
				}
			}
		}
	})
}

// checkCaching checks the validators and caching headers of an answer.
func checkCaching(t *testing.T, r response, data bool) {
	t.Helper()
	if etag := r.header.Get("ETag"); !strings.HasPrefix(etag, `W/"`) {
		t.Errorf("ETag %q", etag)
	}
	if lm := r.header.Get("Last-Modified"); data {
		if _, err := http.ParseTime(lm); err != nil {
			t.Errorf("Last-Modified %q: %v", lm, err)
		}
	}
	if !strings.Contains(r.header.Get("Vary"), "Accept") || !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
		t.Errorf("Vary %q, Cache-Control %q", r.header.Get("Vary"), r.header.Get("Cache-Control"))
	}
}

func TestDataWithoutObservations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		want := seriesOf(observations(t, db, homicideQuery(t)))
		for _, f := range dataFormats {
			for _, detail := range []string{"serieskeysonly", "nodata"} {
				t.Run(f.name+"/"+detail, func(t *testing.T) {
					r := h.get(t, "/data/HOMICIDE/"+homicideKey+"?startPeriod=2008&detail="+detail+"&format="+f.name)
					got := f.read(t, r, "HOMICIDE", stats.TimeDimension, false, false)
					sameRows(t, got, want, f.name != "jsondata")
				})
			}
		}
	})
}

func TestDataSelection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		base := homicideQuery(t)
		base.Start = stats.Period{}
		with := func(f func(q *stats.Query)) stats.Query {
			q := base
			f(&q)
			return q
		}
		year := func(y int) stats.Period { return stats.Period{Year: y, Kind: 'A'} }
		for _, tc := range []struct {
			name, path string
			want       stats.Query
		}{
			{"lastNObservations", "/data/HOMICIDE/" + homicideKey + "?lastNObservations=2", with(func(q *stats.Query) { q.LastN = 2 })},
			{"firstNObservations", "/data/HOMICIDE/" + homicideKey + "?firstNObservations=3", with(func(q *stats.Query) { q.FirstN = 3 })},
			{"first and last", "/data/HOMICIDE/" + homicideKey + "?firstNObservations=1&lastNObservations=1", with(func(q *stats.Query) { q.FirstN, q.LastN = 1, 1 })},
			{"last within periods", "/data/HOMICIDE/" + homicideKey + "?lastNObservations=2&endPeriod=2010", with(func(q *stats.Query) { q.LastN, q.End = 2, year(2010) })},
			{"start and end", "/data/HOMICIDE/" + homicideKey + "?startPeriod=2005&endPeriod=2007", with(func(q *stats.Query) { q.Start, q.End = year(2005), year(2007) })},
			{"end only", "/data/HOMICIDE/" + homicideKey + "?endPeriod=2002", with(func(q *stats.Query) { q.End = year(2002) })},
			{"start as a date", "/data/HOMICIDE/" + homicideKey + "?startPeriod=2011-01-01", with(func(q *stats.Query) { q.Start = year(2011) })},
			{"start as a quarter", "/data/HOMICIDE/" + homicideKey + "?startPeriod=2011-Q1", with(func(q *stats.Query) { q.Start = year(2011) })},
			{"end as a date", "/data/HOMICIDE/" + homicideKey + "?endPeriod=2001-12-31", with(func(q *stats.Query) { q.End = year(2001) })},
			{"parameters in any case", "/data/HOMICIDE/" + homicideKey + "?STARTPERIOD=2011&lastnobservations=1", with(func(q *stats.Query) { q.Start, q.LastN = year(2011), 1 })},
			{"unknown parameters ignored", "/data/HOMICIDE/" + homicideKey + "?startPeriod=2012&_=12345", with(func(q *stats.Query) { q.Start = year(2012) })},
			{"updated after long ago", "/data/HOMICIDE/" + homicideKey + "?updatedAfter=2000-01-01T00:00:00Z", base},
			{"updated after, zone as a space", "/data/HOMICIDE/" + homicideKey + "?updatedAfter=2000-01-01T00:00:00+01:00", base},
			{"full flowRef", "/data/UNODC,HOMICIDE,1.0/" + homicideKey + "/all", base},
			{"agency and id", "/data/UNODC,HOMICIDE/" + homicideKey + "/UNODC", base},
			{"all and latest", "/data/all,HOMICIDE,latest/" + homicideKey + "/UNODC,UNODC", base},
			{"trailing slash", "/data/HOMICIDE/" + homicideKey + "/all/", base},
			{"plus encoded", "/data/HOMICIDE/" + strings.ReplaceAll(homicideKey, "+", "%2B"), base},
			{"plus as a space", "/data/HOMICIDE/" + strings.ReplaceAll(homicideKey, "+", "%20"), base},
			{"wildcards as stars", "/data/HOMICIDE/A.KEN+ITA+SMR.*.*._T._T._T._T.CJ+PH.*", base},
			{"an unknown code among known ones", "/data/HOMICIDE/A.KEN+ITA+SMR+XXX.VIC_HOM.0101._T._T._T._T.CJ+PH.", base},
			{"key all", "/data/HOMICIDE/all/all?startPeriod=2012&endPeriod=2012", stats.Query{Flow: "HOMICIDE", Start: year(2012), End: year(2012)}},
			{"no key", "/data/HOMICIDE?startPeriod=2012", stats.Query{Flow: "HOMICIDE", Start: year(2012)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := h.get(t, tc.path+sep(tc.path)+"format=csv")
				got := dataFormats[4].read(t, r, "HOMICIDE", stats.TimeDimension, true, true)
				want := rowsOf(observations(t, db, tc.want), true)
				if len(want) == 0 {
					t.Fatal("the store has nothing for the query: the test checks nothing")
				}
				sameRows(t, got, want, true)
			})
		}
	})
}

// sep is what joins another parameter to a path.
func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// TestDataRevisions ingests a dataflow of its own, revises it, and reads
// what changed after a time, and the values with the characters that
// each representation must escape.
func TestDataRevisions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		by := access.System("sdmx test")
		if err := db.PutDataflow(ctx, by, stats.Dataflow{ID: "SDMXTEST", Name: "Test <flow> & \"quotes\"", Source: "cpcj tests"}); err != nil {
			t.Fatal(err)
		}
		key := func(area, unit string) stats.Key {
			return stats.Key{"A", area, "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", unit}
		}
		num := func(v float64) *float64 { return &v }
		first := []stats.Observation{
			{Key: key("KEN", "NB"), Period: stats.Period{Year: 2010, Kind: 'A'}, Value: num(1), Status: "A", Source: "national police"},
			{Key: key("KEN", "NB"), Period: stats.Period{Year: 2011, Kind: 'A'}, Value: num(123456789012345678901), Status: "E", Source: "estimate & <guess>",
				Comment: "line one\nline \"two\"\ttabbed; Côte d’Ivoire, 殺人, \x01control"},
			{Key: key("KEN", "RT100K"), Period: stats.Period{Year: 2010, Kind: 'A'}, Value: num(0.1 + 0.2), Status: "A", Derived: "C"},
			{Key: key("KEN", "RT100K"), Period: stats.Period{Year: 2011, Kind: 'A'}, Value: num(-0.000001), Status: "A"},
			{Key: key("ITA", "NB"), Period: stats.Period{Year: 2010, Kind: 'A'}, Status: "M", Comment: "not reported"},
		}
		t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return t0 })
		if _, err := db.Ingest(ctx, by, "SDMXTEST", first, "first"); err != nil {
			t.Fatal(err)
		}
		before := h.get(t, "/data/SDMXTEST")
		t1 := t0.AddDate(1, 0, 0)
		db.SetClock(func() time.Time { return t1 })
		revised := []stats.Observation{first[0], first[1], first[2], first[3], first[4]}
		revised[0].Value = num(2)
		revised[4] = stats.Observation{Key: key("ITA", "NB"), Period: stats.Period{Year: 2010, Kind: 'A'}, Value: num(529), Status: "A"}
		if _, err := db.Ingest(ctx, by, "SDMXTEST", revised, "revision"); err != nil {
			t.Fatal(err)
		}
		db.SetClock(time.Now)

		all := observations(t, db, stats.Query{Flow: "SDMXTEST"})
		changed := observations(t, db, stats.Query{Flow: "SDMXTEST", UpdatedAfter: t0.AddDate(0, 6, 0)})
		if len(all) != 5 || len(changed) != 2 {
			t.Fatalf("the store has %d observations, %d changed", len(all), len(changed))
		}
		asOf := observations(t, db, stats.Query{Flow: "SDMXTEST", AsOf: t0.AddDate(0, 6, 0)})
		if len(asOf) != 5 || asOf[0].Value != nil || *asOf[1].Value != 1 { // ITA missing; KEN 2010 before its revision
			t.Fatalf("the store as of before the revision: %v", asOf)
		}
		for _, f := range dataFormats {
			t.Run(f.name, func(t *testing.T) {
				rows := func(obs []stats.Observation) []row {
					want := rowsOf(obs, true)
					if strings.HasSuffix(f.root, "Data") {
						// XML cannot carry the control character.
						for i := range want {
							if c, ok := want[i].attrs["COMMENT"]; ok {
								want[i].attrs["COMMENT"] = strings.ReplaceAll(c, "\x01", "\uFFFD")
							}
						}
					}
					return want
				}
				r := h.get(t, "/data/SDMXTEST/all/all?format="+f.name)
				sameRows(t, f.read(t, r, "SDMXTEST", stats.TimeDimension, true, true), rows(all), f.name != "jsondata")

				// The figures as published before the revision, by a
				// date (its whole day) and by a time.
				for _, at := range []string{"2020-06-30", "2020-12-31T23:59:59Z"} {
					r = h.get(t, "/data/SDMXTEST/all/all?asOf="+at+"&format="+f.name)
					sameRows(t, f.read(t, r, "SDMXTEST", stats.TimeDimension, true, true), rows(asOf), f.name != "jsondata")
				}
				r = h.get(t, "/data/SDMXTEST/all/all?asOf=2021-01-01&format="+f.name)
				sameRows(t, f.read(t, r, "SDMXTEST", stats.TimeDimension, true, true), rows(all), f.name != "jsondata")

				r = h.get(t, "/data/SDMXTEST?updatedAfter=2020-07-01T00:00:00Z&format="+f.name)
				got := f.read(t, r, "SDMXTEST", stats.TimeDimension, true, true)
				if len(got) != 2 {
					t.Errorf("updatedAfter: %d observations, want the 2 revised\n%v", len(got), got)
				}
				// The revision is in the past: Last-Modified is the later
				// of it and the server's start.
				if lm, err := http.ParseTime(r.header.Get("Last-Modified")); err != nil || lm.Before(t1) {
					t.Errorf("Last-Modified %q (%v), want no earlier than the revision's time %s", r.header.Get("Last-Modified"), err, t1.Format(http.TimeFormat))
				}
			})
		}
		// The revision changed the answer, and with it the ETag.
		after := h.get(t, "/data/SDMXTEST")
		if before.header.Get("ETag") == after.header.Get("ETag") || before.body == after.body {
			t.Errorf("the ETag %s did not change with a revision", after.header.Get("ETag"))
		}
		r := h.get(t, "/data/SDMXTEST?updatedAfter=2021-01-02")
		checkError(t, r, http.StatusNotFound, 100, "No results found")
		// Before the first import there was nothing.
		r = h.get(t, "/data/SDMXTEST?asOf=2019-12-31")
		checkError(t, r, http.StatusNotFound, 100, "No results found")
	})
}

// TestDataLarge reads a whole dataflow, tens of thousands of observations,
// in the representations that stream it.
func TestDataLarge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		obs := observations(t, db, stats.Query{Flow: "OFFENCES"})
		if len(obs) < 10000 {
			t.Fatalf("OFFENCES has %d observations; the test wants a large dataflow", len(obs))
		}
		want := rowsOf(obs, true)
		for _, f := range []dataFormat{dataFormats[1], dataFormats[4], dataFormats[5]} {
			t.Run(f.name, func(t *testing.T) {
				r := h.get(t, "/data/OFFENCES/all/all?format="+f.name)
				sameRows(t, f.read(t, r, "OFFENCES", stats.TimeDimension, true, true), want, f.name != "jsondata")
			})
		}
	})
}

func TestDataHead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	req, _ := http.NewRequest(http.MethodHead, h.ts.URL+"/sdmx/rest/data/HOMICIDE/"+url.PathEscape("A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB"), nil)
	r := h.do(t, req)
	if r.status != http.StatusOK || r.body != "" || r.header.Get("Content-Type") != dataFormats[0].accept || r.header.Get("ETag") == "" {
		t.Errorf("HEAD: %s %v", r, r.header)
	}
}

// TestDataValueText checks that values are written in full, without
// exponents, and read back as the same numbers.
func TestDataValueText(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	h := newHarness(t, db)
	r := h.get(t, "/data/POPULATION/A.CHN+IND.POP._Z._T._T._Z._Z._Z.PS?format=csv")
	rows := dataFormats[4].read(t, r, "POPULATION", stats.TimeDimension, true, true)
	for _, row := range rows {
		if strings.ContainsAny(row.value, "eE") {
			t.Errorf("%s: %s", row.key, row.value)
		}
		if _, err := strconv.ParseFloat(row.value, 64); err != nil {
			t.Errorf("%s: %v", row.key, err)
		}
	}
	if len(rows) == 0 {
		t.Fatal("no population of China and India")
	}
}

// TestCSVLabels asks for SDMX-CSV with the names of codes and components.
func TestCSVLabels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	r := h.get(t, "/data/HOMICIDE/A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB?startPeriod=2012", "Accept", "application/vnd.sdmx.data+csv;version=1.0.0;labels=both")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.sdmx.data+csv;version=1.0.0" {
		t.Fatalf("%s", r)
	}
	want := "DATAFLOW,FREQ: Frequency,REF_AREA: Reference area,INDICATOR: Indicator,ICCS: Crime category (ICCS),SEX: Sex,AGE: Age," +
		"RELATIONSHIP: Relationship to the perpetrator,CYBER: Cyber-related,SOURCE_TYPE: Type of source,UNIT_MEASURE: Unit of measure," +
		"TIME_PERIOD: Time period,OBS_VALUE: Observation value,OBS_STATUS: Observation status,SOURCE_DETAIL: Source,COMMENT: Comment,DERIVATION: Derivation\r\n" +
		"UNODC:HOMICIDE(1.0): Victims of intentional homicide,A: Annual,KEN: Kenya,VIC_HOM: Victims of intentional homicide,0101: Intentional homicide," +
		`_T: Total,_T: Total,_T: Total,"_T: Total, cyber-related or not",CJ: Criminal justice,NB: Number,2012,2761,A: Normal value,CTS,,` + "\r\n"
	if r.body != want {
		t.Errorf("got\n%q\nwant\n%q", r.body, want)
	}
}

// TestJSONStructure checks that SDMX-JSON lists the values of each
// dimension in the order of its code list, and the periods in time order.
func TestJSONStructure(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	h := newHarness(t, db)
	m, _ := readJSON(t, h.get(t, "/data/HOMICIDE/A.ZAF+KEN+ITA.VIC_HOM.0101._T._T._T._T.CJ+PH.?format=jsondata").body)
	lists, err := db.Codelists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	position := map[string]map[string]int{}
	for _, l := range lists {
		position[l.ID] = map[string]int{}
		for i, c := range l.Codes {
			position[l.ID][c.ID] = i
		}
	}
	st := m.Data.Structure
	if len(st.Dimensions.Series) != len(stats.Dimensions) || len(st.Dimensions.Observation) != 1 {
		t.Fatalf("dimensions %+v", st.Dimensions)
	}
	for i, d := range st.Dimensions.Series {
		cl := stats.Dimensions[i].Codelist
		for j := 1; j < len(d.Values); j++ {
			if position[cl][d.Values[j-1].ID] > position[cl][d.Values[j].ID] {
				t.Errorf("%s: %s listed before %s", d.ID, d.Values[j-1].ID, d.Values[j].ID)
			}
		}
		for _, v := range d.Values {
			if _, ok := position[cl][v.ID]; !ok || v.Name == "" {
				t.Errorf("%s: value %+v", d.ID, v)
			}
		}
	}
	periods := st.Dimensions.Observation[0]
	if periods.ID != stats.TimeDimension || periods.Role != "time" || len(periods.Values) < 10 {
		t.Fatalf("time dimension %+v", periods)
	}
	for j, v := range periods.Values {
		if j > 0 && periods.Values[j-1].ID >= v.ID || v.Start != v.ID+"-01-01T00:00:00Z" || v.End != v.ID+"-12-31T23:59:59Z" {
			t.Errorf("period %d: %+v", j, v)
		}
	}
}

// TestFirstLastObservations checks firstNObservations and
// lastNObservations against the series the store holds in full.
func TestFirstLastObservations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		all := observations(t, db, query(t, "HOMICIDE", homicideKey))
		for _, tc := range []struct{ first, last int }{{1, 0}, {3, 0}, {0, 1}, {0, 4}, {2, 2}, {100, 0}, {0, 100}, {7, 7}} {
			var want []stats.Observation
			for i := 0; i < len(all); {
				j := i
				for j < len(all) && all[j].Key == all[i].Key {
					j++
				}
				for k := i; k < j; k++ {
					if k-i < tc.first || j-k <= tc.last {
						want = append(want, all[k])
					}
				}
				i = j
			}
			path := "/data/HOMICIDE/" + homicideKey + "?format=csv"
			if tc.first > 0 {
				path += "&firstNObservations=" + strconv.Itoa(tc.first)
			}
			if tc.last > 0 {
				path += "&lastNObservations=" + strconv.Itoa(tc.last)
			}
			got := dataFormats[4].read(t, h.get(t, path), "HOMICIDE", stats.TimeDimension, true, true)
			sameRows(t, got, rowsOf(want, true), true)
		}
	})
}
