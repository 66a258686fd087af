package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/stats"
)

func reference(t testing.TB) *Reference {
	t.Helper()
	ref, err := LoadReference(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestLoadShipped(t *testing.T) {
	b, err := Load(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"HOMICIDE": 3210, "OFFENCES": 40448, "VICTIMS": 6266, "POPULATION": 6963}
	for flow, n := range want {
		if len(b.Obs[flow]) != n {
			t.Errorf("%s: %d observations, want %d", flow, len(b.Obs[flow]), n)
		}
	}
	econ := b.Reports[CTSEconomicFile]
	if econ.Rows != 22754 || econ.SkippedRows() != 1122+586+446 {
		t.Errorf("economic crime: %s", econ)
	}
	if wdi := b.Reports[WDIFile]; wdi.SkippedRows() != 47*32 {
		t.Errorf("WDI: %s", wdi)
	}
}

func read(t *testing.T, format, in string) ([]stats.Observation, *Report, error) {
	t.Helper()
	var out []stats.Observation
	rep, err := Read(strings.NewReader(in), format, reference(t), func(_ int, o stats.Observation) error {
		out = append(out, o)
		return nil
	})
	return out, rep, err
}

func TestReadGSHFootnotes(t *testing.T) {
	in := headers[FormatGSH] + "\n" +
		"Europe,Southern Europe,San Marino,PH,WHO,count,2012,,x: estimated count less than 2 (small population)\n" +
		"Asia,Western Asia,Turkey,CJ,CTS/UNECE,count,2009,2366*,\n" +
		"Asia,South-Eastern Asia,Philippines +,CJ,CTS/National police,rate,2009,6.9,\n" +
		"Asia,South-Eastern Asia,Philippines +,CJ,CTS/National police,rate,2010,9.5,\n" +
		"Asia,Western Asia,United Arab Emirates#,CJ,CTS,rate,2012,0.7,\n"
	got, rep, err := read(t, "", in)
	if err != nil || rep.Format != FormatGSH {
		t.Fatal(err, rep)
	}
	checks := []struct {
		area, value, status, comment string
	}{
		{"SMR", "", "M", "less than 2"},
		{"TUR", "2366", "A", "UNECE trend data"},
		{"PHL", "6.9", "B", "new crime reporting system"},
		{"PHL", "9.5", "A", ""},
		{"ARE", "0.7", "A", "6 October 2014"},
	}
	for i, c := range checks {
		o := got[i]
		if o.Key[1] != c.area || stats.FormatValue(o.Value) != c.value || o.Status != c.status || (c.comment == "") != (o.Comment == "") || !strings.Contains(o.Comment, c.comment) {
			t.Errorf("row %d: %s %s %s %q", i, o.Key, stats.FormatValue(o.Value), o.Status, o.Comment)
		}
	}
	// A value where the flag says there is none; an empty value without a
	// flag; an unknown marker.
	_, _, err = read(t, FormatGSH, headers[FormatGSH]+"\n"+
		"Europe,Southern Europe,San Marino,PH,WHO,count,2012,3,x: estimated count less than 2\n"+
		"Europe,Southern Europe,San Marino,PH,WHO,count,2011,,\n"+
		"Europe,Southern Europe,San Marino,PH,WHO,count,2010,1,z: who knows\n")
	var ps *stats.Problems
	if !errors.As(err, &ps) || ps.Len() != 3 || !strings.Contains(err.Error(), "line 2, column flag") || !strings.Contains(err.Error(), "line 3, column value") || !strings.Contains(err.Error(), "line 4, column flag") {
		t.Errorf("bad footnotes: %v", err)
	}
}

func TestReadCTSRefusesUnmapped(t *testing.T) {
	in := headers[FormatCTS] + "\n" +
		"KEN,Kenya,Africa,Eastern Africa,Offences,by type of offence,Burglary,Total,Total,2015,Counts,100,CTS\n" +
		"KEN,Kenya,Africa,Eastern Africa,Offences,by type of offence,Piracy,Total,Total,2015,Counts,1,CTS\n" +
		"KEN,Kenya,Africa,Eastern Africa,Offences,by type of offence,Corruption: Other acts of corruption,Total,Total,2015,Counts,1,CTS\n" +
		"KEN,Kenya,Africa,Eastern Africa,Victims of sexual violence,by relationship to perpetrator,Intimate partner or family member,Female,Total,2015,Counts,7,CTS\n"
	_, _, err := read(t, FormatCTS, in)
	if err == nil || !strings.Contains(err.Error(), `line 3, column Category: "Piracy" (Offences, by type of offence) has no row in data/crime-stats/iccs_mapping.csv`) {
		t.Errorf("unmapped category: %v", err)
	}
	got, rep, err := read(t, FormatCTS, strings.Replace(in, "Piracy", "Theft", 1))
	if err != nil || len(got) != 3 || rep.SkippedRows() != 1 {
		t.Fatalf("%v %v %s", got, err, rep)
	}
	if k := got[2].Key.String(); k != "A.KEN.VIC.0301.F._T.IPFM._T.CJ.NB" || got[2].Flow != "VICTIMS" {
		t.Errorf("victims key %s, flow %s", k, got[2].Flow)
	}
	if k := got[0].Key.String(); k != "A.KEN.OFF.0501._T._T._Z._T.CJ.NB" || got[0].Flow != "OFFENCES" {
		t.Errorf("offences key %s", k)
	}
}

func TestDetect(t *testing.T) {
	_, _, err := read(t, "", "a,b,c\n1,2,3\n")
	if err == nil || !strings.Contains(err.Error(), "not one of a known format") {
		t.Errorf("unknown header: %v", err)
	}
	_, _, err = read(t, FormatWDI, "iso3,year\n")
	if err == nil || !strings.Contains(err.Error(), "line 1: the header is") {
		t.Errorf("wrong header: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(headers[FormatGSH] + "\nAfrica,Eastern Africa,Kenya,CJ,CTS,count,2012,2878,\nEurope,Southern Europe,San Marino,PH,WHO,count,2012,,x: e\n")
	f.Add(headers[FormatGSH] + "\nAsia,South-Eastern Asia,Philippines +,CJ,x,rate,2009,6.9*,\nA,B,#,CJ,x,rate,2009,*,\n")
	f.Add(headers[FormatCTS] + "\nKEN,Kenya,Africa,Eastern Africa,Offences,by type of offence,Burglary,Total,Total,2015,Counts,100,CTS\n")
	f.Add(headers[FormatWDI] + "\nKEN,Kenya,2012,6.1,44343469\nWLD,World,2012,6.2,7000000000\nXYZ,X,20x2,,\n")
	f.Add(SDMXHeaderForFuzz + "HOMICIDE,A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2012,1,A,,,\n")
	f.Add("\"unterminated")
	ref := reference(f)
	st := stats.NewStructure(ref.Codelists, ref.Dataflows)
	f.Fuzz(func(t *testing.T, in string) {
		rep, err := Read(strings.NewReader(in), "", ref, func(line int, o stats.Observation) error {
			if line < 2 {
				t.Fatalf("observation from line %d", line)
			}
			if o.Flow == "" || o.Period.IsZero() {
				t.Fatalf("incomplete observation %+v", o)
			}
			return nil
		})
		var ps *stats.Problems
		if err != nil && !errors.As(err, &ps) {
			t.Fatalf("error not of type *Problems: %v", err)
		}
		if err == nil && rep == nil {
			t.Fatal("no report")
		}
		// Check never panics and is all or nothing.
		for _, flow := range []string{"HOMICIDE", "OFFENCES", "VICTIMS", "POPULATION"} {
			obs, _, err := Check(strings.NewReader(in), "", flow, st, ref, nil)
			if err != nil && obs != nil {
				t.Fatalf("%s: observations returned with an error", flow)
			}
		}
	})
}

// SDMXHeaderForFuzz is the SDMX-CSV header line.
var SDMXHeaderForFuzz = strings.Join(stats.SDMXCSVHeader(), ",") + "\n"
