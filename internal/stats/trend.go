package stats

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Point is one period of a series, for trend analysis.
type Point struct {
	Period Period   `json:"period"`
	Value  *float64 `json:"value"`
	Status string   `json:"obs_status,omitempty"`
	// Members, for an aggregate, are the members whose values make up
	// Value, sorted; nil for a country's series. Breaks are those of them
	// whose own series breaks in the period (status B). An aggregate's
	// Status plays no part in its trends: see comparable.
	Members []string `json:"-"`
	Breaks  []string `json:"-"`
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

// comparable returns why the values of a series in two periods are not
// comparable, or nil when they are. A series breaks (status B) where the
// source changed its method or coverage: values on either side are not
// comparable. An aggregate's value is the sum over the members that
// reported, who differ from period to period; two of its values are
// comparable only when the same members make them up, and the series of
// none of those breaks between them (a break of another member does not
// matter).
func comparable(points []Point, a, b Period) error {
	if b.Start().Before(a.Start()) {
		a, b = b, a
	}
	from, to := pointAt(points, a), pointAt(points, b)
	aggregate := from != nil && from.Members != nil
	if aggregate && to != nil && !slices.Equal(from.Members, to.Members) {
		return refuseMembers(*from, *to)
	}
	lo, hi := a.Start(), b.Start()
	for _, p := range points {
		if s := p.Period.Start(); !s.After(lo) || s.After(hi) {
			continue
		}
		if !aggregate {
			if p.Status == StatusBreak {
				return refuseBreak(p.Period)
			}
			continue
		}
		for _, m := range p.Breaks {
			if slices.Contains(from.Members, m) {
				return &Refused{Reason: fmt.Sprintf("the series of %s, which reported in both periods, breaks in %s (status B): values before and after it are not comparable", m, p.Period)}
			}
		}
	}
	return nil
}

func pointAt(points []Point, p Period) *Point {
	for i := range points {
		if points[i].Period == p {
			return &points[i]
		}
	}
	return nil
}

// refuseMembers says that two values of an aggregate sum different
// members, naming a few of those that differ.
func refuseMembers(a, b Point) error {
	only := func(p, other Point) string {
		var out []string
		for _, m := range p.Members {
			if !slices.Contains(other.Members, m) {
				out = append(out, m)
			}
		}
		if len(out) == 0 {
			return ""
		}
		if len(out) > 5 {
			out = append(out[:5], "…")
		}
		return fmt.Sprintf("; only in %s: %s", p.Period, strings.Join(out, ", "))
	}
	return &Refused{Reason: fmt.Sprintf("the members that reported differ, %d in %s and %d in %s%s%s: a change of members is a break in series",
		len(a.Members), a.Period, len(b.Members), b.Period, only(a, b), only(b, a))}
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

// ChangeBetween returns the change from one period to another, refusing
// values that are not comparable (see comparable) or missing.
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
	if err := comparable(points, from, to); err != nil {
		return c, err
	}
	c.Absolute = b - a
	if a != 0 {
		p := (b - a) / a * 100
		c.Percent = &p
	}
	return c, nil
}

// AverageAnnualChange returns the average annual percentage change between
// two years, compounded: ((last/first)^(1/years) − 1) × 100. It refuses
// values that are not comparable (see comparable), a missing or
// non-positive end value, and periods that are not years.
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
	if err := comparable(points, from, to); err != nil {
		return 0, err
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
// whose value is not comparable with the base's (see comparable) have no
// index, with a note.
func Index(points []Point, base Period) ([]IndexPoint, error) {
	b, ok := valueAt(points, base)
	if !ok || b == 0 {
		return nil, &Refused{Reason: fmt.Sprintf("no value other than zero for the base period %s", base)}
	}
	out := make([]IndexPoint, 0, len(points))
	for _, p := range points {
		ip := IndexPoint{Period: p.Period, Status: p.Status}
		if p.Value == nil {
			ip.Note = "no value"
		} else if err := comparable(points, base, p.Period); err != nil {
			ip.Note = err.Error()
		} else {
			v := *p.Value / b * 100
			ip.Index = &v
		}
		out = append(out, ip)
	}
	return out, nil
}

// MovingAverage returns the centred 3-period moving average of each point:
// the mean of the point and its neighbours. A point without both
// neighbours' values, or whose window holds values that are not comparable
// (see comparable), has none, with a note.
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
		if err := comparable(points, prev.Period, p.Period); err != nil {
			out[i].Note = err.Error()
			continue
		}
		if err := comparable(points, p.Period, next.Period); err != nil {
			out[i].Note = err.Error()
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
	t := trendOf(Points(obs), from, to)
	if len(obs) > 0 {
		t.Key = obs[0].Key
		t.Series = obs[0].Key.String()
	}
	return t
}

// trendOf computes the trend figures of a series' points, in period
// order.
func trendOf(pts []Point, from, to Period) Trend {
	t := Trend{From: from, To: to, MovingAverage: MovingAverage(pts)}
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
