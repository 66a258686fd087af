package web

import (
	"context"
	"fmt"

	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// statsMeta is what the statistics pages need beyond the figures: the
// structures, what each dataflow uses, and the analyst. It is read again
// when the statistics change (their version moves), so every server of a
// cluster follows the database.
type statsMeta struct {
	version   int64
	analyst   *stats.Analyst
	structure *stats.Structure
	flows     []stats.Dataflow
	lists     map[string]stats.Codelist
	usage     map[string]stats.Usage
	area      map[string]stats.Code // CL_AREA by code
	areaOrder []string              // CL_AREA order
}

// statsMeta returns the statistics' structures, read again if they changed.
func (h *Handler) statsMeta(ctx context.Context) (*statsMeta, error) {
	v, err := h.store.StatisticsVersion(ctx)
	if err != nil {
		return nil, err
	}
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	if m := h.statsCache; m != nil && m.version == v {
		return m, nil
	}
	m := &statsMeta{version: v, lists: map[string]stats.Codelist{}, usage: map[string]stats.Usage{}, area: map[string]stats.Code{}}
	lists, err := h.store.Codelists(ctx)
	if err != nil {
		return nil, err
	}
	for _, cl := range lists {
		m.lists[cl.ID] = cl
	}
	for _, c := range m.lists["CL_AREA"].Codes {
		m.area[c.ID] = c
		m.areaOrder = append(m.areaOrder, c.ID)
	}
	if m.flows, err = h.store.Dataflows(ctx); err != nil {
		return nil, err
	}
	for _, f := range m.flows {
		if m.usage[f.ID], err = h.store.FlowUsage(ctx, f.ID); err != nil {
			return nil, fmt.Errorf("usage of %s: %w", f.ID, err)
		}
	}
	groups, err := h.store.RegionalGroups(ctx)
	if err != nil {
		return nil, err
	}
	if m.analyst, err = stats.NewAnalyst(ctx, h.store, groups); err != nil {
		return nil, err
	}
	m.structure = stats.NewStructure(lists, m.flows)
	h.statsCache = m
	return m, nil
}

// flow returns a dataflow by id.
func (m *statsMeta) flow(id string) (stats.Dataflow, bool) {
	for _, f := range m.flows {
		if f.ID == id {
			return f, true
		}
	}
	return stats.Dataflow{}, false
}

// isAggregate reports whether an area is a region, group or the world.
func (m *statsMeta) isAggregate(code string) bool { return m.analyst.Geography().IsAggregate(code) }

// region returns the top M49 region (a child of the world) an area lies
// in, or "" for areas outside every region.
func (m *statsMeta) region(code string) string {
	for c := code; c != ""; c = m.area[c].Parent {
		if p := m.area[c].Parent; p == "001" {
			return c
		}
	}
	return ""
}

// codeName is a code's name for the reader: translated for the small
// code lists (sex, units, …) and the regional groups, as the source
// names it otherwise (crime categories, areas: in English).
func (m *statsMeta) codeName(l *i18n.Locale, dim int, code string) string {
	id := stats.Dimensions[dim].ID
	if key := "stats.code." + id + "." + code; l.Has(key) {
		return l.T(key)
	}
	if key := "stats.code." + code; (code == "_T" || code == "_Z") && l.Has(key) {
		return l.T(key)
	}
	if id == "REF_AREA" && l.Has("group."+code) {
		return l.T("group." + code)
	}
	name := m.lists[stats.Dimensions[dim].Codelist].CodeName(code)
	if id == "ICCS" && name != code {
		return name + " (" + code + ")"
	}
	return name
}

// flowName is a dataflow's name for the reader.
func (m *statsMeta) flowName(l *i18n.Locale, id string) string {
	if key := "stats.flowname." + id; l.Has(key) {
		return l.T(key)
	}
	if f, ok := m.flow(id); ok {
		return f.Name
	}
	return id
}

// dimLabel is a dimension's name for the reader.
func dimLabel(l *i18n.Locale, dim int) string {
	return l.T("stats.dim." + stats.Dimensions[dim].ID)
}

// isTotal reports whether a code is a total or "not applicable", which a
// title need not name.
func isTotal(code string) bool { return code == "_T" || code == "_Z" }
