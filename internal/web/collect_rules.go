package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// The validation rules of the collection: the list everyone taking part
// reads (a focal point sees what its figures are checked with), and the
// forms the secretariat adds and changes rules with. A change applies
// from the next check of a State's figures.

// rulesPage is the data of the rules list.
type rulesPage struct {
	Groups  []ruleGroup
	Total   int
	CanEdit bool
	Kinds   []ruleOption // for choosing the kind of a new rule
	Form    *ruleForm    // the form to add a rule, once its kind is chosen
	Err     string       // an error that is about no field of the form
}

// ruleGroup is the rules of one kind.
type ruleGroup struct {
	Kind  collect.RuleKind
	Rules []ruleRow
}

// ruleRow is a rule as pages show it.
type ruleRow struct {
	collect.Rule
	Checks string // what it checks, in plain language
	Flow   string // the dataflow it applies to, named; "" for all
}

// rulePage is the data of one rule's page.
type rulePage struct {
	Row  ruleRow
	Form *ruleForm // for the secretariat
	Err  string    // an error that is about no field of the form
}

// ruleForm is the form of a rule, with what was typed in it and the
// error found, shown beside its field.
type ruleForm struct {
	ID         int64 // 0 for a new rule
	Kind       collect.RuleKind
	Name       string
	Severity   string
	Flow       string
	Note       string
	Enabled    bool
	Flows      []ruleOption
	Severities []collect.Severity
	Params     []ruleParam
	Err        string
	ErrFor     string // the field Err is about
}

// ruleOption is a choice of a select.
type ruleOption struct {
	Value, Label string
	Chosen       bool
}

// ruleParam is the field of one parameter, named as the column of a
// rules file.
type ruleParam struct {
	Name    string
	Value   string
	Input   string       // text, number, integer, check or select
	Options []ruleOption // for a select
	Codes   []ruleOption // for dim: the codes of the chosen dimension, as a help
	Err     string
}

// CollectRules lists the validation rules by kind; for the secretariat, with
// the form to add one.
func (h *Handler) CollectRules(w http.ResponseWriter, r *http.Request) {
	d, err := h.rulesData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if kind := collect.RuleKind(r.URL.Query().Get("kind")); d.CanEdit && kind.Reads() != nil {
		if d.Form, err = h.ruleForm(r, kind, 0, newRuleValues); err != nil {
			h.Error(w, r, err)
			return
		}
		d.Kinds = ruleKindOptions(h.Locale(r), kind)
	}
	h.render(w, r, http.StatusOK, "collect_rules", "collection", d)
}

// newRuleValues are the fields of a new rule's form before it is filled:
// a warning, enabled.
func newRuleValues(field string) string {
	switch field {
	case "severity":
		return string(collect.Warning)
	case "enabled":
		return "yes"
	}
	return ""
}

func (h *Handler) rulesData(r *http.Request) (rulesPage, error) {
	by := access.FromContext(r.Context())
	rules, err := h.store.Rules(r.Context(), by)
	if err != nil {
		return rulesPage{}, err
	}
	l := h.Locale(r)
	m, err := h.statsMeta(r.Context())
	if err != nil {
		return rulesPage{}, err
	}
	tables, err := h.store.RuleTables(r.Context(), access.FromContext(r.Context()))
	if err != nil {
		return rulesPage{}, err
	}
	d := rulesPage{Total: len(rules), CanEdit: access.Allowed(by, access.ReviewData, ""), Kinds: ruleKindOptions(l, "")}
	for _, k := range collect.RuleKinds {
		g := ruleGroup{Kind: k}
		for _, rule := range rules {
			if rule.Kind == k {
				g.Rules = append(g.Rules, ruleRowOf(l, m, tables, rule))
			}
		}
		if len(g.Rules) > 0 {
			d.Groups = append(d.Groups, g)
		}
	}
	return d, nil
}

func ruleKindOptions(l *i18n.Locale, chosen collect.RuleKind) []ruleOption {
	out := make([]ruleOption, len(collect.RuleKinds))
	for i, k := range collect.RuleKinds {
		out[i] = ruleOption{Value: string(k), Label: l.T("rules.kind." + string(k)), Chosen: k == chosen}
	}
	return out
}

func ruleRowOf(l *i18n.Locale, m *statsMeta, tables []collect.Table, rule collect.Rule) ruleRow {
	row := ruleRow{Rule: rule, Checks: ruleChecks(l, m, tables, rule)}
	if rule.Flow != "" {
		row.Flow = m.flowName(l, rule.Flow)
	}
	return row
}

// CollectRule shows one rule; for the secretariat, with the form to change it.
func (h *Handler) CollectRule(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	by := access.FromContext(r.Context())
	rule, err := h.store.Rule(r.Context(), by, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d, err := h.ruleData(r, rule)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if access.Allowed(by, access.ReviewData, "") {
		if d.Form, err = h.ruleForm(r, rule.Kind, rule.ID, ruleValues(rule)); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "collect_rule", "collection", d)
}

func (h *Handler) ruleData(r *http.Request, rule collect.Rule) (rulePage, error) {
	m, err := h.statsMeta(r.Context())
	if err != nil {
		return rulePage{}, err
	}
	tables, err := h.store.RuleTables(r.Context(), access.FromContext(r.Context()))
	if err != nil {
		return rulePage{}, err
	}
	return rulePage{Row: ruleRowOf(h.Locale(r), m, tables, rule)}, nil
}

// ruleValues gives the fields of a rule's form, by name.
func ruleValues(rule collect.Rule) func(string) string {
	return func(field string) string {
		switch field {
		case "name":
			return rule.Name
		case "severity":
			return string(rule.Severity)
		case "flow":
			return rule.Flow
		case "note":
			return rule.Note
		case "enabled":
			if rule.Enabled {
				return "yes"
			}
			return ""
		}
		return rule.Params.Field(field)
	}
}

// ruleFromForm reads the rule form; a parameter that is not a number is
// named by its field.
func ruleFromForm(f url.Values) (collect.Rule, error) {
	rule := collect.Rule{Name: f.Get("name"), Kind: collect.RuleKind(f.Get("kind")), Severity: collect.Severity(f.Get("severity")),
		Flow: f.Get("flow"), Note: strings.ReplaceAll(f.Get("note"), "\r\n", "\n"), Enabled: f.Get("enabled") == "yes"}
	var err error
	rule.Params, err = collect.ReadParams(func(c string) string { return strings.TrimSpace(f.Get(c)) })
	return rule, err
}

// CreateCollectRule handles the form that adds a rule.
func (h *Handler) CreateCollectRule(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	rule, err := ruleFromForm(r.PostForm)
	if err == nil {
		rule, err = h.store.CreateRule(r.Context(), by, rule)
	}
	if err != nil {
		h.ruleFailed(w, r, err, collect.Rule{Kind: rule.Kind})
		return
	}
	redirectDone(w, r, fmt.Sprintf("%s/rules/%d", CollectionPrefix, rule.ID), "rule_created")
}

// UpdateCollectRule handles the form that changes a rule.
func (h *Handler) UpdateCollectRule(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	stored, err := h.store.Rule(r.Context(), by, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	rule, err := ruleFromForm(r.PostForm)
	rule.ID, rule.Kind = id, stored.Kind
	if err == nil {
		_, err = h.store.UpdateRule(r.Context(), by, rule)
	}
	if err != nil {
		h.ruleFailed(w, r, err, stored)
		return
	}
	// Back to the list, which shows the rule among the others.
	redirectDone(w, r, CollectionPrefix+"/rules", "rule_updated")
}

// ruleFailed shows the form again, as it was filled, with the error
// beside the field it is about: on the list for a new rule, on the rule's
// page for a stored one.
func (h *Handler) ruleFailed(w http.ResponseWriter, r *http.Request, err error, stored collect.Rule) {
	e := fail.As(err)
	if e == nil || (e.Kind != fail.Invalid && e.Kind != fail.Conflict) {
		h.Error(w, r, err)
		return
	}
	typed := func(field string) string { return r.PostForm.Get(field) }
	if stored.ID == 0 {
		d, derr := h.rulesData(r)
		if derr != nil {
			h.Error(w, r, derr)
			return
		}
		d.Kinds = ruleKindOptions(h.Locale(r), stored.Kind)
		if stored.Kind.Reads() != nil {
			if d.Form, derr = h.ruleForm(r, stored.Kind, 0, typed); derr != nil {
				h.Error(w, r, derr)
				return
			}
		}
		d.Err = d.Form.fail(e)
		h.render(w, r, fail.Status(err), "collect_rules", "collection", d)
		return
	}
	d, derr := h.ruleData(r, stored)
	if derr != nil {
		h.Error(w, r, derr)
		return
	}
	if d.Form, derr = h.ruleForm(r, stored.Kind, stored.ID, typed); derr != nil {
		h.Error(w, r, derr)
		return
	}
	d.Err = d.Form.fail(e)
	h.render(w, r, fail.Status(err), "collect_rule", "collection", d)
}

// fail places an error beside the field it names, and returns it when
// the form shows no such field (f may be nil: no form is shown).
func (f *ruleForm) fail(e *fail.Error) string {
	if f == nil {
		return e.Message
	}
	if slices.Contains([]string{"name", "severity", "flow", "note", "enabled"}, e.Field) {
		f.Err, f.ErrFor = e.Message, e.Field
		return ""
	}
	for i := range f.Params {
		if f.Params[i].Name == e.Field {
			f.Params[i].Err = e.Message
			return ""
		}
	}
	return e.Message
}

// ruleForm builds the form of a rule of the kind from the values of its
// fields.
func (h *Handler) ruleForm(r *http.Request, kind collect.RuleKind, id int64, get func(string) string) (*ruleForm, error) {
	l := h.Locale(r)
	m, err := h.statsMeta(r.Context())
	if err != nil {
		return nil, err
	}
	tables, err := h.store.RuleTables(r.Context(), access.FromContext(r.Context()))
	if err != nil {
		return nil, err
	}
	f := &ruleForm{ID: id, Kind: kind, Name: get("name"), Severity: get("severity"), Flow: get("flow"), Note: get("note"),
		Enabled: get("enabled") == "yes", Severities: []collect.Severity{collect.Error, collect.Warning}}
	f.Flows = append(f.Flows, ruleOption{Value: "", Label: l.T("rules.flow.all"), Chosen: f.Flow == ""})
	for _, fl := range m.flows {
		f.Flows = append(f.Flows, ruleOption{Value: fl.ID, Label: m.flowName(l, fl.ID) + " (" + fl.ID + ")", Chosen: fl.ID == f.Flow})
	}
	units := func(v string) []ruleOption {
		out := []ruleOption{{Value: "", Label: l.T("rules.unit.any"), Chosen: v == ""}}
		for _, c := range m.lists[stats.Dimensions[stats.DimUnit].Codelist].Codes {
			out = append(out, ruleOption{Value: c.ID, Label: m.codeName(l, stats.DimUnit, c.ID) + " (" + c.ID + ")", Chosen: c.ID == v})
		}
		return out
	}
	for _, name := range kind.Reads() {
		p := ruleParam{Name: name, Value: get(name), Input: "text"}
		switch name {
		case "dim":
			p.Input = "select"
			p.Options = []ruleOption{{Value: "", Label: l.T("rules.choose"), Chosen: p.Value == ""}}
			for i, d := range stats.Dimensions {
				if d.ID == "REF_AREA" {
					continue
				}
				p.Options = append(p.Options, ruleOption{Value: d.ID, Label: dimLabel(l, i), Chosen: d.ID == p.Value})
			}
			if d := stats.DimIndex(p.Value); d >= 0 {
				for _, c := range m.lists[stats.Dimensions[d].Codelist].Codes {
					p.Codes = append(p.Codes, ruleOption{Value: c.ID, Label: m.codeName(l, d, c.ID)})
				}
			}
		case "unit", "count_unit":
			p.Input, p.Options = "select", units(p.Value)
		case "table":
			p.Input = "select"
			p.Options = []ruleOption{{Value: "", Label: l.T("rules.choose"), Chosen: p.Value == ""}}
			for _, t := range tables {
				p.Options = append(p.Options, ruleOption{Value: t.ID, Label: t.Title + " (" + t.ID + ")", Chosen: t.ID == p.Value})
			}
		case "of_which":
			p.Input = "check"
		case "tolerance", "relative", "threshold", "z_score", "min_value":
			p.Input = "number"
		case "window", "min_years":
			p.Input = "integer"
		}
		f.Params = append(f.Params, p)
	}
	return f, nil
}

// ruleChecks says in plain language what a rule checks, with the names
// of its codes.
func ruleChecks(l *i18n.Locale, m *statsMeta, tables []collect.Table, rule collect.Rule) string {
	p := rule.Params
	d := stats.DimIndex(p.Dim)
	name := func(code string) string {
		if d < 0 {
			return code
		}
		return m.codeName(l, d, code)
	}
	names := func(codes []string, sep string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = name(c)
		}
		return strings.Join(out, sep)
	}
	dim := p.Dim
	if d >= 0 {
		dim = dimLabel(l, d)
	}
	unit := func(code string) string { return m.codeName(l, stats.DimUnit, code) }
	var s []string
	switch rule.Kind {
	case collect.Sum:
		key := "rules.checks.sum"
		if p.OfWhich {
			key = "rules.checks.sum.of_which"
		}
		s = append(s, l.T(key, "n", len(p.Parts), "dim", dim, "parts", names(p.Parts, " + "), "total", name(p.Total)))
	case collect.Count:
		s = append(s, l.T("rules.checks.count", "unit", unit(p.Unit)))
	case collect.Rate:
		s = append(s, l.T("rules.checks.rate", "unit", unit(p.Unit), "count", unit(p.CountUnit)))
		switch {
		case p.Tolerance > 0 && p.Relative > 0:
			s = append(s, l.T("rules.checks.rate.both", "tolerance", ruleNum(l, p.Tolerance), "relative", ruleNum(l, p.Relative*100)))
		case p.Tolerance > 0:
			s = append(s, l.T("rules.checks.rate.tolerance", "tolerance", ruleNum(l, p.Tolerance)))
		case p.Relative > 0:
			s = append(s, l.T("rules.checks.rate.relative", "relative", ruleNum(l, p.Relative*100)))
		}
	case collect.Order:
		s = append(s, l.T("rules.checks.order", "dim", dim, "chain", names(p.Chain, " ≥ ")))
	case collect.Outlier:
		// Against the previous years of the window, or all of them.
		against := func(key string, args ...any) string {
			if p.Window > 0 {
				return l.T(key, append(args, "n", p.Window)...)
			}
			return l.T(key+".all", args...)
		}
		var when []string
		if p.Threshold > 0 {
			when = append(when, against("rules.checks.outlier.change", "pct", ruleNum(l, p.Threshold*100)))
		}
		if p.ZScore > 0 {
			when = append(when, against("rules.checks.outlier.z", "z", ruleNum(l, p.ZScore)))
		}
		s = append(s, l.T("rules.checks.outlier", "when", strings.Join(when, l.T("rules.checks.or"))))
		need := max(p.MinYears, 1)
		if p.ZScore > 0 && p.Threshold == 0 {
			need = max(need, 3)
		}
		s = append(s, l.T("rules.checks.outlier.min_years", "n", need))
		if p.MinValue > 0 {
			s = append(s, l.T("rules.checks.outlier.min_value", "n", ruleNum(l, p.MinValue)))
		}
	case collect.Complete:
		title := p.Table
		if i := slices.IndexFunc(tables, func(t collect.Table) bool { return t.ID == p.Table }); i >= 0 {
			title = tables[i].Title
		}
		s = append(s, l.T("rules.checks.complete", "table", title))
	}
	if p.Unit != "" && (rule.Kind == collect.Sum || rule.Kind == collect.Order || rule.Kind == collect.Outlier) {
		s = append(s, l.T("rules.checks.unit", "unit", unit(p.Unit)))
	}
	if p.Tolerance > 0 && (rule.Kind == collect.Sum || rule.Kind == collect.Order) {
		s = append(s, l.T("rules.checks.tolerance", "n", ruleNum(l, p.Tolerance)))
	}
	return strings.Join(s, " ")
}

// ruleNum writes a parameter as the language writes numbers, with the
// decimals it has (to six).
func ruleNum(l *i18n.Locale, x float64) string {
	x = math.Round(x*1e6) / 1e6
	s := strconv.FormatFloat(x, 'f', -1, 64)
	decimals := 0
	if _, frac, ok := strings.Cut(s, "."); ok {
		decimals = len(frac)
	}
	return l.Decimal(x, decimals)
}
