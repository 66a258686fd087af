package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const sdmxHead = "DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,SOURCE_DETAIL,COMMENT,DERIVATION\n"

func TestStatsExportImport(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, _ store.Engine, dbURL string) {
		cpcj(t, dbURL, "", "migrate").want(t, 0, "applied 0006_load_statistics")
		key := "A.PHL.VIC_HOM.0101......"
		r := cpcj(t, dbURL, "", "stats", "export", "--flow", "HOMICIDE", "--key", key, "--format", "sdmx-csv")
		r.want(t, 0, sdmxHead, "UNODC:HOMICIDE(1.0),A,PHL,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2009,6368,B,CTS/National police,In 2009 the Philippine National Police")
		if n := strings.Count(r.out, "\n"); n != 27 { // header + 13 years × count and rate
			t.Errorf("%d lines exported:\n%s", n, r.out)
		}
		exported := writeFile(t, "phl.csv", r.out)
		cpcj(t, dbURL, "", "stats", "import", exported, "--flow", "HOMICIDE", "--dry-run").want(t, 0, "26 observations of HOMICIDE checked (dry run, nothing stored)")
		cpcj(t, dbURL, "", "stats", "import", exported, "--flow", "HOMICIDE").want(t, 0, "0 observations added, 0 revised, 26 unchanged")

		// A source file in its own format: the shipped GSH table again.
		cpcj(t, dbURL, "", "stats", "import", "../../data/crime-stats/unodc_gsh2013_homicide_count_rate_long.csv", "--flow", "HOMICIDE").
			want(t, 0, "3210 rows read (gsh)", "0 observations added, 0 revised, 3210 unchanged")
		// The CTS export holds VICTIMS too: counted, not imported into OFFENCES.
		cpcj(t, dbURL, "", "stats", "import", "../../data/crime-stats/unodc_cts_violent_and_sexual_crime.csv", "--flow", "OFFENCES", "--dry-run").
			want(t, 0, "19848 observations of OFFENCES checked", "6266 rows of observations of other dataflows")

		csvOut := cpcj(t, dbURL, "", "stats", "export", "--flow", "VICTIMS", "--key", "A.ITA.VIC.0301.F.._U...NB", "--start", "2020", "--end", "2020")
		csvOut.want(t, 0, "VICTIMS,A,ITA,Italy,VIC,Victims of offences recorded by the police,0301,Sexual violence,F,_T,_U,_T,CJ,NB,2020,4097,A,CTS,,,", "https://dataunodc.un.org/dp-crime-violent-offences", "2024-05-16")
		x := cpcj(t, dbURL, "", "stats", "export", "--flow", "POPULATION", "--key", "A.KEN........", "--format", "xlsx")
		if x.code != 0 || !strings.HasPrefix(x.out, "PK") {
			t.Errorf("xlsx export: exit %d, %q…", x.code, x.out[:min(20, len(x.out))])
		}
		cpcj(t, dbURL, "", "stats", "export", "--flow", "HOMICIDE", "--key", "A.KEN").want(t, 2, "has 2 parts; it needs 10")
		cpcj(t, dbURL, "", "stats", "export", "--flow", "NOPE").want(t, 1, `No dataflow has the id "NOPE"`)
	})
}

func TestStatsImportRefusesBadFiles(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, _ store.Engine, dbURL string) {
		cpcj(t, dbURL, "", "migrate").want(t, 0)
		good := "UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2012,999999,A,test,,\n"
		tests := []struct {
			name, content string
			want          []string
		}{
			{"wrong header", "DATAFLOW,FREQ,COUNTRY,TIME_PERIOD,OBS_VALUE\n" + good,
				[]string{`line 1, column 3: the header has "COUNTRY"`, "line 1, column REF_AREA: the header lacks the column REF_AREA"}},
			{"empty file", "", []string{"line 1: the file is empty"}},
			{"bad rows", sdmxHead + good +
				"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2011,twelve,A,test,,\n" +
				"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2013-13,5,A,test,,\n" +
				"UNODC:HOMICIDE(1.0),A,XYZ,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2010,5,A,test,,\n" +
				"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2012,1,A,test,,\n" +
				"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2010,1,Q,test,,\n" +
				"UNODC:OFFENCES(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2009,1,A,test,,\n" +
				"UNODC:HOMICIDE(1.0),A,KEN,VIC_HOM,0101,_T,_T,_T,_T,CJ,NB,2008,1,A\n",
				[]string{
					`line 3, column OBS_VALUE: "twelve" is not a number`,
					`line 4, column TIME_PERIOD: "2013-13" is not a period`,
					`line 5, column REF_AREA: "XYZ" is not a code of CL_AREA`,
					"line 6, column TIME_PERIOD: duplicates line 2",
					`line 7, column OBS_STATUS: "Q" is not a code of CL_OBS_STATUS`,
					"line 8, column DATAFLOW: is OFFENCES, but this import is for HOMICIDE",
					"line 9: has 14 fields; the header has 17",
				}},
			{"bad source rows", "region,subregion,country,source_type,source,indicator,year,value,flag\n" +
				"Africa,Eastern Africa,Kenya,CJ,CTS,count,2012,999999,\n" +
				"Africa,Eastern Africa,Wakanda,CJ,CTS,count,2012,5,\n" +
				"Africa,Eastern Africa,Kenya,XX,CTS,count,2012,1,\n" +
				"Africa,Eastern Africa,Kenya,CJ,CTS,count,2011,\"1,234\",\n",
				[]string{`line 3, column country: "Wakanda" has no area code`, `line 4, column source_type: "XX" is not CJ`, `line 5, column value: "1,234" is not a number`}},
		}
		before := cpcj(t, dbURL, "", "stats", "export", "--flow", "HOMICIDE", "--key", "A.KEN........", "--format", "sdmx-csv").out
		for _, tt := range tests {
			f := writeFile(t, "bad.csv", tt.content)
			r := cpcj(t, dbURL, "", "stats", "import", f, "--flow", "HOMICIDE")
			r.want(t, 1, append([]string{"nothing was stored", "import refused"}, tt.want...)...)
			if t.Failed() {
				t.Fatalf("%s", tt.name)
			}
		}
		after := cpcj(t, dbURL, "", "stats", "export", "--flow", "HOMICIDE", "--key", "A.KEN........", "--format", "sdmx-csv").out
		if before != after || strings.Contains(after, "999999") {
			t.Error("a refused file changed the stored observations")
		}
		cpcj(t, dbURL, "", "stats", "import", writeFile(t, "x.csv", sdmxHead+good), "--flow", "NOPE").want(t, 1, `no dataflow has the id "NOPE"`)
		cpcj(t, dbURL, "", "stats", "import", writeFile(t, "x.csv", sdmxHead+good)).want(t, 2, "give the file and the dataflow")
	})
}
