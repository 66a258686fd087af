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
