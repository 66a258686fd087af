package collect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/fail"
)

const rulesHead = "id,name,kind,severity,flow,enabled,dim,parts,total,of_which,chain,unit,count_unit,tolerance,relative,threshold,z_score,window,min_years,min_value,table,note\n"

func TestReadRules(t *testing.T) {
	st := shippedStructure(t)
	tables, _, err := Shipped(data.FS, st)
	if err != nil {
		t.Fatal(err)
	}
	in := "\xef\xbb\xbf" + rulesHead +
		"1,Female + male = total,sum,error,,yes,SEX,F M,_T,,,NB,,,,,,,,,,why\n" +
		"2,Cyber ≤ total,sum,warning,OFFENCES,no,CYBER,CY,_T,yes,,,,0.5,,,,,,,,\n" +
		"3,Outliers,outlier,warning,,yes,,,,,,NB,,,,0.5,3.5,4,3,20,,\n" +
		"4,Rates,rate,warning,,yes,,,,,,RT100K,NB,0.05,0.01,,,,,,,\n" +
		"5,Complete,complete,warning,OFFENCES,yes,,,,,,,,,,,,,,,OFFENCES_POLICE,\n"
	rules, err := ReadRules(strings.NewReader(in), tables, st)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{ID: 1, Name: "Female + male = total", Kind: Sum, Severity: Error, Enabled: true, Note: "why", Params: Params{Dim: "SEX", Parts: []string{"F", "M"}, Total: "_T", Unit: "NB"}},
		{ID: 2, Name: "Cyber ≤ total", Kind: Sum, Severity: Warning, Flow: "OFFENCES", Params: Params{Dim: "CYBER", Parts: []string{"CY"}, Total: "_T", OfWhich: true, Tolerance: 0.5}},
		{ID: 3, Name: "Outliers", Kind: Outlier, Severity: Warning, Enabled: true, Params: Params{Unit: "NB", Threshold: 0.5, ZScore: 3.5, Window: 4, MinYears: 3, MinValue: 20}},
		{ID: 4, Name: "Rates", Kind: Rate, Severity: Warning, Enabled: true, Params: Params{Unit: "RT100K", CountUnit: "NB", Tolerance: 0.05, Relative: 0.01}},
		{ID: 5, Name: "Complete", Kind: Complete, Severity: Warning, Flow: "OFFENCES", Enabled: true, Params: Params{Table: "OFFENCES_POLICE"}},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("got\n%+v\nwant\n%+v", rules, want)
	}

	line := func(s string) string { return rulesHead + "1,Counts,count,error,,yes,,,,,,NB,,,,,,,,,,\n" + s + "\n" }
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "line 1: cannot read the header"},
		{"semicolons", "id;name;kind\n", `line 1: "id;name;kind" is not a column of a rules file`},
		{"missing column", strings.Replace(rulesHead, ",note", "", 1), "line 1: the header lacks the column note"},
		{"column twice", strings.Replace(rulesHead, ",note", ",id", 1), "line 1: the column id appears twice"},
		{"fields", line("2,x,count"), "line 3: wrong number of fields"},
		{"id", line("two,Counts 2,count,error,,yes,,,,,,NB,,,,,,,,,,"), `line 3, column id: "two" is not a rule id`},
		{"same id", line("1,Counts 2,count,error,,yes,,,,,,NB,,,,,,,,,,"), "line 3, column id: 1 is the id of the rule on line 2 too"},
		{"same name", line("2,Counts,count,error,,yes,,,,,,NB,,,,,,,,,,"), `line 3, column name: "Counts" is the name of the rule on line 2 too`},
		{"no name", line("2,,count,error,,yes,,,,,,NB,,,,,,,,,,"), "line 3, column name: Give the rule a name"},
		{"kind", line("2,x,total,error,,yes,,,,,,NB,,,,,,,,,,"), `line 3, column kind: "total" is not a kind of rule`},
		{"severity", line("2,x,count,fatal,,yes,,,,,,NB,,,,,,,,,,"), `line 3, column severity: "fatal": write error`},
		{"enabled", line("2,x,count,error,,true,,,,,,NB,,,,,,,,,,"), `line 3, column enabled: "true": write yes or no`},
		{"of_which", line("2,x,sum,error,,yes,SEX,F M,_T,perhaps,,,,,,,,,,,,"), `line 3, column of_which: "perhaps": write yes or no`},
		{"flow", line("2,x,count,error,PRISONS,yes,,,,,,NB,,,,,,,,,,"), `line 3, column flow: No dataflow has the id "PRISONS"`},
		{"number", line("2,x,rate,error,,yes,,,,,,RT100K,NB,\"0,05\",,,,,,,,"), `line 3, column tolerance: "0,05" is not a number`},
		{"years", line("2,x,outlier,error,,yes,,,,,,,,,,0.5,,1.5,,,,"), `line 3, column window: "1.5" is not a whole number`},
		{"negative", line("2,x,outlier,error,,yes,,,,,,,,,,-0.5,,,,,,"), "line 3, column threshold: -0.5 is negative"},
		{"not read", line("2,x,count,error,,yes,SEX,,,,,NB,,,,,,,,,,"), "line 3, column dim: A count rule does not read dim; leave it empty"},
		{"needed", line("2,x,sum,error,,yes,SEX,,_T,,,,,,,,,,,,,"), "line 3, column parts: A sum rule needs parts"},
		{"no dimension", line("2,x,sum,error,,yes,GENDER,F M,_T,,,,,,,,,,,,,"), `line 3, column dim: "GENDER" is not a dimension`},
		{"part code", line("2,x,sum,error,,yes,SEX,F X,_T,,,,,,,,,,,,,"), `line 3, column parts: "X" is not a code of CL_SEX`},
		{"part twice", line("2,x,sum,error,,yes,SEX,F F,_T,,,,,,,,,,,,,"), `line 3, column parts: "F" appears twice`},
		{"total code", line("2,x,sum,error,,yes,SEX,F M,T,,,,,,,,,,,,,"), `line 3, column total: "T" is not a code of CL_SEX`},
		{"total a part", line("2,x,sum,error,,yes,SEX,F _T,_T,,,,,,,,,,,,,"), "line 3, column parts: The total _T cannot be one of its parts"},
		{"unit", line("2,x,count,error,,yes,,,,,,NUMBER,,,,,,,,,,"), `line 3, column unit: "NUMBER" is not a code of CL_UNIT_MEASURE`},
		{"rate units", line("2,x,rate,error,,yes,,,,,,NB,NB,,,,,,,,,"), "line 3, column count_unit: The count's unit must differ"},
		{"one stage", line("2,x,order,error,,yes,INDICATOR,,,,OFF,,,,,,,,,,,"), "line 3, column chain: Give at least two stages"},
		{"no limit", line("2,x,outlier,error,,yes,,,,,,NB,,,,,,4,,,,"), "line 3, column threshold: An outlier rule needs a threshold, a z_score, or both"},
		{"no table", line("2,x,complete,error,,yes,,,,,,,,,,,,,,,PRISONS,"), `line 3, column table: No table has the id "PRISONS"`},
		{"table of another flow", line("2,x,complete,error,VICTIMS,yes,,,,,,,,,,,,,,,OFFENCES_POLICE,"), "line 3, column table: The table OFFENCES_POLICE is of the dataflow OFFENCES, not VICTIMS"},
	} {
		_, err := ReadRules(strings.NewReader(c.in), tables, st)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
}

func TestRuleCheck(t *testing.T) {
	// The order rule that the README shows for tables of the justice
	// chain reads, once its codes exist.
	in := rulesHead + "20,Convicted ≤ prosecuted ≤ formal contact,order,error,,yes,INDICATOR,,,,CONTACT PROSECUTED CONVICTED,NB,,,,,,,,,,\n"
	rules, err := ReadRules(strings.NewReader(in), nil, nil)
	if err != nil || len(rules) != 1 || len(rules[0].Params.Chain) != 3 {
		t.Fatalf("%+v %v", rules, err)
	}
	// The error is a fail.Field error naming the parameter, for the pages
	// where the secretariat edits rules.
	r := rules[0]
	r.Params.Chain = nil
	err = r.Check(nil, nil)
	if fe := fail.As(err); fe == nil || fe.Kind != fail.Invalid || fe.Field != "chain" {
		t.Errorf("%#v", err)
	}
}

// TestWriteRules writes the shipped rules and reads them back: the file
// cpcj exports is one it would load, with every rule as it was.
func TestWriteRules(t *testing.T) {
	st := shippedStructure(t)
	tables, rules, err := Shipped(data.FS, st)
	if err != nil {
		t.Fatal(err)
	}
	rules[0].Enabled = false
	rules[0].Note = "Quoted, with a comma and \"quotes\""
	var b strings.Builder
	if err := WriteRules(&b, rules); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), rulesHead) {
		t.Errorf("header %q", strings.SplitN(b.String(), "\n", 2)[0])
	}
	back, err := ReadRules(strings.NewReader(b.String()), tables, st)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(back, rules) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, rules)
	}
	// The shipped file itself comes out as it is, but for the quoting
	// of notes without commas.
	shipped, err := data.FS.ReadFile(RulesFile)
	if err != nil {
		t.Fatal(err)
	}
	_, orig, _ := Shipped(data.FS, st)
	b.Reset()
	if err := WriteRules(&b, orig); err != nil {
		t.Fatal(err)
	}
	if b.String() != strings.ReplaceAll(string(shipped), "\r\n", "\n") {
		t.Errorf("the shipped rules written again differ from %s:\n%s", RulesFile, b.String())
	}
}

func TestReadParams(t *testing.T) {
	form := map[string]string{"dim": "SEX", "parts": " F  M ", "total": "_T", "of_which": "yes", "tolerance": "0.5", "window": "3"}
	p, err := ReadParams(func(c string) string { return form[c] })
	want := Params{Dim: "SEX", Parts: []string{"F", "M"}, Total: "_T", OfWhich: true, Tolerance: 0.5, Window: 3}
	if err != nil || !reflect.DeepEqual(p, want) {
		t.Errorf("%+v, %v", p, err)
	}
	for col, want := range map[string]string{"parts": "F M", "of_which": "yes", "tolerance": "0.5", "window": "3", "threshold": "", "table": ""} {
		if got := p.Field(col); got != want {
			t.Errorf("Field(%s) = %q, want %q", col, got, want)
		}
	}
	form["min_years"] = "many"
	if _, err := ReadParams(func(c string) string { return form[c] }); fail.As(err) == nil || fail.As(err).Field != "min_years" {
		t.Errorf("a bad number of years: %v", err)
	}
}
