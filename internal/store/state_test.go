package store_test

import (
	"context"
	"testing"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

func TestParticipantsLoaded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		all, total, err := db.Participants(ctx, state.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 198 || len(all) != 198 {
			t.Fatalf("got %d participants (total %d), want 198", len(all), total)
		}
		members, n, err := db.Participants(ctx, state.Filter{Kind: state.MemberState})
		if err != nil {
			t.Fatal(err)
		}
		if n != 193 || len(members) != 193 {
			t.Errorf("got %d Member States, want 193", n)
		}
		wantGroups := map[string]int{"AG": 54, "APG": 54, "EEG": 23, "GRULAC": 33, "WEOG": 29}
		for g, want := range wantGroups {
			_, n, err := db.Participants(ctx, state.Filter{RegionalGroup: g})
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("group %s: %d participants, want %d", g, n, want)
			}
		}
		eu, err := db.Participant(ctx, "EUU")
		if err != nil {
			t.Fatal(err)
		}
		if eu.IsState() || eu.M49 != "" || eu.Name != "European Union" {
			t.Errorf("EUU = %+v, want the European Union, not a State, without M49", eu)
		}
		if _, err := db.Participant(ctx, "XXX"); !fail.Is(err, fail.NotFound) {
			t.Errorf("unknown code: err = %v, want not found", err)
		}
		// Sorting follows English collation on both engines.
		var idx = map[string]int{}
		for i, p := range all {
			idx[p.Code] = i
		}
		if !(idx["CIV"] < idx["HRV"] && idx["HRV"] < idx["CUB"]) {
			t.Errorf("want Côte d'Ivoire < Croatia < Cuba, got positions %d %d %d", idx["CIV"], idx["HRV"], idx["CUB"])
		}
		page, total, err := db.Participants(ctx, state.Filter{Limit: 10, Offset: 190})
		if err != nil || total != 198 || len(page) != 8 {
			t.Errorf("last page: %d rows of %d, err %v; want 8 of 198", len(page), total, err)
		}
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second migrate applied %v", applied)
		}
		have, want, err := db.SchemaVersion(context.Background())
		if err != nil || have != want {
			t.Errorf("schema version %d, want %d (err %v)", have, want, err)
		}
	})
}
