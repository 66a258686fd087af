package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// policeTable is a small questionnaire table on the shipped OFFENCES
// dataflow: serious assault and burglary recorded by the police, counts.
var policeTable = collect.Table{
	ID: "OFFENCES_POLICE", Title: "Offences recorded by the police", Flow: "OFFENCES",
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111", "0501"}, Labels: []string{"Serious assault", "Burglary"}},
}

var (
	secretariat = access.Actor{UserID: 0, Email: "sec@unodc.test", Role: access.Secretariat}
	focalKEN    = access.Actor{Email: "fp@ken.test", Role: access.FocalPoint, State: "KEN"}
	expertKEN   = access.Actor{Email: "expert@ken.test", Role: access.Expert, State: "KEN"}
	focalFRA    = access.Actor{Email: "fp@fra.test", Role: access.FocalPoint, State: "FRA"}
)

func dateOf(t time.Time) civil.Date { return civil.Of(t) }

func kenValue(t *testing.T, iccs string, year int, v float64) collect.Value {
	t.Helper()
	k, err := policeTable.Key("KEN", collect.Cell{Row: iccs})
	if err != nil {
		t.Fatal(err)
	}
	return collect.Value{Key: k, Period: stats.Period{Year: year, Kind: 'A'}, Value: &v, Status: stats.StatusNormal}
}

// TestCollectionRound follows one table through a round: opened by the
// secretariat, saved and submitted by Kenya's focal point, queried,
// validated and published; unpublished figures stay out of the public
// statistics and out of other States' reach; the earlier published value
// stays available as of its date.
func TestCollectionRound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		today := time.Now().UTC()
		round := collect.Round{Name: "UN-CTS 2023 (test)", Year: 2023, OpensOn: dateOf(today.AddDate(0, 0, -1)), DueOn: dateOf(today.AddDate(0, 1, 0)),
			Tables: []collect.Table{policeTable}}

		if _, err := db.OpenRound(ctx, focalKEN, round); !fail.Is(err, fail.Forbidden) {
			t.Fatalf("a focal point opened a round: %v", err)
		}
		round, err := db.OpenRound(ctx, secretariat, round)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Round(ctx, expertKEN, round.ID)
		if err != nil || len(got.Tables) != 1 || got.Tables[0].Rows.Codes[1] != "0501" {
			t.Fatalf("round as read back: %+v, %v", got, err)
		}

		scope := collect.Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}
		draft := []collect.Value{kenValue(t, "020111", 2023, 4321), kenValue(t, "0501", 2023, 987)}
		if _, err := db.SaveDraft(ctx, focalFRA, round.ID, scope, draft); !fail.Is(err, fail.Forbidden) {
			t.Errorf("France's focal point saved Kenya's draft: %v", err)
		}
		if _, err := db.SaveDraft(ctx, secretariat, round.ID, scope, draft); !fail.Is(err, fail.Forbidden) {
			t.Errorf("the secretariat saved a State's draft: %v", err)
		}
		wrong := append([]collect.Value{}, draft...)
		wrong[0].Period.Year = 2024
		if _, err := db.SaveDraft(ctx, focalKEN, round.ID, scope, wrong); !fail.Is(err, fail.Invalid) {
			t.Errorf("a value after the reference year was saved: %v", err)
		}
		rep, err := db.SaveDraft(ctx, focalKEN, round.ID, scope, draft)
		if err != nil || rep.Values != 2 || rep.Tables["OFFENCES_POLICE"] != 2 {
			t.Fatalf("save: %+v, %v", rep, err)
		}
		// Saving again replaces the scope: burglary left out is removed.
		if _, err := db.SaveDraft(ctx, focalKEN, round.ID, scope, draft[:1]); err != nil {
			t.Fatal(err)
		}
		vals, err := db.Draft(ctx, expertKEN, round.ID, scope)
		if err != nil || len(vals) != 1 || *vals[0].Value != 4321 {
			t.Fatalf("draft after the second save: %+v, %v", vals, err)
		}
		if _, err := db.Draft(ctx, focalFRA, round.ID, scope); !fail.Is(err, fail.Forbidden) {
			t.Errorf("France's focal point read Kenya's draft: %v", err)
		}

		subs, err := db.Submissions(ctx, secretariat, round.ID)
		if err != nil || len(subs) != 1 || subs[0].Status != collect.Draft || subs[0].Values != 1 {
			t.Fatalf("submissions: %+v, %v", subs, err)
		}
		if others, err := db.Submissions(ctx, focalFRA, round.ID); err != nil || len(others) != 0 {
			t.Errorf("France sees %d of Kenya's submissions (%v)", len(others), err)
		}
		id := subs[0].ID
		if _, err := db.MoveSubmission(ctx, focalFRA, id, collect.Submitted); !fail.Is(err, fail.NotFound) {
			t.Errorf("France's focal point reached Kenya's submission: %v", err)
		}
		if _, err := db.MoveSubmission(ctx, secretariat, id, collect.Validated); !fail.Is(err, fail.Conflict) {
			t.Errorf("a draft was validated: %v", err)
		}
		move := func(by access.Actor, to collect.Status) {
			t.Helper()
			s, err := db.MoveSubmission(ctx, by, id, to)
			if err != nil || s.Status != to {
				t.Fatalf("%s → %s: %+v, %v", by.Role, to, s, err)
			}
		}
		move(focalKEN, collect.Submitted)

		// The secretariat queries the value; the thread goes back and forth.
		if _, err := db.RaiseQuery(ctx, focalKEN, id, draft[0].Key, draft[0].Period, "Why?"); !fail.Is(err, fail.Forbidden) {
			t.Errorf("a focal point raised a query: %v", err)
		}
		if _, err := db.RaiseQuery(ctx, secretariat, id, draft[1].Key, draft[1].Period, "Burglary?"); !fail.Is(err, fail.Invalid) {
			t.Errorf("a query on a value the table does not hold: %v", err)
		}
		q, err := db.RaiseQuery(ctx, secretariat, id, draft[0].Key, draft[0].Period, "Serious assault doubled since 2022: please confirm.")
		if err != nil || q.Status != collect.QueryOpen || len(q.Messages) != 1 {
			t.Fatalf("raise: %+v, %v", q, err)
		}
		if subs, _ := db.Submissions(ctx, focalKEN, round.ID); subs[0].Status != collect.Queried || subs[0].OpenQueries != 1 {
			t.Errorf("after the query: %+v", subs[0])
		}
		if _, err := db.ReplyQuery(ctx, focalFRA, q.ID, "not ours", false); !fail.Is(err, fail.NotFound) {
			t.Errorf("France answered Kenya's query: %v", err)
		}
		if _, err := db.ReplyQuery(ctx, expertKEN, q.ID, "I think so", false); !fail.Is(err, fail.Forbidden) {
			t.Errorf("an expert answered for the focal point: %v", err)
		}
		if _, err := db.ReplyQuery(ctx, focalKEN, q.ID, "", true); !fail.Is(err, fail.Forbidden) {
			t.Errorf("the focal point closed the query: %v", err)
		}
		if q, err = db.ReplyQuery(ctx, focalKEN, q.ID, "Confirmed: a new recording system since 2023.", false); err != nil || q.Status != collect.QueryAnswered {
			t.Fatalf("answer: %+v, %v", q, err)
		}
		move(focalKEN, collect.Submitted)
		if q, err = db.ReplyQuery(ctx, secretariat, q.ID, "", true); err != nil || q.Status != collect.QueryClosed {
			t.Fatalf("close: %+v, %v", q, err)
		}
		qs, err := db.Queries(ctx, expertKEN, id)
		if err != nil || len(qs) != 1 || len(qs[0].Messages) != 2 || qs[0].Messages[1].Party != collect.State || qs[0].Key != draft[0].Key {
			t.Errorf("thread: %+v, %v", qs, err)
		}
		if _, err := db.Queries(ctx, focalFRA, id); !fail.Is(err, fail.NotFound) {
			t.Errorf("France read Kenya's queries: %v", err)
		}
		move(secretariat, collect.Validated)
		if _, err := db.MoveSubmission(ctx, focalKEN, id, collect.Submitted); !fail.Is(err, fail.Conflict) {
			t.Errorf("a validated table went back to submitted: %v", err)
		}

		// Until published, the value is not in the public statistics.
		key := draft[0].Key
		period := draft[0].Period
		public := func() *float64 {
			t.Helper()
			var got *float64
			q := stats.Query{Flow: "OFFENCES", Start: period, End: period}
			for i, c := range key {
				q.Key[i] = []string{c}
			}
			if err := db.Observations(ctx, q, func(o stats.Observation) error { got = o.Value; return nil }); err != nil {
				t.Fatal(err)
			}
			return got
		}
		before := public()
		if before != nil && *before == 4321 {
			t.Fatalf("the shipped data has the test's figure already")
		}
		beforePublication := time.Now().UTC()
		time.Sleep(10 * time.Millisecond)

		if _, err := db.Publish(ctx, focalKEN, []int64{id}); !fail.Is(err, fail.Forbidden) {
			t.Errorf("a focal point published: %v", err)
		}
		reps, err := db.Publish(ctx, secretariat, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		if r := reps["OFFENCES"]; r.Added+r.Revised != 1 {
			t.Errorf("publication report %+v, want one value in", r)
		}
		if v := public(); v == nil || *v != 4321 {
			t.Errorf("published value %v, want 4321", v)
		}
		// The value as it was before publication is still there.
		var asOf *float64
		sq := stats.Query{Flow: "OFFENCES", Start: period, End: period, AsOf: beforePublication}
		for i, c := range key {
			sq.Key[i] = []string{c}
		}
		if err := db.Observations(ctx, sq, func(o stats.Observation) error { asOf = o.Value; return nil }); err != nil {
			t.Fatal(err)
		}
		if (asOf == nil) != (before == nil) || (asOf != nil && *asOf != *before) {
			t.Errorf("as of before publication: %v, want %v", asOf, before)
		}
		if _, err := db.Publish(ctx, secretariat, []int64{id}); !fail.Is(err, fail.Conflict) {
			t.Errorf("published twice: %v", err)
		}

		// A closed round takes nothing more.
		if _, err := db.CloseRound(ctx, secretariat, round.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveDraft(ctx, focalKEN, round.ID, scope, draft); !fail.Is(err, fail.Conflict) {
			t.Errorf("saved to a closed round: %v", err)
		}
		if _, problem, err := db.VerifyAudit(ctx); err != nil || problem != nil {
			t.Errorf("audit: %v, %v", problem, err)
		}
	})
}

// victimsTable is a table of the shipped VICTIMS dataflow: victims of
// serious assault recorded by the police, by sex.
var victimsTable = collect.Table{
	ID: "VICTIMS_ASSAULT", Title: "Victims of serious assault", Flow: "VICTIMS",
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "VIC", "ICCS": "020111", "AGE": "_T", "RELATIONSHIP": "_T", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows:  collect.Axis{Dim: "SEX", Codes: []string{"F", "M"}, Labels: []string{"Female", "Male"}},
}

// TestSaveDrafts saves a file's dataflows in one transaction: a scope
// refused leaves the others unsaved too, as does a validated table one
// of them would change.
func TestSaveDrafts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		today := time.Now().UTC()
		round, err := db.OpenRound(ctx, secretariat, collect.Round{Name: "UN-CTS 2023 (drafts)", Year: 2023, OpensOn: dateOf(today.AddDate(0, 0, -1)),
			DueOn: dateOf(today.AddDate(0, 1, 0)), Tables: []collect.Table{policeTable, victimsTable}})
		if err != nil {
			t.Fatal(err)
		}
		offences := collect.Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}
		victims := collect.Scope{Flow: "VICTIMS", State: "KEN", Year: 2023}
		victim := func(state, sex string, v float64) collect.Value {
			t.Helper()
			k, err := victimsTable.Key(state, collect.Cell{Row: sex})
			if err != nil {
				t.Fatal(err)
			}
			return collect.Value{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &v, Status: stats.StatusNormal}
		}
		count := func(sc collect.Scope) int {
			t.Helper()
			vals, err := db.Draft(ctx, secretariat, round.ID, sc)
			if err != nil {
				t.Fatal(err)
			}
			return len(vals)
		}

		// France's figure among Kenya's victims: the offences, saved
		// first, are not kept either.
		bad := map[collect.Scope][]collect.Value{offences: {kenValue(t, "0501", 2023, 987)}, victims: {victim("FRA", "F", 10)}}
		if _, err := db.SaveDrafts(ctx, focalKEN, round.ID, bad); !fail.Is(err, fail.Invalid) {
			t.Fatalf("a value of another State: %v", err)
		}
		if n := count(offences); n != 0 {
			t.Errorf("a refused save kept %d offences", n)
		}
		if subs, err := db.Submissions(ctx, secretariat, round.ID); err != nil || len(subs) != 0 {
			t.Errorf("a refused save left submissions %+v (%v)", subs, err)
		}

		good := map[collect.Scope][]collect.Value{offences: {kenValue(t, "0501", 2023, 987)}, victims: {victim("KEN", "F", 10), victim("KEN", "M", 30)}}
		if _, err := db.SaveDrafts(ctx, focalFRA, round.ID, good); !fail.Is(err, fail.Forbidden) {
			t.Errorf("France's focal point saved Kenya's drafts: %v", err)
		}
		saved, err := db.SaveDrafts(ctx, focalKEN, round.ID, good)
		if err != nil || saved[offences].Values != 1 || saved[victims].Tables["VICTIMS_ASSAULT"] != 2 {
			t.Fatalf("save: %+v, %v", saved, err)
		}
		for _, sc := range []collect.Scope{offences, victims} {
			recs, err := db.AuditRecords(ctx, secretariat, audit.Filter{Entity: "collect_draft", EntityID: fmt.Sprintf("%d/KEN/%s", round.ID, sc.Flow)})
			if err != nil || len(recs) != 1 {
				t.Errorf("audit of the draft of %s: %d records, %v", sc.Flow, len(recs), err)
			}
		}

		// The offences validated, a file changing them and the victims
		// changes neither.
		subs, err := db.Submissions(ctx, secretariat, round.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			if s.Table != policeTable.ID {
				continue
			}
			if _, err := db.MoveSubmission(ctx, focalKEN, s.ID, collect.Submitted); err != nil {
				t.Fatal(err)
			}
			if _, err := db.MoveSubmission(ctx, secretariat, s.ID, collect.Validated); err != nil {
				t.Fatal(err)
			}
		}
		changed := map[collect.Scope][]collect.Value{offences: {kenValue(t, "0501", 2023, 990)}, victims: {victim("KEN", "F", 11)}}
		_, err = db.SaveDrafts(ctx, focalKEN, round.ID, changed)
		if !fail.Is(err, fail.Conflict) || !strings.Contains(err.Error(), policeTable.Title) {
			t.Errorf("changing a validated table: %v, want a conflict naming %q", err, policeTable.Title)
		}
		if n := count(victims); n != 2 {
			t.Errorf("the refused save left %d victims' values, want the 2 saved before", n)
		}
	})
}
