package web

import (
	"testing"

	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// TestCollectLabels checks that the English catalogue names every status
// the collection's pages show by a message built from the status, which
// TestTemplateKeys cannot see.
func TestCollectLabels(t *testing.T) {
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := bundle.Get(i18n.Fallback)
	for _, s := range collect.Statuses {
		if !en.Has("collrev.status." + string(s)) {
			t.Errorf("no message names the status %s of a table", s)
		}
	}
	for _, s := range []collect.QueryStatus{collect.QueryOpen, collect.QueryAnswered, collect.QueryClosed} {
		if !en.Has("collrev.query." + string(s)) {
			t.Errorf("no message names the status %s of a query", s)
		}
	}
	for _, s := range []string{stats.StatusNormal, stats.StatusEstimated, stats.StatusProvisional, stats.StatusBreak, stats.StatusMissing} {
		if !en.Has("answer.obs." + s) {
			t.Errorf("no message names the observation status %s", s)
		}
	}
	if got := obsLabel(en, stats.StatusNormal); got != "" {
		t.Errorf("a normal figure is labelled %q", got)
	}
	if got := statusLabel(en, "unheard_of"); got != "unheard_of" {
		t.Errorf("an unknown status is shown as %q", got)
	}
}

// TestHistorySummary: the audit trail's entries name the cells of the
// table by row and column and the table by its title, not by codes.
func TestHistorySummary(t *testing.T) {
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := bundle.Get(i18n.Fallback)
	tb := collect.Table{ID: "POLICE", Title: "Offences recorded by the police", Flow: "OFFENCES", Rates: true,
		Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
		Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111"}, Labels: []string{"Serious assault"}}}
	sub := collect.Submission{ID: 4, Round: 1, Table: "POLICE", State: "KEN", Status: collect.Queried}
	for in, want := range map[string]string{
		"query on A.KEN.OFF.020111._T._T._Z._T.CJ.NB 2023 (round 1, table POLICE, KEN: queried)": "query on Serious assault, 2023 (round 1, “Offences recorded by the police”, KEN: queried)",
		"query on A.KEN.OFF.020111._T._T._Z._T.CJ.RT100K 2022: closed":                           "query on Serious assault (rate per 100,000), 2022: closed",
		// A key of another table stays as it is.
		"query on A.KEN.OFF.0501._T._T._Z._T.CJ.NB 2023: open": "query on A.KEN.OFF.0501._T._T._Z._T.CJ.NB 2023: open",
	} {
		if got := historySummary(en, sub, tb, in); got != want {
			t.Errorf("historySummary(%q) = %q, want %q", in, got, want)
		}
	}
}
