package e2e

// The crime statistics as their readers meet them: a view built in the
// data explorer (dataflow, countries, years), its table and chart with the
// shipped UNODC figures, its download, a mistake in the form, a country's
// statistics at a glance, and the explorer in Arabic.

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// explorerSubmit presses the explorer's Show button and returns the status
// of the page that answers.
func (b *tab) explorerSubmit() int {
	b.t.Helper()
	return b.submit(`form.explore-form button[type="submit"]`)
}

// tableCell reads the cell of a series (by its row label) in a period of
// the explorer's table, without its status mark.
func (b *tab) tableCell(label, period string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(() => {
		const t = document.querySelector("table.stats");
		if (!t) return "no table";
		const cols = [...t.querySelectorAll("thead th")].map(th => th.textContent.trim());
		const i = cols.indexOf(%s);
		for (const tr of t.querySelectorAll("tbody tr")) {
			if (tr.querySelector("th").textContent.trim() !== %s) continue;
			const cell = tr.children[i].cloneNode(true);
			cell.querySelectorAll("abbr").forEach(a => a.remove());
			return cell.textContent.trim();
		}
		return "no row";
	})()`, jsString(period), jsString(label)))
}

func (e *env) testExplorer(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/statistics"); st != http.StatusOK {
		t.Fatalf("GET /statistics: status %d", st)
	}
	if got := b.text("main h1"); got != "Crime statistics" {
		t.Errorf("h1 %q", got)
	}
	// The example view shows real figures from the start.
	if got := b.tableCell("South Africa", "2000"); got != "48.5" {
		t.Errorf("the example view's South Africa 2000 reads %q, want 48.5", got)
	}

	// Build a view: the homicide rate of Kenya and France, 2004 to 2012.
	for _, code := range eval[[]string](b, `[...document.querySelectorAll("#areas-chosen input:checked")].map(i => i.value)`) {
		b.do(chromedp.Click(chromedp.CSS(`#areas-chosen input[value=` + jsString(code) + `]`)))
	}
	b.do(chromedp.SetValue(chromedp.CSS("#flow"), "HOMICIDE"))
	for _, pick := range []struct{ group, code string }{{"areas-002", "KEN"}, {"areas-150", "FRA"}} {
		b.do(chromedp.Click(chromedp.CSS("#"+pick.group+" summary")),
			chromedp.Click(chromedp.CSS("#"+pick.group+` input[value="`+pick.code+`"]`), chromedp.NodeVisible))
	}
	b.fill("#start", "2004")
	b.fill("#end", "2012")
	if st := b.explorerSubmit(); st != http.StatusOK {
		t.Fatalf("show the view: status %d (at %s)", st, b.location())
	}
	u, err := url.Parse(b.path())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/statistics" || q.Get("flow") != "HOMICIDE" || strings.Join(q["area"], ",") != "KEN,FRA" || q.Get("start") != "2004" || q.Get("end") != "2012" {
		t.Errorf("the form led to %s, want the view of Kenya and France, 2004–2012", u)
	}
	// The Global Study on Homicide 2013's rates, criminal-justice source.
	for _, c := range []struct{ label, period, want string }{
		{"Kenya", "2004", "4.0"}, {"Kenya", "2012", "6.4"}, {"France", "2004", "1.6"}, {"France", "2012", "1.0"},
	} {
		if got := b.tableCell(c.label, c.period); got != c.want {
			t.Errorf("%s %s reads %q, want %s", c.label, c.period, got, c.want)
		}
	}
	if got := eval[int](b, `document.querySelector("table.stats").querySelectorAll("thead th.num").length`); got != 9 {
		t.Errorf("the table has %d years, want 9 (2004 to 2012)", got)
	}
	// The chart: an image with a title, one line for each country.
	if got := eval[int](b, `document.querySelectorAll("figure.line-chart svg.line path.series-line").length`); got != 2 {
		t.Errorf("the chart draws %d lines, want 2", got)
	}
	if got := eval[string](b, `document.querySelector("figure.line-chart svg.line").getAttribute("role")`); got != "img" {
		t.Errorf("the chart's role is %q, want img", got)
	}
	legend := eval[[]string](b, `[...document.querySelectorAll("figure.line-chart .chart-legend li span")].map(s => s.textContent)`)
	if strings.Join(legend, ", ") != "Kenya, France" {
		t.Errorf("the legend reads %v", legend)
	}
	if w := eval[float64](b, `document.querySelector("figure.line-chart svg.line").getBoundingClientRect().width`); w < 400 {
		t.Errorf("the chart is drawn %v px wide", w)
	}
	// The trends and the sources are there.
	if got := b.text(`table.trends tbody tr th`); got != "Kenya" {
		t.Errorf("the first trend is of %q", got)
	}
	if !strings.Contains(b.text("dl.sources"), "Global Study on Homicide 2013") {
		t.Error("the sources do not name the Global Study on Homicide 2013")
	}
	// The view's link is its address.
	link := run(b, chromedp.Value(chromedp.CSS("#view-link")))
	if lu, err := url.Parse(link); err != nil || lu.Query().Encode() != q.Encode() && lu.Query().Get("area") != "KEN,FRA" {
		t.Errorf("the link to this view is %q, the address %s", link, u)
	}
	b.shoot("explorer-view")
	b.shootPrint("explorer-view")

	// The download holds the same figures.
	href := eval[string](b, `document.querySelector("#download-csv").href`)
	res, err := httpClient.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %s %s", href, res.Status, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("the CSV download does not parse: %v", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	area, period, value := col["REF_AREA"], col["TIME_PERIOD"], col["OBS_VALUE"]
	if area == 0 && period == 0 {
		t.Fatalf("the CSV's header is %v", rows[0])
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) > max(area, period, value) && strings.HasSuffix(r[col["UNIT_MEASURE"]], "RT100K") {
			got[r[area]+" "+r[period]] = r[value]
		}
	}
	for k, want := range map[string]string{"KEN 2012": "6.4", "FRA 2004": "1.6"} {
		if got[k] != want {
			t.Errorf("the CSV gives %s as %q, want %s", k, got[k], want)
		}
	}
	if _, ok := got["ZAF 2004"]; ok {
		t.Error("the CSV holds South Africa, which the view does not")
	}

	// Another dataflow: the breakdowns change, the areas stay.
	b.do(chromedp.SetValue(chromedp.CSS("#flow"), "OFFENCES"))
	if st := b.explorerSubmit(); st != http.StatusOK {
		t.Fatalf("show the offences: status %d", st)
	}
	if !b.has(`#field-iccs input[value="0501"]`) || !b.has(`#areas-chosen input[value="KEN"]:checked`) {
		t.Error("after choosing the offences the form has no crime categories, or lost Kenya")
	}
	if b.has("#field-source_type input") {
		t.Error("the offences, all from criminal-justice sources, still offer a choice of source")
	}

	// A mistake: the error names the field, which keeps what was typed.
	b.fill("#start", "20x4")
	if st := b.explorerSubmit(); st != http.StatusBadRequest {
		t.Errorf("a bad year answers %d, want 400", st)
	}
	if got := b.text("#err-start"); !strings.Contains(got, `"20x4" is not a period`) {
		t.Errorf("the error next to the first year reads %q", got)
	}
	if got := eval[string](b, `document.querySelector("#start").getAttribute("aria-invalid") + " " + document.querySelector("#start").value`); got != "true 20x4" {
		t.Errorf("the first year's field: %q, want it marked invalid and holding 20x4", got)
	}
	if got := b.text("#explore-error"); !strings.Contains(got, "The view cannot be shown") {
		t.Errorf("the results say %q", got)
	}
	b.shoot("explorer-error")

	// A large view: the table is cut, and says by how much.
	b.open("/statistics?flow=OFFENCES&area=ARG,AUT,BEL,BGR,CAN,CHE,CHL,COL,CZE,DEU,ESP,FIN,FRA,HUN,ITA,JPN,KEN,MEX,PHL,SWE")
	if got := b.text("#capped"); !strings.Contains(got, "the table shows the first 100 series (2,000 cells)") {
		t.Errorf("the large view says %q", got)
	}
	if n := eval[int](b, `document.querySelector("table.stats").querySelectorAll("tbody tr").length`); n != 100 {
		t.Errorf("the large view's table has %d rows, want 100", n)
	}
	b.shoot("explorer-capped")
}

func (e *env) testStatsArea(t *testing.T) {
	b := e.newTab(t)
	b.open("/states/KEN")
	if st := b.submit(`main a[href="/statistics/areas/KEN"]`); st != http.StatusOK {
		t.Fatalf("Kenya's statistics: status %d", st)
	}
	if got := b.text("main h1"); got != "Crime statistics: Kenya" {
		t.Errorf("h1 %q", got)
	}
	if got := b.text("section[aria-labelledby=homicide] .figure"); got != "6.4" {
		t.Errorf("Kenya's latest homicide rate reads %q, want 6.4 (2012)", got)
	}
	if n := eval[int](b, `document.querySelectorAll("section[aria-labelledby=offences] tbody tr").length`); n < 5 {
		t.Errorf("Kenya's offences: %d categories", n)
	}
	b.shoot("statistics-kenya")
	// Each figure leads into the explorer with its view.
	if st := b.submit(`section[aria-labelledby=homicide] a[href^="/statistics?"]`); st != http.StatusOK {
		t.Fatalf("explore Kenya's homicide: status %d", st)
	}
	if got := b.tableCell("Kenya", "2012"); got != "6.4" {
		t.Errorf("the explorer, from Kenya's page, shows 2012 as %q", got)
	}

	// In Arabic: the page right to left, the chart's time axis still left
	// to right, the figures in Western digits.
	b.open("/statistics")
	if st := b.submit(`footer.site .languages button[value="ar"]`); st != http.StatusOK {
		t.Fatalf("switch to Arabic: status %d", st)
	}
	if got := eval[string](b, `document.documentElement.dir + " " + getComputedStyle(document.querySelector("svg.line")).direction`); got != "rtl ltr" {
		t.Errorf("the Arabic explorer's page and chart directions are %q, want rtl ltr", got)
	}
	xs := eval[[]float64](b, `[...document.querySelectorAll("svg.line text.tick")].filter(t => /^20\d\d$/.test(t.textContent)).map(t => t.getBoundingClientRect().x)`)
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			t.Errorf("in Arabic the chart's years run right to left: x %v", xs)
			break
		}
	}
	if got := b.tableCell("South Africa", "2000"); got != "48.5" {
		t.Errorf("in Arabic South Africa 2000 reads %q", got)
	}
	b.shoot("explorer-ar")
	b.open("/statistics/areas/KEN")
	b.shoot("statistics-kenya-ar")
	b.submit(`footer.site .languages button[value="en"]`)
}
