package stats

import "sort"

// Units of measure of cpcj's code list.
const (
	UnitNumber  = "NB"     // a count
	UnitRate    = "RT100K" // per 100,000 population
	UnitPersons = "PS"     // persons (population)
)

// PopulationFlow is the dataflow that holds the denominators of rates.
const PopulationFlow = "POPULATION"

// Populations are population figures by area and period: the denominators
// of the rates cpcj computes.
type Populations map[string]map[Period]float64

// NewPopulations indexes observations of the POPULATION dataflow (or any
// observations in persons); missing values are left out.
func NewPopulations(obs []Observation) Populations {
	p := Populations{}
	for _, o := range obs {
		if o.Value == nil || o.Key[DimUnit] != UnitPersons {
			continue
		}
		area := o.Key[DimArea]
		if p[area] == nil {
			p[area] = map[Period]float64{}
		}
		p[area][o.Period] = *o.Value
	}
	return p
}

// Get returns the population of an area in a period.
func (p Populations) Get(area string, period Period) (float64, bool) {
	v, ok := p[area][period]
	return v, ok && v > 0
}

// RateComment is the comment of a rate cpcj computed.
const RateComment = "Rate per 100,000 population computed by cpcj from the count and the population (World Bank, POPULATION dataflow)."

// Rates computes rates per 100,000 population from the counts among obs,
// for each count whose series and period have no rate in obs with a value
// (the source's rates are never replaced). A computed rate has the count's
// key with UNIT_MEASURE RT100K, DERIVATION C, the count's status and
// source, and a comment saying how it was made. Counts without a value, or
// whose area has no population for the period, give no rate. The result is
// ordered by key and period.
func Rates(obs []Observation, pop Populations) []Observation {
	have := map[string]bool{}
	for _, o := range obs {
		if o.Key[DimUnit] == UnitRate && o.Value != nil {
			have[o.Key.String()+"|"+o.Period.String()] = true
		}
	}
	var out []Observation
	for _, o := range obs {
		if o.Key[DimUnit] != UnitNumber || o.Value == nil {
			continue
		}
		k := o.Key
		k[DimUnit] = UnitRate
		if have[k.String()+"|"+o.Period.String()] {
			continue
		}
		n, ok := pop.Get(k[DimArea], o.Period)
		if !ok {
			continue
		}
		v := *o.Value / n * 100000
		out = append(out, Observation{Flow: o.Flow, Key: k, Period: o.Period, Value: &v, Status: o.Status,
			Source: o.Source, Comment: RateComment, Derived: DerivationComputed})
	}
	sortObservations(out)
	return out
}

func sortObservations(obs []Observation) {
	sort.Slice(obs, func(i, j int) bool {
		if a, b := obs[i].Key.String(), obs[j].Key.String(); a != b {
			return a < b
		}
		return obs[i].Period.Start().Before(obs[j].Period.Start())
	})
}
