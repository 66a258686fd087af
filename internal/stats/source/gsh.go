package source

import (
	"io"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// gshSource names the GSH table in the mapping files.
const gshSource = "GSH2013"

// ReadGSH reads the long form of the Global Study on Homicide 2013 table
// "Intentional homicide count and rate per 100,000 population, by
// country/territory (2000-2012)" into HOMICIDE observations. Countries are
// named, not coded: area_names.csv gives each name its code. The table's
// footnote markers (gsh_footnotes.csv) become statuses and comments: "x" a
// missing count (never a made-up value), "+" a break in series, "*" and
// "#" comments.
func ReadGSH(r io.Reader, ref *Reference, fn func(line int, o stats.Observation) error) (*Report, error) {
	rep := newReport(FormatGSH)
	var ps stats.Problems
	m, ok := ref.Lookup(gshSource, "count|rate", "", "Intentional homicide")
	if !ok {
		ps.Add(0, "", "data/%s has no mapping for %s intentional homicide", MappingFile, gshSource)
		return rep, &ps
	}
	err := eachRow(r, FormatGSH, &ps, func(line int, rec []string) error {
		rep.Rows++
		name, srcType, src, ind, yr, val, flag := rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], rec[8]
		n := ps.Len()
		code, known := ref.names[gshSource][name]
		switch {
		case !known:
			ps.Add(line, "country", "%q has no area code in data/%s", name, AreaNamesFile)
		case code == "":
			rep.skip(name, ref.notes[gshSource][name])
			return nil
		case !ref.HasArea(code):
			ps.Add(line, "country", "%q is mapped to %s, which is not a code of CL_AREA", name, code)
		}
		unit, ok := unitOf(ind)
		if !ok {
			ps.Add(line, "indicator", "%q is not count or rate", ind)
		}
		if srcType != "CJ" && srcType != "PH" {
			ps.Add(line, "source_type", "%q is not CJ (criminal justice) or PH (public health)", srcType)
		}
		p, err := year(yr)
		if err != nil {
			ps.Add(line, "year", "%v", err)
		}
		o := stats.Observation{Flow: m.Flow, Period: p, Status: stats.StatusNormal, Source: src,
			Key: stats.Key{"A", code, m.Indicator, m.ICCS, "_T", "_T", m.Relationship, m.Cyber, srcType, unit}}
		var comments []string
		// A marker at the end of the value (e.g. "2366*").
		raw := strings.TrimSpace(val)
		for raw != "" {
			fnote, ok := ref.footnotes[raw[len(raw)-1:]]
			if !ok || fnote.appliesTo != "value" {
				break
			}
			raw = strings.TrimSpace(raw[:len(raw)-1])
			comments = append(comments, fnote.comment)
			if fnote.status != "" {
				o.Status = fnote.status
			}
		}
		if o.Value, err = value(raw); err != nil {
			ps.Add(line, "value", "%v", err)
		}
		// The flag column (e.g. "x: estimated count less than 2 ...").
		if flag != "" {
			marker, _, _ := strings.Cut(flag, ":")
			fnote, ok := ref.footnotes[strings.TrimSpace(marker)]
			switch {
			case !ok || fnote.appliesTo != "value":
				ps.Add(line, "flag", "%q is not a footnote of data/%s", flag, FootnotesFile)
			case o.Value != nil && fnote.status == stats.StatusMissing:
				ps.Add(line, "flag", "marks the value missing, but the value is %s", raw)
			default:
				comments = append(comments, fnote.comment)
				if fnote.status != "" {
					o.Status = fnote.status
				}
			}
		}
		// A marker at the end of the country's name (e.g. "Philippines +").
		if t := strings.TrimSpace(name); t != "" {
			if fnote, ok := ref.footnotes[t[len(t)-1:]]; ok && fnote.appliesTo == "country" {
				if len(fnote.years) == 0 || fnote.years[p.Year] {
					comments = append(comments, fnote.comment)
					if fnote.status != "" {
						o.Status = fnote.status
					}
				}
			}
		}
		if o.Value == nil && o.Status != stats.StatusMissing {
			ps.Add(line, "value", "is empty, and no footnote says why")
		}
		o.Comment = strings.Join(comments, " ")
		if ps.Len() > n {
			return nil
		}
		rep.ByFlow[o.Flow]++
		return fn(line, o)
	})
	if err != nil {
		return rep, err
	}
	return rep, ps.Err()
}
