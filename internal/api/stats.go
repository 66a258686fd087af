package api

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/httpcache"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stream"
)

// StatsStore is what the statistics API reads.
type StatsStore interface {
	stats.Store
	// StatisticsVersion changes whenever observations or structures change.
	StatisticsVersion(ctx context.Context) (int64, error)
	// StatisticsChanged returns when they last changed.
	StatisticsChanged(ctx context.Context) (time.Time, error)
	FlowUsage(ctx context.Context, flow string) (stats.Usage, error)
	ObservationPage(ctx context.Context, q stats.Query, offset, limit int) ([]stats.Observation, int, error)
	ObservationCounts(ctx context.Context) (map[string]int, error)
	// RegionalGroups gives each participant's UN regional group, which
	// the aggregates by group need.
	RegionalGroups(ctx context.Context) (map[string]string, error)
}

// statsMaxAge is how long a shared cache may keep a statistics answer
// without asking again: statistics change with an import, rarely within
// minutes.
const statsMaxAge = 60

// Limits of an exploration.
const (
	DefaultMaxSeries = 100
	MaxMaxSeries     = 1000
)

// MaxComputing is the most requests that compute statistics at once on a
// server: explorations, and the observations and downloads of views with
// aggregates or computed rates, each of which holds what it computes from
// in memory (see stats.MaxReads). Another waits up to computeWait for a
// turn, then is answered 503 Service Unavailable with Retry-After
// computeRetry seconds.
const (
	MaxComputing = 4
	computeWait  = 2 * time.Second
	computeRetry = 5
)

// DataflowSummary is a dataflow in the list: its description and
// provenance, when it last changed, and how many observations it holds.
type DataflowSummary struct {
	stats.Dataflow
	Observations int `json:"observations"`
}

// DataflowDetail is a dataflow with its structure: the dimensions with the
// codes its series use, the attributes, and the span of its periods.
type DataflowDetail struct {
	stats.Dataflow
	Observations int    `json:"observations"`
	Series       int    `json:"series"`
	FirstPeriod  string `json:"first_period"` // empty when the flow has no observations
	LastPeriod   string `json:"last_period"`
	// Dimensions are in key order, each with the URL parameter that
	// selects it (see /stats/observations) and the codes the series use.
	Dimensions []DimensionUse `json:"dimensions"`
	// Regions are the aggregates the area parameter takes besides the
	// countries: the world, M49 regions and UN regional groups with a
	// member among the flow's areas, computed by cpcj.
	Regions        []stats.Code      `json:"regions"`
	TimeDimension  string            `json:"time_dimension"`
	PrimaryMeasure string            `json:"primary_measure"`
	Attributes     []stats.Attribute `json:"attributes"`
}

// DimensionUse is a dimension of a dataflow and the codes its series use.
type DimensionUse struct {
	stats.Dimension
	Param string       `json:"param"`
	Codes []stats.Code `json:"codes"`
}

// StatsObservation is one observation as the API gives it: its series key
// by dimension, its period, value and attributes.
type StatsObservation struct {
	Key     stats.Key    `json:"key"`
	Period  stats.Period `json:"period"`
	Value   *float64     `json:"value"`
	Status  string       `json:"obs_status"`
	Source  string       `json:"source"`
	Comment string       `json:"comment"`
	Derived string       `json:"derivation"` // C when cpcj computed it
}

func statsObservation(o stats.Observation) StatsObservation {
	return StatsObservation{Key: o.Key, Period: o.Period, Value: o.Value, Status: o.Status, Source: o.Source, Comment: o.Comment, Derived: o.Derived}
}

// statsCache keeps the structure the statistics answers need (code lists,
// dataflows, observation counts, the analyst and its geography) for as
// long as the statistics version is the same: it changes far less often
// than it is read.
type statsCache struct {
	mu    sync.Mutex
	state statsState
}

// statsState is the structure as of one statistics version.
type statsState struct {
	version int64
	// modified is the Last-Modified of every statistics answer: the last
	// change of the statistics (code lists and dataflows included), or
	// the start of this server when later, since another version of the
	// program may answer differently.
	modified  time.Time
	lists     []stats.Codelist
	byID      map[string]stats.Codelist
	flows     []stats.Dataflow
	counts    map[string]int // observations by dataflow
	structure *stats.Structure
	analyst   *stats.Analyst
}

func (h *Handler) statsState(ctx context.Context) (statsState, error) {
	v, err := h.Stats.StatisticsVersion(ctx)
	if err != nil {
		return statsState{}, err
	}
	c := h.statsCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.structure != nil && c.state.version == v {
		return c.state, nil
	}
	s := statsState{version: v}
	if s.modified, err = h.Stats.StatisticsChanged(ctx); err != nil {
		return s, err
	}
	if s.modified.Before(h.started) {
		s.modified = h.started
	}
	if s.lists, err = h.Stats.Codelists(ctx); err != nil {
		return s, err
	}
	if s.flows, err = h.Stats.Dataflows(ctx); err != nil {
		return s, err
	}
	if s.counts, err = h.Stats.ObservationCounts(ctx); err != nil {
		return s, err
	}
	s.byID = make(map[string]stats.Codelist, len(s.lists))
	for _, l := range s.lists {
		s.byID[l.ID] = l
	}
	s.structure = stats.NewStructure(s.lists, s.flows)
	groups, err := h.Stats.RegionalGroups(ctx)
	if err != nil {
		return s, err
	}
	if s.analyst, err = stats.NewAnalyst(ctx, h.Stats, groups); err != nil {
		return s, err
	}
	c.state = s
	return s, nil
}

// flow returns a dataflow of the state.
func (s statsState) flow(id string) (stats.Dataflow, bool) {
	i := slices.IndexFunc(s.flows, func(f stats.Dataflow) bool { return f.ID == id })
	if i < 0 {
		return stats.Dataflow{}, false
	}
	return s.flows[i], true
}

// validators derives the validators of a statistics answer: a weak ETag
// from the statistics version, the program's version, the resource and its
// parameters in a canonical form (canonical: the same whatever their
// order in the request; url.Values.Encode sorts them), and the state's
// Last-Modified. A handler sets them on its answer once it knows it
// succeeds, so that a problem carries none.
func (h *Handler) validators(r *http.Request, s statsState, canonical string) httpcache.Validators {
	return httpcache.Validators{ETag: httpcache.WeakETag(s.version, h.Version, r.URL.Path, canonical), Modified: s.modified}
}

// answer sends a statistics answer as JSON with its validators.
func answer(w http.ResponseWriter, v httpcache.Validators, body any) {
	v.Set(w.Header(), statsMaxAge)
	writeJSON(w, http.StatusOK, body)
}

// compute waits, up to computeWait, for a turn to compute statistics
// (see MaxComputing); release gives it back. Without a turn it returns an
// Unavailable error with Retry-After.
func (h *Handler) compute(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(h.computeWait)
	defer t.Stop()
	select {
	case h.computing <- struct{}{}:
		return func() { <-h.computing }, nil
	case <-t.C:
		return nil, &fail.Error{Kind: fail.Unavailable, RetryAfter: computeRetry,
			Message: "The server is computing as many statistics as it can at once; ask again in a few seconds."}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// viewQuery checks a statistics request's parameters: those of a view
// (which may repeat, e.g. area=KEN&area=FRA), and the others named, once
// each.
func viewQuery(r *http.Request, others ...string) (url.Values, error) {
	q := r.URL.Query()
	for name, vals := range q {
		switch {
		case name == "flow" || name == "start" || name == "end":
			if len(vals) > 1 {
				return nil, fail.Field(name, "is given %d times; give it once", len(vals))
			}
		case slices.Contains(stats.ViewParams[:], name):
		case slices.Contains(others, name):
			if len(vals) > 1 {
				return nil, fail.Field(name, "is given %d times; give it once", len(vals))
			}
		default:
			return nil, fail.Field(name, "is not a parameter of this request; it takes flow, %s, start, end and %s",
				strings.Join(stats.ViewParams[:], ", "), strings.Join(others, ", "))
		}
	}
	return q, nil
}

// viewRequest is a statistics request for a view, read.
type viewRequest struct {
	view  stats.View
	query url.Values // every parameter, the view's and the others
	state statsState
	val   httpcache.Validators
}

// view reads the view of a statistics request, and the other parameters
// with check; ok is false when the answer is already written: a problem,
// or 304 Not Modified. The ETag hashes the view as Values writes it and
// the other parameters, sorted.
func (h *Handler) view(w http.ResponseWriter, r *http.Request, check func(url.Values) error, others ...string) (req viewRequest, ok bool) {
	err := func() error {
		var err error
		if req.query, err = viewQuery(r, others...); err != nil {
			return err
		}
		if req.state, err = h.statsState(r.Context()); err != nil {
			return err
		}
		if req.view, err = stats.ParseView(req.query, req.state.structure); err != nil {
			return err
		}
		return check(req.query)
	}()
	if err != nil {
		Error(w, r, h.Log, err)
		return req, false
	}
	canonical := req.view.Values()
	for _, name := range others {
		if req.query.Has(name) {
			canonical[name] = req.query[name]
		}
	}
	req.val = h.validators(r, req.state, canonical.Encode())
	return req, !httpcache.NotModified(w, r, req.val, statsMaxAge)
}

// structure starts an answer about the statistics' structure: it checks
// the query's parameters (limit and offset for a list) and reads the
// statistics' state. ok is false when an error was written.
func (h *Handler) structure(w http.ResponseWriter, r *http.Request, list bool) (s statsState, limit, offset int, ok bool) {
	var allowed []string
	if list {
		allowed = []string{"limit", "offset"}
	}
	q, err := query(r, allowed...)
	if err == nil && list {
		limit, offset, err = paging(q)
	}
	if err == nil {
		s, err = h.statsState(r.Context())
	}
	if err != nil {
		Error(w, r, h.Log, err)
		return s, 0, 0, false
	}
	return s, limit, offset, true
}

// changed returns the validators of a structure answer, or answers 304
// and returns false when the client's copy is current.
func (h *Handler) changed(w http.ResponseWriter, r *http.Request, s statsState) (httpcache.Validators, bool) {
	val := h.validators(r, s, r.URL.Query().Encode())
	return val, !httpcache.NotModified(w, r, val, statsMaxAge)
}

// ListDataflows answers GET /api/v1/stats/dataflows.
func (h *Handler) ListDataflows(w http.ResponseWriter, r *http.Request) {
	s, limit, offset, ok := h.structure(w, r, true)
	if !ok {
		return
	}
	val, changed := h.changed(w, r, s)
	if !changed {
		return
	}
	items := []DataflowSummary{}
	for _, f := range s.flows {
		items = append(items, DataflowSummary{Dataflow: f, Observations: s.counts[f.ID]})
	}
	answer(w, val, page(r, items, limit, offset))
}

// page cuts one page out of a whole list.
func page[T any](r *http.Request, all []T, limit, offset int) List[T] {
	items := all[min(offset, len(all)):min(offset+limit, len(all))]
	return List[T]{Items: items, Total: len(all), Limit: limit, Offset: offset, Next: nextURL(r, limit, offset, len(all))}
}

// GetDataflow answers GET /api/v1/stats/dataflows/{id}.
func (h *Handler) GetDataflow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, _, _, ok := h.structure(w, r, false)
	if !ok {
		return
	}
	f, ok := s.flow(r.PathValue("id"))
	if !ok {
		Error(w, r, h.Log, fail.New(fail.NotFound, "No dataflow has the id %q. The list is at %s/stats/dataflows.", r.PathValue("id"), Prefix))
		return
	}
	val, changed := h.changed(w, r, s)
	if !changed {
		return
	}
	u, err := h.Stats.FlowUsage(ctx, f.ID)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	d := DataflowDetail{Dataflow: f, Observations: s.counts[f.ID], Series: u.Series, FirstPeriod: u.First.String(), LastPeriod: u.Last.String(),
		Regions: []stats.Code{}, TimeDimension: stats.TimeDimension, PrimaryMeasure: stats.PrimaryMeasure, Attributes: stats.Attributes}
	for i, dim := range stats.Dimensions {
		du := DimensionUse{Dimension: dim, Param: stats.ViewParams[i], Codes: []stats.Code{}}
		for _, c := range s.byID[dim.Codelist].Codes {
			if u.Uses(i, c.ID) {
				du.Codes = append(du.Codes, c)
			}
		}
		d.Dimensions = append(d.Dimensions, du)
	}
	geo := s.analyst.Geography()
	for _, c := range s.byID["CL_AREA"].Codes {
		if geo.IsAggregate(c.ID) && slices.ContainsFunc(geo.Members(c.ID), func(m string) bool { return u.Uses(stats.DimArea, m) }) {
			d.Regions = append(d.Regions, c)
		}
	}
	answer(w, val, d)
}

// ListCodelists answers GET /api/v1/stats/codelists.
func (h *Handler) ListCodelists(w http.ResponseWriter, r *http.Request) {
	s, limit, offset, ok := h.structure(w, r, true)
	if !ok {
		return
	}
	val, changed := h.changed(w, r, s)
	if !changed {
		return
	}
	answer(w, val, page(r, s.lists, limit, offset))
}

// GetCodelist answers GET /api/v1/stats/codelists/{id}.
func (h *Handler) GetCodelist(w http.ResponseWriter, r *http.Request) {
	s, _, _, ok := h.structure(w, r, false)
	if !ok {
		return
	}
	l, ok := s.byID[r.PathValue("id")]
	if !ok {
		Error(w, r, h.Log, fail.New(fail.NotFound, "No code list has the id %q. The list is at %s/stats/codelists.", r.PathValue("id"), Prefix))
		return
	}
	val, changed := h.changed(w, r, s)
	if !changed {
		return
	}
	answer(w, val, l)
}

// ListObservations answers GET /api/v1/stats/observations: the rows of the
// view's download, a page at a time.
func (h *Handler) ListObservations(w http.ResponseWriter, r *http.Request) {
	var limit, offset int
	req, ok := h.view(w, r, func(q url.Values) (err error) {
		limit, offset, err = paging(q)
		return err
	}, "limit", "offset")
	if !ok {
		return
	}
	ctx, v := r.Context(), req.view
	var (
		obs   []stats.Observation
		total int
		err   error
	)
	if req.state.analyst.Computes(v) {
		// Computed rows are not in the store: count through them, which
		// stats.MaxReads bounds.
		release, err := h.compute(ctx)
		if err != nil {
			Error(w, r, h.Log, err)
			return
		}
		defer release()
		for o, err := range req.state.analyst.Observations(ctx, v) {
			if err != nil {
				Error(w, r, h.Log, err)
				return
			}
			if total >= offset && total < offset+limit {
				obs = append(obs, o)
			}
			total++
		}
	} else if obs, total, err = h.Stats.ObservationPage(ctx, v.Query(v.Key[stats.DimArea]), offset, limit); err != nil {
		Error(w, r, h.Log, err)
		return
	}
	items := make([]StatsObservation, len(obs))
	for i, o := range obs {
		items[i] = statsObservation(o)
	}
	answer(w, req.val, List[StatsObservation]{Items: items, Total: total, Limit: limit, Offset: offset, Next: nextURL(r, limit, offset, total)})
}

// Explore answers GET /api/v1/stats/explore: what the data explorer shows
// of the view.
func (h *Handler) Explore(w http.ResponseWriter, r *http.Request) {
	maxSeries := DefaultMaxSeries
	req, ok := h.view(w, r, func(q url.Values) error {
		if s := q.Get("max_series"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > MaxMaxSeries {
				return fail.Field("max_series", "must be a whole number from 1 to %d", MaxMaxSeries)
			}
			maxSeries = n
		}
		return nil
	}, "max_series")
	if !ok {
		return
	}
	release, err := h.compute(r.Context())
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	defer release()
	e, err := req.state.analyst.Explore(r.Context(), req.view, stats.ExploreOptions{MaxSeries: maxSeries})
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	answer(w, req.val, e)
}

// Download media types.
const (
	mediaCSV  = "text/csv; charset=utf-8"
	mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Download answers GET /api/v1/stats/download: the view as a CSV file or
// an Excel workbook, with names and provenance columns, streamed. HEAD
// checks the view and answers the headers without making the file.
func (h *Handler) Download(w http.ResponseWriter, r *http.Request) {
	format := "csv"
	req, ok := h.view(w, r, func(q url.Values) error {
		switch f := q.Get("format"); f {
		case "":
		case "csv", "xlsx":
			format = f
		default:
			return fail.Field("format", "%q is not a download format: give csv or xlsx", f)
		}
		return nil
	}, "format")
	if !ok {
		return
	}
	ctx, v, s := r.Context(), req.view, req.state
	computes := s.analyst.Computes(v)
	if err := h.checkDownload(ctx, r, s, v, format, computes); err != nil {
		Error(w, r, h.Log, err)
		return
	}
	headers := func(hd http.Header) {
		req.val.Set(hd, statsMaxAge)
		hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(v, format)}))
		if format == "csv" {
			hd.Set("Content-Type", mediaCSV)
		} else {
			hd.Set("Content-Type", mediaXLSX)
		}
	}
	if r.Method == http.MethodHead {
		headers(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}
	if computes {
		release, err := h.compute(ctx)
		if err != nil {
			Error(w, r, h.Log, err)
			return
		}
		defer release()
	}
	f, _ := s.flow(v.Flow)
	d := stats.Download{Flow: f, Codelists: s.lists, Selection: v.Values().Encode(), Generated: time.Now()}
	if computes {
		d.Computed = "Rows with DERIVATION C were computed by cpcj: regional aggregates (the sum of the members' counts, with the coverage in COMMENT; " +
			"the rate from the population of the members that reported) and rates per 100,000 from counts and the population (World Bank, POPULATION dataflow) " +
			"where the source gives none. Nothing is imputed."
	}
	out := stream.New(w, headers)
	write := d.WriteCSV
	if format == "xlsx" {
		write = d.WriteXLSX
	}
	switch err := write(out, s.analyst.Observations(ctx, v)); {
	case err == nil:
		out.Write(nil) // an empty body still gets its headers
	case !out.Started():
		Error(w, r, h.Log, err)
	default:
		// Part of the file is out: the status cannot change now.
		out.Abort(ctx, h.Log, "statistics download broken off", err, "path", r.URL.Path, "query", r.URL.RawQuery)
	}
}

// checkDownload refuses, before any work, a workbook of more stored
// observations than stats.MaxXLSXRows. (A computed workbook's rows are
// known only once computed: WriteXLSX counts them.) For HEAD, which makes
// no file, it also refuses a view that computes from more than
// stats.MaxReads, as making it would.
func (h *Handler) checkDownload(ctx context.Context, r *http.Request, s statsState, v stats.View, format string, computes bool) error {
	if computes && r.Method == http.MethodHead {
		return s.analyst.CheckReads(ctx, v)
	}
	if computes || format != "xlsx" {
		return nil
	}
	q := v.Query(v.Key[stats.DimArea])
	q.Limit = stats.MaxXLSXRows + 1
	n, err := h.Stats.CountObservations(ctx, q)
	if err != nil {
		return err
	}
	return stats.CheckXLSXRows(n)
}

// downloadName names a download after its dataflow and, when there are
// few, its areas: cpcj-HOMICIDE-KEN-FRA.csv.
func downloadName(v stats.View, format string) string {
	parts := []string{"cpcj", v.Flow}
	if areas := v.Key[stats.DimArea]; len(areas) > 0 && len(areas) <= 3 {
		parts = append(parts, areas...)
	}
	return strings.Join(parts, "-") + "." + format
}
