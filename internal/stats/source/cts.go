package source

import (
	"io"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// ctsSource names UN-CTS exports in the mapping files.
const ctsSource = "CTS"

// ReadCTS reads an export of the UNODC data portal (UN-CTS tables such as
// "Violent and sexual crime" or "Corruption and economic crime", title
// rows removed) into OFFENCES and VICTIMS observations. Every
// indicator/dimension/category triple must be in iccs_mapping.csv: an
// unmapped one is refused; one mapped to no dataflow (no verified ICCS
// code) is counted as not loaded.
func ReadCTS(r io.Reader, ref *Reference, fn func(line int, o stats.Observation) error) (*Report, error) {
	rep := newReport(FormatCTS)
	var ps stats.Problems
	err := eachRow(r, FormatCTS, &ps, func(line int, rec []string) error {
		rep.Rows++
		code, ind, dim, cat, sex, age, yr, unitName, val, src := rec[0], rec[4], rec[5], rec[6], rec[7], rec[8], rec[9], rec[10], rec[11], rec[12]
		n := ps.Len()
		m, ok := ref.Lookup(ctsSource, ind, dim, cat)
		if !ok {
			ps.Add(line, "Category", "%q (%s, %s) has no row in data/%s: map it to an ICCS code, or say there why it is not loaded", cat, ind, dim, MappingFile)
			return nil
		}
		if m.Flow == "" {
			rep.skip(ind+": "+cat, m.Note)
			return nil
		}
		if !ref.HasArea(code) {
			ps.Add(line, "Iso3_code", "%q is not a code of CL_AREA", code)
		}
		sexCode, ok := sexOf(sex)
		if !ok {
			ps.Add(line, "Sex", "%q is not Total, Female or Male", sex)
		}
		ageCode, ok := ageOf(age)
		if !ok {
			ps.Add(line, "Age", "%q is not Total, Adult or Juvenile", age)
		}
		unit, ok := unitOf(unitName)
		if !ok {
			ps.Add(line, "Unit of measurement", "%q is not Counts or Rate per 100,000 population", unitName)
		}
		p, err := year(yr)
		if err != nil {
			ps.Add(line, "Year", "%v", err)
		}
		v, err := value(val)
		if err != nil {
			ps.Add(line, "VALUE", "%v", err)
		}
		o := stats.Observation{Flow: m.Flow, Period: p, Value: v, Status: stats.StatusNormal, Source: strings.TrimSpace(src),
			Key: stats.Key{"A", code, m.Indicator, m.ICCS, sexCode, ageCode, m.Relationship, m.Cyber, "CJ", unit}}
		if v == nil {
			o.Status = stats.StatusMissing
			o.Comment = "No value in the source."
		}
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
