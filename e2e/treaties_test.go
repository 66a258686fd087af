package e2e

// The treaty pages as their readers meet them: the status of an instrument
// on a chosen date, a State's treaties, the status annex and its downloads,
// the secretariat's record form with its rules, and the same pages in
// French and Arabic. The figures are those of the depositary records that
// cpcj ships (the UN Treaty Collection as of 14 March 2015).

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The instruments the tests use, by their Treaty Collection numbers.
const (
	untoc = "XVIII-12"   // the Organized Crime Convention
	tip   = "XVIII-12-a" // its Trafficking in Persons Protocol
	uncac = "XVIII-14"   // the Convention against Corruption
)

// counts are the three figures at the head of an instrument's status.
type counts struct{ Parties, States, Signatories int }

// counts reads the figures of the instrument page the tab shows.
func (b *tab) counts() counts {
	b.t.Helper()
	read := func(id string) int {
		s := b.text("#" + id)
		n, err := strconv.Atoi(strings.NewReplacer(",", "", "\u00a0", "", "\u202f", "", " ", "").Replace(s))
		if err != nil {
			b.t.Fatalf("#%s shows %q, not a number", id, s)
		}
		return n
	}
	return counts{read("count-parties"), read("count-states"), read("count-signatories")}
}

// showDate sets the date picker of the page's filter form and submits it,
// as a reader does; it fails the test unless the page answers 200.
func (b *tab) showDate(date string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(`main form.filters input[type="date"]`), date))
	if st := b.submit(`main form.filters button[type="submit"]`); st != http.StatusOK {
		b.t.Fatalf("show the status on %s: status %d (at %s)", date, st, b.location())
	}
	if got := b.path(); !strings.Contains(got, "date="+date) {
		b.t.Fatalf("the date picker led to %s, want date=%s in it", got, date)
	}
}

// links lists the codes of the participants a part of the page links to.
func (b *tab) links(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(a => a.getAttribute("href").replace("/states/", ""))`,
		jsString(sel+` a[href^="/states/"]`)))
}

// today is the server's date: cpcj dates records in UTC.
func today() string { return time.Now().UTC().Format("2006-01-02") }

func (e *env) testInstrumentStatus(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/treaties/" + untoc); st != http.StatusOK {
		t.Fatalf("GET /treaties/%s: status %d", untoc, st)
	}
	if got := b.text("main h1"); got != "Organized Crime Convention" {
		t.Errorf("h1 %q, want Organized Crime Convention", got)
	}
	if got := eval[string](b, `document.querySelector("#date").min`); got != "2000-11-15" {
		t.Errorf("the date picker starts at %q, want the adoption, 2000-11-15", got)
	}

	// Before the entry into force, then on the day of resolution 68/193.
	b.showDate("2003-06-30")
	early := b.counts()
	if got := b.text("#status"); got != "Status on 30 June 2003" {
		t.Errorf("status heading %q on 2003-06-30", got)
	}
	if !strings.Contains(b.text("section.status"), "Not yet in force on this date.") {
		t.Error("on 2003-06-30 the page does not say that UNTOC was not yet in force")
	}
	b.showDate("2013-12-18")
	late := b.counts()
	if want := (counts{179, 178, 147}); late != want {
		t.Errorf("on 2013-12-18 the page counts %+v, want %+v", late, want)
	}
	if early.Parties >= late.Parties || early.Parties == 0 {
		t.Errorf("parties on 2003-06-30: %d, on 2013-12-18: %d; the earlier count should be smaller, and not zero", early.Parties, late.Parties)
	}
	if got := b.text("#status"); got != "Status on 18 December 2013" {
		t.Errorf("status heading %q on 2013-12-18", got)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#date"))); got != "2013-12-18" {
		t.Errorf("after showing 2013-12-18 the date picker holds %q", got)
	}
	if got := eval[int](b, `document.querySelectorAll('section[aria-labelledby="parties"] tbody tr').length`); got != late.Parties {
		t.Errorf("the list of parties has %d rows, the count says %d", got, late.Parties)
	}

	// The chart is an image and the map a group of links, each with a title
	// that says what it shows.
	for _, c := range []struct{ sel, title, role string }{
		{"figure.chart svg", "Parties to the Organized Crime Convention at the end of each year", "img"},
		{"figure.map svg", "Parties to the Organized Crime Convention on 18 December 2013", "group"},
	} {
		if got := eval[string](b, fmt.Sprintf(`(document.querySelector(%s) || {getAttribute: () => "missing"}).getAttribute("role")`, jsString(c.sel))); got != c.role {
			t.Errorf("%s: role %q, want %s", c.sel, got, c.role)
			continue
		}
		// The accessible name is the title the SVG refers to.
		got := eval[string](b, fmt.Sprintf(`(() => { const s = document.querySelector(%s);
			return (s.getAttribute("aria-labelledby") || "").split(" ").map(id => (document.getElementById(id) || {}).textContent || "").join(" | ") })()`, jsString(c.sel)))
		if !strings.HasPrefix(got, c.title+" | ") || len(got) < len(c.title)+10 {
			t.Errorf("%s is labelled %q, want the title %q and a description", c.sel, got, c.title)
		}
		if w := eval[float64](b, fmt.Sprintf(`document.querySelector(%s).getBoundingClientRect().width`, jsString(c.sel))); w < 300 {
			t.Errorf("%s is drawn %v px wide", c.sel, w)
		}
	}
	if got := eval[int](b, `document.querySelectorAll("figure.chart svg rect.bar").length`); got != 14 {
		t.Errorf("the chart has %d bars, want 14 (2000 to 2013)", got)
	}
	markers := eval[[]string](b, `[...document.querySelectorAll("figure.chart svg .marker-label")].map(t => t.textContent)`)
	if strings.Join(markers, "; ") != "40th instrument, 1 July 2003; entry into force, 29 September 2003" {
		t.Errorf("the chart's markers read %q", markers)
	}
	if got := eval[string](b, `(document.querySelector('figure.map svg a[href="/states/KEN"] path') || {}).getAttribute?.("class") || ""`); got != "party" {
		t.Errorf("Kenya is drawn as %q on the map, want party", got)
	}
	if got := eval[int](b, `document.querySelectorAll("figure.map svg path.party, figure.map svg circle.party").length`); got < 150 {
		t.Errorf("the map draws %d parties", got)
	}
	legend := b.text("figure.map figcaption")
	for _, k := range []string{"party", "signatory, not party", "not party"} {
		if !strings.Contains(legend, k) {
			t.Errorf("the map's legend lacks %q: %q", k, legend)
		}
	}
	b.shoot("instrument-untoc-2013")

	// An instrument not deposited with the Secretary-General says so
	// rather than show zero.
	if st := b.open("/treaties/TOKYO-1963"); st != http.StatusOK {
		t.Fatalf("GET /treaties/TOKYO-1963: status %d", st)
	}
	if b.has("#count-parties") || b.has("figure.map") {
		t.Error("the page of the Tokyo Convention shows counts, which cpcj does not keep")
	}
	if got := b.text(`main .callout[role="note"]`); !strings.Contains(got, "ICAO") {
		t.Errorf("the Tokyo Convention's note %q does not name its depositary", got)
	}
}

func (e *env) testStateTreaties(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/states/KEN"); st != http.StatusOK {
		t.Fatalf("GET /states/KEN: status %d", st)
	}
	if got := b.text("#treaties"); got != "Treaties" {
		t.Errorf("the State's treaties heading is %q", got)
	}
	row := `section[aria-labelledby="treaties"] tbody tr:has(a[href^="/treaties/` + untoc + `?"])`
	if !b.has(row) {
		t.Fatalf("Kenya's Treaties table has no row for UNTOC:\n%s", b.text(`section[aria-labelledby="treaties"]`))
	}
	cells := eval[[]string](b, fmt.Sprintf(`[...document.querySelector(%s).children].map(c => c.textContent.trim().replace(/\s+/g, " "))`, jsString(row)))
	want := []string{"Organized Crime Convention " + untoc, "not signed", "16 June 2004 accession", "16 July 2004"}
	if strings.Join(cells, " | ") != strings.Join(want, " | ") {
		t.Errorf("Kenya's UNTOC row reads\n%q, want\n%q", cells, want)
	}
	// Before its accession, Kenya was not a party.
	b.showDate("2004-01-01")
	if got := b.text(row + " td:nth-of-type(2)"); got != "not party" {
		t.Errorf("on 2004-01-01 Kenya's UNTOC row says %q, want not party", got)
	}
	// The row leads to the instrument, on the same date.
	if st := b.submit(row + " a"); st != http.StatusOK {
		t.Fatalf("follow the UNTOC link: status %d", st)
	}
	if got := b.path(); got != "/treaties/"+untoc+"?date=2004-01-01" {
		t.Errorf("the UNTOC link led to %s", got)
	}
}

func (e *env) testAnnex(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/treaties/annex?date=2013-12-18"); st != http.StatusOK {
		t.Fatalf("GET /treaties/annex: status %d", st)
	}
	if got := b.text("main h1"); got != "Status of ratifications and accessions" {
		t.Errorf("h1 %q", got)
	}
	if got := b.text("table.annex caption"); !strings.HasSuffix(got, "on 18 December 2013") {
		t.Errorf("the annex's caption %q does not give the date", got)
	}
	heads := eval[[]string](b, `[...document.querySelectorAll('table.annex thead th[scope="colgroup"] a')].map(a => a.getAttribute("href"))`)
	if strings.Join(heads, " ") != "/treaties/XVIII-12 /treaties/XVIII-12-a /treaties/XVIII-12-b /treaties/XVIII-12-c" {
		t.Errorf("the annex's instruments are %v, want UNTOC and its three Protocols", heads)
	}
	if rows := eval[int](b, `document.querySelectorAll("table.annex tbody tr").length`); rows < 179 {
		t.Errorf("the annex lists %d participants, fewer than UNTOC's 179 parties", rows)
	}
	totals := eval[[]string](b, `[...document.querySelectorAll("table.annex tfoot td")].map(td => td.innerText.replace(/\s+/g, " ").trim())`)
	if len(totals) != 8 || totals[0] != "147 signatories" || totals[1] != "179 parties of which 178 States" {
		t.Errorf("the annex's totals read %q, want UNTOC's first: 147 signatories, 179 parties of which 178 States", totals)
	}
	if got := b.text(`table.annex tfoot th`); got != "Total" {
		t.Errorf("the totals row is headed %q", got)
	}

	// The downloads carry the same date and instruments as the page.
	for _, d := range []struct{ label, format, ctype, start string }{
		{"Download as CSV", "csv", "text/csv", "participant,code,XVIII-12 signature"},
		{"Download as Excel", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK"},
	} {
		sel := `main a[href*="format=` + d.format + `"]`
		if got := b.text(sel); got != d.label {
			t.Errorf("the %s link reads %q, want %q", d.format, got, d.label)
		}
		href := eval[string](b, fmt.Sprintf(`document.querySelector(%s).href`, jsString(sel)))
		res, err := httpClient.Get(href)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), d.ctype) {
			t.Errorf("GET %s: %s, %s", href, res.Status, res.Header.Get("Content-Type"))
			continue
		}
		if !strings.HasPrefix(string(body), d.start) {
			t.Errorf("GET %s starts with %q, want %q", href, body[:min(len(body), 60)], d.start)
		}
		if got := res.Header.Get("Content-Disposition"); !strings.Contains(got, "status-annex-2013-12-18."+d.format) {
			t.Errorf("GET %s: Content-Disposition %q, want the file of 2013-12-18", href, got)
		}
		if d.format == "csv" {
			// Ghana acceded to the Firearms Protocol on 14 January 2014: not
			// yet a party on the annex's date.
			ghana := csvRow(t, body, "GHA")
			if len(ghana) != 18 || ghana[15] != "" || ghana[3] != "2012-08-21" {
				t.Errorf("the CSV's row of Ghana on 2013-12-18 is %q, want UNTOC since 2012-08-21 and no Firearms Protocol", ghana)
			}
		}
	}
	b.shoot("annex-2013")
	b.shootPrint("annex-2013")
}

// csvRow returns the row of the participant code in a CSV annex.
func csvRow(t *testing.T, body []byte, code string) []string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(string(body)))
	r.FieldsPerRecord = -1 // the file ends with a note of one field
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV annex does not parse: %v", err)
	}
	for _, r := range rows {
		if len(r) > 1 && r[1] == code {
			return r
		}
	}
	t.Errorf("the CSV annex has no row for %s", code)
	return nil
}

func (e *env) testTreatyRecords(t *testing.T) {
	day := today()
	b := e.newTab(t)
	b.signIn(e.admin)

	// A Member State that has neither signed nor joined UNCAC.
	b.open("/treaties/" + uncac)
	before := b.counts()
	signed := map[string]bool{}
	for _, c := range b.links(`section[aria-labelledby="signatories"]`) {
		signed[c] = true
	}
	signer := ""
	for _, c := range b.links(`section[aria-labelledby="notparty"]`) {
		if !signed[c] {
			signer = c
			break
		}
	}
	if signer == "" {
		t.Fatal("found no Member State that has neither signed nor joined UNCAC")
	}
	if !b.has(`main a[href="/treaties/records/new?instrument=` + uncac + `"]`) {
		t.Error("the instrument page offers an administrator no link to enter a record")
	}

	b.open("/treaties/records/new?instrument=" + uncac)
	if got := run(b, chromedp.Value(chromedp.CSS("#instrument"))); got != uncac {
		t.Errorf("the form opened from UNCAC's page proposes the instrument %q", got)
	}
	b.fillRecord(signer, "signature", day)
	if st := b.submit(`main form[action="/treaties/records"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("enter the signature: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), "/treaties/"+uncac+"?date="+day+"&done=record_created"; got != want {
		t.Errorf("after entering the record the browser is on %s, want %s", got, want)
	}
	if got := b.text("main .notice"); got != "The record was entered." {
		t.Errorf("notice %q", got)
	}
	after := b.counts()
	if after.Signatories != before.Signatories+1 || after.Parties != before.Parties {
		t.Errorf("entering a signature took the counts from %+v to %+v, want one more signatory", before, after)
	}
	if !b.has(`section[aria-labelledby="signatories"] a[href="/states/` + signer + `"]`) {
		t.Errorf("%s is not in the list of signatories after its signature", signer)
	}
	b.shoot("instrument-record-created")

	// A Protocol's ratification by a State not party to the Convention is
	// refused, with the rule named (UNTOC art. 37(2)).
	b.open("/treaties/" + untoc)
	outside := b.links(`section[aria-labelledby="notparty"]`)
	b.open("/treaties/" + tip)
	tipBefore := b.counts()
	inTIP := map[string]bool{}
	for _, c := range b.links(`section[aria-labelledby="parties"]`) {
		inTIP[c] = true
	}
	breaker := ""
	for _, c := range outside {
		if !inTIP[c] {
			breaker = c
			break
		}
	}
	if breaker == "" {
		t.Fatal("found no Member State outside both UNTOC and its Trafficking in Persons Protocol")
	}
	b.open("/treaties/records/new?instrument=" + tip)
	b.fillRecord(breaker, "ratification", day)
	st := b.submit(`main form[action="/treaties/records"] button[type="submit"]`)
	if st != http.StatusBadRequest && st != http.StatusUnprocessableEntity && st != http.StatusConflict {
		t.Errorf("a Protocol ratification by %s, not party to UNTOC: status %d, want 400, 409 or 422", breaker, st)
	}
	msg := b.text("#record-error")
	for _, want := range []string{"UNTOC art. 37(2)", breaker, untoc} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal %q does not name %q", msg, want)
		}
	}
	if got := eval[string](b, `document.querySelector("#action").getAttribute("aria-invalid") + " " + document.querySelector("#action").getAttribute("aria-describedby")`); got != "true record-error" {
		t.Errorf("the action field is marked %q, want aria-invalid true and described by the error", got)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#participant"))); got != breaker {
		t.Errorf("after the refusal the form holds the participant %q, want %q", got, breaker)
	}
	b.shoot("record-refused")
	b.open("/treaties/" + tip + "?date=" + day)
	if got := b.counts(); got != tipBefore {
		t.Errorf("the refused record changed the Protocol's counts from %+v to %+v", tipBefore, got)
	}

	// A focal point may read the status but not enter records.
	f := e.newTab(t)
	f.signIn(e.focal)
	if st := f.open("/treaties/records/new"); st != http.StatusForbidden {
		t.Errorf("a focal point opening the record form: status %d, want 403", st)
	}
	f.open("/treaties/" + uncac)
	if f.has(`main a[href^="/treaties/records/new"]`) {
		t.Error("the instrument page offers a focal point to enter a record")
	}
}

// fillRecord fills the record form with an action of today's kind.
func (b *tab) fillRecord(participant, action, date string) {
	b.t.Helper()
	b.do(
		chromedp.SetValue(chromedp.CSS("#participant"), participant),
		chromedp.SetValue(chromedp.CSS("#action"), action),
		chromedp.SetValue(chromedp.CSS("#date"), date),
		chromedp.SetValue(chromedp.CSS("#records_as_of"), date),
	)
	b.fill("#source", "Depositary notification C.N.1.TREATIES (test)")
}

// testTreatyLanguages reads the instrument page in French and Arabic: the
// treaty messages are translated, not English, and Arabic reads from the right.
func (e *env) testTreatyLanguages(t *testing.T) {
	b := e.newTab(t)
	page := "/treaties/" + untoc + "?date=2013-12-18"
	b.open(page)
	for _, l := range []struct {
		code, dir, status, states, growth, annex string
	}{
		{"fr", "ltr", "État au 18 décembre 2013", "États parties", "Évolution du nombre de parties", "État des ratifications et des adhésions"},
		{"ar", "rtl", "الحالة في 18 ديسمبر 2013", "دولةً طرفًا", "تطوّر عدد الأطراف", "حالة التصديقات والانضمامات"},
	} {
		if st := b.submit(`footer.site .languages button[value="` + l.code + `"]`); st != http.StatusOK {
			t.Fatalf("switch to %s: status %d", l.code, st)
		}
		// The switch comes back to the page without its date: open it again.
		b.open(page)
		if got := eval[string](b, `document.documentElement.lang + " " + document.documentElement.dir`); got != l.code+" "+l.dir {
			t.Errorf("<html> lang and dir %q, want %s %s", got, l.code, l.dir)
		}
		if got := b.text("#status"); got != l.status {
			t.Errorf("%s: status heading %q, want %q", l.code, got, l.status)
		}
		if got := eval[string](b, `document.querySelector("#count-states").parentElement.textContent.replace(/^\s*[\d\s,.\u00a0\u202f]+/, "").trim()`); got != l.states {
			t.Errorf("%s: the States parties are counted as %q, want %q", l.code, got, l.states)
		}
		if got := b.text("#growth"); got != l.growth {
			t.Errorf("%s: chart heading %q, want %q", l.code, got, l.growth)
		}
		if c := b.counts(); c != (counts{179, 178, 147}) {
			t.Errorf("%s: counts %+v", l.code, c)
		}
		b.shoot("instrument-" + l.code)
		b.open("/treaties/annex?date=2013-12-18")
		if got := b.text("main h1"); got != l.annex {
			t.Errorf("%s: annex h1 %q, want %q", l.code, got, l.annex)
		}
		b.shoot("annex-" + l.code)
	}
	b.open(page)
	// Right to left, the counts start at the right edge.
	left := eval[float64](b, `document.querySelector("#counts li").getBoundingClientRect().left`)
	right := eval[float64](b, `document.documentElement.clientWidth - document.querySelector("#counts li").getBoundingClientRect().right`)
	if right > left {
		t.Errorf("in Arabic the first count is not on the right (left gap %v px, right gap %v px)", left, right)
	}
	for _, p := range []struct{ name, path string }{
		{"treaties-ar", "/treaties"},
		{"state-treaties-ar", "/states/KEN"},
	} {
		b.open(p.path)
		b.shoot(p.name)
	}
	b.submit(`footer.site .languages button[value="en"]`)
}

// shootPrint saves the page as printed, when screenshots are asked for: a
// PDF on A4 in landscape, as the annex goes to print, and a PNG of the page
// with print styles at that width.
func (b *tab) shootPrint(name string) {
	b.t.Helper()
	if b.e.shots == "" {
		return
	}
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	pdf := run(b, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFLandscape()))
	if err := os.WriteFile(filepath.Join(b.e.shots, name+"-print.pdf"), pdf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	// A4 landscape less 1 cm margins, in CSS pixels.
	b.do(media("print"), chromedp.EmulateViewport(1047, 718))
	png := run(b, chromedp.FullScreenshot(100))
	b.do(media(""), chromedp.EmulateViewport(1280, 900))
	if err := os.WriteFile(filepath.Join(b.e.shots, name+"-print.png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
