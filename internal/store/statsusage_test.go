package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// TestFlowUsage checks the codes and periods the shipped dataflows use, as
// the explorer offers them.
func TestFlowUsage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dim := stats.DimIndex
		for _, tc := range []struct {
			flow        string
			first, last string
			series      int
			dim         string
			codes       []string
		}{
			{"HOMICIDE", "2000", "2012", 438, "SOURCE_TYPE", []string{"CJ", "PH"}},
			{"HOMICIDE", "2000", "2012", 438, "UNIT_MEASURE", []string{"NB", "RT100K"}},
			{"HOMICIDE", "2000", "2012", 438, "ICCS", []string{"0101"}},
			{"VICTIMS", "2013", "2022", 0, "RELATIONSHIP", []string{"IPFM", "KNOWN", "UNKNOWN", "_U"}},
			{"VICTIMS", "2013", "2022", 0, "SEX", []string{"F", "M"}},
			{"OFFENCES", "2003", "2022", 0, "CYBER", []string{"CY", "_T"}},
		} {
			u, err := db.FlowUsage(ctx, tc.flow)
			if err != nil {
				t.Fatal(err)
			}
			if u.First.String() != tc.first || u.Last.String() != tc.last {
				t.Errorf("%s spans %s–%s, want %s–%s", tc.flow, u.First, u.Last, tc.first, tc.last)
			}
			if tc.series != 0 && u.Series != tc.series {
				t.Errorf("%s has %d series, want %d", tc.flow, u.Series, tc.series)
			}
			if got := u.Codes[dim(tc.dim)]; !slices.Equal(got, tc.codes) {
				t.Errorf("%s uses %v in %s, want %v", tc.flow, got, tc.dim, tc.codes)
			}
			for _, c := range tc.codes {
				if !u.Uses(dim(tc.dim), c) {
					t.Errorf("%s: Uses(%s, %s) is false", tc.flow, tc.dim, c)
				}
			}
		}
		u, err := db.FlowUsage(ctx, "OFFENCES")
		if err != nil {
			t.Fatal(err)
		}
		if !u.Uses(dim("REF_AREA"), "KEN") || u.Uses(dim("REF_AREA"), "002") || u.Uses(dim("ICCS"), "0101") || !u.Uses(dim("ICCS"), "0501") {
			t.Errorf("OFFENCES: areas or categories wrong: %v %v", u.Codes[dim("REF_AREA")][:5], u.Codes[dim("ICCS")])
		}
		none, err := db.FlowUsage(ctx, "NOSUCHFLOW")
		if err != nil || none.Series != 0 || !none.First.IsZero() {
			t.Errorf("an unknown flow: %+v, %v", none, err)
		}
	})
}
