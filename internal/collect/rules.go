package collect

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// RuleColumns are the columns of a rules file (data/collection/rules.csv),
// in the order cpcj writes them; a file may have them in any order. The
// parameter columns are named as Params is in JSON.
var RuleColumns = slices.Concat([]string{"id", "name", "kind", "severity", "flow", "enabled"}, ruleParamColumns, []string{"note"})

// ruleParamColumns are the columns of a rules file that hold Params.
var ruleParamColumns = []string{"dim", "parts", "total", "of_which", "chain", "unit", "count_unit",
	"tolerance", "relative", "threshold", "z_score", "window", "min_years", "min_value", "table"}

// ReadRules reads validation rules from CSV, one rule a line, with the
// columns of RuleColumns: lists of codes (parts, chain) separated by
// spaces, yes/no for enabled and of_which, numbers with a decimal point,
// empty for a parameter the kind does not read. Every rule is checked
// with Rule.Check against the tables and code lists (st may be nil); an
// error names the line and the column.
func ReadRules(r io.Reader, tables []Table, st *stats.Structure) ([]Rule, error) {
	cr := csv.NewReader(csvSkipBOM(r))
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: cannot read the header: %v", stats.CSVReason(err))
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.TrimSpace(h)
		if !slices.Contains(RuleColumns, h) {
			hint := ""
			if strings.Contains(h, ";") {
				hint = "; separate the columns with commas, not semicolons"
			}
			return nil, fmt.Errorf("line 1: %q is not a column of a rules file (%s)%s", h, strings.Join(RuleColumns, ","), hint)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("line 1: the column %s appears twice", h)
		}
		col[h] = i
	}
	for _, c := range RuleColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("line 1: the header lacks the column %s (%s)", c, strings.Join(RuleColumns, ","))
		}
	}
	var rules []Rule
	ids, names := map[int64]int{}, map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rules, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %v", pe.Line, stats.CSVReason(err))
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		rule, err := ruleOf(func(c string) string { return strings.TrimSpace(rec[col[c]]) })
		if err == nil {
			err = rule.Check(tables, st)
		}
		if err != nil {
			if fe := fail.As(err); fe != nil && fe.Field != "" {
				return nil, fmt.Errorf("line %d, column %s: %s", line, fe.Field, fe.Message)
			}
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if first, dup := ids[rule.ID]; dup {
			return nil, fmt.Errorf("line %d, column id: %d is the id of the rule on line %d too", line, rule.ID, first)
		}
		if first, dup := names[rule.Name]; dup {
			return nil, fmt.Errorf("line %d, column name: %q is the name of the rule on line %d too", line, rule.Name, first)
		}
		ids[rule.ID], names[rule.Name] = line, line
		rules = append(rules, rule)
	}
}

// ruleOf reads the fields of one line of a rules file.
func ruleOf(get func(column string) string) (Rule, error) {
	r := Rule{Name: get("name"), Kind: RuleKind(get("kind")), Severity: Severity(get("severity")), Flow: get("flow"), Note: get("note")}
	var err error
	if r.ID, err = strconv.ParseInt(get("id"), 10, 64); err != nil || r.ID <= 0 {
		return r, fail.Field("id", "%q is not a rule id: write a whole number above 0", get("id"))
	}
	if r.Enabled, err = ruleYesNo(get("enabled"), "enabled"); err != nil {
		return r, err
	}
	r.Params, err = ReadParams(get)
	return r, err
}

// ReadParams reads the parameters of a rule as text, by their column name
// in a rules file (RuleColumns), as a file or a form gives them: lists of
// codes separated by spaces, yes/no (or empty for no) for of_which,
// numbers with a decimal point, empty for a parameter not given. An error
// names the column.
func ReadParams(get func(column string) string) (Params, error) {
	var p Params
	var err error
	p.Dim, p.Total, p.Unit, p.CountUnit, p.Table = get("dim"), get("total"), get("unit"), get("count_unit"), get("table")
	p.Parts, p.Chain = ruleCodes(get("parts")), ruleCodes(get("chain"))
	if p.OfWhich, err = ruleYesNo(get("of_which"), "of_which"); err != nil && get("of_which") != "" {
		return p, err
	}
	for _, f := range []struct {
		col string
		to  *float64
	}{{"tolerance", &p.Tolerance}, {"relative", &p.Relative}, {"threshold", &p.Threshold}, {"z_score", &p.ZScore}, {"min_value", &p.MinValue}} {
		s := get(f.col)
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return p, fail.Field(f.col, "%q is not a number: write it with a decimal point, e.g. 0.5", s)
		}
		*f.to = x
	}
	for _, f := range []struct {
		col string
		to  *int
	}{{"window", &p.Window}, {"min_years", &p.MinYears}} {
		s := get(f.col)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, fail.Field(f.col, "%q is not a whole number of years", s)
		}
		*f.to = n
	}
	return p, nil
}

// Field returns a parameter as a rules file writes it, by its column
// name: "" for one not given, codes separated by spaces, yes for of_which,
// numbers as short as they read back exactly.
func (p Params) Field(column string) string {
	num := func(x float64) string {
		if x == 0 {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	switch column {
	case "dim":
		return p.Dim
	case "parts":
		return strings.Join(p.Parts, " ")
	case "total":
		return p.Total
	case "of_which":
		if p.OfWhich {
			return "yes"
		}
		return ""
	case "chain":
		return strings.Join(p.Chain, " ")
	case "unit":
		return p.Unit
	case "count_unit":
		return p.CountUnit
	case "tolerance":
		return num(p.Tolerance)
	case "relative":
		return num(p.Relative)
	case "threshold":
		return num(p.Threshold)
	case "z_score":
		return num(p.ZScore)
	case "window":
		return num(float64(p.Window))
	case "min_years":
		return num(float64(p.MinYears))
	case "min_value":
		return num(p.MinValue)
	case "table":
		return p.Table
	}
	return ""
}

// WriteRules writes rules in the form of a rules file, which ReadRules
// reads back: the columns of RuleColumns, one rule a line.
func WriteRules(w io.Writer, rules []Rule) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RuleColumns); err != nil {
		return err
	}
	for _, r := range rules {
		rec := make([]string, 0, len(RuleColumns))
		for _, c := range RuleColumns {
			switch c {
			case "id":
				rec = append(rec, strconv.FormatInt(r.ID, 10))
			case "name":
				rec = append(rec, r.Name)
			case "kind":
				rec = append(rec, string(r.Kind))
			case "severity":
				rec = append(rec, string(r.Severity))
			case "flow":
				rec = append(rec, r.Flow)
			case "enabled":
				enabled := "no"
				if r.Enabled {
					enabled = "yes"
				}
				rec = append(rec, enabled)
			case "note":
				rec = append(rec, r.Note)
			default:
				rec = append(rec, r.Params.Field(c))
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ruleCodes reads a list of codes separated by spaces; nil for none.
func ruleCodes(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Fields(s)
}

func ruleYesNo(s, field string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fail.Field(field, "%q: write yes or no", s)
}

// RuleKinds are the kinds of rule, in the order pages list them.
var RuleKinds = []RuleKind{Sum, Count, Rate, Order, Outlier, Complete}

// Reads returns the parameters the kind reads, by their column name in a
// rules file; nil for a kind cpcj does not know.
func (k RuleKind) Reads() []string { return slices.Clone(ruleKindReads[k]) }

// ruleKindReads says which parameters each kind reads, by their column name;
// the first ones of each list are required (see need).
var ruleKindReads = map[RuleKind][]string{
	Sum:      {"dim", "parts", "total", "unit", "tolerance", "of_which"},
	Count:    {"unit"},
	Rate:     {"unit", "count_unit", "tolerance", "relative"},
	Order:    {"dim", "chain", "unit", "tolerance"},
	Outlier:  {"threshold", "z_score", "window", "min_years", "min_value", "unit"},
	Complete: {"table"},
}

// Check says what is wrong with a rule as the secretariat defined it, as
// a fail.Field error naming the parameter: a kind or severity cpcj does
// not know, a parameter the kind needs and lacks or does not read, a code
// that is not in its code list (st may be nil to leave code lists out), a
// table that does not exist.
func (r Rule) Check(tables []Table, st *stats.Structure) error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return fail.Field("name", "Give the rule a name, shown with every finding.")
	case r.Severity != Error && r.Severity != Warning:
		return fail.Field("severity", "%q: write error (blocks submission) or warning (needs a comment).", r.Severity)
	case st != nil && r.Flow != "" && !st.HasFlow(r.Flow):
		return fail.Field("flow", "No dataflow has the id %q.", r.Flow)
	}
	reads, ok := ruleKindReads[r.Kind]
	if !ok {
		return fail.Field("kind", "%q is not a kind of rule: write sum, count, rate, order, outlier or complete.", r.Kind)
	}
	p := r.Params
	given := map[string]bool{
		"dim": p.Dim != "", "parts": len(p.Parts) > 0, "total": p.Total != "", "of_which": p.OfWhich,
		"chain": len(p.Chain) > 0, "unit": p.Unit != "", "count_unit": p.CountUnit != "", "tolerance": p.Tolerance != 0,
		"relative": p.Relative != 0, "threshold": p.Threshold != 0, "z_score": p.ZScore != 0, "window": p.Window != 0,
		"min_years": p.MinYears != 0, "min_value": p.MinValue != 0, "table": p.Table != "",
	}
	for _, c := range ruleParamColumns {
		if given[c] && !slices.Contains(reads, c) {
			return fail.Field(c, "A %s rule does not read %s; leave it empty.", r.Kind, c)
		}
	}
	for _, n := range []struct {
		col string
		x   float64
	}{{"tolerance", p.Tolerance}, {"relative", p.Relative}, {"threshold", p.Threshold}, {"z_score", p.ZScore}, {"min_value", p.MinValue}, {"window", float64(p.Window)}, {"min_years", float64(p.MinYears)}} {
		if n.x < 0 {
			return fail.Field(n.col, "%s is negative; give 0 or more.", msgNum(n.x))
		}
	}
	need := func(cols ...string) error {
		for _, c := range cols {
			if !given[c] {
				return fail.Field(c, "A %s rule needs %s.", r.Kind, c)
			}
		}
		return nil
	}
	code := func(field, dim, c string) error {
		d := stats.DimIndex(dim)
		if st != nil && d >= 0 && !st.Has(stats.Dimensions[d].Codelist, c) {
			return fail.Field(field, "%q is not a code of %s.", c, stats.Dimensions[d].Codelist)
		}
		return nil
	}
	dim := func() error {
		if stats.DimIndex(p.Dim) < 0 {
			return fail.Field("dim", "%q is not a dimension (%s).", p.Dim, dimensionIDList())
		}
		return nil
	}
	codes := func(field string, list []string) error {
		for i, c := range list {
			if slices.Contains(list[:i], c) {
				return fail.Field(field, "%q appears twice.", c)
			}
			if err := code(field, p.Dim, c); err != nil {
				return err
			}
		}
		return nil
	}
	unit := func(field, u string) error {
		if u == "" {
			return nil
		}
		return code(field, "UNIT_MEASURE", u)
	}
	switch r.Kind {
	case Sum:
		return ruleFirstErr(need("dim", "parts", "total"), dim(), codes("parts", p.Parts), code("total", p.Dim, p.Total), unit("unit", p.Unit),
			ruleCheckIf(slices.Contains(p.Parts, p.Total), "parts", "The total %s cannot be one of its parts.", p.Total))
	case Count:
		return ruleFirstErr(need("unit"), unit("unit", p.Unit))
	case Rate:
		return ruleFirstErr(need("unit", "count_unit"), unit("unit", p.Unit), unit("count_unit", p.CountUnit),
			ruleCheckIf(p.Unit == p.CountUnit, "count_unit", "The count's unit must differ from the rate's."))
	case Order:
		return ruleFirstErr(need("dim", "chain"), dim(), codes("chain", p.Chain), unit("unit", p.Unit),
			ruleCheckIf(len(p.Chain) < 2, "chain", "Give at least two stages, from the widest to the narrowest."))
	case Outlier:
		return ruleFirstErr(ruleCheckIf(p.Threshold == 0 && p.ZScore == 0, "threshold", "An outlier rule needs a threshold, a z_score, or both."), unit("unit", p.Unit))
	case Complete:
		if err := need("table"); err != nil {
			return err
		}
		i := slices.IndexFunc(tables, func(t Table) bool { return t.ID == p.Table })
		switch {
		case i < 0 && tables != nil:
			return fail.Field("table", "No table has the id %q.", p.Table)
		case i >= 0 && r.Flow != "" && tables[i].Flow != r.Flow:
			return fail.Field("table", "The table %s is of the dataflow %s, not %s.", p.Table, tables[i].Flow, r.Flow)
		}
	}
	return nil
}

func ruleCheckIf(wrong bool, field, format string, args ...any) error {
	if wrong {
		return fail.Field(field, format, args...)
	}
	return nil
}

func ruleFirstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
