package sdmx

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// format is a representation the service answers in.
type format int

// The representations.
const (
	fmtStructure format = iota + 1
	fmtGeneric
	fmtGenericTS
	fmtSpecific
	fmtSpecificTS
	fmtCSV
	fmtJSON
)

// formatInfo describes a representation: the media type it is sent as, its
// name in the format parameter, and the versions of it a client may ask for.
type formatInfo struct {
	media    string   // exact Content-Type of the answer
	name     string   // value of the format parameter
	base     string   // media type without parameters, as clients ask for it
	versions []string // accepted values of the version parameter
	aliases  []string // other media types a client may use for it
}

var formats = map[format]formatInfo{
	fmtStructure: {media: "application/vnd.sdmx.structure+xml;version=2.1", name: "structure",
		base: "application/vnd.sdmx.structure+xml", versions: []string{"2.1"}},
	fmtGeneric: {media: "application/vnd.sdmx.genericdata+xml;version=2.1", name: "genericdata",
		base: "application/vnd.sdmx.genericdata+xml", versions: []string{"2.1"}},
	fmtGenericTS: {media: "application/vnd.sdmx.generictimeseriesdata+xml;version=2.1", name: "generictimeseriesdata",
		base: "application/vnd.sdmx.generictimeseriesdata+xml", versions: []string{"2.1"}},
	fmtSpecific: {media: "application/vnd.sdmx.structurespecificdata+xml;version=2.1", name: "structurespecificdata",
		base: "application/vnd.sdmx.structurespecificdata+xml", versions: []string{"2.1"}},
	fmtSpecificTS: {media: "application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1", name: "structurespecifictimeseriesdata",
		base: "application/vnd.sdmx.structurespecifictimeseriesdata+xml", versions: []string{"2.1"}},
	fmtCSV: {media: "application/vnd.sdmx.data+csv;version=1.0.0", name: "csv",
		base: "application/vnd.sdmx.data+csv", versions: []string{"1.0.0", "1.0"}, aliases: []string{"text/csv"}},
	fmtJSON: {media: "application/vnd.sdmx.data+json;version=1.0.0", name: "jsondata",
		base: "application/vnd.sdmx.data+json", versions: []string{"1.0.0", "1.0"}, aliases: []string{"application/json"}},
}

// dataFormats are the representations of data, the default first;
// structureFormats those of structures.
var (
	dataFormats      = []format{fmtGeneric, fmtSpecific, fmtGenericTS, fmtSpecificTS, fmtCSV, fmtJSON}
	structureFormats = []format{fmtStructure}
)

// xmlRanges are the generic XML media types, which ask for the default
// representation.
var xmlRanges = []string{"application/xml", "text/xml"}

// choice is the outcome of negotiation: the representation and, for
// SDMX-CSV, whether to label codes with their names.
type choice struct {
	format format
	labels bool
}

// mediaRange is one entry of an Accept header.
type mediaRange struct {
	typ    string // type/subtype, lower case
	params map[string]string
	q      float64
	pos    int
}

// parseAccept reads an Accept header, ignoring entries it cannot read.
func parseAccept(h string) []mediaRange {
	var out []mediaRange
	for i, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		typ := strings.ToLower(strings.TrimSpace(fields[0]))
		if typ == "" || strings.Count(typ, "/") != 1 {
			continue
		}
		m := mediaRange{typ: typ, params: map[string]string{}, q: 1, pos: i}
		ok := true
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(p, "=")
			k = strings.ToLower(strings.TrimSpace(k))
			v = strings.Trim(strings.TrimSpace(v), `"`)
			if k == "q" {
				q, err := strconv.ParseFloat(v, 64)
				if err != nil || q < 0 || q > 1 {
					ok = false
					break
				}
				m.q = q
				continue
			}
			if k != "" {
				m.params[k] = v
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// match says how well a media range names a representation: 0 not at all,
// 1 by a wildcard, 2 by an alias (the default by generic XML), 3 by its
// own media type.
func match(m mediaRange, f format, isDefault bool) int {
	info := formats[f]
	switch {
	case m.typ == info.base:
		if v, ok := m.params["version"]; ok && !slices.Contains(info.versions, v) {
			return 0
		}
		return 3
	case slices.Contains(info.aliases, m.typ), isDefault && slices.Contains(xmlRanges, m.typ):
		return 2
	case m.typ == "*/*", m.typ == "application/*":
		return 1
	}
	return 0
}

// negotiate picks the representation of an answer from the format
// parameter, if given, or else from the Accept header: among the offered
// representations (the default first), the one the client gives the highest
// quality, naming it most exactly and earliest. No header, or only a generic
// one, gets the default.
func negotiate(r *http.Request, offered []format, formatParam string) (choice, error) {
	if formatParam != "" {
		names := make([]string, len(offered))
		for i, f := range offered {
			names[i] = formats[f].name
			if strings.EqualFold(formatParam, formats[f].name) {
				return choice{format: f}, nil
			}
		}
		for f, info := range formats {
			if strings.EqualFold(formatParam, info.name) && !slices.Contains(offered, f) {
				return choice{}, notAcceptable("format=%s is not offered for this resource; use one of %s.", formatParam, strings.Join(names, ", "))
			}
		}
		return choice{}, syntax("format=%q names no format; use one of %s.", formatParam, strings.Join(names, ", "))
	}
	header := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(header) == "" {
		return choice{format: offered[0]}, nil
	}
	ranges := parseAccept(header)
	type candidate struct {
		f        format
		q        float64
		strength int
		pos      int
		order    int
		labels   string
	}
	var cands []candidate
	for order, f := range offered {
		best := candidate{f: f, order: order, pos: -1}
		for _, m := range ranges {
			s := match(m, f, order == 0)
			if s == 0 {
				continue
			}
			// The most exact range decides the quality (RFC 9110, 12.5.1).
			if s > best.strength || (s == best.strength && m.q > best.q) {
				best.strength, best.q, best.pos, best.labels = s, m.q, m.pos, ""
				if s > 1 {
					best.labels = m.params["labels"]
				}
			}
		}
		if best.strength > 0 && best.q > 0 {
			cands = append(cands, best)
		}
	}
	if len(cands) == 0 {
		var types []string
		for _, f := range offered {
			types = append(types, formats[f].media)
		}
		return choice{}, notAcceptable("no representation in Accept: %s is offered; this resource is offered as %s (or with format=%s).",
			header, strings.Join(types, ", "), formats[offered[0]].name)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.q != b.q {
			return a.q > b.q
		}
		if a.strength != b.strength {
			return a.strength > b.strength
		}
		if a.pos != b.pos {
			return a.pos < b.pos
		}
		return a.order < b.order
	})
	c := cands[0]
	switch c.labels {
	case "", "id":
		return choice{format: c.f}, nil
	case "both":
		if c.f == fmtCSV {
			return choice{format: c.f, labels: true}, nil
		}
	}
	return choice{}, notAcceptable("labels=%s is not offered for %s; SDMX-CSV offers labels=id and labels=both.", c.labels, formats[c.f].media)
}
