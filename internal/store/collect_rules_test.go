package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// definition is a rule without who made and changed it, and when.
func definition(r collect.Rule) collect.Rule {
	r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy = time.Time{}, "", time.Time{}, ""
	return r
}

// TestRulesSeeded: migrating loads the shipped rules, ids and all, once.
func TestRulesSeeded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lists, err := db.Codelists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		flows, err := db.Dataflows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, shipped, err := collect.Shipped(data.FS, stats.NewStructure(lists, flows))
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Rules(ctx, secretariat)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(shipped) || len(got) == 0 {
			t.Fatalf("%d rules in the database, %d shipped", len(got), len(shipped))
		}
		for i := range got {
			if !reflect.DeepEqual(definition(got[i]), shipped[i]) {
				t.Errorf("rule %d\n got %+v\nwant %+v", shipped[i].ID, definition(got[i]), shipped[i])
			}
			if got[i].CreatedBy != "cpcj migrate" || got[i].CreatedAt.IsZero() || !got[i].UpdatedAt.Equal(got[i].CreatedAt) {
				t.Errorf("rule %d made by %q at %v, changed at %v", got[i].ID, got[i].CreatedBy, got[i].CreatedAt, got[i].UpdatedAt)
			}
		}
		// Migrating again loads nothing again.
		if applied, err := db.Migrate(ctx); err != nil || len(applied) != 0 {
			t.Fatalf("second migration: %v, %v", applied, err)
		}
		if again, _ := db.Rules(ctx, secretariat); len(again) != len(shipped) {
			t.Errorf("%d rules after migrating again", len(again))
		}
		loads := 0
		for _, r := range wholeTrail(t, db) {
			if r.Entity == "collect_rule" && r.Action == "load" {
				loads++
			}
		}
		if loads != 1 {
			t.Errorf("%d audit records of loading the rules, want 1", loads)
		}
	})
}

// TestRulesScope: everyone taking part in the collection reads the rules;
// only the secretariat and admins change them.
func TestRulesScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, by := range []access.Actor{secretariat, focalKEN, expertKEN, {Role: access.Admin, Email: "admin@unodc.test"}} {
			if rules, err := db.Rules(ctx, by); err != nil || len(rules) == 0 {
				t.Errorf("%s reads %d rules: %v", by.Role, len(rules), err)
			}
			if r, err := db.Rule(ctx, by, 1); err != nil || r.ID != 1 {
				t.Errorf("%s reads rule 1: %+v, %v", by.Role, r, err)
			}
			if tables, err := db.RuleTables(ctx, by); err != nil || len(tables) == 0 {
				t.Errorf("%s reads %d tables the rules may name: %v", by.Role, len(tables), err)
			}
		}
		donor := access.Actor{Email: "donor@nor.test", Role: access.Donor, Contributor: "NOR"}
		for by, want := range map[*access.Actor]fail.Kind{&access.Anonymous: fail.Unauthorized, &donor: fail.Forbidden} {
			if _, err := db.Rules(ctx, *by); !fail.Is(err, want) {
				t.Errorf("%s reads the rules: %v, want %s", by.Role, err, want)
			}
			if _, err := db.Rule(ctx, *by, 1); !fail.Is(err, want) {
				t.Errorf("%s reads rule 1: %v, want %s", by.Role, err, want)
			}
			if _, err := db.RuleTables(ctx, *by); !fail.Is(err, want) {
				t.Errorf("%s reads the rounds' tables: %v, want %s", by.Role, err, want)
			}
		}
		rule := collect.Rule{Name: "Persons are whole numbers", Kind: collect.Count, Severity: collect.Error, Enabled: true, Params: collect.Params{Unit: "PS"}}
		one, err := db.Rule(ctx, secretariat, 1)
		if err != nil {
			t.Fatal(err)
		}
		one.Enabled = false
		for _, by := range []access.Actor{focalKEN, expertKEN, donor, access.Anonymous} {
			if _, err := db.CreateRule(ctx, by, rule); err == nil {
				t.Errorf("%s added a rule", by.Role)
			}
			if _, err := db.UpdateRule(ctx, by, one); err == nil {
				t.Errorf("%s disabled a rule", by.Role)
			}
		}
		if got, _ := db.Rule(ctx, secretariat, 1); !got.Enabled {
			t.Error("a refused change was stored")
		}
		if _, err := db.Rule(ctx, focalKEN, 999); !fail.Is(err, fail.NotFound) {
			t.Errorf("rule 999: %v", err)
		}
	})
}

// TestRulesWrite adds, changes and disables rules; each change is checked
// as a rules file is, audited, and never deletes a rule.
func TestRulesWrite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before, err := db.Rules(ctx, secretariat)
		if err != nil {
			t.Fatal(err)
		}
		last := before[len(before)-1].ID

		// Refused rules name the field at fault and store nothing.
		good := collect.Rule{Name: "  Adults + juveniles ≤ total (victims)  ", Kind: collect.Sum, Severity: collect.Warning, Flow: "VICTIMS", Enabled: true,
			Params: collect.Params{Dim: "AGE", Parts: []string{"Y_GE18", "Y_LT18"}, Total: "_T", OfWhich: true, Unit: "NB"}, Note: " Victims by age. "}
		for _, c := range []struct {
			name  string
			edit  func(r *collect.Rule)
			field string
		}{
			{"no name", func(r *collect.Rule) { r.Name = " " }, "name"},
			{"name taken", func(r *collect.Rule) { r.Name = before[0].Name }, "name"},
			{"long name", func(r *collect.Rule) { r.Name = strings.Repeat("x", 201) }, "name"},
			{"kind", func(r *collect.Rule) { r.Kind = "total" }, "kind"},
			{"severity", func(r *collect.Rule) { r.Severity = "fatal" }, "severity"},
			{"flow", func(r *collect.Rule) { r.Flow = "PRISONS" }, "flow"},
			{"part code", func(r *collect.Rule) { r.Params.Parts = []string{"Y_GE18", "ADULT"} }, "parts"},
			{"not read", func(r *collect.Rule) { r.Params.Threshold = 0.5 }, "threshold"},
			{"negative", func(r *collect.Rule) { r.Params.Tolerance = -1 }, "tolerance"},
			{"unit", func(r *collect.Rule) { r.Params.Unit = "EUR" }, "unit"},
			{"table", func(r *collect.Rule) {
				*r = collect.Rule{Name: "x", Kind: collect.Complete, Severity: collect.Warning, Params: collect.Params{Table: "PRISONS"}}
			}, "table"},
		} {
			r := good
			c.edit(&r)
			_, err := db.CreateRule(ctx, secretariat, r)
			if fe := fail.As(err); fe == nil || fe.Kind != fail.Invalid || fe.Field != c.field {
				t.Errorf("%s: %v, want an error on the field %s", c.name, err, c.field)
			}
		}
		if n, _ := db.Rules(ctx, secretariat); len(n) != len(before) {
			t.Fatalf("refused rules stored: %d rules, %d before", len(n), len(before))
		}

		sec := secretariat
		sec.Email = "sam@unodc.test"
		added, err := db.CreateRule(ctx, sec, good)
		if err != nil {
			t.Fatal(err)
		}
		// PostgreSQL may skip ids (a refused insert takes one); none is
		// ever reused.
		if added.ID <= last || added.Name != "Adults + juveniles ≤ total (victims)" || added.Note != "Victims by age." || added.CreatedBy != "sam@unodc.test" {
			t.Errorf("added %+v; want an id after %d, texts trimmed", added, last)
		}
		read, err := db.Rule(ctx, focalKEN, added.ID)
		if err != nil || !reflect.DeepEqual(read, added) {
			t.Errorf("read back\n%+v, %v\nwant\n%+v", read, err, added)
		}
		rec := lastRecord(t, db)
		if rec.Action != "create" || rec.Entity != "collect_rule" || rec.EntityID != fmt.Sprint(read.ID) || rec.Actor != "sam@unodc.test" {
			t.Errorf("audit record %+v", rec)
		}

		// A completeness rule may name a table of a round, not only a
		// shipped one.
		if _, err := db.OpenRound(ctx, secretariat, collect.Round{Name: "Test round", Year: 2023, OpensOn: dateOf(time.Now()), DueOn: dateOf(time.Now().AddDate(0, 1, 0)),
			Tables: []collect.Table{policeTable, {ID: "BURGLARY_ONLY", Title: "Burglary", Flow: "OFFENCES", Fixed: policeTable.Fixed,
				Rows: collect.Axis{Dim: "ICCS", Codes: []string{"0501"}, Labels: []string{"Burglary"}}, Required: []collect.Cell{{}}}}}); err != nil {
			t.Fatal(err)
		}
		complete := collect.Rule{Name: "Burglary given", Kind: collect.Complete, Severity: collect.Warning, Flow: "OFFENCES", Enabled: true, Params: collect.Params{Table: "BURGLARY_ONLY"}}
		if _, err := db.CreateRule(ctx, secretariat, complete); err != nil {
			t.Errorf("a rule on a round's table: %v", err)
		}

		// Stricter: the threshold of the year-on-year rule goes down.
		outlier := before[9]
		if outlier.Kind != collect.Outlier || outlier.Params.Threshold != 0.5 {
			t.Fatalf("rule 10 is %+v", outlier)
		}
		outlier.Params.Threshold = 0.2
		changed, err := db.UpdateRule(ctx, sec, outlier)
		if err != nil {
			t.Fatal(err)
		}
		if changed.Params.Threshold != 0.2 || changed.UpdatedBy != "sam@unodc.test" || changed.UpdatedAt.Before(outlier.CreatedAt) ||
			!changed.CreatedAt.Equal(outlier.CreatedAt) || changed.CreatedBy != "cpcj migrate" {
			t.Errorf("changed %+v", changed)
		}
		if rec := lastRecord(t, db); rec.Action != "update" || rec.EntityID != fmt.Sprint(changed.ID) || rec.Before == rec.After {
			t.Errorf("audit record of the change %+v", rec)
		}
		// Saving it unchanged writes nothing.
		n := len(wholeTrail(t, db))
		if _, err := db.UpdateRule(ctx, sec, changed); err != nil || len(wholeTrail(t, db)) != n {
			t.Errorf("an unchanged rule was recorded again (%v)", err)
		}
		// A rule keeps its kind.
		other := changed
		other.Kind = collect.Count
		if _, err := db.UpdateRule(ctx, sec, other); fail.As(err) == nil || fail.As(err).Field != "kind" {
			t.Errorf("kind changed: %v", err)
		}
		// Checked like a new one.
		other = changed
		other.Params.ZScore, other.Params.Threshold = 0, 0
		if _, err := db.UpdateRule(ctx, sec, other); fail.As(err) == nil || fail.As(err).Field != "threshold" {
			t.Errorf("an outlier rule without a limit: %v", err)
		}
		other = changed
		other.Name = before[0].Name
		if _, err := db.UpdateRule(ctx, sec, other); fail.As(err) == nil || fail.As(err).Field != "name" {
			t.Errorf("a name taken: %v", err)
		}
		other.ID = 999
		if _, err := db.UpdateRule(ctx, sec, other); !fail.Is(err, fail.NotFound) {
			t.Errorf("rule 999: %v", err)
		}

		// Disabled, it stays, and the trail says so.
		changed.Enabled = false
		if _, err := db.UpdateRule(ctx, sec, changed); err != nil {
			t.Fatal(err)
		}
		if rec := lastRecord(t, db); rec.Action != "disable" || rec.EntityID != fmt.Sprint(changed.ID) {
			t.Errorf("audit record of disabling %+v", rec)
		}
		got, err := db.Rule(ctx, expertKEN, changed.ID)
		if err != nil || got.Enabled || got.Params.Threshold != 0.2 {
			t.Errorf("disabled rule reads %+v, %v", got, err)
		}
		changed.Enabled = true
		if _, err := db.UpdateRule(ctx, sec, changed); err != nil {
			t.Fatal(err)
		}
		if rec := lastRecord(t, db); rec.Action != "enable" {
			t.Errorf("audit record of enabling %+v", rec)
		}
		all, _ := db.Rules(ctx, secretariat)
		if len(all) != len(before)+2 {
			t.Errorf("%d rules, want %d", len(all), len(before)+2)
		}
		rs, err := db.AuditRecords(ctx, secretariat, audit.Filter{Entity: "collect_rule", EntityID: fmt.Sprint(changed.ID)})
		if err != nil || len(rs) != 3 {
			t.Errorf("%d audit records of rule %d (%v), want 3", len(rs), changed.ID, err)
		}
	})
}
