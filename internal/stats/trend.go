package stats

import (
	"fmt"
	"math"
	"sort"
)

// Point is one period of a series, for trend analysis.
type Point struct {
	Period Period   `json:"period"`
	Value  *float64 `json:"value"`
	Status string   `json:"obs_status,omitempty"`
}

// Points returns the points of one series from its observations, ordered
// by period.
func Points(obs []Observation) []Point {
	out := make([]Point, 0, len(obs))
	for _, o := range obs {
		out = append(out, Point{Period: o.Period, Value: o.Value, Status: o.Status})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period.Start().Before(out[j].Period.Start()) })
	return out
}

// breakBetween returns the first period after a and up to b (in either
// order) that starts a new series (status B): values on either side of it
// are not comparable.
func breakBetween(points []Point, a, b Period) (Period, bool) {
	lo, hi := a.Start(), b.Start()
	if hi.Before(lo) {
		lo, hi = hi, lo
	}
	for _, p := range points {
		s := p.Period.Start()
		if p.Status == StatusBreak && s.After(lo) && !s.After(hi) {
			return p.Period, true
		}
	}
	return Period{}, false
}

func valueAt(points []Point, p Period) (float64, bool) {
	for _, pt := range points {
		if pt.Period == p && pt.Value != nil {
			return *pt.Value, true
		}
	}
	return 0, false
}

// Change is the change of a series between two periods.
type Change struct {
	From     Period   `json:"from"`
	To       Period   `json:"to"`
	Absolute float64  `json:"absolute"`
	Percent  *float64 `json:"percent"` // nil when the first value is 0
}

// Refused is why a trend figure was not computed.
type Refused struct{ Reason string }

func (r *Refused) Error() string { return r.Reason }

func refuseBreak(at Period) error {
	return &Refused{Reason: fmt.Sprintf("the series breaks in %s (status B): values before and after it are not comparable", at)}
}

// ChangeBetween returns the change from one period to another, refusing to
// span a break in series or a missing value.
func ChangeBetween(points []Point, from, to Period) (Change, error) {
	c := Change{From: from, To: to}
	a, ok := valueAt(points, from)
	if !ok {
		return c, &Refused{Reason: fmt.Sprintf("no value for %s", from)}
	}
	b, ok := valueAt(points, to)
	if !ok {
		return c, &Refused{Reason: fmt.Sprintf("no value for %s", to)}
	}
	if at, ok := breakBetween(points, from, to); ok {
		return c, refuseBreak(at)
	}
	c.Absolute = b - a
	if a != 0 {
		p := (b - a) / a * 100
		c.Percent = &p
	}
	return c, nil
}

// AverageAnnualChange returns the average annual percentage change between
// two years, compounded: ((last/first)^(1/years) − 1) × 100. It refuses a
// break in series, a missing or non-positive end value, and periods that
// are not years.
func AverageAnnualChange(points []Point, from, to Period) (float64, error) {
	if from.Kind != 'A' || to.Kind != 'A' || to.Year <= from.Year {
		return 0, &Refused{Reason: fmt.Sprintf("the average annual change needs two years, the first before the second (got %s and %s)", from, to)}
	}
	a, ok := valueAt(points, from)
	if !ok {
		return 0, &Refused{Reason: fmt.Sprintf("no value for %s", from)}
	}
	b, ok := valueAt(points, to)
	if !ok {
		return 0, &Refused{Reason: fmt.Sprintf("no value for %s", to)}
	}
	if at, ok := breakBetween(points, from, to); ok {
		return 0, refuseBreak(at)
	}
	if a <= 0 || b <= 0 {
		return 0, &Refused{Reason: "the compound average annual change needs values above zero at both ends"}
	}
	return (math.Pow(b/a, 1/float64(to.Year-from.Year)) - 1) * 100, nil
}

// IndexPoint is a value as an index of the base period's value (= 100).
type IndexPoint struct {
	Period Period   `json:"period"`
	Index  *float64 `json:"index"`            // nil when there is no value, or it is across a break
	Note   string   `json:"note,omitempty"`   // why Index is nil
	Status string   `json:"status,omitempty"` // the point's status
}

// Index returns the series as an index to the base period (= 100). Points
// across a break in series from the base have no index, with a note.
func Index(points []Point, base Period) ([]IndexPoint, error) {
	b, ok := valueAt(points, base)
	if !ok || b == 0 {
		return nil, &Refused{Reason: fmt.Sprintf("no value other than zero for the base period %s", base)}
	}
	out := make([]IndexPoint, 0, len(points))
	for _, p := range points {
		ip := IndexPoint{Period: p.Period, Status: p.Status}
		switch at, brk := breakBetween(points, base, p.Period); {
		case p.Value == nil:
			ip.Note = "no value"
		case brk:
			ip.Note = refuseBreak(at).Error()
		default:
			v := *p.Value / b * 100
			ip.Index = &v
		}
		out = append(out, ip)
	}
	return out, nil
}

// MovingAverage returns the centred 3-period moving average of each point:
// the mean of the point and its neighbours. A point without both
// neighbours' values, or whose window spans a break in series, has none,
// with a note.
func MovingAverage(points []Point) []IndexPoint {
	out := make([]IndexPoint, len(points))
	for i, p := range points {
		out[i] = IndexPoint{Period: p.Period, Status: p.Status}
		if i == 0 || i == len(points)-1 {
			out[i].Note = "no neighbour on both sides"
			continue
		}
		prev, next := points[i-1], points[i+1]
		if !consecutive(prev.Period, p.Period) || !consecutive(p.Period, next.Period) {
			out[i].Note = "a neighbouring period is missing"
			continue
		}
		if prev.Value == nil || p.Value == nil || next.Value == nil {
			out[i].Note = "a value in the window is missing"
			continue
		}
		if p.Status == StatusBreak || next.Status == StatusBreak {
			at := p.Period
			if next.Status == StatusBreak {
				at = next.Period
			}
			out[i].Note = refuseBreak(at).Error()
			continue
		}
		v := (*prev.Value + *p.Value + *next.Value) / 3
		out[i].Index = &v
	}
	return out
}

// consecutive reports whether b is the period right after a.
func consecutive(a, b Period) bool { return a.Kind == b.Kind && a.End().Equal(b.Start()) }

// Trend is the trend figures of one series between two periods.
type Trend struct {
	Key           Key          `json:"-"`
	Series        string       `json:"series"`
	From          Period       `json:"from"`
	To            Period       `json:"to"`
	Change        *Change      `json:"change,omitempty"`
	AnnualChange  *float64     `json:"average_annual_change_percent,omitempty"`
	Index         []IndexPoint `json:"index,omitempty"` // base = From
	MovingAverage []IndexPoint `json:"moving_average"`
	Refusals      []string     `json:"refusals,omitempty"` // the figures not computed, and why
}

// TrendOf computes every trend figure of one series between two periods,
// saying which it refused and why.
func TrendOf(obs []Observation, from, to Period) Trend {
	pts := Points(obs)
	t := Trend{From: from, To: to, MovingAverage: MovingAverage(pts)}
	if len(obs) > 0 {
		t.Key = obs[0].Key
		t.Series = obs[0].Key.String()
	}
	if c, err := ChangeBetween(pts, from, to); err == nil {
		t.Change = &c
	} else {
		t.Refusals = append(t.Refusals, "change: "+err.Error())
	}
	if v, err := AverageAnnualChange(pts, from, to); err == nil {
		t.AnnualChange = &v
	} else {
		t.Refusals = append(t.Refusals, "average annual change: "+err.Error())
	}
	if idx, err := Index(pts, from); err == nil {
		t.Index = idx
	} else {
		t.Refusals = append(t.Refusals, "index: "+err.Error())
	}
	return t
}
