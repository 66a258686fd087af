package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// cyberTable is a second table of the OFFENCES dataflow beside
// policeTable: cyber-related serious assault.
var cyberTable = collect.Table{
	ID: "OFFENCES_CYBER_TEST", Title: "Cyber-related offences (test)", Flow: "OFFENCES",
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "CY", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111"}, Labels: []string{"Serious assault"}},
}

// dashValue is a value of a table for a State in 2023.
func dashValue(t *testing.T, tb collect.Table, state, iccs string, v float64) collect.Value {
	t.Helper()
	k, err := tb.Key(state, collect.Cell{Row: iccs})
	if err != nil {
		t.Fatal(err)
	}
	return collect.Value{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &v, Status: stats.StatusNormal}
}

// TestCollectionProgress checks the round's dashboard against figures
// counted by hand on a small fixture: five States of four regional
// groups, two tables each, in every status.
func TestCollectionProgress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		today := time.Now().UTC()
		round, err := db.OpenRound(ctx, secretariat, collect.Round{Name: "UN-CTS 2023 (dashboard)", Year: 2023,
			OpensOn: dateOf(today.AddDate(0, 0, -10)), DueOn: dateOf(today.AddDate(0, 0, -1)), Tables: []collect.Table{policeTable, cyberTable}})
		if err != nil {
			t.Fatal(err)
		}
		// A closed round of a later year is listed after the open one.
		later, err := db.OpenRound(ctx, secretariat, collect.Round{Name: "UN-CTS 2024 (closed)", Year: 2024,
			OpensOn: dateOf(today), DueOn: dateOf(today), Tables: []collect.Table{policeTable}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CloseRound(ctx, secretariat, later.ID); err != nil {
			t.Fatal(err)
		}

		scope := func(state string) collect.Scope { return collect.Scope{Flow: "OFFENCES", State: state, Year: 2023} }
		focal := func(state string) access.Actor {
			return access.Actor{Email: "fp@" + state + ".test", Role: access.FocalPoint, State: state}
		}
		save := func(state string, vals ...collect.Value) map[string]int64 {
			t.Helper()
			if _, err := db.SaveDraft(ctx, focal(state), round.ID, scope(state), vals); err != nil {
				t.Fatalf("%s: %v", state, err)
			}
			subs, err := db.Submissions(ctx, focal(state), round.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]int64{}
			for _, s := range subs {
				ids[s.Table] = s.ID
			}
			return ids
		}
		move := func(by access.Actor, id int64, to collect.Status) {
			t.Helper()
			if _, err := db.MoveSubmission(ctx, by, id, to); err != nil {
				t.Fatalf("submission %d → %s: %v", id, to, err)
			}
		}
		// Kenya (AG) sent both tables; the secretariat queried the first.
		ken := save("KEN", dashValue(t, policeTable, "KEN", "020111", 4321), dashValue(t, cyberTable, "KEN", "020111", 12))
		move(focal("KEN"), ken[policeTable.ID], collect.Submitted)
		move(focal("KEN"), ken[cyberTable.ID], collect.Submitted)
		q, err := db.RaiseQuery(ctx, secretariat, ken[policeTable.ID], dashValue(t, policeTable, "KEN", "020111", 0).Key, stats.Period{Year: 2023, Kind: 'A'}, "Please confirm.")
		if err != nil {
			t.Fatal(err)
		}
		// Nigeria (AG) has a draft of the first table only.
		save("NGA", dashValue(t, policeTable, "NGA", "0501", 10))
		// France (WEOG) sent both; the secretariat validated the first.
		fra := save("FRA", dashValue(t, policeTable, "FRA", "0501", 200000), dashValue(t, cyberTable, "FRA", "020111", 99))
		move(focal("FRA"), fra[policeTable.ID], collect.Submitted)
		move(focal("FRA"), fra[cyberTable.ID], collect.Submitted)
		move(secretariat, fra[policeTable.ID], collect.Validated)
		// Japan (APG) sent the first table.
		jpn := save("JPN", dashValue(t, policeTable, "JPN", "0501", 5000))
		move(focal("JPN"), jpn[policeTable.ID], collect.Submitted)

		if _, err := db.CollectionProgress(ctx, focalKEN, round.ID, dateOf(today)); !fail.Is(err, fail.Forbidden) {
			t.Errorf("a focal point read the dashboard: %v", err)
		}
		p, err := db.CollectionProgress(ctx, secretariat, round.ID, dateOf(today))
		if err != nil {
			t.Fatal(err)
		}
		// 193 Member States, two tables each.
		if want := (collect.Response{States: 193, Complete: 2, Sent: 5, Expected: 386}); p.Total != want {
			t.Errorf("total %+v, want %+v", p.Total, want)
		}
		groups := map[string]collect.Response{}
		var order []string
		for _, g := range p.Groups {
			groups[g.Group] = g
			order = append(order, g.Group)
		}
		if len(order) != 5 || order[0] != "AG" || order[4] != "WEOG" {
			t.Errorf("groups in the order %q, want the five UN regional groups", order)
		}
		for code, want := range map[string]collect.Response{
			"AG":     {Group: "AG", States: 54, Complete: 1, Sent: 2, Expected: 108},
			"APG":    {Group: "APG", States: 54, Complete: 0, Sent: 1, Expected: 108},
			"EEG":    {Group: "EEG", States: 23, Complete: 0, Sent: 0, Expected: 46},
			"GRULAC": {Group: "GRULAC", States: 33, Complete: 0, Sent: 0, Expected: 66},
			"WEOG":   {Group: "WEOG", States: 29, Complete: 1, Sent: 2, Expected: 58},
		} {
			if groups[code] != want {
				t.Errorf("group %s: %+v, want %+v", code, groups[code], want)
			}
		}
		if r := groups["AG"].StateRate(); r < 0.0185 || r > 0.0186 {
			t.Errorf("AG's rate of States %v, want 1/54", r)
		}
		if r := groups["WEOG"].TableRate(); r < 0.0344 || r > 0.0345 {
			t.Errorf("WEOG's rate of tables %v, want 2/58", r)
		}
		wantTables := map[collect.Status]int{collect.NotStarted: 380, collect.Draft: 1, collect.Submitted: 3, collect.Queried: 1, collect.Validated: 1}
		for _, s := range collect.Statuses {
			if p.Tables[s] != wantTables[s] {
				t.Errorf("%s tables: %d, want %d", s, p.Tables[s], wantTables[s])
			}
		}
		if !p.Late() || p.Overdue != 381 || p.OverdueStates != 191 {
			t.Errorf("overdue: late %v, %d tables of %d States, want 381 of 191", p.Late(), p.Overdue, p.OverdueStates)
		}
		if len(p.Queries) != 1 || p.Queries[0].ID != q.ID || p.Queries[0].State != "KEN" || p.Queries[0].Table != policeTable.ID || p.Queries[0].Status != collect.QueryOpen {
			t.Errorf("queries %+v, want Kenya's open query", p.Queries)
		}
		ids, values := p.Validated()
		if len(ids) != 1 || ids[0] != fra[policeTable.ID] || values != 1 {
			t.Errorf("ready to publish: %v (%d values), want France's first table", ids, values)
		}
		byCode := map[string]collect.StateProgress{}
		coll := state.Collator()
		for i, s := range p.States {
			byCode[s.Code] = s
			if i > 0 && coll.CompareString(p.States[i-1].Name, s.Name) > 0 {
				t.Errorf("%s before %s: States not by name", p.States[i-1].Name, s.Name)
			}
		}
		kenya := byCode["KEN"]
		if kenya.Group != "AG" || kenya.Sent != 2 || !kenya.Complete() || kenya.Tables[0].Status != collect.Queried ||
			kenya.Tables[0].OpenQueries != 1 || kenya.Tables[0].Submission != ken[policeTable.ID] || kenya.Tables[1].Status != collect.Submitted {
			t.Errorf("Kenya %+v", kenya)
		}
		if ngr := byCode["NGA"]; ngr.Sent != 0 || ngr.Tables[0].Status != collect.Draft || ngr.Tables[1].Status != collect.NotStarted || ngr.Tables[1].Submission != 0 {
			t.Errorf("Nigeria %+v", ngr)
		}
		if !byCode["NGA"].Has(collect.Draft) || byCode["BRA"].Has(collect.Draft) {
			t.Errorf("Has: Nigeria has a draft, Brazil none")
		}
		// Before the due date nothing is overdue.
		early, err := db.CollectionProgress(ctx, secretariat, round.ID, dateOf(today.AddDate(0, 0, -2)))
		if err != nil || early.Late() || early.Overdue != 0 {
			t.Errorf("before the due date: late %v, %d overdue, %v", early.Late(), early.Overdue, err)
		}

		// The list of rounds: the programme's figures, or the State's own.
		list, err := db.RoundsProgress(ctx, secretariat)
		if err != nil || len(list) != 2 {
			t.Fatalf("rounds: %+v, %v", list, err)
		}
		if list[0].Round.ID != round.ID || list[1].Round.ID != later.ID {
			t.Errorf("rounds in the order %d, %d: want the open one first", list[0].Round.ID, list[1].Round.ID)
		}
		if got := list[0]; got.Asked != 2 || got.Response != (collect.Response{States: 193, Complete: 2, Sent: 5, Expected: 386}) || got.Open != 1 || got.Answered != 0 {
			t.Errorf("the round for the secretariat: %+v", got)
		}
		if got := list[1]; got.Asked != 1 || got.States != 193 || got.Sent != 0 || got.Expected != 193 {
			t.Errorf("the closed round: %+v", got)
		}
		mine, err := db.RoundsProgress(ctx, expertKEN)
		if err != nil || len(mine) != 2 {
			t.Fatalf("rounds for Kenya: %+v, %v", mine, err)
		}
		if got := mine[0]; got.Response != (collect.Response{States: 1, Complete: 1, Sent: 2, Expected: 2}) || got.Open != 1 {
			t.Errorf("the round for Kenya: %+v", got)
		}
		if got, _ := db.RoundsProgress(ctx, focal("NGA")); got[0].Response != (collect.Response{States: 1, Sent: 0, Expected: 2}) || got[0].Open != 0 {
			t.Errorf("the round for Nigeria: %+v", got[0])
		}
		if _, err := db.RoundsProgress(ctx, access.Actor{Role: access.Donor, Contributor: "NOR"}); !fail.Is(err, fail.Forbidden) {
			t.Errorf("a donor listed the rounds: %v", err)
		}

		// A submission's history is its own State's and the secretariat's.
		hist, err := db.SubmissionHistory(ctx, expertKEN, ken[policeTable.ID])
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range hist {
			actions = append(actions, r.Entity+":"+r.Action)
		}
		want := []string{"collect_draft:save", "collect_submission:submitted", "collect_query:create"}
		if len(actions) != len(want) {
			t.Errorf("history %q, want %q", actions, want)
		} else {
			for i := range want {
				if actions[i] != want[i] {
					t.Errorf("history %q, want %q", actions, want)
					break
				}
			}
		}
		if _, err := db.SubmissionHistory(ctx, focalFRA, ken[policeTable.ID]); !fail.Is(err, fail.NotFound) {
			t.Errorf("France read Kenya's history: %v", err)
		}
		if qq, err := db.CollectionQuery(ctx, focalKEN, q.ID); err != nil || qq.Submission != ken[policeTable.ID] || len(qq.Messages) != 1 {
			t.Errorf("Kenya's query: %+v, %v", qq, err)
		}
		if _, err := db.CollectionQuery(ctx, focalFRA, q.ID); !fail.Is(err, fail.NotFound) {
			t.Errorf("France read Kenya's query: %v", err)
		}

		// Publication returns the tables published.
		if _, err := db.PublishTables(ctx, focal("FRA"), ids); !fail.Is(err, fail.Forbidden) {
			t.Errorf("a focal point published: %v", err)
		}
		pub, err := db.PublishTables(ctx, secretariat, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(pub.Tables) != 1 || pub.Tables[0].Status != collect.Published || pub.Tables[0].State != "FRA" || pub.Added+pub.Revised != 1 {
			t.Errorf("publication %+v", pub)
		}
		if p, _ := db.CollectionProgress(ctx, secretariat, round.ID, dateOf(today)); p.Tables[collect.Published] != 1 || p.Tables[collect.Validated] != 0 || p.Total.Sent != 5 {
			t.Errorf("after publication: %v, sent %d", p.Tables, p.Total.Sent)
		}
	})
}
