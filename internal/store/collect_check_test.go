package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// TestFileChecks keeps the check of an uploaded file: its uploader and
// the secretariat see it, no one else; a job gets its file once, as its
// uploader; the file goes when the check is finished; a check expires
// after a day.
func TestFileChecks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		db.SetClock(func() time.Time { return now })
		mk := func(email string, role access.Role, state string) access.Actor {
			t.Helper()
			u, err := db.CreateUser(ctx, access.System("test"), account.User{Email: email, Name: email, Role: role, State: state}, "not a hash")
			if err != nil {
				t.Fatal(err)
			}
			return u.Actor()
		}
		fp, fp2, ex, fra, sec := mk("fp@ken.test", access.FocalPoint, "KEN"), mk("fp2@ken.test", access.FocalPoint, "KEN"),
			mk("ex@ken.test", access.Expert, "KEN"), mk("fp@fra.test", access.FocalPoint, "FRA"), mk("sec@unodc.test", access.Secretariat, "")
		round, err := db.OpenRound(ctx, secretariat, collect.Round{Name: "UN-CTS 2023 (checks)", Year: 2023, OpensOn: dateOf(now.AddDate(0, 0, -1)),
			DueOn: dateOf(now.AddDate(0, 1, 0)), Tables: []collect.Table{policeTable}})
		if err != nil {
			t.Fatal(err)
		}
		file := []byte("DATAFLOW,REF_AREA\nOFFENCES,KEN\n")
		c := collect.FileCheck{Round: round.ID, State: "KEN", StateName: "Kenya", Name: "ken.csv", Kind: collect.CSVFile, Flow: "OFFENCES",
			Size: int64(len(file)), Status: collect.CheckWaiting}
		if _, err := db.CreateCheck(ctx, fra, c, file); !fail.Is(err, fail.Forbidden) {
			t.Errorf("France's focal point made a check of Kenya's file: %v", err)
		}
		if _, err := db.CreateCheck(ctx, ex, c, file); !fail.Is(err, fail.Forbidden) {
			t.Errorf("Kenya's expert made a check: %v", err)
		}
		c, err = db.CreateCheck(ctx, fp, c, file)
		if err != nil || c.ID == 0 || c.Owner != fp.UserID || c.ExpiresAt.Sub(c.CreatedAt) != collect.CheckTTL {
			t.Fatalf("create: %+v, %v", c, err)
		}
		for _, by := range []access.Actor{fp2, ex, fra} {
			if _, err := db.Check(ctx, by, c.ID); !fail.Is(err, fail.NotFound) {
				t.Errorf("%s sees the check of another: %v", by.Email, err)
			}
		}
		if _, err := db.Check(ctx, access.Anonymous, c.ID); !fail.Is(err, fail.Unauthorized) {
			t.Errorf("the public: %v", err)
		}
		for _, by := range []access.Actor{fp, sec} {
			if got, err := db.Check(ctx, by, c.ID); err != nil || got.Name != "ken.csv" || got.Status != collect.CheckWaiting {
				t.Errorf("%s: %+v, %v", by.Email, got, err)
			}
		}

		// The job takes the file, as the uploader.
		got, by, content, ok, err := db.StartCheck(ctx, c.ID)
		if err != nil || !ok || by.UserID != fp.UserID || by.State != "KEN" || !bytes.Equal(content, file) || got.Status != collect.CheckRunning {
			t.Fatalf("start: %+v as %+v, %q, %v, %v", got, by, content, ok, err)
		}
		if err := db.CheckProgress(ctx, c.ID, 10); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Check(ctx, fp, c.ID); got.Read != 10 || got.Status != collect.CheckRunning {
			t.Errorf("progress: %+v", got)
		}
		// Set back to wait for another attempt, it keeps its file.
		got.Status = collect.CheckWaiting
		if err := db.FinishCheck(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, _, content, ok, err := db.StartCheck(ctx, c.ID); err != nil || !ok || !bytes.Equal(content, file) {
			t.Fatalf("start again: %q, %v, %v", content, ok, err)
		}
		got.Status, got.Problems = collect.CheckRefused, []collect.FileProblem{{Row: 2, Column: "REF_AREA", Reason: "test"}}
		if err := db.FinishCheck(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Check(ctx, fp, c.ID); got.Status != collect.CheckRefused || len(got.Problems) != 1 || got.Problems[0].Column != "REF_AREA" {
			t.Errorf("finished: %+v", got)
		}
		// Finished, the check holds its file no more.
		if _, _, _, ok, err := db.StartCheck(ctx, c.ID); ok || err != nil {
			t.Errorf("a finished check started again: %v, %v", ok, err)
		}

		// A check read is saved once, by its uploader.
		r := collect.FileCheck{Round: round.ID, State: "KEN", StateName: "Kenya", Name: "ken.xlsx", Kind: collect.WorkbookFile, Size: 10, Status: collect.CheckRead,
			Values: map[collect.Scope][]collect.Value{{Flow: "OFFENCES", State: "KEN", Year: 2023}: {kenValue(t, "0501", 2023, 987)}}}
		if r, err = db.CreateCheck(ctx, fp, r, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Check(ctx, fp, r.ID); err != nil || len(got.Values[collect.Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}]) != 1 {
			t.Fatalf("values kept: %+v, %v", got.Values, err)
		}
		if _, err := db.CheckSaved(ctx, sec, r.ID); !fail.Is(err, fail.Forbidden) {
			t.Errorf("the secretariat marked a State's check saved: %v", err)
		}
		if got, err := db.CheckSaved(ctx, fp, r.ID); err != nil || got.Status != collect.CheckSaved || got.SavedAt == nil || len(got.Values) != 0 {
			t.Errorf("saved: %+v, %v", got, err)
		}

		// The trail has each check's upload, what the job found and the
		// save, by whom.
		for id, want := range map[int64][]string{c.ID: {"upload", "check", "check"}, r.ID: {"upload", "save"}} {
			recs, err := db.AuditRecords(ctx, sec, audit.Filter{Entity: "collect_check", EntityID: fmt.Sprint(id)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rec := range recs {
				got = append([]string{rec.Action}, got...) // newest first
				if rec.Action == "save" && rec.Actor != fp.Email {
					t.Errorf("saved by %q, want %q", rec.Actor, fp.Email)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("check %d: trail %v, want %v", id, got, want)
			}
		}

		// A day later the checks are gone, and the next upload removes
		// them.
		now = now.Add(collect.CheckTTL + time.Minute)
		if _, err := db.Check(ctx, fp, c.ID); !fail.Is(err, fail.NotFound) {
			t.Errorf("an expired check: %v", err)
		}
		if _, err := db.CreateCheck(ctx, fp, r, nil); err != nil {
			t.Fatal(err)
		}
		// As if the clock went back: a check removed stays gone (SQLite
		// may give its id to the new one).
		now = now.Add(-collect.CheckTTL)
		if got, err := db.Check(ctx, fp, c.ID); err == nil && got.Name == c.Name {
			t.Errorf("the expired check was not removed: %+v", got)
		}
	})
}
