package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	validator "github.com/pb33f/libopenapi-validator"
	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// policeTest is a small questionnaire table of the shipped OFFENCES
// dataflow: serious assault, which Kenya published for 2022 (22,573), and
// sexual exploitation (ICCS 0302), which it did not. No cell is required,
// so that a table of two figures can be submitted. It takes rates beside
// counts, as the shipped police table does.
var policeTest = collect.Table{ID: "POLICE_TEST", Title: "Offences recorded by the police (test)", Flow: "OFFENCES",
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111", "0302"}, Labels: []string{"Serious assault", "Sexual exploitation"}},
	Rates: true}

// harnessActor is the programme acting outside HTTP: it opens rounds
// and raises queries for the tests.
var harnessActor = access.System("test harness")

// openTestRound opens a round of policeTest for the reference year,
// open since yesterday.
func openTestRound(t testing.TB, h *harness, name string, year int) collect.Round {
	t.Helper()
	today := time.Now().UTC()
	r, err := h.db.OpenRound(context.Background(), harnessActor, collect.Round{Name: name, Year: year,
		OpensOn: civil.Of(today.AddDate(0, 0, -1)), DueOn: civil.Of(today.AddDate(0, 1, 0)), Tables: []collect.Table{policeTest}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// offencesCSV is an SDMX-CSV file of policeTest values of a State, each
// row ICCS code, period, value, status and comment.
func offencesCSV(state string, rows ...[5]string) string {
	var b strings.Builder
	b.WriteString("DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COMMENT\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "UNODC:OFFENCES(1.0),A,%s,OFF,%s,_T,_T,_Z,_T,CJ,NB,%s,%s,%s,%q\n", state, r[0], r[1], r[2], r[3], r[4])
	}
	return b.String()
}

// policeValue is a value of policeTest for a State.
func policeValue(t testing.TB, state, iccs string, year int, v float64, comment string) collect.Value {
	t.Helper()
	k, err := policeTest.Key(state, collect.Cell{Row: iccs})
	if err != nil {
		t.Fatal(err)
	}
	return collect.Value{Key: k, Period: stats.Period{Year: year, Kind: 'A'}, Value: &v, Status: stats.StatusNormal, Comment: comment}
}

// otherCollection is France's answer to a round, for the authorization
// matrix: a submitted table the secretariat queried.
type otherCollection struct {
	round, submission, query int64
	secrets                  []string
}

// newOtherCollection makes France's answer: its focal point saves and
// submits a figure with a comment, and the secretariat queries it.
func newOtherCollection(t testing.TB, h *harness) otherCollection {
	t.Helper()
	ctx := context.Background()
	svc := h.srv.Collection()
	fp := h.actors[fraFocalKey].user.Actor()
	r := openTestRound(t, h, "UN-CTS 2023 (matrix)", 2023)
	note, question := "Note de Fleur: chiffre provisoire des coups et blessures", "Question to France about its serious assaults"
	v := policeValue(t, "FRA", "020111", 2023, 286917, note)
	p, err := svc.Save(ctx, fp, r.ID, collect.Scope{Flow: "OFFENCES", State: "FRA", Year: 2023}, []collect.Value{v}, false)
	if err != nil || p.Saved == nil {
		t.Fatalf("France's draft: %+v, %v", p, err)
	}
	subs, err := h.db.Submissions(ctx, fp, r.ID)
	if err != nil || len(subs) != 1 {
		t.Fatalf("France's submissions: %+v, %v", subs, err)
	}
	if _, findings, err := svc.Submit(ctx, fp, subs[0].ID); err != nil {
		t.Fatalf("France's submission: %v %+v", err, findings)
	}
	q, err := svc.RaiseQuery(ctx, harnessActor, subs[0].ID, v.Key, v.Period, question)
	if err != nil {
		t.Fatal(err)
	}
	return otherCollection{round: r.ID, submission: subs[0].ID, query: q.ID, secrets: []string{note, question, "286917"}}
}

// documented sends the call, checks its status and checks the request
// and answer against the OpenAPI document (only the answer of a
// refusal).
func (h *harness) documented(t testing.TB, v validator.Validator, c call, status int) response {
	t.Helper()
	r := h.do(t, c)
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", c.method, c.path, r.status, status, r)
	}
	req := h.request(t, c)
	resp := &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(strings.NewReader(r.body)), Request: req}
	check, what := v.ValidateHttpRequestResponse, "request or answer"
	if status >= 400 {
		check, what = v.ValidateHttpResponse, "answer"
	}
	if ok, errs := check(req, resp); !ok {
		t.Errorf("%s %s: the %s does not match the document:\n%s", c.method, c.path, what, describe(errs))
	}
	return r
}

// The collection API's answers, as a client reads them.
type (
	apiValue struct {
		Key     map[string]string `json:"key"`
		Period  string            `json:"period"`
		Value   *float64          `json:"value"`
		Status  string            `json:"status"`
		Comment string            `json:"comment"`
		Origin  string            `json:"origin"`
	}
	apiFinding struct {
		Rule      string `json:"rule"`
		Severity  string `json:"severity"`
		Origin    string `json:"origin"`
		Message   string `json:"message"`
		Explained bool   `json:"explained"`
	}
	apiChanges struct {
		Added   []apiValue `json:"added"`
		Changed []struct {
			Old apiValue `json:"old"`
			New apiValue `json:"new"`
		} `json:"changed"`
		Removed []apiValue `json:"removed"`
		Same    int        `json:"same"`
	}
	apiUpload struct {
		DryRun bool `json:"dry_run"`
		Scopes []struct {
			Scope struct {
				Flow  string `json:"flow"`
				State string `json:"state"`
				Year  int    `json:"year"`
			} `json:"scope"`
			Changes  apiChanges   `json:"changes"`
			Findings []apiFinding `json:"findings"`
			Saved    *struct {
				Values int `json:"values"`
			} `json:"saved"`
		} `json:"scopes"`
	}
	apiSubmission struct {
		ID          int64  `json:"id"`
		Round       int64  `json:"round"`
		Table       string `json:"table"`
		State       string `json:"state"`
		Status      string `json:"status"`
		Values      int    `json:"values"`
		OpenQueries int    `json:"open_queries"`
	}
	apiSubmissionDetail struct {
		Status   string       `json:"status"`
		Flow     string       `json:"flow"`
		Draft    []apiValue   `json:"draft"`
		Findings []apiFinding `json:"findings"`
	}
	apiQuery struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		Period   string `json:"period"`
		Messages []struct {
			Author string `json:"author"`
			Party  string `json:"party"`
			Body   string `json:"body"`
		} `json:"messages"`
	}
	dataProblem struct {
		problem
		Problems []struct {
			Row    int    `json:"row"` // the line of a CSV file
			Sheet  string `json:"sheet"`
			Cell   string `json:"cell"`
			Column string `json:"column"`
			Reason string `json:"reason"`
		} `json:"problems"`
		Findings []apiFinding `json:"findings"`
	}
)

func decodeAs[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, r)
	}
	return v
}

func TestCollectionAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, secretariatKey, focalPointKey, expertKey, fraFocalKey, donorKey)
		v := openAPIValidator(t, h.srv.OpenAPI())
		sec, fp, ex, fra, donor := h.actors[secretariatKey], h.actors[focalPointKey], h.actors[expertKey], h.actors[fraFocalKey], h.actors[donorKey]
		round := openTestRound(t, h, "UN-CTS 2022 (API test)", 2022)
		base := fmt.Sprintf("/api/v1/collection/rounds/%d", round.ID)
		data := base + "/states/KEN/data?flow=OFFENCES"
		upload := func(as *actor, path, body string, status int) response {
			t.Helper()
			return h.documented(t, v, call{method: "PUT", path: path, as: as, via: viaToken, body: body, ctype: "text/csv"}, status)
		}
		submissions := func(as *actor) []apiSubmission {
			t.Helper()
			return decodeAs[struct {
				Items []apiSubmission `json:"items"`
			}](t, h.documented(t, v, call{path: base + "/submissions", as: as, via: viaToken}, http.StatusOK)).Items
		}

		// Rounds are for those who take part in the collection.
		rounds := decodeAs[struct {
			Items []struct {
				ID   int64 `json:"id"`
				Year int   `json:"year"`
				Open bool  `json:"open"`
			} `json:"items"`
			Total int `json:"total"`
		}](t, h.documented(t, v, call{path: "/api/v1/collection/rounds", as: ex, via: viaToken}, http.StatusOK))
		if rounds.Total != 1 || rounds.Items[0].ID != round.ID || rounds.Items[0].Year != 2022 || !rounds.Items[0].Open {
			t.Errorf("rounds: %+v", rounds)
		}
		problemOf(t, h.documented(t, v, call{path: "/api/v1/collection/rounds"}, http.StatusUnauthorized), http.StatusUnauthorized, "")
		problemOf(t, h.documented(t, v, call{path: "/api/v1/collection/rounds", as: donor, via: viaToken}, http.StatusForbidden), http.StatusForbidden, "")
		detail := h.documented(t, v, call{path: base, as: fp, via: viaToken}, http.StatusOK)
		if !strings.Contains(detail.body, `"id":"POLICE_TEST"`) || !strings.Contains(detail.body, `"Sexual exploitation"`) {
			t.Errorf("the round lacks its table:\n%s", detail)
		}
		problemOf(t, h.documented(t, v, call{path: "/api/v1/collection/rounds/999999", as: fp, via: viaToken}, http.StatusNotFound), http.StatusNotFound, "")

		// A dry run compares and stores nothing; anyone who may read
		// Kenya's draft may check a file against it.
		file := offencesCSV("KEN", [5]string{"020111", "2022", "22975", "A", ""}, [5]string{"0302", "2022", "3719", "P", "First year of the new police register"})
		for _, as := range []*actor{fp, ex, sec} {
			up := decodeAs[apiUpload](t, upload(as, data+"&dry_run=true", file, http.StatusOK))
			if !up.DryRun || len(up.Scopes) != 1 || len(up.Scopes[0].Changes.Added) != 2 || up.Scopes[0].Saved != nil || up.Scopes[0].Scope.Year != 2022 {
				t.Errorf("dry run by %s: %+v", as, up)
			}
		}
		if subs := submissions(sec); len(subs) != 0 {
			t.Errorf("a dry run stored %+v", subs)
		}
		// Only Kenya's focal point saves Kenya's figures; France's cannot
		// even check a file against them.
		problemOf(t, upload(ex, data, file, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, upload(sec, data, file, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, upload(fra, data+"&dry_run=true", file, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, upload(donor, data+"&dry_run=true", file, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, upload(nil, data, file, http.StatusUnauthorized), http.StatusUnauthorized, "")

		// Bad files: each refused with where and why, nothing stored.
		problemOf(t, upload(fp, base+"/states/KEN/data", file, http.StatusBadRequest), http.StatusBadRequest, "flow")
		problemOf(t, upload(fp, base+"/states/KEN/data?flow=HOMICIDE", file, http.StatusBadRequest), http.StatusBadRequest, "flow")
		problemOf(t, h.documented(t, v, call{method: "PUT", path: data, as: fp, via: viaToken, body: file, ctype: "application/pdf"}, http.StatusBadRequest),
			http.StatusBadRequest, "Content-Type")
		unreadable := offencesCSV("KEN", [5]string{"020111", "2022", "22 975", "A", ""}, [5]string{"9999", "2022", "12", "A", ""}, [5]string{"020111", "2020", "5", "A", ""})
		p := decodeAs[dataProblem](t, upload(fp, data, unreadable, http.StatusUnprocessableEntity))
		if len(p.Problems) != 4 || p.Problems[0].Row != 2 || p.Problems[0].Column != "OBS_VALUE" || p.Problems[1].Row != 3 || p.Problems[2].Row != 4 ||
			len(p.Errors) != 4 || !strings.HasPrefix(p.Errors[0].Field, "line 2, column OBS_VALUE") || !strings.Contains(p.Detail, "Nothing was stored") {
			t.Errorf("unreadable file: %+v", p)
		}
		negative := offencesCSV("KEN", [5]string{"020111", "2022", "-4", "A", ""}, [5]string{"0302", "2022", "3719", "A", ""})
		p = decodeAs[dataProblem](t, upload(fp, data, negative, http.StatusUnprocessableEntity))
		if len(p.Findings) == 0 || p.Findings[0].Severity != "error" || !strings.Contains(p.Findings[0].Origin, "line 2") || len(p.Errors) == 0 ||
			!strings.Contains(p.Errors[0].Field, "line 2") {
			t.Errorf("figures the rules refuse: %+v", p)
		}
		if subs := submissions(sec); len(subs) != 0 {
			t.Errorf("a refused file stored %+v", subs)
		}

		// The focal point saves.
		up := decodeAs[apiUpload](t, upload(fp, data, file, http.StatusOK))
		if up.DryRun || up.Scopes[0].Saved == nil || up.Scopes[0].Saved.Values != 2 {
			t.Fatalf("save: %+v", up)
		}
		subs := submissions(fp)
		if len(subs) != 1 || subs[0].State != "KEN" || subs[0].Status != "draft" || subs[0].Values != 2 {
			t.Fatalf("Kenya's submissions: %+v", subs)
		}
		if len(submissions(sec)) != 1 {
			t.Errorf("the secretariat does not see Kenya's submission")
		}
		if others := submissions(fra); len(others) != 0 {
			t.Errorf("France sees Kenya's submissions: %+v", others)
		}
		filtered := decodeAs[struct {
			Total int `json:"total"`
		}](t, h.documented(t, v, call{path: base + "/submissions?state=FRA&status=draft", as: sec, via: viaToken}, http.StatusOK))
		if filtered.Total != 0 {
			t.Errorf("France's drafts: %d", filtered.Total)
		}
		problemOf(t, h.documented(t, v, call{path: base + "/submissions?status=not_started", as: sec, via: viaToken}, http.StatusBadRequest), http.StatusBadRequest, "status")
		sub := fmt.Sprintf("/api/v1/collection/submissions/%d", subs[0].ID)

		// The draft is Kenya's and the secretariat's to see.
		for _, as := range []*actor{fp, ex, sec} {
			d := decodeAs[apiSubmissionDetail](t, h.documented(t, v, call{path: sub, as: as, via: viaToken}, http.StatusOK))
			if d.Status != "draft" || d.Flow != "OFFENCES" || len(d.Draft) != 2 || *d.Draft[0].Value != 22975 || d.Draft[1].Comment != "First year of the new police register" || d.Findings == nil {
				t.Errorf("submission as %s: %+v", as, d)
			}
		}
		for _, as := range []*actor{fra, donor} {
			problemOf(t, h.documented(t, v, call{path: sub, as: as, via: viaToken}, http.StatusNotFound), http.StatusNotFound, "")
			problemOf(t, h.documented(t, v, call{path: sub + "/queries", as: as, via: viaToken}, http.StatusNotFound), http.StatusNotFound, "")
		}
		problemOf(t, h.documented(t, v, call{path: sub}, http.StatusUnauthorized), http.StatusUnauthorized, "")

		// Submitting: the focal point only.
		problemOf(t, h.documented(t, v, call{method: "POST", path: sub + "/submit", as: ex, via: viaToken}, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, h.documented(t, v, call{method: "POST", path: sub + "/submit", as: fra, via: viaToken}, http.StatusNotFound), http.StatusNotFound, "")
		s := decodeAs[apiSubmission](t, h.documented(t, v, call{method: "POST", path: sub + "/submit", as: fp, via: viaToken}, http.StatusOK))
		if s.Status != "submitted" {
			t.Errorf("after submitting: %+v", s)
		}
		// The same file again changes nothing: the table stays submitted.
		up = decodeAs[apiUpload](t, upload(fp, data, file, http.StatusOK))
		if up.Scopes[0].Changes.Same != 2 || up.Scopes[0].Saved != nil {
			t.Errorf("the same file again: %+v", up)
		}
		if subs := submissions(fp); subs[0].Status != "submitted" {
			t.Errorf("the same file made the table %s", subs[0].Status)
		}

		// The secretariat queries a figure; the thread goes back and forth.
		key := `{"FREQ":"A","REF_AREA":"KEN","INDICATOR":"OFF","ICCS":"0302","SEX":"_T","AGE":"_T","RELATIONSHIP":"_Z","CYBER":"_T","SOURCE_TYPE":"CJ","UNIT_MEASURE":"NB"}`
		ask := `{"key":` + key + `,"period":"2022","body":"Is 0302 counted as in earlier years?"}`
		problemOf(t, h.documented(t, v, call{method: "POST", path: sub + "/queries", as: fp, via: viaToken, body: ask}, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, h.documented(t, v, call{method: "POST", path: sub + "/queries", as: sec, via: viaToken,
			body: `{"key":{"REF_AREA":"KEN"},"period":"2022","body":"?"}`}, http.StatusBadRequest), http.StatusBadRequest, "key")
		problemOf(t, h.documented(t, v, call{method: "POST", path: sub + "/queries", as: sec, via: viaToken,
			body: strings.Replace(ask, `"2022"`, `"2021"`, 1)}, http.StatusBadRequest), http.StatusBadRequest, "key")
		q := decodeAs[apiQuery](t, h.documented(t, v, call{method: "POST", path: sub + "/queries", as: sec, via: viaToken, body: ask}, http.StatusCreated))
		if q.Status != "open" || len(q.Messages) != 1 || q.Messages[0].Party != "secretariat" {
			t.Errorf("query: %+v", q)
		}
		reply := fmt.Sprintf("/api/v1/collection/queries/%d/replies", q.ID)
		problemOf(t, h.documented(t, v, call{method: "POST", path: reply, as: ex, via: viaToken, body: `{"body":"I think so"}`}, http.StatusForbidden), http.StatusForbidden, "")
		problemOf(t, h.documented(t, v, call{method: "POST", path: reply, as: fra, via: viaToken, body: `{"body":"not ours"}`}, http.StatusNotFound), http.StatusNotFound, "")
		problemOf(t, h.documented(t, v, call{method: "POST", path: reply, as: fp, via: viaToken, body: `{"body":""}`}, http.StatusBadRequest), http.StatusBadRequest, "body")
		q = decodeAs[apiQuery](t, h.documented(t, v, call{method: "POST", path: reply, as: fp, via: viaToken, body: `{"body":"Yes: the register started in 2022."}`}, http.StatusOK))
		if q.Status != "answered" || len(q.Messages) != 2 || q.Messages[1].Party != "state" {
			t.Errorf("answer: %+v", q)
		}
		problemOf(t, h.documented(t, v, call{method: "POST", path: reply, as: fp, via: viaToken, body: `{"body":"","close":true}`}, http.StatusForbidden), http.StatusForbidden, "")
		q = decodeAs[apiQuery](t, h.documented(t, v, call{method: "POST", path: reply, as: sec, via: viaToken, body: `{"body":"","close":true}`}, http.StatusOK))
		if q.Status != "closed" {
			t.Errorf("closed: %+v", q)
		}
		threads := decodeAs[struct {
			Items []apiQuery `json:"items"`
			Total int        `json:"total"`
		}](t, h.documented(t, v, call{path: sub + "/queries", as: ex, via: viaToken}, http.StatusOK))
		if threads.Total != 1 || len(threads.Items[0].Messages) != 2 {
			t.Errorf("queries: %+v", threads)
		}

		// The Excel questionnaire: generated for Kenya, edited, sent back.
		wbPath := base + "/states/KEN/data"
		book := kenyaWorkbook(t, h, round.ID, fp)
		sendBook := func(as *actor, path string, book []byte, status int) response {
			t.Helper()
			return h.documented(t, v, call{method: "PUT", path: path, as: as, via: viaToken, body: string(book),
				ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, status)
		}
		up = decodeAs[apiUpload](t, sendBook(fp, wbPath+"?dry_run=true", book, http.StatusOK))
		if len(up.Scopes) != 1 || !up.Scopes[0].Changes.empty() || up.Scopes[0].Changes.Same != 2 {
			t.Errorf("the workbook as generated: %+v", up)
		}
		// A new count, and its rate per 100,000 beside it.
		edited := editWorkbook(t, editWorkbook(t, book, "22975", 1, 43.1), "22975", 0, 23010)
		up = decodeAs[apiUpload](t, sendBook(fp, wbPath+"?dry_run=true", edited, http.StatusOK))
		if len(up.Scopes) != 1 || len(up.Scopes[0].Changes.Changed) != 1 || *up.Scopes[0].Changes.Changed[0].New.Value != 23010 ||
			!strings.Contains(up.Scopes[0].Changes.Changed[0].New.Origin, "sheet") || len(up.Scopes[0].Changes.Added) != 1 ||
			up.Scopes[0].Changes.Added[0].Key["UNIT_MEASURE"] != "RT100K" {
			t.Errorf("the edited workbook: %+v", up)
		}
		bad := editWorkbook(t, book, "22975", 0, "lots")
		p = decodeAs[dataProblem](t, sendBook(fp, wbPath, bad, http.StatusUnprocessableEntity))
		if len(p.Problems) != 1 || p.Problems[0].Sheet == "" || p.Problems[0].Cell == "" || !strings.Contains(p.Errors[0].Field, "sheet") {
			t.Errorf("a workbook with text for a figure: %+v", p)
		}
		problemOf(t, sendBook(fp, wbPath, []byte("PK not a workbook"), http.StatusBadRequest), http.StatusBadRequest, "")
		up = decodeAs[apiUpload](t, sendBook(fp, wbPath, edited, http.StatusOK))
		if len(up.Scopes) != 1 || up.Scopes[0].Saved == nil || up.Scopes[0].Saved.Values != 3 {
			t.Errorf("saving the workbook: %+v", up)
		}
		if subs := submissions(fp); subs[0].Status != "draft" {
			t.Errorf("after a new figure the table is %s, want draft", subs[0].Status)
		}

		// A closed round takes no more figures, and says so before
		// anything is read.
		if _, err := h.db.CloseRound(context.Background(), harnessActor, round.ID); err != nil {
			t.Fatal(err)
		}
		problemOf(t, upload(fp, data, file, http.StatusConflict), http.StatusConflict, "")
		if h.logs.errorCount() > 0 {
			t.Errorf("the server logged errors")
		}
	})
}

// empty reports whether an upload changes nothing in its scope.
func (c apiChanges) empty() bool { return len(c.Added)+len(c.Changed)+len(c.Removed) == 0 }

// kenyaWorkbook is Kenya's Excel questionnaire for the round, as its
// focal point downloads it.
func kenyaWorkbook(t testing.TB, h *harness, round int64, fp *actor) []byte {
	t.Helper()
	wb, err := h.srv.Collection().Workbook(context.Background(), fp.user.Actor(), round, "KEN", "Kenya")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := collect.WriteWorkbook(&buf, wb); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// editWorkbook sets the cell dx columns right of the first cell holding
// the text old to v, as a person editing the file would.
func editWorkbook(t testing.TB, book []byte, old string, dx int, v any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			for j, cell := range row {
				if cell != old {
					continue
				}
				name, err := excelize.CoordinatesToCellName(j+1+dx, i+1)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.SetCellValue(sheet, name, v); err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := f.Write(&buf); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
		}
	}
	t.Fatalf("no cell of the workbook holds %q", old)
	return nil
}
