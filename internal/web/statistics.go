package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/chart"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// cellCap is the most table cells the explorer renders. A larger view
// shows its first series, states its true size, and is whole in the
// downloads.
const cellCap = 2000

// chartCap is the most lines a chart draws; the table has every series.
const chartCap = 10

// The JSON API operations that answer a view with the explorer's own
// parameters: what the explorer shows, and the view as a file.
const (
	exploreAPI  = "/api/v1/stats/explore"
	downloadAPI = "/api/v1/stats/download"
)

// defaultView is what the explorer shows to a reader who arrives without
// choosing: the homicide rate, from criminal-justice sources, of one
// country of each UN regional group that reported every year from 2000 to
// 2012 (a region's own rate would move with which members reported).
var defaultView = url.Values{"flow": {"HOMICIDE"}, "area": {"ZAF,PHL,LVA,COL,USA"}, "source_type": {"CJ"}, "unit": {"RT100K"}}

// formDims are the dimensions the explorer's form offers, in its order;
// the areas and the years have fields of their own.
var formDims = []string{"INDICATOR", "ICCS", "SEX", "AGE", "RELATIONSHIP", "CYBER", "SOURCE_TYPE", "UNIT_MEASURE"}

// explorerPage is the data of the explorer: the form, and the results
// of the view it chose.
type explorerPage struct {
	Flows   []flowOption
	Flow    string
	Dims    []dimField // the breakdowns to choose
	Fixed   []dimField // those with one code in the dataflow
	Areas   []areaGroup
	Chosen  []codeOption // the chosen areas, in the view's order
	Start   string       // as typed, so that a bad one can be corrected
	End     string
	First   string // the flow's first and last periods, as hints
	Last    string
	Err     string // the message of a bad parameter
	ErrFor  string // the parameter
	Default bool   // the example view shown to a reader who chose nothing
	Dropped []string
	Results *explorerResults
}

// ErrAt reports whether the error is about the parameter.
func (p explorerPage) ErrAt(param string) bool { return p.ErrFor == param }

type flowOption struct {
	ID, Name string
}

// dimField is one breakdown of the form: checkboxes for the codes its
// dataflow uses, or the one code there is.
type dimField struct {
	Param string // URL parameter
	Label string
	Codes []codeOption
	Fixed string // the name of the only code the flow uses, if so
}

type codeOption struct {
	Code   string
	Name   string
	Depth  int // in a hierarchy: 0 for the top
	Chosen bool
	NoData bool // chosen, but the dataflow has no series for it
}

// areaGroup is one group of the area chooser.
type areaGroup struct {
	ID    string
	Name  string
	Areas []codeOption
}

// explorerResults is what the view shows.
type explorerResults struct {
	Title      string
	Ex         stats.Exploration
	Periods    []string
	Rows       []tableRow
	Shown      int // series in the table
	ShownCells int
	Capped     bool
	Charts     []template.HTML
	ChartsCut  bool // a chart draws fewer series than the table has
	ChartMax   int
	Trends     []trendRow
	ByYear     []textRow // index and moving average of the charted series
	Coverage   []textRow // who reported, for each aggregate
	Marks      []string  // status marks present in the table, for the key
	NoData     bool      // some cell has no value
	ValueNotes []valueNote
	Sources    []sourceView
	Link       string // the view's address, whole
	API        string // the JSON API's answer for the view
	CSV        string
	XLSX       string
	SDMX       string // an SDMX data query for the same, when it computes nothing
}

type tableRow struct {
	Label     string
	Aggregate bool
	Sources   string
	Cells     []tableCell
}

type tableCell struct {
	Text  string // the value, or ".." for none
	Mark  string // the status letter: b, e, p, m, c
	Title string // what the mark means, and the comment
	None  bool
}

type trendRow struct {
	Label    string
	From, To string
	Change   string
	Percent  string
	Annual   string
	Index    string
	MA       string
	MAPeriod string
	Refusals []string
}

// textRow is a row of a table of series by period, its cells written.
type textRow struct {
	Label string
	Cells []string
}

type valueNote struct {
	Label   string
	Periods string
	Comment string
}

type sourceView struct {
	Flow string
	stats.Provenance
}

// viewParams are the URL parameters of a view.
var viewParams = append([]string{"flow", "start", "end"}, stats.ViewParams[:]...)

// Statistics is the data explorer: a form whose address is the view, and
// the table, charts, trends, coverage and sources of that view, as the
// JSON API computes them.
func (h *Handler) Statistics(w http.ResponseWriter, r *http.Request) {
	m, err := h.statsMeta(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	l := h.Locale(r)
	q := r.URL.Query()
	d := explorerPage{}
	if !slices.ContainsFunc(viewParams, q.Has) {
		q, d.Default = defaultView, true
	}
	v, err := stats.ParseView(q, m.structure)
	if err != nil {
		h.explorerFailed(w, r, m, l, q, d, err)
		return
	}
	d.Dropped = m.trim(l, &v)
	d.fill(m, l, q, v)
	most := maxSeries(v, m.usage[v.Flow])
	ex, err := m.analyst.Explore(r.Context(), v, stats.ExploreOptions{MaxSeries: most})
	if err != nil {
		h.explorerFailed(w, r, m, l, q, d, err)
		return
	}
	d.Results = h.results(m, l, ex, most)
	h.render(w, r, http.StatusOK, "statistics", "statistics", d)
}

// explorerFailed shows the form with the parameter at fault named, or
// the error page for a failure that is not the reader's.
func (h *Handler) explorerFailed(w http.ResponseWriter, r *http.Request, m *statsMeta, l *i18n.Locale, q url.Values, d explorerPage, err error) {
	e := fail.As(err)
	if e == nil || e.Kind != fail.Invalid {
		h.Error(w, r, err)
		return
	}
	d.Err, d.ErrFor = e.Message, e.Field
	if d.ErrFor == "" {
		d.ErrFor = "flow"
	}
	// Refill the form with what was asked, as far as it reads.
	v := stats.View{Flow: q.Get("flow")}
	if _, ok := m.flow(v.Flow); !ok {
		v.Flow = defaultView.Get("flow")
	}
	for i, p := range stats.ViewParams {
		for _, raw := range q[p] {
			for c := range strings.SplitSeq(raw, ",") {
				if c = strings.TrimSpace(c); c != "" && m.structure.Has(stats.Dimensions[i].Codelist, c) {
					v.Key[i] = append(v.Key[i], c)
				}
			}
		}
	}
	d.fill(m, l, q, v)
	h.render(w, r, http.StatusBadRequest, "statistics", "statistics", d)
}

// trim leaves out of the view the codes its dataflow does not use, which
// a reader who changed the dataflow carries over from the last one, and
// says which. Areas are kept: the exploration notes those without data,
// and aggregates have none stored.
func (m *statsMeta) trim(l *i18n.Locale, v *stats.View) []string {
	u := m.usage[v.Flow]
	var out []string
	for i := range v.Key {
		if stats.Dimensions[i].ID == "REF_AREA" {
			continue
		}
		var kept, left []string
		for _, c := range v.Key[i] {
			if u.Uses(i, c) {
				kept = append(kept, c)
			} else {
				left = append(left, m.codeName(l, i, c))
			}
		}
		if len(left) > 0 {
			v.Key[i] = kept
			out = append(out, l.T("stats.dropped", "dim", dimLabel(l, i), "codes", strings.Join(left, ", "), "flow", m.flowName(l, v.Flow)))
		}
	}
	return out
}

// maxSeries is how many series of the view the table can show within
// cellCap, from the span of years the view covers.
func maxSeries(v stats.View, u stats.Usage) int {
	first, last := u.First, u.Last
	if !v.Start.IsZero() && v.Start.Year > first.Year {
		first = v.Start
	}
	if !v.End.IsZero() && (last.IsZero() || v.End.Year < last.Year) {
		last = v.End
	}
	years := last.Year - first.Year + 1
	if first.IsZero() || last.IsZero() || years < 1 {
		years = 1
	}
	return min(api.MaxMaxSeries, max(1, cellCap/years))
}

// fill sets the form's fields from the view (and the raw parameters, for
// the years as typed).
func (d *explorerPage) fill(m *statsMeta, l *i18n.Locale, q url.Values, v stats.View) {
	d.Flow, d.Flows, d.Dims, d.Fixed = v.Flow, nil, nil, nil
	for _, f := range m.flows {
		d.Flows = append(d.Flows, flowOption{ID: f.ID, Name: m.flowName(l, f.ID)})
	}
	u := m.usage[v.Flow]
	d.Start, d.End = strings.TrimSpace(q.Get("start")), strings.TrimSpace(q.Get("end"))
	if !u.First.IsZero() {
		d.First, d.Last = u.First.String(), u.Last.String()
	}
	for _, id := range formDims {
		i := stats.DimIndex(id)
		f := dimField{Param: stats.ViewParams[i], Label: dimLabel(l, i)}
		codes := u.Codes[i]
		if len(codes) == 1 && (len(v.Key[i]) == 0 || slices.Equal(v.Key[i], codes)) {
			f.Fixed = m.codeName(l, i, codes[0])
			d.Fixed = append(d.Fixed, f)
			continue
		}
		// In code list order, which is the hierarchy's for ICCS.
		list := m.lists[stats.Dimensions[i].Codelist]
		parent, offered := map[string]string{}, map[string]bool{}
		for _, c := range list.Codes {
			parent[c.ID] = c.Parent
		}
		for _, c := range list.Codes {
			used, chosen := u.Uses(i, c.ID), slices.Contains(v.Key[i], c.ID)
			if !used && !chosen {
				continue
			}
			offered[c.ID] = true
			f.Codes = append(f.Codes, codeOption{Code: c.ID, Name: m.codeName(l, i, c.ID), Chosen: chosen, NoData: !used})
		}
		for j := range f.Codes {
			f.Codes[j].Depth = depthIn(f.Codes[j].Code, offered, func(c string) string { return parent[c] })
		}
		if len(f.Codes) == 0 {
			continue
		}
		d.Dims = append(d.Dims, f)
	}
	d.Areas, d.Chosen = m.areaGroups(l, u, v.Key[stats.DimArea])
}

// depthIn is how many of a code's ancestors (parentOf gives each one's
// parent) are among the codes offered, so that a list indents a code
// under its parent only when the parent is there too.
func depthIn(code string, offered map[string]bool, parentOf func(string) string) int {
	d := 0
	for p := parentOf(code); p != ""; p = parentOf(p) {
		if offered[p] {
			d++
		}
	}
	return d
}

// areaGroups builds the area chooser: the areas chosen, ticked, to untick;
// then the others by group, to tick: the aggregates (the world and the M49
// regions, the UN regional groups), and the countries and other areas with
// data in the dataflow by M49 region. An area is offered once, so that
// unticking it removes it.
func (m *statsMeta) areaGroups(l *i18n.Locale, u stats.Usage, chosen []string) ([]areaGroup, []codeOption) {
	area := stats.DimArea
	m49 := areaGroup{ID: "areas-m49", Name: l.T("stats.areas.m49")}
	groups := areaGroup{ID: "areas-groups", Name: l.T("stats.areas.groups")}
	byRegion := map[string]*areaGroup{}
	var regions []string
	other := &areaGroup{ID: "areas-other", Name: l.T("stats.areas.other")}
	for _, c := range m.areaOrder {
		if m.area[c].Parent == "001" {
			regions = append(regions, c)
			byRegion[c] = &areaGroup{ID: "areas-" + c, Name: m.codeName(l, area, c)}
		}
	}
	for _, c := range m.areaOrder {
		if slices.Contains(chosen, c) {
			continue
		}
		opt := codeOption{Code: c, Name: m.codeName(l, area, c)}
		switch {
		case m.isAggregate(c) && m.area[c].Parent == "" && c != "001":
			groups.Areas = append(groups.Areas, opt)
		case m.isAggregate(c):
			m49.Areas = append(m49.Areas, opt)
		case u.Uses(area, c):
			g := other
			if r := m.region(c); r != "" {
				g = byRegion[r]
			}
			g.Areas = append(g.Areas, opt)
		}
	}
	offered := map[string]bool{}
	for _, a := range m49.Areas {
		offered[a.Code] = true
	}
	for j := range m49.Areas {
		m49.Areas[j].Depth = depthIn(m49.Areas[j].Code, offered, func(c string) string { return m.area[c].Parent })
	}
	out := []areaGroup{m49, groups}
	for _, r := range regions {
		out = append(out, *byRegion[r])
	}
	out = append(out, *other)
	var kept []areaGroup
	for _, g := range out {
		if len(g.Areas) == 0 {
			continue
		}
		if g.ID != "areas-m49" {
			sort.SliceStable(g.Areas, func(i, j int) bool { return g.Areas[i].Name < g.Areas[j].Name })
		}
		kept = append(kept, g)
	}
	picked := make([]codeOption, 0, len(chosen))
	for _, c := range chosen {
		picked = append(picked, codeOption{Code: c, Name: m.codeName(l, area, c), Chosen: true,
			NoData: !m.isAggregate(c) && !u.Uses(area, c)})
	}
	return kept, picked
}

// results lays out an exploration for the page.
func (h *Handler) results(m *statsMeta, l *i18n.Locale, ex stats.Exploration, maxSeries int) *explorerResults {
	res := &explorerResults{Ex: ex, ChartMax: chartCap}
	for _, p := range ex.Periods {
		res.Periods = append(res.Periods, p.String())
	}
	labels, fixed := seriesLabels(m, l, ex.Series, m.usage[ex.View.Flow])
	res.Title = m.flowName(l, ex.View.Flow)
	if len(fixed) > 0 {
		res.Title += " · " + strings.Join(fixed, " · ")
	}
	// The table is cut to cellCap; the charts, trends and coverage are of
	// the series it shows.
	res.Shown = len(ex.Series)
	if n := len(ex.Periods); n > 0 && res.Shown*n > cellCap {
		res.Shown = max(1, cellCap/n)
	}
	res.ShownCells = res.Shown * len(ex.Periods)
	res.Capped = res.Shown < ex.SeriesTotal
	shown := ex.Series[:res.Shown]
	res.table(l, shown, labels)
	res.charts(m, l, shown, labels)
	res.trends(l, shown, labels, ex.Periods)
	res.coverage(m, l, shown, labels)
	for _, p := range ex.Provenance {
		res.Sources = append(res.Sources, sourceView{Flow: m.flowName(l, p.Flow), Provenance: p})
	}

	// Commas may stand as they are in a query, and read better so.
	query := strings.ReplaceAll(ex.Query, "%2C", ",")
	res.Link = h.baseURL + "/statistics?" + query
	res.API = exploreAPI + "?" + query + "&max_series=" + strconv.Itoa(maxSeries)
	res.CSV = downloadAPI + "?" + query + "&format=csv"
	res.XLSX = downloadAPI + "?" + query + "&format=xlsx"
	if !m.analyst.Computes(ex.View) {
		res.SDMX = sdmxQuery(ex.View)
	}
	return res
}

// table writes the rows of series by period, with the marks and notes
// they need explained.
func (res *explorerResults) table(l *i18n.Locale, series []stats.Series, labels []string) {
	marks := map[string]bool{}
	notes := map[[2]string][]string{} // label and comment → periods
	var noteOrder [][2]string
	for i, s := range series {
		row := tableRow{Label: labels[i], Aggregate: s.Aggregate}
		var sources []string
		for _, p := range s.Points {
			c := cellOf(l, s.Key[9], p)
			marks[c.Mark] = true
			res.NoData = res.NoData || c.None
			row.Cells = append(row.Cells, c)
			if s.Aggregate {
				continue // sources and comments are the members', in the coverage
			}
			if p.Value != nil && p.Source != "" {
				for src := range strings.SplitSeq(p.Source, ", ") {
					if !slices.Contains(sources, src) {
						sources = append(sources, src)
					}
				}
			}
			if p.Comment != "" && p.Derived == "" {
				k := [2]string{labels[i], p.Comment}
				if _, ok := notes[k]; !ok {
					noteOrder = append(noteOrder, k)
				}
				notes[k] = append(notes[k], p.Period.String())
			}
		}
		row.Sources = strings.Join(sources, ", ")
		if s.Aggregate {
			row.Sources = l.T("stats.col.source.computed")
		}
		res.Rows = append(res.Rows, row)
	}
	for _, mk := range []string{"b", "e", "p", "m", "c"} {
		if marks[mk] {
			res.Marks = append(res.Marks, mk)
		}
	}
	for _, k := range noteOrder {
		res.ValueNotes = append(res.ValueNotes, valueNote{Label: k[0], Periods: strings.Join(notes[k], ", "), Comment: k[1]})
	}
}

// charts draws the series, one chart per unit: counts and rates do not
// share an axis.
func (res *explorerResults) charts(m *statsMeta, l *i18n.Locale, series []stats.Series, labels []string) {
	byUnit := map[string][]int{}
	var units []string
	for i, s := range series {
		u := s.Key[9]
		if _, ok := byUnit[u]; !ok {
			units = append(units, u)
		}
		byUnit[u] = append(byUnit[u], i)
	}
	unitDim := stats.DimUnit
	for ci, u := range units {
		unit := m.codeName(l, unitDim, u)
		idx := byUnit[u]
		if len(idx) > chartCap {
			idx, res.ChartsCut = idx[:chartCap], true
		}
		title := res.Title
		if len(units) > 1 {
			title += " · " + unit
		}
		c := lineChart(l, fmt.Sprintf("chart-%d", ci), title, unit, res.Periods)
		c.Desc = l.T("stats.chart.desc", "n", len(idx))
		for _, i := range idx {
			name := labels[i]
			if len(units) > 1 {
				name = withoutUnit(name, unit) // the chart's title names it
			}
			c.Series = append(c.Series, lineSeries(l, name, series[i]))
		}
		res.Charts = append(res.Charts, c.Render())
	}
}

// lineChart is a line chart of the statistics pages, in the reader's
// language.
func lineChart(l *i18n.Locale, id, title, unit string, periods []string) chart.Line {
	return chart.Line{ID: id, Title: title, Unit: unit, Periods: periods, Format: l.Decimal,
		EstimatedLabel: l.T("stats.chart.estimated"), BreakLabel: l.T("stats.chart.break")}
}

// lineSeries is one series as a chart draws it: its values, the marks of
// estimates and breaks, and a title for each point.
func lineSeries(l *i18n.Locale, name string, s stats.Series) chart.LineSeries {
	ls := chart.LineSeries{Name: name}
	for _, p := range s.Points {
		mark := chart.Plain
		switch p.Status {
		case stats.StatusEstimated:
			mark = chart.Estimated
		case stats.StatusBreak:
			mark = chart.Break
		}
		title := ""
		if p.Value != nil {
			title = name + ", " + p.Period.String() + ": " + formatValue(l, s.Key[9], *p.Value)
		}
		ls.Values, ls.Marks, ls.Titles = append(ls.Values, p.Value), append(ls.Marks, mark), append(ls.Titles, title)
	}
	return ls
}

// trends lays out the trend figures of each series, and the index and
// moving average by period of the charted ones.
func (res *explorerResults) trends(l *i18n.Locale, series []stats.Series, labels []string, periods []stats.Period) {
	for i, s := range series {
		res.Trends = append(res.Trends, trendOf(l, labels[i], s))
		if i >= chartCap {
			continue
		}
		idx := textRow{Label: l.T("stats.trend.row.index", "series", labels[i])}
		ma := textRow{Label: l.T("stats.trend.row.ma", "series", labels[i])}
		for _, p := range periods {
			idx.Cells = append(idx.Cells, indexAt(l, s.Trend.Index, p, 1))
			ma.Cells = append(ma.Cells, indexAt(l, s.Trend.MovingAverage, p, decimalsOf(s.Key[9], 0)))
		}
		if len(s.Trend.Index) > 0 {
			res.ByYear = append(res.ByYear, idx)
		}
		res.ByYear = append(res.ByYear, ma)
	}
}

// coverage lays out who reported for each aggregate and period: once per
// series apart from the unit, since a count and its rate have the same.
func (res *explorerResults) coverage(m *statsMeta, l *i18n.Locale, series []stats.Series, labels []string) {
	unitDim := stats.DimUnit
	seen := map[stats.Key]bool{}
	for i, s := range series {
		k := s.Key
		k[unitDim] = ""
		if !s.Aggregate || seen[k] {
			continue
		}
		seen[k] = true
		row := textRow{Label: withoutUnit(labels[i], m.codeName(l, unitDim, s.Key[unitDim]))}
		for _, p := range s.Points {
			row.Cells = append(row.Cells, coverageText(l, p.Coverage))
		}
		res.Coverage = append(res.Coverage, row)
	}
}

// coverageText says how many members of an aggregate reported and the
// share of its population they hold; ".." where none is known.
func coverageText(l *i18n.Locale, c *stats.Coverage) string {
	if c == nil {
		return ".."
	}
	return l.T("stats.coverage.cell", "reporting", len(c.Reporting), "members", c.Members, "share", l.Decimal(100*c.PopulationShare, 0))
}

// sdmxQuery is the SDMX REST data query of a view of stored figures.
func sdmxQuery(v stats.View) string {
	q := "/sdmx/rest/data/" + v.Flow + "/" + stats.FormatKey(v.Key)
	var params []string
	if !v.Start.IsZero() {
		params = append(params, "startPeriod="+v.Start.String())
	}
	if !v.End.IsZero() {
		params = append(params, "endPeriod="+v.End.String())
	}
	if len(params) > 0 {
		q += "?" + strings.Join(params, "&")
	}
	return q
}

// seriesLabels names each series by the codes that tell it apart from the
// others (the area's name when nothing does), and returns the names of
// the codes they share where the dataflow has a choice, for the title.
func seriesLabels(m *statsMeta, l *i18n.Locale, series []stats.Series, u stats.Usage) ([]string, []string) {
	var vary [len(stats.Key{})]bool
	for _, s := range series {
		for i := range s.Key {
			if s.Key[i] != series[0].Key[i] {
				vary[i] = true
			}
		}
	}
	labels := make([]string, len(series))
	for si, s := range series {
		var parts []string
		for i, c := range s.Key {
			if vary[i] {
				parts = append(parts, m.codeName(l, i, c))
			}
		}
		if len(parts) == 0 {
			parts = []string{m.codeName(l, stats.DimArea, s.Area)}
		}
		labels[si] = strings.Join(parts, " · ")
	}
	var fixed []string
	if len(series) > 0 {
		for i, c := range series[0].Key {
			id := stats.Dimensions[i].ID
			if vary[i] || id == "REF_AREA" || len(u.Codes[i]) < 2 || (isTotal(c) && id != "UNIT_MEASURE") {
				continue
			}
			fixed = append(fixed, m.codeName(l, i, c))
		}
	}
	return labels, fixed
}

// withoutUnit removes the unit's name from a series label, for coverage,
// which does not depend on it.
func withoutUnit(label, unit string) string {
	parts := strings.Split(label, " · ")
	if len(parts) > 1 {
		parts = slices.DeleteFunc(parts, func(p string) bool { return p == unit })
	}
	return strings.Join(parts, " · ")
}

// statusMark is the letter a table cell shows for an observation status.
var statusMark = map[string]string{
	stats.StatusBreak:       "b",
	stats.StatusEstimated:   "e",
	stats.StatusProvisional: "p",
	stats.StatusMissing:     "m",
}

// cellOf writes one value of the table with its mark.
func cellOf(l *i18n.Locale, unit string, p stats.SeriesPoint) tableCell {
	c := tableCell{Mark: statusMark[p.Status]}
	if c.Mark == "" && p.Derived == stats.DerivationComputed && p.Value != nil {
		c.Mark = "c"
	}
	if p.Value == nil {
		c.Text, c.None = "..", true
	} else {
		c.Text = formatValue(l, unit, *p.Value)
	}
	if c.Mark != "" {
		c.Title = l.T("stats.mark." + c.Mark)
		if p.Comment != "" && p.Coverage == nil && p.Derived == "" {
			c.Title += ": " + p.Comment
		}
	}
	return c
}

// formatValue writes a value as its unit reads: counts whole, rates with
// a decimal, or more for small ones.
func formatValue(l *i18n.Locale, unit string, v float64) string {
	return l.Decimal(v, decimalsOf(unit, v))
}

// decimalsOf is how many decimals a value of the unit is written with.
func decimalsOf(unit string, v float64) int {
	a := math.Abs(v)
	switch {
	case unit != stats.UnitRate && a == math.Trunc(a):
		return 0
	case unit != stats.UnitRate || a >= 1 || a == 0:
		return 1
	case a >= 0.1:
		return 2
	}
	return 3
}

// changeDecimals is how many decimals a change of a value of the unit is
// written with: those of the values, and two for a small change of a rate,
// which one would round away.
func changeDecimals(unit string, v float64) int {
	switch a := math.Abs(v); {
	case unit != stats.UnitRate:
		return decimalsOf(unit, v)
	case a > 0 && a < 0.1:
		return 2
	}
	return 1
}

// trendOf lays out the trend figures of a series.
func trendOf(l *i18n.Locale, label string, s stats.Series) trendRow {
	t := s.Trend
	unit := s.Key[9]
	r := trendRow{Label: label, Refusals: t.Refusals}
	if t.From.IsZero() {
		r.Refusals = []string{l.T("stats.trend.novalue")}
		return r
	}
	r.From, r.To = t.From.String(), t.To.String()
	if c := t.Change; c != nil {
		r.Change = signed(l.Decimal(c.Absolute, changeDecimals(unit, c.Absolute)), c.Absolute)
		if c.Percent != nil {
			r.Percent = signed(l.Decimal(*c.Percent, 1), *c.Percent)
		}
	}
	if t.AnnualChange != nil {
		r.Annual = signed(l.Decimal(*t.AnnualChange, 1), *t.AnnualChange)
	}
	for i := len(t.Index) - 1; i >= 0; i-- {
		if p := t.Index[i]; p.Index != nil && p.Period == t.To {
			r.Index = l.Decimal(*p.Index, 1)
			break
		}
	}
	for i := len(t.MovingAverage) - 1; i >= 0; i-- {
		if p := t.MovingAverage[i]; p.Index != nil {
			r.MA, r.MAPeriod = formatValue(l, unit, *p.Index), p.Period.String()
			break
		}
	}
	return r
}

// signed puts a plus before a positive change, so that a rise reads as
// one.
func signed(s string, v float64) string {
	if v > 0 && !strings.HasPrefix(s, "+") {
		return "+" + s
	}
	return s
}

// indexAt writes the index or moving average of a period, or ".." where
// there is none.
func indexAt(l *i18n.Locale, points []stats.IndexPoint, p stats.Period, decimals int) string {
	for _, ip := range points {
		if ip.Period == p && ip.Index != nil {
			return l.Decimal(*ip.Index, decimals)
		}
	}
	return ".."
}

// viewLink is the explorer's address for a view given as parameters.
func viewLink(params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return "/statistics?" + q.Encode()
}

// percent writes a share (0 to 1) as a whole percentage.
func percent(l *i18n.Locale, share float64) string {
	return l.T("stats.percent", "n", l.Decimal(100*share, 0))
}
