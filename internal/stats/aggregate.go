package stats

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Geography says which countries and territories make up each aggregate
// area: the UN M49 world, regions and sub-regions (through the parents of
// CL_AREA) and the UN regional groups (through the participants' groups).
type Geography struct {
	parent map[string]string
	group  map[string]string // area → regional group
	groups map[string]bool
	names  map[string]string
	order  []string // CL_AREA order
	kids   map[string]bool
	parts  map[string][]string // a country → the parts that report apart and together make it up
}

// wholeParts are the countries whose parts report apart in the sources and
// together make up the whole: the three jurisdictions of the United
// Kingdom in UN-CTS. Central Iraq (IRQ_C) is not the whole of Iraq, so it
// is not here, and, like every sub-national area, it is in no aggregate.
var wholeParts = map[string][]string{"GBR": {"GBR_E_W", "GBR_NI", "GBR_S"}}

// NewGeography builds the geography from CL_AREA and the regional group of
// each participant (code → AG, APG, EEG, GRULAC or WEOG).
func NewGeography(area Codelist, groupOf map[string]string) *Geography {
	g := &Geography{parent: map[string]string{}, group: groupOf, groups: map[string]bool{}, names: map[string]string{},
		kids: map[string]bool{}, parts: map[string][]string{}}
	for _, c := range area.Codes {
		g.parent[c.ID] = c.Parent
		g.names[c.ID] = c.Name
		g.order = append(g.order, c.ID)
		if c.Parent != "" {
			g.kids[c.Parent] = true
		}
	}
	for _, grp := range groupOf {
		g.groups[grp] = true
	}
	for whole, parts := range wholeParts {
		if _, ok := g.names[whole]; ok && !slices.ContainsFunc(parts, func(p string) bool { _, ok := g.names[p]; return !ok }) {
			g.parts[whole] = parts
		}
	}
	return g
}

// IsAggregate reports whether the code is a region or group.
func (g *Geography) IsAggregate(code string) bool { return g.kids[code] || g.groups[code] }

// Name returns the name of an area.
func (g *Geography) Name(code string) string {
	if n, ok := g.names[code]; ok {
		return n
	}
	return code
}

// Members returns the countries and territories of an aggregate, in
// CL_AREA order: for an M49 area those below it, for a regional group its
// members. Areas outside every M49 region (the European Union, sub-national
// units) are in no aggregate, so nothing is counted twice; the parts of a
// member that report apart count as the member (see wholeParts).
func (g *Geography) Members(code string) []string {
	var out []string
	for _, c := range g.order {
		if g.IsAggregate(c) {
			continue
		}
		if g.groups[code] {
			if g.group[c] == code {
				out = append(out, c)
			}
			continue
		}
		for p := g.parent[c]; p != ""; p = g.parent[p] {
			if p == code {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// Coverage says how much of an aggregate its figure covers.
type Coverage struct {
	Members   int      `json:"members"`   // countries and territories in the aggregate
	Reporting []string `json:"reporting"` // those with a value for the period
	// PopulationShare is the share of the aggregate's population living in
	// the reporting areas that have a population figure, 0 to 1; the
	// aggregate's population is that of the members with a figure.
	PopulationShare float64 `json:"population_share"`
	// NoPopulation lists members without a population figure for the
	// period: they count in neither part of the share.
	NoPopulation []string `json:"no_population,omitempty"`
	// Summed lists the reporting members whose value is the sum of their
	// parts, which report apart, for want of one of their own: the United
	// Kingdom's three jurisdictions.
	Summed []string `json:"summed_from_parts,omitempty"`
	// Breaks lists the reporting members whose own series breaks in the
	// period (status B).
	Breaks []string `json:"breaks,omitempty"`
}

// Aggregated is the figure of an aggregate area for one series and period.
type Aggregated struct {
	Area   string `json:"area"`
	Key    Key    `json:"-"` // the series key, REF_AREA being the aggregate, UNIT_MEASURE NB
	Period Period `json:"period"`
	// Count is the sum of the counts of the reporting members; nil if none
	// reported.
	Count *float64 `json:"count"`
	// Rate is per 100,000 population: the sum of the counts of the reporting
	// members that have a population figure, over the sum of their
	// population; nil if there are none.
	Rate     *float64 `json:"rate"`
	Coverage Coverage `json:"coverage"`
	Sources  []string `json:"sources,omitempty"` // the SOURCE_DETAIL of the counts summed
	Note     string   `json:"note"`
}

// Aggregate computes the count and rate of an aggregate area (M49 region,
// regional group or world "001") for one period from the counts of its
// members, with coverage; nothing is imputed for members that did not
// report. counts holds observations of one series apart from REF_AREA, in
// unit NB; others are ignored, as are counts of other periods and of areas
// outside the aggregate. It is the computation of every aggregate cpcj
// shows, one period of one series at a time.
func Aggregate(g *Geography, area string, period Period, counts []Observation, pop Populations) (Aggregated, error) {
	ag, err := newAggregator(g, area, pop)
	if err != nil {
		return Aggregated{Area: area, Period: period}, err
	}
	var c aggCell
	var key Key
	for _, o := range counts {
		if o.Key[DimUnit] != UnitNumber || o.Period != period {
			continue
		}
		if key[0] == "" && ag.counts(o.Key[DimArea]) {
			key = o.Key
			key[DimArea] = area
		}
		if err := ag.add(&c, o); err != nil {
			return Aggregated{Area: area, Period: period}, err
		}
	}
	return ag.point(&c, key, period).Aggregated, nil
}

// aggregator adds up the counts of an aggregate's members, one period of
// one series (a cell) at a time, from observations as they stream from the
// store: a cell keeps the members' values, not their observations, and
// the members and population totals are worked out once per aggregate.
type aggregator struct {
	geo     *Geography
	area    string
	members []string
	in      map[string]bool   // the members
	whole   map[string]string // a part of a member → the member
	pop     Populations
	totals  map[Period]popTotal
	interns map[string]string // statuses and sources, kept once
}

// popTotal is the population of an aggregate's members in a period.
type popTotal struct {
	sum     float64
	missing []string // members without a figure
}

func newAggregator(g *Geography, area string, pop Populations) (*aggregator, error) {
	if !g.IsAggregate(area) {
		return nil, fmt.Errorf("%s is not a region or group", area)
	}
	ag := &aggregator{geo: g, area: area, members: g.Members(area), in: map[string]bool{}, whole: map[string]string{},
		pop: pop, totals: map[Period]popTotal{}, interns: map[string]string{}}
	for _, m := range ag.members {
		ag.in[m] = true
		for _, p := range g.parts[m] {
			ag.whole[p] = m
		}
	}
	return ag, nil
}

// areas are the areas whose counts make up the aggregate: its members and
// their parts.
func (ag *aggregator) areas() []string {
	out := slices.Clone(ag.members)
	for _, m := range ag.members {
		out = append(out, ag.geo.parts[m]...)
	}
	return out
}

// counts reports whether an area's counts go into the aggregate.
func (ag *aggregator) counts(area string) bool { return ag.in[area] || ag.whole[area] != "" }

// aggCell is what is known of one period of one series of an aggregate:
// the values of its members and of their parts.
type aggCell struct{ values []memberValue }

type memberValue struct {
	area, status, source string
	value                float64
}

// add takes an observation into the cell: a value of a member or of a
// part of one. Other areas and missing values are left out.
func (ag *aggregator) add(c *aggCell, o Observation) error {
	if o.Value == nil || !ag.counts(o.Key[DimArea]) {
		return nil
	}
	area := o.Key[DimArea]
	if slices.ContainsFunc(c.values, func(v memberValue) bool { return v.area == area }) {
		return fmt.Errorf("two counts for %s in %s: aggregate one series at a time", area, o.Period)
	}
	c.values = append(c.values, memberValue{area: area, status: ag.intern(o.Status), source: ag.intern(o.Source), value: *o.Value})
	return nil
}

func (ag *aggregator) intern(s string) string {
	if v, ok := ag.interns[s]; ok {
		return v
	}
	ag.interns[s] = s
	return s
}

// total returns the population of the members in a period, worked out
// once.
func (ag *aggregator) total(p Period) popTotal {
	if t, ok := ag.totals[p]; ok {
		return t
	}
	var t popTotal
	for _, m := range ag.members {
		if n, ok := ag.pop.Get(m, p); ok {
			t.sum += n
		} else {
			t.missing = append(t.missing, m)
		}
	}
	ag.totals[p] = t
	return t
}

// aggPoint is an aggregate's figures for one period of one series, with
// what the status of its count and rate is made from.
type aggPoint struct {
	Aggregated
	// status is E when a reporting member's value is an estimate, else P
	// when one is provisional, else A; M when no member reported. Whether
	// the point breaks the series (B) depends on the one before it: see
	// aggSeries.
	status string
	// rateMembers are the reporting members with a population figure:
	// those the rate sums.
	rateMembers []string
}

// point computes the aggregate's figures from a cell: the values of its
// members, a member without one of its own counting as the sum of its
// parts when they all reported.
func (ag *aggregator) point(c *aggCell, key Key, period Period) aggPoint {
	a := aggPoint{Aggregated: Aggregated{Area: ag.area, Key: key, Period: period}, status: StatusMissing}
	a.Coverage.Members = len(ag.members)
	a.Coverage.Reporting = []string{}
	var reporting []memberValue
	parts := map[string][]memberValue{}
	for _, v := range c.values {
		if ag.in[v.area] {
			reporting = append(reporting, v)
		} else {
			parts[ag.whole[v.area]] = append(parts[ag.whole[v.area]], v)
		}
	}
	for whole, vs := range parts {
		if len(vs) != len(ag.geo.parts[whole]) || slices.ContainsFunc(reporting, func(v memberValue) bool { return v.area == whole }) {
			continue
		}
		sum := memberValue{area: whole, status: StatusNormal}
		var sources []string
		for _, v := range vs {
			sum.value += v.value
			sum.status = strongerStatus(sum.status, v.status)
			if v.source != "" && !slices.Contains(sources, v.source) {
				sources = append(sources, v.source)
			}
		}
		sort.Strings(sources)
		sum.source = strings.Join(sources, ", ")
		reporting = append(reporting, sum)
		a.Coverage.Summed = append(a.Coverage.Summed, whole)
	}
	sort.Slice(reporting, func(i, j int) bool { return reporting[i].area < reporting[j].area })
	sort.Strings(a.Coverage.Summed)
	total := ag.total(period)
	a.Coverage.NoPopulation = total.missing
	name := ag.geo.Name(ag.area)
	if len(reporting) == 0 {
		a.Note = fmt.Sprintf("None of the %d members of %s reported for %s.", len(ag.members), name, period)
		return a
	}
	a.status = StatusNormal
	var sum, sumWithPop, popReporting float64
	sources := map[string]bool{}
	for _, v := range reporting {
		a.Coverage.Reporting = append(a.Coverage.Reporting, v.area)
		sum += v.value
		a.status = strongerStatus(a.status, v.status)
		if v.status == StatusBreak || (a.isSummed(v.area) && slices.ContainsFunc(parts[v.area], func(p memberValue) bool { return p.status == StatusBreak })) {
			a.Coverage.Breaks = append(a.Coverage.Breaks, v.area)
		}
		for s := range strings.SplitSeq(v.source, ", ") {
			if s != "" {
				sources[s] = true
			}
		}
		if n, ok := ag.pop.Get(v.area, period); ok {
			sumWithPop += v.value
			popReporting += n
			a.rateMembers = append(a.rateMembers, v.area)
		}
	}
	for s := range sources {
		a.Sources = append(a.Sources, s)
	}
	sort.Strings(a.Sources)
	a.Count = &sum
	if total.sum > 0 {
		a.Coverage.PopulationShare = popReporting / total.sum
	}
	if len(a.rateMembers) > 0 {
		r := sumWithPop / popReporting * 100000
		a.Rate = &r
	}
	a.Note = fmt.Sprintf("%d of %d members of %s reported for %s, %.1f%% of its population; no value is imputed for the others.",
		len(reporting), len(ag.members), name, period, 100*a.Coverage.PopulationShare)
	for _, w := range a.Coverage.Summed {
		a.Note += fmt.Sprintf(" %s: the sum of its parts, which report apart.", ag.geo.Name(w))
	}
	return a
}

func (a *aggPoint) isSummed(area string) bool { return slices.Contains(a.Coverage.Summed, area) }

// strongerStatus returns the status an aggregate takes from two of its
// members' values: an estimate makes the sum one, else a provisional value
// makes it provisional. A break is not passed on: see aggSeries.
func strongerStatus(a, b string) string {
	rank := func(s string) int {
		switch s {
		case StatusEstimated:
			return 2
		case StatusProvisional:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
