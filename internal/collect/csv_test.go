package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/stats"
)

// upload returns an upload of Kenya's 2023 offences against the shipped
// tables.
func upload(t testing.TB) Upload {
	t.Helper()
	st := shippedStructure(t)
	tables, _, err := Shipped(data.FS, st)
	if err != nil {
		t.Fatal(err)
	}
	return Upload{Scope: Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}, Tables: tables, Structure: st}
}

const sdmxHead = "DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,SOURCE_DETAIL,COMMENT,DERIVATION\n"

// offence writes a row of the file for an ICCS category, with a value,
// a status and a comment.
func offence(iccs, value, status, comment string) string {
	return fmt.Sprintf("UNODC:OFFENCES(1.0),A,KEN,OFF,%s,_T,_T,_Z,_T,CJ,NB,2023,%s,%s,,%s,\n", iccs, value, status, comment)
}

func offenceKey(iccs string) stats.Key {
	return stats.Key{"A", "KEN", "OFF", iccs, "_T", "_T", "_Z", "_T", "CJ", "NB"}
}

func TestReadCSV(t *testing.T) {
	u := upload(t)
	in := "\xef\xbb\xbf" + sdmxHead +
		offence("0501", "1234", "", "") +
		offence("0502", "12.5", "E", `"estimated, from the first half"`) +
		offence("0701", "", "", "") +
		offence("0703", "", "M", "  not collected  ") +
		"OFFENCES,A,KEN,OFF,0502,_T,_T,_Z,_T,CJ,RT100K,2023,1.5e1,P,CTS,,C\n" +
		"UNODC:OFFENCES,A,KEN,OFF,0701,_T,_T,_Z,CY,CJ,NB,2023,-0,B,,,\n"
	got, err := ReadCSV(context.Background(), strings.NewReader(in), u)
	if err != nil {
		t.Fatal(err)
	}
	rate := offenceKey("0502")
	rate[keyUnit] = "RT100K"
	cyber := offenceKey("0701")
	cyber[7] = "CY"
	y := stats.Period{Year: 2023, Kind: 'A'}
	want := []Value{
		{Key: offenceKey("0501"), Period: y, Value: vfig(1234), Status: "A", Origin: "line 2"},
		{Key: offenceKey("0502"), Period: y, Value: vfig(12.5), Status: "E", Comment: "estimated, from the first half", Origin: "line 3"},
		{Key: offenceKey("0701"), Period: y, Status: "M", Origin: "line 4"},
		{Key: offenceKey("0703"), Period: y, Status: "M", Comment: "not collected", Origin: "line 5"},
		{Key: rate, Period: y, Value: vfig(15), Status: "P", Origin: "line 6"},
		{Key: cyber, Period: y, Value: vfig(0), Status: "B", Origin: "line 7"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}

	// The columns the scope settles may be left out; semicolons, CRLF,
	// ids in lower case and labels in the header, decimal commas when
	// declared.
	short := "indicator;ICCS: Crime category;SEX;AGE;RELATIONSHIP;CYBER;SOURCE_TYPE;UNIT_MEASURE;OBS_VALUE\r\n" +
		"OFF;0501;_T;_T;_Z;_T;CJ;RT100K;12,5\r\n" +
		"OFF;0502;_T;_T;_Z;_T;CJ;NB;-3\r\n"
	comma := u
	comma.DecimalComma = true
	got, err = ReadCSV(context.Background(), strings.NewReader(short), comma)
	if err != nil || len(got) != 2 || *got[0].Value != 12.5 || got[0].Key.Dim("UNIT_MEASURE") != "RT100K" || got[0].Key.Dim("REF_AREA") != "KEN" || got[0].Key[0] != "A" || *got[1].Value != -3 || got[1].Origin != "line 3" {
		t.Errorf("short form: %+v %v", got, err)
	}

	// A header alone empties the scope.
	if got, err := ReadCSV(context.Background(), strings.NewReader(sdmxHead), u); err != nil || len(got) != 0 {
		t.Errorf("header alone: %v %v", got, err)
	}
}

func TestReadCSVRefuses(t *testing.T) {
	u := upload(t)
	comma := u
	comma.DecimalComma = true
	row := func(s string) string { return sdmxHead + offence("0501", "1", "", "") + s }
	for _, c := range []struct {
		name string
		u    Upload
		in   string
		want []string // the problems, in order
	}{
		{"another State", u, row(strings.Replace(offence("0502", "5", "", ""), "KEN", "NGA", 1)),
			[]string{`line 3, column REF_AREA: is "NGA", but this upload is for KEN: one upload holds the figures of one State`}},
		{"two years back", u, row(strings.Replace(offence("0502", "5", "", ""), "2023", "2021", 1)),
			[]string{"line 3, column TIME_PERIOD: is 2021, but this upload is for the year 2023: it takes the figures of 2023, and revisions of those published for 2022"}},
		{"a later year", u, row(strings.Replace(offence("0502", "5", "", ""), "2023", "2024", 1)),
			[]string{"line 3, column TIME_PERIOD: is 2024, but this upload is for the year 2023: it takes the figures of 2023, and revisions of those published for 2022"}},
		{"a revision twice", u, row(strings.Replace(offence("0501", "5", "", ""), "2023", "2022", 1) + strings.Replace(offence("0501", "6", "", ""), "2023", "2022", 1)),
			[]string{"line 4: gives a second figure for Offences recorded by the police, Burglary, 2022; line 3 gives the first: keep one"}},
		{"not a year", u, row(strings.Replace(offence("0502", "5", "", ""), "2023", "FY23", 1)),
			[]string{`line 3, column TIME_PERIOD: "FY23" is not a period`}},
		{"another dataflow", u, row(strings.Replace(offence("0502", "5", "", ""), "OFFENCES", "VICTIMS", 1)),
			[]string{"line 3, column DATAFLOW: is VICTIMS, but this upload is for the dataflow OFFENCES: one upload holds one dataflow"}},
		{"another agency", u, row(strings.Replace(offence("0502", "5", "", ""), "UNODC", "ESTAT", 1)),
			[]string{`line 3, column DATAFLOW: "ESTAT:OFFENCES(1.0)": the agency is UNODC, not ESTAT`}},
		{"unknown code", u, row(offence("0599", "5", "", "")),
			[]string{`line 3, column ICCS: "0599" is not a code of CL_ICCS`}},
		{"a code not asked", u, row(offence("0101", "5", "", "")),
			[]string{"line 3, column ICCS: 0101 is not asked for: the tables of OFFENCES take ICCS 020111, 020221, 0208, 0301, 03011, 03012, 03019, 0302, 0501, 0502, 05021, 0701, …"}},
		{"another sex", u, row(strings.Replace(offence("0502", "5", "", ""), "_T,_T,_Z", "F,_T,_Z", 1)),
			[]string{"line 3, column SEX: F is not asked for: the tables of OFFENCES take SEX _T"}},
		{"codes not together", u, row(strings.Replace(offence("0501", "5", "", ""), "_Z,_T,CJ", "_Z,CY,CJ", 1)),
			[]string{"line 3: the series A.KEN.OFF.0501._T._T._Z.CY.CJ.NB is not a cell of any table of OFFENCES: its codes are each asked for, but not together"}},
		{"an empty code", u, row(offence("", "5", "", "")),
			[]string{"line 3, column ICCS: is empty: every dimension needs a code"}},
		{"text", u, row(offence("0502", "n/a", "", "")),
			[]string{`line 3, column OBS_VALUE: "n/a" is not a number: OBS_VALUE takes a figure; leave it empty, with OBS_STATUS M, for a figure that is not available`}},
		{"dots", u, row(offence("0502", "..", "", "")),
			[]string{`line 3, column OBS_VALUE: ".." is not a number: OBS_VALUE takes a figure`}},
		{"infinity", u, row(offence("0502", "Inf", "", "")),
			[]string{`line 3, column OBS_VALUE: "Inf" is not a number`}},
		{"hexadecimal", u, row(offence("0502", "0x10", "", "")),
			[]string{`line 3, column OBS_VALUE: "0x10" is not a number`}},
		{"too large", u, row(offence("0502", "1e999", "", "")),
			[]string{`line 3, column OBS_VALUE: "1e999" is too large a number`}},
		{"ambiguous comma", u, row(offence("0502", `"1,234"`, "", "")),
			[]string{`line 3, column OBS_VALUE: "1,234" is ambiguous: 1234 if the comma separates thousands, 1.234 if it is a decimal comma; write the figure with no thousands separator and a decimal point`}},
		{"thousands commas", u, row(offence("0502", `"1,234,567"`, "", "")),
			[]string{`line 3, column OBS_VALUE: "1,234,567" has thousands separators: write 1234567`}},
		{"thousands comma and decimals", u, row(offence("0502", `"1,234.5"`, "", "")),
			[]string{`line 3, column OBS_VALUE: "1,234.5" has thousands separators: write 1234.5`}},
		{"decimal comma", u, row(offence("0502", `"12,5"`, "", "")),
			[]string{`line 3, column OBS_VALUE: "12,5" has a decimal comma: write 12.5, or declare that the file writes decimals with a comma`}},
		{"thousands points", u, row(offence("0502", "1.234.567", "", "")),
			[]string{`line 3, column OBS_VALUE: "1.234.567" has thousands separators: write 1234567, with no thousands separator and a decimal point`}},
		{"thousands points, decimal comma", u, row(offence("0502", `"1.234,5"`, "", "")),
			[]string{`line 3, column OBS_VALUE: "1.234,5" has thousands separators: write 1234.5`}},
		{"thousands spaces", u, row(offence("0502", "1 234 567", "", "")),
			[]string{`line 3, column OBS_VALUE: "1 234 567" has a thousands separator: write 1234567`}},
		{"thousands apostrophe", u, row(offence("0502", "1'234", "", "")),
			[]string{`line 3, column OBS_VALUE: "1'234" has a thousands separator: write 1234`}},
		{"a point in a file of decimal commas", comma, row(offence("0502", "1.234", "", "")),
			[]string{`line 3, column OBS_VALUE: "1.234" has a point, but the file is declared to write decimals with a comma: write 1234 if the point separates thousands, or 1,234 if it is the decimal mark`}},
		{"two commas in a file of decimal commas", comma, row(offence("0502", `"1,234,5"`, "", "")),
			[]string{`line 3, column OBS_VALUE: "1,234,5" has more than one comma`}},
		{"missing, with a figure", u, row(offence("0502", "5", "M", "")),
			[]string{"line 3, column OBS_STATUS: is M (missing), but OBS_VALUE is 5: leave OBS_VALUE empty, or give another status"}},
		{"estimated, without a figure", u, row(offence("0502", "", "E", "")),
			[]string{"line 3, column OBS_VALUE: is empty, but OBS_STATUS is E: give the figure, or OBS_STATUS M if it is not available"}},
		{"unknown status", u, row(offence("0502", "5", "X", "")),
			[]string{`line 3, column OBS_STATUS: "X" is not a status`}},
		{"a cell twice", u, row(offence("0502", "5", "", "") + offence("0501", "2", "", "")),
			[]string{"line 4: gives a second figure for Offences recorded by the police, Burglary, 2023; line 2 gives the first: keep one"}},
		{"fields", u, row("OFFENCES,A,KEN\n" + offence("0502", "x", "", "")),
			[]string{"line 3: has 3 fields; the header has 17", `line 4, column OBS_VALUE: "x" is not a number`}},
		{"quotes", u, row("OFFENCES,\"A\"x,KEN\n"),
			[]string{`line 3: cannot be read as CSV: extraneous or missing " in quoted-field; reading stopped here`}},
		{"several problems on a line, and on several lines", u, row(strings.Replace(offence("0502", "x", "Q", ""), "KEN", "NGA", 1) + offence("0599", "5", "", "")),
			[]string{`line 3, column REF_AREA: is "NGA"`, `line 3, column OBS_VALUE: "x" is not a number`, `line 3, column OBS_STATUS: "Q" is not a status`, `line 4, column ICCS: "0599" is not a code of CL_ICCS`}},
		{"empty file", u, "", []string{"line 1: the file is empty: it starts with a header naming the columns (DATAFLOW,FREQ,"}},
		{"no header", u, offence("0501", "1", "", ""),
			[]string{"line 1: the first line is not a header: it names the columns, DATAFLOW,FREQ,REF_AREA,INDICATOR"}},
		{"unknown column", u, strings.Replace(sdmxHead, "COMMENT", "NOTE", 1),
			[]string{`line 1, column 16: the header has "NOTE", which is not a column of an upload`}},
		{"missing column", u, strings.Replace(sdmxHead, "ICCS,", "", 1),
			[]string{"line 1, column ICCS: the header lacks the column ICCS"}},
		{"no value column", u, strings.Replace(sdmxHead, "OBS_VALUE,", "", 1),
			[]string{"line 1, column OBS_VALUE: the header lacks the column OBS_VALUE"}},
		{"column twice", u, strings.Replace(sdmxHead, "COMMENT", "ICCS", 1),
			[]string{"line 1, column ICCS: the column appears twice"}},
		{"no table of the dataflow", Upload{Scope: Scope{Flow: "HOMICIDE", State: "KEN", Year: 2023}, Tables: u.Tables}, sdmxHead + strings.ReplaceAll(offence("0101", "1", "", ""), "OFFENCES", "HOMICIDE"),
			[]string{"no table of this round asks for figures of the dataflow HOMICIDE"}},
	} {
		got, err := ReadCSV(context.Background(), strings.NewReader(c.in), c.u)
		var ps *stats.Problems
		if got != nil || !errors.As(err, &ps) {
			t.Errorf("%s: kept %d values; error %v", c.name, len(got), err)
			continue
		}
		if len(ps.List) != len(c.want) {
			t.Errorf("%s: %d problems, want %d: %v", c.name, len(ps.List), len(c.want), ps)
			continue
		}
		for i, p := range ps.List {
			if !strings.HasPrefix(p.String(), c.want[i]) {
				t.Errorf("%s:\n got %s\nwant %s", c.name, p, c.want[i])
			}
		}
	}
}

// TestReadCSVRevision: a row of the year before the upload's revises
// the figure published for it, beside the figure of the year itself for
// the same cell.
func TestReadCSVRevision(t *testing.T) {
	u := upload(t)
	in := sdmxHead + offence("0501", "1234", "", "") +
		strings.Replace(offence("0501", "1200", "E", "late reports from two counties"), "2023", "2022", 1)
	got, err := ReadCSV(context.Background(), strings.NewReader(in), u)
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{
		{Key: offenceKey("0501"), Period: stats.Period{Year: 2023, Kind: 'A'}, Value: vfig(1234), Status: "A", Origin: "line 2"},
		{Key: offenceKey("0501"), Period: stats.Period{Year: 2022, Kind: 'A'}, Value: vfig(1200), Status: "E", Comment: "late reports from two counties", Origin: "line 3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestReadCSVQuotesAndLongLines(t *testing.T) {
	u := upload(t)
	long := strings.Repeat("a long comment; ", 10000) // past the reader's buffer
	in := sdmxHead +
		offence("0501", "1", "", `"on two lines:`+"\r\n"+`see the ""annex"""`) +
		offence("0502", "2", "", long) +
		offence("0701", `"3"`, `"E"`, "")
	got, err := ReadCSV(context.Background(), strings.NewReader(in), u)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Comment != "on two lines:\nsee the \"annex\"" || got[1].Comment != strings.TrimSpace(long) || got[1].Origin != "line 4" ||
		*got[2].Value != 3 || got[2].Status != "E" || got[2].Origin != "line 5" {
		t.Errorf("%+v", got)
	}
}

func TestReadCSVLimits(t *testing.T) {
	u := upload(t)
	var b strings.Builder
	b.WriteString(sdmxHead)
	for range 150 {
		b.WriteString(offence("0599", "5", "", ""))
	}
	_, err := ReadCSV(context.Background(), strings.NewReader(b.String()), u)
	var ps *stats.Problems
	if !errors.As(err, &ps) || len(ps.List) != stats.MaxProblems || ps.More != 50 || !strings.Contains(err.Error(), "150 problem(s)") {
		t.Errorf("many problems: %v", err)
	}

	small := u
	small.MaxBytes = int64(len(sdmxHead)) + 10
	var read []int64
	small.Progress = func(n int64) { read = append(read, n) }
	_, err = ReadCSV(context.Background(), strings.NewReader(sdmxHead+offence("0501", "1", "", "")), small)
	if !errors.As(err, &ps) || len(ps.List) != 1 || !strings.HasPrefix(ps.List[0].String(), fmt.Sprintf("the file is larger than %d bytes, the limit for one upload", small.MaxBytes)) {
		t.Errorf("too large: %v", err)
	}
	if len(read) == 0 || read[len(read)-1] > small.MaxBytes+1 {
		t.Errorf("progress %v: reading went on past the limit", read)
	}
	small.MaxBytes = 1 << 20
	if _, err = ReadCSV(context.Background(), strings.NewReader(sdmxHead+offence("0501", "1", "", "")), small); err != nil {
		t.Errorf("under the limit: %v", err)
	}
	if _, err := ReadCSV(context.Background(), strings.NewReader(strings.Repeat("x", 200)), Upload{MaxBytes: 100}); !errors.As(err, &ps) || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Errorf("a header past the limit: %v", err)
	}

	// A cancelled job stops reading.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Reset()
	b.WriteString(sdmxHead)
	for range 10000 {
		b.WriteString(offence("0599", "5", "", ""))
	}
	if _, err := ReadCSV(ctx, strings.NewReader(b.String()), u); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestReadCSVRoundTrip reads back what cpcj writes as SDMX-CSV.
func TestReadCSVRoundTrip(t *testing.T) {
	u := upload(t)
	u.Scope.Flow = "VICTIMS"
	var obs []stats.Observation
	var want []Value
	for i, tab := range u.Tables[2:] {
		for j, c := range tab.allCells() {
			k, err := tab.Key("KEN", c)
			if err != nil {
				t.Fatal(err)
			}
			v := Value{Key: k, Period: stats.Period{Year: 2023, Kind: 'A'}, Value: vfig(float64(i*100+j) / 3), Status: "A"}
			if j%7 == 3 {
				v.Value, v.Status, v.Comment = nil, "M", "not recorded"
			}
			obs = append(obs, stats.Observation{Flow: "VICTIMS", Key: v.Key, Period: v.Period, Value: v.Value, Status: v.Status, Comment: v.Comment})
			v.Origin = fmt.Sprintf("line %d", len(want)+2)
			want = append(want, v)
		}
	}
	var buf bytes.Buffer
	if err := stats.WriteSDMXCSV(&buf, "VICTIMS", stats.Slice(obs)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(context.Background(), &buf, u)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %d values, want %d; first %+v, want %+v", len(got), len(want), got[0], want[0])
	}
}

// FuzzReadCSV checks that no file makes the reader panic or keep a value
// outside the scope, that reading is all or nothing, and that what it
// keeps reads back the same once written as SDMX-CSV.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(sdmxHead+offence("0501", "1234", "", "")+offence("0502", "", "M", "x")), false)
	f.Add([]byte("\xef\xbb\xbfINDICATOR;ICCS;SEX;AGE;RELATIONSHIP;CYBER;SOURCE_TYPE;UNIT_MEASURE;OBS_VALUE\r\nOFF;0501;_T;_T;_Z;_T;CJ;RT100K;12,5\r\n"), true)
	f.Add([]byte(sdmxHead+offence("0501", `"1,234"`, "", "")+offence("0501", "1 234", "E", `"a ""quoted"" note"`)), false)
	f.Add([]byte(sdmxHead+"OFFENCES,\"A\"x,KEN\n"), false)
	f.Add([]byte("ICCS\tOBS_VALUE\n0501\t1\n"), false)
	f.Add([]byte(""), false)
	u := upload(f)
	g := newCellGrid(u.Tables, u.Scope.Flow, u.Scope.State)
	f.Fuzz(func(t *testing.T, in []byte, decimalComma bool) {
		u := u
		u.DecimalComma = decimalComma
		u.MaxBytes = 1 << 20
		got, err := ReadCSV(context.Background(), bytes.NewReader(in), u)
		if err != nil {
			var ps *stats.Problems
			if got != nil || !errors.As(err, &ps) || ps.Len() == 0 {
				t.Fatalf("kept %d values with the error %v", len(got), err)
			}
			return
		}
		seen := map[stats.Key]bool{}
		var obs []stats.Observation
		for _, v := range got {
			if g.find(v.Key) < 0 || v.Period != (stats.Period{Year: 2023, Kind: 'A'}) || seen[v.Key] {
				t.Fatalf("kept %+v", v)
			}
			seen[v.Key] = true
			if (v.Value == nil) != (v.Status == stats.StatusMissing) {
				t.Fatalf("figure and status disagree: %+v", v)
			}
			obs = append(obs, stats.Observation{Flow: "OFFENCES", Key: v.Key, Period: v.Period, Value: v.Value, Status: v.Status, Comment: v.Comment})
		}
		var buf bytes.Buffer
		if err := stats.WriteSDMXCSV(&buf, "OFFENCES", stats.Slice(obs)); err != nil {
			t.Fatal(err)
		}
		u.DecimalComma = false
		back, err := ReadCSV(context.Background(), &buf, u)
		if err != nil || len(back) != len(got) {
			t.Fatalf("read back %d values, %v; want %d", len(back), err, len(got))
		}
		for i := range back {
			a, b := back[i], got[i]
			if a.Key != b.Key || !sameValue(a, b) {
				t.Fatalf("read back %+v, want %+v", a, b)
			}
		}
	})
}
