package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Mark says how a point of a line is marked beside its value.
type Mark int

// The marks of a point.
const (
	Plain Mark = iota
	// Estimated is an estimate, not a reported figure: an open circle.
	Estimated
	// Break starts a new series (SDMX status B): a diamond, and the line
	// is not joined to the point before, whose value is not comparable.
	Break
)

// LineSeries is one line of a line chart.
type LineSeries struct {
	Name string
	// Values holds one value per period of the chart; nil where there is
	// none, which leaves a gap in the line.
	Values []*float64
	Marks  []Mark   // one per period, or nil for all Plain
	Titles []string // one per period, shown on hover; optional
}

// Line describes a line chart of several series over the same periods.
type Line struct {
	// ID prefixes the ids of the chart's elements, so that several charts
	// can share a page.
	ID      string
	Title   string
	Desc    string
	Unit    string   // what the values count, written above the value axis
	Periods []string // the time axis, oldest first
	Series  []LineSeries
	// Format writes a value with the given number of decimals as the
	// page's language does; nil writes it plainly.
	Format func(v float64, decimals int) string
	// The legend's words for the marks; a mark is explained only if some
	// point has it.
	EstimatedLabel string
	BreakLabel     string
	// Width and Height are the drawing's size in SVG units (it scales to
	// its container); zero for 760 by 320.
	Width, Height float64
}

// Styles are the colours and dash patterns of the lines, in order. Each
// colour has a contrast of at least 3:1 with white (WCAG 2.1, 1.4.11), and
// lines whose colours are alike (blue and teal, red and magenta, orange
// and ochre) differ in their dashes, so that the first ten lines can be
// told apart without colour too.
var Styles = []Style{
	{"#0b5394", ""}, {"#b35c00", "7 4"}, {"#1e7a3a", "2 3"}, {"#a4161a", "10 3 2 3"}, {"#6a3d9a", "4 2"},
	{"#00707f", "7 4"}, {"#7a5c00", "2 3"}, {"#c2185b", ""}, {"#4a5360", "10 3 2 3"}, {"#0b5394", "2 3"},
}

// Style is how a line is drawn.
type Style struct {
	Colour string
	Dash   string // an SVG stroke-dasharray; empty for a solid line
}

// style returns the colour and dash pattern of the i-th series.
func style(i int) (colour, dash string) {
	s := Styles[i%len(Styles)]
	return s.Colour, s.Dash
}

// lineFont is the approximate width of a character of the axis labels
// (11 units high), used to keep labels from colliding.
const lineFont = 6.6

// Render draws the chart as an SVG image (in a div.chart-plot, which a
// narrow page may scroll sideways) followed by its legend, a list.
// Lines have gaps where values are missing and do not cross a break in
// series; estimates and breaks are marked and explained in the legend.
// The time axis runs left to right in every language.
func (c Line) Render() template.HTML {
	width, height := c.Width, c.Height
	if width <= 0 || height <= 0 {
		width, height = 760, 320
	}
	id := c.ID
	if id == "" {
		id = "line"
	}
	format := c.Format
	if format == nil {
		format = func(v float64, d int) string { return strconv.FormatFloat(v, 'f', d, 64) }
	}

	lo, hi, has := valueRange(c.Series)
	ticks, decimals := niceTicks(lo, hi, max(3, int((height-60)/45)))
	labels := make([]string, len(ticks))
	widest := 0
	for i, t := range ticks {
		labels[i] = format(t, decimals)
		widest = max(widest, len([]rune(labels[i])))
	}
	padLeft := 14 + float64(widest)*lineFont
	const padRight, padTop, padBottom = 16.0, 30.0, 30.0
	plotW, plotH := width-padLeft-padRight, height-padTop-padBottom
	bottom, top := ticks[0], ticks[len(ticks)-1]
	y := func(v float64) float64 { return padTop + plotH - plotH*(v-bottom)/(top-bottom) }
	n := len(c.Periods)
	inset := 8.0
	x := func(i int) float64 {
		if n <= 1 {
			return padLeft + plotW/2
		}
		return padLeft + inset + (plotW-2*inset)*float64(i)/float64(n-1)
	}

	var b strings.Builder
	b.WriteString(`<div class="chart-plot">`)
	fmt.Fprintf(&b, `<svg class="line" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title %s-desc" direction="ltr" xmlns="http://www.w3.org/2000/svg">`,
		num(width), num(height), esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(c.Desc))
	if c.Unit != "" {
		fmt.Fprintf(&b, `<text class="unit" x="%s" y="14" text-anchor="start">%s</text>`, num(padLeft), esc(c.Unit))
	}
	for i, t := range ticks {
		yy := y(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(padLeft), num(width-padRight), num(yy), num(yy))
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`, num(padLeft-6), num(yy+4), esc(labels[i]))
	}
	// Period labels, every few so that they do not collide.
	if n > 0 {
		longest := 0
		for _, p := range c.Periods {
			longest = max(longest, len([]rune(p)))
		}
		every := 1
		if slot := (plotW - 2*inset) / float64(max(n-1, 1)); slot > 0 {
			every = max(1, int(math.Ceil((float64(longest)*lineFont+10)/slot)))
		}
		for i, p := range c.Periods {
			if i%every != 0 {
				continue
			}
			fmt.Fprintf(&b, `<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x(i)), num(x(i)), num(padTop+plotH), num(padTop+plotH+4))
			fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x(i)), num(height-padBottom+18), esc(p))
		}
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(padLeft), num(width-padRight), num(y(bottom)), num(y(bottom)))

	var hasEstimate, hasBreak bool
	dots := n <= 30 // with few periods every value gets a dot, to hover and to see
	for si, s := range c.Series {
		colour, dash := style(si)
		var path strings.Builder
		var marks strings.Builder
		pen := false // whether the last point drawn can be joined
		for i := 0; i < n; i++ {
			v, ok := valueAt(s.Values, i)
			mark := markAt(s.Marks, i)
			if !ok {
				pen = false
				continue
			}
			xx, yy := x(i), y(v)
			joined := pen && mark != Break
			if joined {
				path.WriteString("L" + num(xx) + " " + num(yy))
			} else {
				path.WriteString("M" + num(xx) + " " + num(yy))
			}
			title := ""
			if i < len(s.Titles) && s.Titles[i] != "" {
				title = "<title>" + esc(s.Titles[i]) + "</title>"
			}
			isolated := !joined && !joinsNext(s, i, n)
			switch {
			case mark == Estimated:
				hasEstimate = true
				fmt.Fprintf(&marks, `<circle class="estimated" cx="%s" cy="%s" r="4.5" fill="#fff" stroke="%s" stroke-width="2">%s</circle>`, num(xx), num(yy), colour, title)
			case mark == Break:
				hasBreak = true
				fmt.Fprintf(&marks, `<path class="break" d="M%s %sl5.5 5.5l-5.5 5.5l-5.5-5.5z" fill="%s" stroke="#fff" stroke-width="1">%s</path>`, num(xx), num(yy-5.5), colour, title)
			case dots || isolated:
				fmt.Fprintf(&marks, `<circle class="point" cx="%s" cy="%s" r="%s" fill="%s">%s</circle>`, num(xx), num(yy), num(pointRadius(isolated)), colour, title)
			}
			pen = true
		}
		fmt.Fprintf(&b, `<g class="series">`)
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path class="series-line" d="%s" fill="none" stroke="%s" stroke-width="2.2" stroke-linejoin="round"`, path.String(), colour)
			if dash != "" {
				fmt.Fprintf(&b, ` stroke-dasharray="%s"`, dash)
			}
			b.WriteString("/>")
		}
		b.WriteString(marks.String())
		b.WriteString("</g>")
	}
	if !has {
		// An empty frame says nothing: the page says there are no values.
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">—</text>`, num(padLeft+plotW/2), num(padTop+plotH/2))
	}
	b.WriteString("</svg></div>")

	b.WriteString(`<ul class="chart-legend">`)
	for si, s := range c.Series {
		colour, dash := style(si)
		dashAttr := ""
		if dash != "" {
			dashAttr = ` stroke-dasharray="` + dash + `"`
		}
		fmt.Fprintf(&b, `<li><svg width="30" height="12" viewBox="0 0 30 12" aria-hidden="true" focusable="false"><line x1="1" x2="29" y1="6" y2="6" stroke="%s" stroke-width="2.5"%s/></svg><span>%s</span></li>`,
			colour, dashAttr, esc(s.Name))
	}
	if hasEstimate {
		fmt.Fprintf(&b, `<li class="mark"><svg width="30" height="12" viewBox="0 0 30 12" aria-hidden="true" focusable="false"><circle cx="15" cy="6" r="4.5" fill="#fff" stroke="#4a5360" stroke-width="2"/></svg><span>%s</span></li>`, esc(c.EstimatedLabel))
	}
	if hasBreak {
		fmt.Fprintf(&b, `<li class="mark"><svg width="30" height="12" viewBox="0 0 30 12" aria-hidden="true" focusable="false"><path d="M15 0.5l5.5 5.5l-5.5 5.5l-5.5-5.5z" fill="#4a5360"/></svg><span>%s</span></li>`, esc(c.BreakLabel))
	}
	b.WriteString("</ul>")
	return template.HTML(b.String())
}

func pointRadius(isolated bool) float64 {
	if isolated {
		return 3.5 // alone, a point is all there is of the line
	}
	return 2.4
}

// joinsNext reports whether the point after i will be joined to it.
func joinsNext(s LineSeries, i, n int) bool {
	if i+1 >= n {
		return false
	}
	_, ok := valueAt(s.Values, i+1)
	return ok && markAt(s.Marks, i+1) != Break
}

// valueAt returns a series' value in the i-th period; NaN and infinities
// count as missing, so they never reach the drawing.
func valueAt(vs []*float64, i int) (float64, bool) {
	if i >= len(vs) || vs[i] == nil || math.IsNaN(*vs[i]) || math.IsInf(*vs[i], 0) {
		return 0, false
	}
	return *vs[i], true
}

func markAt(ms []Mark, i int) Mark {
	if i >= len(ms) {
		return Plain
	}
	return ms[i]
}

// valueRange returns the range the value axis must show: from zero (or
// the lowest value, if negative) to the highest value.
func valueRange(series []LineSeries) (lo, hi float64, has bool) {
	for _, s := range series {
		for i := range s.Values {
			v, ok := valueAt(s.Values, i)
			if !ok {
				continue
			}
			if !has {
				lo, hi, has = v, v, true
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return min(lo, 0), max(hi, 0), has
}

// niceTicks returns about n round values (1, 2 or 5 times a power of ten
// apart) from at or below lo to at or above hi, and how many decimals
// they need.
func niceTicks(lo, hi float64, n int) ([]float64, int) {
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / float64(max(n-1, 1)))
	first := math.Floor(lo/step) * step
	last := math.Ceil(hi/step) * step
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var out []float64
	for i := 0; ; i++ {
		v := first + float64(i)*step
		// Round away the float error of the multiplication, so that a
		// tick reads 0.3, not 0.30000000000000004.
		v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'f', decimals, 64), 64)
		out = append(out, v)
		if v >= last-step/2 {
			break
		}
	}
	return out, decimals
}

// niceStep rounds a step to the nearest of 1, 2 or 5 times a power of ten
// (Heckbert's "nice numbers"), so that the axis has about as many ticks
// as asked for.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch m := raw / p; {
	case m < 1.5:
		return p
	case m < 3:
		return 2 * p
	case m < 7:
		return 5 * p
	}
	return 10 * p
}
