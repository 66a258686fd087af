package chart

import (
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

// paths returns the d attribute of each series' line.
func paths(svg string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`class="series-line" d="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		out = append(out, m[1])
	}
	return out
}

// points reads the points of a path: the x of each, and whether the pen
// was lifted before it (M) or drew to it (L).
func points(t *testing.T, d string) (xs []float64, moves []bool) {
	t.Helper()
	for _, m := range regexp.MustCompile(`([ML])([-0-9.]+) ([-0-9.]+)`).FindAllStringSubmatch(d, -1) {
		x, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("path %q: %v", d, err)
		}
		xs = append(xs, x)
		moves = append(moves, m[1] == "M")
	}
	return xs, moves
}

func TestLineGaps(t *testing.T) {
	c := Line{ID: "t", Title: "Homicide rate", Desc: "Two series", Periods: []string{"2000", "2001", "2002", "2003", "2004", "2005"},
		Series: []LineSeries{
			{Name: "Kenya", Values: []*float64{f(4), f(3.5), nil, f(3.4), f(3.6), f(5.6)}},
			{Name: "Philippines", Values: []*float64{f(7), f(7.2), f(7.5), f(6.9), f(6.7), nil},
				Marks: []Mark{Plain, Plain, Plain, Break, Plain, Plain}},
		}}
	svg := string(c.Render())
	ps := paths(svg)
	if len(ps) != 2 {
		t.Fatalf("%d series lines, want 2:\n%s", len(ps), svg)
	}
	// Kenya has no value for 2002: the line stops at 2001 and starts again
	// at 2003, with nothing drawn to or from 2002.
	xs, moves := points(t, ps[0])
	if len(xs) != 5 {
		t.Fatalf("Kenya's line has %d points, want 5 (no point for 2002): %s", len(xs), ps[0])
	}
	if want := []bool{true, false, true, false, false}; !equal(moves, want) {
		t.Errorf("Kenya's line moves %v, want %v: the gap in 2002 must lift the pen", moves, want)
	}
	// The Philippines break in 2003: the line is not joined across it.
	_, moves = points(t, ps[1])
	if want := []bool{true, false, false, true, false}; !equal(moves, want) {
		t.Errorf("the Philippines' line moves %v, want %v: a break must lift the pen", moves, want)
	}
	if n := strings.Count(svg, `class="break"`); n != 1 {
		t.Errorf("%d break markers, want 1", n)
	}
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			t.Errorf("x goes back from %v to %v: time must run left to right", xs[i-1], xs[i])
		}
	}
}

func TestLineMarkers(t *testing.T) {
	c := Line{ID: "m", Periods: []string{"2010", "2011", "2012"}, EstimatedLabel: "estimated value", BreakLabel: "break in series",
		Series: []LineSeries{{Name: "A", Values: []*float64{f(1), f(2), f(3)}, Marks: []Mark{Plain, Estimated, Plain},
			Titles: []string{"A 2010: 1", "A 2011: 2 (estimated)", "A 2012: 3"}}}}
	svg := string(c.Render())
	if n := strings.Count(svg, `class="estimated"`); n != 1 {
		t.Errorf("%d estimate markers, want 1", n)
	}
	if !strings.Contains(svg, "<title>A 2011: 2 (estimated)</title>") {
		t.Error("the estimated point has no title")
	}
	if !strings.Contains(svg, "estimated value") {
		t.Error("the legend does not explain the estimate marker")
	}
	// No break, so the legend does not explain one.
	if strings.Contains(svg, "break in series") || strings.Contains(svg, `class="break"`) {
		t.Error("a break is drawn or explained where there is none")
	}
	// A lone value between gaps is still seen: as a dot.
	lone := Line{ID: "l", Periods: make([]string, 40), Series: []LineSeries{{Name: "B", Values: append([]*float64{nil, f(2)}, make([]*float64, 38)...)}}}
	svg = string(lone.Render())
	if n := strings.Count(svg, `class="point"`); n != 1 {
		t.Errorf("a lone value among 40 periods has %d dots, want 1", n)
	}
}

func TestLineTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi   float64
		n        int
		first    float64
		last     float64
		decimals int
	}{
		{0, 6.4, 5, 0, 8, 0},
		{0, 48.5, 5, 0, 50, 0},
		{0, 0.37, 5, 0, 0.4, 1},
		{0, 1, 5, 0, 1, 1},
		{0, 1234567, 5, 0, 1500000, 0},
		{-3, 7, 5, -4, 8, 0},
		{0, 0, 5, 0, 1, 1},
		{5, 5, 4, 5, 6, 1},
		{0, 0.0042, 5, 0, 0.005, 3},
	} {
		ticks, dec := niceTicks(tc.lo, tc.hi, tc.n)
		if ticks[0] != tc.first || ticks[len(ticks)-1] != tc.last || dec != tc.decimals {
			t.Errorf("niceTicks(%v, %v, %d) = %v with %d decimals, want %v…%v with %d", tc.lo, tc.hi, tc.n, ticks, dec, tc.first, tc.last, tc.decimals)
		}
		if len(ticks) < 2 || len(ticks) > 2*tc.n+1 {
			t.Errorf("niceTicks(%v, %v, %d) gives %d ticks", tc.lo, tc.hi, tc.n, len(ticks))
		}
		step := ticks[1] - ticks[0]
		for i := 1; i < len(ticks); i++ {
			if d := ticks[i] - ticks[i-1]; math.Abs(d-step) > step*1e-6 {
				t.Errorf("niceTicks(%v, %v): uneven steps %v", tc.lo, tc.hi, ticks)
				break
			}
		}
		// A step is 1, 2 or 5 times a power of ten.
		m := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		if math.Abs(m-1) > 1e-6 && math.Abs(m-2) > 1e-6 && math.Abs(m-5) > 1e-6 {
			t.Errorf("niceTicks(%v, %v): step %v is not 1, 2 or 5 times a power of ten", tc.lo, tc.hi, step)
		}
		for _, v := range ticks {
			if s := strconv.FormatFloat(v, 'f', -1, 64); len(s) > 12 {
				t.Errorf("tick %s is not round", s)
			}
		}
	}
}

// TestLineWellFormed renders awkward charts and checks that each is
// well-formed XML with no NaN or infinity in it.
func TestLineWellFormed(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for name, c := range map[string]Line{
		"empty":        {},
		"no values":    {Periods: []string{"2000", "2001"}, Series: []LineSeries{{Name: "x", Values: []*float64{nil, nil}}}},
		"one period":   {Periods: []string{"2000"}, Series: []LineSeries{{Name: "x", Values: []*float64{f(3)}}}},
		"NaN and Inf":  {Periods: []string{"2000", "2001", "2002"}, Series: []LineSeries{{Name: "x", Values: []*float64{&nan, f(2), &inf}}}},
		"all zero":     {Periods: []string{"2000", "2001"}, Series: []LineSeries{{Name: "x", Values: []*float64{f(0), f(0)}}}},
		"short values": {Periods: []string{"2000", "2001", "2002"}, Series: []LineSeries{{Name: "x<&>", Values: []*float64{f(1)}}}},
		"small":        {Width: 300, Height: 120, Periods: []string{"2000", "2001"}, Series: []LineSeries{{Name: "x", Values: []*float64{f(1e6), f(2e6)}}}},
		"many series": {Periods: []string{"2000", "2001"}, Series: func() []LineSeries {
			var s []LineSeries
			for i := range 30 {
				s = append(s, LineSeries{Name: strconv.Itoa(i), Values: []*float64{f(float64(i)), f(float64(2 * i))}})
			}
			return s
		}()},
	} {
		out := string(c.Render())
		for _, bad := range []string{"NaN", "Inf", "inf"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: the output has %q:\n%s", name, bad, out)
			}
		}
		d := xml.NewDecoder(strings.NewReader("<div>" + out + "</div>"))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s: not well-formed: %v\n%s", name, err, out)
				}
				break
			}
		}
	}
}

// TestLineRightToLeft checks that a chart made for a right-to-left page
// keeps its time axis and numbers left to right: the SVG says so itself,
// and the earliest period is drawn at the left.
func TestLineRightToLeft(t *testing.T) {
	c := Line{ID: "ar", Title: "معدل القتل", Unit: "لكل 100,000 نسمة", Periods: []string{"2010", "2011", "2012"},
		Format: func(v float64, d int) string { return strconv.FormatFloat(v, 'f', d, 64) },
		Series: []LineSeries{{Name: "كينيا", Values: []*float64{f(5.5), f(6.3), f(6.4)}}}}
	svg := string(c.Render())
	if !strings.Contains(svg, `direction="ltr"`) {
		t.Error("the SVG does not fix its direction to left to right")
	}
	xs, _ := points(t, paths(svg)[0])
	if len(xs) != 3 || xs[0] >= xs[2] {
		t.Errorf("x of 2010..2012 = %v: the earliest period must be at the left", xs)
	}
	first := strings.Index(svg, ">2010<")
	last := strings.Index(svg, ">2012<")
	if first < 0 || last < 0 || first > last {
		t.Error("the period labels are not written in time order")
	}
}

// TestStyles checks that every line colour has a contrast of at least
// 3:1 with the white background (WCAG 2.1, 1.4.11 non-text contrast), and
// that no two lines of a chart look the same.
func TestStyles(t *testing.T) {
	seen := map[Style]bool{}
	for _, s := range Styles {
		if r := contrast(s.Colour, "#ffffff"); r < 3 {
			t.Errorf("%s has a contrast of %.2f:1 with white, want at least 3:1", s.Colour, r)
		}
		if seen[s] {
			t.Errorf("%+v twice among the styles", s)
		}
		seen[s] = true
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}

func equal(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
