package stats

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/fail"
)

// memStore is a Store over observations in memory, for the analyst's
// tests.
type memStore struct {
	lists []Codelist
	flows []Dataflow
	obs   []Observation
}

func (m *memStore) Codelists(context.Context) ([]Codelist, error) { return m.lists, nil }
func (m *memStore) Dataflows(context.Context) ([]Dataflow, error) { return m.flows, nil }

func (m *memStore) Dataflow(_ context.Context, id string) (Dataflow, error) {
	for _, f := range m.flows {
		if f.ID == id {
			return f, nil
		}
	}
	return Dataflow{}, fail.New(fail.NotFound, "no dataflow %s", id)
}

func (m *memStore) Observations(_ context.Context, q Query, fn func(Observation) error) error {
	var out []Observation
	for _, o := range m.obs {
		if o.Flow != q.Flow {
			continue
		}
		ok := true
		for i, codes := range q.Key {
			if len(codes) > 0 && !slices.Contains(codes, o.Key[i]) {
				ok = false
			}
		}
		if !q.Start.IsZero() && o.Period.Start().Before(q.Start.Start()) || !q.End.IsZero() && !o.Period.Start().Before(q.End.End()) {
			ok = false
		}
		if ok {
			out = append(out, o)
		}
	}
	sortObservations(out)
	for _, o := range out {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) CountObservations(ctx context.Context, q Query) (int, error) {
	n := 0
	err := m.Observations(ctx, q, func(Observation) error { n++; return nil })
	if q.Limit > 0 {
		n = min(n, q.Limit)
	}
	return n, err
}

// exploreStore: the test geography, with homicide counts of AAA, BBB and
// DDD (AAA breaks in 2011), a source rate of AAA, and population.
func exploreStore() *memStore {
	g := testGeography()
	var area Codelist
	area.ID = "CL_AREA"
	for _, c := range g.order {
		area.Codes = append(area.Codes, Code{ID: c, Name: g.Name(c), Parent: g.parent[c]})
	}
	area.Codes[slices.IndexFunc(area.Codes, func(c Code) bool { return c.ID == "AAA" })].Name = "Aland"
	m := &memStore{
		lists: []Codelist{area,
			{ID: "CL_SEX", Codes: []Code{{ID: "F", Name: "Female"}, {ID: "M", Name: "Male"}, {ID: "_T", Name: "Total"}}},
			{ID: "CL_UNIT_MEASURE", Codes: []Code{{ID: "NB", Name: "Number"}, {ID: "RT100K", Name: "Per 100,000"}, {ID: "PS", Name: "Persons"}}},
		},
		flows: []Dataflow{{ID: "T", Name: "Test", Source: "UNODC", Licence: "open", DataAsOf: "2024"}, {ID: PopulationFlow, Source: "World Bank"}},
	}
	add := func(o Observation, flow string) { o.Flow = flow; m.obs = append(m.obs, o) }
	for _, o := range []Observation{
		obs("AAA", "0101", "_T", "_T", "NB", 2009, f(100), "A"),
		obs("AAA", "0101", "_T", "_T", "NB", 2010, f(110), "E"),
		obs("AAA", "0101", "_T", "_T", "NB", 2011, f(90), "B"),
		obs("AAA", "0101", "_T", "_T", "NB", 2012, f(99), "A"),
		obs("AAA", "0101", "_T", "_T", "RT100K", 2009, f(9.9), "A"), // the source's rate: kept
		obs("AAA", "0101", "_T", "_T", "RT100K", 2010, nil, "M"),    // missing: computed
		obs("BBB", "0101", "_T", "_T", "NB", 2009, f(50), "A"),
		obs("BBB", "0101", "_T", "_T", "NB", 2010, f(60), "A"),
		obs("DDD", "0101", "_T", "_T", "NB", 2010, f(30), "A"),
		obs("AAA", "0101", "F", "_T", "NB", 2010, f(20), "A"),
	} {
		add(o, "T")
	}
	for _, y := range []int{2009, 2010, 2011, 2012} {
		for area, n := range map[string]float64{"AAA": 1000000, "BBB": 4000000, "CCC": 5000000, "DDD": 2000000} {
			add(Observation{Key: Key{"A", area, "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(y), Value: f(n), Status: "A"}, PopulationFlow)
		}
	}
	return m
}

func exploreView(t *testing.T, query string) View {
	t.Helper()
	m := exploreStore()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStructure(append(m.lists, Codelist{ID: "CL_FREQ", Codes: []Code{{ID: "A"}}},
		Codelist{ID: "CL_ICCS", Codes: []Code{{ID: "0101"}, {ID: "0102"}, {ID: "0201"}, {ID: "0301"}}}), m.flows)
	v, err := ParseView(q, s)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func TestExplore(t *testing.T) {
	ctx := context.Background()
	a, err := NewAnalyst(ctx, exploreStore(), map[string]string{"AAA": "AG", "BBB": "AG", "DDD": "WEOG"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("no area", func(t *testing.T) {
		_, err := a.Explore(ctx, exploreView(t, "flow=T"), ExploreOptions{})
		if e := fail.As(err); e == nil || e.Field != "area" {
			t.Errorf("got %v, want a field error on area", err)
		}
	})

	t.Run("country and region", func(t *testing.T) {
		e, err := a.Explore(ctx, exploreView(t, "flow=T&area=AAA,014&sex=_T&unit=NB"), ExploreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := periodList(e.Periods); got != "2009 2010 2011 2012" {
			t.Errorf("periods %s", got)
		}
		if len(e.Series) != 2 || e.Series[0].Area != "AAA" || e.Series[1].Area != "014" || !e.Series[1].Aggregate {
			t.Fatalf("series %+v", e.Series)
		}
		aaa, region := e.Series[0], e.Series[1]
		if aaa.Label != "Aland" || region.Label != "Eastern Africa" || aaa.Key[DimSex] != "_T" || aaa.ID != "A.AAA.VIC.0101._T._T._T._T.CJ.NB" {
			t.Errorf("labels %q %q, key %v", aaa.Label, region.Label, aaa.Key)
		}
		if aaa.Points[1].Status != "E" || *aaa.Points[1].Value != 110 || aaa.Points[2].Status != "B" || aaa.Observations != 4 {
			t.Errorf("AAA points %+v", aaa.Points)
		}
		// The 2011 break refuses the change from 2009 to 2012.
		if aaa.Trend.Change != nil || aaa.Trend.From != year(2009) || aaa.Trend.To != year(2012) || !strings.Contains(strings.Join(aaa.Trend.Refusals, " "), "breaks in 2011") {
			t.Errorf("AAA trend %+v", aaa.Trend)
		}
		// 2009: AAA 100 + BBB 50 of 3 members; 5 of 10 million people.
		p := region.Points[0]
		if p.Value == nil || *p.Value != 150 || p.Derived != "C" || p.Coverage == nil || len(p.Coverage.Reporting) != 2 ||
			p.Coverage.Members != 3 || !near(p.Coverage.PopulationShare, 0.5) || !strings.Contains(p.Comment, "2 of 3 members") {
			t.Errorf("Eastern Africa 2009: %+v %+v", p, p.Coverage)
		}
		// 2010: AAA's value is an estimate, so the sum is one too; 2011:
		// AAA breaks, so does the region; 2012 AAA alone.
		if region.Points[1].Status != "E" || *region.Points[1].Value != 170 || region.Points[2].Status != "B" || *region.Points[3].Value != 99 {
			t.Errorf("Eastern Africa points %+v", region.Points)
		}
		if region.Trend.Change != nil || region.Provenance.Computed == "" {
			t.Errorf("Eastern Africa trend %+v, provenance %+v", region.Trend, region.Provenance)
		}
		if e.Observations != 8 || e.SeriesTotal != 2 || e.Cells != 8 || len(e.Provenance) != 2 || e.Provenance[1].Source != "World Bank" {
			t.Errorf("totals %d %d %d, provenance %+v", e.Observations, e.SeriesTotal, e.Cells, e.Provenance)
		}
		if e.Names["REF_AREA"]["AAA"] != "Aland" || e.Names["UNIT_MEASURE"]["NB"] != "Number" {
			t.Errorf("names %v", e.Names)
		}
	})

	t.Run("rates", func(t *testing.T) {
		e, err := a.Explore(ctx, exploreView(t, "flow=T&area=AAA,AG&sex=_T&unit=RT100K&start=2009&end=2010"), ExploreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Series) != 2 {
			t.Fatalf("series %+v", e.Series)
		}
		aaa, ag := e.Series[0], e.Series[1]
		// 2009: the source's 9.9, not 100/1,000,000; 2010: 110/1,000,000
		// × 100,000 = 11, computed, in place of the missing one.
		if *aaa.Points[0].Value != 9.9 || aaa.Points[0].Derived != "" || *aaa.Points[1].Value != 11 || aaa.Points[1].Derived != "C" || aaa.Points[1].Status != "E" {
			t.Errorf("AAA rates %+v", aaa.Points)
		}
		// AG 2010: (110 + 60) / 5,000,000 × 100,000 = 3.4.
		if ag.Key[9] != "RT100K" || !near(*ag.Points[1].Value, 3.4) {
			t.Errorf("AG rate %+v", ag.Points)
		}
		if !strings.Contains(aaa.Provenance.Computed, "rates") || !strings.Contains(e.Provenance[0].Computed, "rates") {
			t.Errorf("provenance %+v %+v", aaa.Provenance, e.Provenance)
		}
	})

	t.Run("cap", func(t *testing.T) {
		e, err := a.Explore(ctx, exploreView(t, "flow=T&area=AAA,BBB"), ExploreOptions{MaxSeries: 1})
		if err != nil {
			t.Fatal(err)
		}
		// AAA: NB _T, NB F, RT100K _T; BBB: NB _T.
		if e.SeriesTotal != 4 || len(e.Series) != 1 || !e.Truncated || e.Observations != 4+1+1+2 {
			t.Errorf("got %d of %d series, %d observations", len(e.Series), e.SeriesTotal, e.Observations)
		}
		// Area, sex and unit vary: the labels name them.
		if e.Series[0].Label != "Aland · Female · Number" {
			t.Errorf("label %q", e.Series[0].Label)
		}
	})

	t.Run("nothing", func(t *testing.T) {
		e, err := a.Explore(ctx, exploreView(t, "flow=T&area=CCC"), ExploreOptions{})
		if err != nil || len(e.Series) != 0 || e.Series == nil || len(e.Notes) == 0 {
			t.Errorf("%+v, %v", e, err)
		}
	})
}

func TestViewObservations(t *testing.T) {
	ctx := context.Background()
	a, err := NewAnalyst(ctx, exploreStore(), map[string]string{"AAA": "AG", "BBB": "AG", "DDD": "WEOG"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for o, err := range a.Observations(ctx, exploreView(t, "flow=T&area=BBB,001&sex=_T&unit=NB,RT100K&start=2010&end=2010")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key[1]+" "+o.Key[9]+" "+FormatValue(o.Value)+" "+o.Derived)
	}
	// BBB's count, its computed rate (60/4,000,000); the world's count
	// 110 + 60 + 30 and rate over the 7,000,000 people of AAA, BBB and
	// DDD, who reported.
	want := "BBB NB 60 |BBB RT100K 1.5 C|001 NB 200 C|001 RT100K " + FormatValue(f(200.0/7000000*100000)) + " C"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
	if !a.Computes(exploreView(t, "flow=T&area=001")) || a.Computes(exploreView(t, "flow=T&area=AAA&unit=NB")) {
		t.Error("Computes is wrong")
	}
}

func periodList(ps []Period) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

// trendStore holds counts for the trends of countries and aggregates, by
// ICCS category, in the test geography (014: AAA, BBB, CCC; AG: AAA,
// BBB):
//
//	0101: AAA 100, 110, 120 and BBB 50, 60, 66 in 2009–2011;
//	0102: the same, and CCC 5 in 2011 only;
//	0201: the same, and CCC 5 in 2010 only, a break of its series;
//	0301: the same, AAA's series breaking in 2010.
func trendStore() *memStore {
	m := exploreStore()
	m.obs = slices.DeleteFunc(m.obs, func(o Observation) bool { return o.Flow == "T" })
	for _, iccs := range []string{"0101", "0102", "0201", "0301"} {
		for i, y := range []int{2009, 2010, 2011} {
			aaa := obs("AAA", iccs, "_T", "_T", "NB", y, f([]float64{100, 110, 120}[i]), "A")
			if iccs == "0301" && y == 2010 {
				aaa.Status = StatusBreak
			}
			m.obs = append(m.obs, aaa, obs("BBB", iccs, "_T", "_T", "NB", y, f([]float64{50, 60, 66}[i]), "A"))
		}
	}
	m.obs = append(m.obs, obs("CCC", "0102", "_T", "_T", "NB", 2011, f(5), "A"), obs("CCC", "0201", "_T", "_T", "NB", 2010, f(5), StatusBreak))
	return m
}

// TestExploreTrends checks the trend figures by hand, for a country and
// for aggregates whose members stay or change.
func TestExploreTrends(t *testing.T) {
	ctx := context.Background()
	a, err := NewAnalyst(ctx, trendStore(), map[string]string{"AAA": "AG", "BBB": "AG", "DDD": "WEOG"})
	if err != nil {
		t.Fatal(err)
	}
	one := func(t *testing.T, query string) Series {
		t.Helper()
		e, err := a.Explore(ctx, exploreView(t, "flow=T&unit=NB&"+query), ExploreOptions{})
		if err != nil || len(e.Series) != 1 {
			t.Fatalf("%s: %+v, %v", query, e.Series, err)
		}
		return e.Series[0]
	}
	indexes := func(ps []IndexPoint) []string {
		var out []string
		for _, p := range ps {
			out = append(out, FormatValue(p.Index))
		}
		return out
	}
	refused := func(tr Trend) string { return strings.Join(tr.Refusals, " | ") }

	t.Run("country", func(t *testing.T) {
		// BBB from 50 to 60: +10, +20 %, 20 % a year, index 120.
		tr := one(t, "area=BBB&iccs=0101&end=2010").Trend
		if tr.Change == nil || tr.Change.Absolute != 10 || !near(*tr.Change.Percent, 20) || tr.AnnualChange == nil || !near(*tr.AnnualChange, 20) ||
			!slices.Equal(indexes(tr.Index), []string{"100", "120"}) || tr.Refusals != nil {
			t.Errorf("BBB 2009–2010: %+v", tr)
		}
		// To 66 in 2011: +16, +32 %, (66/50)^(1/2) − 1 = 14.89 % a year;
		// the 2010 moving average is (50 + 60 + 66) / 3.
		tr = one(t, "area=BBB&iccs=0101").Trend
		if tr.Change == nil || tr.Change.Absolute != 16 || !near(*tr.Change.Percent, 32) || !near(*tr.AnnualChange, (math.Sqrt(1.32)-1)*100) ||
			!slices.Equal(indexes(tr.Index), []string{"100", "120", "132"}) || tr.MovingAverage[1].Index == nil || !near(*tr.MovingAverage[1].Index, 176.0/3) ||
			tr.MovingAverage[0].Index != nil || tr.MovingAverage[2].Index != nil {
			t.Errorf("BBB 2009–2011: %+v", tr)
		}
	})

	t.Run("the same members", func(t *testing.T) {
		// AG: 150, 170, 186: +36, +24 %, (186/150)^(1/2) − 1 a year,
		// moving average (150 + 170 + 186) / 3 in 2010.
		s := one(t, "area=AG&iccs=0101")
		tr := s.Trend
		if tr.Change == nil || tr.Change.Absolute != 36 || !near(*tr.Change.Percent, 24) || !near(*tr.AnnualChange, (math.Sqrt(1.24)-1)*100) ||
			tr.Index[2].Index == nil || !near(*tr.Index[2].Index, 124) || tr.MovingAverage[1].Index == nil || !near(*tr.MovingAverage[1].Index, 506.0/3) {
			t.Errorf("AG: %+v", tr)
		}
		if st := []string{s.Points[0].Status, s.Points[1].Status, s.Points[2].Status}; !slices.Equal(st, []string{"A", "A", "A"}) {
			t.Errorf("AG statuses %v", st)
		}
	})

	t.Run("members change", func(t *testing.T) {
		// Eastern Africa: AAA and BBB, then CCC as well in 2011. The
		// change from 2009 would compare 150 with 191, sums of other
		// members: refused, and 2011 breaks the series.
		s := one(t, "area=014&iccs=0102")
		tr := s.Trend
		if tr.Change != nil || tr.AnnualChange != nil || !strings.Contains(refused(tr), "members that reported differ, 2 in 2009 and 3 in 2011; only in 2011: CCC") {
			t.Errorf("014 with CCC from 2011: %+v", tr)
		}
		if tr.Index[1].Index == nil || !near(*tr.Index[1].Index, 170.0/150*100) || tr.Index[2].Index != nil || tr.MovingAverage[1].Index != nil {
			t.Errorf("014 index %+v, moving average %+v", tr.Index, tr.MovingAverage)
		}
		if *s.Points[2].Value != 191 || s.Points[2].Status != StatusBreak || s.Points[1].Status != "A" {
			t.Errorf("014 points %+v", s.Points)
		}
	})

	t.Run("a member's break", func(t *testing.T) {
		// CCC reports once, in 2010, breaking its own series: the ends
		// are AAA and BBB's, comparable; 2010 and the moving average
		// around it are not.
		s := one(t, "area=014&iccs=0201")
		if tr := s.Trend; tr.Change == nil || tr.Change.Absolute != 36 || tr.MovingAverage[1].Index != nil || tr.Index[1].Index != nil {
			t.Errorf("014 with CCC's break: %+v", tr)
		}
		if s.Points[1].Status != StatusBreak || s.Points[2].Status != StatusBreak {
			t.Errorf("014 statuses %+v", s.Points)
		}
		// AAA, a member at both ends, breaks in 2010: nothing compares
		// across it.
		s = one(t, "area=AG&iccs=0301")
		if tr := s.Trend; tr.Change != nil || !strings.Contains(refused(tr), "the series of AAA, which reported in both periods, breaks in 2010") {
			t.Errorf("AG with AAA's break: %+v", tr)
		}
		if s.Points[1].Status != StatusBreak || s.Points[2].Status != "A" || !slices.Equal(s.Points[1].Coverage.Breaks, []string{"AAA"}) {
			t.Errorf("AG statuses %+v", s.Points)
		}
	})
}

// TestExploreReads checks that a view that would compute from more than
// the most stored observations is refused before it is read, and that a
// plain one streams whatever its size.
func TestExploreReads(t *testing.T) {
	ctx := context.Background()
	m := exploreStore()
	a, err := NewAnalyst(ctx, m, map[string]string{"AAA": "AG", "BBB": "AG", "DDD": "WEOG"})
	if err != nil {
		t.Fatal(err)
	}
	// Eastern Africa's members have 7 counts, the world 8; counting stops
	// past the most.
	if n, err := a.reads(ctx, exploreView(t, "flow=T&area=014"), 0); n != 7 || err != nil {
		t.Errorf("reads of 014: %d, %v", n, err)
	}
	if n, err := a.reads(ctx, exploreView(t, "flow=T&area=014,001"), 10); n != 11 || err != nil {
		t.Errorf("reads of 014 and 001, at most 10: %d, %v", n, err)
	}
	a.maxReads = 6
	for _, q := range []string{"flow=T&area=014", "flow=T&area=AAA,BBB"} {
		if _, err := a.Explore(ctx, exploreView(t, q), ExploreOptions{}); fail.As(err) == nil || fail.As(err).Field != "area" {
			t.Errorf("explore %s: %v, want a field error on area", q, err)
		}
	}
	var got error
	for _, err := range a.Observations(ctx, exploreView(t, "flow=T&area=001")) {
		got = err
		break
	}
	if e := fail.As(got); e == nil || e.Field != "area" || !strings.Contains(e.Message, "more than 6 stored observations") {
		t.Errorf("observations of the world: %v", got)
	}
	n := 0
	for _, err := range a.Observations(ctx, exploreView(t, "flow=T&area=AAA,BBB&unit=NB")) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 7 {
		t.Errorf("plain view: %d observations", n)
	}
	a.maxReads = 7
	if _, err := a.Explore(ctx, exploreView(t, "flow=T&area=014"), ExploreOptions{}); err != nil {
		t.Errorf("014 within the limit: %v", err)
	}
}

// TestAggregateParts checks that the United Kingdom counts as the sum of
// its three jurisdictions where all reported and it has no figure of its
// own.
func TestAggregateParts(t *testing.T) {
	area := Codelist{ID: "CL_AREA", Codes: []Code{
		{ID: "001", Name: "World"}, {ID: "150", Name: "Europe", Parent: "001"}, {ID: "FRA", Parent: "150"}, {ID: "GBR", Name: "United Kingdom", Parent: "150"},
		{ID: "GBR_E_W"}, {ID: "GBR_NI"}, {ID: "GBR_S"}, {ID: "IRQ_C"},
	}}
	g := NewGeography(area, nil)
	if got := strings.Join(g.Members("150"), " "); got != "FRA GBR" {
		t.Fatalf("members %s", got)
	}
	pop := NewPopulations([]Observation{
		{Key: Key{"A", "FRA", "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(2010), Value: f(1000000)},
		{Key: Key{"A", "GBR", "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}, Period: year(2010), Value: f(1500000)},
	})
	counts := func(vals map[string]float64) []Observation {
		var out []Observation
		for area, v := range vals {
			o := obs(area, "0101", "_T", "_T", "NB", 2010, f(v), "A")
			if area == "GBR_NI" {
				o.Status, o.Source = StatusEstimated, "PSNI"
			}
			out = append(out, o)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		vals      map[string]float64
		count     float64
		reporting string
		summed    string
	}{
		// 20 + (10 + 2 + 3); the rate over 2.5 million people.
		{"all three parts", map[string]float64{"FRA": 20, "GBR_E_W": 10, "GBR_NI": 2, "GBR_S": 3}, 35, "FRA GBR", "GBR"},
		{"two of three", map[string]float64{"FRA": 20, "GBR_E_W": 10, "GBR_S": 3}, 20, "FRA", ""},
		{"its own figure", map[string]float64{"FRA": 20, "GBR": 16, "GBR_E_W": 10, "GBR_NI": 2, "GBR_S": 3}, 36, "FRA GBR", ""},
		{"Central Iraq", map[string]float64{"FRA": 20, "IRQ_C": 7}, 20, "FRA", ""},
	} {
		a, err := Aggregate(g, "150", year(2010), counts(tc.vals), pop)
		if err != nil || a.Count == nil || *a.Count != tc.count || strings.Join(a.Coverage.Reporting, " ") != tc.reporting || strings.Join(a.Coverage.Summed, " ") != tc.summed {
			t.Errorf("%s: %+v, %v", tc.name, a, err)
			continue
		}
		if tc.summed != "" && (!near(*a.Rate, 35.0/2500000*100000) || !strings.Contains(a.Note, "United Kingdom: the sum of its parts") || strings.Join(a.Sources, ",") != "CTS,PSNI") {
			t.Errorf("%s: rate %v, note %q, sources %v", tc.name, *a.Rate, a.Note, a.Sources)
		}
	}
}
