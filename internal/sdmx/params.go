package sdmx

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// allDimensions is the dimensionAtObservation value for flat data.
const allDimensions = "AllDimensions"

// The values of the data detail parameter.
const (
	detailFull           = "full"
	detailDataOnly       = "dataonly"
	detailSeriesKeysOnly = "serieskeysonly"
	detailNoData         = "nodata"
)

// dataQuery is a data query as the service understands it.
type dataQuery struct {
	flow         string
	key          [10][]string
	start, end   stats.Period
	firstN       int
	lastN        int
	dimAtObs     string // stats.TimeDimension, allDimensions, or a dimension's ID
	detail       string
	updatedAfter time.Time
	asOf         time.Time // the data as published then; zero for now
	format       string    // the format parameter, if given
}

// flat reports whether observations stand alone rather than in series.
func (q dataQuery) flat() bool { return q.dimAtObs == allDimensions }

// withObservations reports whether the answer carries observations.
func (q dataQuery) withObservations() bool {
	return q.detail == detailFull || q.detail == detailDataOnly
}

// withAttributes reports whether the answer carries attributes.
func (q dataQuery) withAttributes() bool { return q.detail == detailFull || q.detail == detailNoData }

// params reads query parameters by name in any case, each at most once;
// parameters the service does not know are left alone, as the SDMX
// guidelines ask.
func params(v url.Values, known ...string) (map[string]string, error) {
	out := map[string]string{}
	for name, values := range v {
		for _, k := range known {
			if !strings.EqualFold(name, k) {
				continue
			}
			if _, dup := out[k]; dup || len(values) > 1 {
				return nil, syntax("the parameter %s is given more than once.", k)
			}
			out[k] = values[0]
		}
	}
	return out, nil
}

// parseDataQuery reads the path parameters and the query string of a data
// query.
func parseDataQuery(flowRefParam, keyParam, providerParam string, v url.Values) (dataQuery, error) {
	q := dataQuery{dimAtObs: stats.TimeDimension, detail: detailFull}
	var err error
	if q.flow, err = parseFlowRef(flowRefParam); err != nil {
		return q, err
	}
	if q.key, err = stats.ParseKey(keyParam); err != nil {
		return q, syntax("%s.", err.Error())
	}
	if err := checkProvider(providerParam); err != nil {
		return q, err
	}
	p, err := params(v, "startPeriod", "endPeriod", "firstNObservations", "lastNObservations",
		"dimensionAtObservation", "detail", "updatedAfter", "asOf", "format", "includeHistory")
	if err != nil {
		return q, err
	}
	q.start, q.end, err = stats.ParseSpan(p["startPeriod"], p["endPeriod"])
	if e, ok := err.(*stats.SpanError); ok {
		bound := "startPeriod"
		if e.End {
			bound = "endPeriod"
		}
		return q, syntax("%s: %s.", bound, e.Message)
	}
	for _, n := range []struct {
		name string
		to   *int
	}{{"firstNObservations", &q.firstN}, {"lastNObservations", &q.lastN}} {
		s, ok := p[n.name]
		if !ok {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return q, syntax("%s=%q: give a positive whole number.", n.name, s)
		}
		*n.to = v
	}
	if s, ok := p["dimensionAtObservation"]; ok {
		switch {
		case s == stats.TimeDimension:
		case strings.EqualFold(s, allDimensions):
			q.dimAtObs = allDimensions
		case stats.DimIndex(s) >= 0:
			q.dimAtObs = s
		default:
			return q, syntax("dimensionAtObservation=%q: use %s (the default), %s, or a dimension of the data structure (%s).",
				s, stats.TimeDimension, allDimensions, strings.Join(dimensionIDs(), ", "))
		}
	}
	if s, ok := p["detail"]; ok {
		d := strings.ToLower(s)
		switch d {
		case detailFull, detailDataOnly, detailSeriesKeysOnly, detailNoData:
			q.detail = d
		default:
			return q, syntax("detail=%q: use full, dataonly, serieskeysonly or nodata.", s)
		}
	}
	if s, ok := p["updatedAfter"]; ok {
		if q.updatedAfter, _, err = parseDateTime("updatedAfter", s); err != nil {
			return q, err
		}
	}
	// asOf is SDMX 3.0's parameter, taken here by a 2.1 service: the
	// revisions are kept, and a reader may need the figures as they
	// stood when a report was written. A date alone means that whole
	// day: the figures as published at its end.
	if s, ok := p["asOf"]; ok {
		at, day, err := parseDateTime("asOf", s)
		if err != nil {
			return q, err
		}
		if day {
			at = at.AddDate(0, 0, 1).Add(-time.Microsecond)
		}
		q.asOf = at
	}
	if s, ok := p["includeHistory"]; ok {
		switch strings.ToLower(s) {
		case "false":
		case "true":
			return q, notImplemented("includeHistory=true: the revisions of observations are kept but not yet served through this API.")
		default:
			return q, syntax("includeHistory=%q: use true or false.", s)
		}
	}
	q.format = p["format"]
	return q, nil
}

func dimensionIDs() []string {
	ids := make([]string, len(stats.Dimensions))
	for i, d := range stats.Dimensions {
		ids[i] = d.ID
	}
	return ids
}

// parseFlowRef reads a flowRef: ID, AGENCY,ID or AGENCY,ID,VERSION. An
// agency or version the service does not have is a well-formed query with
// no results.
func parseFlowRef(s string) (string, error) {
	parts := strings.Split(s, ",")
	if len(parts) > 3 {
		return "", syntax("the flowRef %q has %d parts; write ID, AGENCY,ID or AGENCY,ID,VERSION.", s, len(parts))
	}
	id := parts[0]
	if len(parts) > 1 {
		id = parts[1]
	}
	for _, p := range parts {
		if !validID(p) {
			return "", syntax("the flowRef %q has %q, which is not an identifier (letters, digits, _ @ $ - and, in versions, dots).", s, p)
		}
	}
	if len(parts) > 1 && !isAll(parts[0]) && parts[0] != stats.Agency {
		return "", noResults("The agency %s maintains no dataflow here; the dataflows are %s's.", parts[0], stats.Agency)
	}
	if len(parts) > 2 && !isAll(parts[2]) && !strings.EqualFold(parts[2], "latest") && parts[2] != stats.Version {
		return "", noResults("The dataflow %s has no version %s; its version is %s.", id, parts[2], stats.Version)
	}
	return id, nil
}

// checkProvider reads a providerRef: every data provider's data are
// UNODC's, so "all", UNODC and UNODC,UNODC select them, and any other
// provider selects nothing.
func checkProvider(s string) error {
	if s == "" {
		return nil
	}
	for _, p := range splitList(s) {
		parts := strings.Split(p, ",")
		if len(parts) > 2 {
			return syntax("the providerRef %q has %d parts; write PROVIDER or AGENCY,PROVIDER.", p, len(parts))
		}
		ok := true
		for _, part := range parts {
			if !validID(part) {
				return syntax("the providerRef %q has %q, which is not an identifier.", s, part)
			}
			ok = ok && (isAll(part) || part == stats.Agency)
		}
		if ok {
			return nil
		}
	}
	return noResults("No data provider %s: all data here are provided by %s (providerRef all or %s).", s, stats.Agency, stats.Agency)
}

// splitList splits a list of values joined by "+", which a client or proxy
// may have turned into a space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '+' || r == ' ' })
}

func isAll(s string) bool { return strings.EqualFold(s, "all") }

// validID reports whether s may be an SDMX identifier or version.
func validID(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-', r == '@', r == '$', r == '.':
		default:
			return false
		}
	}
	return true
}

// parseDateTime reads the parameter name (updatedAfter, asOf): an
// xs:dateTime, with or without a time zone (UTC when none), or a date,
// which day reports. A "+" of the zone that the query string turned into
// a space is read as "+".
func parseDateTime(name, s string) (at time.Time, day bool, err error) {
	t := s
	if n := len(t); n > 6 && t[n-6] == ' ' {
		t = t[:n-6] + "+" + t[n-5:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", time.DateOnly} {
		if v, err := time.Parse(layout, t); err == nil {
			return v.UTC(), layout == time.DateOnly, nil
		}
	}
	return time.Time{}, false, syntax("%s=%q is not a date and time: write it as 2014-10-06T00:00:00Z (percent-encode a + as %%2B).", name, s)
}

// The values of the structure detail and references parameters.
const (
	detailAllStubs               = "allstubs"
	detailReferenceStubs         = "referencestubs"
	detailAllCompleteStubs       = "allcompletestubs"
	detailReferenceCompleteStubs = "referencecompletestubs"
	detailReferencePartial       = "referencepartial"

	refNone              = "none"
	refParents           = "parents"
	refParentsAndSibling = "parentsandsiblings"
	refChildren          = "children"
	refDescendants       = "descendants"
	refAll               = "all"
)

// structureResources are the structural resources of SDMX 2.1 REST; the
// ones the service holds are served, the others answer 501.
var structureResources = map[string]bool{
	"dataflow": true, "datastructure": true, "codelist": true, "conceptscheme": true, "structure": true,
	"metadatastructure": false, "categoryscheme": false, "hierarchicalcodelist": false, "organisationscheme": false,
	"agencyscheme": false, "dataproviderscheme": false, "dataconsumerscheme": false, "organisationunitscheme": false,
	"metadataflow": false, "reportingtaxonomy": false, "provisionagreement": false, "structureset": false,
	"process": false, "categorisation": false, "contentconstraint": false, "attachmentconstraint": false,
	"actualconstraint": false, "allowedconstraint": false, "transformationscheme": false, "rulesetscheme": false,
	"userdefinedoperatorscheme": false, "customtypescheme": false, "namepersonalisationscheme": false,
	"vtlmappingscheme": false, "schema": false, "availableconstraint": false, "metadata": false,
}

// structureQuery is a structure query as the service understands it.
type structureQuery struct {
	resource   string
	agencies   []string // nil for all
	ids        []string // nil for all
	versions   []string // nil for all
	items      []string // nil for all
	detail     string
	references string
	format     string
}

// parseStructureQuery reads the path parameters and the query string of a
// structure query.
func parseStructureQuery(resource, agency, id, version, item string, v url.Values) (structureQuery, error) {
	q := structureQuery{resource: resource, detail: detailFull, references: refNone}
	implemented, known := structureResources[resource]
	switch {
	case resource == "data" && agency == "":
		return q, syntax("a data query names its dataflow: %s/data/{flowRef}/{key}/{providerRef}.", Prefix)
	case resource == "data":
		return q, noResults("A data query has at most three parts: %s/data/{flowRef}/{key}/{providerRef}.", Prefix)
	case !known:
		return q, noResults("There is no SDMX resource %q. Structure resources are dataflow, datastructure, codelist, conceptscheme and structure.", resource)
	case !implemented:
		return q, notImplemented("the resource %s is part of SDMX but this service holds none; it serves dataflow, datastructure, codelist, conceptscheme and structure.", resource)
	}
	var err error
	if q.agencies, err = idList("agencyID", agency); err != nil {
		return q, err
	}
	if q.ids, err = idList("resourceID", id); err != nil {
		return q, err
	}
	if q.versions, err = idList("version", version); err != nil {
		return q, err
	}
	for _, v := range q.versions {
		if strings.EqualFold(v, "latest") {
			q.versions = nil // one version of everything: the latest is it
			break
		}
	}
	if q.items, err = idList("itemID", item); err != nil {
		return q, err
	}
	if item != "" && resource != "codelist" && resource != "conceptscheme" {
		return q, syntax("itemID is for item schemes (codelist, conceptscheme); %s has no items.", resource)
	}
	p, err := params(v, "detail", "references", "format")
	if err != nil {
		return q, err
	}
	if s, ok := p["detail"]; ok {
		d := strings.ToLower(s)
		switch d {
		case detailFull, detailAllStubs, detailReferenceStubs, detailAllCompleteStubs, detailReferenceCompleteStubs:
			q.detail = d
		case detailReferencePartial:
			return q, notImplemented("detail=referencepartial: code lists are served whole.")
		default:
			return q, syntax("detail=%q: use full, allstubs, referencestubs, allcompletestubs, referencecompletestubs or referencepartial.", s)
		}
	}
	if s, ok := p["references"]; ok {
		r := strings.ToLower(s)
		switch _, isType := structureResources[r]; {
		case r == refNone, r == refParents, r == refParentsAndSibling, r == refChildren, r == refDescendants, r == refAll:
		case isType && r != "structure" && r != "schema" && r != "availableconstraint" && r != "metadata":
		default:
			return q, syntax("references=%q: use none, parents, parentsandsiblings, children, descendants, all, or a type of structure such as codelist.", s)
		}
		q.references = r
	}
	q.format = p["format"]
	return q, nil
}

// idList reads an agency, resource, version or item parameter: "all" (or
// nothing) for any, else one or more values joined by "+".
func idList(name, s string) ([]string, error) {
	if s == "" || isAll(s) {
		return nil, nil
	}
	list := splitList(s)
	if len(list) == 0 {
		return nil, syntax("%s %q names nothing.", name, s)
	}
	for _, v := range list {
		if isAll(v) {
			return nil, nil
		}
		if !validID(v) {
			return nil, syntax("%s %q is not an identifier (letters, digits, _ @ $ - and, in versions, dots).", name, v)
		}
	}
	return list, nil
}
