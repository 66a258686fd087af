package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/stats/source"
)

// The generated data are victims of violent and sexual offences recorded
// by the police, as the VICTIMS dataflow holds them, for every country and
// territory of CL_AREA, by ICCS category, sex, age, relationship to the
// perpetrator and unit, 1990 to 2024. The codes are the shipped ones, so
// the file passes cpcj's validation; the values are random but of a
// plausible size. The file is benchmark input, written to a temporary
// directory at run time.

// genFlow is the dataflow the generated observations belong to.
const genFlow = "VICTIMS"

// The years the series span: each starts between genFirstYear and
// genLastStart and ends between genFirstEnd and genLastYear.
const (
	genFirstYear = 1990
	genLastStart = 2003
	genFirstEnd  = 2016
	genLastYear  = 2024
)

// victimCategory is an ICCS category with victims, and the range of its
// rate per 100,000 population among countries.
type victimCategory struct {
	iccs          string
	low, high     float64 // rate per 100,000, total of both sexes
	female        float64 // share of female victims
	intimateShare float64 // share of victims of an intimate partner or family member
}

var victimCategories = []victimCategory{
	{"0101", 0.3, 40, 0.2, 0.2},    // intentional homicide
	{"0102", 0.5, 30, 0.2, 0.15},   // attempted intentional homicide
	{"020111", 10, 600, 0.35, 0.3}, // serious assault
	{"020221", 0.1, 10, 0.4, 0.25}, // kidnapping
	{"0208", 5, 200, 0.6, 0.4},     // acts intended to induce fear or emotional distress
	{"0301", 5, 150, 0.85, 0.35},   // sexual violence
	{"03011", 1, 60, 0.9, 0.4},     // rape
	{"03012", 2, 80, 0.85, 0.3},    // sexual assault
	{"03019", 0.5, 20, 0.8, 0.3},   // other acts of sexual violence
	{"0302", 0.1, 10, 0.75, 0.2},   // sexual exploitation
}

var (
	genSexes         = []string{"_T", "F", "M"}
	genAges          = []string{"_T", "Y_GE18", "Y_LT18"}
	genRelationships = []string{"_T", "IPFM", "KNOWN", "UNKNOWN", "_U"}
	genUnits         = []string{"NB", "RT100K"}
)

// genSeries is one generated series: its key and its years.
type genSeries struct {
	key         stats.Key
	first, last int
	rate        float64 // per 100,000 population in the first year
	pop         float64 // population of the area
}

// statsData is a generated SDMX-CSV file.
type statsData struct {
	file   string
	rows   int
	bytes  int64
	series int
	areas  int
	// full are the keys of the series with a row for every year of the
	// query window, for the query benchmark.
	full []string
}

// generate writes an SDMX-CSV file of n observations of genFlow to file,
// from the seed, and returns what it wrote. The same seed and n give the
// same file.
func generate(file string, n int, seed uint64, queryFrom, queryTo int) (*statsData, error) {
	ref, err := source.LoadReference(data.FS)
	if err != nil {
		return nil, err
	}
	areas := countryCodes(ref.Codelists)
	if len(areas) == 0 {
		return nil, fmt.Errorf("no country codes in CL_AREA")
	}
	if err := checkCodes(ref.Codelists); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	// Every combination of the dimensions, in a random order; the first
	// ones that make n observations are the file's series. Countries report
	// some disaggregations and not others, and so does the sample.
	pops := make([]float64, len(areas))
	for i := range areas {
		pops[i] = logUniform(rng, 5e4, 3e8)
	}
	type combo struct{ area, cat, sex, age, rel, unit int }
	var combos []combo
	for a := range areas {
		for c := range victimCategories {
			for s := range genSexes {
				for g := range genAges {
					for r := range genRelationships {
						for u := range genUnits {
							combos = append(combos, combo{a, c, s, g, r, u})
						}
					}
				}
			}
		}
	}
	rng.Shuffle(len(combos), func(i, j int) { combos[i], combos[j] = combos[j], combos[i] })
	var series []genSeries
	total := 0
	for _, c := range combos {
		if total >= n {
			break
		}
		cat := victimCategories[c.cat]
		s := genSeries{
			first: genFirstYear + rng.IntN(genLastStart-genFirstYear+1),
			last:  genFirstEnd + rng.IntN(genLastYear-genFirstEnd+1),
			pop:   pops[c.area],
		}
		s.key = stats.Key{"A", areas[c.area], "VIC", cat.iccs, genSexes[c.sex], genAges[c.age],
			genRelationships[c.rel], "_T", "CJ", genUnits[c.unit]}
		s.rate = logUniform(rng, cat.low, cat.high) * share(cat, c.sex, c.age, c.rel)
		series = append(series, s)
		total += s.last - s.first + 1
	}
	// In key order, as an export lists them; the last series is cut short
	// so that the file has exactly n rows.
	slices.SortFunc(series, func(a, b genSeries) int { return strings.Compare(a.key.String(), b.key.String()) })
	if total < n {
		return nil, fmt.Errorf("the dimensions make only %d observations, fewer than %d", total, n)
	}
	last := &series[len(series)-1]
	last.last -= total - n
	for last.last < last.first {
		// The cut is longer than the last series: drop it and cut the one before.
		over := last.first - last.last - 1
		series = series[:len(series)-1]
		last = &series[len(series)-1]
		last.last -= over
	}

	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := stats.NewSDMXCSVWriter(f, genFlow)
	d := &statsData{file: file, series: len(series)}
	seen := map[string]bool{}
	for _, s := range series {
		seen[s.key[1]] = true
		if s.first <= queryFrom && s.last >= queryTo {
			d.full = append(d.full, s.key.String())
		}
		level := s.rate
		for y := s.first; y <= s.last; y++ {
			o := observation(rng, s, y, level)
			if err := w.Write(o); err != nil {
				return nil, err
			}
			d.rows++
			level *= math.Exp(rng.NormFloat64()*0.06 - 0.01)
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	d.bytes, d.areas = st.Size(), len(seen)
	return d, f.Close()
}

// observation is the observation of a series in a year, at the level
// (rate per 100,000) the series has then.
func observation(rng *rand.Rand, s genSeries, year int, level float64) stats.Observation {
	o := stats.Observation{Flow: genFlow, Key: s.key, Period: stats.Period{Year: year, Kind: 'A'}, Source: "CTS"}
	var v float64
	if s.key[9] == "NB" {
		v = math.Round(level * s.pop / 1e5)
	} else {
		v = math.Round(level*100) / 100
	}
	switch p := rng.Float64(); {
	case p < 0.03:
		o.Status = stats.StatusMissing // a gap: no value
	case p < 0.07:
		o.Status, o.Value = stats.StatusEstimated, &v
	case p < 0.075:
		o.Status, o.Value = stats.StatusBreak, &v
		o.Comment = "Break in series: new recording rules, counts not comparable with earlier years"
	case year == s.last && p < 0.4:
		o.Status, o.Value = stats.StatusProvisional, &v
	default:
		o.Status, o.Value = stats.StatusNormal, &v
	}
	if o.Status != stats.StatusMissing && rng.IntN(8) == 0 {
		o.Source = "National police"
	}
	return o
}

// share is the part of a category's victims that a disaggregation holds.
func share(c victimCategory, sex, age, rel int) float64 {
	f := 1.0
	switch genSexes[sex] {
	case "F":
		f *= c.female
	case "M":
		f *= 1 - c.female
	}
	switch genAges[age] {
	case "Y_GE18":
		f *= 0.85
	case "Y_LT18":
		f *= 0.15
	}
	switch other := 1 - c.intimateShare; genRelationships[rel] {
	case "IPFM":
		f *= c.intimateShare
	case "KNOWN":
		f *= 0.35 * other
	case "UNKNOWN":
		f *= 0.45 * other
	case "_U":
		f *= 0.2 * other
	}
	return f
}

func logUniform(rng *rand.Rand, low, high float64) float64 {
	return math.Exp(math.Log(low) + rng.Float64()*(math.Log(high)-math.Log(low)))
}

// countryCodes returns the codes of CL_AREA that are countries or
// territories: three capital letters with an M49 region as parent (the
// regional groups, though of three letters too, have no parent).
func countryCodes(lists []stats.Codelist) []string {
	var out []string
	for _, cl := range lists {
		if cl.ID != "CL_AREA" {
			continue
		}
		for _, c := range cl.Codes {
			if len(c.ID) == 3 && c.Parent != "" && strings.Trim(c.ID, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
				out = append(out, c.ID)
			}
		}
	}
	return out
}

// checkCodes makes sure every code the generator uses is in its code
// list, so that a change of the shipped lists is reported here rather
// than as a refused import.
func checkCodes(lists []stats.Codelist) error {
	byID := map[string]stats.Codelist{}
	for _, cl := range lists {
		byID[cl.ID] = cl
	}
	want := map[string][]string{
		"CL_FREQ": {"A"}, "CL_INDICATOR": {"VIC"}, "CL_SEX": genSexes, "CL_AGE": genAges,
		"CL_RELATIONSHIP": genRelationships, "CL_CYBER": {"_T"}, "CL_SOURCE_TYPE": {"CJ"}, "CL_UNIT_MEASURE": genUnits,
		"CL_OBS_STATUS": {stats.StatusNormal, stats.StatusEstimated, stats.StatusProvisional, stats.StatusBreak, stats.StatusMissing},
	}
	for _, c := range victimCategories {
		want["CL_ICCS"] = append(want["CL_ICCS"], c.iccs)
	}
	for list, codes := range want {
		for _, c := range codes {
			if !byID[list].Has(c) {
				return fmt.Errorf("the generator uses %s, which %s lacks", c, list)
			}
		}
	}
	return nil
}
