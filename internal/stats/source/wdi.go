package source

import (
	"io"

	"github.com/cpcj/cpcj/internal/stats"
)

// wdiSource names the World Bank WDI file in the mapping files.
const wdiSource = "WDI"

// wdiDetail is the SOURCE_DETAIL of population figures.
const wdiDetail = "World Bank WDI SP.POP.TOTL"

// PopulationKey returns the POPULATION series key of an area.
func PopulationKey(area string) stats.Key {
	return stats.Key{"A", area, "POP", "_Z", "_T", "_T", "_Z", "_Z", "_Z", "PS"}
}

// ReadWDI reads the long WDI table (iso3, country_name, year, homicide
// rate, population) into POPULATION observations. Only the population is
// read: the homicide rates of that table are not loaded (HOMICIDE holds
// UNODC's own). World Bank aggregates are listed in area_names.csv and
// not loaded; any other code must be in CL_AREA.
func ReadWDI(r io.Reader, ref *Reference, fn func(line int, o stats.Observation) error) (*Report, error) {
	rep := newReport(FormatWDI)
	var ps stats.Problems
	err := eachRow(r, FormatWDI, &ps, func(line int, rec []string) error {
		rep.Rows++
		code, yr, pop := rec[0], rec[2], rec[4]
		if mapped, listed := ref.names[wdiSource][code]; listed && mapped == "" {
			rep.skip("World Bank aggregates", "not areas of cpcj; each is listed in data/"+AreaNamesFile)
			return nil
		}
		n := ps.Len()
		if !ref.HasArea(code) {
			ps.Add(line, "iso3", "%q is not a code of CL_AREA, nor a World Bank aggregate listed in data/%s", code, AreaNamesFile)
		}
		p, err := year(yr)
		if err != nil {
			ps.Add(line, "year", "%v", err)
		}
		v, err := value(pop)
		if err != nil {
			ps.Add(line, "population", "%v", err)
		}
		if ps.Len() > n {
			return nil
		}
		if v == nil {
			rep.skip("rows without a population", "the homicide rate alone is not loaded")
			return nil
		}
		o := stats.Observation{Flow: "POPULATION", Key: PopulationKey(code), Period: p, Value: v, Status: stats.StatusNormal, Source: wdiDetail}
		rep.ByFlow[o.Flow]++
		return fn(line, o)
	})
	if err != nil {
		return rep, err
	}
	return rep, ps.Err()
}
