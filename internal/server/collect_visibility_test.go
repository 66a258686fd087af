package server_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/cli"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// Unpublished figures are visible only to their State and the
// secretariat: through the UI, the JSON API, SDMX and every export. The
// test follows Kenya's answer to a round from draft to publication and,
// at every step before publication, reads every public way out of the
// statistics as the public, another State's focal point, a donor, and
// Kenya's focal point and the secretariat too (the public statistics are
// the published ones, whoever reads them): each must answer exactly as
// before Kenya saved anything, and none may show the figures or their
// comments. The collection API shows the draft to Kenya and the
// secretariat only.

// Kenya's answer: a revision of its published 22,573 serious assaults of
// 2022, and a first figure for sexual exploitation (ICCS 0302), which it
// never published. The figures and the comment are found nowhere in the
// public statistics before publication; the test checks that too.
const (
	revised   = 22975
	published = 22573
	firstEver = 3719
	kenNote   = "Kenya police register, provisional until the census"
)

// unpublishedMarks are the ways the unpublished figures and comment may
// be written: plain, as English pages write numbers, and in the XML of
// the workbooks.
var unpublishedMarks = []string{"22975", "22,975", "3719", "3,719", kenNote}

// visibilityViews are the public ways to Kenya's figures of the
// dataflow, over HTTP: every SDMX format, the JSON API's observations,
// exploration and downloads (with a region, computed from its members,
// so that an unpublished figure would show in a sum), and the pages.
func visibilityViews() []string {
	key := "A.KEN.OFF.020111+0302._T._T._Z._T.CJ.NB"
	var out []string
	for _, f := range []string{"genericdata", "structurespecificdata", "generictimeseriesdata", "structurespecifictimeseriesdata", "csv", "jsondata"} {
		out = append(out, "/sdmx/rest/data/OFFENCES/"+key+"?format="+f)
	}
	out = append(out, "/sdmx/rest/data/OFFENCES/A.KEN........?format=csv")
	view := "flow=OFFENCES&area=KEN,014,AG&iccs=020111,0302&unit=NB,RT100K&start=2018"
	out = append(out,
		"/api/v1/stats/observations?"+view,
		"/api/v1/stats/observations?flow=OFFENCES&area=KEN",
		"/api/v1/stats/explore?"+view,
		"/api/v1/stats/download?"+view,
		"/api/v1/stats/download?"+view+"&format=xlsx",
		"/api/v1/stats/download?flow=OFFENCES&area=KEN&format=xlsx",
		"/statistics?"+view,
		"/statistics/areas/KEN",
	)
	return out
}

// exportFormats are the formats of cpcj stats export.
var exportFormats = []string{"csv", "sdmx-csv", "xlsx"}

// openWithURL opens a fresh, migrated database of the engine and returns
// it with its URL, for the command line to open too.
func openWithURL(t *testing.T, e store.Engine) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	u := storetest.URL(t, e)
	if e == store.SQLite {
		// A copy of the migrated template, as storetest.Open makes.
		if err := storetest.Open(t, e).Backup(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, u, store.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db, u
}

// runCLI runs the command line over the database, as its tests do, and
// returns what it printed.
func runCLI(t *testing.T, dbURL string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if k == "CPCJ_DATABASE_URL" {
				return dbURL
			}
			return ""
		}}
	if code := cli.Main(context.Background(), args, env); code != 0 {
		t.Fatalf("cpcj %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// volatile are the parts of an answer that differ between two answers
// with the same content: SDMX message ids, and the times messages and
// files were made.
var volatile = regexp.MustCompile(`IREF[0-9A-F]+|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`)

// readable turns an answer into text to search and compare: a workbook
// into the text of its cells, anything else as it is, without its
// volatile parts.
func readable(t *testing.T, body []byte) string {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("PK")) {
		return volatile.ReplaceAllString(string(body), "…")
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return volatile.ReplaceAllString(b.String(), "…")
}

func TestCollectionVisibility(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			db, dbURL := openWithURL(t, e)
			h := newHarness(t, db, secretariatKey, focalPointKey, expertKey, fraFocalKey, donorKey)
			ctx := context.Background()
			sec, fp, ex, fra, donor := h.actors[secretariatKey], h.actors[focalPointKey], h.actors[expertKey], h.actors[fraFocalKey], h.actors[donorKey]
			readers := []*actor{nil, fra, donor, fp, sec}
			round := openTestRound(t, h, "UN-CTS 2022 (visibility)", 2022)

			// What the public ways show before Kenya saves anything.
			view := func(as *actor, path string) string {
				t.Helper()
				r := h.get(t, path, as)
				if r.status != http.StatusOK {
					t.Fatalf("%s as %s: %s", path, as, r)
				}
				return readable(t, []byte(r.body))
			}
			export := func(format string) string {
				t.Helper()
				return readable(t, []byte(runCLI(t, dbURL, "stats", "export", "--flow", "OFFENCES", "--key", "A.KEN.OFF.......", "--format", format)))
			}
			// Pages are compared only for readers whom Kenya's steps send
			// no notice, which pages count.
			compared := func(as *actor, path string) bool {
				return !strings.HasPrefix(path, "/statistics") || as == nil || as == fra || as == donor
			}
			before := map[string]string{}
			for _, p := range visibilityViews() {
				for _, as := range readers {
					got := view(as, p)
					before[as.String()+" "+p] = got
					for _, m := range unpublishedMarks {
						if strings.Contains(got, m) {
							t.Fatalf("%s shows %q before Kenya sent it: choose other figures for the test", p, m)
						}
					}
				}
			}
			for _, f := range exportFormats {
				before["export "+f] = export(f)
			}
			// The public ways do show Kenya's published figure.
			for _, p := range []string{visibilityViews()[0], "/api/v1/stats/observations?flow=OFFENCES&area=KEN", "/statistics/areas/KEN"} {
				if got := before["public "+p]; !strings.Contains(got, "22573") && !strings.Contains(got, "22,573") {
					t.Errorf("%s does not show Kenya's published figure: the checks below look in the wrong place", p)
				}
			}

			// samePublic checks that every public way answers as before,
			// whoever asks.
			samePublic := func(stage string) {
				t.Helper()
				for _, p := range visibilityViews() {
					for _, as := range readers {
						got := view(as, p)
						for _, m := range unpublishedMarks {
							if strings.Contains(got, m) {
								t.Errorf("%s: %s as %s shows the unpublished %q", stage, p, as, m)
							}
						}
						if got != before[as.String()+" "+p] && compared(as, p) {
							t.Errorf("%s: %s as %s answers otherwise than before Kenya sent anything", stage, p, as)
						}
					}
				}
				for _, f := range exportFormats {
					if got := export(f); got != before["export "+f] {
						t.Errorf("%s: cpcj stats export --format %s exports otherwise than before", stage, f)
					}
				}
			}
			sub := ""
			// privateCollection checks that the collection API shows the
			// figures to Kenya and the secretariat, and nothing of them to
			// anyone else.
			privateCollection := func(stage string) {
				t.Helper()
				for _, as := range []*actor{fp, ex, sec} {
					r := h.do(t, call{path: sub, as: as, via: viaToken})
					if r.status != http.StatusOK || !strings.Contains(r.body, `"value":22975`) || !strings.Contains(r.body, `"value":3719`) || !strings.Contains(r.body, kenNote) {
						t.Errorf("%s: %s as %s does not show Kenya's figures\n%s", stage, sub, as, r)
					}
				}
				for _, as := range []*actor{nil, fra, donor} {
					for _, path := range []string{sub, sub + "/queries", fmt.Sprintf("/api/v1/collection/rounds/%d/submissions", round.ID), "/api/v1/collection/rounds"} {
						for _, via := range []auth{viaSession, viaToken} {
							if as == nil && via == viaToken {
								continue
							}
							r := h.do(t, call{path: path, as: as, via: via})
							if r.status == http.StatusOK && strings.Contains(r.body, `"KEN"`) {
								t.Errorf("%s: %s as %s lists Kenya's submission\n%s", stage, path, as, r)
							}
							for _, m := range unpublishedMarks {
								if strings.Contains(r.body, m) {
									t.Errorf("%s: %s as %s shows %q", stage, path, as, m)
								}
							}
						}
					}
					r := h.do(t, call{method: "PUT", path: fmt.Sprintf("/api/v1/collection/rounds/%d/states/KEN/data?flow=OFFENCES&dry_run=true", round.ID),
						as: as, via: viaToken, body: offencesCSV("KEN"), ctype: "text/csv"})
					if r.status != http.StatusForbidden && r.status != http.StatusUnauthorized {
						t.Errorf("%s: a dry run against Kenya's draft as %s: %s", stage, as, r)
					}
				}
			}

			// A draft.
			file := offencesCSV("KEN", [5]string{"020111", "2022", "22975", "A", kenNote}, [5]string{"0302", "2022", "3719", "A", kenNote})
			r := h.do(t, call{method: "PUT", path: fmt.Sprintf("/api/v1/collection/rounds/%d/states/KEN/data?flow=OFFENCES", round.ID), as: fp, via: viaToken,
				body: file, ctype: "text/csv"})
			if r.status != http.StatusOK {
				t.Fatalf("saving Kenya's draft: %s", r)
			}
			subs, err := db.Submissions(ctx, fp.user.Actor(), round.ID)
			if err != nil || len(subs) != 1 {
				t.Fatalf("Kenya's submissions: %+v, %v", subs, err)
			}
			sub = fmt.Sprintf("/api/v1/collection/submissions/%d", subs[0].ID)
			privateCollection("draft")
			samePublic("draft")

			// Submitted.
			if r := h.do(t, call{method: "POST", path: sub + "/submit", as: fp, via: viaToken}); r.status != http.StatusOK {
				t.Fatalf("submitting: %s", r)
			}
			privateCollection("submitted")
			samePublic("submitted")

			// Validated, not yet published.
			svc := h.srv.Collection()
			if _, err := svc.Validate(ctx, sec.user.Actor(), subs[0].ID); err != nil {
				t.Fatal(err)
			}
			privateCollection("validated")
			samePublic("validated")

			// Published: the public ways show the new figures, and the
			// figure they revise stays available as of before.
			beforePublication := time.Now().UTC()
			time.Sleep(10 * time.Millisecond) // revisions are told apart by when they were stored
			if _, err := svc.Publish(ctx, sec.user.Actor(), []int64{subs[0].ID}); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{visibilityViews()[0], visibilityViews()[4], "/api/v1/stats/observations?flow=OFFENCES&area=KEN", "/statistics/areas/KEN"} {
				got := view(fra, p)
				if !strings.Contains(got, "22975") && !strings.Contains(got, "22,975") {
					t.Errorf("published: %s does not show Kenya's revised figure", p)
				}
			}
			for _, f := range exportFormats {
				if got := export(f); !strings.Contains(got, "22975") || !strings.Contains(got, "3719") {
					t.Errorf("published: cpcj stats export --format %s lacks Kenya's new figures", f)
				}
			}
			// updatedAfter gives the revisions stored since; as of before
			// the publication, the store gives the figure published then.
			since := view(nil, "/sdmx/rest/data/OFFENCES/A.KEN.OFF.020111+0302._T._T._Z._T.CJ.NB?format=csv&updatedAfter="+url.QueryEscape(beforePublication.Format(time.RFC3339Nano)))
			if !strings.Contains(since, ",2022,22975,") || !strings.Contains(since, ",2022,3719,") || strings.Contains(since, "22573") {
				t.Errorf("published: updatedAfter the publication:\n%s", since)
			}
			asOf := func(at time.Time) map[string]float64 {
				t.Helper()
				q := stats.Query{Flow: "OFFENCES", AsOf: at}
				q.Key[stats.DimArea] = []string{"KEN"}
				q.Key[stats.DimIndex("ICCS")] = []string{"020111", "0302"}
				q.Key[stats.DimUnit] = []string{"NB"}
				q.Start = stats.Period{Year: 2022, Kind: 'A'}
				got := map[string]float64{}
				if err := db.Observations(ctx, q, func(o stats.Observation) error {
					got[o.Key.Dim("ICCS")+" "+o.Period.String()] = *o.Value
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got := asOf(beforePublication); !maps.Equal(got, map[string]float64{"020111 2022": published}) {
				t.Errorf("as of before the publication: %v, want only the figure published then", got)
			}
			if got := asOf(time.Now().UTC()); !maps.Equal(got, map[string]float64{"020111 2022": revised, "0302 2022": firstEver}) {
				t.Errorf("as of now: %v", got)
			}
			// The collection stays private after publication too.
			privateCollection("published")
		})
	}
}
