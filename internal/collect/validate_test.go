package collect

import (
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/stats"
)

func vfig(x float64) *float64 { return &x }

// tVictims is a table like the shipped ones: relationship by sex.
var tVictims = Table{
	ID: "VICTIMS_ASSAULT", Title: "Victims of serious assault", Flow: "VICTIMS",
	Fixed: map[string]string{"FREQ": "A", "INDICATOR": "VIC", "ICCS": "020111", "AGE": "_T", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows: Axis{Dim: "RELATIONSHIP", Codes: []string{"IPFM", "KNOWN", "UNKNOWN", "_U", "_T"},
		Labels: []string{"Intimate partner or family member", "Other perpetrator known to the victim", "Perpetrator unknown to the victim", "Relationship not known", "Total"}},
	Cols:     Axis{Dim: "SEX", Codes: []string{"F", "M", "_T"}, Labels: []string{"Female", "Male", "Total"}},
	Required: []Cell{{Row: "_T"}},
	Rates:    true,
}

// tChain is a table of the justice chain, which the shipped dataflows lack.
var tChain = Table{
	ID: "CHAIN", Title: "Persons in the criminal justice system", Flow: "CJS",
	Fixed: map[string]string{"FREQ": "A", "ICCS": "0101", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "_T", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
	Rows: Axis{Dim: "INDICATOR", Codes: []string{"CONTACT", "PROSECUTED", "CONVICTED"},
		Labels: []string{"Brought into formal contact", "Prosecuted", "Convicted"}},
}

var vYear2023 = stats.Period{Year: 2023, Kind: 'A'}

// at returns a value of a cell of the table for Kenya in 2023.
func vcell(t testing.TB, tab Table, row, col string, x *float64, origin string) Value {
	t.Helper()
	k, err := tab.Key("KEN", Cell{Row: row, Col: col})
	if err != nil {
		t.Fatal(err)
	}
	st := stats.StatusNormal
	if x == nil {
		st = stats.StatusMissing
	}
	return Value{Key: k, Period: vYear2023, Value: x, Status: st, Origin: origin}
}

// rateOf turns a count value into the rate of the same cell.
func vrate(v Value, x float64) Value {
	v.Key[keyUnit] = stats.UnitRate
	v.Value = vfig(x)
	return v
}

func vrun(tab Table, rule Rule, values []Value, history []stats.Observation, pop stats.Populations) []Finding {
	rule.Enabled = true
	if rule.Name == "" {
		rule.Name = "the rule"
	}
	if rule.Severity == "" {
		rule.Severity = Error
	}
	return Validate(Input{Scope: Scope{Flow: tab.Flow, State: "KEN", Year: 2023}, Tables: []Table{tab},
		Rules: []Rule{rule}, Values: values, History: history, Population: pop})
}

func vlines(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Origin+" | "+f.Message)
	}
	return out
}

func vwant(t *testing.T, name string, got []Finding, want ...string) {
	t.Helper()
	g := vlines(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", name, g, want)
	}
}

func TestSum(t *testing.T) {
	sex := Rule{Kind: Sum, Params: Params{Dim: "SEX", Parts: []string{"F", "M"}, Total: "_T", Unit: "NB"}}
	ipfm := func(female, male, total *float64) []Value {
		return []Value{vcell(t, tVictims, "IPFM", "F", female, "line 2"), vcell(t, tVictims, "IPFM", "M", male, "line 3"), vcell(t, tVictims, "IPFM", "_T", total, "line 4")}
	}
	const place = "Victims of serious assault, Intimate partner or family member: "
	vwant(t, "equal", vrun(tVictims, sex, ipfm(vfig(120), vfig(80), vfig(200)), nil, nil))
	vwant(t, "more", vrun(tVictims, sex, ipfm(vfig(120), vfig(95), vfig(200)), nil, nil),
		"line 4 | "+place+"Female 120 + Male 95 = 215 is more than the total 200.")
	vwant(t, "one over", vrun(tVictims, sex, ipfm(vfig(121), vfig(80), vfig(200)), nil, nil),
		"line 4 | "+place+"Female 121 + Male 80 = 201 is more than the total 200.")
	vwant(t, "one under, every part given", vrun(tVictims, sex, ipfm(vfig(120), vfig(79), vfig(200)), nil, nil),
		"line 4 | "+place+"Female 120 + Male 79 = 199 is less than the total 200; with every part given, they should add up to it.")
	vwant(t, "a part not available", vrun(tVictims, sex, ipfm(vfig(120), nil, vfig(200)), nil, nil))
	noMale := ipfm(vfig(120), vfig(80), vfig(200))
	vwant(t, "a part missing", vrun(tVictims, sex, []Value{noMale[0], noMale[2]}, nil, nil))
	vwant(t, "a part missing, the other over", vrun(tVictims, sex, []Value{vcell(t, tVictims, "IPFM", "F", vfig(12400), "line 2"), vcell(t, tVictims, "IPFM", "_T", vfig(12000), "line 4")}, nil, nil),
		"line 4 | "+place+"Female 12,400 is more than the total 12,000.")
	vwant(t, "the total not available", vrun(tVictims, sex, ipfm(vfig(120), vfig(95), nil), nil, nil))

	ofWhich := sex
	ofWhich.Params.OfWhich = true
	vwant(t, "of which, less", vrun(tVictims, ofWhich, ipfm(vfig(100), vfig(50), vfig(200)), nil, nil))
	vwant(t, "of which, more", vrun(tVictims, ofWhich, ipfm(vfig(150), vfig(51), vfig(200)), nil, nil),
		"line 4 | "+place+"Female 150 + Male 51 = 201 is more than the total 200.")

	// Rates by sex have their own populations: the rule is for counts.
	rates := []Value{vrate(vcell(t, tVictims, "IPFM", "F", nil, ""), 10), vrate(vcell(t, tVictims, "IPFM", "M", nil, ""), 10), vrate(vcell(t, tVictims, "IPFM", "_T", nil, ""), 10)}
	vwant(t, "rates", vrun(tVictims, sex, rates, nil, nil))

	// Decimals add up within floating-point rounding.
	vwant(t, "decimals", vrun(tVictims, sex, ipfm(vfig(0.1), vfig(0.2), vfig(0.3)), nil, nil))
	tol := sex
	tol.Params.Tolerance = 1
	vwant(t, "within the tolerance", vrun(tVictims, tol, ipfm(vfig(120), vfig(81), vfig(200)), nil, nil))

	rel := Rule{Kind: Sum, Params: Params{Dim: "RELATIONSHIP", Parts: []string{"IPFM", "KNOWN", "UNKNOWN", "_U"}, Total: "_T"}}
	vs := []Value{vcell(t, tVictims, "IPFM", "F", vfig(50), "B2"), vcell(t, tVictims, "KNOWN", "F", vfig(30), "B3"), vcell(t, tVictims, "UNKNOWN", "F", vfig(15), "B4"),
		vcell(t, tVictims, "_U", "F", vfig(6), "B5"), vcell(t, tVictims, "_T", "F", vfig(100), "B6")}
	vwant(t, "relationship", vrun(tVictims, rel, vs, nil, nil),
		"B6 | Victims of serious assault, Female: Intimate partner or family member 50 + Other perpetrator known to the victim 30 + Perpetrator unknown to the victim 15 + Relationship not known 6 = 101 is more than the total 100.")
}

func TestCount(t *testing.T) {
	r := Rule{Kind: Count, Params: Params{Unit: "NB"}}
	vs := []Value{vcell(t, tVictims, "IPFM", "F", vfig(0), "a"), vcell(t, tVictims, "IPFM", "M", vfig(-1), "b"), vcell(t, tVictims, "KNOWN", "F", vfig(12.5), "c"),
		vcell(t, tVictims, "KNOWN", "M", vfig(12), "d"), vcell(t, tVictims, "UNKNOWN", "F", nil, "e"), vcell(t, tVictims, "UNKNOWN", "M", vfig(1234.0001), "f"),
		vrate(vcell(t, tVictims, "_U", "F", nil, "g"), 1.5)}
	vwant(t, "counts", vrun(tVictims, r, vs, nil, nil),
		"b | Victims of serious assault, Intimate partner or family member, Male: -1 is negative; a count is 0 or more.",
		"c | Victims of serious assault, Other perpetrator known to the victim, Female: 12.5 is not a whole number; a count has no decimals.",
		"f | Victims of serious assault, Perpetrator unknown to the victim, Male: 1,234.0001 is not a whole number; a count has no decimals.")
}

func TestRate(t *testing.T) {
	r := Rule{Kind: Rate, Params: Params{Unit: "RT100K", CountUnit: "NB", Tolerance: 0.05}}
	pop := stats.Populations{"KEN": {vYear2023: 50_000_000}}
	count := vcell(t, tVictims, "_T", "_T", vfig(1000), "line 2") // 2 per 100,000
	rateCheck := func(rate float64) []Finding {
		return vrun(tVictims, r, []Value{count, vrate(vcell(t, tVictims, "_T", "_T", nil, "line 3"), rate)}, nil, pop)
	}
	vwant(t, "agrees", rateCheck(2))
	vwant(t, "at the tolerance", rateCheck(2.05))
	vwant(t, "past the tolerance", rateCheck(2.06),
		"line 3 | Victims of serious assault, Total, Total, rate per 100,000: the rate 2.06 per 100,000 does not agree with the count 1,000 and the population 50,000,000 in 2023, which give 2.00 per 100,000.")
	vwant(t, "below", rateCheck(1.9),
		"line 3 | Victims of serious assault, Total, Total, rate per 100,000: the rate 1.90 per 100,000 does not agree with the count 1,000 and the population 50,000,000 in 2023, which give 2.00 per 100,000.")
	rel := r
	rel.Params.Relative = 0.05
	if fs := vrun(tVictims, rel, []Value{count, vrate(vcell(t, tVictims, "_T", "_T", nil, ""), 2.09)}, nil, pop); len(fs) != 0 {
		t.Errorf("within 5 %%: %v", fs)
	}
	if fs := vrun(tVictims, rel, []Value{count, vrate(vcell(t, tVictims, "_T", "_T", nil, ""), 2.11)}, nil, pop); len(fs) != 1 {
		t.Errorf("past 5 %%: %v", fs)
	}
	// Not checked: a rate of women (no population by sex), a year
	// without population, a rate without its count.
	women := []Value{vcell(t, tVictims, "_T", "F", vfig(1000), ""), vrate(vcell(t, tVictims, "_T", "F", nil, ""), 99)}
	vwant(t, "women", vrun(tVictims, r, women, nil, pop))
	vwant(t, "no population", vrun(tVictims, r, []Value{count, vrate(count, 99)}, nil, stats.Populations{"KEN": {{Year: 2022, Kind: 'A'}: 1}}))
	vwant(t, "no count", vrun(tVictims, r, []Value{vrate(count, 99)}, nil, pop))
}

func TestOrder(t *testing.T) {
	r := Rule{Kind: Order, Params: Params{Dim: "INDICATOR", Chain: []string{"CONTACT", "PROSECUTED", "CONVICTED"}}}
	vals := func(contact, prosecuted, convicted *float64) []Value {
		vs := []Value{vcell(t, tChain, "CONTACT", "", contact, "row 1"), vcell(t, tChain, "PROSECUTED", "", prosecuted, "row 2"), vcell(t, tChain, "CONVICTED", "", convicted, "row 3")}
		return vs
	}
	vwant(t, "in order", vrun(tChain, r, vals(vfig(100), vfig(80), vfig(60)), nil, nil))
	vwant(t, "equal", vrun(tChain, r, vals(vfig(100), vfig(100), vfig(100)), nil, nil))
	vwant(t, "one over", vrun(tChain, r, vals(vfig(100), vfig(80), vfig(81)), nil, nil),
		"row 3 | Persons in the criminal justice system: Convicted 81 is more than Prosecuted 80; a later stage cannot exceed an earlier one for the same offence and year.")
	vwant(t, "two over", vrun(tChain, r, vals(vfig(100), vfig(101), vfig(102)), nil, nil),
		"row 2 | Persons in the criminal justice system: Prosecuted 101 is more than Brought into formal contact 100; a later stage cannot exceed an earlier one for the same offence and year.",
		"row 3 | Persons in the criminal justice system: Convicted 102 is more than Prosecuted 101; a later stage cannot exceed an earlier one for the same offence and year.")
	vwant(t, "middle stage not available", vrun(tChain, r, vals(vfig(100), nil, vfig(101)), nil, nil),
		"row 3 | Persons in the criminal justice system: Convicted 101 is more than Brought into formal contact 100; a later stage cannot exceed an earlier one for the same offence and year.")
	vwant(t, "middle stage missing", vrun(tChain, r, []Value{vals(vfig(100), nil, vfig(100))[0], vals(vfig(100), nil, vfig(100))[2]}, nil, nil))
	// Another year is another comparison.
	other := vals(vfig(100), vfig(80), vfig(90))
	other[2].Period = stats.Period{Year: 2022, Kind: 'A'}
	vwant(t, "another year", vrun(tChain, r, other, nil, nil))
}

// vpast returns the published history of a cell, from a year on.
func vpast(t testing.TB, v Value, from int, xs ...float64) []stats.Observation {
	var out []stats.Observation
	for i, x := range xs {
		out = append(out, stats.Observation{Flow: "VICTIMS", Key: v.Key, Period: stats.Period{Year: from + i, Kind: 'A'}, Value: vfig(x), Status: "A"})
	}
	return out
}

func TestOutlierThreshold(t *testing.T) {
	r := Rule{Kind: Outlier, Severity: Warning, Params: Params{Threshold: 0.5, Window: 1, MinYears: 1, MinValue: 20}}
	cell := func(x float64) Value { return vcell(t, tVictims, "_T", "_T", vfig(x), "C6") }
	h := vpast(t, cell(0), 2021, 700, 1000)
	const place = "C6 | Victims of serious assault, Total, Total: "
	vwant(t, "at the threshold", vrun(tVictims, r, []Value{cell(1500)}, h, nil))
	vwant(t, "past it", vrun(tVictims, r, []Value{cell(1600)}, h, nil), place+"1,600 is 60 % above the 2022 figure (1,000).")
	vwant(t, "at it, below", vrun(tVictims, r, []Value{cell(500)}, h, nil))
	vwant(t, "past it, below", vrun(tVictims, r, []Value{cell(400)}, h, nil), place+"400 is 60 % below the 2022 figure (1,000).")

	four := r
	four.Params.Window = 4
	h4 := vpast(t, cell(0), 2019, 6000, 6500, 7000, 7300)
	vwant(t, "the average of four years", vrun(tVictims, four, []Value{cell(12400)}, h4, nil),
		place+"12,400 is 85 % above the average of 2019–2022 (6,700).")
	// A year missing from the history, and a later year, which is not
	// "previous".
	gap := append(vpast(t, cell(0), 2019, 6000), vpast(t, cell(0), 2021, 7000, 8200, 99999)...)
	vwant(t, "years with a gap", vrun(tVictims, four, []Value{cell(12400)}, gap, nil),
		place+"12,400 is 75 % above the average of 2019 and 2021–2022 (7,066.67).")
	need3 := four
	need3.Params.MinYears = 4
	vwant(t, "too little history", vrun(tVictims, need3, []Value{cell(12400)}, gap, nil))

	small := vpast(t, cell(0), 2022, 10)
	vwant(t, "small counts", vrun(tVictims, r, []Value{cell(19)}, small, nil))
	vwant(t, "from small to not small", vrun(tVictims, r, []Value{cell(25)}, small, nil), place+"25 is 150 % above the 2022 figure (10).")
	vwant(t, "from 0", vrun(tVictims, r, []Value{cell(25)}, vpast(t, cell(0), 2022, 0), nil), place+"25 is up from 0, the 2022 figure.")
	vwant(t, "no history", vrun(tVictims, r, []Value{cell(25)}, nil, nil))
	vwant(t, "not available", vrun(tVictims, r, []Value{vcell(t, tVictims, "_T", "_T", nil, "C6")}, h, nil))

	explained := cell(1600)
	explained.Comment = "A new recording system counts every victim."
	fs := vrun(tVictims, r, []Value{explained}, h, nil)
	if len(fs) != 1 || !fs[0].Explained || Blocks(fs) {
		t.Errorf("a warning with a comment: %+v", fs)
	}
	if fs := vrun(tVictims, r, []Value{cell(1600)}, h, nil); len(fs) != 1 || fs[0].Explained || !Blocks(fs) {
		t.Errorf("a warning without a comment: %+v", fs)
	}
}

func TestOutlierZScore(t *testing.T) {
	r := Rule{Kind: Outlier, Severity: Warning, Params: Params{ZScore: 3.5, Window: 10, MinYears: 5}}
	cell := func(x float64) Value { return vcell(t, tVictims, "_T", "_T", vfig(x), "C6") }
	// Median 100; absolute deviations 0 0 1 1 2 2 3 3 4 4, whose median
	// (the MAD) is 2: z = 0.6745 × (x − 100) / 2.
	h := vpast(t, cell(0), 2013, 100, 102, 98, 101, 99, 103, 97, 100, 104, 96)
	vwant(t, "z 3.37", vrun(tVictims, r, []Value{cell(110)}, h, nil))
	vwant(t, "z 4.05", vrun(tVictims, r, []Value{cell(112)}, h, nil),
		"C6 | Victims of serious assault, Total, Total: 112 is far from the figures of 2013–2022 (median 100): its robust z-score is 4.0, beyond ±3.5.")
	vwant(t, "z -4.05", vrun(tVictims, r, []Value{cell(88)}, h, nil),
		"C6 | Victims of serious assault, Total, Total: 88 is far from the figures of 2013–2022 (median 100): its robust z-score is -4.0, beyond ±3.5.")
	// A window of ten years before 2023 starts in 2013: 2012 is left out.
	older := append(vpast(t, cell(0), 2012, 5000), h...)
	vwant(t, "outside the window", vrun(tVictims, r, []Value{cell(110)}, older, nil))
	vwant(t, "too few years", vrun(tVictims, r, []Value{cell(112)}, h[:4], nil))

	// MAD 0: the mean absolute deviation (4) stands in:
	// z = (130 − 100) / (1.2533 × 4) = 5.98.
	flat := vpast(t, cell(0), 2018, 100, 100, 100, 100, 120)
	vwant(t, "MAD 0", vrun(tVictims, r, []Value{cell(130)}, flat, nil),
		"C6 | Victims of serious assault, Total, Total: 130 is far from the figures of 2018–2022 (median 100): its robust z-score is 6.0, beyond ±3.5.")
	vwant(t, "no variation", vrun(tVictims, r, []Value{cell(130)}, vpast(t, cell(0), 2018, 100, 100, 100, 100, 100), nil))

	both := r
	both.Params.Threshold = 0.1
	vwant(t, "both", vrun(tVictims, both, []Value{cell(112)}, h, nil),
		"C6 | Victims of serious assault, Total, Total: 112 is 12 % above the average of 2013–2022 (100); and it is far from the figures of 2013–2022 (median 100): its robust z-score is 4.0, beyond ±3.5.")
}

func TestComplete(t *testing.T) {
	r := Rule{Kind: Complete, Severity: Warning, Params: Params{Table: "VICTIMS_ASSAULT"}}
	na := vcell(t, tVictims, "_T", "M", nil, "C6")
	na.Comment = "Not recorded by sex before 2024."
	vs := []Value{vcell(t, tVictims, "_T", "F", vfig(10), "B6"), na, vcell(t, tVictims, "IPFM", "_T", vfig(3), "D2")}
	fs := vrun(tVictims, r, vs, nil, nil)
	vwant(t, "complete", fs,
		"C6 | Victims of serious assault, Total, Male: the figure is marked not available.",
		" | Victims of serious assault, Total, Total: no figure is given.")
	if len(fs) == 2 && (!fs[0].Explained || fs[1].Explained || fs[1].Key.Dim("SEX") != "_T" || fs[1].Period != vYear2023) {
		t.Errorf("%+v", fs)
	}
	other := r
	other.Params.Table = "ANOTHER"
	vwant(t, "another table", vrun(tVictims, other, vs, nil, nil))
}

func TestValidateOrderAndSelection(t *testing.T) {
	sum := Rule{ID: 1, Name: "Female + male = total", Kind: Sum, Severity: Error, Enabled: true, Params: Params{Dim: "SEX", Parts: []string{"F", "M"}, Total: "_T"}}
	count := Rule{ID: 2, Name: "Counts", Kind: Count, Severity: Error, Enabled: true, Params: Params{Unit: "NB"}}
	complete := Rule{ID: 3, Name: "Complete", Kind: Complete, Severity: Warning, Enabled: true, Params: Params{Table: "VICTIMS_ASSAULT"}}
	off := count
	off.ID, off.Enabled = 4, false
	elsewhere := count
	elsewhere.ID, elsewhere.Flow = 5, "OFFENCES"
	vs := []Value{vcell(t, tVictims, "_T", "_T", vfig(-5), "C6"), vcell(t, tVictims, "_T", "F", vfig(-1), "A6")}
	vs[0].Comment = "explained"
	fs := Validate(Input{Scope: Scope{Flow: "VICTIMS", State: "KEN", Year: 2023}, Tables: []Table{tVictims, tChain},
		Rules: []Rule{complete, count, sum, off, elsewhere}, Values: vs})
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{
		"C6: Counts (error): Victims of serious assault, Total, Total: -5 is negative; a count is 0 or more.",
		"C6: Female + male = total (error): Victims of serious assault, Total: Female -1 is more than the total -5.",
		"A6: Counts (error): Victims of serious assault, Total, Female: -1 is negative; a count is 0 or more.",
		"Complete (warning): Victims of serious assault, Total, Male: no figure is given.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fs[0].RuleID != 2 || fs[0].Explained || fs[0].Severity != Error || !Blocks(fs) {
		t.Errorf("%+v", fs[0])
	}
	if Blocks(nil) {
		t.Error("no finding blocks")
	}
}
