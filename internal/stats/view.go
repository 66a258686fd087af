package stats

import (
	"net/url"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/fail"
)

// View is a selection of statistics: what a person picks in the data
// explorer and what a script asks of the JSON API. Both read and write it
// with the same URL parameters (ParseView, Values), so that a view is
// shared by its address and the API answers what the page shows.
type View struct {
	Flow string
	// Key holds, per dimension in Dimensions order, the codes chosen; an
	// empty list means every code. REF_AREA may hold aggregates (regions,
	// regional groups, the world) besides countries: see Geography.
	Key        [len(Key{})][]string
	Start, End Period // inclusive; zero for open (see ParseSpan)
}

// ViewParams are the URL parameters of the dimensions, in Dimensions
// order: short lower-case words, because people read and edit these
// addresses.
var ViewParams = [len(Key{})]string{"freq", "area", "indicator", "iccs", "sex", "age", "relationship", "cyber", "source_type", "unit"}

// ParseView reads a view from URL parameters: flow, one parameter per
// dimension (ViewParams) holding codes repeated or separated by commas,
// and start and end periods (read by ParseSpan, as SDMX queries are).
// Codes are checked against the structure; parameters it does not know
// are left to the caller (format, limit, …). Errors name the parameter at
// fault.
func ParseView(q url.Values, s *Structure) (View, error) {
	var v View
	v.Flow = strings.TrimSpace(q.Get("flow"))
	switch {
	case v.Flow == "":
		return v, fail.Field("flow", "Choose a dataflow.")
	case !s.HasFlow(v.Flow):
		return v, fail.Field("flow", "No dataflow has the id %q.", v.Flow)
	}
	for i, p := range ViewParams {
		for _, raw := range q[p] {
			for c := range strings.SplitSeq(raw, ",") {
				c = strings.TrimSpace(c)
				if c == "" {
					continue
				}
				if !s.Has(Dimensions[i].Codelist, c) {
					return v, fail.Field(p, "%q is not a code of %s (%s).", c, Dimensions[i].Codelist, strings.ToLower(Dimensions[i].Name))
				}
				if !slices.Contains(v.Key[i], c) {
					v.Key[i] = append(v.Key[i], c)
				}
			}
		}
	}
	var err error
	v.Start, v.End, err = ParseSpan(strings.TrimSpace(q.Get("start")), strings.TrimSpace(q.Get("end")))
	if e, ok := err.(*SpanError); ok {
		bound := "start"
		if e.End {
			bound = "end"
		}
		return v, fail.Field(bound, "%s.", upperFirst(e.Message))
	}
	return v, nil
}

// Values is the view as URL parameters, the inverse of ParseView: codes of
// a dimension joined by commas, empty dimensions and periods left out.
func (v View) Values() url.Values {
	q := url.Values{"flow": {v.Flow}}
	for i, codes := range v.Key {
		if len(codes) > 0 {
			q.Set(ViewParams[i], strings.Join(codes, ","))
		}
	}
	if !v.Start.IsZero() {
		q.Set("start", v.Start.String())
	}
	if !v.End.IsZero() {
		q.Set("end", v.End.String())
	}
	return q
}

// Query is the store query of the view for the given areas (the view's
// countries, or the members of one of its aggregates).
func (v View) Query(areas []string) Query {
	q := Query{Flow: v.Flow, Key: v.Key, Start: v.Start, End: v.End}
	q.Key[DimArea] = areas
	return q
}

// upperFirst makes a message a sentence.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
