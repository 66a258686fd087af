package stats

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSDMXCSVRoundTrip(t *testing.T) {
	in := []Observation{
		{Flow: "HOMICIDE", Key: Key{"A", "KEN", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "NB"}, Period: year(2012), Value: f(2878), Status: "A", Source: "CTS/National police"},
		{Flow: "HOMICIDE", Key: Key{"A", "KEN", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", "RT100K"}, Period: year(2012), Value: f(26.9526450298737), Status: "E", Comment: `a "quoted", comma`},
		{Flow: "HOMICIDE", Key: Key{"A", "SMR", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "PH", "NB"}, Period: year(2012), Status: "M", Comment: "x", Derived: ""},
		{Flow: "HOMICIDE", Key: Key{"A", "SMR", "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "PH", "RT100K"}, Period: Period{Year: 2012, Sub: 3, Kind: 'Q'}, Value: f(0.7), Status: "A", Derived: "C"},
	}
	var buf bytes.Buffer
	if err := WriteSDMXCSV(&buf, "HOMICIDE", Slice(in)); err != nil {
		t.Fatal(err)
	}
	want := "DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,SOURCE_DETAIL,COMMENT,DERIVATION\n" +
		"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2012,2878,A,CTS/National police,,\n" +
		"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,RT100K,2012,26.9526450298737,E,,\"a \"\"quoted\"\", comma\",\n" +
		"UNODC:HOMICIDE(1.0),A,SMR,VIC_HOM,0101,_T,_T,_T,_T,PH,NB,2012,,M,,x,\n" +
		"UNODC:HOMICIDE(1.0),A,SMR,VIC_HOM,0101,_T,_T,_T,_T,PH,RT100K,2012-Q3,0.7,A,,,C\n"
	if buf.String() != want {
		t.Errorf("written:\n%s\nwant:\n%s", buf.String(), want)
	}
	var out []Observation
	var lines []int
	err := ReadSDMXCSV(strings.NewReader("\xef\xbb\xbf"+buf.String()), "HOMICIDE", func(line int, o Observation) error {
		out, lines = append(out, o), append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) || !reflect.DeepEqual(lines, []int{2, 3, 4, 5}) {
		t.Errorf("read back:\n%+v\nlines %v", out, lines)
	}
	var empty bytes.Buffer
	if err := WriteSDMXCSV(&empty, "HOMICIDE", Slice(nil)); err != nil || strings.Count(empty.String(), "\n") != 1 {
		t.Errorf("empty: %q %v", empty.String(), err)
	}
}

func TestReadSDMXCSVLiberal(t *testing.T) {
	// Labels in the header, columns in another order, no attributes, a
	// short flow reference, NaN for missing.
	in := "TIME_PERIOD,OBS_VALUE,DATAFLOW,FREQ: Frequency,REF_AREA: Reference area,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE\n" +
		"2013,5,HOMICIDE,A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB\n" +
		"2014,NaN,UNODC:HOMICIDE,A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB\n"
	var out []Observation
	if err := ReadSDMXCSV(strings.NewReader(in), "", func(_ int, o Observation) error { out = append(out, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || *out[0].Value != 5 || out[1].Value != nil || out[1].Status != "M" || out[0].Flow != "HOMICIDE" || out[0].Key[1] != "KEN" {
		t.Errorf("%+v", out)
	}
	var ps *Problems
	err := ReadSDMXCSV(strings.NewReader("DATAFLOW,REF_AREA,REF_AREA\n"), "", func(int, Observation) error { return nil })
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), "appears twice") || !strings.Contains(err.Error(), "lacks the column FREQ") {
		t.Errorf("bad header: %v", err)
	}
	err = ReadSDMXCSV(strings.NewReader(SDMXCSVHeaderLine()+"X:HOMICIDE(2.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2013,5,A,,,\n"), "", func(int, Observation) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 2, column DATAFLOW") {
		t.Errorf("bad flow reference: %v", err)
	}
}

// SDMXCSVHeaderLine is the header as a CSV line.
func SDMXCSVHeaderLine() string { return strings.Join(SDMXCSVHeader(), ",") + "\n" }

func TestParseFlowRef(t *testing.T) {
	for s, want := range map[string]string{"HOMICIDE": "HOMICIDE", "UNODC:HOMICIDE": "HOMICIDE", "UNODC:HOMICIDE(1.0)": "HOMICIDE", "ESTAT:X": "", "UNODC:X(2.0)": "", "": "", "A B": ""} {
		got, err := ParseFlowRef(s)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("ParseFlowRef(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
}

func FuzzReadSDMXCSV(f *testing.F) {
	f.Add(SDMXCSVHeaderLine() + "UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2012,2878,A,CTS,,\n")
	f.Add(SDMXCSVHeaderLine() + "HOMICIDE,A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2013-13,1e400,A,\"x\"\"y\",,\n")
	f.Add("TIME_PERIOD,OBS_VALUE,DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE\n2013-Q1,NaN,HOMICIDE,A,K E N,,,,,,,,\n")
	f.Add("\xef\xbb\xbfDATAFLOW\n\"")
	f.Fuzz(func(t *testing.T, in string) {
		var got []Observation
		err := ReadSDMXCSV(strings.NewReader(in), "", func(_ int, o Observation) error { got = append(got, o); return nil })
		var ps *Problems
		if err != nil && !errors.As(err, &ps) {
			t.Fatalf("error not of type *Problems: %v", err)
		}
		if ps != nil && ps.Len() == 0 {
			t.Fatal("empty problems returned as an error")
		}
		// What was read writes and reads back the same.
		for _, o := range got {
			var buf bytes.Buffer
			if err := WriteSDMXCSV(&buf, o.Flow, Slice([]Observation{o})); err != nil {
				t.Fatal(err)
			}
			var back []Observation
			if err := ReadSDMXCSV(&buf, o.Flow, func(_ int, b Observation) error { back = append(back, b); return nil }); err != nil {
				t.Fatalf("re-reading %q: %v", buf.String(), err)
			}
			o.Status, o.Source, o.Comment, o.Derived = strings.TrimSpace(o.Status), strings.TrimSpace(o.Source), strings.TrimSpace(o.Comment), strings.TrimSpace(o.Derived)
			if len(back) != 1 || !reflect.DeepEqual(back[0], o) {
				t.Fatalf("round trip of %+v gave %+v", o, back)
			}
		}
	})
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"", "all", "A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB", "A.KEN+UGA.VIC_HOM.0101......NB", "A.KEN UGA.........", ".........", "A.KEN.*.0101......", "A..", "A.K\x00N........"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		for i, codes := range k {
			for _, c := range codes {
				if !validCode(c) {
					t.Fatalf("dimension %d has the bad code %q", i, c)
				}
			}
		}
		back, err := ParseKey(FormatKey(k))
		if err != nil || !reflect.DeepEqual(back, k) {
			t.Fatalf("FormatKey(%v) = %q reads back as %v, %v", k, FormatKey(k), back, err)
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2013", "2013-Q1", "2013-S2", "2013-01", "2013-12-31", "2013-13", "2013-Q5", "999", "0999", "20130", "2013-1", "٢٠١٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if p.IsZero() || !p.End().After(p.Start()) {
			t.Fatalf("%q read as %+v", s, p)
		}
		back, err := ParsePeriod(p.String())
		if err != nil || back != p {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, p.String(), back, err)
		}
	})
}
