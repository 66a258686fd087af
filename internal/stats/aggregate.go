package stats

import (
	"fmt"
	"sort"
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
}

// NewGeography builds the geography from CL_AREA and the regional group of
// each participant (code → AG, APG, EEG, GRULAC or WEOG).
func NewGeography(area Codelist, groupOf map[string]string) *Geography {
	g := &Geography{parent: map[string]string{}, group: groupOf, groups: map[string]bool{}, names: map[string]string{}, kids: map[string]bool{}}
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
// units) are in no aggregate, so nothing is counted twice.
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
// outside the aggregate.
func Aggregate(g *Geography, area string, period Period, counts []Observation, pop Populations) (Aggregated, error) {
	a := Aggregated{Area: area, Period: period}
	if !g.IsAggregate(area) {
		return a, fmt.Errorf("%s is not a region or group", area)
	}
	members := g.Members(area)
	in := make(map[string]bool, len(members))
	for _, m := range members {
		in[m] = true
	}
	a.Coverage.Members = len(members)
	var sum, sumWithPop, popReporting, popAll float64
	reported := map[string]bool{}
	sources := map[string]bool{}
	withPop := 0
	for _, o := range counts {
		if o.Key[9] != UnitNumber || o.Period != period || !in[o.Key[1]] || o.Value == nil {
			continue
		}
		if a.Key[0] == "" {
			a.Key = o.Key
			a.Key[1] = area
		}
		if reported[o.Key[1]] {
			return a, fmt.Errorf("two counts for %s in %s: aggregate one series at a time", o.Key[1], period)
		}
		reported[o.Key[1]] = true
		a.Coverage.Reporting = append(a.Coverage.Reporting, o.Key[1])
		sum += *o.Value
		if o.Source != "" {
			sources[o.Source] = true
		}
		if n, ok := pop.Get(o.Key[1], period); ok {
			sumWithPop += *o.Value
			popReporting += n
			withPop++
		}
	}
	for _, m := range members {
		if n, ok := pop.Get(m, period); ok {
			popAll += n
		} else {
			a.Coverage.NoPopulation = append(a.Coverage.NoPopulation, m)
		}
	}
	sort.Strings(a.Coverage.Reporting)
	for s := range sources {
		a.Sources = append(a.Sources, s)
	}
	sort.Strings(a.Sources)
	if len(reported) == 0 {
		a.Note = fmt.Sprintf("None of the %d members of %s reported for %s.", len(members), g.Name(area), period)
		return a, nil
	}
	c := sum
	a.Count = &c
	if popAll > 0 {
		a.Coverage.PopulationShare = popReporting / popAll
	}
	if withPop > 0 {
		r := sumWithPop / popReporting * 100000
		a.Rate = &r
	}
	a.Note = fmt.Sprintf("%d of %d members of %s reported for %s, %.1f%% of its population; no value is imputed for the others.",
		len(reported), len(members), g.Name(area), period, 100*a.Coverage.PopulationShare)
	return a, nil
}
