package sdmx

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/httpcache"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stream"
)

// dataWriter writes one representation of data. The driver calls begin
// before the first series or observation, series for each series (unless
// the data are flat), obs for each observation it wants written, and end
// once.
type dataWriter interface {
	begin() error
	series(k stats.Key) error
	obs(o *stats.Observation) error
	end() error
}

// message is what every writer needs to know about the answer.
type message struct {
	flow     stats.Dataflow
	q        dataQuery
	labels   bool // SDMX-CSV: codes with their names
	lists    map[string]stats.Codelist
	id       string
	prepared time.Time
}

// codeName is the name of a code of a component's code list.
func (m *message) codeName(codelist, code string) string {
	if l, ok := m.lists[codelist]; ok {
		return l.CodeName(code)
	}
	return code
}

// dataWriterFor returns the writer of a representation.
func dataWriterFor(f format, w *bufio.Writer, m *message) dataWriter {
	switch f {
	case fmtGeneric, fmtGenericTS:
		return &genericWriter{x: newXMLWriter(w), m: m, timeSeries: f == fmtGenericTS}
	case fmtSpecific, fmtSpecificTS:
		return &specificWriter{x: newXMLWriter(w), m: m, timeSeries: f == fmtSpecificTS}
	case fmtCSV:
		return newCSVWriter(w, m)
	}
	return newJSONWriter(w, m)
}

// Data answers a data query: data/{flowRef}/{key}/{providerRef}, the key
// and provider optional.
func (x *Handler) Data(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := parseDataQuery(r.PathValue("flowRef"), r.PathValue("key"), r.PathValue("providerRef"), r.URL.Query())
	if err != nil {
		x.fail(w, r, err)
		return
	}
	c, err := negotiate(r, dataFormats, q.format)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	if err := checkShape(q, c.format); err != nil {
		x.fail(w, r, err)
		return
	}
	flow, err := x.store.Dataflow(ctx, q.flow)
	if fail.Is(err, fail.NotFound) {
		err = noResults("There is no dataflow %s. The list of dataflows is at %s/dataflow.", q.flow, Prefix)
	}
	if err != nil {
		x.fail(w, r, err)
		return
	}
	version, err := x.store.StatisticsVersion(ctx)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	v, err := x.validators(ctx, r, version, c)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	if httpcache.NotModified(w, r, v, maxAge, vary) {
		return
	}
	lists, err := x.codelists(ctx, version)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	unknown := unknownCodes(q.key, lists)
	for i, codes := range q.key {
		if len(codes) > 0 && len(unknown[i]) == len(codes) {
			x.fail(w, r, noResults("%s.", strings.Join(describeUnknown(unknown), "; ")))
			return
		}
	}
	m := &message{flow: flow, q: q, labels: c.labels, lists: lists, id: messageID(), prepared: x.now()}
	out := stream.New(w, func(h http.Header) {
		v.Set(h, maxAge, vary)
		h.Set("Content-Type", formats[c.format].media)
		if c.format == fmtCSV {
			h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": flow.ID + ".csv"}))
		}
	})
	bw := bufio.NewWriterSize(out, 64<<10)
	dw := dataWriterFor(c.format, bw, m)
	n, err := x.stream(ctx, q, dw)
	if err == nil && n > 0 {
		err = bw.Flush()
	}
	switch {
	case err == nil && n == 0:
		why := "No observation matches the query."
		if u := describeUnknown(unknown); len(u) > 0 {
			why += " " + strings.Join(u, "; ") + "."
		}
		x.fail(w, r, noResults("%s", why))
	case err != nil && !out.Started():
		x.fail(w, r, err)
	case err != nil:
		// Part of the answer is out: the status cannot change now.
		out.Abort(ctx, x.log, "sdmx data answer broken off", err, "path", r.URL.Path)
	}
}

// checkShape refuses the combinations of observation dimension, detail
// and representation that the service does not write.
func checkShape(q dataQuery, f format) error {
	if q.dimAtObs != stats.TimeDimension && q.dimAtObs != allDimensions {
		return notImplemented("dimensionAtObservation=%s: cross-sectional data are not served; use %s (time series) or %s (flat).", q.dimAtObs, stats.TimeDimension, allDimensions)
	}
	if q.flat() && (f == fmtGenericTS || f == fmtSpecificTS) {
		return syntax("%s carries time series only; it needs dimensionAtObservation=%s.", formats[f].media, stats.TimeDimension)
	}
	if q.flat() && !q.withObservations() {
		return notImplemented("detail=%s with dimensionAtObservation=%s: flat data have no series to list.", q.detail, allDimensions)
	}
	return nil
}

// codelists returns the code lists by ID, as of a statistics version.
// They change far less often than they are read: the handler keeps the
// last ones it read, for as long as the version is the same.
func (x *Handler) codelists(ctx context.Context, version int64) (map[string]stats.Codelist, error) {
	x.lists.Lock()
	defer x.lists.Unlock()
	if x.lists.byID != nil && x.lists.version == version {
		return x.lists.byID, nil
	}
	all, err := x.store.Codelists(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]stats.Codelist, len(all))
	for _, l := range all {
		out[l.ID] = l
	}
	x.lists.version, x.lists.byID = version, out
	return out, nil
}

// unknownCodes returns, per dimension, the codes of the key that its code
// list lacks. A dimension whose code list is not loaded has none unknown.
func unknownCodes(key [10][]string, lists map[string]stats.Codelist) [10][]string {
	var out [10][]string
	for i, codes := range key {
		l, ok := lists[stats.Dimensions[i].Codelist]
		if !ok {
			continue
		}
		for _, c := range codes {
			if !l.Has(c) {
				out[i] = append(out[i], c)
			}
		}
	}
	return out
}

func describeUnknown(unknown [10][]string) []string {
	var out []string
	for i, codes := range unknown {
		for _, c := range codes {
			d := stats.Dimensions[i]
			out = append(out, fmt.Sprintf("%s is not a code of %s (code list %s, at %s/codelist/%s/%s/%s)",
				c, d.ID, d.Codelist, Prefix, stats.Agency, d.Codelist, stats.Version))
		}
	}
	return out
}

// stream reads the observations the query selects and hands them to the
// writer, series by series, and returns how many it read.
func (x *Handler) stream(ctx context.Context, q dataQuery, dw dataWriter) (int, error) {
	sq := stats.Query{Flow: q.flow, Key: q.key, Start: q.start, End: q.end, UpdatedAfter: q.updatedAfter, AsOf: q.asOf, FirstN: q.firstN, LastN: q.lastN}
	if !q.withObservations() && q.firstN == 0 && q.lastN == 0 {
		// Series without observations: one observation tells that a
		// series has data.
		sq.LastN = 1
	}
	if p, ok := dw.(preparer); ok {
		// Some representations name every value before the data: a first
		// pass collects them, over the store as it is now (or as of the
		// time asked), and the second reads the same state.
		if sq.AsOf.IsZero() {
			sq.AsOf = x.now()
		}
		n := 0
		err := x.store.Observations(ctx, sq, func(o stats.Observation) error {
			n++
			return p.collect(&o)
		})
		if err != nil || n == 0 {
			return n, err
		}
	}
	n := 0
	var last stats.Key
	err := x.store.Observations(ctx, sq, func(o stats.Observation) error {
		if n == 0 {
			if err := dw.begin(); err != nil {
				return err
			}
		}
		if !q.flat() && (n == 0 || o.Key != last) {
			last = o.Key
			if err := dw.series(o.Key); err != nil {
				return err
			}
		}
		n++
		if q.withObservations() {
			return dw.obs(&o)
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if n > 0 {
		return n, dw.end()
	}
	return 0, nil
}

// preparer is a writer that must see every observation before it writes.
type preparer interface {
	collect(o *stats.Observation) error
}

// formatValue writes an observation value as SDMX text: the shortest form
// that reads back as the same number, never in exponent notation; missing
// is empty.
func formatValue(v *float64) string {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// obsAttributes returns an observation's attributes that have a value, in
// the order of the data structure.
func obsAttributes(o *stats.Observation) [][2]string {
	out := make([][2]string, 0, len(stats.Attributes))
	for _, a := range stats.Attributes {
		if v := attributeValue(o, a.ID); v != "" {
			out = append(out, [2]string{a.ID, v})
		}
	}
	return out
}

// attributeValue returns the value of an attribute of an observation.
func attributeValue(o *stats.Observation, id string) string {
	switch id {
	case "OBS_STATUS":
		return o.Status
	case "SOURCE_DETAIL":
		return o.Source
	case "COMMENT":
		return o.Comment
	case "DERIVATION":
		return o.Derived
	}
	return ""
}
