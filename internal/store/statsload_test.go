package store_test

import (
	"context"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// The observations the shipped data load, by dataflow (see
// data/crime-stats/README.md).
var shippedCounts = map[string]int{"HOMICIDE": 3210, "OFFENCES": 40448, "VICTIMS": 6266, "POPULATION": 6963}

func count(t *testing.T, db *store.DB, q stats.Query) int {
	t.Helper()
	n := 0
	if err := db.Observations(context.Background(), q, func(stats.Observation) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func one(t *testing.T, db *store.DB, flow string, key stats.Key, period string, asOf time.Time) (stats.Observation, bool) {
	t.Helper()
	q := stats.Query{Flow: flow, AsOf: asOf}
	for i, c := range key {
		q.Key[i] = []string{c}
	}
	p, err := stats.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	q.Start, q.End = p, p
	var got []stats.Observation
	if err := db.Observations(context.Background(), q, func(o stats.Observation) error { got = append(got, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) > 1 {
		t.Fatalf("%s %s %s: %d observations", flow, key, period, len(got))
	}
	if len(got) == 0 {
		return stats.Observation{}, false
	}
	return got[0], true
}

func TestShippedStatistics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for flow, want := range shippedCounts {
			if got := count(t, db, stats.Query{Flow: flow}); got != want {
				t.Errorf("%s: %d observations, want %d", flow, got, want)
			}
			f, err := db.Dataflow(ctx, flow)
			if err != nil || f.Source == "" || f.SourceURL == "" || f.Licence == "" || f.DataAsOf == "" {
				t.Errorf("%s: provenance %+v, %v", flow, f, err)
			}
		}
		lists, err := db.Codelists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]stats.Codelist{}
		for _, cl := range lists {
			byID[cl.ID] = cl
		}
		for _, d := range stats.Dimensions {
			if len(byID[d.Codelist].Codes) == 0 {
				t.Errorf("code list %s is empty", d.Codelist)
			}
		}
		iccs := byID["CL_ICCS"]
		if !iccs.Partial || !strings.Contains(iccs.Description, "Partial") {
			t.Errorf("CL_ICCS is not marked partial: %+v", iccs.Description)
		}
		sections := 0
		for _, c := range iccs.Codes {
			if len(c.ID) == 2 && c.ID[0] != '_' {
				sections++
			}
			if c.Parent != "" && !iccs.Has(c.Parent) {
				t.Errorf("ICCS %s: parent %s is not in the list", c.ID, c.Parent)
			}
		}
		if sections != 11 {
			t.Errorf("CL_ICCS has %d sections, want 11", sections)
		}
		ps, total, err := db.Participants(ctx, stateFilterAll())
		if err != nil {
			t.Fatal(err)
		}
		area := byID["CL_AREA"]
		for _, p := range ps {
			if !area.Has(p.Code) {
				t.Errorf("participant %s is not in CL_AREA", p.Code)
			}
		}
		for _, c := range []string{"001", "002", "019", "142", "150", "009", "AG", "APG", "EEG", "GRULAC", "WEOG", "PRI", "HKG", "XKX", "TWN"} {
			if !area.Has(c) {
				t.Errorf("CL_AREA lacks %s", c)
			}
		}
		if total < 198 {
			t.Errorf("%d participants", total)
		}
		// The six GSH counts marked x are missing observations, never values.
		q := stats.Query{Flow: "HOMICIDE"}
		q.Key[9] = []string{"NB"}
		missing := 0
		db.Observations(ctx, q, func(o stats.Observation) error {
			if o.Value == nil {
				missing++
				if o.Status != "M" || !strings.Contains(o.Comment, "less than 2") {
					t.Errorf("%s %s: missing with status %s comment %q", o.Key, o.Period, o.Status, o.Comment)
				}
			}
			return nil
		})
		if missing != 6 {
			t.Errorf("%d missing homicide counts, want 6", missing)
		}
		// The Philippine break in series (GSH footnote +).
		o, ok := one(t, db, "HOMICIDE", stats.Key{"A", "PHL", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"}, "2009", time.Time{})
		if !ok || o.Status != "B" || !strings.Contains(o.Comment, "new crime reporting system") {
			t.Errorf("PHL 2009: %+v", o)
		}
	})
}

// sourceRows reads a shipped CSV file's rows by header name.
func sourceRows(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := data.FS.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, h := range head {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
}

// The values a client gets equal the source files: every 37th row of each
// shipped file, its key worked out here from the mapping tables, compared
// with what the store returns.
func TestShippedValuesEqualSources(t *testing.T) {
	t.Parallel()
	mapping := map[string][]string{} // indicator|dimension|category → flow, indicator, iccs, cyber, relationship
	for _, r := range sourceRows(t, "crime-stats/iccs_mapping.csv") {
		mapping[r["indicator"]+"|"+r["dimension"]+"|"+r["category"]] = []string{r["flow"], r["indicator_code"], r["iccs"], r["cyber"], r["relationship"]}
	}
	gshNames := map[string]string{}
	for _, r := range sourceRows(t, "crime-stats/area_names.csv") {
		if r["source"] == "GSH2013" {
			gshNames[r["name"]] = r["code"]
		}
	}
	unit := map[string]string{"Counts": "NB", "Rate per 100,000 population": "RT100K", "count": "NB", "rate": "RT100K"}
	sex := map[string]string{"Total": "_T", "Female": "F", "Male": "M"}
	type sample struct {
		flow, period, value string
		key                 stats.Key
	}
	var samples []sample
	for i, r := range sourceRows(t, "crime-stats/unodc_gsh2013_homicide_count_rate_long.csv") {
		if i%37 != 0 {
			continue
		}
		samples = append(samples, sample{"HOMICIDE", r["year"], strings.TrimSuffix(r["value"], "*"),
			stats.Key{"A", gshNames[r["country"]], "VIC_HOM", "0101", "_T", "_T", "_T", "_T", r["source_type"], unit[r["indicator"]]}})
	}
	for _, file := range []string{"crime-stats/unodc_cts_violent_and_sexual_crime.csv", "crime-stats/unodc_cts_corruption_and_economic_crime.csv"} {
		for i, r := range sourceRows(t, file) {
			m := mapping[r["Indicator"]+"|"+r["Dimension"]+"|"+r["Category"]]
			if i%37 != 0 || m[0] == "" {
				continue
			}
			samples = append(samples, sample{m[0], r["Year"], r["VALUE"],
				stats.Key{"A", r["Iso3_code"], m[1], m[2], sex[r["Sex"]], "_T", m[4], m[3], "CJ", unit[r["Unit of measurement"]]}})
		}
	}
	wdiAggregates := map[string]bool{}
	for _, r := range sourceRows(t, "crime-stats/area_names.csv") {
		if r["source"] == "WDI" {
			wdiAggregates[r["name"]] = true
		}
	}
	for i, r := range sourceRows(t, "crime-stats/wdi_homicide_rate_and_population_long.csv") {
		if i%37 != 0 || wdiAggregates[r["iso3"]] {
			continue
		}
		samples = append(samples, sample{"POPULATION", r["year"], r["population"],
			stats.Key{"A", r["iso3"], "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}})
	}
	perFlow := map[string]int{}
	for _, s := range samples {
		perFlow[s.flow]++
	}
	for flow := range shippedCounts {
		if perFlow[flow] < 20 {
			t.Fatalf("only %d samples of %s", perFlow[flow], flow)
		}
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, s := range samples {
			o, ok := one(t, db, s.flow, s.key, s.period, time.Time{})
			if !ok {
				t.Errorf("%s %s %s: not in the store", s.flow, s.key, s.period)
				continue
			}
			if got := stats.FormatValue(o.Value); got != s.value {
				t.Errorf("%s %s %s = %q; the source has %q", s.flow, s.key, s.period, got, s.value)
			}
		}
		t.Logf("%d sampled observations equal their sources (%v)", len(samples), perFlow)
	})
}

func TestStatisticsRevisionsAndReload(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		by := access.System("test")
		key := stats.Key{"A", "ITA", "VIC", "0301", "F", "_T", "_U", "_T", "CJ", "NB"}
		orig, ok := one(t, db, "VICTIMS", key, "2020", time.Time{})
		if !ok || stats.FormatValue(orig.Value) != "4097" {
			t.Fatalf("ITA 2020 female victims of sexual violence, relationship not known = %+v", orig)
		}
		before := db.Now()
		db.SetClock(func() time.Time { return before.Add(time.Hour) })
		revised := orig
		v := 4100.0
		revised.Value, revised.Comment = &v, "revised by the test"
		rep, err := db.Ingest(ctx, by, "VICTIMS", []stats.Observation{revised}, "test revision")
		if err != nil || rep.Revised != 1 || rep.Added != 0 {
			t.Fatalf("revision: %+v, %v", rep, err)
		}
		now, _ := one(t, db, "VICTIMS", key, "2020", time.Time{})
		then, _ := one(t, db, "VICTIMS", key, "2020", before.Add(time.Minute))
		if stats.FormatValue(now.Value) != "4100" || stats.FormatValue(then.Value) != "4097" {
			t.Errorf("now %s, as of before the revision %s; want 4100 and 4097", stats.FormatValue(now.Value), stats.FormatValue(then.Value))
		}
		// Reloading the shipped data changes nothing but the revised value,
		// which goes back to the source's (a new revision again).
		db.SetClock(func() time.Time { return before.Add(2 * time.Hour) })
		l, err := db.ReloadStatistics(ctx, by)
		if err != nil {
			t.Fatal(err)
		}
		added, revisedN, unchanged := 0, 0, 0
		for _, r := range l.Flows {
			added, revisedN, unchanged = added+r.Added, revisedN+r.Revised, unchanged+r.Unchanged
		}
		total := 0
		for _, n := range shippedCounts {
			total += n
		}
		if added != 0 || revisedN != 1 || unchanged != total-1 {
			t.Errorf("reload: %d added, %d revised, %d unchanged; want 0, 1, %d", added, revisedN, unchanged, total-1)
		}
		// A second reload is a no-op.
		l, err = db.ReloadStatistics(ctx, by)
		if err != nil {
			t.Fatal(err)
		}
		for flow, r := range l.Flows {
			if r.Added+r.Revised != 0 || r.Unchanged != shippedCounts[flow] {
				t.Errorf("second reload of %s: %+v", flow, r)
			}
		}
		for flow, want := range shippedCounts {
			if got := count(t, db, stats.Query{Flow: flow}); got != want {
				t.Errorf("%s after reloads: %d, want %d", flow, got, want)
			}
		}
		back, _ := one(t, db, "VICTIMS", key, "2020", time.Time{})
		mid, _ := one(t, db, "VICTIMS", key, "2020", before.Add(90*time.Minute))
		if stats.FormatValue(back.Value) != "4097" || stats.FormatValue(mid.Value) != "4100" {
			t.Errorf("after reload %s, as of between %s", stats.FormatValue(back.Value), stats.FormatValue(mid.Value))
		}
		if _, err := db.ReloadStatistics(ctx, access.Actor{Role: access.Public}); err == nil {
			t.Error("the public reloaded the statistics")
		}
	})
}

func TestAnalystOnShippedData(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		groups, err := db.RegionalGroups(ctx)
		if err != nil || groups["KEN"] != "AG" || groups["FRA"] != "WEOG" {
			t.Fatalf("regional groups: %v, %v", len(groups), err)
		}
		a, err := stats.NewAnalyst(ctx, db, groups)
		if err != nil {
			t.Fatal(err)
		}
		year := func(y int) stats.Period { return stats.Period{Year: y, Kind: 'A'} }
		explore := func(t *testing.T, flow string, key stats.Key, area string, from, to int) stats.Exploration {
			t.Helper()
			v := stats.View{Flow: flow, Start: year(from), End: year(to)}
			for i, c := range key {
				if c != "" {
					v.Key[i] = []string{c}
				}
			}
			v.Key[stats.DimArea] = []string{area}
			e, err := a.Explore(ctx, v, stats.ExploreOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		// The Philippine series breaks in 2009: no change across it.
		key := stats.Key{"A", "PHL", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"}
		e := explore(t, "HOMICIDE", key, "PHL", 2005, 2012)
		if len(e.Series) != 1 || e.Series[0].Trend.Change != nil || !strings.Contains(strings.Join(e.Series[0].Trend.Refusals, " "), "2009") || e.Provenance[0].Source == "" {
			t.Errorf("PHL trend across 2009: %+v", e.Series)
		}
		if e := explore(t, "HOMICIDE", key, "PHL", 2009, 2012); len(e.Series) != 1 || e.Series[0].Trend.Change == nil {
			t.Errorf("PHL trend from 2009: %+v", e.Series)
		}
		// Western Europe's serious assaults in 2015, by the members that
		// reported; coverage is stated.
		e = explore(t, "OFFENCES", stats.Key{"A", "", "OFF", "020111", "_T", "_T", "_Z", "_T", "CJ", ""}, "155", 2015, 2015)
		if len(e.Series) != 2 || len(e.Periods) != 1 {
			t.Fatalf("aggregate: %+v", e.Series)
		}
		count, rate := e.Series[0].Points[0], e.Series[1].Points[0]
		if count.Value == nil || rate.Value == nil || count.Coverage == nil || len(count.Coverage.Reporting) == 0 ||
			count.Coverage.PopulationShare <= 0 || count.Coverage.PopulationShare > 1 || e.Provenance[0].DataAsOf == "" {
			t.Errorf("Western Europe 2015: %+v %+v", count, rate)
		}
		rows, _, err := a.Gender(ctx, "ITA", year(2020), year(2020))
		if err != nil || len(rows) == 0 {
			t.Fatalf("gender view: %v, %v", rows, err)
		}
		// Rates of every area of VICTIMS: the source's, and computed ones
		// where it gives none (the shipped data give one for every count).
		v := stats.View{Flow: "VICTIMS"}
		v.Key[stats.DimUnit] = []string{stats.UnitRate}
		n := 0
		for o, err := range a.Observations(ctx, v) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if o.Key[stats.DimUnit] != stats.UnitRate || (o.Derived == stats.DerivationComputed && o.Comment != stats.RateComment) {
				t.Fatalf("rate %+v", o)
			}
		}
		if n == 0 {
			t.Error("no rates")
		}
	})
}

func stateFilterAll() state.Filter { return state.Filter{Limit: 1000} }
