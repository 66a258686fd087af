package collect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/stats"
)

// pastFigure is a published figure of an earlier year.
type pastFigure struct {
	year  int
	value float64
}

// pastOf returns the State's published figures of the series of the
// value at position i, by year. The history is indexed on first use:
// the figures of the grid's cells in one list ordered by cell and year,
// with where each cell's figures start, and the others by key.
func (v *validation) pastOf(i int) []pastFigure {
	if v.pastStart == nil {
		type cellPast struct {
			cell int32
			pastFigure
		}
		var inGrid []cellPast
		v.pastByKey = map[stats.Key][]pastFigure{}
		for _, o := range v.in.History {
			if o.Value == nil || o.Period.Kind != 'A' {
				continue
			}
			p := pastFigure{o.Period.Year, *o.Value}
			if c := v.grid.find(o.Key); c >= 0 {
				inGrid = append(inGrid, cellPast{int32(c), p})
			} else {
				v.pastByKey[o.Key] = append(v.pastByKey[o.Key], p)
			}
		}
		slices.SortFunc(inGrid, func(a, b cellPast) int { return cmp.Or(cmp.Compare(a.cell, b.cell), a.year-b.year) })
		v.pastStart = make([]int32, v.grid.size+1)
		v.past = make([]pastFigure, len(inGrid))
		for j, cp := range inGrid {
			v.past[j] = cp.pastFigure
			v.pastStart[cp.cell+1]++
		}
		for c := range v.grid.size {
			v.pastStart[c+1] += v.pastStart[c]
		}
		for _, past := range v.pastByKey {
			slices.SortFunc(past, func(a, b pastFigure) int { return a.year - b.year })
		}
	}
	c := int(v.cellOf[i])
	if c < 0 {
		c = v.grid.find(v.in.Values[i].Key)
	}
	if c >= 0 {
		return v.past[v.pastStart[c]:v.pastStart[c+1]]
	}
	return v.pastByKey[v.in.Values[i].Key]
}

// robustZ is the consistency constant of the MAD for a normal
// distribution (the MAD of a standard normal is 0.6745).
const robustZ = 0.6745

// meanADZ scales the mean absolute deviation when the MAD is 0
// (Iglewicz and Hoaglin; √(π/2) ≈ 1.2533).
const meanADZ = 1.253314

// outlier: a change from the State's previous years beyond a threshold,
// or a robust z-score beyond a limit.
func (v *validation) outlier(ri int, r Rule) {
	p := r.Params
	need := max(p.MinYears, 1)
	var prev []float64
	var years []int
	for i := range v.in.Values {
		if !v.has[i] {
			continue
		}
		past := v.pastOf(i)
		period := v.period(i)
		if len(past) < need || period.Kind != 'A' || !v.inUnit(i, p.Unit) {
			continue
		}
		prev, years = prev[:0], years[:0]
		for _, yv := range past {
			if yv.year < period.Year && (p.Window <= 0 || yv.year >= period.Year-p.Window) {
				prev, years = append(prev, yv.value), append(years, yv.year)
			}
		}
		if len(prev) < need {
			continue
		}
		x := v.fig[i]
		var why []string
		if p.Threshold > 0 {
			if s := changeBeyond(x, prev, years, p); s != "" {
				why = append(why, s)
			}
		}
		if p.ZScore > 0 && len(prev) >= max(need, 3) {
			if s := zBeyond(x, prev, years, p); s != "" {
				why = append(why, s)
			}
		}
		if len(why) > 0 {
			v.flag(ri, r, i, "%s%s is %s.", v.where(v.in.Values[i].Key, ""), msgNum(x), strings.Join(why, "; and it is "))
		}
	}
}

// changeBeyond says how x differs from the mean of the previous years if
// the relative change is beyond the threshold, or returns "".
func changeBeyond(x float64, prev []float64, years []int, p Params) string {
	m := meanOf(prev)
	if math.Abs(x) < p.MinValue && math.Abs(m) < p.MinValue {
		return ""
	}
	ref := fmt.Sprintf("the average of %s (%s)", msgYears(years), msgNum(m))
	if len(years) == 1 {
		ref = fmt.Sprintf("the %d figure (%s)", years[0], msgNum(m))
	}
	if m == 0 {
		if x == 0 {
			return ""
		}
		return "up from 0, " + ref[:strings.LastIndexByte(ref, ' ')]
	}
	change := (x - m) / math.Abs(m)
	if math.Abs(change) <= p.Threshold+1e-12 {
		return ""
	}
	dir := "above"
	if change < 0 {
		dir = "below"
	}
	return fmt.Sprintf("%s %% %s %s", msgNum(math.Round(math.Abs(change)*100)), dir, ref)
}

// zBeyond gives the robust z-score of x against the previous years if it
// is beyond the limit, or returns "".
func zBeyond(x float64, prev []float64, years []int, p Params) string {
	med := medianOf(prev)
	if math.Abs(x) < p.MinValue && math.Abs(med) < p.MinValue {
		return ""
	}
	dev := make([]float64, len(prev))
	for i, y := range prev {
		dev[i] = math.Abs(y - med)
	}
	var z float64
	if mad := medianOf(dev); mad > 0 {
		z = robustZ * (x - med) / mad
	} else if ad := meanOf(dev); ad > 0 {
		z = (x - med) / (meanADZ * ad)
	} else {
		return "" // the previous years do not vary: the threshold speaks for them
	}
	if math.Abs(z) <= p.ZScore {
		return ""
	}
	return fmt.Sprintf("far from the figures of %s (median %s): its robust z-score is %.1f, beyond ±%s", msgYears(years), msgNum(med), z, msgNum(p.ZScore))
}

func meanOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
