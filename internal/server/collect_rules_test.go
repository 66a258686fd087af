package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// ruleForm is the form of a stored rule as the edit page fills it.
func ruleForm(r collect.Rule) url.Values {
	f := url.Values{"name": {r.Name}, "severity": {string(r.Severity)}, "flow": {r.Flow}, "note": {r.Note}}
	if r.Enabled {
		f.Set("enabled", "yes")
	}
	for _, c := range r.Kind.Reads() {
		f.Set(c, r.Params.Field(c))
	}
	return f
}

func TestCollectRulesPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, secretariatKey, focalPointKey)
		sec, fp := h.actors[secretariatKey], h.actors[focalPointKey]

		// A focal point reads the rules its figures are checked with,
		// grouped by kind, in plain language, and cannot change them.
		r := h.get(t, "/collection/rules", fp)
		if r.status != http.StatusOK {
			t.Fatalf("%s", r)
		}
		body := html.UnescapeString(r.body)
		for _, want := range []string{
			`<h2 id="kind-sum">Breakdowns add up to totals</h2>`,
			`<h2 id="kind-outlier">Outliers</h2>`,
			"Female + male = total",
			"By Sex: Female + Male add up to Total.",
			"A figure is flagged when it is more than 50 % above or below the previous year's figure.",
			"The required cells of the table “Offences recorded by the police” are filled.",
			`<span class="rule-sev rule-sev-error">Error</span>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the rules page lacks %q", want)
			}
		}
		if strings.Contains(r.body, `action="/collection/rules#add"`) || strings.Contains(r.body, "#edit") {
			t.Error("a focal point is offered to change the rules")
		}
		r = h.get(t, "/collection/rules/10", fp)
		if r.status != http.StatusOK || !strings.Contains(r.body, "Change from the previous year beyond 50 %") || strings.Contains(r.body, `action="/collection/rules/10`) {
			t.Errorf("rule 10 as a focal point\n%s", r)
		}

		// The secretariat gets an edit link for each and the form to add
		// one, whose fields are those the chosen kind reads.
		r = h.get(t, "/collection/rules", sec)
		if !strings.Contains(r.body, `href="/collection/rules/10#edit"`) || !strings.Contains(r.body, `<select id="new-kind" name="kind">`) {
			t.Errorf("the secretariat's rules page has no edit links or no kind chooser\n%s", r)
		}
		r = h.get(t, "/collection/rules?kind=outlier", sec)
		for _, want := range []string{`name="threshold"`, `name="z_score"`, `name="window"`, `name="min_years"`, `name="min_value"`, `name="unit"`, `<input type="hidden" name="kind" value="outlier">`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the outlier form lacks %s", want)
			}
		}
		if strings.Contains(r.body, `name="parts"`) {
			t.Error("the outlier form asks for parts")
		}
		r = h.get(t, "/collection/rules/1", sec)
		if !strings.Contains(r.body, `<form method="post" action="/collection/rules/1#edit"`) || !strings.Contains(r.body, `<code>F</code> Female`) {
			t.Errorf("rule 1's form, with the codes of Sex\n%s", r)
		}
		if r := h.get(t, "/collection/rules/999", sec); r.status != http.StatusNotFound {
			t.Errorf("rule 999: %d", r.status)
		}

		// A refused rule comes back with the form as typed and the error
		// beside its field.
		add := url.Values{"kind": {"sum"}, "name": {"Adults + juveniles = total (victims)"}, "severity": {"error"}, "flow": {"VICTIMS"},
			"dim": {"AGE"}, "parts": {"Y_GE18 ADULTS"}, "total": {"_T"}, "unit": {"NB"}, "enabled": {"yes"}}
		r = h.do(t, call{method: "POST", path: "/collection/rules", as: sec, form: add})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `<p class="error" role="alert" id="rule-parts-error">`) ||
			!strings.Contains(html.UnescapeString(r.body), `"ADULTS" is not a code of CL_AGE`) || !strings.Contains(r.body, `value="Y_GE18 ADULTS"`) ||
			!strings.Contains(r.body, `value="Adults &#43; juveniles = total (victims)"`) {
			t.Errorf("a rule with a bad code\n%s", r)
		}
		add.Set("parts", "Y_GE18 Y_LT18")
		add.Set("name", "Female + male = total")
		r = h.do(t, call{method: "POST", path: "/collection/rules", as: sec, form: add})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="rule-name-error"`) {
			t.Errorf("a rule with a name taken\n%s", r)
		}
		add.Set("name", "Adults + juveniles = total (victims)")
		r = h.do(t, call{method: "POST", path: "/collection/rules", as: sec, form: add})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !regexp.MustCompile(`^/collection/rules/\d+\?done=rule_created$`).MatchString(loc) {
			t.Fatalf("a valid rule: %d to %q\n%s", r.status, loc, r)
		}
		r = h.get(t, loc, fp)
		if !strings.Contains(html.UnescapeString(r.body), "By Age: Adults (18 years or over) + Juveniles (under 18 years) add up to Total.") ||
			!strings.Contains(r.body, "sam.secretariat@cpcj.test") {
			t.Errorf("the new rule\n%s", r)
		}

		// A change that fails keeps what was typed.
		ten, err := db.Rule(context.Background(), sec.user.Actor(), 10)
		if err != nil {
			t.Fatal(err)
		}
		f := ruleForm(ten)
		f.Set("threshold", "")
		f.Set("min_value", "25")
		r = h.do(t, call{method: "POST", path: "/collection/rules/10", as: sec, form: f})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="rule-threshold-error"`) || !strings.Contains(r.body, `value="25"`) {
			t.Errorf("an outlier rule without a limit\n%s", r)
		}
	})
}

// TestCollectRuleTakesEffect: a rule changed on its page applies to the
// next check of a State's figures; disabled, it finds nothing.
func TestCollectRuleTakesEffect(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db, secretariatKey, focalPointKey)
		sec, fp := h.actors[secretariatKey], h.actors[focalPointKey]
		table := collect.Table{ID: "POLICE", Title: "Offences recorded by the police", Flow: "OFFENCES",
			Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
			Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111"}, Labels: []string{"Serious assault"}}}
		today := civil.Of(time.Now())
		round, err := db.OpenRound(ctx, access.System("test"), collect.Round{Name: "UN-CTS 2023 (test)", Year: 2023, OpensOn: today.AddDays(-1), DueOn: today.AddDays(30),
			Tables: []collect.Table{table}})
		if err != nil {
			t.Fatal(err)
		}
		// Kenya's police recorded 22,573 serious assaults in 2022 (shipped
		// data); 30,000 is 33 % more, within rule 10's 50 %.
		k, err := table.Key("KEN", collect.Cell{Row: "020111"})
		if err != nil {
			t.Fatal(err)
		}
		x := 30000.0
		values := []collect.Value{{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &x, Status: stats.StatusNormal, Origin: "form"}}
		found := func() bool {
			t.Helper()
			p, err := h.srv.Collection().Save(ctx, fp.user.Actor(), round.ID, collect.Scope{Flow: "OFFENCES", State: "KEN"}, values, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range p.Findings {
				if f.RuleID == 10 {
					return true
				}
			}
			return false
		}
		if found() {
			t.Fatal("a change of 33 % is flagged by the rule of 50 %")
		}
		ten, err := db.Rule(ctx, sec.user.Actor(), 10)
		if err != nil {
			t.Fatal(err)
		}
		stricter := ruleForm(ten)
		stricter.Set("threshold", "0.2")
		if r := h.do(t, call{method: "POST", path: "/collection/rules/10", as: sec, form: stricter}); r.status != http.StatusSeeOther ||
			r.header.Get("Location") != "/collection/rules?done=rule_updated" {
			t.Fatalf("stricter: %s", r)
		}
		if !found() {
			t.Error("the stricter rule (20 %) does not flag a change of 33 %")
		}
		if r := h.get(t, "/collection/rules/10", fp); !strings.Contains(r.body, "more than 20 % above or below") {
			t.Errorf("the page does not show the new threshold\n%s", r)
		}
		stricter.Del("enabled")
		if r := h.do(t, call{method: "POST", path: "/collection/rules/10", as: sec, form: stricter}); r.status != http.StatusSeeOther {
			t.Fatalf("disable: %s", r)
		}
		if found() {
			t.Error("a disabled rule still finds")
		}
		r := h.get(t, "/collection/rules", fp)
		if !regexp.MustCompile(`(?s)<tr id="rule-10" class="disabled">.*?Disabled`).MatchString(r.body) {
			t.Errorf("the list does not show rule 10 disabled\n%s", r)
		}
		if r := h.get(t, fmt.Sprintf("/audit?entity=collect_rule&entity_id=%d", 10), sec); !strings.Contains(r.body, "disable") {
			t.Errorf("the audit trail does not show the rule disabled\n%s", r)
		}
	})
}
