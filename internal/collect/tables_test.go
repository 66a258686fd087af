package collect

import (
	"encoding/json"
	"strings"
	"testing"
)

// cyberJSON is a valid table, written one field a line so that the tests
// know the lines.
const cyberJSON = `  {
    "id": "OFFENCES_CYBER",
    "title": "Cyber-related offences",
    "flow": "OFFENCES",
    "fixed": {"FREQ": "A", "INDICATOR": "OFF", "SEX": "_T", "AGE": "_T", "RELATIONSHIP": "_Z", "CYBER": "CY", "SOURCE_TYPE": "CJ", "UNIT_MEASURE": "NB"},
    "rows": {"dim": "ICCS", "codes": ["0208", "0701"], "labels": ["Threats", "Fraud"]},
    "rates": true
  }`

func TestReadTables(t *testing.T) {
	st := shippedStructure(t)
	tables, err := ReadTables(strings.NewReader("[\n"+cyberJSON+",\n"+strings.ReplaceAll(strings.ReplaceAll(cyberJSON, "OFFENCES_CYBER", "VICTIMS_X"), `"flow": "OFFENCES"`, `"flow": "VICTIMS"`)+"\n]\n"), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || tables[0].Rows.Codes[1] != "0701" || !tables[0].Rates || tables[1].Flow != "VICTIMS" {
		t.Errorf("%+v", tables)
	}
	bad := func(old, new string) string {
		second := strings.ReplaceAll(cyberJSON, "OFFENCES_CYBER", "SECOND")
		if !strings.Contains(second, old) {
			t.Fatalf("%q is not in the table", old)
		}
		return "[\n" + cyberJSON + ",\n" + strings.Replace(second, old, new, 1) + "\n]\n"
	}
	// The second table starts on line 10.
	for _, c := range []struct{ name, in, want string }{
		{"not an array", `{"id": "X"}`, "line 1: the file must be a JSON array of tables"},
		{"empty", ``, "line 1: the file must be a JSON array of tables"},
		{"syntax", bad(`"title": "Cyber-related offences",`, `"title": ,`), "line 12: table 2 is not valid JSON"},
		{"type", bad(`"rates": true`, `"rates": "yes"`), "line 16: table 2, field rates: string is not a bool"},
		{"unknown field", bad(`"rates": true`, `"colour": "red"`), `line 10: table 2: unknown field "colour"`},
		{"truncated", "[\n" + cyberJSON[:40], "the file ends inside table 1"},
		{"unknown code", bad(`"0701"]`, `"0799"]`), `line 10: table SECOND, rows.codes: "0799" is not a code of CL_ICCS`},
		{"labels", bad(`"labels": ["Threats", "Fraud"]`, `"labels": ["Threats"]`), "line 10: table SECOND, rows.labels: 1 labels for 2 codes"},
		{"empty label", bad(`"Fraud"`, `" "`), "rows.labels: the code 0701 has an empty label"},
		{"code twice", bad(`"0701"]`, `"0208"]`), `rows.codes: "0208" appears twice`},
		{"no dimension", bad(`"dim": "ICCS"`, `"dim": "CRIME"`), `rows.dim: "CRIME" is not a dimension (FREQ, REF_AREA, INDICATOR`},
		{"lays out the State", bad(`"dim": "ICCS"`, `"dim": "REF_AREA"`), "rows.dim: the State is the one answering"},
		{"a dimension without a code", bad(`"CYBER": "CY", `, ``), "table SECOND, fixed: give a code for CYBER"},
		{"the State fixed", bad(`"FREQ": "A",`, `"FREQ": "A", "REF_AREA": "KEN",`), "fixed.REF_AREA: the State is the one answering"},
		{"fixed and laid out", bad(`"FREQ": "A",`, `"FREQ": "A", "ICCS": "0208",`), "fixed.ICCS: ICCS is laid out by the table"},
		{"fixed, unknown code", bad(`"SEX": "_T"`, `"SEX": "X"`), `fixed.SEX: "X" is not a code of CL_SEX`},
		{"fixed, not a dimension", bad(`"FREQ": "A",`, `"FREQ": "A", "COLOUR": "red",`), "fixed.COLOUR: COLOUR is not a dimension"},
		{"unknown flow", bad(`"flow": "OFFENCES"`, `"flow": "PRISONS"`), `flow: no dataflow has the id "PRISONS"`},
		{"no title", bad(`"title": "Cyber-related offences"`, `"title": ""`), "title: give the table a title"},
		{"bad id", bad(`"id": "SECOND"`, `"id": "second table"`), `id: "second table" is not an id`},
		{"same id", bad(`"id": "SECOND"`, `"id": "OFFENCES_CYBER"`), "id: another table has the id OFFENCES_CYBER"},
		{"same cells", bad(`"CYBER": "CY"`, `"CYBER": "CY"`), "table SECOND, rows: the cell 0208 is also in the table OFFENCES_CYBER"},
		{"rates of rates", bad(`"UNIT_MEASURE": "NB"`, `"UNIT_MEASURE": "RT100K"`), "rates: a table takes rates beside its counts only if fixed.UNIT_MEASURE is NB"},
		{"required row", bad(`"rates": true`, `"required": [{"row": "0101"}]`), `required: the row "0101" is not a row of the table`},
		{"required column", bad(`"rates": true`, `"required": [{"row": "0208", "col": "F"}]`), `required: the column "F" is not a column of the table`},
		{"columns on the rows' dimension", bad(`"rates": true`, `"cols": {"dim": "ICCS", "codes": ["0101"], "labels": ["Homicide"]}`), "cols.dim: rows and columns both lay out ICCS"},
	} {
		_, err := ReadTables(strings.NewReader(c.in), st)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
}

func TestTableCells(t *testing.T) {
	var required []Cell
	for _, c := range tVictims.allCells() {
		if tVictims.isRequired(c) {
			required = append(required, c)
		}
	}
	if len(required) != 3 || required[0] != (Cell{Row: "_T", Col: "F"}) || required[2] != (Cell{Row: "_T", Col: "_T"}) {
		t.Errorf("required %v", required)
	}
	if got := tChain.allCells(); len(got) != 3 || got[1] != (Cell{Row: "PROSECUTED"}) {
		t.Errorf("cells %v", got)
	}
	g := newCellGrid([]Table{tVictims, tChain}, "VICTIMS", "KEN")
	if g.size != 5*3*2 {
		t.Errorf("%d cells, want 30 (counts and rates)", g.size)
	}
	for n := range g.size {
		c := g.cell(n)
		if g.find(c.key) != n || c.key.Dim("REF_AREA") != "KEN" {
			t.Errorf("cell %d: %+v is found at %d", n, c, g.find(c.key))
		}
		if k, _ := tVictims.Key("KEN", c.cell); !c.rate && k != c.key {
			t.Errorf("cell %d: key %s, want %s", n, c.key, k)
		}
	}
	k, _ := tVictims.Key("KEN", Cell{Row: "IPFM", Col: "M"})
	c := g.find(k)
	if c < 0 || g.place(c, "") != "Victims of serious assault, Intimate partner or family member, Male" || g.place(c, "SEX") != "Victims of serious assault, Intimate partner or family member" {
		t.Errorf("cell %d: %q", c, g.place(max(c, 0), ""))
	}
	k[keyUnit] = "RT100K"
	if c := g.find(k); c < 0 || !g.cell(c).rate || !strings.HasSuffix(g.place(c, ""), "Male, rate per 100,000") {
		t.Errorf("the rate cell: %d", c)
	}
	k[keyArea] = "NGA"
	if g.find(k) >= 0 {
		t.Error("a cell of another State")
	}
	// The JSON form of a table is the file's.
	b, err := json.Marshal(tChain)
	if err != nil || !strings.Contains(string(b), `"rows":{"dim":"INDICATOR","codes":["CONTACT"`) || strings.Contains(string(b), `"cols"`) {
		t.Errorf("%s %v", b, err)
	}
}
