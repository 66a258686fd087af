package collect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// Input is what a submission is validated with. Every way in (web form,
// workbook, CSV) ends here, so that a figure gets the same findings
// whichever way it came.
type Input struct {
	Scope Scope
	// Tables are the round's tables; those of the scope's dataflow lay out
	// the cells, name them in messages and say which are required.
	Tables []Table
	// Rules are the secretariat's rules; disabled ones and those of
	// another dataflow are skipped.
	Rules  []Rule
	Values []Value // the submission: the values of the scope
	// History holds the State's published observations of the dataflow
	// for the years before, which outliers are measured against.
	History []stats.Observation
	// Population gives the denominators of rates.
	Population stats.Populations
}

// Validate applies the enabled rules to a submission and returns every
// finding, in the order of the values they are about (then of the rules),
// with the required cells that have no value last. A value without a
// figure (status M, nil Value) is counted as not given: it takes no part
// in sums, orders, rates or outliers, and it leaves a required cell
// unfilled.
func Validate(in Input) []Finding {
	v := &validation{in: in, grid: newCellGrid(in.Tables, in.Scope.Flow, in.Scope.State),
		year: stats.Period{Year: in.Scope.Year, Kind: 'A'}}
	v.index()
	for ri, r := range in.Rules {
		if !r.Enabled || (r.Flow != "" && r.Flow != in.Scope.Flow) {
			continue
		}
		switch r.Kind {
		case Sum:
			v.sum(ri, r)
		case Count:
			v.count(ri, r)
		case Rate:
			v.rate(ri, r)
		case Order:
			v.order(ri, r)
		case Outlier:
			v.outlier(ri, r)
		case Complete:
			v.complete(ri, r)
		}
	}
	slices.SortStableFunc(v.found, func(a, b rankedFinding) int {
		return cmp.Or(cmp.Compare(a.value, b.value), cmp.Compare(a.rule, b.rule))
	})
	out := make([]Finding, len(v.found))
	for i, f := range v.found {
		out[i] = f.Finding
	}
	return out
}

// validation is one run of Validate. The rules read the values through
// compact arrays (cell, figure) rather than the values themselves, so
// that a rule over a million values reads megabytes, not their keys.
type validation struct {
	in   Input
	grid *cellGrid
	year stats.Period // the scope's year, as a period
	// cellOf gives, for each value of the scope's year, the number of its
	// cell in the grid, and -1 for the other values; byCell gives, for
	// each cell, the position of its value (-1 for none); other holds the
	// values that are not in a cell.
	cellOf []int32
	byCell []int32
	other  map[seriesAt]int32
	fig    []float64 // each value's figure
	has    []bool    // whether the value has a figure
	// The published figures of earlier years (see pastOf): past holds
	// those of the grid's cells, cell c's from pastStart[c] to
	// pastStart[c+1]; pastByKey those of other series.
	past      []pastFigure
	pastStart []int32
	pastByKey map[stats.Key][]pastFigure
	found     []rankedFinding
	missing   int // findings on cells without a value, to order them
}

type seriesAt struct {
	key    stats.Key
	period stats.Period
}

// rankedFinding is a finding with what orders it in the report.
type rankedFinding struct {
	Finding
	value, rule int
}

// index finds the place of every value.
func (v *validation) index() {
	n := len(v.in.Values)
	v.cellOf, v.fig, v.has = make([]int32, n), make([]float64, n), make([]bool, n)
	v.byCell = make([]int32, v.grid.size)
	for i := range v.byCell {
		v.byCell[i] = -1
	}
	v.other = map[seriesAt]int32{}
	for i := range v.in.Values {
		val := &v.in.Values[i]
		if val.Value != nil {
			v.fig[i], v.has[i] = *val.Value, true
		}
		c := -1
		if val.Period == v.year {
			c = v.grid.find(val.Key)
		}
		v.cellOf[i] = int32(c)
		if c >= 0 {
			v.byCell[c] = int32(i)
		} else {
			v.other[seriesAt{val.Key, val.Period}] = int32(i)
		}
	}
}

// code returns the code of dimension d of the value at position i.
func (v *validation) code(i, d int) string {
	if c := v.cellOf[i]; c >= 0 {
		return v.grid.codeOf(int(c), d)
	}
	return v.in.Values[i].Key[d]
}

// period returns the period of the value at position i.
func (v *validation) period(i int) stats.Period {
	if v.cellOf[i] >= 0 {
		return v.year
	}
	return v.in.Values[i].Period
}

// inUnit reports whether the value at position i is in the rule's unit,
// if it names one.
func (v *validation) inUnit(i int, unit string) bool {
	return unit == "" || v.code(i, keyUnit) == unit
}

// figureOf returns the figure of the value at position i, if there is
// one: i ≥ 0 and its Value not nil.
func (v *validation) figureOf(i int32) (float64, bool) {
	if i < 0 || !v.has[i] {
		return 0, false
	}
	return v.fig[i], true
}

// sibling returns the figure of the value whose key is that of the value
// at position i with the code of dimension d changed, in the same period,
// and whether there is one. inGrid says whether a table uses the code
// (cellGrid.uses), which the caller asks once for all values.
func (v *validation) sibling(i, d int, code string, inGrid bool) (float64, bool) {
	if c := v.cellOf[i]; c >= 0 {
		if n, ok := v.grid.neighbour(int(c), d, code); ok {
			return v.figureOf(v.byCell[n])
		}
	}
	if !inGrid && len(v.other) == 0 {
		return 0, false
	}
	k, p := v.in.Values[i].Key, v.period(i)
	k[d] = code
	if p == v.year && inGrid {
		if n := v.grid.find(k); n >= 0 {
			return v.figureOf(v.byCell[n])
		}
	}
	if j, ok := v.other[seriesAt{k, p}]; ok {
		return v.figureOf(j)
	}
	return 0, false
}

// usesAll reports, for each code, whether a table uses it for dimension d.
func (v *validation) usesAll(d int, codes []string) []bool {
	out := make([]bool, len(codes))
	for j, c := range codes {
		out[j] = v.grid.uses(d, c)
	}
	return out
}

// where prefixes a message with the cell the key names, leaving out the
// dimension skip, which the message itself is about.
func (v *validation) where(k stats.Key, skip string) string {
	if c := v.grid.find(k); c >= 0 {
		return v.grid.place(c, skip) + ": "
	}
	return ""
}

// flag records a finding on the value at position i.
func (v *validation) flag(ri int, r Rule, i int, format string, args ...any) {
	val := &v.in.Values[i]
	v.found = append(v.found, rankedFinding{value: i, rule: ri, Finding: Finding{
		Rule: r.Name, RuleID: r.ID, Severity: r.Severity, Key: val.Key, Period: val.Period, Origin: val.Origin,
		Message:   msgUpperFirst(fmt.Sprintf(format, args...)),
		Explained: r.Severity == Warning && strings.TrimSpace(val.Comment) != "",
	}})
}

// flagMissing records a finding on a cell that has no value.
func (v *validation) flagMissing(ri int, r Rule, k stats.Key, p stats.Period, msg string) {
	v.found = append(v.found, rankedFinding{value: len(v.in.Values) + v.missing, rule: ri, Finding: Finding{
		Rule: r.Name, RuleID: r.ID, Severity: r.Severity, Key: k, Period: p, Message: msgUpperFirst(msg),
	}})
	v.missing++
}

// floatSlack is the room left for floating-point sums of decimal figures.
func floatSlack(x float64) float64 { return 1e-9 * max(1, math.Abs(x)) }

// sum: parts ≤ total, and equal when every part is given.
func (v *validation) sum(ri int, r Rule) {
	p := r.Params
	d := stats.DimIndex(p.Dim)
	if d < 0 {
		return
	}
	inGrid := v.usesAll(d, p.Parts)
	for i := range v.in.Values {
		if !v.has[i] || v.code(i, d) != p.Total || !v.inUnit(i, p.Unit) {
			continue
		}
		total := v.fig[i]
		sum, given := 0.0, 0
		for j, part := range p.Parts {
			if x, ok := v.sibling(i, d, part, inGrid[j]); ok {
				sum += x
				given++
			}
		}
		tol := p.Tolerance + floatSlack(total)
		switch {
		case given == 0:
		case sum > total+tol:
			v.flag(ri, r, i, "%s%s is more than %s %s.", v.where(v.in.Values[i].Key, p.Dim), v.terms(i, d, p.Parts, inGrid), v.totalName(p.Dim, p.Total), msgNum(total))
		case !p.OfWhich && given == len(p.Parts) && sum < total-tol:
			v.flag(ri, r, i, "%s%s is less than %s %s; with every part given, they should add up to it.", v.where(v.in.Values[i].Key, p.Dim), v.terms(i, d, p.Parts, inGrid), v.totalName(p.Dim, p.Total), msgNum(total))
		}
	}
}

// terms writes the parts of a sum that are given, for a message:
// "Female 120 + Male 95 = 215".
func (v *validation) terms(i, d int, parts []string, inGrid []bool) string {
	var terms []string
	sum := 0.0
	for j, part := range parts {
		if x, ok := v.sibling(i, d, part, inGrid[j]); ok {
			sum += x
			terms = append(terms, v.grid.codeLabel(stats.Dimensions[d].ID, part)+" "+msgNum(x))
		}
	}
	s := strings.Join(terms, " + ")
	if len(terms) > 1 {
		s += " = " + msgNum(sum)
	}
	return s
}

// totalName names the total of a sum in a sentence: "the total" for the
// SDMX total code, otherwise its label.
func (v *validation) totalName(dim, code string) string {
	if code == "_T" {
		return "the total"
	}
	return v.grid.codeLabel(dim, code)
}

// count: counts are non-negative whole numbers.
func (v *validation) count(ri int, r Rule) {
	for i := range v.in.Values {
		if !v.has[i] || !v.inUnit(i, r.Params.Unit) {
			continue
		}
		switch x := v.fig[i]; {
		case x < 0:
			v.flag(ri, r, i, "%s%s is negative; a count is 0 or more.", v.where(v.in.Values[i].Key, ""), msgExact(x))
		case x != math.Trunc(x):
			v.flag(ri, r, i, "%s%s is not a whole number; a count has no decimals.", v.where(v.in.Values[i].Key, ""), msgExact(x))
		}
	}
}

// rate: a rate agrees with its count and the population.
func (v *validation) rate(ri int, r Rule) {
	p := r.Params
	inGrid := v.grid.uses(keyUnit, p.CountUnit)
	for i := range v.in.Values {
		if !v.has[i] || v.code(i, keyUnit) != p.Unit || !wholePopulation(v.code(i, keySex)) || !wholePopulation(v.code(i, keyAge)) {
			continue
		}
		n, ok := v.sibling(i, keyUnit, p.CountUnit, inGrid)
		if !ok {
			continue
		}
		period := v.period(i)
		pop, ok := v.in.Population.Get(v.code(i, keyArea), period)
		if !ok {
			continue
		}
		want := n / pop * 100000
		diff := math.Abs(v.fig[i] - want)
		if diff <= p.Tolerance+floatSlack(want) || (p.Relative > 0 && diff <= p.Relative*math.Abs(want)) {
			continue
		}
		got, calc := msgTwoApart(v.fig[i], want)
		v.flag(ri, r, i, "%sthe rate %s per 100,000 does not agree with the count %s and the population %s in %s, which give %s per 100,000.",
			v.where(v.in.Values[i].Key, ""), got, msgNum(n), msgNum(pop), period, calc)
	}
}

// wholePopulation reports whether a code of SEX or AGE stands for
// everyone.
func wholePopulation(code string) bool { return code == "_T" || code == "_Z" }

// order: along a chain, a later stage never exceeds an earlier one.
func (v *validation) order(ri int, r Rule) {
	p := r.Params
	d := stats.DimIndex(p.Dim)
	if d < 0 {
		return
	}
	inGrid := v.usesAll(d, p.Chain)
	for i := range v.in.Values {
		if !v.has[i] || !v.inUnit(i, p.Unit) {
			continue
		}
		stage := slices.Index(p.Chain, v.code(i, d))
		for j := stage - 1; j >= 0; j-- {
			before, ok := v.sibling(i, d, p.Chain[j], inGrid[j])
			if !ok {
				continue
			}
			if v.fig[i] > before+p.Tolerance+floatSlack(before) {
				v.flag(ri, r, i, "%s%s %s is more than %s %s; a later stage cannot exceed an earlier one for the same offence and year.",
					v.where(v.in.Values[i].Key, p.Dim), v.grid.codeLabel(p.Dim, p.Chain[stage]), msgNum(v.fig[i]), v.grid.codeLabel(p.Dim, p.Chain[j]), msgNum(before))
			}
			break
		}
	}
}

// complete: the table's required cells are filled.
func (v *validation) complete(ri int, r Rule) {
	for ti, t := range v.grid.tables {
		if t.ID != r.Params.Table {
			continue
		}
		cols := v.grid.parts[ti].cols
		for row, rowCode := range t.Rows.Codes {
			for col, colCode := range cols {
				if !t.isRequired(Cell{Row: rowCode, Col: colCode}) {
					continue
				}
				n := v.grid.number(ti, row, col, false)
				switch i := v.byCell[n]; {
				case i < 0:
					k := v.grid.cell(n).key
					v.flagMissing(ri, r, k, v.year, v.where(k, "")+"no figure is given.")
				case !v.has[i]:
					v.flag(ri, r, int(i), "%sthe figure is marked not available.", v.where(v.in.Values[i].Key, ""))
				}
			}
		}
	}
}
