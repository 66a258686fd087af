package collect_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// notice is one notification the service sent.
type notice struct {
	user          int64
	subject, body string
}

type notes struct{ sent []notice }

func (n *notes) Notify(_ context.Context, user int64, subject, body, _ string) error {
	n.sent = append(n.sent, notice{user, subject, body})
	return nil
}

func (n *notes) take() []notice {
	out := n.sent
	n.sent = nil
	return out
}

// TestServiceNotices checks who hears of what: the State's focal points of
// a query, the asker of the answer, and the States that have not sent
// their tables of the due date, once each.
func TestServiceNotices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		admin := access.System("test")
		mk := func(email string, role access.Role, state string) access.Actor {
			t.Helper()
			u, err := db.CreateUser(ctx, admin, account.User{Email: email, Name: email, Role: role, State: state}, "not a hash")
			if err != nil {
				t.Fatal(err)
			}
			return u.Actor()
		}
		sec := mk("sec@unodc.test", access.Secretariat, "")
		fp1 := mk("fp1@ken.test", access.FocalPoint, "KEN")
		fp2 := mk("fp2@ken.test", access.FocalPoint, "KEN")
		fpFRA := mk("fp@fra.test", access.FocalPoint, "FRA")

		now := time.Now().UTC()
		var n notes
		svc := &collect.Service{Store: db, Notes: &n, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }, Prefix: "/collection"}

		table := collect.Table{ID: "POLICE", Title: "Offences recorded by the police", Flow: "OFFENCES",
			Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
			Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"0501"}, Labels: []string{"Burglary"}}}
		round, err := db.OpenRound(ctx, sec, collect.Round{Name: "UN-CTS 2023 (test)", Year: 2023,
			OpensOn: civil.Of(now).AddDays(-30), DueOn: civil.Of(now).AddDays(10), Tables: []collect.Table{table}})
		if err != nil {
			t.Fatal(err)
		}

		// Ten days before the due date, both States owe their table.
		if err := svc.Remind(ctx, job.Job{}); err != nil {
			t.Fatal(err)
		}
		got := n.take()
		var to []int64
		for _, x := range got {
			to = append(to, x.user)
			if !strings.Contains(x.subject, "due on") {
				t.Errorf("reminder %q", x.subject)
			}
		}
		slices.Sort(to)
		if want := []int64{fp1.UserID, fp2.UserID, fpFRA.UserID}; !slices.Equal(to, want) {
			t.Fatalf("reminded %v, want %v", to, want)
		}
		if err := svc.Remind(ctx, job.Job{}); err != nil || len(n.take()) != 0 {
			t.Errorf("a reminder went twice (%v)", err)
		}

		// Kenya sends its table; France does not; after the due date only
		// France hears again.
		k, _ := table.Key("KEN", collect.Cell{Row: "0501"})
		v := 1200.0
		period := stats.Period{Year: 2023, Kind: 'A'}
		if _, err := db.SaveDraft(ctx, fp1, round.ID, collect.Scope{Flow: "OFFENCES", State: "KEN", Year: 2023},
			[]collect.Value{{Key: k, Period: period, Value: &v, Status: stats.StatusNormal}}); err != nil {
			t.Fatal(err)
		}
		subs, err := db.Submissions(ctx, fp1, round.ID)
		if err != nil || len(subs) != 1 {
			t.Fatal(subs, err)
		}
		if _, err := db.MoveSubmission(ctx, fp1, subs[0].ID, collect.Submitted); err != nil {
			t.Fatal(err)
		}
		now = now.AddDate(0, 0, 11)
		if err := svc.Remind(ctx, job.Job{}); err != nil {
			t.Fatal(err)
		}
		if got := n.take(); len(got) != 1 || got[0].user != fpFRA.UserID || !strings.Contains(got[0].subject, "were due") {
			t.Errorf("overdue reminders %+v, want one to France's focal point", got)
		}

		// A query goes to both of Kenya's focal points; the answer to the
		// secretariat member who asked; a follow-up to the focal points.
		q, err := svc.RaiseQuery(ctx, sec, subs[0].ID, k, period, "Burglary rose by half: please confirm.")
		if err != nil {
			t.Fatal(err)
		}
		got = n.take()
		if len(got) != 2 || got[0].user != fp1.UserID || got[1].user != fp2.UserID || !strings.Contains(got[0].body, "Burglary rose by half") {
			t.Errorf("query notices %+v", got)
		}
		// The notice names the value as the focal point reads the table,
		// not by its codes.
		const asked = "UNODC asks about your 2023 figure for Burglary in “Offences recorded by the police”:\n\nBurglary rose by half: please confirm."
		if len(got) > 0 && got[0].body != asked {
			t.Errorf("the query's notice says %q, want %q", got[0].body, asked)
		}
		// A queried table was sent: Kenya owes an answer, not the table,
		// and is not reminded of the due date.
		if err := svc.Remind(ctx, job.Job{}); err != nil {
			t.Fatal(err)
		}
		if got := n.take(); len(got) != 0 {
			t.Errorf("reminders of a queried table %+v", got)
		}
		if _, err := svc.ReplyQuery(ctx, fp2, q.ID, "Confirmed.", false); err != nil {
			t.Fatal(err)
		}
		if got := n.take(); len(got) != 1 || got[0].user != sec.UserID || !strings.Contains(got[0].subject, "KEN answered") ||
			got[0].body != "On KEN's 2023 figure for Burglary in “Offences recorded by the police”:\n\nConfirmed." {
			t.Errorf("answer notices %+v", got)
		}
		if _, err := svc.ReplyQuery(ctx, sec, q.ID, "Thank you; and 2022?", false); err != nil {
			t.Fatal(err)
		}
		if got := n.take(); len(got) != 2 || got[0].body != "On your 2023 figure for Burglary in “Offences recorded by the police”:\n\nThank you; and 2022?" {
			t.Errorf("follow-up notices %+v", got)
		}
		if _, err := svc.ReplyQuery(ctx, sec, q.ID, "", true); err != nil || len(n.take()) != 0 {
			t.Errorf("closing without a message sent a notice (%v)", err)
		}
	})
}

// TestServiceSaveAndSubmit runs Kenya's figures through the shipped rules:
// an error stops the save, a warning lets it through but stops the
// submission until a comment explains it.
func TestServiceSaveAndSubmit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		admin := access.System("test")
		u, err := db.CreateUser(ctx, admin, account.User{Email: "fp@ken.test", Name: "Focal point", Role: access.FocalPoint, State: "KEN"}, "not a hash")
		if err != nil {
			t.Fatal(err)
		}
		fp := u.Actor()
		now := time.Now().UTC()
		var n notes
		svc := &collect.Service{Store: db, Stats: db, Notes: &n, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}

		table := collect.Table{ID: "POLICE", Title: "Offences recorded by the police", Flow: "OFFENCES",
			Fixed: map[string]string{"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
			Rows:  collect.Axis{Dim: "ICCS", Codes: []string{"020111", "0501"}, Labels: []string{"Serious assault", "Burglary"}}}
		round, err := db.OpenRound(ctx, admin, collect.Round{Name: "UN-CTS 2023 (test)", Year: 2023,
			OpensOn: civil.Of(now).AddDays(-1), DueOn: civil.Of(now).AddDays(30), Tables: []collect.Table{table}})
		if err != nil {
			t.Fatal(err)
		}
		value := func(iccs string, v float64, comment string) collect.Value {
			k, _ := table.Key("KEN", collect.Cell{Row: iccs})
			return collect.Value{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: &v, Status: stats.StatusNormal, Comment: comment, Origin: "form " + iccs}
		}
		sc := collect.Scope{Flow: "OFFENCES", State: "KEN"}

		// A negative count is an error: nothing is saved. Kenya's police
		// recorded 22,573 serious assaults in 2022 (shipped data): 50,000
		// is a change beyond 50 %, a warning.
		p, err := svc.Save(ctx, fp, round.ID, sc, []collect.Value{value("020111", 50000, ""), value("0501", -5, "")}, false)
		if err != nil {
			t.Fatal(err)
		}
		if p.Saved != nil || p.Errors() != 1 || len(p.Changes.Added) != 2 {
			t.Fatalf("with an error: saved %v, %d errors, %+v", p.Saved, p.Errors(), p.Findings)
		}
		if d, _ := db.Draft(ctx, fp, round.ID, sc); len(d) != 0 {
			t.Fatalf("a refused save stored %d values", len(d))
		}
		// A dry run of the corrected figures stores nothing either.
		good := []collect.Value{value("020111", 50000, ""), value("0501", 1600, "")}
		if p, err = svc.Save(ctx, fp, round.ID, sc, good, true); err != nil || p.Saved != nil || p.Errors() != 0 {
			t.Fatalf("dry run: %+v, %v", p, err)
		}
		if p, err = svc.Save(ctx, fp, round.ID, sc, good, false); err != nil || p.Saved == nil || p.Saved.Values != 2 {
			t.Fatalf("save: %+v, %v", p, err)
		}
		var warned bool
		for _, f := range p.Findings {
			if f.Severity == collect.Warning && f.Origin == "form 020111" && !f.Explained && strings.Contains(f.Message, "22,573") {
				warned = true
			}
		}
		if !warned {
			t.Errorf("no unexplained warning on the jump from 22,573: %+v", p.Findings)
		}
		subs, err := db.Submissions(ctx, fp, round.ID)
		if err != nil || len(subs) != 1 {
			t.Fatal(subs, err)
		}
		if _, findings, err := svc.Submit(ctx, fp, subs[0].ID); !fail.Is(err, fail.Conflict) || len(findings) == 0 {
			t.Fatalf("submitted with an unexplained warning: %v", err)
		}
		// Who cannot send the table is told so, not what stops it.
		ex, err := db.CreateUser(ctx, admin, account.User{Email: "ex@ken.test", Name: "Expert", Role: access.Expert, State: "KEN"}, "not a hash")
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range []access.Actor{ex.Actor(), admin} {
			if _, findings, err := svc.Submit(ctx, by, subs[0].ID); !fail.Is(err, fail.Forbidden) || findings != nil {
				t.Errorf("%s submitted: %d findings, %v; want forbidden", by.Role, len(findings), err)
			}
		}
		// Explained, it goes.
		good[0].Comment = "A new recording system counts every victim."
		if p, err = svc.Save(ctx, fp, round.ID, sc, good, false); err != nil || len(p.Changes.Changed) != 1 {
			t.Fatalf("save with the comment: %+v, %v", p.Changes, err)
		}
		sub, _, err := svc.Submit(ctx, fp, subs[0].ID)
		if err != nil || sub.Status != collect.Submitted {
			t.Fatalf("submit: %+v, %v", sub, err)
		}
	})
}
