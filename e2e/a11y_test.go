package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeScript is axe-core, the accessibility engine, which `npm ci` in this
// folder installs (CI does it); the check is skipped without it unless
// CPCJ_E2E=1.
const axeScript = "node_modules/axe-core/axe.min.js"

// a11yPages are checked against WCAG 2.1 A and AA, signed out and as the
// admin, who sees every part of the interface.
var a11yPages = []string{
	"/", "/states", "/states/KEN", "/treaties", "/treaties/XVIII-12?date=2013-12-18",
	"/treaties/annex?date=2013-12-18", "/statistics", "/statistics?flow=VICTIMS&area=COL,002&sex=F",
	"/statistics?flow=HOMICIDE&area=KEN&start=20x4", "/statistics/areas/KEN", "/statistics/areas/002",
	"/signin", "/api", "/sources/states", "/nope",
}

var a11yAdminPages = []string{
	"/account", "/notifications", "/admin/users", "/admin/users/1", "/audit",
	"/treaties/records/new", "/treaties/import",
}

type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

// testAccessibility runs axe-core on the main pages in English and Arabic
// and fails on any violation of WCAG 2.1 A or AA that it can detect.
func (e *env) testAccessibility(t *testing.T) {
	src, err := os.ReadFile(filepath.FromSlash(axeScript))
	if err != nil {
		if os.Getenv("CPCJ_E2E") == "1" {
			t.Fatalf("%s is missing: run npm ci in the e2e folder (%v)", axeScript, err)
		}
		t.Skipf("%s is missing: run npm ci in the e2e folder to check accessibility", axeScript)
	}
	check := func(b *tab, path string) {
		t.Helper()
		if st := b.open(path); st >= 500 {
			t.Errorf("%s: status %d", path, st)
			return
		}
		b.do(chromedp.Evaluate[chromedp.Void](string(src)))
		js := `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify({violations: r.violations}))`
		out := run(b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		var res axeResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%s: axe answer: %v", path, err)
		}
		for _, v := range res.Violations {
			var where []string
			for i, n := range v.Nodes {
				if i == 3 {
					where = append(where, fmt.Sprintf("and %d more", len(v.Nodes)-3))
					break
				}
				where = append(where, fmt.Sprint(n.Target)+" "+strings.TrimSpace(n.HTML))
			}
			t.Errorf("%s: %s (%s): %s\n\t%s", b.location(), v.ID, v.Impact, v.Help, strings.Join(where, "\n\t"))
		}
	}
	b := e.newTab(t)
	for _, p := range a11yPages {
		check(b, p)
	}
	b.open("/")
	if st := b.submit(`footer.site .languages button[value="ar"]`); st != http.StatusOK {
		t.Fatalf("switch to Arabic: status %d", st)
	}
	for _, p := range []string{"/", "/treaties/XVIII-12?date=2013-12-18", "/signin", "/statistics", "/statistics/areas/KEN"} {
		check(b, p)
	}
	a := e.newTab(t)
	a.signIn(e.admin)
	for _, p := range a11yAdminPages {
		check(a, p)
	}
}
