package store_test

import (
	"context"
	"testing"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
	"github.com/cpcj/cpcj/internal/treaty"
)

func TestUNTOCStatusOn18December2013(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, err := db.Instrument(ctx, "untoc")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := db.Records(ctx, treaty.Filter{Instrument: in.ID})
		if err != nil {
			t.Fatal(err)
		}
		isState := func(code string) bool { return code != "EUU" }
		st := treaty.Compute(in, rs, civil.MustParse("2013-12-18"), isState, civil.Date{})
		if st.Parties != 179 || st.StatesParties != 178 || st.Signatories != 147 {
			t.Errorf("UNTOC on 2013-12-18: %d parties, %d States parties, %d signatories; want 179, 178, 147", st.Parties, st.StatesParties, st.Signatories)
		}
		if st.EntryIntoForce != civil.MustParse("2003-09-29") {
			t.Errorf("UNTOC entered into force on %s, want 2003-09-29", st.EntryIntoForce)
		}
	})
}
