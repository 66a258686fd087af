package chart

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// Bar is one bar of a bar chart.
type Bar struct {
	Label string // under the bar, e.g. a year
	Value int
	Title string // on hover and for screen readers
}

// Marker is a vertical line at a point on the time axis, with a label.
type Marker struct {
	At    time.Time
	Label string
}

// Bars describes a chart of bars by year with markers on the time axis.
type Bars struct {
	Title     string
	Desc      string
	FirstYear int // the year of the first bar
	Bars      []Bar
	Markers   []Marker
}

const (
	barsWidth  = 760.0
	barsHeight = 300.0
	padLeft    = 44.0
	padRight   = 12.0
	padTop     = 34.0
	padBottom  = 36.0
)

// Render draws the chart.
func (c Bars) Render() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bars" viewBox="0 0 %d %d" role="img" aria-labelledby="bars-title bars-desc" xmlns="http://www.w3.org/2000/svg">`, int(barsWidth), int(barsHeight))
	fmt.Fprintf(&b, `<title id="bars-title">%s</title><desc id="bars-desc">%s</desc>`, esc(c.Title), esc(c.Desc))
	if len(c.Bars) == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	max := 1
	for _, bar := range c.Bars {
		if bar.Value > max {
			max = bar.Value
		}
	}
	top := niceCeil(max)
	plotW := barsWidth - padLeft - padRight
	plotH := barsHeight - padTop - padBottom
	slot := plotW / float64(len(c.Bars))
	y := func(v int) float64 { return padTop + plotH - plotH*float64(v)/float64(top) }

	// Grid lines and their values.
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		yy := y(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(padLeft), num(barsWidth-padRight), num(yy), num(yy))
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="end">%d</text>`, num(padLeft-6), num(yy+4), v)
	}
	// Bars, with a year label every few bars so that they do not collide.
	every := 1 + len(c.Bars)/16
	for i, bar := range c.Bars {
		x := padLeft + float64(i)*slot + slot*0.15
		w := slot * 0.7
		fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
			num(x), num(y(bar.Value)), num(w), num(padTop+plotH-y(bar.Value)), esc(bar.Title))
		if i%every == 0 || i == len(c.Bars)-1 {
			fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x+w/2), num(barsHeight-padBottom+16), esc(bar.Label))
		}
	}
	// Markers on a continuous time axis across the bars' years.
	start := time.Date(c.FirstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, m := range c.Markers {
		days := m.At.Sub(start).Hours() / 24
		x := padLeft + plotW*days/(365.25*float64(len(c.Bars)))
		if x < padLeft || x > barsWidth-padRight {
			continue
		}
		ly := 12.0 + float64(i%2)*13
		anchor := "start"
		lx := x + 4
		if x > barsWidth*0.7 {
			anchor, lx = "end", x-4
		}
		fmt.Fprintf(&b, `<line class="marker" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x), num(x), num(ly-2), num(padTop+plotH))
		fmt.Fprintf(&b, `<text class="marker-label" x="%s" y="%s" text-anchor="%s">%s</text>`, num(lx), num(ly+7), anchor, esc(m.Label))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(padLeft), num(barsWidth-padRight), num(padTop+plotH), num(padTop+plotH))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, for the axis.
func niceCeil(v int) int {
	p := 1
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string { return template.HTMLEscapeString(s) }
