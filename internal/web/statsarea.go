package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
)

// areaPage is the data of a country's (or region's) statistics at a
// glance.
type areaPage struct {
	Code          string
	Name          string
	Aggregate     bool
	Participant   bool // it has a page among the States
	Homicide      []latestFigure
	HomicideChart template.HTML // the chart
	HomicideURL   string
	Offences      []offenceRow
	OffencesURL   string
	Gender        []genderRow
	GenderURL     string
	Population    *latestFigure
	Sources       []sourceView
}

// latestFigure is the last value of a series, with its period.
type latestFigure struct {
	Label    string
	Value    string
	Period   string
	Coverage string // an aggregate's: who reported
	Mark     string
	Title    string
}

// offenceRow is one crime category's latest figures.
type offenceRow struct {
	Name   string
	Period string
	Count  string
	Rate   string
	Link   string
}

// genderRow is the gender view (¶ 16) of one crime category's latest
// year with figures.
type genderRow struct {
	Name     string
	Period   string
	Female   string
	ByFamily string
	Share    string
	Note     string
	Link     string
}

// StatsArea shows the key series of a country, region or group: the
// homicide rate over time, the latest offences recorded by the police,
// women and girls as victims, and population, each leading into the
// explorer with the same view.
func (h *Handler) StatsArea(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, err := h.statsMeta(ctx)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	code := strings.ToUpper(r.PathValue("code"))
	if _, ok := m.area[code]; !ok {
		h.Error(w, r, fail.New(fail.NotFound, "No country or region has the code %q in the statistics.", r.PathValue("code")))
		return
	}
	l := h.Locale(r)
	areaDim := stats.DimArea
	d := areaPage{Code: code, Name: m.codeName(l, areaDim, code), Aggregate: m.isAggregate(code)}
	if state.ValidCode(code) {
		if _, err := h.store.Participant(ctx, code); err == nil {
			d.Participant = true
		}
	}
	prov := map[string]bool{}
	addSources := func(ex stats.Exploration) {
		for _, p := range ex.Provenance {
			if !prov[p.Flow+p.Computed] {
				prov[p.Flow+p.Computed] = true
				d.Sources = append(d.Sources, sourceView{Flow: m.flowName(l, p.Flow), Provenance: p})
			}
		}
	}
	explore := func(params ...string) (stats.Exploration, string, error) {
		link := viewLink(append([]string{"area", code}, params...)...)
		v, err := stats.ParseView(linkQuery(link), m.structure)
		if err != nil {
			return stats.Exploration{}, link, err
		}
		ex, err := m.analyst.Explore(ctx, v, stats.ExploreOptions{})
		if err == nil && ex.Observations > 0 {
			addSources(ex)
		}
		return ex, link, err
	}

	// Homicide: the rate over time, by type of source.
	ex, link, err := explore("flow", "HOMICIDE", "unit", stats.UnitRate)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d.HomicideURL = link
	if ex.Observations > 0 {
		d.Homicide, d.HomicideChart = homicideAtAGlance(m, l, d.Name, ex)
	}

	// Offences recorded by the police: each category's latest year.
	if ex, link, err = explore("flow", "OFFENCES", "cyber", "_T"); err != nil {
		h.Error(w, r, err)
		return
	}
	d.OffencesURL = link
	d.Offences = offencesAtAGlance(m, l, code, ex)

	// Women and girls as victims, for a country: from its own figures.
	d.GenderURL = viewLink("flow", "VICTIMS", "area", code, "sex", "F", "unit", stats.UnitNumber)
	if !d.Aggregate {
		rows, p, err := m.analyst.Gender(ctx, code, stats.Period{}, stats.Period{})
		if err != nil {
			h.Error(w, r, err)
			return
		}
		d.Gender = genderAtAGlance(m, l, code, rows)
		if len(d.Gender) > 0 && !prov[p.Flow+p.Computed] {
			prov[p.Flow+p.Computed] = true
			d.Sources = append(d.Sources, sourceView{Flow: m.flowName(l, p.Flow), Provenance: p})
		}
	}

	// Population, for scale.
	if ex, _, err = explore("flow", stats.PopulationFlow); err != nil {
		h.Error(w, r, err)
		return
	}
	for _, s := range ex.Series {
		if f, ok := latest(l, s); ok {
			d.Population = &f
		}
	}
	h.render(w, r, http.StatusOK, "statsarea", "statistics", d)
}

// linkQuery reads the query of a link viewLink made.
func linkQuery(link string) url.Values {
	_, raw, _ := strings.Cut(link, "?")
	q, _ := url.ParseQuery(raw)
	return q
}

// latest returns the last value of a series.
func latest(l *i18n.Locale, s stats.Series) (latestFigure, bool) {
	for i := len(s.Points) - 1; i >= 0; i-- {
		p := s.Points[i]
		if p.Value == nil {
			continue
		}
		f := latestFigure{Value: formatValue(l, s.Key[9], *p.Value), Period: p.Period.String()}
		if mk := cellOf(l, s.Key[9], p); mk.Mark != "" {
			f.Mark, f.Title = mk.Mark, mk.Title
		}
		if p.Coverage != nil {
			f.Coverage = coverageText(l, p.Coverage)
		}
		return f, true
	}
	return latestFigure{}, false
}

// homicideAtAGlance is the latest rate of each homicide series, and a
// small chart of them.
func homicideAtAGlance(m *statsMeta, l *i18n.Locale, name string, ex stats.Exploration) ([]latestFigure, template.HTML) {
	srcDim := stats.DimSourceType
	var periods []string
	for _, p := range ex.Periods {
		periods = append(periods, p.String())
	}
	c := lineChart(l, "homicide", l.T("statsarea.homicide.chart", "name", name), m.codeName(l, stats.DimUnit, stats.UnitRate), periods)
	c.Width, c.Height = 560, 240
	var figures []latestFigure
	for _, s := range ex.Series {
		f, ok := latest(l, s)
		if !ok {
			continue
		}
		// One area's homicide series differ by their type of source only.
		f.Label = m.codeName(l, srcDim, s.Key[srcDim])
		figures = append(figures, f)
		c.Series = append(c.Series, lineSeries(l, f.Label, s))
	}
	c.Desc = l.T("stats.chart.desc", "n", len(c.Series))
	return figures, c.Render()
}

// offencesAtAGlance is, for each crime category, the count and rate of the
// latest year with a count.
func offencesAtAGlance(m *statsMeta, l *i18n.Locale, area string, ex stats.Exploration) []offenceRow {
	iccs := stats.DimICCS
	type pair struct{ count, rate *stats.Series }
	by := map[string]*pair{}
	var order []string
	for i := range ex.Series {
		s := &ex.Series[i]
		c := s.Key[iccs]
		if by[c] == nil {
			by[c] = &pair{}
			order = append(order, c)
		}
		switch s.Key[9] {
		case stats.UnitNumber:
			by[c].count = s
		case stats.UnitRate:
			by[c].rate = s
		}
	}
	list := m.lists["CL_ICCS"]
	position := map[string]int{}
	for i, c := range list.Codes {
		position[c.ID] = i
	}
	var out []offenceRow
	for _, c := range orderBy(order, position) {
		p := by[c]
		if p.count == nil {
			continue
		}
		f, ok := latest(l, *p.count)
		if !ok {
			continue
		}
		row := offenceRow{Name: m.codeName(l, iccs, c), Period: f.Period, Count: f.Value,
			Link: viewLink("flow", "OFFENCES", "area", area, "iccs", c, "cyber", "_T")}
		if p.rate != nil {
			for _, pt := range p.rate.Points {
				if pt.Period.String() == f.Period && pt.Value != nil {
					row.Rate = formatValue(l, stats.UnitRate, *pt.Value)
				}
			}
		}
		out = append(out, row)
	}
	return out
}

// orderBy sorts codes by their position in a code list.
func orderBy(codes []string, position map[string]int) []string {
	out := append([]string(nil), codes...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && position[out[j]] < position[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// genderAtAGlance is, for each crime category, the latest year's female
// victims and the share harmed by an intimate partner or family member.
func genderAtAGlance(m *statsMeta, l *i18n.Locale, area string, rows []stats.GenderRow) []genderRow {
	iccs := stats.DimICCS
	last := map[string]stats.GenderRow{}
	var order []string
	for _, r := range rows {
		if r.FemaleVictims == nil && r.ByPartnerOrFamily == nil {
			continue
		}
		prev, ok := last[r.ICCS]
		if !ok {
			order = append(order, r.ICCS)
		}
		// A year with the total beats a later one without it.
		if !ok || r.FemaleVictims != nil || prev.FemaleVictims == nil {
			last[r.ICCS] = r
		}
	}
	var out []genderRow
	for _, c := range order {
		r := last[c]
		g := genderRow{Name: m.codeName(l, iccs, c), Period: r.Period.String(), Note: r.Note,
			Link: viewLink("flow", "VICTIMS", "area", area, "iccs", c, "sex", "F", "unit", stats.UnitNumber)}
		if r.FemaleVictims != nil {
			g.Female = formatValue(l, stats.UnitNumber, *r.FemaleVictims)
		}
		if r.ByPartnerOrFamily != nil {
			g.ByFamily = formatValue(l, stats.UnitNumber, *r.ByPartnerOrFamily)
		}
		if r.Share != nil {
			g.Share = percent(l, *r.Share)
		}
		out = append(out, g)
	}
	return out
}
