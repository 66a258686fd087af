package server_test

import (
	"context"
	"encoding/csv"
	"math"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// The figures below are read by hand from the shipped files under
// data/crime-stats: the GSH 2013 table for Kenya and the Philippines, the
// UN-CTS serious assaults of 2018 and the World Bank population of 2018.

// kenyaHomicides are Kenya's criminal-justice homicide counts, 2004–2012.
var kenyaHomicides = []string{"1395", "1260", "1286", "1281", "1413", "2218", "2239", "2641", "2761"}

// Serious assaults (ICCS 020111) recorded in 2018, by region: the members
// that reported, their sum, and the rate over the population of those that
// reported; the share is their population over the region's.
var assaults2018 = []struct {
	area      string
	members   int
	reporting []string
	count     float64
	share     float64 // reporting population / all members' population
	rate      float64
}{
	// Monaco did not report: 196,667,108 of 196,705,790 people.
	{"155", 9, []string{"AUT", "BEL", "CHE", "DEU", "FRA", "LIE", "LUX", "NLD"},
		3711 + 64507 + 585 + 136727 + 299709 + 79 + 611 + 4580, 196667108.0 / 196705790, 510509 / 196667108.0 * 100000},
	// Algeria (42,228,415 people) and Morocco (36,029,089) of six.
	{"015", 6, []string{"DZA", "MAR"}, 15643 + 111328, 78257504.0 / 236726406, 126971 / 78257504.0 * 100000},
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// exploration is the answer of GET /api/v1/stats/explore as a client reads
// it.
type exploration struct {
	Query        string   `json:"query"`
	Periods      []string `json:"periods"`
	SeriesTotal  int      `json:"series_total"`
	Observations int      `json:"observations"`
	Cells        int      `json:"cells"`
	Truncated    bool     `json:"truncated"`
	Series       []struct {
		ID        string            `json:"id"`
		Key       map[string]string `json:"key"`
		Label     string            `json:"label"`
		Area      string            `json:"area"`
		AreaName  string            `json:"area_name"`
		Aggregate bool              `json:"aggregate"`
		Points    []struct {
			Period   string   `json:"period"`
			Value    *float64 `json:"value"`
			Status   string   `json:"obs_status"`
			Derived  string   `json:"derivation"`
			Comment  string   `json:"comment"`
			Coverage *struct {
				Members         int      `json:"members"`
				Reporting       []string `json:"reporting"`
				PopulationShare float64  `json:"population_share"`
			} `json:"coverage"`
		} `json:"points"`
		Trend struct {
			From     string                      `json:"from"`
			To       string                      `json:"to"`
			Change   *struct{ Absolute float64 } `json:"change"`
			Refusals []string                    `json:"refusals"`
		} `json:"trend"`
		Provenance struct {
			Source   string `json:"source"`
			Computed string `json:"computed"`
		} `json:"provenance"`
	} `json:"series"`
	Provenance []struct {
		Flow     string `json:"flow"`
		Source   string `json:"source"`
		Licence  string `json:"licence"`
		DataAsOf string `json:"data_as_of"`
		Computed string `json:"computed"`
	} `json:"provenance"`
	Names map[string]map[string]string `json:"names"`
}

// observationPage is a page of GET /api/v1/stats/observations.
type observationPage struct {
	Items []struct {
		Key     map[string]string `json:"key"`
		Period  string            `json:"period"`
		Value   *float64          `json:"value"`
		Status  string            `json:"obs_status"`
		Source  string            `json:"source"`
		Comment string            `json:"comment"`
		Derived string            `json:"derivation"`
	} `json:"items"`
	Total int    `json:"total"`
	Next  string `json:"next"`
}

func TestStatsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)

		t.Run("dataflows", func(t *testing.T) {
			var list struct {
				Items []struct {
					ID           string `json:"id"`
					Source       string `json:"source"`
					SourceURL    string `json:"source_url"`
					Licence      string `json:"licence"`
					DataAsOf     string `json:"data_as_of"`
					UpdatedAt    string `json:"updated_at"`
					Observations int    `json:"observations"`
				} `json:"items"`
				Total int `json:"total"`
			}
			decodeJSON(t, h.get(t, "/api/v1/stats/dataflows", nil), http.StatusOK, &list)
			want := map[string]int{"HOMICIDE": 3210, "OFFENCES": 40448, "VICTIMS": 6266, "POPULATION": 6963}
			if list.Total != len(want) {
				t.Errorf("%d dataflows, want %d", list.Total, len(want))
			}
			for _, f := range list.Items {
				if f.Observations != want[f.ID] || f.Source == "" || f.SourceURL == "" || f.Licence == "" || f.DataAsOf == "" || f.UpdatedAt == "" {
					t.Errorf("dataflow %+v; want %d observations and its provenance", f, want[f.ID])
				}
			}
		})

		t.Run("dataflow", func(t *testing.T) {
			var d struct {
				ID         string `json:"id"`
				FirstPer   string `json:"first_period"`
				LastPer    string `json:"last_period"`
				Series     int    `json:"series"`
				Dimensions []struct {
					ID    string `json:"id"`
					Param string `json:"param"`
					Codes []struct {
						ID   string `json:"id"`
						Name string `json:"name"`
					} `json:"codes"`
				} `json:"dimensions"`
				Regions []struct {
					ID string `json:"id"`
				} `json:"regions"`
				Attributes []struct {
					ID string `json:"id"`
				} `json:"attributes"`
			}
			decodeJSON(t, h.get(t, "/api/v1/stats/dataflows/HOMICIDE", nil), http.StatusOK, &d)
			if d.ID != "HOMICIDE" || d.FirstPer != "2000" || d.LastPer != "2012" || d.Series != 438 || len(d.Dimensions) != 10 || len(d.Attributes) != 4 {
				t.Errorf("HOMICIDE: %+v", d)
			}
			src := d.Dimensions[stats.DimIndex("SOURCE_TYPE")]
			if src.Param != "source_type" || len(src.Codes) != 2 || src.Codes[0].ID != "CJ" || src.Codes[0].Name == "" || src.Codes[1].ID != "PH" {
				t.Errorf("SOURCE_TYPE: %+v", src)
			}
			var regions []string
			for _, r := range d.Regions {
				regions = append(regions, r.ID)
			}
			for _, want := range []string{"001", "002", "155", "AG", "WEOG"} {
				if !slices.Contains(regions, want) {
					t.Errorf("regions %v lack %s", regions, want)
				}
			}
			problemOf(t, h.get(t, "/api/v1/stats/dataflows/NOPE", nil), http.StatusNotFound, "")
		})

		t.Run("code lists", func(t *testing.T) {
			var iccs stats.Codelist
			decodeJSON(t, h.get(t, "/api/v1/stats/codelists/CL_ICCS", nil), http.StatusOK, &iccs)
			parent := map[string]string{}
			for _, c := range iccs.Codes {
				parent[c.ID] = c.Parent
			}
			if !iccs.Partial || parent["020111"] != "02011" || parent["0201"] != "02" || parent["01"] != "" {
				t.Errorf("CL_ICCS: partial %v, parents %v", iccs.Partial, parent)
			}
			for c, p := range parent {
				if _, ok := parent[p]; p != "" && !ok {
					t.Errorf("CL_ICCS: %s has the parent %s, which the list lacks", c, p)
				}
			}
			var list struct {
				Items []stats.Codelist `json:"items"`
				Total int              `json:"total"`
			}
			decodeJSON(t, h.get(t, "/api/v1/stats/codelists?limit=500", nil), http.StatusOK, &list)
			i := slices.IndexFunc(list.Items, func(l stats.Codelist) bool { return l.ID == "CL_AREA" })
			if list.Total < 10 || i < 0 || list.Items[i].CodeName("KEN") != "Kenya" {
				t.Errorf("code lists: %d, CL_AREA at %d", list.Total, i)
			}
			problemOf(t, h.get(t, "/api/v1/stats/codelists/CL_NOPE", nil), http.StatusNotFound, "")
		})

		t.Run("observations", func(t *testing.T) {
			var p observationPage
			decodeJSON(t, h.get(t, "/api/v1/stats/observations?flow=HOMICIDE&area=KEN&source_type=CJ&unit=NB", nil), http.StatusOK, &p)
			if p.Total != len(kenyaHomicides) || len(p.Items) != len(kenyaHomicides) || p.Next != "" {
				t.Fatalf("%d of %d observations, next %q", len(p.Items), p.Total, p.Next)
			}
			for i, o := range p.Items {
				if o.Period != (stats.Period{Year: 2004 + i, Kind: 'A'}).String() || stats.FormatValue(o.Value) != kenyaHomicides[i] ||
					o.Key["REF_AREA"] != "KEN" || o.Key["INDICATOR"] != "VIC_HOM" || o.Key["UNIT_MEASURE"] != "NB" || o.Status != "A" || o.Source != "CTS" || o.Derived != "" {
					t.Errorf("observation %d: %+v", i, o)
				}
			}
			decodeJSON(t, h.get(t, "/api/v1/stats/observations?flow=HOMICIDE&area=KEN&source_type=CJ&unit=NB&limit=4&offset=4", nil), http.StatusOK, &p)
			if p.Total != 9 || len(p.Items) != 4 || p.Items[0].Period != "2008" || stats.FormatValue(p.Items[0].Value) != "1413" || !strings.Contains(p.Next, "offset=8") {
				t.Errorf("second page: %d items of %d, next %q", len(p.Items), p.Total, p.Next)
			}
			// A region's rows are computed, with the coverage said.
			decodeJSON(t, h.get(t, "/api/v1/stats/observations?flow=OFFENCES&area=FRA,155&iccs=020111&sex=_T&age=_T&cyber=_T&unit=NB&start=2018&end=2018", nil), http.StatusOK, &p)
			if p.Total != 2 || stats.FormatValue(p.Items[0].Value) != "299709" || p.Items[0].Derived != "" ||
				p.Items[1].Key["REF_AREA"] != "155" || stats.FormatValue(p.Items[1].Value) != "510509" || p.Items[1].Derived != "C" || !strings.Contains(p.Items[1].Comment, "8 of 9 members") {
				t.Errorf("France and Western Europe: %+v", p)
			}
		})

		t.Run("explore", func(t *testing.T) {
			var e exploration
			decodeJSON(t, h.get(t, "/api/v1/stats/explore?flow=HOMICIDE&area=KEN,PHL&source_type=CJ&unit=NB", nil), http.StatusOK, &e)
			if len(e.Series) != 2 || e.Series[0].Area != "KEN" || e.Series[1].Area != "PHL" || e.Series[0].Label != "Kenya" || e.Series[0].AreaName != "Kenya" {
				t.Fatalf("series: %+v", e.Series)
			}
			if e.Periods[0] != "2000" || e.Periods[len(e.Periods)-1] != "2012" || e.Cells != 2*len(e.Periods) || e.SeriesTotal != 2 {
				t.Errorf("periods %v, %d cells", e.Periods, e.Cells)
			}
			ken := e.Series[0]
			var got []string
			for _, p := range ken.Points {
				if p.Value != nil {
					got = append(got, stats.FormatValue(p.Value))
				}
			}
			if !slices.Equal(got, kenyaHomicides) || ken.Points[0].Value != nil || ken.Points[0].Status != "" {
				t.Errorf("Kenya: %v, want %v with a gap before 2004", got, kenyaHomicides)
			}
			// Kenya from 2004 to 2012: +1366.
			if ken.Trend.From != "2004" || ken.Trend.To != "2012" || ken.Trend.Change == nil || ken.Trend.Change.Absolute != 1366 {
				t.Errorf("Kenya trend: %+v", ken.Trend)
			}
			// The Philippine police changed their reporting in 2009: no
			// change across it, and the reason given.
			phl := e.Series[1]
			if phl.Points[9].Period != "2009" || phl.Points[9].Status != "B" || phl.Trend.Change != nil || !strings.Contains(strings.Join(phl.Trend.Refusals, " "), "breaks in 2009") {
				t.Errorf("Philippines: 2009 %+v, trend %+v", phl.Points[9], phl.Trend)
			}
			if len(e.Provenance) != 1 || e.Provenance[0].Flow != "HOMICIDE" || e.Provenance[0].Licence == "" || e.Names["REF_AREA"]["PHL"] != "Philippines" {
				t.Errorf("provenance %+v, names %v", e.Provenance, e.Names)
			}
		})

		t.Run("aggregates with coverage", func(t *testing.T) {
			var e exploration
			decodeJSON(t, h.get(t, "/api/v1/stats/explore?flow=OFFENCES&area=155,015&iccs=020111&sex=_T&age=_T&cyber=_T&unit=NB,RT100K&start=2018&end=2018", nil), http.StatusOK, &e)
			if len(e.Series) != 4 || len(e.Periods) != 1 {
				t.Fatalf("%d series over %v", len(e.Series), e.Periods)
			}
			for i, want := range assaults2018 {
				count, rate := e.Series[2*i], e.Series[2*i+1]
				if count.Area != want.area || count.Key["UNIT_MEASURE"] != "NB" || rate.Key["UNIT_MEASURE"] != "RT100K" || !count.Aggregate {
					t.Fatalf("series %d, %d: %s %s", 2*i, 2*i+1, count.ID, rate.ID)
				}
				p := count.Points[0]
				if p.Value == nil || !near(*p.Value, want.count) || p.Derived != "C" || p.Coverage == nil {
					t.Fatalf("%s count: %+v", want.area, p)
				}
				if p.Coverage.Members != want.members || !slices.Equal(p.Coverage.Reporting, want.reporting) || !near(p.Coverage.PopulationShare, want.share) {
					t.Errorf("%s coverage: %+v; want %v of %d, share %v", want.area, *p.Coverage, want.reporting, want.members, want.share)
				}
				if r := rate.Points[0]; r.Value == nil || !near(*r.Value, want.rate) || r.Derived != "C" {
					t.Errorf("%s rate: %+v, want %v", want.area, r, want.rate)
				}
				if count.Provenance.Computed == "" {
					t.Errorf("%s: provenance says nothing was computed", want.area)
				}
			}
			if len(e.Provenance) != 2 || e.Provenance[1].Flow != "POPULATION" || !strings.Contains(e.Provenance[0].Computed, "aggregates") {
				t.Errorf("provenance %+v", e.Provenance)
			}
		})

		t.Run("max series", func(t *testing.T) {
			const view = "/api/v1/stats/explore?flow=OFFENCES&area=FRA,155&start=2015&end=2018"
			var all, capped exploration
			decodeJSON(t, h.get(t, view+"&max_series=1000", nil), http.StatusOK, &all)
			decodeJSON(t, h.get(t, view+"&max_series=3", nil), http.StatusOK, &capped)
			if all.SeriesTotal <= 3 || all.Truncated || len(all.Series) != all.SeriesTotal {
				t.Fatalf("whole: %d of %d series, truncated %v", len(all.Series), all.SeriesTotal, all.Truncated)
			}
			// The first three, as the whole has them; the totals count all.
			if len(capped.Series) != 3 || !capped.Truncated || capped.SeriesTotal != all.SeriesTotal || capped.Observations != all.Observations ||
				capped.Cells != all.Cells || !slices.Equal(capped.Periods, all.Periods) {
				t.Errorf("capped: %d of %d series, %d observations, %d cells; whole: %d, %d, %d",
					len(capped.Series), capped.SeriesTotal, capped.Observations, capped.Cells, all.SeriesTotal, all.Observations, all.Cells)
			}
			for i, s := range capped.Series {
				if s.ID != all.Series[i].ID || s.Label != all.Series[i].Label {
					t.Errorf("series %d: %s %q, want %s %q", i, s.ID, s.Label, all.Series[i].ID, all.Series[i].Label)
				}
			}
			var d exploration
			decodeJSON(t, h.get(t, "/api/v1/stats/explore?flow=OFFENCES&area=FRA,155&start=2015&end=2018", nil), http.StatusOK, &d)
			if len(d.Series) != min(all.SeriesTotal, 100) {
				t.Errorf("default: %d series of %d", len(d.Series), all.SeriesTotal)
			}
		})

		t.Run("regional trends", func(t *testing.T) {
			// The African States' homicides: other members reported in 2000
			// than in 2012, so no trend compares the two sums.
			var e exploration
			decodeJSON(t, h.get(t, "/api/v1/stats/explore?flow=HOMICIDE&area=AG&source_type=CJ&unit=NB", nil), http.StatusOK, &e)
			if len(e.Series) != 1 {
				t.Fatalf("series %+v", e.Series)
			}
			s := e.Series[0]
			first, last := s.Points[0], s.Points[len(s.Points)-1]
			if first.Coverage == nil || last.Coverage == nil || len(first.Coverage.Reporting) == len(last.Coverage.Reporting) {
				t.Fatalf("coverage %+v, %+v", first.Coverage, last.Coverage)
			}
			if s.Trend.Change != nil || !strings.Contains(strings.Join(s.Trend.Refusals, " "), "members that reported differ") {
				t.Errorf("AG trend %s to %s: %+v", s.Trend.From, s.Trend.To, s.Trend)
			}
		})

		t.Run("computed rate", func(t *testing.T) {
			// GSH gives Kenya's count and rate from 2004; a count for 2003
			// without a rate gets one from the population (34,678,781).
			obs := stats.Observation{Key: stats.Key{"A", "KEN", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"},
				Period: stats.Period{Year: 2003, Kind: 'A'}, Value: ptr(1000.0), Status: "A", Source: "test"}
			if _, err := db.Ingest(context.Background(), access.Actor{Role: access.Admin}, "HOMICIDE", []stats.Observation{obs}, "test count"); err != nil {
				t.Fatal(err)
			}
			var e exploration
			decodeJSON(t, h.get(t, "/api/v1/stats/explore?flow=HOMICIDE&area=KEN&source_type=CJ&unit=RT100K&start=2003&end=2004", nil), http.StatusOK, &e)
			if len(e.Series) != 1 || len(e.Series[0].Points) != 2 {
				t.Fatalf("series %+v", e.Series)
			}
			computed, source := e.Series[0].Points[0], e.Series[0].Points[1]
			if computed.Value == nil || !near(*computed.Value, 1000/34678781.0*100000) || computed.Derived != "C" || !strings.Contains(computed.Comment, "computed") {
				t.Errorf("2003: %+v", computed)
			}
			if source.Value == nil || *source.Value != 4 || source.Derived != "" {
				t.Errorf("2004: %+v, want the source's 4", source)
			}
			if !strings.Contains(e.Series[0].Provenance.Computed, "rates") || len(e.Provenance) != 2 {
				t.Errorf("provenance %+v %+v", e.Series[0].Provenance, e.Provenance)
			}
			var p observationPage
			decodeJSON(t, h.get(t, "/api/v1/stats/observations?flow=HOMICIDE&area=KEN&source_type=CJ&unit=RT100K&start=2003&end=2004", nil), http.StatusOK, &p)
			if p.Total != 2 || p.Items[0].Derived != "C" || p.Items[0].Key["UNIT_MEASURE"] != "RT100K" || p.Items[1].Derived != "" {
				t.Errorf("observations %+v", p)
			}
		})

		t.Run("bad views", func(t *testing.T) {
			for _, tc := range []struct{ path, field string }{
				{"/api/v1/stats/explore?flow=HOMICIDE", "area"},
				{"/api/v1/stats/explore?area=KEN", "flow"},
				{"/api/v1/stats/explore?flow=NOPE&area=KEN", "flow"},
				{"/api/v1/stats/explore?flow=HOMICIDE&area=XXX", "area"},
				{"/api/v1/stats/explore?flow=HOMICIDE&area=KEN&sex=f", "sex"},
				{"/api/v1/stats/explore?flow=HOMICIDE&area=KEN&max_series=0", "max_series"},
				{"/api/v1/stats/observations?flow=HOMICIDE&start=2013-13", "start"},
				{"/api/v1/stats/observations?flow=HOMICIDE&start=2012&end=2003", "end"},
				{"/api/v1/stats/observations?flow=HOMICIDE&limit=0", "limit"},
				{"/api/v1/stats/observations?flow=HOMICIDE&flow=OFFENCES", "flow"},
				{"/api/v1/stats/observations?flow=HOMICIDE&key=A.KEN", "key"},
				{"/api/v1/stats/download?flow=HOMICIDE&format=pdf", "format"},
				{"/api/v1/stats/dataflows?limit=x", "limit"},
			} {
				r := h.get(t, tc.path, nil)
				problemOf(t, r, http.StatusBadRequest, tc.field)
				if r.header.Get("ETag") != "" {
					t.Errorf("%s: a problem with an ETag", tc.path)
				}
			}
		})
	})
}

func ptr[T any](v T) *T { return &v }

// attachment is the file name of a download's Content-Disposition, which
// must be an attachment.
func attachment(r response) string {
	d, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	if err != nil || d != "attachment" {
		return ""
	}
	return params["filename"]
}

func TestStatsDownload(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		flow, err := db.Dataflow(context.Background(), "OFFENCES")
		if err != nil {
			t.Fatal(err)
		}
		// A comment a spreadsheet would run, and a negative value.
		obs := stats.Observation{Key: stats.Key{"A", "FRA", "OFF", "020111", "_T", "_T", "_Z", "_T", "CJ", "NB"},
			Period: stats.Period{Year: 2002, Kind: 'A'}, Value: ptr(-5.0), Status: "A", Source: "@test", Comment: `=HYPERLINK("http://evil.example","x")`}
		if _, err := db.Ingest(context.Background(), access.Actor{Role: access.Admin}, "OFFENCES", []stats.Observation{obs}, "test"); err != nil {
			t.Fatal(err)
		}
		view := "flow=OFFENCES&area=FRA,155&iccs=020111&sex=_T&age=_T&cyber=_T&unit=NB&start=2002&end=2018"

		r := h.get(t, "/api/v1/stats/download?"+view, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			attachment(r) != "cpcj-OFFENCES-FRA-155.csv" || r.header.Get("ETag") == "" {
			t.Fatalf("CSV download: %s\n%v", r, r.header)
		}
		// HEAD answers the same headers, without the file.
		head := h.do(t, call{method: http.MethodHead, path: "/api/v1/stats/download?" + view})
		if head.status != http.StatusOK || head.body != "" || attachment(head) != "cpcj-OFFENCES-FRA-155.csv" || head.header.Get("ETag") != r.header.Get("ETag") {
			t.Errorf("HEAD: %s\n%v", head, head.header)
		}
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		for _, c := range []string{"REF_AREA_NAME", "OBS_VALUE", "DERIVATION", "COMMENT", "SOURCE", "SOURCE_URL", "LICENCE", "DATA_AS_OF"} {
			if _, ok := col[c]; !ok {
				t.Fatalf("no column %s in %v", c, rows[0])
			}
		}
		var p observationPage
		decodeJSON(t, h.get(t, "/api/v1/stats/observations?limit=500&"+view, nil), http.StatusOK, &p)
		if len(rows)-1 != p.Total || p.Total < 20 {
			t.Errorf("%d rows, the API has %d observations", len(rows)-1, p.Total)
		}
		var fra2018, west2018, fra2002 []string
		for _, row := range rows[1:] {
			if row[col["SOURCE"]] != flow.Source || row[col["SOURCE_URL"]] != flow.SourceURL || row[col["LICENCE"]] != flow.Licence || row[col["DATA_AS_OF"]] != flow.DataAsOf {
				t.Fatalf("row without the provenance of OFFENCES: %v", row)
			}
			switch row[col["REF_AREA"]] + " " + row[col["TIME_PERIOD"]] {
			case "FRA 2018":
				fra2018 = row
			case "155 2018":
				west2018 = row
			case "FRA 2002":
				fra2002 = row
			}
		}
		if fra2018 == nil || fra2018[col["OBS_VALUE"]] != "299709" || fra2018[col["DERIVATION"]] != "" || fra2018[col["REF_AREA_NAME"]] != "France" {
			t.Errorf("France 2018: %v", fra2018)
		}
		if west2018 == nil || west2018[col["OBS_VALUE"]] != "510509" || west2018[col["DERIVATION"]] != "C" || !strings.Contains(west2018[col["COMMENT"]], "8 of 9 members") ||
			west2018[col["REF_AREA_NAME"]] != "Western Europe" {
			t.Errorf("Western Europe 2018: %v", west2018)
		}
		if fra2002 == nil || fra2002[col["OBS_VALUE"]] != "-5" || fra2002[col["COMMENT"]] != `'=HYPERLINK("http://evil.example","x")` || fra2002[col["SOURCE_DETAIL"]] != "'@test" {
			t.Errorf("France 2002, formula guarded, number kept: %v", fra2002)
		}

		r = h.get(t, "/api/v1/stats/download?format=xlsx&"+view, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			attachment(r) != "cpcj-OFFENCES-FRA-155.xlsx" {
			t.Fatalf("XLSX download: %d %v", r.status, r.header)
		}
		x, err := excelize.OpenReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		data, err := x.GetRows("Data")
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != len(rows) || !slices.Equal(data[0], rows[0]) {
			t.Errorf("workbook: %d rows, the CSV %d; header %v", len(data), len(rows), data[0])
		}
		for i, row := range data[1:] {
			if row[col["REF_AREA"]] == "FRA" && row[col["TIME_PERIOD"]] == "2002" {
				// A workbook's text cell is never a formula: it keeps the
				// text as it is, which the CSV guards.
				cell, _ := excelize.CoordinatesToCellName(col["COMMENT"]+1, i+2)
				v, _ := x.GetCellValue("Data", cell)
				formula, _ := x.GetCellFormula("Data", cell)
				if v != obs.Comment || formula != "" {
					t.Errorf("workbook comment %q, formula %q; want the text %q", v, formula, obs.Comment)
				}
				cell, _ = excelize.CoordinatesToCellName(col["OBS_VALUE"]+1, i+2)
				if typ, _ := x.GetCellType("Data", cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
					t.Errorf("workbook value %s is text", cell)
				}
			}
		}
		prov, err := x.GetRows("Provenance")
		if err != nil || !slices.ContainsFunc(prov, func(r []string) bool { return len(r) == 2 && r[0] == "Source" && r[1] == flow.Source }) ||
			!slices.ContainsFunc(prov, func(r []string) bool {
				return len(r) == 2 && r[0] == "Computed by cpcj" && strings.Contains(r[1], "aggregates")
			}) {
			t.Errorf("Provenance sheet: %v, %v", prov, err)
		}
	})
}

// TestStatsCaching checks ETag, Last-Modified and 304 on every statistics
// answer, and that an import or a change of a code list makes the old
// copies stale.
func TestStatsCaching(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		paths := []string{
			"/api/v1/stats/dataflows",
			"/api/v1/stats/dataflows/VICTIMS",
			"/api/v1/stats/codelists",
			"/api/v1/stats/codelists/CL_AREA",
			"/api/v1/stats/observations?flow=VICTIMS&area=ITA",
			"/api/v1/stats/explore?flow=VICTIMS&area=ITA,AG",
			"/api/v1/stats/download?flow=VICTIMS&area=ITA&format=csv",
		}
		etags, mods := map[string]string{}, map[string]string{}
		for _, p := range paths {
			r := h.get(t, p, nil)
			etag, mod := r.header.Get("ETag"), r.header.Get("Last-Modified")
			if r.status != http.StatusOK || !strings.HasPrefix(etag, `W/"`) || mod == "" || r.header.Get("Cache-Control") != "public, max-age=60" {
				t.Fatalf("%s: %d, ETag %q, Last-Modified %q", p, r.status, etag, mod)
			}
			etags[p], mods[p] = etag, mod
			for _, hdr := range []map[string]string{{"If-None-Match": etag}, {"If-None-Match": `"x", ` + etag}, {"If-Modified-Since": mod}} {
				nm := h.do(t, call{path: p, header: hdr})
				// A 304 carries the headers the full answer would: a cache
				// refreshes its copy with them.
				if nm.status != http.StatusNotModified || nm.body != "" || nm.header.Get("ETag") != etag ||
					nm.header.Get("Last-Modified") != mod || nm.header.Get("Cache-Control") != "public, max-age=60" {
					t.Errorf("%s with %v: %d %q\n%v", p, hdr, nm.status, nm.body, nm.header)
				}
			}
			if r := h.do(t, call{path: p, header: map[string]string{"If-None-Match": `W/"0-0"`}}); r.status != http.StatusOK {
				t.Errorf("%s with another ETag: %d", p, r.status)
			}
		}
		// Another selection is another answer, with another ETag; the same
		// selection in another order is the same answer.
		if r := h.get(t, "/api/v1/stats/explore?flow=VICTIMS&area=FRA", nil); r.status != http.StatusOK || r.header.Get("ETag") == etags[paths[5]] {
			t.Errorf("explore France: %d, ETag %s as Italy's", r.status, r.header.Get("ETag"))
		}
		for _, p := range []string{"/api/v1/stats/explore?area=ITA&area=AG&flow=VICTIMS", "/api/v1/stats/explore?area=ITA,%20AG&flow=VICTIMS&area=ITA"} {
			if r := h.get(t, p, nil); r.status != http.StatusOK || r.header.Get("ETag") != etags[paths[5]] {
				t.Errorf("%s: %d, ETag %s, want %s", p, r.status, r.header.Get("ETag"), etags[paths[5]])
			}
		}
		if r := h.get(t, "/api/v1/stats/observations?limit=10&flow=VICTIMS&area=ITA", nil); r.header.Get("ETag") == etags[paths[4]] {
			t.Error("a page of another size has the same ETag")
		}
		// An import changes the statistics: every old copy is stale, by
		// ETag and by date.
		lm, err := http.ParseTime(mods[paths[0]])
		if err != nil {
			t.Fatal(err)
		}
		later := lm.Add(time.Hour)
		db.SetClock(func() time.Time { return later })
		obs := stats.Observation{Key: stats.Key{"A", "ITA", "VIC", "0301", "F", "_T", "IPFM", "_T", "CJ", "NB"},
			Period: stats.Period{Year: 2020, Kind: 'A'}, Value: ptr(4100.0), Status: "A", Source: "CTS"}
		if _, err := db.Ingest(ctx, access.Actor{Role: access.Admin}, "VICTIMS", []stats.Observation{obs}, "revision"); err != nil {
			t.Fatal(err)
		}
		db.SetClock(time.Now)
		for _, p := range paths {
			r := h.do(t, call{path: p, header: map[string]string{"If-None-Match": etags[p]}})
			if r.status != http.StatusOK || r.header.Get("ETag") == etags[p] {
				t.Errorf("%s after an import: %d, ETag %s", p, r.status, r.header.Get("ETag"))
			}
			r = h.do(t, call{path: p, header: map[string]string{"If-Modified-Since": mods[p]}})
			if r.status != http.StatusOK || r.header.Get("Last-Modified") != later.Format(http.TimeFormat) {
				t.Errorf("%s since %s, after an import: %d, Last-Modified %s", p, mods[p], r.status, r.header.Get("Last-Modified"))
			}
		}
		// The revised value is served.
		var p observationPage
		decodeJSON(t, h.get(t, "/api/v1/stats/observations?flow=VICTIMS&area=ITA&iccs=0301&sex=F&relationship=IPFM&unit=NB&start=2020&end=2020", nil), http.StatusOK, &p)
		if p.Total != 1 || stats.FormatValue(p.Items[0].Value) != "4100" {
			t.Errorf("after the revision: %+v", p)
		}
		// A code list changes the names the answers carry: Last-Modified
		// moves too.
		lists, err := db.Codelists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(lists, func(l stats.Codelist) bool { return l.ID == "CL_SEX" })
		lists[i].Codes[0].Name += " (renamed)"
		evenLater := later.Add(time.Hour)
		db.SetClock(func() time.Time { return evenLater })
		if err := db.PutCodelist(ctx, access.System("test"), lists[i]); err != nil {
			t.Fatal(err)
		}
		db.SetClock(time.Now)
		for _, p := range paths {
			r := h.do(t, call{path: p, header: map[string]string{"If-Modified-Since": later.Format(http.TimeFormat)}})
			if r.status != http.StatusOK || r.header.Get("Last-Modified") != evenLater.Format(http.TimeFormat) {
				t.Errorf("%s since the import, after a code list changed: %d, Last-Modified %s", p, r.status, r.header.Get("Last-Modified"))
			}
		}
	})
}
