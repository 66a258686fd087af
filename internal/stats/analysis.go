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
// observations, with their provenance. Explore and Observations give
// every figure of a view; Gender the gender view.
type Analyst struct {
	store    Store
	geo      *Geography
	maxReads int // MaxReads; lower in tests
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
			return &Analyst{store: s, geo: NewGeography(cl, groupOf), maxReads: MaxReads}, nil
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
	q.Key[DimArea] = areas
	q.Key[DimIndicator] = []string{"POP"}
	q.Key[DimUnit] = []string{UnitPersons}
	obs, err := a.collect(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewPopulations(obs), nil
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
		q.Key[DimArea] = []string{area}
	}
	q.Key[DimSex] = []string{"F"}
	q.Key[DimUnit] = []string{UnitNumber}
	obs, err := a.collect(ctx, q)
	if err != nil {
		return nil, Provenance{}, err
	}
	p := provenanceOf(f)
	p.Computed = "female victims summed over the four relationships to the perpetrator; share of an intimate partner or family member"
	return GenderView(obs), p, nil
}
