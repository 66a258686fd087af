package stats

import (
	"fmt"
	"sort"
)

// Relationship codes of CL_RELATIONSHIP.
const (
	RelIntimateFamily = "IPFM"    // intimate partner or family member
	RelKnown          = "KNOWN"   // other perpetrator known to the victim
	RelUnknown        = "UNKNOWN" // perpetrator unknown to the victim
	RelNotKnown       = "_U"      // relationship not known
)

// relationships are the parts that add up to all victims.
var relationships = []string{RelIntimateFamily, RelKnown, RelUnknown, RelNotKnown}

// GenderRow is the gender view (resolution 68/193, ¶ 16) of one crime in
// one area and period: female victims, and how many of them were harmed by
// an intimate partner or family member.
type GenderRow struct {
	Area   string `json:"area"`
	ICCS   string `json:"iccs"`
	Period Period `json:"period"`
	// FemaleVictims is the sum of female victims over the four
	// relationships; nil unless all four were reported.
	FemaleVictims *float64 `json:"female_victims"`
	// ByPartnerOrFamily is the female victims of an intimate partner or
	// family member.
	ByPartnerOrFamily *float64 `json:"by_partner_or_family"`
	// Share is ByPartnerOrFamily over FemaleVictims, 0 to 1.
	Share *float64 `json:"share"`
	// ShareOfKnown is the same share among the female victims whose
	// relationship to the perpetrator is known.
	ShareOfKnown *float64 `json:"share_of_known"`
	Sources      []string `json:"sources,omitempty"`
	Note         string   `json:"note,omitempty"`
}

// GenderView computes the gender view from counts of victims by sex and
// relationship to the perpetrator (the VICTIMS dataflow); other
// observations are ignored. Rows are by area, ICCS category and period.
func GenderView(obs []Observation) []GenderRow {
	type cell struct {
		area, iccs string
		period     Period
	}
	vals := map[cell]map[string]float64{}
	srcs := map[cell]map[string]bool{}
	for _, o := range obs {
		if o.Key[DimSex] != "F" || o.Key[DimUnit] != UnitNumber || o.Value == nil {
			continue
		}
		c := cell{o.Key[DimArea], o.Key[DimICCS], o.Period}
		if vals[c] == nil {
			vals[c], srcs[c] = map[string]float64{}, map[string]bool{}
		}
		vals[c][o.Key[DimRelationship]] += *o.Value
		if o.Source != "" {
			srcs[c][o.Source] = true
		}
	}
	out := make([]GenderRow, 0, len(vals))
	for c, v := range vals {
		r := GenderRow{Area: c.area, ICCS: c.iccs, Period: c.period}
		for s := range srcs[c] {
			r.Sources = append(r.Sources, s)
		}
		sort.Strings(r.Sources)
		if n, ok := v[RelIntimateFamily]; ok {
			r.ByPartnerOrFamily = &n
		}
		var missing []string
		total := 0.0
		for _, rel := range relationships {
			n, ok := v[rel]
			if !ok {
				missing = append(missing, rel)
			}
			total += n
		}
		if len(missing) > 0 {
			r.Note = fmt.Sprintf("no total: the source gives no figure for relationship %v", missing)
		} else {
			r.FemaleVictims = &total
			if r.ByPartnerOrFamily != nil && total > 0 {
				s := *r.ByPartnerOrFamily / total
				r.Share = &s
			}
			if known := total - v[RelNotKnown]; r.ByPartnerOrFamily != nil && known > 0 {
				s := *r.ByPartnerOrFamily / known
				r.ShareOfKnown = &s
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Area != b.Area {
			return a.Area < b.Area
		}
		if a.ICCS != b.ICCS {
			return a.ICCS < b.ICCS
		}
		return a.Period.Start().Before(b.Period.Start())
	})
	return out
}
