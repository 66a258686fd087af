package stats

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

func year(y int) Period { return Period{Year: y, Kind: 'A'} }

func obs(area, iccs, sex, rel, unit string, y int, v *float64, status string) Observation {
	return Observation{Flow: "T", Key: Key{"A", area, "VIC", iccs, sex, "_T", rel, "_T", "CJ", unit}, Period: year(y), Value: v, Status: status, Source: "CTS"}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRates(t *testing.T) {
	pop := NewPopulations([]Observation{
		{Key: Key{"A", "AAA", "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(2010), Value: f(2000000)},
		{Key: Key{"A", "BBB", "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(2010), Value: f(500000)},
		{Key: Key{"A", "CCC", "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(2010), Value: f(1000000)},
	})
	in := []Observation{
		obs("AAA", "0101", "_T", "_T", "NB", 2010, f(1234), "A"),   // no rate: computed
		obs("BBB", "0101", "_T", "_T", "NB", 2010, f(10), "E"),     // source rate below: kept
		obs("BBB", "0101", "_T", "_T", "RT100K", 2010, f(2.1), ""), // the source's, though 10/500000 would be 2
		obs("CCC", "0101", "_T", "_T", "NB", 2010, f(7), "B"),      // source rate missing: computed
		obs("CCC", "0101", "_T", "_T", "RT100K", 2010, nil, "M"),
		obs("DDD", "0101", "_T", "_T", "NB", 2010, f(5), "A"), // no population: none
		obs("AAA", "0101", "_T", "_T", "NB", 2011, nil, "M"),  // no count: none
	}
	got := Rates(in, pop)
	want := []struct {
		area   string
		value  float64
		status string
	}{
		{"AAA", 61.7, "A"}, // 1234 / 2,000,000 × 100,000
		{"CCC", 0.7, "B"},  // 7 / 1,000,000 × 100,000, the count's status kept
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rates, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Key[1] != w.area || !near(*g.Value, w.value) || g.Status != w.status || g.Key[9] != "RT100K" || g.Derived != "C" || g.Comment != RateComment {
			t.Errorf("rate %d = %s %v %s %s %q; want %s %v %s RT100K C", i, g.Key[1], *g.Value, g.Status, g.Key[9], g.Derived, w.area, w.value, w.status)
		}
	}
}

// testGeography: world 001 > Africa 002 > Eastern Africa 014 > AAA, BBB,
// CCC; Europe 150 > DDD; EUU in no region. AAA and BBB are in AG, DDD in
// WEOG.
func testGeography() *Geography {
	area := Codelist{ID: "CL_AREA", Codes: []Code{
		{ID: "001", Name: "World"}, {ID: "002", Name: "Africa", Parent: "001"}, {ID: "014", Name: "Eastern Africa", Parent: "002"},
		{ID: "150", Name: "Europe", Parent: "001"}, {ID: "AG", Name: "African States"}, {ID: "WEOG", Name: "Western European and other States"},
		{ID: "AAA", Parent: "014"}, {ID: "BBB", Parent: "014"}, {ID: "CCC", Parent: "014"}, {ID: "DDD", Parent: "150"}, {ID: "EUU"},
	}}
	return NewGeography(area, map[string]string{"AAA": "AG", "BBB": "AG", "DDD": "WEOG"})
}

func TestMembers(t *testing.T) {
	g := testGeography()
	for area, want := range map[string]string{"001": "AAA BBB CCC DDD", "002": "AAA BBB CCC", "014": "AAA BBB CCC", "AG": "AAA BBB", "WEOG": "DDD", "150": "DDD"} {
		if got := strings.Join(g.Members(area), " "); got != want {
			t.Errorf("Members(%s) = %s, want %s", area, got, want)
		}
	}
	if g.IsAggregate("AAA") || g.IsAggregate("EUU") || !g.IsAggregate("AG") || !g.IsAggregate("001") {
		t.Error("IsAggregate is wrong")
	}
}

func TestAggregate(t *testing.T) {
	g := testGeography()
	popObs := func(area string, n float64) Observation {
		return Observation{Key: Key{"A", area, "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(2010), Value: f(n)}
	}
	pop := NewPopulations([]Observation{popObs("AAA", 1000000), popObs("BBB", 4000000), popObs("CCC", 5000000), popObs("DDD", 2000000)})
	counts := []Observation{
		obs("AAA", "0101", "_T", "_T", "NB", 2010, f(100), "A"),
		obs("BBB", "0101", "_T", "_T", "NB", 2010, f(50), "A"),
		obs("CCC", "0101", "_T", "_T", "NB", 2010, nil, "M"), // did not report
		obs("DDD", "0101", "_T", "_T", "NB", 2010, f(30), "A"),
		obs("AAA", "0101", "_T", "_T", "RT100K", 2010, f(10), "A"), // rates are not summed
		obs("AAA", "0101", "_T", "_T", "NB", 2011, f(999), "A"),    // another year
	}
	tests := []struct {
		area             string
		pop              Populations
		count, rate      float64
		reporting, share float64
		members          int
		noPop            string
	}{
		// 100 + 50; (100 + 50) / 5,000,000 × 100,000 = 3; 5 of 10 million.
		{"002", pop, 150, 3, 2, 0.5, 3, ""},
		{"AG", pop, 150, 3, 2, 1, 2, ""},
		// + DDD: 180 / 7,000,000 × 100,000 = 2.571428…; 7 of 12 million.
		{"001", pop, 180, 180.0 / 7000000 * 100000, 3, 7.0 / 12, 4, ""},
		// BBB has no population: its 50 count in the sum, not in the rate
		// (100 / 1,000,000 × 100,000 = 10); share 1 of 6 million.
		{"014", NewPopulations([]Observation{popObs("AAA", 1000000), popObs("CCC", 5000000)}), 150, 10, 2, 1.0 / 6, 3, "BBB"},
	}
	for _, tt := range tests {
		a, err := Aggregate(g, tt.area, year(2010), counts, tt.pop)
		if err != nil {
			t.Fatalf("%s: %v", tt.area, err)
		}
		if a.Count == nil || !near(*a.Count, tt.count) || a.Rate == nil || !near(*a.Rate, tt.rate) {
			t.Errorf("%s: count %v rate %v; want %v and %v", tt.area, a.Count, a.Rate, tt.count, tt.rate)
		}
		c := a.Coverage
		if float64(len(c.Reporting)) != tt.reporting || !near(c.PopulationShare, tt.share) || c.Members != tt.members || strings.Join(c.NoPopulation, " ") != tt.noPop {
			t.Errorf("%s: coverage %+v; want %v reporting of %d, share %v, no population %q", tt.area, c, tt.reporting, tt.members, tt.share, tt.noPop)
		}
		if a.Key[1] != tt.area || a.Key[9] != "NB" || strings.Join(a.Sources, ",") != "CTS" || a.Note == "" {
			t.Errorf("%s: key %s sources %v note %q", tt.area, a.Key, a.Sources, a.Note)
		}
	}
	a, err := Aggregate(g, "150", year(2009), counts, pop)
	if err != nil || a.Count != nil || a.Rate != nil || !strings.Contains(a.Note, "None of the 1 members") {
		t.Errorf("no report: %+v, %v", a, err)
	}
	if _, err := Aggregate(g, "AAA", year(2010), counts, pop); err == nil {
		t.Error("a country was aggregated")
	}
}

func series(vals map[int]float64, breakAt int) []Point {
	var obs []Observation
	for y, v := range vals {
		st := "A"
		if y == breakAt {
			st = StatusBreak
		}
		obs = append(obs, Observation{Period: year(y), Value: f(v), Status: st})
	}
	return Points(obs)
}

func TestTrend(t *testing.T) {
	// Growing 10% a year.
	pts := series(map[int]float64{2008: 100, 2009: 110, 2010: 121, 2011: 133.1}, 0)
	c, err := ChangeBetween(pts, year(2008), year(2010))
	if err != nil || !near(c.Absolute, 21) || !near(*c.Percent, 21) {
		t.Errorf("change 2008-2010 = %+v, %v; want +21, 21%%", c, err)
	}
	c, err = ChangeBetween(pts, year(2011), year(2009))
	if err != nil || !near(c.Absolute, -23.1) || !near(*c.Percent, -23.1/133.1*100) {
		t.Errorf("change 2011-2009 = %+v, %v", c, err)
	}
	aapc, err := AverageAnnualChange(pts, year(2008), year(2011))
	if err != nil || !near(aapc, 10) { // (133.1/100)^(1/3) − 1 = 0.1
		t.Errorf("AAPC = %v, %v; want 10", aapc, err)
	}
	idx, err := Index(pts, year(2009))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []float64{100.0 / 110 * 100, 100, 110, 121} {
		if idx[i].Index == nil || !near(*idx[i].Index, w) {
			t.Errorf("index %s = %v, want %v", idx[i].Period, idx[i].Index, w)
		}
	}
	ma := MovingAverage(pts)
	if ma[0].Index != nil || ma[3].Index != nil || !near(*ma[1].Index, 331.0/3) || !near(*ma[2].Index, 364.1/3) {
		t.Errorf("moving average = %+v", ma)
	}

	// The same with a break in series in 2010.
	brk := series(map[int]float64{2008: 100, 2009: 110, 2010: 121, 2011: 133.1}, 2010)
	var r *Refused
	if _, err := ChangeBetween(brk, year(2008), year(2011)); !errors.As(err, &r) || !strings.Contains(err.Error(), "breaks in 2010") {
		t.Errorf("change across the break: %v", err)
	}
	if _, err := ChangeBetween(brk, year(2010), year(2011)); err != nil {
		t.Errorf("change after the break: %v", err)
	}
	if _, err := AverageAnnualChange(brk, year(2008), year(2011)); !errors.As(err, &r) {
		t.Errorf("AAPC across the break: %v", err)
	}
	idx, _ = Index(brk, year(2008))
	if idx[1].Index == nil || !near(*idx[1].Index, 110) || idx[2].Index != nil || idx[3].Index != nil || !strings.Contains(idx[3].Note, "breaks in 2010") {
		t.Errorf("index across the break = %+v", idx)
	}
	ma = MovingAverage(brk)
	if ma[1].Index != nil || ma[2].Index != nil || !strings.Contains(ma[1].Note, "break") {
		t.Errorf("moving average across the break = %+v", ma)
	}

	// Gaps: no value, no neighbour.
	gap := series(map[int]float64{2008: 100, 2009: 110, 2011: 133.1}, 0)
	if _, err := ChangeBetween(gap, year(2008), year(2010)); err == nil {
		t.Error("change to a missing year")
	}
	if ma := MovingAverage(gap); ma[1].Index != nil {
		t.Errorf("moving average over a gap = %v", *ma[1].Index)
	}
	if _, err := AverageAnnualChange(series(map[int]float64{2008: 0, 2011: 5}, 0), year(2008), year(2011)); err == nil {
		t.Error("AAPC from zero")
	}

	tr := TrendOf([]Observation{{Key: Key{"A", "PHL"}, Period: year(2008), Value: f(100), Status: "A"}, {Key: Key{"A", "PHL"}, Period: year(2009), Value: f(90), Status: "B"}}, year(2008), year(2009))
	if tr.Change != nil || tr.AnnualChange != nil || len(tr.Refusals) != 2 || tr.Index == nil {
		t.Errorf("TrendOf across a break = %+v", tr)
	}
}

func TestGenderView(t *testing.T) {
	in := []Observation{
		obs("AAA", "0301", "F", "IPFM", "NB", 2020, f(40), "A"),
		obs("AAA", "0301", "F", "KNOWN", "NB", 2020, f(30), "A"),
		obs("AAA", "0301", "F", "UNKNOWN", "NB", 2020, f(20), "A"),
		obs("AAA", "0301", "F", "_U", "NB", 2020, f(10), "A"),
		obs("AAA", "0301", "M", "IPFM", "NB", 2020, f(99), "A"),      // male: ignored
		obs("AAA", "0301", "F", "IPFM", "RT100K", 2020, f(1.5), "A"), // rate: ignored
		obs("BBB", "0301", "F", "IPFM", "NB", 2020, f(5), "A"),
		obs("BBB", "0301", "F", "KNOWN", "NB", 2020, f(5), "A"),
	}
	rows := GenderView(in)
	if len(rows) != 2 {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	a := rows[0]
	// 40 + 30 + 20 + 10 = 100 female victims; 40 of 100; 40 of 90 known.
	if a.Area != "AAA" || !near(*a.FemaleVictims, 100) || !near(*a.ByPartnerOrFamily, 40) || !near(*a.Share, 0.4) || !near(*a.ShareOfKnown, 40.0/90) {
		t.Errorf("AAA = %+v", a)
	}
	b := rows[1]
	if b.FemaleVictims != nil || b.Share != nil || !near(*b.ByPartnerOrFamily, 5) || !strings.Contains(b.Note, "UNKNOWN") {
		t.Errorf("BBB = %+v", b)
	}
}
