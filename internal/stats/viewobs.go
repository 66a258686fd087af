package stats

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sort"
	"strings"

	"github.com/cpcj/cpcj/internal/fail"
)

// MaxReads is the most stored observations a view may read when cpcj
// computes figures from them (an aggregate, rates, or any exploration):
// those are worked out in memory before the first is given. The world
// over a dataflow of a million observations took tens of seconds and
// hundreds of megabytes; this many take about a second and some tens of
// megabytes. Views of stored figures only (countries, without computed
// rates) stream from the store, and their downloads have no such limit.
const MaxReads = 200_000

// Computes reports whether the observations of a view hold figures cpcj
// computes rather than stores: aggregates, or rates where the view names
// unit RT100K. A view that computes nothing is a plain store query.
func (a *Analyst) Computes(v View) bool {
	if slices.Contains(v.Key[DimUnit], UnitRate) {
		return true
	}
	return slices.ContainsFunc(v.Key[DimArea], a.geo.IsAggregate)
}

// splitAreas parts the view's areas into countries (and other areas with
// stored data) and aggregates, each in the view's order.
func (a *Analyst) splitAreas(v View) (countries, aggregates []string) {
	for _, c := range v.Key[DimArea] {
		if a.geo.IsAggregate(c) {
			aggregates = append(aggregates, c)
		} else {
			countries = append(countries, c)
		}
	}
	return countries, aggregates
}

// reads returns how many stored observations the figures of a view are
// computed from: its countries' (with the counts their computed rates
// need) and every member's of each of its aggregates. It counts no further
// than most, when above zero, and then returns most+1.
func (a *Analyst) reads(ctx context.Context, v View, most int) (int, error) {
	countries, aggregates := a.splitAreas(v)
	var queries []Query
	if len(countries) > 0 || len(aggregates) == 0 {
		q := v.Query(countries)
		if units := q.Key[DimUnit]; slices.Contains(units, UnitRate) && !slices.Contains(units, UnitNumber) {
			q.Key[DimUnit] = append(slices.Clip(units), UnitNumber)
		}
		queries = append(queries, q)
	}
	for _, area := range aggregates {
		ag, err := newAggregator(a.geo, area, nil)
		if err != nil {
			return 0, err
		}
		if len(ag.members) > 0 {
			queries = append(queries, aggregateQuery(v, ag))
		}
	}
	n := 0
	for _, q := range queries {
		if most > 0 {
			q.Limit = most + 1 - n
		}
		c, err := a.store.CountObservations(ctx, q)
		if err != nil {
			return 0, err
		}
		if n += c; most > 0 && n > most {
			return most + 1, nil
		}
	}
	return n, nil
}

// CheckReads refuses, with a field error for "area", a view whose figures
// would be computed from more than MaxReads stored observations.
func (a *Analyst) CheckReads(ctx context.Context, v View) error {
	n, err := a.reads(ctx, v, a.maxReads)
	if err != nil || n <= a.maxReads {
		return err
	}
	return fail.Field("area", "This view computes its figures from more than %d stored observations, the most cpcj computes from at a time. "+
		"Narrow it: fewer or smaller regions, codes for the other dimensions (indicator, ICCS category, sex, …), or fewer years. "+
		"Stored figures of countries, without computed rates, download whole.", a.maxReads)
}

// Observations streams the observations of a view as the explorer shows
// them and the downloads carry them: first the stored observations of its
// countries (of every area when it names none), with, when the view names
// unit RT100K, rates computed from counts and population where the source
// gives none (DERIVATION C; see Rates); then the computed observations of
// each aggregate the view names, for each period at least one member
// reported, with DERIVATION C, the members' sources, and the coverage in
// COMMENT. A view that computes nothing (see Computes) streams straight
// from the store, whatever its size; one that computes is refused, with a
// field error for "area", if it reads more than MaxReads observations.
// Computing rates holds one area's observations at a time; an aggregate,
// its members' values.
func (a *Analyst) Observations(ctx context.Context, v View) iter.Seq2[Observation, error] {
	return func(yield func(Observation, error) bool) {
		errStop := errors.New("stopped")
		emit := func(o Observation) error {
			if !yield(o, nil) {
				return errStop
			}
			return nil
		}
		if err := a.viewObservations(ctx, v, emit); err != nil && err != errStop {
			yield(Observation{}, err)
		}
	}
}

func (a *Analyst) viewObservations(ctx context.Context, v View, fn func(Observation) error) error {
	if a.Computes(v) {
		if err := a.CheckReads(ctx, v); err != nil {
			return err
		}
	}
	countries, aggregates := a.splitAreas(v)
	if len(countries) > 0 || len(aggregates) == 0 {
		if err := a.countryObservations(ctx, v, countries, fn); err != nil {
			return err
		}
	}
	for _, area := range aggregates {
		agg, err := a.aggregation(ctx, v, area)
		if err != nil {
			return err
		}
		for _, g := range agg.groups {
			for _, s := range agg.series(g, v.Key[DimUnit]) {
				for i := range s.points {
					o := s.observation(i)
					if o.Value == nil {
						continue // no member reported: nothing to give
					}
					if err := fn(o); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// countryObservations streams the stored observations of the view for the
// areas given (every area when none), with computed rates when the view
// names unit RT100K.
func (a *Analyst) countryObservations(ctx context.Context, v View, areas []string, fn func(Observation) error) error {
	units := v.Key[DimUnit]
	if !slices.Contains(units, UnitRate) {
		return a.store.Observations(ctx, v.Query(areas), fn)
	}
	// Rates come from counts: read them too, then keep the units asked.
	if len(areas) == 0 {
		for _, c := range a.geo.order {
			if !a.geo.IsAggregate(c) {
				areas = append(areas, c)
			}
		}
	}
	pop, err := a.populations(ctx, areas, v.Start, v.End)
	if err != nil {
		return err
	}
	for _, area := range areas {
		q := v.Query([]string{area})
		if !slices.Contains(units, UnitNumber) {
			q.Key[DimUnit] = append(slices.Clip(units), UnitNumber)
		}
		stored, err := a.collect(ctx, q)
		if err != nil {
			return err
		}
		for _, o := range withRates(stored, Rates(stored, pop)) {
			if !slices.Contains(units, o.Key[DimUnit]) {
				continue
			}
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// withRates merges computed rates into stored observations: a computed
// rate takes the place of a stored rate of the same series and period
// without a value (status M), and goes beside the others. The result is
// ordered by key and period.
func withRates(stored, computed []Observation) []Observation {
	type at struct {
		key    Key
		period Period
	}
	byAt := make(map[at]Observation, len(computed))
	for _, o := range computed {
		byAt[at{o.Key, o.Period}] = o
	}
	out := make([]Observation, 0, len(stored)+len(computed))
	for _, o := range stored {
		if c, ok := byAt[at{o.Key, o.Period}]; ok && o.Value == nil {
			delete(byAt, at{o.Key, o.Period})
			o = c
		}
		out = append(out, o)
	}
	for _, o := range computed {
		if _, ok := byAt[at{o.Key, o.Period}]; ok {
			out = append(out, o)
		}
	}
	sortObservations(out)
	return out
}

// aggregation is an aggregate's figures for every series its members'
// counts in a view make up.
type aggregation struct {
	flow   string
	ag     *aggregator
	groups []*aggGroup // by key
}

// aggGroup is the members' values of one series, REF_AREA aside, by
// period.
type aggGroup struct {
	key   Key // REF_AREA is the aggregate; UNIT_MEASURE that of the counts
	cells map[Period]*aggCell
}

// aggregateQuery is the store query of the counts that make up an
// aggregate's figures in a view: unit NB, and the POPULATION dataflow's
// persons (PS), which add up the same way.
func aggregateQuery(v View, ag *aggregator) Query {
	q := v.Query(ag.areas())
	q.Key[DimUnit] = []string{UnitNumber, UnitPersons}
	return q
}

// aggregation reads the members' counts that the view selects, a value
// at a time, and their population.
func (a *Analyst) aggregation(ctx context.Context, v View, area string) (*aggregation, error) {
	ag, err := newAggregator(a.geo, area, nil)
	if err != nil {
		return nil, err
	}
	out := &aggregation{flow: v.Flow, ag: ag}
	if len(ag.members) == 0 {
		return out, nil
	}
	idx := map[Key]*aggGroup{}
	err = a.store.Observations(ctx, aggregateQuery(v, ag), func(o Observation) error {
		if o.Value == nil {
			return nil
		}
		k := o.Key
		k[DimArea] = area
		g, ok := idx[k]
		if !ok {
			g = &aggGroup{key: k, cells: map[Period]*aggCell{}}
			idx[k] = g
			out.groups = append(out.groups, g)
		}
		c, ok := g.cells[o.Period]
		if !ok {
			c = &aggCell{}
			g.cells[o.Period] = c
		}
		return ag.add(c, o)
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out.groups, func(i, j int) bool { return out.groups[i].key.String() < out.groups[j].key.String() })
	if len(out.groups) > 0 {
		if ag.pop, err = a.populations(ctx, ag.members, v.Start, v.End); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// aggSeries is one computed series of an aggregate: a point for each
// period some member has a value for, in order.
type aggSeries struct {
	flow   string
	key    Key
	points []aggPoint
	rate   bool // the rate per 100,000, not the sum
	status []string
}

// series computes an aggregate's series for one group of counts: the
// count (unit NB, or PS for population) and the rate per 100,000
// (RT100K), as the view's units ask (both when it names none).
func (agg *aggregation) series(g *aggGroup, units []string) []*aggSeries {
	want := func(u string) bool { return len(units) == 0 || slices.Contains(units, u) }
	periods := make([]Period, 0, len(g.cells))
	for p := range g.cells {
		periods = append(periods, p)
	}
	sortPeriods(periods)
	points := make([]aggPoint, len(periods))
	for i, p := range periods {
		points[i] = agg.ag.point(g.cells[p], g.key, p)
	}
	var out []*aggSeries
	if want(g.key[DimUnit]) {
		out = append(out, newAggSeries(agg.flow, g.key, points, false))
	}
	if g.key[DimUnit] != UnitPersons && want(UnitRate) {
		k := g.key
		k[DimUnit] = UnitRate
		out = append(out, newAggSeries(agg.flow, k, points, true))
	}
	return out
}

// newAggSeries gives each point its status: B where its value is not
// comparable with the last one before it (see comparable), else the
// strongest of its members' (E, then P), or M without a value.
func newAggSeries(flow string, key Key, points []aggPoint, rate bool) *aggSeries {
	s := &aggSeries{flow: flow, key: key, points: points, rate: rate, status: make([]string, len(points))}
	tp := s.trendPoints()
	last := -1
	for i := range points {
		v := s.value(i)
		switch {
		case v == nil:
			s.status[i] = StatusMissing
			continue
		case last >= 0 && comparable(tp, points[last].Period, points[i].Period) != nil:
			s.status[i] = StatusBreak
		default:
			s.status[i] = points[i].status
		}
		last = i
	}
	return s
}

// value is the series' value at a point.
func (s *aggSeries) value(i int) *float64 {
	if s.rate {
		return s.points[i].Rate
	}
	return s.points[i].Count
}

// values counts the points with a value.
func (s *aggSeries) values() int {
	n := 0
	for i := range s.points {
		if s.value(i) != nil {
			n++
		}
	}
	return n
}

// members are the members whose values make up the series' value at a
// point: the reporting members, and for a rate those with a population.
func (s *aggSeries) members(i int) []string {
	if s.rate {
		return s.points[i].rateMembers
	}
	return s.points[i].Coverage.Reporting
}

// trendPoints are the series' points for trend analysis, with the members
// that make up each value, so that values of different sets of members
// are not compared.
func (s *aggSeries) trendPoints() []Point {
	out := make([]Point, len(s.points))
	for i, p := range s.points {
		out[i] = Point{Period: p.Period, Value: s.value(i), Members: s.members(i), Breaks: p.Coverage.Breaks}
		if out[i].Members == nil {
			out[i].Members = []string{}
		}
	}
	return out
}

// observation is the series' point as an observation.
func (s *aggSeries) observation(i int) Observation {
	p := s.points[i]
	return Observation{Flow: s.flow, Key: s.key, Period: p.Period, Value: s.value(i), Status: s.status[i],
		Source: strings.Join(p.Sources, ", "), Comment: p.Note, Derived: DerivationComputed}
}
