// Package chart draws cpcj's charts and maps as SVG on the server, so they
// need no JavaScript, print well and can be read by screen readers through
// their titles and the tables beside them.
package chart

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
)

// World is the world map's country shapes, projected once.
type World struct {
	countries []country
	width     float64
	height    float64
}

type country struct {
	m49  string
	name string
	path string  // SVG path data
	area float64 // in square pixels, to find the countries too small to see
	cx   float64 // a point inside, for the dot of a small country
	cy   float64
}

// antarctica is Antarctica's M49 code.
const antarctica = "010"

// Map size in SVG units; the drawing scales to its container.
const (
	mapWidth = 960.0
	dotBelow = 12.0 // countries smaller than this many square units get a dot
)

// topology is the part of TopoJSON the map needs.
type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string          `json:"type"`
				Arcs       json.RawMessage `json:"arcs"`
				ID         string          `json:"id"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

// LoadWorld reads a TopoJSON file of countries (world-atlas layout) and
// projects it with the Equal Earth projection.
func LoadWorld(fsys fs.FS, name string) (*World, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var topo topology
	if err := json.Unmarshal(b, &topo); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Decode the quantized, delta-encoded arcs into longitude and latitude.
	arcs := make([][][2]float64, len(topo.Arcs))
	for i, arc := range topo.Arcs {
		x, y := 0.0, 0.0
		pts := make([][2]float64, len(arc))
		for j, p := range arc {
			x += p[0]
			y += p[1]
			pts[j] = [2]float64{x*topo.Transform.Scale[0] + topo.Transform.Translate[0], y*topo.Transform.Scale[1] + topo.Transform.Translate[1]}
		}
		arcs[i] = pts
	}
	// Scale so that the projected world is mapWidth wide.
	xmax, _ := equalEarth(180, 0)
	_, ymax := equalEarth(0, 90)
	k := mapWidth / (2 * xmax)
	w := &World{width: mapWidth, height: 2 * ymax * k}
	project := func(lon, lat float64) (float64, float64) {
		x, y := equalEarth(lon, lat)
		return x*k + mapWidth/2, w.height/2 - y*k
	}
	for _, g := range topo.Objects.Countries.Geometries {
		if g.ID == antarctica {
			continue // circles the pole; no participant; left out as UN maps do
		}
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, err
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return nil, err
			}
		default:
			continue
		}
		c := country{m49: g.ID, name: g.Properties.Name}
		var sb strings.Builder
		best := -1.0
		for _, poly := range polys {
			for ri, ring := range poly {
				pts := unwrap(ringPoints(arcs, ring))
				var xs, ys []float64
				for _, p := range pts {
					x, y := project(p[0], p[1])
					xs, ys = append(xs, x), append(ys, y)
				}
				writeRing(&sb, xs, ys)
				if ri == 0 {
					a, cx, cy := areaCentroid(xs, ys)
					c.area += a
					if a > best {
						best, c.cx, c.cy = a, cx, cy
					}
				}
			}
		}
		c.path = sb.String()
		w.countries = append(w.countries, c)
	}
	sort.Slice(w.countries, func(i, j int) bool { return w.countries[i].m49 < w.countries[j].m49 })
	return w, nil
}

// ringPoints joins a ring's arcs; a negative index means the arc reversed.
func ringPoints(arcs [][][2]float64, ring []int) [][2]float64 {
	var out [][2]float64
	for _, a := range ring {
		var pts [][2]float64
		if a >= 0 {
			pts = arcs[a]
		} else {
			src := arcs[^a]
			pts = make([][2]float64, len(src))
			for i := range src {
				pts[i] = src[len(src)-1-i]
			}
		}
		if len(out) > 0 && len(pts) > 0 {
			pts = pts[1:] // the first point repeats the last of the previous arc
		}
		out = append(out, pts...)
	}
	return out
}

// unwrap keeps a ring that crosses the antimeridian (eastern Russia, Fiji)
// on one side of it: the points across are moved by 360° and then held at
// the map's edge, instead of drawing a line across the whole world.
func unwrap(pts [][2]float64) [][2]float64 {
	crosses, east := false, 0
	for i := 1; i < len(pts); i++ {
		if math.Abs(pts[i][0]-pts[i-1][0]) > 180 {
			crosses = true
		}
		if pts[i][0] > 0 {
			east++
		}
	}
	if !crosses {
		return pts
	}
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		lon := p[0]
		if east*2 >= len(pts) && lon < 0 {
			lon += 360
		} else if east*2 < len(pts) && lon > 0 {
			lon -= 360
		}
		out[i] = [2]float64{max(-180, min(180, lon)), p[1]}
	}
	return out
}

// writeRing writes a closed ring as path data, dropping points closer than
// one unit to the last one written: invisible at the map's size.
func writeRing(sb *strings.Builder, xs, ys []float64) {
	if len(xs) < 3 {
		return
	}
	lx, ly := xs[0], ys[0]
	sb.WriteString("M" + num(lx) + " " + num(ly))
	for i := 1; i < len(xs); i++ {
		if math.Abs(xs[i]-lx) < 1 && math.Abs(ys[i]-ly) < 1 {
			continue
		}
		lx, ly = xs[i], ys[i]
		sb.WriteString("L" + num(lx) + " " + num(ly))
	}
	sb.WriteString("Z")
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// areaCentroid returns a polygon's area and centroid (shoelace formula).
func areaCentroid(xs, ys []float64) (area, cx, cy float64) {
	var a, x, y float64
	n := len(xs)
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		f := xs[i]*ys[j] - xs[j]*ys[i]
		a += f
		x += (xs[i] + xs[j]) * f
		y += (ys[i] + ys[j]) * f
	}
	if a == 0 {
		return 0, xs[0], ys[0]
	}
	return math.Abs(a / 2), x / (3 * a), y / (3 * a)
}

// equalEarth projects longitude and latitude in degrees (Šavrič, Patterson
// and Jenny, 2018), in units of the unit sphere.
func equalEarth(lon, lat float64) (x, y float64) {
	const (
		a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
	)
	m := math.Sqrt(3) / 2
	l := lon * math.Pi / 180
	p := math.Asin(m * math.Sin(lat*math.Pi/180))
	p2 := p * p
	p6 := p2 * p2 * p2
	x = l * math.Cos(p) / (m * (a1 + 3*a2*p2 + p6*(7*a3+9*a4*p2)))
	y = p * (a1 + a2*p2 + p6*(a3+a4*p2))
	return x, y
}

// Has reports whether the map has a shape for the M49 code.
func (w *World) Has(m49 string) bool {
	i := sort.Search(len(w.countries), func(i int) bool { return w.countries[i].m49 >= m49 })
	return i < len(w.countries) && w.countries[i].m49 == m49
}

// Layer is a class of countries on a map, with its legend.
type Layer struct {
	Class  string // CSS class: the fill
	Legend string
}

// MapSpec says what a map shows.
type MapSpec struct {
	Title string            // for screen readers, and the SVG's title
	Desc  string            // a sentence of what it shows
	Class map[string]string // CSS class by M49 code; others are drawn as "other"
	Names map[string]string // name by M49 code, shown on hover
	Links map[string]string // link by M49 code
}

// Render draws the map.
func (w *World) Render(spec MapSpec) template.HTML {
	var b strings.Builder
	// A group, not an image: its countries are links, and an image may not
	// contain interactive parts.
	fmt.Fprintf(&b, `<svg class="worldmap" viewBox="0 0 %s %s" role="group" aria-labelledby="map-title map-desc" xmlns="http://www.w3.org/2000/svg">`, num(w.width), num(w.height))
	fmt.Fprintf(&b, `<title id="map-title">%s</title><desc id="map-desc">%s</desc>`, template.HTMLEscapeString(spec.Title), template.HTMLEscapeString(spec.Desc))
	b.WriteString(`<path class="sphere" d="` + w.outline() + `"/>`)
	var dots strings.Builder
	for _, c := range w.countries {
		class, ok := spec.Class[c.m49]
		if !ok {
			class = "other"
		}
		name := spec.Names[c.m49]
		if name == "" {
			name = c.name
		}
		open, close := "", ""
		if link := spec.Links[c.m49]; link != "" {
			open, close = `<a href="`+template.HTMLEscapeString(link)+`">`, `</a>`
		}
		fmt.Fprintf(&b, `%s<path class="%s" d="%s"><title>%s</title></path>%s`, open, class, c.path, template.HTMLEscapeString(name), close)
		if c.area < dotBelow && ok {
			fmt.Fprintf(&dots, `%s<circle class="%s dot" cx="%s" cy="%s" r="2.6"><title>%s</title></circle>%s`, open, class, num(c.cx), num(c.cy), template.HTMLEscapeString(name), close)
		}
	}
	b.WriteString(dots.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// outline is the edge of the projected world.
func (w *World) outline() string {
	k := mapWidth / (2 * first(equalEarth(180, 0)))
	var xs, ys []float64
	for lat := -90.0; lat <= 90; lat += 2 {
		x, y := equalEarth(180, lat)
		xs, ys = append(xs, x*k+mapWidth/2), append(ys, w.height/2-y*k)
	}
	for lat := 90.0; lat >= -90; lat -= 2 {
		x, y := equalEarth(-180, lat)
		xs, ys = append(xs, x*k+mapWidth/2), append(ys, w.height/2-y*k)
	}
	var sb strings.Builder
	writeRing(&sb, xs, ys)
	return sb.String()
}

func first(x, _ float64) float64 { return x }
