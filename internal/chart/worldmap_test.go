package chart

import (
	"os"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/data"
)

func TestWorldMap(t *testing.T) {
	w, err := LoadWorld(data.FS, "maps/countries-50m.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"404", "250", "840", "492", "336", "798"} {
		want := code != "798" // Tuvalu has no shape at this scale
		if w.Has(code) != want {
			t.Errorf("Has(%s) = %v, want %v", code, !want, want)
		}
	}
	svg := string(w.Render(MapSpec{Title: "Parties", Desc: "Parties to UNTOC", Class: map[string]string{"404": "party", "492": "party"}, Names: map[string]string{"404": "Kenya"}}))
	if !strings.Contains(svg, `class="party"`) || !strings.Contains(svg, "<title>Kenya</title>") || !strings.Contains(svg, `class="party dot"`) {
		t.Errorf("map lacks the party class, Kenya's name or Monaco's dot")
	}
	if os.Getenv("CHART_OUT") != "" {
		os.WriteFile(os.Getenv("CHART_OUT"), []byte(`<html><style>.party{fill:#0b5394}.other{fill:#ddd}.sphere{fill:#eef}path{stroke:#fff;stroke-width:.3}</style>`+svg), 0o644)
	}
	t.Logf("map: %d countries, %d bytes of SVG", len(w.countries), len(svg))
}
