package stats

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cpcj/cpcj/internal/fail"
)

// Exploration is what the data explorer shows of a view, and what the JSON
// API answers for it (GET /api/v1/stats/explore), so that a script reads
// the figures a person sees: a table of series by period, the trend of
// each series, the coverage of each aggregate and the provenance of it all.
//
// Countries' series are the stored ones; an aggregate's (a region, a UN
// regional group, the world) are computed from its members' counts with
// Aggregate, and rates the source does not give are computed from counts
// and population (DERIVATION C). Nothing is imputed.
type Exploration struct {
	View View `json:"-"`
	// Query is the view as URL parameters (View.Values), to link to the
	// page, the API answers and the downloads of the same view.
	Query string   `json:"query"`
	Flow  Dataflow `json:"dataflow"`
	// Periods are the columns of the table, in order: every period from
	// the first to the last of any series, so that a period no series has
	// a value for is a gap, not left out.
	Periods []Period `json:"periods"`
	// Series are the rows: the view's areas in the order it names them,
	// each area's series by key. At most ExploreOptions.MaxSeries: only
	// those are built and analysed.
	Series []Series `json:"series"`
	// SeriesTotal is the number of series of the view, kept or not.
	SeriesTotal int `json:"series_total"`
	// Observations is the number of values (cells with a value, stored or
	// computed) of every series of the view, kept or not: the true total
	// a page that caps what it renders states.
	Observations int `json:"observations"`
	// Cells is SeriesTotal × len(Periods): the size of the whole table.
	Cells int `json:"cells"`
	// Truncated says Series holds fewer than SeriesTotal.
	Truncated bool `json:"truncated"`
	// Provenance names every dataflow the figures come from: the view's
	// own, and POPULATION when rates or aggregates were computed with it.
	Provenance []Provenance `json:"provenance"`
	// Names are the names of the codes the series use, by dimension ID and
	// code (e.g. Names["REF_AREA"]["KEN"] is "Kenya"), for display.
	Names map[string]map[string]string `json:"names"`
	// Notes say what the view asked for and did not get, e.g. an area with
	// no data, or that rates were computed.
	Notes []string `json:"notes,omitempty"`
}

// Series is one row of an exploration: a country's stored series or an
// aggregate's computed one, over the exploration's periods.
type Series struct {
	// Key is the series key, written in JSON by dimension ID, e.g.
	// {"REF_AREA": "KEN", …}.
	Key Key `json:"key"`
	// ID is the series key as SDMX writes it (codes joined by dots).
	ID string `json:"id"`
	// Label names the series among the others of the exploration: the
	// names of its codes in the dimensions whose code differs between
	// series (e.g. "Kenya · Female"); the area's name when only one
	// series is shown.
	Label    string `json:"label"`
	Area     string `json:"area"`
	AreaName string `json:"area_name"`
	// Aggregate says the area is a region, regional group or the world,
	// whose figures cpcj computed from its members' (DERIVATION C).
	Aggregate bool `json:"aggregate"`
	// Points has one point per period of the exploration, in the same
	// order (Exploration.Periods): a table row and a chart line.
	Points []SeriesPoint `json:"points"`
	// Trend is the trend figures between the first and the last period
	// with a value; Trend.Refusals says which figures were not computed
	// and why (a break in series, a missing or zero value, or, for an
	// aggregate, other members reporting at the two ends).
	Trend      Trend      `json:"trend"`
	Provenance Provenance `json:"provenance"`
	// Observations is the number of points with a value.
	Observations int `json:"observations"`
}

// SeriesPoint is the value of a series in one period, with what a table or
// chart marks.
type SeriesPoint struct {
	Period Period `json:"period"`
	// Value is nil when there is none: no observation (Status empty), a
	// missing one (Status M), or an aggregate none of whose members
	// reported.
	Value *float64 `json:"value"`
	// Status is the SDMX observation status: A normal, E estimated, P
	// provisional, B break in series (not comparable with earlier
	// periods), M missing; empty where nothing is stored. An aggregate's
	// is B where its value is not comparable with the one before (other
	// members reported, or the series of a member of both breaks), else E
	// when a reporting member's value is an estimate, else P when one is
	// provisional.
	Status string `json:"obs_status"`
	// Derived is C for a value cpcj computed: a rate from a count and the
	// population, or any aggregate.
	Derived string `json:"derivation,omitempty"`
	Source  string `json:"source,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Coverage is an aggregate's: how many members reported and which
	// share of the population they hold. Nil for a country.
	Coverage *Coverage `json:"coverage,omitempty"`
}

// ExploreOptions tune an exploration.
type ExploreOptions struct {
	// MaxSeries is the most series the exploration keeps; the others are
	// counted (SeriesTotal, Observations, Cells) but neither kept nor
	// analysed. Zero keeps them all.
	MaxSeries int
}

// Explore computes the exploration of a view.
//
// The view must choose at least one area: a whole dataflow is tens of
// thousands of series, which neither a table nor a chart shows; its
// download is the place for it. Without one, Explore returns a field error
// for "area", as it does for a view that reads more than MaxReads stored
// observations. For each country of the view, the stored series that
// match it; for each aggregate, the series its members' counts (unit NB;
// PS for the POPULATION dataflow) add up to, one per combination of the
// other dimensions, with its count (unit NB) and its rate per 100,000
// (RT100K) as the view's units ask (both when it names none), and coverage
// at every period. When the view names unit RT100K, a country's counts
// without a source rate give a rate computed from the population, marked
// DERIVATION C (see Rates). Only the first opts.MaxSeries series are made
// rows and analysed; the others are counted.
func (a *Analyst) Explore(ctx context.Context, v View, opts ExploreOptions) (Exploration, error) {
	e := Exploration{View: v, Query: v.Values().Encode(), Names: map[string]map[string]string{}}
	if len(v.Key[DimArea]) == 0 {
		return e, fail.Field("area", "Choose at least one country or region.")
	}
	f, err := a.store.Dataflow(ctx, v.Flow)
	if err != nil {
		return e, err
	}
	e.Flow = f
	lists, err := a.store.Codelists(ctx)
	if err != nil {
		return e, err
	}
	if err := a.CheckReads(ctx, v); err != nil {
		return e, err
	}
	countries, aggregates := a.splitAreas(v)

	// The series, before the columns are known: countries' stored ones
	// (with computed rates), and aggregates' computed ones.
	type row struct {
		key  Key
		area int           // the area's place in the view
		obs  []Observation // a country's, in period order
		agg  *aggSeries    // an aggregate's
		n    int           // values
	}
	var rows []row
	place := map[string]int{}
	for i, c := range v.Key[DimArea] {
		place[c] = i
	}
	var periods []Period
	have := map[Period]bool{}
	addPeriod := func(p Period) {
		if !have[p] {
			have[p] = true
			periods = append(periods, p)
		}
	}
	seen := map[Key]int{}
	var computedRates bool
	if len(countries) > 0 {
		err := a.countryObservations(ctx, v, countries, func(o Observation) error {
			i, ok := seen[o.Key]
			if !ok {
				i = len(rows)
				seen[o.Key] = i
				rows = append(rows, row{key: o.Key, area: place[o.Key[DimArea]]})
			}
			rows[i].obs = append(rows[i].obs, o)
			if o.Value != nil {
				rows[i].n++
			}
			addPeriod(o.Period)
			computedRates = computedRates || o.Derived == DerivationComputed
			return nil
		})
		if err != nil {
			return e, err
		}
	}
	for _, c := range countries {
		if !slices.ContainsFunc(rows, func(r row) bool { return r.key[DimArea] == c }) {
			e.Notes = append(e.Notes, fmt.Sprintf("No series of %s matches this view.", a.geo.Name(c)))
		}
	}
	for _, area := range aggregates {
		agg, err := a.aggregation(ctx, v, area)
		if err != nil {
			return e, err
		}
		if len(agg.groups) == 0 {
			e.Notes = append(e.Notes, fmt.Sprintf("No member of %s has data for this view.", a.geo.Name(area)))
			continue
		}
		for _, g := range agg.groups {
			for _, s := range agg.series(g, v.Key[DimUnit]) {
				rows = append(rows, row{key: s.key, area: place[area], agg: s, n: s.values()})
				for i, p := range s.points {
					if s.value(i) != nil {
						addPeriod(p.Period)
					}
				}
			}
		}
	}
	e.Periods = fillPeriods(periods)

	// The rows, in the view's order of areas, then by key; the first
	// MaxSeries are made series and analysed, the others counted.
	slices.SortStableFunc(rows, func(x, y row) int {
		if d := x.area - y.area; d != 0 {
			return d
		}
		return strings.Compare(x.key.String(), y.key.String())
	})
	keys := make([]Key, len(rows))
	for i, r := range rows {
		keys[i] = r.key
		e.Observations += r.n
	}
	labels := labelSeries(keys, a.geo, lists)
	e.SeriesTotal = len(rows)
	e.Cells = len(rows) * len(e.Periods)
	if opts.MaxSeries > 0 && len(rows) > opts.MaxSeries {
		rows, e.Truncated = rows[:opts.MaxSeries], true
	}
	e.Series = make([]Series, len(rows))
	for i, r := range rows {
		if r.agg == nil {
			e.Series[i] = a.countrySeries(f, r.key, r.obs, e.Periods)
		} else {
			e.Series[i] = a.aggregateRow(f, r.agg, e.Periods)
		}
		e.Series[i].Label = labels[i]
	}
	if len(rows) == 0 {
		e.Notes = append(e.Notes, "No observation matches this view.")
	}
	e.Names = codeNames(e.Series, a.geo, lists)

	p := provenanceOf(f)
	switch {
	case len(aggregates) > 0 && computedRates:
		p.Computed = aggregateComputed + "; " + rateComputed
	case len(aggregates) > 0:
		p.Computed = aggregateComputed
	case computedRates:
		p.Computed = rateComputed
	}
	e.Provenance = []Provenance{p}
	if (len(aggregates) > 0 || computedRates) && f.ID != PopulationFlow {
		pf, err := a.store.Dataflow(ctx, PopulationFlow)
		if err != nil {
			return e, err
		}
		e.Provenance = append(e.Provenance, provenanceOf(pf))
	}
	if computedRates {
		e.Notes = append(e.Notes, "Rates marked C were computed by cpcj from the count and the population, where the source gives no rate.")
	}
	return e, nil
}

// What cpcj computed, for provenance.
const (
	rateComputed      = "rates per 100,000 where the source gives none, from the POPULATION dataflow (DERIVATION C)"
	aggregateComputed = "regional aggregates: the sum of the members' counts, and the rate from the population of the members that reported (POPULATION dataflow); " +
		"no imputation (DERIVATION C). The United Kingdom, whose three jurisdictions report apart, counts as their sum where all three reported and it has no figure of its own; " +
		"other sub-national areas (Central Iraq) are in no aggregate. Trends compare only values of the same reporting members"
)

// fillPeriods returns the periods in order and, when they are all of one
// kind, every period between the first and the last, so that a period
// without any value is a gap in the table and the chart.
func fillPeriods(ps []Period) []Period {
	sortPeriods(ps)
	if len(ps) == 0 {
		return []Period{}
	}
	for _, p := range ps {
		if p.Kind != ps[0].Kind {
			return ps
		}
	}
	out := []Period{ps[0]}
	for p := ps[0]; p != ps[len(ps)-1]; {
		p = nextPeriod(p)
		out = append(out, p)
	}
	return out
}

func sortPeriods(ps []Period) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Start().Before(ps[j].Start()) })
}

// nextPeriod returns the period right after p, of the same kind.
func nextPeriod(p Period) Period {
	n := map[byte]int{'Q': 4, 'S': 2, 'M': 12}[p.Kind]
	if n == 0 || p.Sub == n {
		next := Period{Year: p.Year + 1, Kind: p.Kind}
		if n > 0 {
			next.Sub = 1
		}
		return next
	}
	return Period{Year: p.Year, Sub: p.Sub + 1, Kind: p.Kind}
}

// countrySeries makes a stored series (with any computed rates) a row over
// the periods, with its trend.
func (a *Analyst) countrySeries(f Dataflow, key Key, obs []Observation, periods []Period) Series {
	s := newSeries(key, a.geo)
	s.Provenance = provenanceOf(f)
	at := make(map[Period]Observation, len(obs))
	for _, o := range obs {
		at[o.Period] = o
	}
	computed := false
	s.Points = make([]SeriesPoint, len(periods))
	var pts []Point
	for i, p := range periods {
		pt := SeriesPoint{Period: p}
		if o, ok := at[p]; ok {
			pt.Value, pt.Status, pt.Derived, pt.Source, pt.Comment = o.Value, o.Status, o.Derived, o.Source, o.Comment
			computed = computed || o.Derived == DerivationComputed
			pts = append(pts, Point{Period: p, Value: o.Value, Status: o.Status})
		}
		if pt.Value != nil {
			s.Observations++
		}
		s.Points[i] = pt
	}
	if computed {
		s.Provenance.Computed = rateComputed
	}
	s.Trend = seriesTrend(key, pts)
	return s
}

// aggregateRow makes a computed aggregate series a row over the periods,
// with its trend.
func (a *Analyst) aggregateRow(f Dataflow, as *aggSeries, periods []Period) Series {
	s := newSeries(as.key, a.geo)
	s.Aggregate = true
	s.Provenance = provenanceOf(f)
	s.Provenance.Computed = aggregateComputed
	at := make(map[Period]int, len(as.points))
	for i, p := range as.points {
		at[p.Period] = i
	}
	s.Points = make([]SeriesPoint, len(periods))
	for i, p := range periods {
		j, ok := at[p]
		if !ok {
			s.Points[i] = SeriesPoint{Period: p}
			continue
		}
		o := as.observation(j)
		cov := as.points[j].Coverage
		s.Points[i] = SeriesPoint{Period: p, Value: o.Value, Status: o.Status, Derived: o.Derived, Source: o.Source, Comment: o.Comment, Coverage: &cov}
		if o.Value != nil {
			s.Observations++
		}
	}
	s.Trend = seriesTrend(as.key, as.trendPoints())
	return s
}

func newSeries(key Key, g *Geography) Series {
	return Series{Key: key, ID: key.String(), Area: key[DimArea], AreaName: g.Name(key[DimArea]), Aggregate: g.IsAggregate(key[DimArea])}
}

// seriesTrend computes a series' trend figures between its first and its
// last period with a value, from its points in period order.
func seriesTrend(key Key, pts []Point) Trend {
	var first, last Period
	for _, p := range pts {
		if p.Value != nil {
			if first.IsZero() {
				first = p.Period
			}
			last = p.Period
		}
	}
	var t Trend
	if first == last {
		t = Trend{From: first, To: last, MovingAverage: MovingAverage(pts)}
		t.Refusals = []string{"no trend: the series has fewer than two values"}
	} else {
		t = trendOf(pts, first, last)
	}
	t.Key, t.Series = key, key.String()
	return t
}

// labelSeries names each series by its codes in the dimensions whose code
// differs between series; a lone series by its area.
func labelSeries(keys []Key, g *Geography, lists []Codelist) []string {
	var vary []int
	for i := range Dimensions {
		for _, k := range keys {
			if k[i] != keys[0][i] {
				vary = append(vary, i)
				break
			}
		}
	}
	name := namer(g, lists)
	out := make([]string, len(keys))
	for j, k := range keys {
		if len(vary) == 0 {
			out[j] = g.Name(k[DimArea])
			continue
		}
		parts := make([]string, len(vary))
		for n, i := range vary {
			parts[n] = name(i, k[i])
		}
		out[j] = strings.Join(parts, " · ")
	}
	return out
}

// namer returns the name of a code of a dimension (by its place in the
// key), or the code itself.
func namer(g *Geography, lists []Codelist) func(dim int, code string) string {
	byID := make(map[string]Codelist, len(lists))
	for _, cl := range lists {
		byID[cl.ID] = cl
	}
	return func(dim int, code string) string {
		if dim == DimArea {
			return g.Name(code)
		}
		return byID[Dimensions[dim].Codelist].CodeName(code)
	}
}

// codeNames returns the names of the codes the series use, by dimension.
func codeNames(all []Series, g *Geography, lists []Codelist) map[string]map[string]string {
	name := namer(g, lists)
	out := map[string]map[string]string{}
	for i, d := range Dimensions {
		m := map[string]string{}
		for _, s := range all {
			m[s.Key[i]] = name(i, s.Key[i])
		}
		out[d.ID] = m
	}
	return out
}
