package e2e

// The annual collection as the secretariat and a focal point go through
// it, in the browser: the secretariat opens a round; Kenya's focal point
// downloads the Excel questionnaire, fills it (the test edits the file),
// uploads it, sees a warning, explains it and submits; the secretariat
// queries a figure, the focal point answers, the secretariat validates
// and publishes. The public SDMX API then serves the new figure, and the
// figures as they were before stay available "as of" their date: the
// test publishes a revision of the figure too, so that there is an
// earlier revision to ask for. The focal point also revises 2022's
// published figure in the form, which the same publication makes public,
// the figure it replaces staying available as of before.

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// The round the test opens, and the figures it sends.
const (
	roundYear  = 2023              // Kenya's figures for 2022 are published: they are last year's
	roundName  = "UN-CTS 2023"     // the round's name
	police     = "OFFENCES_POLICE" // the questionnaire's table of offences recorded by the police
	assaultRow = "020111"          // serious assault, the table's first row
	assaultLbl = "Serious assault" // its label
	assault22  = "22,573"          // Kenya's serious assaults in 2022, as published
	assaultNew = 50000             // the figure the State gives for 2023: far from 2022's
	assaultRev = 48000             // the figure of the State's revision
	assault22R = 22950             // the State's revision of its 2022 figure, in the form
	revComment = "Reports from two counties arrived after the 2022 figures were published."
	comment    = "A new recording system counts every assault reported at a police post from 2023 on."
)

// assaultKey is the series of Kenya's serious assaults recorded by the
// police, in the order of the OFFENCES dimensions: FREQ, REF_AREA,
// INDICATOR, ICCS, SEX, AGE, RELATIONSHIP, CYBER, SOURCE_TYPE,
// UNIT_MEASURE.
const assaultKey = "A.KEN.OFF.020111._T._T._Z._T.CJ.NB"

// policeFigures are Kenya's figures for the reference year, by ICCS code:
// every category the table requires, each near its 2022 figure but
// serious assault, which more than doubles. The parts of sexual violence
// add up to it, and the "of which" categories stay below their totals.
var policeFigures = map[string]float64{
	assaultRow: assaultNew,
	"020221":   60,    // kidnapping, 57 in 2022
	"0301":     7300,  // sexual violence, 7,166
	"03011":    850,   // rape, 822
	"03012":    380,   // sexual assault, 372
	"03019":    6070,  // other acts of sexual violence, 5,972
	"0501":     1600,  // burglary, 1,589
	"0502":     14900, // theft, 14,718
	"05021":    250,   // theft of a motorized vehicle, 240
	"0701":     480,   // fraud, 474
	"0703":     97,    // corruption, 95
	"07031":    62,    // bribery, 61
}

// collectionRun is the state the steps of the test pass on.
type collectionRun struct {
	e          *env
	t          *testing.T
	sec, focal *tab
	round      string // the round's path, /collection/rounds/{id}
	statePage  string // Kenya's page of the round
	submission string // the path of Kenya's police table for review
	warnings   int    // the warnings the upload's check found
	unread     int    // the focal point's unread notifications before the query
}

func (e *env) testCollection(t *testing.T) {
	sec := &account{Email: "lucia.ferreira@un.example.org", Name: "Lucía Ferreira", Role: "secretariat",
		Password: "statistics secretariat passphrase", RoleText: "Secretariat"}
	e.cli(t, sec.Password+"\n", "user", "add", "--database", e.db, "--email", sec.Email, "--name", sec.Name, "--role", sec.Role, "--password-stdin")
	c := &collectionRun{e: e, t: t, sec: e.newTab(t), focal: e.newTab(t)}
	c.sec.signIn(sec)
	c.focal.signIn(e.focal)

	c.openRound()
	book := c.downloadWorkbook()
	c.uploadWorkbook(fillQuestionnaire(t, book))
	c.explainAndSubmit()
	c.raiseQuery()
	c.answerQuery()
	c.closeAndValidate()
	firstAt := c.publishRound()
	c.wantPublic(firstAt)
	secondAt := c.revise()
	c.wantRevisions(firstAt, secondAt)
}

// openRound opens the round on the collection page, with the police
// table alone, open from today.
func (c *collectionRun) openRound() {
	t, b := c.t, c.sec
	if st := b.open("/collection"); st != http.StatusOK {
		t.Fatalf("GET /collection as the secretariat: status %d", st)
	}
	if got := b.text("main h1"); got != "Annual collection of statistics" {
		t.Errorf("the collection page's h1 is %q", got)
	}
	if !b.has(`form[action="/collection/rounds"]`) {
		t.Fatal("the collection page offers the secretariat no form to open a round")
	}
	b.fill("#name", roundName)
	b.fill("#year", strconv.Itoa(roundYear))
	b.do(chromedp.SetValue(chromedp.CSS("#opens_on"), today()),
		chromedp.SetValue(chromedp.CSS("#due_on"), time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)))
	// Ask for the police table alone: untick the others, as a user would.
	tables := eval[[]string](b, `[...document.querySelectorAll('input[name="table"]')].map(c => c.value)`)
	if !slices.Contains(tables, police) {
		t.Fatalf("the round form offers the tables %v, not %s", tables, police)
	}
	for _, id := range tables {
		box := `input[name="table"][value=` + jsString(id) + `]`
		if on := eval[bool](b, `document.querySelector(`+jsString(box)+`).checked`); on != (id == police) {
			b.do(chromedp.Click(chromedp.CSS(box)))
		}
	}
	b.shoot("collection-open-round")
	if st := b.submit(`form[action="/collection/rounds"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("open the round: status %d\n%s", st, b.text("main"))
	}
	m := regexp.MustCompile(`^(/collection/rounds/\d+)\?done=collrev_round_opened$`).FindStringSubmatch(b.path())
	if m == nil {
		t.Fatalf("opening the round led to %s, want its dashboard", b.path())
	}
	c.round = m[1]
	c.statePage = c.round + "/states/KEN"
	if got := b.text("main .notice"); !strings.HasPrefix(got, "The round is open.") {
		t.Errorf("notice %q after opening the round", got)
	}
	if got := b.text("main h1"); !strings.HasPrefix(got, roundName) {
		t.Errorf("the dashboard's h1 is %q, want the round's name", got)
	}
	if got := b.text("main p.lead"); !strings.Contains(got, "Reference year 2023") || !strings.Contains(got, "1 table asked") {
		t.Errorf("the dashboard's lead reads %q, want the reference year 2023 and one table", got)
	}
}

// downloadWorkbook has the focal point find the round and download
// Kenya's questionnaire from the State's page, with the browser's cookies.
func (c *collectionRun) downloadWorkbook() []byte {
	t, b := c.t, c.focal
	if st := b.open("/collection"); st != http.StatusOK {
		t.Fatalf("GET /collection as Kenya's focal point: status %d", st)
	}
	if st := b.submit(`main table.cr-rounds a[href=` + jsString(c.statePage) + `]`); st != http.StatusOK {
		t.Fatalf("open the round from the list: status %d", st)
	}
	if got := b.text("main h1"); got != roundName+": Kenya" {
		t.Errorf("Kenya's page of the round has the h1 %q", got)
	}
	row := `main table.answers tbody tr:has(a[href=` + jsString(c.statePage+"/tables/"+police) + `])`
	if got := b.text(row + " .cr-status"); got != "not started" {
		t.Errorf("before anything is sent the police table is %q, want not started", got)
	}
	if got := b.text(row + " td:nth-of-type(5)"); !strings.HasPrefix(got, "yes,") {
		t.Errorf("the page says of the figures published for 2022: %q, want yes and their number", got)
	}
	b.shoot("collection-state")

	href := eval[string](b, `document.querySelector('main a[href$="/workbook"]').href`)
	got := fetchFile(b, href)
	if got.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d", href, got.Status)
	}
	if !strings.HasPrefix(got.Type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") {
		t.Errorf("the questionnaire is sent as %q", got.Type)
	}
	if !strings.Contains(got.Disposition, "UN-CTS-2023-KEN.xlsx") {
		t.Errorf("the questionnaire's Content-Disposition is %q, want the file UN-CTS-2023-KEN.xlsx", got.Disposition)
	}
	body, err := base64.StdEncoding.DecodeString(got.Body)
	if err != nil {
		t.Fatalf("the questionnaire's bytes: %v", err)
	}
	return body
}

// download is a file the page fetched.
type download struct {
	Status      int
	Type        string
	Disposition string
	Body        string // base64
}

// fetchFile fetches a URL from the page, with its cookies, as a click on
// a download link would, and returns the file.
func fetchFile(b *tab, href string) download {
	b.t.Helper()
	js := `fetch(` + jsString(href) + `, {credentials: "same-origin"}).then(async r => {
		const bytes = new Uint8Array(await r.arrayBuffer());
		let s = "";
		for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
		return {Status: r.status, Type: r.headers.get("Content-Type") || "", Disposition: r.headers.get("Content-Disposition") || "", Body: btoa(s)};
	})`
	return run(b, chromedp.Evaluate[download](js, chromedp.EvalAwaitPromise))
}

// fillQuestionnaire fills the police sheet of the questionnaire with the
// figures for the reference year, finding its way as cpcj does: by the
// table's marker and the codes hidden in row 1 and column A, not by
// position. It checks that the sheet shows the figure published for 2022
// beside serious assault, and returns the file, saved under the name the
// download had.
func fillQuestionnaire(t *testing.T, book []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatalf("the questionnaire does not open: %v", err)
	}
	defer f.Close()
	sheet := ""
	for _, s := range f.GetSheetList() {
		if v, _ := f.GetCellValue(s, "A1"); v == "cpcj:"+police {
			sheet = s
		}
	}
	if sheet == "" {
		t.Fatalf("the questionnaire has no sheet of %s (sheets %v)", police, f.GetSheetList())
	}
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) < 2 {
		t.Fatalf("sheet %q: %d rows, %v", sheet, len(rows), err)
	}
	col := map[string]int{}
	for i, code := range rows[0] {
		col[code] = i + 1
	}
	if col["value"] == 0 || col["published"] == 0 {
		t.Fatalf("sheet %q: the hidden code row %q has no value or published column", sheet, rows[0])
	}
	filled := 0
	for i, r := range rows {
		if len(r) == 0 {
			continue
		}
		year, code, ok := strings.Cut(r[0], "|")
		code = strings.TrimSuffix(code, "|")
		figure, asked := policeFigures[code]
		if !ok || year != strconv.Itoa(roundYear) || !asked {
			continue
		}
		if code == assaultRow {
			published := ""
			if len(r) >= col["published"] {
				published = r[col["published"]-1]
			}
			if strings.ReplaceAll(published, ",", "") != strings.ReplaceAll(assault22, ",", "") {
				t.Errorf("the questionnaire shows %q as serious assault's published figure for 2022, want %s", published, assault22)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(col["value"], i+1)
		if err := f.SetCellInt(sheet, cell, int64(figure)); err != nil {
			t.Fatal(err)
		}
		filled++
	}
	if filled != len(policeFigures) {
		t.Fatalf("found %d of the %d rows to fill for %d in sheet %q", filled, len(policeFigures), roundYear, sheet)
	}
	path := filepath.Join(t.TempDir(), "UN-CTS-2023-KEN.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// uploadWorkbook uploads the filled questionnaire, checks what the
// check page says it changes and finds, and saves it.
func (c *collectionRun) uploadWorkbook(path string) {
	t, b := c.t, c.focal
	if st := b.submit(`main a[href=` + jsString(c.statePage+"/upload") + `]`); st != http.StatusOK {
		t.Fatalf("open the upload page: status %d", st)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}))
	if st := b.submit(`main form[action$="/upload"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("upload the questionnaire: status %d\n%s", st, b.text("main"))
	}
	if !regexp.MustCompile(`^/collection/jobs/\d+$`).MatchString(b.path()) {
		t.Fatalf("the upload led to %s, want the page of its check", b.path())
	}
	if got := b.text("main h1"); got != "Checking UN-CTS-2023-KEN.xlsx" {
		t.Errorf("the check page's h1 is %q", got)
	}
	if !b.has(`main form[action$="/save"]`) {
		t.Fatalf("the check page offers no button to save the figures:\n%s", b.text("main"))
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("main section.scope ul.counts li")].map(li => li.textContent.trim())`); strings.Join(got, ", ") !=
		fmt.Sprintf("%d added, 0 changed, 0 removed, 0 unchanged", len(policeFigures)) {
		t.Errorf("the check counts %q, want %d figures added and nothing else", got, len(policeFigures))
	}
	added := eval[[]string](b, `[...document.querySelectorAll("main table.changes tbody tr.added")].map(tr => [...tr.children].map(c => c.textContent.trim()).join(" | "))`)
	if len(added) != len(policeFigures) || !slices.Contains(added, "added | Offences recorded by the police | "+assaultLbl+" | — | 50,000") {
		t.Errorf("the changes listed are\n%s\nwant %d added, serious assault's as 50,000", strings.Join(added, "\n"), len(policeFigures))
	}
	// Serious assault more than doubles: the year-on-year rule says so,
	// and so does the rule that compares it with the State's ten years
	// before. Nothing else is questioned.
	warnings := eval[[]string](b, `[...document.querySelectorAll("main li.finding.is-warning")].map(li => li.textContent.replace(/\s+/g, " ").trim())`)
	yearOnYear := false
	for _, w := range warnings {
		if !strings.Contains(w, assaultLbl+": 50,000") || !strings.Contains(w, `read at sheet "Offences", cell D`) {
			t.Errorf("the check warns of %q, want warnings on serious assault alone, at its cell", w)
		}
		yearOnYear = yearOnYear || strings.Contains(w, assault22) && strings.Contains(w, "(Change from the previous year beyond 50 %")
	}
	if !yearOnYear {
		t.Errorf("the check's warnings are %q, want the year-on-year rule's on serious assault among them", warnings)
	}
	c.warnings = len(warnings)
	if b.has("main li.finding.is-error") {
		t.Errorf("the check finds errors: %q", b.text("main section.scope ul:has(li.finding)"))
	}
	b.shoot("collection-upload-check")

	if st := b.submit(`main form[action$="/save"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("save the uploaded figures: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.statePage+"?done=answer_uploaded"; got != want {
		t.Errorf("saving the upload led to %s, want %s", got, want)
	}
	if got := b.text("main .notice"); got != "The figures of the file were saved as a draft." {
		t.Errorf("notice %q after saving the upload", got)
	}
	c.wantStateTable("draft", len(policeFigures))
}

// wantStateTable checks the police table's status and number of figures
// on Kenya's page of the round, which the focal point's tab shows.
func (c *collectionRun) wantStateTable(status string, figures int) {
	c.t.Helper()
	b := c.focal
	row := `main table.answers tbody tr:has(a[href=` + jsString(c.statePage+"/tables/"+police) + `])`
	if got := b.text(row + " .cr-status"); got != status {
		c.t.Errorf("Kenya's page shows the police table as %q, want %s", got, status)
	}
	if got := b.text(row + " td:nth-of-type(2)"); got != strconv.Itoa(figures) {
		c.t.Errorf("Kenya's page shows %s figures in the police table, want %d", got, figures)
	}
}

// explainAndSubmit opens the table's form, where the warning stands at
// serious assault, explains it in the figure's comment, saves and
// submits the table.
func (c *collectionRun) explainAndSubmit() {
	t, b := c.t, c.focal
	form := c.statePage + "/tables/" + police
	if st := b.submit(`main table.answers th a[href=` + jsString(form) + `]`); st != http.StatusOK {
		t.Fatalf("open the police table's form: status %d", st)
	}
	if got := b.text("main h1"); got != "Offences recorded by the police" {
		t.Errorf("the form's h1 is %q", got)
	}
	// Serious assault is the first row: its fields end in 0-0.
	if got := run(b, chromedp.Value(chromedp.CSS("#v-0-0"))); got != strconv.Itoa(assaultNew) {
		t.Errorf("the form shows serious assault as %q, want the uploaded %d", got, assaultNew)
	}
	if got := eval[string](b, `document.querySelector("#v-0-0").getAttribute("aria-label")`); got != "Serious assault: number, 2023" {
		t.Errorf("serious assault's field is labelled %q", got)
	}
	// Above it, 2022's field holds the figure published, to revise.
	if got := run(b, chromedp.Value(chromedp.CSS("#v-p0-0"))); got != strings.ReplaceAll(assault22, ",", "") {
		t.Errorf("the form shows serious assault's 2022 figure as %q, want the published %s", got, assault22)
	}
	if got := eval[string](b, `document.querySelector("#v-p0-0").getAttribute("aria-label")`); got != "Serious assault: number, 2022" {
		t.Errorf("serious assault's 2022 field is labelled %q", got)
	}
	if got := strings.Join(strings.Fields(b.text(`main table.answer tr.year-prev th.year`)), " "); got != "2022 published — change it to revise" {
		t.Errorf("the 2022 line's heading reads %q", got)
	}
	if got := b.text(`#v-0-0 ~ .cell-finding.is-warning`); !strings.Contains(got, "50,000") {
		t.Errorf("the warning at serious assault reads %q", got)
	}
	want := fmt.Sprintf("0 errors · %d warnings to explain", c.warnings)
	if c.warnings == 1 {
		want = "0 errors · 1 warning to explain"
	}
	if got := b.text("main section.findings > p"); got != want {
		t.Errorf("the form's findings say %q, want %q, those of the check", got, want)
	}
	b.shoot("collection-table-warning")
	// Submitting before the warning is explained is refused, and says why.
	if st := b.submit(`main form[action$="/submit"] button[type="submit"]`); st != http.StatusConflict {
		t.Errorf("submitting with a warning not explained: status %d, want 409", st)
	}
	if got := b.text(`main p.error[role="alert"]`); !strings.Contains(got, "cannot be sent yet") {
		t.Errorf("the refusal to submit reads %q", got)
	}

	b.open(form)
	b.fill("#n-0-0", comment)
	// The focal point revises 2022's serious assaults too, saying why.
	b.fill("#v-p0-0", strconv.Itoa(assault22R))
	b.fill("#n-p0-0", revComment)
	if st := b.submit(`main form.answer-form button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("save the comment: status %d\n%s", st, b.text("main"))
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#v-p0-0"))); got != strconv.Itoa(assault22R) {
		t.Errorf("after saving, serious assault's 2022 figure is %q, want the revision %d", got, assault22R)
	}
	if got := b.text(`#v-p0-0 ~ .last`); got != "published: "+assault22 {
		t.Errorf("under the revised 2022 field the form shows %q, want the figure published", got)
	}
	b.shoot("collection-table-revision")
	if got, want := b.path(), form+"?done=answer_saved"; got != want {
		t.Errorf("saving the form led to %s, want %s", got, want)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#n-0-0"))); got != comment {
		t.Errorf("after saving, serious assault's comment is %q", got)
	}
	if got := b.text("main section.findings > p"); got != "0 errors · 0 warnings to explain" {
		t.Errorf("after the comment the findings say %q, want no warning left to explain", got)
	}
	if !b.has(`main li.finding.is-warning.explained`) {
		t.Error("the warning is not marked as explained by the comment")
	}
	if st := b.submit(`main form[action$="/submit"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("submit the table: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.statePage+"?done=answer_submitted"; got != want {
		t.Errorf("submitting led to %s, want %s", got, want)
	}
	if got := b.text("main .notice"); got != "The table was submitted to the secretariat." {
		t.Errorf("notice %q after submitting", got)
	}
	c.wantStateTable("submitted", len(policeFigures)+1)
	c.unread = b.unread()
}

// unread is the number of unread notifications the header shows.
func (b *tab) unread() int {
	b.t.Helper()
	badge := `header.site a[href="/notifications"] .badge`
	if !b.has(badge) {
		return 0
	}
	s := b.text(badge)
	n, err := strconv.Atoi(strings.TrimSuffix(s, " unread"))
	if err != nil {
		b.t.Fatalf("the header's count of notifications reads %q", s)
	}
	return n
}

// raiseQuery has the secretariat find Kenya's table on the round's
// dashboard, open it and query serious assault.
func (c *collectionRun) raiseQuery() {
	t, b := c.t, c.sec
	if st := b.open("/collection"); st != http.StatusOK {
		t.Fatalf("GET /collection: status %d", st)
	}
	if st := b.submit(`main table.cr-rounds a[href=` + jsString(c.round) + `]`); st != http.StatusOK {
		t.Fatalf("open the round's dashboard: status %d", st)
	}
	kenya := `main table.cr-matrix tbody tr:has(th a[href=` + jsString(c.statePage) + `])`
	if !b.has(kenya) {
		t.Fatalf("the dashboard lists no Kenya:\n%s", b.text("main"))
	}
	if got := b.text(kenya + ` td a[href^="/collection/submissions/"]`); got != "submitted" {
		t.Errorf("the dashboard shows Kenya's police table as %q, want submitted", got)
	}
	if got := b.text(kenya + " td.num"); got != "1 of 1" {
		t.Errorf("the dashboard says Kenya sent %q tables, want 1 of 1", got)
	}
	if n := eval[int](b, `document.querySelectorAll('main table.cr-matrix a[href^="/collection/submissions/"]').length`); n != 1 {
		t.Errorf("the dashboard links %d submissions, want Kenya's alone", n)
	}
	b.shoot("collection-dashboard")
	c.submission = eval[string](b, `document.querySelector(`+jsString(kenya+` td a[href^="/collection/submissions/"]`)+`).pathname`)
	if st := b.submit(kenya + ` td a[href^="/collection/submissions/"]`); st != http.StatusOK {
		t.Fatalf("open Kenya's submission: status %d", st)
	}
	if got := strings.Join(strings.Fields(b.text("main h1")), " "); got != "Offences recorded by the police Kenya, 2023" {
		t.Errorf("the submission's h1 is %q", got)
	}
	c.wantReviewStatus("submitted")
	row := "#" + valueAnchor(assaultKey, "2023")
	cells := eval[[]string](b, `[...document.querySelector(`+jsString(row)+`).children].slice(0, 4).map(c => c.textContent.replace(/\s+/g, " ").trim())`)
	if want := []string{assaultLbl, "50,000", assault22, "+121.5 %"}; strings.Join(cells, " | ") != strings.Join(want, " | ") {
		t.Errorf("serious assault's row reads %q, want %q", cells, want)
	}
	if got := b.text(row + " td:nth-of-type(4)"); got != comment {
		t.Errorf("serious assault's row shows the comment %q", got)
	}
	if got := b.text("main details.cr-findings summary"); !strings.Contains(got, "0 errors, 0 warnings not explained") {
		t.Errorf("the findings' summary reads %q, want the warning explained", got)
	}
	// The revision of 2022 has a table of its own: the new figure beside
	// the one it replaces.
	rev := "#" + valueAnchor(assaultKey, "2022")
	if !b.has(rev) {
		t.Fatalf("the submission's page shows no revision of 2022:\n%s", b.text("main"))
	}
	if got := b.text(`main table:has(` + rev + `) caption`); !strings.HasPrefix(got, "Revisions of 2022") {
		t.Errorf("the revision's table is captioned %q", got)
	}
	cells = eval[[]string](b, `[...document.querySelector(`+jsString(rev)+`).children].slice(0, 4).map(c => c.textContent.replace(/\s+/g, " ").trim())`)
	if want := []string{assaultLbl, "22,950", assault22, "+1.7 %"}; strings.Join(cells, " | ") != strings.Join(want, " | ") {
		t.Errorf("the revision's row reads %q, want %q", cells, want)
	}

	// The row's Query link chooses the value in the form.
	if st := b.submit(row + ` a[href^="?raise="]`); st != http.StatusOK {
		t.Fatalf("follow serious assault's Query link: status %d", st)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#raise-value"))); got != assaultKey+"@2023" {
		t.Errorf("the query form chose %q, want serious assault 2023", got)
	}
	b.write("#raise-body", "The figure more than doubles from 2022. Does the new recording system count cases that were counted as common assault before?")
	if st := b.submit(`main form[action$="/queries"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("send the query: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.submission+"?done=collrev_query_raised"; got != want {
		t.Errorf("sending the query led to %s, want %s", got, want)
	}
	c.wantReviewStatus("queried")
	if got := b.text("main article.cr-query h3 .tag"); got != "awaiting an answer from the State" {
		t.Errorf("the query's status reads %q", got)
	}
	b.shoot("collection-query")
}

// wantReviewStatus checks the status a submission's page shows, in the
// secretariat's tab.
func (c *collectionRun) wantReviewStatus(want string) {
	c.t.Helper()
	if got := c.sec.text("main dl.facts .cr-status"); got != want {
		c.t.Errorf("the submission's status is %q, want %s", got, want)
	}
}

// answerQuery has the focal point follow the notification of the query
// and answer it.
func (c *collectionRun) answerQuery() {
	t, b := c.t, c.focal
	b.open("/collection")
	if got, want := b.unread(), c.unread+1; got != want {
		t.Errorf("the header counts %d unread notifications, want %d: one more, the query's", got, want)
	}
	if st := b.submit(`header.site a[href="/notifications"]`); st != http.StatusOK {
		t.Fatalf("open the notifications: status %d", st)
	}
	note := `main ol.notifications li.unread:has(a[href^="/collection/submissions/"])`
	if got := b.text(note + " h2"); got != "New The secretariat has a question on your figures" {
		t.Errorf("the new notification is %q", got)
	}
	b.shoot("collection-notification")
	if st := b.submit(note + ` a[href^="/collection/submissions/"]`); st != http.StatusOK {
		t.Fatalf("open the notification's link: status %d", st)
	}
	if got := b.path(); got != c.submission {
		t.Errorf("the notification led to %s, want %s", got, c.submission)
	}
	question := "main article.cr-query"
	if got := b.text(question + " .cr-from-secretariat p.prose"); !strings.HasPrefix(got, "The figure more than doubles from 2022.") {
		t.Errorf("the focal point reads the question %q", got)
	}
	if b.has(question + ` input[name="close"]`) {
		t.Error("the focal point is offered to close the query")
	}
	b.write(question+` textarea[name="body"]`, "Yes: from 2023 every assault reported at a police post is recorded, where only those taken to court were before. We marked the figure with a comment.")
	if st := b.submit(question + ` form button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("send the answer: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.submission+"?done=collrev_replied"; got != want {
		t.Errorf("answering led to %s, want %s", got, want)
	}
	if n := eval[int](b, `document.querySelectorAll("main article.cr-query ol.cr-thread li").length`); n != 2 {
		t.Errorf("the thread holds %d messages after the answer, want 2", n)
	}
	if got := b.text(question + " .cr-from-state p.meta strong"); got != "Kenya" {
		t.Errorf("the answer is signed by %q, want Kenya", got)
	}
	if b.has(`main form[action$="/validate"]`) || b.has(`main form[action$="/publish"]`) {
		t.Error("the focal point is offered to validate or publish the table")
	}
}

// closeAndValidate has the secretariat read the answer, close the query
// and validate the table.
func (c *collectionRun) closeAndValidate() {
	t, b := c.t, c.sec
	b.open(c.submission)
	if got := b.text("main article.cr-query h3 .tag"); got != "answered, for the secretariat to read" {
		t.Errorf("the query's status reads %q after the answer", got)
	}
	if got := b.text("main article.cr-query .cr-from-state p.prose"); !strings.HasPrefix(got, "Yes: from 2023") {
		t.Errorf("the secretariat reads the answer %q", got)
	}
	b.write(`main article.cr-query textarea[name="body"]`, "Thank you: the break is explained.")
	b.do(chromedp.Click(chromedp.CSS(`main article.cr-query input[name="close"]`)))
	if st := b.submit(`main article.cr-query form button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("close the query: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.submission+"?done=collrev_query_closed"; got != want {
		t.Errorf("closing the query led to %s, want %s", got, want)
	}
	if got := b.text("main article.cr-query h3 .tag"); got != "closed" {
		t.Errorf("the query's status reads %q after closing it", got)
	}
	if b.has("main article.cr-query form") {
		t.Error("a closed query still offers a reply form")
	}
	if st := b.submit(`main form[action$="/validate"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("validate the table: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.submission+"?done=collrev_validated"; got != want {
		t.Errorf("validating led to %s, want %s", got, want)
	}
	c.wantReviewStatus("validated")
	if !b.has(`main form[action$="/publish"]`) {
		t.Error("a validated table's page offers no button to publish it")
	}
	// Validated is not public: SDMX has nothing for 2023 yet.
	if st, body := sdmxAssault(t, c.e, ""); st != http.StatusNotFound || !strings.Contains(body, "No results") {
		t.Errorf("before publication, SDMX answers %d for Kenya's 2023 serious assaults, want 404 No results:\n%s", st, body)
	}
}

// publishRound publishes the round's validated tables from the
// dashboard, through its confirmation step; it returns the time just
// before the publication.
func (c *collectionRun) publishRound() time.Time {
	t, b := c.t, c.sec
	b.open(c.round)
	if st := b.submit(`main a[href$="?confirm=publish#confirm-title"]`); st != http.StatusOK {
		t.Fatalf("ask to publish the validated tables: status %d", st)
	}
	if got := b.text("#confirm-title"); got != "Publish the validated tables?" {
		t.Errorf("the confirmation's heading is %q", got)
	}
	want := fmt.Sprintf("1 table from 1 State, holding %d values, will become public at once", len(policeFigures)+1)
	if got := b.text("main section.cr-confirm p"); !strings.HasPrefix(got, want) {
		t.Errorf("the confirmation says %q, want %q", got, want)
	}
	b.shoot("collection-publish-confirm")
	before := time.Now().UTC()
	if st := b.submit(`main section.cr-confirm form button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("publish: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.round+"?done=collrev_published"; got != want {
		t.Errorf("publishing led to %s, want %s", got, want)
	}
	if got := b.text("main .notice"); got != "The validated tables are published." {
		t.Errorf("notice %q after publishing", got)
	}
	if got := b.text(`main table.cr-matrix a[href=` + jsString(c.submission) + `]`); got != "published" {
		t.Errorf("after publication the dashboard shows Kenya's table as %q", got)
	}
	return before
}

// wantPublic checks that SDMX serves the published figure to anyone,
// and nothing for 2023 as of a time before the publication; and for
// 2022 the revision, and as of before it the figure it replaced.
func (c *collectionRun) wantPublic(before time.Time) {
	t := c.t
	if st, body := sdmxAssault(t, c.e, ""); st != http.StatusOK || sdmxValue(t, body) != strconv.Itoa(assaultNew) {
		t.Errorf("after publication SDMX answers %d for Kenya's 2023 serious assaults, want %d:\n%s", st, assaultNew, body)
	}
	if st, body := sdmxAssault(t, c.e, before.Format(time.RFC3339Nano)); st != http.StatusNotFound || !strings.Contains(body, "No results") {
		t.Errorf("as of just before the publication SDMX answers %d, want 404 No results:\n%s", st, body)
	}
	if st, body := sdmxAssaultIn(t, c.e, "2022", ""); st != http.StatusOK || sdmxValueIn(t, body, "2022") != strconv.Itoa(assault22R) {
		t.Errorf("after publication SDMX answers %d for Kenya's 2022 serious assaults, want the revision %d:\n%s", st, assault22R, body)
	}
	if st, body := sdmxAssaultIn(t, c.e, "2022", before.Format(time.RFC3339Nano)); st != http.StatusOK || sdmxValueIn(t, body, "2022") != strings.ReplaceAll(assault22, ",", "") {
		t.Errorf("as of just before the publication SDMX answers %d for Kenya's 2022 serious assaults, want the figure published before, %s:\n%s", st, assault22, body)
	}
}

// revise has the focal point revise the published figure, which makes
// the table a draft again, and submit it; the secretariat validates and
// publishes it from the table's page. It returns the time just before
// this second publication.
func (c *collectionRun) revise() time.Time {
	t, f, b := c.t, c.focal, c.sec
	form := c.statePage + "/tables/" + police
	f.open(form)
	if !f.has("#v-0-0") {
		t.Fatalf("the form of a published table takes no revision:\n%s", f.text("main"))
	}
	f.fill("#v-0-0", strconv.Itoa(assaultRev))
	if st := f.submit(`main form.answer-form button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("save the revision: status %d\n%s", st, f.text("main"))
	}
	if got := run(f, chromedp.Value(chromedp.CSS("#n-0-0"))); got != comment {
		t.Errorf("the revision lost serious assault's comment: %q", got)
	}
	// 2022's revision, now published, stays in the table as it was.
	if got := run(f, chromedp.Value(chromedp.CSS("#v-p0-0"))); got != strconv.Itoa(assault22R) {
		t.Errorf("after the second save serious assault's 2022 figure is %q, want %d", got, assault22R)
	}
	if st := f.submit(`main form[action$="/submit"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("submit the revision: status %d\n%s", st, f.text("main"))
	}
	c.wantStateTable("submitted", len(policeFigures)+1)
	// Until the revision is published, the public sees the first figure.
	if st, body := sdmxAssault(t, c.e, ""); st != http.StatusOK || sdmxValue(t, body) != strconv.Itoa(assaultNew) {
		t.Errorf("while the revision is unpublished SDMX answers %d, want the published %d:\n%s", st, assaultNew, body)
	}

	b.open(c.submission)
	c.wantReviewStatus("submitted")
	row := "#" + valueAnchor(assaultKey, "2023")
	if got := b.text(row + " td:nth-of-type(1)"); got != "48,000" {
		t.Errorf("the secretariat sees the revised figure as %q, want 48,000", got)
	}
	if st := b.submit(`main form[action$="/validate"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("validate the revision: status %d\n%s", st, b.text("main"))
	}
	before := time.Now().UTC()
	if st := b.submit(`main form[action$="/publish"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("publish the revision: status %d\n%s", st, b.text("main"))
	}
	if got, want := b.path(), c.submission+"?done=collrev_published_one"; got != want {
		t.Errorf("publishing the revision led to %s, want %s", got, want)
	}
	c.wantReviewStatus("published")
	b.shoot("collection-published")
	return before
}

// wantRevisions checks that SDMX serves the revision now, and each
// earlier state of the series as of its time; an asOf date means the
// end of that day.
func (c *collectionRun) wantRevisions(first, second time.Time) {
	t := c.t
	for _, q := range []struct {
		what, asOf string
		want       int // 0 for no figure
	}{
		{"now", "", assaultRev},
		{"as of the end of today", today(), assaultRev},
		{"as of just before the revision's publication", second.Format(time.RFC3339Nano), assaultNew},
		{"as of the day before the first publication", first.AddDate(0, 0, -1).Format(time.DateOnly), 0},
	} {
		st, body := sdmxAssault(t, c.e, q.asOf)
		switch {
		case q.want == 0 && (st != http.StatusNotFound || !strings.Contains(body, "No results")):
			t.Errorf("%s SDMX answers %d for Kenya's 2023 serious assaults, want 404 No results:\n%s", q.what, st, body)
		case q.want != 0 && (st != http.StatusOK || sdmxValue(t, body) != strconv.Itoa(q.want)):
			t.Errorf("%s SDMX answers %d for Kenya's 2023 serious assaults, want %d:\n%s", q.what, st, q.want, body)
		}
	}
	// 2022's revision, published the first time, is unchanged by the
	// second; before it, the figure it replaced.
	for _, q := range []struct{ what, asOf, want string }{
		{"now", "", strconv.Itoa(assault22R)},
		{"as of just before the second publication", second.Format(time.RFC3339Nano), strconv.Itoa(assault22R)},
		{"as of just before the first publication", first.Format(time.RFC3339Nano), strings.ReplaceAll(assault22, ",", "")},
	} {
		if st, body := sdmxAssaultIn(t, c.e, "2022", q.asOf); st != http.StatusOK || sdmxValueIn(t, body, "2022") != q.want {
			t.Errorf("%s SDMX answers %d for Kenya's 2022 serious assaults, want %s:\n%s", q.what, st, q.want, body)
		}
	}
}

// sdmxAssault asks the public SDMX API, without cookies, for Kenya's
// serious assaults in 2023 as SDMX-CSV, as of a time when asOf is not
// empty; it returns the status and the body.
func sdmxAssault(t *testing.T, e *env, asOf string) (int, string) {
	t.Helper()
	return sdmxAssaultIn(t, e, "2023", asOf)
}

// sdmxAssaultIn asks as sdmxAssault does, for a year.
func sdmxAssaultIn(t *testing.T, e *env, year, asOf string) (int, string) {
	t.Helper()
	q := url.Values{"startPeriod": {year}, "endPeriod": {year}, "format": {"csv"}}
	if asOf != "" {
		q.Set("asOf", asOf)
	}
	u := e.base + "/sdmx/rest/data/OFFENCES/" + assaultKey + "?" + q.Encode()
	res, err := httpClient.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return res.StatusCode, string(body)
}

// sdmxValue reads the one observation of an SDMX-CSV answer, of Kenya's
// serious assaults in 2023, or "" when there is not exactly that one.
func sdmxValue(t *testing.T, body string) string {
	t.Helper()
	return sdmxValueIn(t, body, "2023")
}

// sdmxValueIn reads the one observation of Kenya's serious assaults in
// a year, as sdmxValue does.
func sdmxValueIn(t *testing.T, body, year string) string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 1 {
		t.Errorf("the SDMX-CSV answer does not parse: %v", err)
		return ""
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"REF_AREA", "ICCS", "UNIT_MEASURE", "TIME_PERIOD", "OBS_VALUE"} {
		if _, ok := col[h]; !ok {
			t.Errorf("the SDMX-CSV header %q has no %s", rows[0], h)
			return ""
		}
	}
	if len(rows) != 2 {
		return ""
	}
	r := rows[1]
	if r[col["REF_AREA"]] != "KEN" || r[col["ICCS"]] != assaultRow || r[col["UNIT_MEASURE"]] != "NB" || r[col["TIME_PERIOD"]] != year {
		t.Errorf("the SDMX-CSV answer's observation is %q", r)
		return ""
	}
	return r[col["OBS_VALUE"]]
}

// write types text into an empty text area. (The harness's fill clears
// the field first, which chromedp cannot do to an empty text area.)
func (b *tab) write(sel, text string) {
	b.t.Helper()
	if got := run(b, chromedp.Value(chromedp.CSS(sel))); got != "" {
		b.t.Fatalf("%s already holds %q", sel, got)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// valueAnchor is the id of a value's row on a submission's page: the
// series key with dots as dashes and no underscores, and the period.
func valueAnchor(key, period string) string {
	return "v-" + strings.NewReplacer(".", "-", "_", "").Replace(key) + "-" + period
}
