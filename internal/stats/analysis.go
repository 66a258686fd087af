package stats

import (
	"context"
	"fmt"
)

// Provenance says where figures come from, to be shown with them.
type Provenance struct {
	Flow      string `json:"flow"`
	Source    string `json:"source"`
	SourceURL string `json:"source_url"`
	Licence   string `json:"licence"`
	DataAsOf  string `json:"data_as_of"`
	// Computed names what cpcj computed from the source figures, if
	// anything, and from which dataflows.
	Computed string `json:"computed,omitempty"`
}

func provenanceOf(f Dataflow) Provenance {
	return Provenance{Flow: f.ID, Source: f.Source, SourceURL: f.SourceURL, Licence: f.Licence, DataAsOf: f.DataAsOf}
}

// Analyst answers analysis questions from a store: the pure functions of
// this package (Rates, Aggregate, TrendOf, GenderView) over the stored
// observations, with their provenance.
type Analyst struct {
	store Store
	geo   *Geography
}

// NewAnalyst reads CL_AREA from the store; groupOf gives each participant's
// UN regional group.
func NewAnalyst(ctx context.Context, s Store, groupOf map[string]string) (*Analyst, error) {
	lists, err := s.Codelists(ctx)
	if err != nil {
		return nil, err
	}
	for _, cl := range lists {
		if cl.ID == "CL_AREA" {
			return &Analyst{store: s, geo: NewGeography(cl, groupOf)}, nil
		}
	}
	return nil, fmt.Errorf("the store has no CL_AREA code list")
}

// Geography returns the geography the analyst aggregates by.
func (a *Analyst) Geography() *Geography { return a.geo }

func (a *Analyst) collect(ctx context.Context, q Query) ([]Observation, error) {
	var out []Observation
	err := a.store.Observations(ctx, q, func(o Observation) error {
		out = append(out, o)
		return nil
	})
	return out, err
}

// populations reads the population of the areas for the periods.
func (a *Analyst) populations(ctx context.Context, areas []string, start, end Period) (Populations, error) {
	q := Query{Flow: PopulationFlow, Start: start, End: end}
	q.Key[1] = areas
	q.Key[2] = []string{"POP"}
	q.Key[9] = []string{UnitPersons}
	obs, err := a.collect(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewPopulations(obs), nil
}

// RatesResult is the stored observations of a query with the rates cpcj
// computed where the source gives none.
type RatesResult struct {
	Provenance Provenance    `json:"provenance"`
	Source     []Observation `json:"source"`   // as stored
	Computed   []Observation `json:"computed"` // DERIVATION C
}

// Rates reads the observations a query selects, counts and rates alike,
// and computes rates per 100,000 for the counts that have no source rate.
func (a *Analyst) Rates(ctx context.Context, q Query) (RatesResult, error) {
	var r RatesResult
	f, err := a.store.Dataflow(ctx, q.Flow)
	if err != nil {
		return r, err
	}
	r.Provenance = provenanceOf(f)
	r.Provenance.Computed = "rates per 100,000 where the source gives none, from the POPULATION dataflow (DERIVATION C)"
	q.Key[9] = nil // both units, so that source rates are seen
	if r.Source, err = a.collect(ctx, q); err != nil {
		return r, err
	}
	areas := map[string]bool{}
	for _, o := range r.Source {
		areas[o.Key[1]] = true
	}
	list := make([]string, 0, len(areas))
	for c := range areas {
		list = append(list, c)
	}
	if len(list) == 0 {
		return r, nil
	}
	pop, err := a.populations(ctx, list, q.Start, q.End)
	if err != nil {
		return r, err
	}
	r.Computed = Rates(r.Source, pop)
	return r, nil
}

// AggregateSeries is an aggregate area's figures over a span of periods.
type AggregateSeries struct {
	Provenance Provenance   `json:"provenance"`
	Area       string       `json:"area"`
	AreaName   string       `json:"area_name"`
	Points     []Aggregated `json:"points"`
}

// Aggregate computes an aggregate area's count and rate for each period
// from start to end (years), for the series key given (its REF_AREA and
// UNIT_MEASURE are ignored: the members' counts are summed).
func (a *Analyst) Aggregate(ctx context.Context, flow string, key Key, area string, start, end Period) (AggregateSeries, error) {
	s := AggregateSeries{Area: area, AreaName: a.geo.Name(area)}
	if !a.geo.IsAggregate(area) {
		return s, fmt.Errorf("%s is not a region or group", area)
	}
	if start.Kind != 'A' || end.Kind != 'A' || end.Year < start.Year {
		return s, fmt.Errorf("aggregates are by year: give a first and a last year")
	}
	f, err := a.store.Dataflow(ctx, flow)
	if err != nil {
		return s, err
	}
	s.Provenance = provenanceOf(f)
	s.Provenance.Computed = "sum of the members' counts; rate from the population of the members that reported (POPULATION dataflow); no imputation"
	members := a.geo.Members(area)
	q := Query{Flow: flow, Start: start, End: end}
	for i, c := range key {
		if c != "" {
			q.Key[i] = []string{c}
		}
	}
	q.Key[1] = members
	q.Key[9] = []string{UnitNumber}
	counts, err := a.collect(ctx, q)
	if err != nil {
		return s, err
	}
	pop, err := a.populations(ctx, members, start, end)
	if err != nil {
		return s, err
	}
	for y := start.Year; y <= end.Year; y++ {
		p, err := Aggregate(a.geo, area, Period{Year: y, Kind: 'A'}, counts, pop)
		if err != nil {
			return s, err
		}
		s.Points = append(s.Points, p)
	}
	return s, nil
}

// Trend computes the trend figures of one stored series between two
// periods.
func (a *Analyst) Trend(ctx context.Context, flow string, key Key, from, to Period) (Trend, Provenance, error) {
	f, err := a.store.Dataflow(ctx, flow)
	if err != nil {
		return Trend{}, Provenance{}, err
	}
	q := Query{Flow: flow}
	for i, c := range key {
		q.Key[i] = []string{c}
	}
	obs, err := a.collect(ctx, q)
	if err != nil {
		return Trend{}, Provenance{}, err
	}
	t := TrendOf(obs, from, to)
	t.Key, t.Series = key, key.String()
	return t, provenanceOf(f), nil
}

// Gender computes the gender view of an area (or of every area when area
// is empty) from the VICTIMS dataflow.
func (a *Analyst) Gender(ctx context.Context, area string, start, end Period) ([]GenderRow, Provenance, error) {
	f, err := a.store.Dataflow(ctx, "VICTIMS")
	if err != nil {
		return nil, Provenance{}, err
	}
	q := Query{Flow: "VICTIMS", Start: start, End: end}
	if area != "" {
		q.Key[1] = []string{area}
	}
	q.Key[4] = []string{"F"}
	q.Key[9] = []string{UnitNumber}
	obs, err := a.collect(ctx, q)
	if err != nil {
		return nil, Provenance{}, err
	}
	p := provenanceOf(f)
	p.Computed = "female victims summed over the four relationships to the perpetrator; share of an intimate partner or family member"
	return GenderView(obs), p, nil
}
