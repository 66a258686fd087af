package server_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// The data explorer (/statistics) and the statistics of a country
// (/statistics/areas/{code}), over the shipped UNODC and World Bank data.

// explorerTable is the table of series by year a page shows.
type explorerTable struct {
	periods []string
	rows    map[string][]string // series label → cell texts, marks stripped
	marks   map[string][]string // series label → the status mark of each cell
}

var (
	statsTableRe = regexp.MustCompile(`(?s)<table class="stats">\s*<caption>.*?</caption>(.*?)</table>`)
	statsHeadRe  = regexp.MustCompile(`(?s)<thead>(.*?)</thead>`)
	statsColRe   = regexp.MustCompile(`<th scope="col" class="num">([^<]*)</th>`)
	statsRowRe   = regexp.MustCompile(`(?s)<tr[^>]*><th scope="row">(.*?)</th>(.*?)</tr>`)
	statsCellRe  = regexp.MustCompile(`(?s)<td class="num[^"]*">(.*?)</td>`)
	statsMarkRe  = regexp.MustCompile(`<abbr class="mark" title="[^"]*">([a-z])</abbr>`)
	statsTagRe   = regexp.MustCompile(`<[^>]+>`)
)

// readTable reads the first table of series by year of an explorer page.
func readTable(t *testing.T, body string) explorerTable {
	t.Helper()
	m := statsTableRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page has no table of series")
	}
	tb := explorerTable{rows: map[string][]string{}, marks: map[string][]string{}}
	for _, c := range statsColRe.FindAllStringSubmatch(statsHeadRe.FindString(m[1]), -1) {
		tb.periods = append(tb.periods, c[1])
	}
	for _, r := range statsRowRe.FindAllStringSubmatch(m[1], -1) {
		label := html.UnescapeString(r[1])
		for _, c := range statsCellRe.FindAllStringSubmatch(r[2], -1) {
			mark := ""
			if mm := statsMarkRe.FindStringSubmatch(c[1]); mm != nil {
				mark = mm[1]
			}
			tb.rows[label] = append(tb.rows[label], html.UnescapeString(statsTagRe.ReplaceAllString(statsMarkRe.ReplaceAllString(c[1], ""), "")))
			tb.marks[label] = append(tb.marks[label], mark)
		}
	}
	return tb
}

// cell returns the text of a series' cell in a period.
func (tb explorerTable) cell(t *testing.T, label, period string) (string, string) {
	t.Helper()
	row, ok := tb.rows[label]
	if !ok {
		t.Fatalf("no row %q among %v", label, tb.labels())
	}
	for i, p := range tb.periods {
		if p == period {
			return row[i], tb.marks[label][i]
		}
	}
	t.Fatalf("no column %s among %v", period, tb.periods)
	return "", ""
}

func (tb explorerTable) labels() []string {
	var out []string
	for l := range tb.rows {
		out = append(out, l)
	}
	return out
}

// exploreAnswer is the part of GET /api/v1/stats/explore the page is
// compared with.
type exploreAnswer struct {
	Query       string   `json:"query"`
	Periods     []string `json:"periods"`
	SeriesTotal int      `json:"series_total"`
	Cells       int      `json:"cells"`
	Series      []struct {
		ID     string            `json:"id"`
		Key    map[string]string `json:"key"`
		Label  string            `json:"label"`
		Points []struct {
			Period string   `json:"period"`
			Value  *float64 `json:"value"`
			Status string   `json:"obs_status"`
		} `json:"points"`
	} `json:"series"`
}

// linkRe finds a link's address by its id.
func linkByID(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]*)" id="` + id + `"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page has no link #%s", id)
	}
	return html.UnescapeString(m[1])
}

func TestExplorer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)

		t.Run("default view", func(t *testing.T) {
			r := h.get(t, "/statistics", nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d\n%s", r.status, r)
			}
			tb := readTable(t, r.body)
			if len(tb.rows) != 5 || len(tb.periods) != 13 || tb.periods[0] != "2000" || tb.periods[12] != "2012" {
				t.Errorf("the example view has %d series over %v, want 5 over 2000–2012", len(tb.rows), tb.periods)
			}
			// The Global Study on Homicide 2013: South Africa 48.5 per
			// 100,000 in 2000; the Philippines' new reporting system of
			// 2009 is a break in series.
			if v, _ := tb.cell(t, "South Africa", "2000"); v != "48.5" {
				t.Errorf("South Africa 2000: %q, want 48.5", v)
			}
			if v, mark := tb.cell(t, "Philippines", "2009"); v != "6.9" || mark != "b" {
				t.Errorf("the Philippines 2009: %q marked %q, want 6.9 marked b (break in series)", v, mark)
			}
			for _, want := range []string{`<svg class="line"`, `role="img"`, `class="break"`, "break in series", `id="view-link"`,
				`value="http://cpcj.test/statistics?`, "Global Study on Homicide 2013", "Data as of"} {
				if !strings.Contains(r.body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			// The trend of the Philippines is refused across its break.
			if !regexp.MustCompile(`(?s)<th scope="row">Philippines</th>.*?breaks in 2009`).MatchString(r.body) {
				t.Error("the trends do not say that the Philippines' series breaks in 2009")
			}
		})

		t.Run("the page and the API agree", func(t *testing.T) {
			q := "flow=HOMICIDE&area=KEN,002,WEOG&unit=RT100K&source_type=CJ&start=2004&end=2012"
			r := h.get(t, "/statistics?"+q, nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d\n%s", r.status, r)
			}
			tb := readTable(t, r.body)
			var ex exploreAnswer
			decodeJSON(t, h.get(t, linkByID(t, r.body, "download-json"), nil), http.StatusOK, &ex)
			if len(ex.Series) != len(tb.rows) || strings.Join(ex.Periods, " ") != strings.Join(tb.periods, " ") {
				t.Fatalf("the API has %d series over %v, the page %d over %v", len(ex.Series), ex.Periods, len(tb.rows), tb.periods)
			}
			for _, s := range ex.Series {
				for i, p := range s.Points {
					got, _ := tb.cell(t, s.Label, p.Period)
					want := ".."
					if p.Value != nil {
						want = rateText(*p.Value)
					}
					if got != want {
						t.Errorf("%s %s: the page shows %q, the API %s", s.Label, ex.Periods[i], got, want)
					}
				}
			}
			// Kenya as the source gives it: 6.4 in 2012.
			if v, _ := tb.cell(t, "Kenya", "2012"); v != "6.4" {
				t.Errorf("Kenya 2012: %q, want 6.4", v)
			}
			// The aggregates come with their coverage.
			if !strings.Contains(r.body, `id="coverage"`) || !regexp.MustCompile(`\d+ of \d+ · \d+ %`).MatchString(r.body) {
				t.Error("the page does not show the coverage of Africa and WEOG")
			}
			// The link of the view is the address of the same view.
			u, err := url.Parse(html.UnescapeString(regexp.MustCompile(`id="view-link" type="url" readonly value="([^"]*)"`).FindStringSubmatch(r.body)[1]))
			if err != nil {
				t.Fatal(err)
			}
			if u.Path != "/statistics" || u.Query().Get("area") != "KEN,002,WEOG" || u.Query().Get("start") != "2004" || u.Query().Encode() != ex.Query {
				t.Errorf("link to the view %s, want the view's parameters %s", u, ex.Query)
			}
		})

		t.Run("download", func(t *testing.T) {
			r := h.get(t, "/statistics?flow=HOMICIDE&area=KEN&unit=RT100K&source_type=CJ", nil)
			link := linkByID(t, r.body, "download-csv")
			if !strings.HasPrefix(link, "/api/v1/stats/download?") || !strings.Contains(link, "format=csv") {
				t.Fatalf("the CSV link is %s", link)
			}
			d := h.get(t, link, nil)
			if d.status != http.StatusOK || !strings.HasPrefix(d.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("GET %s: %s", link, d)
			}
			rows, err := csv.NewReader(strings.NewReader(d.body)).ReadAll()
			if err != nil {
				t.Fatalf("the CSV does not parse: %v", err)
			}
			found := false
			for _, row := range rows {
				if strings.Contains(strings.Join(row, ","), "KEN") && slicesContain(row, "2012") && slicesContain(row, "6.4") {
					found = true
				}
			}
			if !found {
				t.Errorf("the CSV has no row of Kenya in 2012 with 6.4:\n%.600s", d.body)
			}
			if x := linkByID(t, r.body, "download-xlsx"); !strings.Contains(x, "format=xlsx") {
				t.Errorf("the Excel link is %s", x)
			}
			// A view of stored figures only (counts, not rates that cpcj
			// may compute) is an SDMX query too.
			if strings.Contains(r.body, `id="download-sdmx"`) {
				t.Error("a view of rates, which cpcj computes where the source has none, offers an SDMX query")
			}
			r = h.get(t, "/statistics?flow=HOMICIDE&area=KEN&unit=NB&source_type=CJ&start=2010", nil)
			if s := linkByID(t, r.body, "download-sdmx"); s != "/sdmx/rest/data/HOMICIDE/.KEN.......CJ.NB?startPeriod=2010" {
				t.Errorf("the SDMX link is %s", s)
			}
			if s := h.get(t, linkByID(t, r.body, "download-sdmx"), nil); s.status != http.StatusOK || !strings.Contains(s.body, "KEN") {
				t.Errorf("the SDMX query answers %s", s)
			}
		})

		t.Run("a large view is capped", func(t *testing.T) {
			// Offences of every category in 20 countries, 2003–2022:
			// more than the 2,000 cells a page renders.
			areas := "ARG,AUT,BEL,BGR,CAN,CHE,CHL,COL,CZE,DEU,ESP,FIN,FRA,HUN,ITA,JPN,KEN,MEX,PHL,SWE"
			r := h.get(t, "/statistics?flow=OFFENCES&area="+areas, nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d\n%s", r.status, r)
			}
			tb := readTable(t, r.body)
			cells := len(tb.rows) * len(tb.periods)
			if cells > 2000 || cells < 1500 {
				t.Errorf("the table has %d cells (%d series by %d periods), want at most 2,000 and near it", cells, len(tb.rows), len(tb.periods))
			}
			var ex exploreAnswer
			decodeJSON(t, h.get(t, "/api/v1/stats/explore?flow=OFFENCES&area="+areas+"&max_series=1", nil), http.StatusOK, &ex)
			callout := regexp.MustCompile(`(?s)<p class="callout" id="capped"[^>]*>(.*?)</p>`).FindStringSubmatch(r.body)
			if callout == nil {
				t.Fatal("the page does not say that the table is cut")
			}
			text := strings.ReplaceAll(statsTagRe.ReplaceAllString(callout[1], ""), ",", "")
			if !strings.Contains(text, strconv.Itoa(ex.SeriesTotal)+" series") || !strings.Contains(text, strconv.Itoa(ex.Cells)+" cells") {
				t.Errorf("the page says %q; the view has %d series and %d cells", text, ex.SeriesTotal, ex.Cells)
			}
			if !strings.Contains(callout[1], "/api/v1/stats/download?") {
				t.Error("the cut table does not offer the whole download")
			}
		})

		t.Run("a code the dataflow lacks is left out", func(t *testing.T) {
			// Homicide's ICCS category, carried over to the offences.
			r := h.get(t, "/statistics?flow=OFFENCES&area=KEN&iccs=0101&unit=NB&cyber=_T", nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d\n%s", r.status, r)
			}
			if !strings.Contains(r.body, "Intentional homicide (0101) is not in the dataflow Offences recorded by the police, so it was left out.") {
				t.Error("the page does not say that ICCS 0101 was left out")
			}
			if tb := readTable(t, r.body); len(tb.rows) < 5 {
				t.Errorf("Kenya's offences: %d series", len(tb.rows))
			}
		})

		t.Run("bad parameters", func(t *testing.T) {
			for _, tc := range []struct {
				query, param, message string
			}{
				{"flow=HOMICIDE&area=KEN&start=2013-13", "start", `"2013-13" is not a period`},
				{"flow=HOMICIDE&area=KEN&start=2010&end=2005", "end", "before the start"},
				{"flow=NOPE&area=KEN", "flow", `No dataflow has the id "NOPE"`},
				{"flow=HOMICIDE&area=KEN&sex=X", "sex", `"X" is not a code of CL_SEX`},
				{"flow=HOMICIDE&area=ATLANTIS", "area", `"ATLANTIS" is not a code of CL_AREA`},
				{"flow=HOMICIDE", "area", ""},
			} {
				r := h.get(t, "/statistics?"+tc.query, nil)
				if r.status != http.StatusBadRequest {
					t.Errorf("%s: status %d, want 400", tc.query, r.status)
					continue
				}
				m := regexp.MustCompile(`<p class="field-error" id="err-` + tc.param + `"[^>]*>([^<]*)</p>`).FindStringSubmatch(r.body)
				if m == nil {
					t.Errorf("%s: no error next to %s\n%s", tc.query, tc.param, r)
					continue
				}
				if !strings.Contains(html.UnescapeString(m[1]), tc.message) {
					t.Errorf("%s: the error reads %q, want %q", tc.query, html.UnescapeString(m[1]), tc.message)
				}
				if !strings.Contains(r.body, `href="#field-`+tc.param+`"`) || !strings.Contains(r.body, `role="alert"`) {
					t.Errorf("%s: the error summary does not lead to the field", tc.query)
				}
				if n := strings.Count(r.body, `<option value="HOMICIDE"`); n != 1 {
					t.Errorf("%s: the form offers the homicide dataflow %d times", tc.query, n)
				}
				if strings.Contains(r.body, `<table class="stats">`) {
					t.Errorf("%s: a table is shown for a view that cannot be", tc.query)
				}
			}
			// The form keeps what was typed, for it to be corrected.
			r := h.get(t, "/statistics?flow=HOMICIDE&area=KEN&start=2013-13", nil)
			if !strings.Contains(r.body, `value="2013-13"`) || !regexp.MustCompile(`value="KEN" checked`).MatchString(r.body) {
				t.Error("the form does not keep the values given")
			}
		})

		t.Run("Arabic", func(t *testing.T) {
			r := h.do(t, call{path: "/statistics", header: map[string]string{"Accept-Language": "ar"}})
			if r.status != http.StatusOK || !strings.Contains(r.body, `<html lang="ar" dir="rtl">`) {
				t.Fatalf("status %d\n%s", r.status, r)
			}
			if !strings.Contains(r.body, `direction="ltr"`) || !strings.Contains(r.body, "إحصاءات الجريمة") {
				t.Error("the Arabic page lacks its title, or its chart does not keep time left to right")
			}
			if v, _ := readTable(t, r.body).cell(t, "South Africa", "2000"); v != "48.5" {
				t.Errorf("South Africa 2000 in Arabic: %q, want 48.5 in Western digits", v)
			}
		})
	})
}

// rateText writes a rate as the explorer does: one decimal, more below 1.
func rateText(v float64) string {
	d := 1
	switch {
	case v != 0 && v < 0.1:
		d = 3
	case v != 0 && v < 1:
		d = 2
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

func slicesContain(row []string, s string) bool {
	for _, c := range row {
		if c == s {
			return true
		}
	}
	return false
}

func TestStatsArea(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		r := h.get(t, "/statistics/areas/KEN", nil)
		if r.status != http.StatusOK {
			t.Fatalf("status %d\n%s", r.status, r)
		}
		for _, want := range []string{
			"<h1>Crime statistics: Kenya</h1>",
			// The latest homicide rate, from criminal-justice sources.
			`<span class="figure">6.4</span><span>victims per 100,000 population in 2012`,
			`<svg class="line"`,
			// The explorer, with the same view.
			`href="/statistics?area=KEN&amp;flow=HOMICIDE&amp;unit=RT100K"`,
			// The offences, each leading to its view.
			`href="/statistics?area=KEN&amp;cyber=_T&amp;flow=OFFENCES&amp;iccs=020111"`,
			"Serious assault (020111)",
			`href="/states/KEN"`, "Population:", "Global Study on Homicide 2013",
		} {
			if !strings.Contains(r.body, want) {
				t.Errorf("Kenya's statistics lack %q", want)
			}
		}

		// Colombia reports female victims by every relationship: the share
		// of an intimate partner or family member is computed.
		r = h.get(t, "/statistics/areas/COL", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `id="gender"`) || !regexp.MustCompile(`(?s)<table class="stats glance gender">.*?\d+ %`).MatchString(r.body) {
			t.Errorf("Colombia's gender view is missing\n%s", r)
		}

		// A region: computed, with coverage, and no gender share.
		r = h.get(t, "/statistics/areas/002", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, "Crime statistics: Africa") || !regexp.MustCompile(`\d+ of \d+ · \d+ %`).MatchString(r.body) {
			t.Errorf("Africa's statistics\n%s", r)
		}
		if r := h.get(t, "/statistics/areas/ZZZ", nil); r.status != http.StatusNotFound {
			t.Errorf("an unknown area: status %d, want 404", r.status)
		}
		// The State's page leads to them.
		if r := h.get(t, "/states/KEN", nil); !strings.Contains(r.body, `href="/statistics/areas/KEN"`) {
			t.Error("Kenya's page does not link to its statistics")
		}
	})
}
