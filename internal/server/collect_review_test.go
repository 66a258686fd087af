package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// The secretariat's pages of the collection and the review loop, through
// HTTP as a browser uses them: a round opened with the form, the States'
// tables on the dashboard, a query and its answer, validation and
// publication in bulk.

// reviewRequired are the rows of the shipped OFFENCES_POLICE table that a
// complete answer gives.
var reviewRequired = []string{"020111", "020221", "0301", "03011", "0501", "0502", "05021", "0701", "0703"}

// reviewValues are a State's figures for the required rows of the
// shipped police table for 2023, each with a comment (which explains any
// warning the rules raise), and Kenya's serious assault of 2022 revised.
func reviewValues(t *testing.T, r collect.Round, state string) []collect.Value {
	t.Helper()
	tb, ok := r.Table("OFFENCES_POLICE")
	if !ok {
		t.Fatal("the round has no police table")
	}
	var out []collect.Value
	add := func(iccs string, year int, v float64) {
		k, err := tb.Key(state, collect.Cell{Row: iccs})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, collect.Value{Key: k, Period: stats.Period{Year: year, Kind: 'A'}, Value: &v, Status: stats.StatusNormal,
			Comment: "Checked against the police records."})
	}
	if state == "KEN" {
		add("020111", 2022, 22600)
	}
	for i, iccs := range reviewRequired {
		add(iccs, 2023, float64(1000+100*i))
	}
	return out
}

// victimValues are a State's victims of serious assault by sex for 2023.
func victimValues(t *testing.T, r collect.Round, state string) []collect.Value {
	t.Helper()
	tb, ok := r.Table("VICTIMS_ASSAULT")
	if !ok {
		t.Fatal("the round has no table of victims of serious assault")
	}
	var out []collect.Value
	for _, c := range []struct {
		sex string
		v   float64
	}{{"F", 10}, {"M", 20}, {"_T", 30}} {
		k, err := tb.Key(state, collect.Cell{Row: "_T", Col: c.sex})
		if err != nil {
			t.Fatal(err)
		}
		v := c.v
		out = append(out, collect.Value{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &v, Status: stats.StatusNormal,
			Comment: "From the police register."})
	}
	return out
}

// sendTable saves a State's values of a dataflow through the collection
// service, as the web form does, and submits the table.
func sendTable(t *testing.T, h *harness, as *actor, r collect.Round, flow, table string, values []collect.Value) int64 {
	t.Helper()
	ctx := context.Background()
	svc := h.srv.Collection()
	by := as.user.Actor()
	p, err := svc.Save(ctx, by, r.ID, collect.Scope{Flow: flow, State: by.State, Year: r.Year}, values, false)
	if err != nil || p.Saved == nil {
		t.Fatalf("%s saves %s: %+v, %v", by.State, flow, p, err)
	}
	subs, err := h.db.Submissions(ctx, by, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.Table == table {
			if _, findings, err := svc.Submit(ctx, by, s.ID); err != nil {
				t.Fatalf("%s submits %s: %v %+v", by.State, table, err, findings)
			}
			return s.ID
		}
	}
	t.Fatalf("%s has no submission of %s", by.State, table)
	return 0
}

// doneAt checks that the answer sends the browser to path announcing
// done, and returns the location.
func doneAt(t *testing.T, r response, path, done string) string {
	t.Helper()
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, path) || !strings.HasSuffix(loc, "done="+done) {
		t.Fatalf("got %d to %q, want 303 to %s?done=%s\n%s", r.status, loc, path, done, r)
	}
	return loc
}

// rowOf returns the HTML of the table row whose header is name.
func rowOf(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `<th scope="row">`+name+`</th>`)
	if i < 0 {
		t.Fatalf("no row %q on the page", name)
	}
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

// noticeTo returns the notifications of an actor whose link is link.
func noticeTo(t *testing.T, h *harness, as *actor, link string) []string {
	t.Helper()
	ns, err := h.db.Notifications(context.Background(), as.user.Actor(), false, 100)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, n := range ns {
		if n.Link == link {
			subjects = append(subjects, n.Subject)
		}
	}
	return subjects
}

var roundIDRe = regexp.MustCompile(`^/collection/rounds/(\d+)\?`)

func TestCollectionReview(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, secretariatKey, focalPointKey, expertKey, fraFocalKey, donorKey)
		sec, fp, ex, fra := h.actors[secretariatKey], h.actors[focalPointKey], h.actors[expertKey], h.actors[fraFocalKey]
		ctx := context.Background()
		today := time.Now().UTC()
		day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }

		// The secretariat opens a round with the form.
		page := h.get(t, "/collection", sec)
		if page.status != http.StatusOK || !strings.Contains(page.body, `action="/collection/rounds"`) || !strings.Contains(page.body, `value="VICTIMS_ASSAULT"`) {
			t.Fatalf("the secretariat's /collection has no form to open a round\n%s", page)
		}
		if !strings.Contains(page.body, `href="/collection" aria-current="page"`) {
			t.Errorf("the navigation has no current Collection entry")
		}
		open := url.Values{"name": {"UN-CTS 2023 (review)"}, "year": {"2023"}, "opens_on": {day(-1)}, "due_on": {day(-2)},
			"table": {"OFFENCES_POLICE", "VICTIMS_ASSAULT"}}
		r := h.do(t, call{method: "POST", path: "/collection/rounds", as: sec, form: open})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "is before the opening date") ||
			!strings.Contains(r.body, `value="UN-CTS 2023 (review)"`) || !strings.Contains(r.body, `aria-invalid="true" aria-describedby="round-error"`) {
			t.Fatalf("a due date before the opening date: want 400 with the error and the form kept\n%s", r)
		}
		open.Set("due_on", day(30))
		open["table"] = append(open["table"], "NO_SUCH_TABLE")
		if r := h.do(t, call{method: "POST", path: "/collection/rounds", as: sec, form: open}); r.status != http.StatusBadRequest {
			t.Errorf("an unknown table: %s", r)
		}
		open["table"] = []string{"OFFENCES_POLICE", "VICTIMS_ASSAULT"}
		if r := h.do(t, call{method: "POST", path: "/collection/rounds", as: fp, form: open}); r.status != http.StatusForbidden {
			t.Errorf("a focal point opened a round: %s", r)
		}
		loc := doneAt(t, h.do(t, call{method: "POST", path: "/collection/rounds", as: sec, form: open}), "/collection/rounds/", "collrev_round_opened")
		m := roundIDRe.FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("opened at %q", loc)
		}
		roundID, _ := strconv.ParseInt(m[1], 10, 64)
		round, err := db.Round(ctx, sec.user.Actor(), roundID)
		if err != nil || len(round.Tables) != 2 || round.Tables[0].ID != "OFFENCES_POLICE" || round.Year != 2023 {
			t.Fatalf("the round opened: %+v, %v", round, err)
		}
		roundPath := fmt.Sprintf("/collection/rounds/%d", roundID)

		// Focal points and experts see their State's status, and are sent
		// to their State's page of the round.
		for _, as := range []*actor{fp, ex} {
			p := h.get(t, "/collection", as)
			if p.status != http.StatusOK || !strings.Contains(p.body, roundPath+"/states/KEN") || strings.Contains(p.body, `action="/collection/rounds"`) {
				t.Errorf("/collection as %s: want Kenya's link and no form\n%s", as, p)
			}
			if r := h.get(t, roundPath, as); r.status != http.StatusSeeOther || r.header.Get("Location") != roundPath+"/states/KEN" {
				t.Errorf("%s as %s: %d to %q", roundPath, as, r.status, r.header.Get("Location"))
			}
		}
		if r := h.get(t, "/collection", nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin?next=") {
			t.Errorf("the public is not sent to sign in: %s", r)
		}
		if r := h.get(t, "/collection", h.actors[donorKey]); r.status != http.StatusForbidden || strings.Contains(r.body, `href="/collection"`) {
			t.Errorf("a donor: %s", r)
		}

		// Kenya sends its police table, France both tables.
		kenID := sendTable(t, h, fp, round, "OFFENCES", "OFFENCES_POLICE", reviewValues(t, round, "KEN"))
		sendTable(t, h, fra, round, "OFFENCES", "OFFENCES_POLICE", reviewValues(t, round, "FRA"))
		sendTable(t, h, fra, round, "VICTIMS", "VICTIMS_ASSAULT", victimValues(t, round, "FRA"))
		subPath := fmt.Sprintf("/collection/submissions/%d", kenID)

		// The dashboard, against figures counted by hand: 193 Member
		// States, two tables each; France sent both, Kenya one.
		dash := h.get(t, roundPath, sec)
		if dash.status != http.StatusOK {
			t.Fatalf("dashboard: %s", dash)
		}
		kenya := rowOf(t, dash.body, `<a href="`+roundPath+`/states/KEN">Kenya</a>`)
		if !strings.Contains(kenya, `<a href="`+subPath+`">submitted</a>`) || !strings.Contains(kenya, "not started") || !strings.Contains(kenya, "1 of 2") {
			t.Errorf("Kenya's row of the matrix: %s", kenya)
		}
		for name, cells := range map[string][]string{
			"African States":                      {"54", "0", "0 %", "1 of 108", "1 %"},
			"Western European and other States":   {"29", "1", "3 %", "2 of 58", "3 %"},
			"Eastern European States":             {"23", "0", "0 %", "0 of 46", "0 %"},
			"Asia-Pacific States":                 {"54", "0", "0 %", "0 of 108", "0 %"},
			"Latin American and Caribbean States": {"33", "0", "0 %", "0 of 66", "0 %"},
			"All States":                          {"193", "1", "1 %", "3 of 386", "1 %"},
		} {
			row := rowOf(t, dash.body, name)
			var got []string
			for _, c := range regexp.MustCompile(`<td class="num">([^<]*)`).FindAllStringSubmatch(row, -1) {
				got = append(got, strings.TrimSpace(c[1]))
			}
			if strings.Join(got, "|") != strings.Join(cells, "|") {
				t.Errorf("%s: %q, want %q", name, got, cells)
			}
		}
		for _, want := range []string{
			`<span class="figure">1</span> <span>of 193 States have sent every table</span>`,
			`<span class="figure">3</span> <span>of 386 tables sent</span>`,
			`>submitted</a> <strong>3</strong>`, `>not started</a> <strong>383</strong>`,
			"The due date has not passed yet.", "No table is validated",
		} {
			if !strings.Contains(dash.body, want) {
				t.Errorf("the dashboard lacks %q", want)
			}
		}
		for _, tc := range []struct{ query, want string }{
			{"?group=WEOG", "29 States shown of 193."},
			{"?status=submitted", "2 States shown of 193."},
			{"?group=AG&status=missing", "54 States shown of 193."},
			{"?group=WEOG&status=missing", "28 States shown of 193."},
			{"?status=nonsense", "193 States shown of 193."},
		} {
			p := h.get(t, roundPath+tc.query, sec)
			if !strings.Contains(p.body, tc.want) {
				t.Errorf("%s: want %q", tc.query, tc.want)
			}
		}
		if p := h.get(t, roundPath+"?group=WEOG", sec); strings.Contains(p.body, "/states/KEN") || !strings.Contains(p.body, "/states/FRA") {
			t.Errorf("the WEOG filter shows Kenya or hides France")
		}

		// The submission's page for the secretariat: the figures beside
		// the year before, what the rules find, the form to query.
		sp := h.get(t, subPath, sec)
		if sp.status != http.StatusOK {
			t.Fatalf("submission page: %s", sp)
		}
		for _, want := range []string{"Offences recorded by the police", "Kenya", "1,000", "Checked against the police records.",
			"22,573", "22,600", "Published for 2022", `action="` + subPath + `/queries"`, `action="` + subPath + `/validate"`,
			"→ submitted"} {
			if !strings.Contains(sp.body, want) {
				t.Errorf("the submission page lacks %q", want)
			}
		}
		assault := "A.KEN.OFF.020111._T._T._Z._T.CJ.NB@2023"
		if !strings.Contains(sp.body, `href="?raise=`+url.QueryEscape(assault)+`#raise"`) && !strings.Contains(sp.body, `href="?raise=`+assault+`#raise"`) {
			t.Errorf("no Query link on the serious assault row")
		}
		if p := h.get(t, subPath+"?raise="+url.QueryEscape(assault), sec); !strings.Contains(p.body, `<option value="`+assault+`" selected>`) {
			t.Errorf("the Query link does not choose the value in the form")
		}
		for _, as := range []*actor{fp, ex} {
			p := h.get(t, subPath, as)
			if p.status != http.StatusOK || strings.Contains(p.body, "/queries\"") || strings.Contains(p.body, "/validate\"") || strings.Contains(p.body, "/publish\"") {
				t.Errorf("%s sees the secretariat's forms or not the page: %d", as, p.status)
			}
		}
		if p := h.get(t, subPath, fp); !strings.Contains(p.body, roundPath+"/states/KEN/tables/OFFENCES_POLICE") {
			t.Errorf("the focal point has no link to correct the figures")
		}
		if p := h.get(t, subPath, ex); strings.Contains(p.body, roundPath+"/states/KEN/tables/OFFENCES_POLICE") {
			t.Errorf("the expert is offered to correct the figures")
		}
		if r := h.get(t, subPath, fra); r.status != http.StatusNotFound || strings.Contains(r.body, "Kenya") {
			t.Errorf("France's focal point sees Kenya's submission: %s", r)
		}

		// The secretariat queries a value; an empty question is refused
		// with the value kept.
		r = h.do(t, call{method: "POST", path: subPath + "/queries", as: sec, form: url.Values{"value": {assault}, "body": {"  "}}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Write the message.") || !strings.Contains(r.body, `<option value="`+assault+`" selected>`) {
			t.Errorf("an empty query: want 400 with the value kept\n%s", r)
		}
		for _, as := range []*actor{fp, fra} {
			r := h.do(t, call{method: "POST", path: subPath + "/queries", as: as, form: url.Values{"value": {assault}, "body": {"Why?"}}})
			if want := map[*actor]int{fp: http.StatusForbidden, fra: http.StatusNotFound}[as]; r.status != want {
				t.Errorf("%s raises a query: %d, want %d", as, r.status, want)
			}
		}
		question := "Serious assault fell by 95 % from 2022: please confirm the 2023 figure."
		doneAt(t, h.do(t, call{method: "POST", path: subPath + "/queries", as: sec, form: url.Values{"value": {assault}, "body": {question}}}), subPath, "collrev_query_raised")
		if got := noticeTo(t, h, fp, subPath); len(got) != 1 || !strings.Contains(got[0], "question") {
			t.Errorf("Kenya's focal point's notices linking to the submission: %q", got)
		}
		qs, err := db.Queries(ctx, sec.user.Actor(), kenID)
		if err != nil || len(qs) != 1 || qs[0].Status != collect.QueryOpen {
			t.Fatalf("queries: %+v, %v", qs, err)
		}
		replyPath := fmt.Sprintf("/collection/queries/%d/reply", qs[0].ID)
		if dash := h.get(t, roundPath, sec); !strings.Contains(dash.body, fmt.Sprintf(`href="%s#query-%d">Kenya</a>`, subPath, qs[0].ID)) ||
			!strings.Contains(dash.body, "awaiting an answer from the State") {
			t.Errorf("the dashboard does not list Kenya's open query")
		} else if row := rowOf(t, dash.body, "African States"); !strings.Contains(row, "1 of 108") {
			t.Errorf("a queried table no longer counts as sent: %s", row)
		}

		// The focal point answers on the page; it cannot close the query,
		// and France cannot reach it.
		fpPage := h.get(t, subPath, fp)
		if !strings.Contains(fpPage.body, question) || !strings.Contains(fpPage.body, `action="`+replyPath+`"`) || strings.Contains(fpPage.body, `name="close"`) {
			t.Errorf("the focal point's page lacks the question or the answer form, or offers to close")
		}
		if r := h.do(t, call{method: "POST", path: replyPath, as: fp, form: url.Values{"body": {""}}}); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, fmt.Sprintf(`id="reply-%d-error"`, qs[0].ID)) {
			t.Errorf("an empty answer: %s", r)
		}
		if r := h.do(t, call{method: "POST", path: replyPath, as: fp, form: url.Values{"body": {"Done."}, "close": {"on"}}}); r.status != http.StatusForbidden {
			t.Errorf("the focal point closed the query: %s", r)
		}
		if r := h.do(t, call{method: "POST", path: replyPath, as: fra, form: url.Values{"body": {"Not ours."}}}); r.status != http.StatusNotFound {
			t.Errorf("France answered Kenya's query: %s", r)
		}
		answer := "Confirmed: the police changed its recording system in 2023."
		doneAt(t, h.do(t, call{method: "POST", path: replyPath, as: fp, form: url.Values{"body": {answer}}}), subPath, "collrev_replied")
		if got := noticeTo(t, h, sec, subPath); len(got) != 1 || !strings.Contains(got[0], "KEN answered") {
			t.Errorf("the secretariat's notices: %q", got)
		}
		if p := h.get(t, subPath, sec); !strings.Contains(p.body, answer) || !strings.Contains(p.body, "answered, for the secretariat to read") {
			t.Errorf("the secretariat does not see the answer")
		}

		// A focal point cannot validate or publish; the secretariat closes
		// the query and validates.
		for _, path := range []string{subPath + "/validate", subPath + "/publish"} {
			if r := h.do(t, call{method: "POST", path: path, as: fp, form: url.Values{}}); r.status != http.StatusForbidden {
				t.Errorf("%s by the focal point: %d", path, r.status)
			}
			if r := h.do(t, call{method: "POST", path: path, as: fra, form: url.Values{}}); r.status != http.StatusNotFound && r.status != http.StatusForbidden {
				t.Errorf("%s by France: %d", path, r.status)
			}
		}
		if r := h.do(t, call{method: "POST", path: subPath + "/publish", as: sec, form: url.Values{}}); r.status != http.StatusConflict || !strings.Contains(r.body, `class="error"`) {
			t.Errorf("publishing a queried table: %s", r)
		}
		doneAt(t, h.do(t, call{method: "POST", path: replyPath, as: sec, form: url.Values{"body": {"Thank you."}, "close": {"on"}}}), subPath, "collrev_query_closed")
		doneAt(t, h.do(t, call{method: "POST", path: subPath + "/validate", as: sec, form: url.Values{}}), subPath, "collrev_validated")
		if r := h.do(t, call{method: "POST", path: subPath + "/validate", as: sec, form: url.Values{}}); r.status != http.StatusConflict {
			t.Errorf("validated twice: %s", r)
		}
		if got := noticeTo(t, h, fp, subPath); len(got) != 3 || !strings.Contains(got[0], "validated") {
			t.Errorf("Kenya's notices after validation (newest first): %q", got)
		}
		if qs, _ := db.Queries(ctx, sec.user.Actor(), kenID); qs[0].Status != collect.QueryClosed || len(qs[0].Messages) != 3 {
			t.Errorf("the query after closing: %+v", qs[0])
		}

		// The bulk publication asks for confirmation, naming what becomes
		// public, and publishes exactly what was confirmed.
		dash = h.get(t, roundPath, sec)
		if !strings.Contains(dash.body, roundPath+"?confirm=publish") {
			t.Fatalf("the dashboard offers no publication of the validated table")
		}
		confirm := h.get(t, roundPath+"?confirm=publish", sec)
		if !strings.Contains(confirm.body, "1 table from 1 State, holding 10 values, will become public") ||
			!strings.Contains(confirm.body, fmt.Sprintf(`name="submission" value="%d"`, kenID)) {
			t.Fatalf("the confirmation does not say what becomes public\n%s", confirm)
		}
		if r := h.do(t, call{method: "POST", path: roundPath + "/publish", as: sec, form: url.Values{"submission": {"999999"}}}); r.status != http.StatusConflict ||
			!strings.Contains(r.body, "have changed since the confirmation") {
			t.Errorf("publishing a table not confirmed: %s", r)
		}
		if r := h.do(t, call{method: "POST", path: roundPath + "/publish", as: fp, form: url.Values{"submission": {strconv.FormatInt(kenID, 10)}}}); r.status != http.StatusForbidden {
			t.Errorf("a focal point published in bulk: %s", r)
		}

		public := func(asOf time.Time, year int) *float64 {
			t.Helper()
			q := stats.Query{Flow: "OFFENCES", Start: stats.Period{Year: year, Kind: 'A'}, End: stats.Period{Year: year, Kind: 'A'}, AsOf: asOf}
			q.Key[stats.DimArea], q.Key[stats.DimICCS], q.Key[stats.DimUnit], q.Key[stats.DimCyber] = []string{"KEN"}, []string{"020111"}, []string{"NB"}, []string{"_T"}
			var got *float64
			if err := db.Observations(ctx, q, func(o stats.Observation) error { got = o.Value; return nil }); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if v := public(time.Time{}, 2022); v == nil || *v != 22573 {
			t.Fatalf("Kenya's published serious assault of 2022 before: %v, want 22573", v)
		}
		if v := public(time.Time{}, 2023); v != nil {
			t.Fatalf("an unpublished figure is public: %v", *v)
		}
		before := db.Now()
		time.Sleep(10 * time.Millisecond)
		doneAt(t, h.do(t, call{method: "POST", path: roundPath + "/publish", as: sec, form: url.Values{"submission": {strconv.FormatInt(kenID, 10)}}}), roundPath, "collrev_published")
		if got := noticeTo(t, h, fp, subPath); len(got) != 4 || !strings.Contains(got[0], "published") {
			t.Errorf("Kenya's notices after publication: %q", got)
		}

		// The public statistics serve the new values, and the value they
		// replaced as of before.
		var list struct {
			Items []struct {
				Period string   `json:"period"`
				Value  *float64 `json:"value"`
				Source string   `json:"source"`
			} `json:"items"`
		}
		decodeJSON(t, h.get(t, "/api/v1/stats/observations?flow=OFFENCES&area=KEN&iccs=020111&unit=NB&cyber=_T&start=2022&end=2023", nil), http.StatusOK, &list)
		got := map[string]float64{}
		for _, it := range list.Items {
			if it.Value != nil {
				got[it.Period] = *it.Value
			}
		}
		if got["2022"] != 22600 || got["2023"] != 1000 {
			t.Errorf("public figures after publication: %v, want 2022 revised to 22600 and 2023 at 1000", got)
		}
		if v := public(before, 2022); v == nil || *v != 22573 {
			t.Errorf("as of before publication, 2022 is %v, want 22573", v)
		}
		if v := public(before, 2023); v != nil {
			t.Errorf("as of before publication, 2023 is %v, want nothing", *v)
		}
		if p := h.get(t, subPath, fp); !strings.Contains(p.body, `class="cr-status cr-st-published"`) {
			t.Errorf("the submission page does not say published")
		}
		if dash := h.get(t, roundPath, sec); !strings.Contains(dash.body, `>published</a> <strong>1</strong>`) {
			t.Errorf("the dashboard does not count the published table")
		}

		// Closing the round.
		if r := h.do(t, call{method: "POST", path: roundPath + "/close", as: fp, form: url.Values{}}); r.status != http.StatusForbidden {
			t.Errorf("a focal point closed the round: %s", r)
		}
		doneAt(t, h.do(t, call{method: "POST", path: roundPath + "/close", as: sec, form: url.Values{}}), roundPath, "collrev_round_closed")
		if rd, _ := db.Round(ctx, sec.user.Actor(), roundID); rd.ClosedAt == nil {
			t.Errorf("the round is not closed")
		}
		if p := h.get(t, "/collection", sec); !strings.Contains(p.body, "UN-CTS 2023 (review)</a> <span class=\"tag\">closed</span>") {
			t.Errorf("/collection does not show the round closed")
		}

		// Every step is in the audit trail, and the trail holds.
		recs, err := db.SubmissionHistory(ctx, access.System("test"), kenID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, rec := range recs {
			steps = append(steps, rec.Entity+":"+rec.Action)
		}
		for _, want := range []string{"collect_submission:submitted", "collect_query:create", "collect_query:reply", "collect_submission:validated", "collect_submission:publish"} {
			if !strings.Contains(strings.Join(steps, " "), want) {
				t.Errorf("the history %q lacks %s", steps, want)
			}
		}
		if _, problem, err := db.VerifyAudit(ctx); err != nil || problem != nil {
			t.Errorf("audit: %v, %v", problem, err)
		}
		if n := h.logs.errorCount(); n > 0 {
			t.Errorf("the server logged %d errors", n)
		}
	})
}
