package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// The focal point's pages of a round: a State's page, the web form of a
// table, the Excel questionnaire and the uploads.

// formTable is a questionnaire table of the shipped OFFENCES dataflow that
// takes rates: serious assault, which Kenya published for 2022 (22,573,
// 41.78 per 100,000), and burglary (Kenya published 2022 too). No cell is
// required, so that it can be submitted with a figure or two.
var formTable = collect.Table{ID: "POLICE_FORM", Title: "Offences recorded by the police (form test)", Flow: "OFFENCES", Rates: true,
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111", "0501"}, Labels: []string{"Serious assault", "Burglary"}}}

// victimsTable is a table with columns that takes rates: victims of
// serious assault by relationship to the perpetrator and sex, each rate
// asked under its count.
var victimsTable = collect.Table{ID: "VICTIMS_FORM", Title: "Victims of serious assault (form test)", Flow: "VICTIMS", Rates: true,
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "VIC", "ICCS": "020111", "AGE": "_T", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows:  collect.Axis{Dim: "RELATIONSHIP", Codes: []string{"IPFM", "_T"}, Labels: []string{"Intimate partner or family member", "All"}},
	Cols:  collect.Axis{Dim: "SEX", Codes: []string{"F", "M", "_T"}, Labels: []string{"Female", "Male", "Total"}}}

// openFormRound opens a round of formTable and victimsTable for 2023,
// open since yesterday and due in a month.
func openFormRound(t testing.TB, h *harness) collect.Round {
	t.Helper()
	today := civil.Today()
	r, err := h.db.OpenRound(context.Background(), harnessActor, collect.Round{Name: "UN-CTS 2023 (test)", Year: 2023,
		OpensOn: today.AddDays(-1), DueOn: today.AddDays(30), Tables: []collect.Table{formTable, victimsTable}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statePath(r collect.Round, state string) string {
	return fmt.Sprintf("/collection/rounds/%d/states/%s", r.ID, state)
}

// kenDraft returns Kenya's draft of OFFENCES, by series key.
func kenDraft(t testing.TB, h *harness, r collect.Round, flow string) map[string]collect.Value {
	t.Helper()
	vs, err := h.db.Draft(context.Background(), harnessActor, r.ID, collect.Scope{Flow: flow, State: "KEN", Year: r.Year})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]collect.Value{}
	for _, v := range vs {
		out[v.Key.String()] = v
	}
	return out
}

const (
	kenAssault     = "A.KEN.OFF.020111._T._T._Z._T.CJ.NB"
	kenAssaultRate = "A.KEN.OFF.020111._T._T._Z._T.CJ.RT100K"
	kenBurglary    = "A.KEN.OFF.0501._T._T._Z._T.CJ.NB"
)

func wantIn(t testing.TB, r response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("the page lacks %q\n%s", p, r)
		}
	}
}

// TestStatePage shows a round to a State: its focal point answers, its
// expert and the secretariat read, another State's focal point is
// refused.
func TestStatePage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey, expertKey, fraFocalKey, secretariatKey)
		rd := openFormRound(t, h)
		path := statePath(rd, "KEN")

		r := h.get(t, path, h.actors[focalPointKey])
		if r.status != http.StatusOK {
			t.Fatalf("Kenya's focal point: %s", r)
		}
		wantIn(t, r, "UN-CTS 2023 (test): Kenya", formTable.Title, victimsTable.Title, "not started",
			path+"/tables/POLICE_FORM", path+"/workbook", path+"/upload", "Fill in on the web",
			"yes, 2 figures published", "Answered for 2022", "no figure published", "0 of 2 tables")
		if strings.Contains(r.body, "overdue") {
			t.Errorf("a round due in a month shows tables overdue")
		}

		r = h.get(t, path, h.actors[expertKey])
		if r.status != http.StatusOK || strings.Contains(r.body, path+"/upload") || !strings.Contains(r.body, "See the figures") {
			t.Errorf("Kenya's expert reads the page without the upload: %s", r)
		}
		r = h.get(t, path, h.actors[secretariatKey])
		if r.status != http.StatusOK || strings.Contains(r.body, path+"/upload") {
			t.Errorf("the secretariat: %s", r)
		}
		for _, p := range []string{path, path + "/tables/POLICE_FORM", path + "/workbook", path + "/upload"} {
			if r := h.get(t, p, h.actors[fraFocalKey]); r.status != http.StatusForbidden {
				t.Errorf("%s as France's focal point: %d, want 403", p, r.status)
			}
		}
		if r := h.get(t, path, nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin") {
			t.Errorf("the public: %s", r)
		}
		if r := h.get(t, path+"/tables/NOPE", h.actors[focalPointKey]); r.status != http.StatusNotFound {
			t.Errorf("an unknown table: %d", r.status)
		}

		// Past the due date, the tables not sent are overdue.
		today := civil.Today()
		late, err := db.OpenRound(context.Background(), harnessActor, collect.Round{Name: "UN-CTS 2022 (test)", Year: 2022,
			OpensOn: today.AddDays(-60), DueOn: today.AddDays(-1), Tables: []collect.Table{formTable, victimsTable}})
		if err != nil {
			t.Fatal(err)
		}
		wantIn(t, h.get(t, statePath(late, "KEN"), h.actors[focalPointKey]), "2 tables overdue", `<strong class="overdue">overdue</strong>`)
		// A table the secretariat queried was sent: the State owes an
		// answer, not the table, as the secretariat's dashboard counts it.
		v := policeValue(t, "KEN", "0501", 2022, 12000, "Burglary as the police recorded it.")
		sent := sendTable(t, h, h.actors[focalPointKey], late, "OFFENCES", formTable.ID, []collect.Value{v})
		if _, err := h.srv.Collection().RaiseQuery(context.Background(), harnessActor, sent, v.Key, v.Period, "Is this the whole country?"); err != nil {
			t.Fatal(err)
		}
		wantIn(t, h.get(t, statePath(late, "KEN"), h.actors[focalPointKey]), "1 table overdue", "1 of 2 tables", "queried")

		// A closed round takes nothing more.
		if _, err := db.CloseRound(context.Background(), harnessActor, rd.ID); err != nil {
			t.Fatal(err)
		}
		r = h.get(t, path, h.actors[focalPointKey])
		wantIn(t, r, "is closed", "This round takes no figures now.")
		if strings.Contains(r.body, path+"/upload") {
			t.Errorf("a closed round offers the upload")
		}
	})
}

// TestTablePrefill: the form of a table not started shows the figures
// the State published for the year, even once another table of the
// dataflow has a draft.
func TestTablePrefill(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey)
		fp := h.actors[focalPointKey]
		cyber := collect.Table{ID: "CYBER_FORM", Title: "Cyber offences (form test)", Flow: "OFFENCES",
			Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "CY", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
			Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"0208"}, Labels: []string{"Cyber fraud"}}}
		today := civil.Today()
		rd, err := db.OpenRound(context.Background(), harnessActor, collect.Round{Name: "UN-CTS 2022 (prefill)", Year: 2022,
			OpensOn: today.AddDays(-1), DueOn: today.AddDays(30), Tables: []collect.Table{formTable, cyber}})
		if err != nil {
			t.Fatal(err)
		}
		police := statePath(rd, "KEN") + "/tables/" + formTable.ID
		prefilled := func(when string) {
			t.Helper()
			r := h.get(t, police, fp)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %s", when, r)
			}
			wantIn(t, r, "the form shows those published for 2022", `id="v-0-0" name="v-0-0" value="22573"`)
		}
		prefilled("before any draft")
		r := h.do(t, call{method: "POST", path: statePath(rd, "KEN") + "/tables/" + cyber.ID, as: fp, form: url.Values{"v-0-0": {"12"}}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("saving the cyber offences: %s", r)
		}
		prefilled("beside a draft of the cyber offences")
	})
}

// TestTableForm saves a table through its web form: a figure with a
// warning is saved and the warning shown at its cell; an error or a
// figure that is no number stores nothing and shows the form as typed;
// the table is submitted once the warning is explained.
func TestTableForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey, fraFocalKey, secretariatKey)
		fp := h.actors[focalPointKey]
		rd := openFormRound(t, h)
		path := statePath(rd, "KEN") + "/tables/POLICE_FORM"

		r := h.get(t, path, fp)
		if r.status != http.StatusOK {
			t.Fatal(r)
		}
		// Each field names its row, column and year, and takes decimals;
		// the year before's fields hold the figures published, to revise.
		wantIn(t, r, `id="v-0-0" name="v-0-0"`, `inputmode="decimal"`, `aria-label="Serious assault: number, 2023"`,
			`aria-label="Serious assault: rate per 100,000, 2023"`, `aria-label="Burglary: status of the figure, 2023"`, `aria-label="Burglary: comment, 2023"`,
			`id="v-p0-0" name="v-p0-0" value="22573"`, `id="r-p0-0" name="r-p0-0" value="41.78"`, `aria-label="Serious assault: number, 2022"`,
			`<th scope="rowgroup" rowspan="2" class="row-label">Serious assault</th>`, "published — change it to revise", "the secretariat reviews every revision")

		save := func(as *actor, form url.Values) response {
			return h.do(t, call{method: "POST", path: path, as: as, form: form})
		}
		// 40,000 serious assaults: 77 % more than in 2022, past the
		// outlier warning's 50 %. Saved, with the warning.
		form := url.Values{"v-0-0": {"40 000"}, "s-0-0": {"A"}, "v-1-0": {"1700"}, "s-1-0": {"E"}, "n-1-0": {"Estimate from two regions"}}
		r = save(fp, form)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != path+"?done=answer_saved" {
			t.Fatalf("save: %s", r)
		}
		d := kenDraft(t, h, rd, "OFFENCES")
		if v := d[kenAssault]; v.Value == nil || *v.Value != 40000 || v.Origin != "form" {
			t.Fatalf("draft after saving: %+v", d)
		}
		if v := d[kenBurglary]; v.Status != stats.StatusEstimated || v.Comment != "Estimate from two regions" {
			t.Errorf("burglary as saved: %+v", v)
		}
		r = h.get(t, path+"?done=answer_saved", fp)
		wantIn(t, r, "The figures were saved as a draft.", `value="40000"`, `value="1700"`, `<option value="E" selected>`,
			"2 warnings to explain", "Change from the previous year beyond 50 %", `href="#v-0-0"`, `class="cell-finding is-warning"`, "draft")
		if !regexp.MustCompile(`id="v-0-0"[^>]*aria-describedby="finding-\d+`).MatchString(r.body) {
			t.Errorf("the warned field does not point at its finding")
		}

		// A negative count is an error: nothing is stored, the form comes
		// back as typed with the error at its cell.
		bad := url.Values{"v-0-0": {"40000"}, "v-1-0": {"-4"}}
		r = save(fp, bad)
		if r.status != http.StatusBadRequest {
			t.Fatalf("a negative count: %s", r)
		}
		wantIn(t, r, "nothing was saved", `value="-4"`, "Counts are whole numbers, 0 or more", `aria-invalid="true"`, `class="cell-finding is-error"`)
		if v := kenDraft(t, h, rd, "OFFENCES")[kenBurglary]; *v.Value != 1700 {
			t.Errorf("the refused form changed burglary to %v", *v.Value)
		}
		// So is a figure that is no number.
		r = save(fp, url.Values{"v-0-0": {"forty thousand"}, "v-1-0": {"1700"}})
		if r.status != http.StatusBadRequest {
			t.Fatalf("text for a figure: %s", r)
		}
		wantIn(t, r, "Nothing was saved", `value="forty thousand"`, "is not a number")
		if v := kenDraft(t, h, rd, "OFFENCES")[kenAssault]; *v.Value != 40000 {
			t.Errorf("the refused form changed serious assault to %v", *v.Value)
		}
		// Another State's focal point cannot save Kenya's table.
		if r := save(h.actors[fraFocalKey], form); r.status != http.StatusForbidden {
			t.Errorf("France's focal point saving Kenya's table: %d", r.status)
		}

		// Submitting with the warning unexplained is refused, the finding
		// listed.
		submit := func() response {
			return h.do(t, call{method: "POST", path: path + "/submit", as: fp, form: url.Values{}})
		}
		r = submit()
		if r.status != http.StatusConflict {
			t.Fatalf("submit with a warning: %s", r)
		}
		wantIn(t, r, "cannot be sent yet", "Change from the previous year beyond 50 %")
		// The comment explains it; the table goes to the secretariat.
		form.Set("n-0-0", "A new recording system counts each victim")
		form.Set("r-0-0", "74.1")
		if r := save(fp, form); r.status != http.StatusSeeOther {
			t.Fatalf("save with the comment: %s", r)
		}
		if v := kenDraft(t, h, rd, "OFFENCES")[kenAssaultRate]; v.Value == nil || *v.Value != 74.1 {
			t.Errorf("the rate typed was not saved: %+v", v)
		}
		r = submit()
		if r.status != http.StatusSeeOther || r.header.Get("Location") != statePath(rd, "KEN")+"?done=answer_submitted" {
			t.Fatalf("submit: %s", r)
		}
		r = h.get(t, r.header.Get("Location"), fp)
		wantIn(t, r, "The table was submitted to the secretariat.", "submitted", "/collection/submissions/")
		// A submitted table can still be corrected (it becomes a draft
		// again), but not submitted twice.
		r = h.get(t, path, fp)
		if !strings.Contains(r.body, `name="v-0-0"`) || strings.Contains(r.body, path+"/submit") {
			t.Errorf("the form of a submitted table has no field, or offers to submit it again\n%s", r)
		}

		// A table with columns: the grid has a group of columns per sex.
		r = h.get(t, statePath(rd, "KEN")+"/tables/VICTIMS_FORM", fp)
		wantIn(t, r, `<th scope="colgroup" colspan="2" class="group group-start">Female</th>`, `name="r-1-2"`, `aria-label="Intimate partner or family member, Male: number, 2023"`, `name="v-1-2"`)
	})
}

// TestTableFormRevision revises a figure published for the year before
// through the form: only a figure that differs from the published one is
// stored, a cleared one withdraws nothing, a revision reverted leaves the
// draft, and the rules' findings on a revision are shown at its field.
func TestTableFormRevision(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey, secretariatKey)
		fp := h.actors[focalPointKey]
		rd := openFormRound(t, h)
		path := statePath(rd, "KEN") + "/tables/POLICE_FORM"

		r := h.get(t, path, fp)
		if r.status != http.StatusOK {
			t.Fatal(r)
		}
		m := regexp.MustCompile(`id="v-p1-0" name="v-p1-0" value="([0-9.]+)"`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("the form lacks burglary's published 2022 figure\n%s", r)
		}
		burglary22 := m[1]
		m = regexp.MustCompile(`id="r-p0-0" name="r-p0-0" value="([0-9.]+)"`).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("the form lacks serious assault's published 2022 rate\n%s", r)
		}
		rate22 := m[1]
		// The browser sends every field: the 2022 ones as published, but
		// for serious assault, revised with a comment.
		form := url.Values{"v-0-0": {"22600"}, "v-1-0": {"1700"},
			"v-p0-0": {"23000"}, "s-p0-0": {"A"}, "n-p0-0": {"Late reports from two counties"}, "r-p0-0": {rate22},
			"v-p1-0": {burglary22}, "s-p1-0": {"A"}}
		save := func(form url.Values) response {
			return h.do(t, call{method: "POST", path: path, as: fp, form: form})
		}
		if r := save(form); r.status != http.StatusSeeOther {
			t.Fatalf("save with a revision: %s", r)
		}
		draft := func() map[string]collect.Value {
			t.Helper()
			vs, err := h.db.Draft(context.Background(), harnessActor, rd.ID, collect.Scope{Flow: "OFFENCES", State: "KEN", Year: rd.Year})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]collect.Value{}
			for _, v := range vs {
				out[v.Key.String()+"@"+v.Period.String()] = v
			}
			return out
		}
		d := draft()
		if v := d[kenAssault+"@2022"]; v.Value == nil || *v.Value != 23000 || v.Comment != "Late reports from two counties" {
			t.Errorf("the revision of 2022 as stored: %+v", v)
		}
		for _, k := range []string{kenBurglary + "@2022", kenAssaultRate + "@2022"} {
			if v, ok := d[k]; ok {
				t.Errorf("%s, unchanged from the published figure, is stored as a revision: %+v", k, v)
			}
		}
		if v := d[kenAssault+"@2023"]; v.Value == nil || *v.Value != 22600 || len(d) != 3 {
			t.Errorf("the draft: %+v", d)
		}
		// The form shows the revision, with the figure it replaces.
		r = h.get(t, path, fp)
		wantIn(t, r, `id="v-p0-0" name="v-p0-0" value="23000"`, `value="Late reports from two counties"`, "published: 22,573")

		// Saved again as shown, the revision stays; cleared, it is no
		// revision, and the published figure is not withdrawn.
		if r := save(form); r.status != http.StatusSeeOther || len(draft()) != 3 {
			t.Errorf("saved again: %s; draft %+v", r, draft())
		}
		form.Set("v-p0-0", "")
		if r := save(form); r.status != http.StatusSeeOther {
			t.Fatalf("save with 2022 cleared: %s", r)
		}
		if d := draft(); len(d) != 2 {
			t.Errorf("a cleared 2022 figure left in the draft: %+v", d)
		}
		r = h.get(t, path, fp)
		wantIn(t, r, `id="v-p0-0" name="v-p0-0" value="22573"`)

		// A revision the rules refuse stores nothing; the error is at
		// the 2022 field.
		form.Set("v-p0-0", "-5")
		r = save(form)
		if r.status != http.StatusBadRequest {
			t.Fatalf("a negative revision: %s", r)
		}
		wantIn(t, r, "nothing was saved", `value="-5"`, "Revision of 2022: ")
		if !regexp.MustCompile(`id="v-p0-0"[^>]*aria-invalid="true"[^>]*aria-describedby="finding-\d+`).MatchString(r.body) {
			t.Errorf("the refused 2022 field is not marked, or does not point at its finding\n%s", r)
		}
		if _, ok := draft()[kenAssault+"@2022"]; ok {
			t.Errorf("the refused revision was stored")
		}

		// A CSV file revises the year before too, and replaces the
		// draft; a row two years back is refused, storing nothing.
		data := fmt.Sprintf("/api/v1/collection/rounds/%d/states/KEN/data?flow=OFFENCES", rd.ID)
		file := offencesCSV("KEN", [5]string{"020111", "2023", "22600", "A", ""}, [5]string{"0501", "2022", "1650", "A", "Recounted"})
		if r := h.do(t, call{method: "PUT", path: data, as: fp, via: viaToken, body: file, ctype: "text/csv"}); r.status != http.StatusOK {
			t.Fatalf("a CSV file with a revision: %s", r)
		}
		d = draft()
		if v := d[kenBurglary+"@2022"]; len(d) != 2 || v.Value == nil || *v.Value != 1650 || v.Comment != "Recounted" {
			t.Errorf("the draft after the CSV file: %+v", d)
		}
		file = offencesCSV("KEN", [5]string{"020111", "2023", "22600", "A", ""}, [5]string{"0501", "2021", "1650", "A", ""})
		r = h.do(t, call{method: "PUT", path: data, as: fp, via: viaToken, body: file, ctype: "text/csv"})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "line 3, column TIME_PERIOD") || !strings.Contains(r.body, "revisions of those published for 2022") {
			t.Errorf("a CSV row of 2021: %s", r)
		}
		if d := draft(); len(d) != 2 {
			t.Errorf("the refused file changed the draft: %+v", d)
		}
	})
}

// upload sends a file to the upload form as a browser does.
func (h *harness) upload(t testing.TB, as *actor, path, name string, content []byte, fields url.Values) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	mw.WriteField("csrf", as.csrf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return h.do(t, call{method: "POST", path: path, as: as, body: buf.String(), ctype: mw.FormDataContentType()})
}

// fillWorkbook opens a questionnaire and writes figures in it, by the
// hidden codes of its table, row and column, as a focal point would.
func fillWorkbook(t testing.TB, b []byte, table string, cells map[string]any) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil || len(rows) == 0 || len(rows[0]) == 0 || rows[0][0] != "cpcj:"+table {
			continue
		}
		for code, v := range cells {
			row, col, _ := strings.Cut(code, "@")
			c := -1
			for i, h := range rows[0] {
				if h == col {
					c = i
				}
			}
			done := false
			for r, cs := range rows {
				if len(cs) > 0 && cs[0] == row && c >= 0 {
					name, _ := excelize.CoordinatesToCellName(c+1, r+1)
					if err := x.SetCellValue(sheet, name, v); err != nil {
						t.Fatal(err)
					}
					done = true
				}
			}
			if !done {
				t.Fatalf("no row %q, column %q in the sheet of %s", row, col, table)
			}
		}
	}
	out, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var checkLink = regexp.MustCompile(`^/collection/jobs/(\d+)$`)

// TestUploadWorkbook downloads Kenya's questionnaire, fills it, uploads
// it: the check shows what it changes, and saving stores it. A CSV file
// with a bad row is refused with its line and column, storing nothing;
// an upload for another State or to a closed round is refused.
func TestUploadWorkbook(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey, fraFocalKey, secretariatKey)
		fp := h.actors[focalPointKey]
		rd := openFormRound(t, h)
		path := statePath(rd, "KEN")

		r := h.get(t, path+"/workbook", fp)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			r.header.Get("Content-Disposition") != `attachment; filename=UN-CTS-2023-test-KEN.xlsx` {
			t.Fatalf("questionnaire: %d %v", r.status, r.header)
		}
		b := fillWorkbook(t, []byte(r.body), "POLICE_FORM", map[string]any{"2023|020111|@value": 23000, "2023|0501|@value": 1650, "2023|0501|@comment": "Provisional count"})

		r = h.get(t, path+"/upload", fp)
		wantIn(t, r, `enctype="multipart/form-data"`, `name="flow"`, `name="decimal_comma"`, "Check the file")
		r = h.upload(t, fp, path+"/upload", "kenya 2023.xlsx", b, nil)
		m := checkLink.FindStringSubmatch(r.header.Get("Location"))
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("upload: %s", r)
		}
		check := r.header.Get("Location")
		if d := kenDraft(t, h, rd, "OFFENCES"); len(d) != 0 {
			t.Fatalf("the upload stored %v before it was confirmed", d)
		}
		r = h.get(t, check, fp)
		wantIn(t, r, "Checking kenya 2023.xlsx", "Nothing is saved yet", "2 added", "0 removed", "Serious assault", "23,000", "Provisional count",
			"Save these figures", check+"/save")
		if r.header.Get("Refresh") != "" {
			t.Errorf("a finished check refreshes itself")
		}
		// The check is its uploader's and the secretariat's.
		if r := h.get(t, check, h.actors[fraFocalKey]); r.status != http.StatusNotFound {
			t.Errorf("France's focal point sees Kenya's check: %d", r.status)
		}
		if r := h.get(t, check, h.actors[secretariatKey]); r.status != http.StatusOK || strings.Contains(r.body, check+"/save") {
			t.Errorf("the secretariat's view of the check: %s", r)
		}
		if r := h.do(t, call{method: "POST", path: check + "/save", as: h.actors[fraFocalKey], form: url.Values{}}); r.status != http.StatusNotFound {
			t.Errorf("France's focal point saving Kenya's check: %d", r.status)
		}

		r = h.do(t, call{method: "POST", path: check + "/save", as: fp, form: url.Values{}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != path+"?done=answer_uploaded" {
			t.Fatalf("save: %s", r)
		}
		d := kenDraft(t, h, rd, "OFFENCES")
		if v := d[kenBurglary]; v.Value == nil || *v.Value != 1650 || v.Comment != "Provisional count" || !strings.Contains(v.Origin, "sheet") {
			t.Fatalf("draft after saving the workbook: %+v", d)
		}
		if r := h.do(t, call{method: "POST", path: check + "/save", as: fp, form: url.Values{}}); r.status != http.StatusConflict || !strings.Contains(r.body, "were saved already") {
			t.Errorf("saving twice: %s", r)
		}
		wantIn(t, h.get(t, check, fp), "These figures were saved")

		// The file again with burglary removed: the check says so.
		b = fillWorkbook(t, b, "POLICE_FORM", map[string]any{"2023|0501|@value": "", "2023|0501|@comment": ""})
		r = h.upload(t, fp, path+"/upload", "kenya 2023.xlsx", b, nil)
		wantIn(t, h.get(t, r.header.Get("Location"), fp), "1 removed", "1 unchanged", "1 figure of the draft is not in the file")

		// A CSV file with a bad row: refused with its line and column.
		csv := "DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n" +
			"OFFENCES,A,KEN,OFF,020111,_T,_T,_Z,_T,CJ,NB,2023,24000,A\n" +
			"OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,12 abc,A\n"
		r = h.upload(t, fp, path+"/upload", "kenya.csv", []byte(csv), url.Values{"flow": {"OFFENCES"}})
		if r.status != http.StatusBadRequest {
			t.Fatalf("a bad CSV: %s", r)
		}
		wantIn(t, r, "kenya.csv cannot be read: 1 problem.", "Nothing was stored", `<td class="num">3</td><td><code>OBS_VALUE</code></td>`, "12 abc")
		if v := kenDraft(t, h, rd, "OFFENCES")[kenAssault]; *v.Value != 23000 {
			t.Errorf("the refused CSV changed serious assault to %v", *v.Value)
		}
		// A CSV file needs its dataflow.
		r = h.upload(t, fp, path+"/upload", "kenya.csv", []byte(csv), url.Values{"flow": {""}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "A CSV file answers one dataflow") {
			t.Errorf("a CSV without its dataflow: %s", r)
		}
		// No file at all.
		if r := h.upload(t, fp, path+"/upload", "", nil, nil); r.status != http.StatusBadRequest {
			t.Errorf("no file: %s", r)
		}
		// Kenya's focal point cannot upload for France.
		if r := h.upload(t, fp, statePath(rd, "FRA")+"/upload", "kenya 2023.xlsx", b, nil); r.status != http.StatusForbidden {
			t.Errorf("an upload for another State: %d", r.status)
		}
		// Nor France's focal point Kenya's questionnaire for France.
		if r := h.upload(t, h.actors[fraFocalKey], statePath(rd, "FRA")+"/upload", "kenya 2023.xlsx", b, nil); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, "Kenya") {
			t.Errorf("Kenya's questionnaire uploaded for France: %s", r)
		}

		// A closed round takes no file.
		if _, err := db.CloseRound(context.Background(), harnessActor, rd.ID); err != nil {
			t.Fatal(err)
		}
		r = h.upload(t, fp, path+"/upload", "kenya 2023.xlsx", b, nil)
		if r.status != http.StatusConflict || !strings.Contains(r.body, "is closed") {
			t.Errorf("an upload to a closed round: %s", r)
		}
		if r := h.do(t, call{method: "POST", path: path + "/tables/POLICE_FORM", as: fp, form: url.Values{"v-0-0": {"1"}}}); r.status != http.StatusConflict {
			t.Errorf("the form of a closed round: %s", r)
		}
	})
}

// withJobs replaces the harness's server by one that reads large files in
// the background and takes uploads of up to 8 MiB, and returns its job
// runner, which the test runs by hand.
func withJobs(t testing.TB, h *harness) *job.Runner {
	t.Helper()
	log := slog.New(h.logs)
	runner := job.NewRunner(h.db, log, nil)
	cfg := config.Config{DatabaseURL: "test", Addr: ":0", BaseURL: "http://cpcj.test", LogFormat: "text", LogLevel: "info",
		MaxBodyBytes: maxBody, MaxUploadBytes: 8 << 20, DBMaxConns: 4, ShutdownTimeout: 5 * time.Second}
	srv, err := server.New(server.Deps{Config: cfg, DB: h.db, Accounts: h.accounts, Log: log, Metrics: server.NewMetrics(h.db), Version: "test", Jobs: runner})
	if err != nil {
		t.Fatal(err)
	}
	runner.Handle(collect.CheckJob, (&collect.Checker{Service: srv.Collection(), Store: h.db}).Run)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h.srv, h.ts, h.client = srv, ts, ts.Client()
	h.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return runner
}

// TestUploadJob uploads a file too large to be read while the upload
// waits: a job reads it, its page shows it waiting and refreshes itself,
// then shows the result, and saving stores it.
func TestUploadJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey, fraFocalKey, secretariatKey)
		runner := withJobs(t, h)
		fp := h.actors[focalPointKey]
		rd := openFormRound(t, h)
		path := statePath(rd, "KEN")

		// A statistics office's export: two figures, and the empty lines
		// its program ends files with, past the inline size.
		csv := "DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COMMENT\n" +
			"OFFENCES,A,KEN,OFF,020111,_T,_T,_Z,_T,CJ,NB,2023,23500,A,\n" +
			"OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,1650,E,Estimated from the first half\n" +
			"OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,RT100K,2023,\"3,1\",E,Estimated from the first half\n" +
			strings.Repeat("\n", collect.InlineBytes+1000)
		r := h.upload(t, fp, path+"/upload", "kenya-export.csv", []byte(csv), url.Values{"flow": {"OFFENCES"}, "decimal_comma": {"on"}})
		m := checkLink.FindStringSubmatch(r.header.Get("Location"))
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("large upload: %s", r)
		}
		check := r.header.Get("Location")
		r = h.get(t, check, fp)
		if r.status != http.StatusOK || r.header.Get("Refresh") != "2" {
			t.Fatalf("the page of a waiting check: %d, Refresh %q", r.status, r.header.Get("Refresh"))
		}
		wantIn(t, r, "waits for its turn", "refreshes itself")
		if strings.Contains(r.body, "Save these figures") {
			t.Errorf("a waiting check offers to save")
		}
		if r := h.get(t, check, h.actors[fraFocalKey]); r.status != http.StatusNotFound {
			t.Errorf("France's focal point sees Kenya's job: %d", r.status)
		}
		if r := h.do(t, call{method: "POST", path: check + "/save", as: fp, form: url.Values{}}); r.status != http.StatusConflict {
			t.Errorf("saving a check not yet read: %s", r)
		}

		if !runner.RunOne(context.Background()) {
			t.Fatal("no job to run")
		}
		r = h.get(t, check, fp)
		if r.header.Get("Refresh") != "" {
			t.Errorf("a finished check still refreshes itself")
		}
		wantIn(t, r, "3 added", "23,500", "1,650 (estimated) — Estimated from the first half", "Burglary (rate per 100,000)", "3.10 (estimated)", "Save these figures")
		if r := h.get(t, check, h.actors[secretariatKey]); r.status != http.StatusOK {
			t.Errorf("the secretariat cannot see the job: %d", r.status)
		}
		r = h.do(t, call{method: "POST", path: check + "/save", as: fp, form: url.Values{}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("save: %s", r)
		}
		d := kenDraft(t, h, rd, "OFFENCES")
		if v := d[kenBurglary]; v.Value == nil || *v.Value != 1650 || v.Status != stats.StatusEstimated {
			t.Errorf("burglary after saving the large file: %+v", v)
		}
		if v := d["A.KEN.OFF.0501._T._T._Z._T.CJ.RT100K"]; v.Value == nil || *v.Value != 3.1 {
			t.Errorf("the rate written with a decimal comma: %+v", v)
		}

		// A large file the job refuses: its page lists the problems.
		bad := strings.Replace(csv, "OFFENCES,A,KEN,OFF,020111", "OFFENCES,A,FRA,OFF,020111", 1)
		r = h.upload(t, fp, path+"/upload", "kenya-export.csv", []byte(bad), url.Values{"flow": {"OFFENCES"}, "decimal_comma": {"on"}})
		if !runner.RunOne(context.Background()) {
			t.Fatal("no job to run")
		}
		wantIn(t, h.get(t, r.header.Get("Location"), fp), "kenya-export.csv cannot be read: 1 problem.", `<td class="num">2</td><td><code>REF_AREA</code></td>`,
			"Upload a corrected file")
		if n := h.logs.errorCount(); n > 0 {
			t.Errorf("the server logged %d errors", n)
		}
	})
}

// newOtherCheck is France's focal point's check of a file for the round,
// for the authorization matrix, and the strings of it no one else may see.
func newOtherCheck(t testing.TB, h *harness, round int64) (int64, []string) {
	t.Helper()
	fp := h.actors[fraFocalKey].user.Actor()
	name, note := "fleur-police-2023.csv", "Note de Fleur sur les cambriolages"
	body := offencesCSV("FRA", [5]string{"020111", "2023", "286917", "A", "Note de Fleur: chiffre provisoire des coups et blessures"},
		[5]string{"0302", "2023", "411", "A", note})
	c := &collect.Checker{Service: h.srv.Collection(), Store: h.db}
	fc, err := c.Start(context.Background(), fp, round, "FRA", "France", collect.File{Name: name, Size: int64(len(body)), Flow: "OFFENCES"}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return fc.ID, []string{name, note}
}
