package treaty_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/treaty"
)

const header = "instrument,participant,action,date,effective,declarations,source,records_as_of,exception"

// file is a CSV file of the header and the lines, one a line.
func file(lines ...string) string {
	return strings.Join(append([]string{header}, lines...), "\n") + "\n"
}

// rejected reads the file and returns the rows it rejects, failing the test
// when it is accepted or refused otherwise.
func rejected(t *testing.T, cat treaty.Catalog, f string) []treaty.RowError {
	t.Helper()
	rs, err := treaty.ReadCSV(strings.NewReader(f), cat)
	var ie *treaty.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("ReadCSV = %d records, %v; want an *ImportError", len(rs), err)
	}
	if rs != nil {
		t.Errorf("a refused file returned %d records", len(rs))
	}
	if len(ie.Rows) == 0 {
		t.Fatalf("ImportError without rows: %v", ie)
	}
	return ie.Rows
}

// accepted reads the file, failing the test when it is refused.
func accepted(t *testing.T, cat treaty.Catalog, f string) []treaty.Record {
	t.Helper()
	rs, err := treaty.ReadCSV(strings.NewReader(f), cat)
	if err != nil {
		t.Fatalf("ReadCSV refused the file: %v\n%s", err, f)
	}
	return rs
}

// oneRow checks that rows is one rejected row on the line, naming field and
// saying says.
func oneRow(t *testing.T, rows []treaty.RowError, line int, field, says string) {
	t.Helper()
	if len(rows) != 1 {
		t.Fatalf("%d rows rejected, want 1: %v", len(rows), rows)
	}
	r := rows[0]
	if r.Line != line || r.Field != field || !strings.Contains(r.Reason, says) {
		t.Errorf("rejected %+v; want line %d, field %q, a reason that says %q", r, line, field, says)
	}
}

func TestReadCSVHeader(t *testing.T) {
	cat := catalog()
	t.Run("missing columns", func(t *testing.T) {
		rows := rejected(t, cat, "instrument,participant,action,date\nUNTOC,FRA,ratification,2002-10-29\n")
		oneRow(t, rows, 1, "", "lacks the column(s) source, records_as_of")
		if !strings.Contains(rows[0].Reason, header) {
			t.Errorf("reason %q does not give the header to use", rows[0].Reason)
		}
	})
	t.Run("unknown column", func(t *testing.T) {
		rows := rejected(t, cat, "instrument,participant,action,date,source,records_as_of,remarks\nUNTOC,FRA,ratification,2002-10-29,s,2015-03-14,x\n")
		oneRow(t, rows, 1, "remarks", "unknown column")
	})
	t.Run("empty file", func(t *testing.T) {
		oneRow(t, rejected(t, cat, ""), 1, "", "the file is empty")
		oneRow(t, rejected(t, cat, "\n\n"), 1, "", "the file is empty")
	})
	t.Run("bad quoting in the header", func(t *testing.T) {
		rows := rejected(t, cat, `instrument,"participant,action`+"\n")
		if rows[0].Line != 1 || rows[0].Reason == "" {
			t.Errorf("rejected %+v, want line 1 with a reason", rows[0])
		}
	})
	t.Run("only the columns required, in another order and case", func(t *testing.T) {
		rs := accepted(t, cat, " Date ,Participant,ACTION,instrument,records_as_of,source\n2002-10-29,fra,ratification,untoc,2015-03-14,UNTC\n")
		want := []treaty.Record{{Instrument: "XVIII-12", Participant: "FRA", Action: treaty.Ratification, Date: day("2002-10-29"), Source: "UNTC", RecordsAsOf: today}}
		if !slices.Equal(rs, want) {
			t.Errorf("read %+v, want %+v", rs, want)
		}
	})
	t.Run("no rows", func(t *testing.T) {
		rs, err := treaty.ReadCSV(strings.NewReader(header+"\n"), cat)
		if err != nil || len(rs) != 0 {
			t.Errorf("a header alone: %v, %v; want no records and no error", rs, err)
		}
	})
}

func TestReadCSVRows(t *testing.T) {
	cat := catalog()
	ok := "UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,"
	tests := []struct {
		name  string
		row   string
		field string
		says  string
	}{
		{"too few fields", "UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14", "", "8 fields where the header has 9"},
		{"too many fields", ok + ",", "", "10 fields where the header has 9"},
		{"unknown instrument", "XVIII-99,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,", "instrument", `"XVIII-99" is not a known instrument`},
		{"no instrument", ",FRA,ratification,2002-10-29,,,UNTC,2015-03-14,", "instrument", `"" is not a known instrument`},
		{"instrument without records", "TOKYO-1963,FRA,ratification,1970-09-11,,,ICAO,2015-03-14,", "instrument", "its depositary is ICAO"},
		{"unknown participant", "UNTOC,XXX,ratification,2002-10-29,,,UNTC,2015-03-14,", "participant", `"XXX" is not a known participant code`},
		{"unknown action", "UNTOC,FRA,ratified,2002-10-29,,,UNTC,2015-03-14,", "action", `"ratified" is not an action`},
		{"bad date", "UNTOC,FRA,ratification,29/10/2002,,,UNTC,2015-03-14,", "date", `"29/10/2002" is not a date in the form YYYY-MM-DD`},
		{"impossible date", "UNTOC,FRA,ratification,2002-02-30,,,UNTC,2015-03-14,", "date", `"2002-02-30" is not a date`},
		{"no date", "UNTOC,FRA,ratification,,,,UNTC,2015-03-14,", "date", `"" is not a date`},
		{"bad date of effect", "UNTOC,FRA,withdrawal,2010-01-15,next year,,UNTC,2015-03-14,", "effective", `"next year" is not a date`},
		{"bad records_as_of", "UNTOC,FRA,ratification,2002-10-29,,,UNTC,14 March 2015,", "records_as_of", `"14 March 2015" is not a date`},
		{"no records_as_of", "UNTOC,FRA,ratification,2002-10-29,,,UNTC,,", "records_as_of", `"" is not a date`},
		{"future date", "UNTOC,FRA,ratification,2015-03-15,,,UNTC,2015-03-15,", "date", "is in the future"},
		{"no source", "UNTOC,FRA,ratification,2002-10-29,,,,2015-03-14,", "source", "name the source"},
		{"bare quote in the first field", `UN"TOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,`, "", `bare "`},
		{"bad quote in a later field", `UNTOC,FRA,"ratifi"cation,2002-10-29,,,UNTC,2015-03-14,`, "", `extraneous or missing "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oneRow(t, rejected(t, cat, file(ok, tt.row)), 3, tt.field, tt.says)
		})
	}
}

func TestReadCSVAliasesAndCase(t *testing.T) {
	rs := accepted(t, catalog(), file(
		"untoc,fra,signature,2000-12-12,,,UNTC,2015-03-14,",
		"XVIII-12,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		"TIP,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		"XVIII-12-a,FRA,signature,2000-12-12,,,UNTC,2015-03-14,",
		"  UNCAC  , FRA ,signature, 2003-12-09 ,,,UNTC,2015-03-14,",
	))
	var got []string
	for _, r := range rs {
		got = append(got, r.Instrument+" "+r.Participant)
	}
	want := []string{"XVIII-12 FRA", "XVIII-12 FRA", "XVIII-12-a FRA", "XVIII-12-a FRA", "XVIII-14 FRA"}
	if !slices.Equal(got, want) {
		t.Errorf("read %v, want %v: an alias or number in any case names the instrument by its number", got, want)
	}
}

func TestReadCSVEncoding(t *testing.T) {
	cat := catalog()
	t.Run("BOM", func(t *testing.T) {
		rs := accepted(t, cat, "\ufeff"+file("UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,"))
		if len(rs) != 1 || rs[0].Instrument != "XVIII-12" {
			t.Errorf("with a byte order mark: %+v", rs)
		}
	})
	t.Run("not UTF-8", func(t *testing.T) {
		f := file(
			"UNTOC,FRA,signature,2000-12-12,,,UNTC,2015-03-14,",
			"UNTOC,FRA,ratification,2002-10-29,,D\xe9claration,UNTC,2015-03-14,",
		)
		oneRow(t, rejected(t, cat, f), 3, "", "not UTF-8")
		oneRow(t, rejected(t, cat, "\ufeff"+f), 3, "", "not UTF-8")
		oneRow(t, rejected(t, cat, "instrument\xff,participant\n"), 1, "", "not UTF-8")
	})
	t.Run("CRLF", func(t *testing.T) {
		f := strings.ReplaceAll(file("UNTOC,FRA,signature,2000-12-12,,,UNTC,2015-03-14,", "UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,"), "\n", "\r\n")
		if rs := accepted(t, cat, f); len(rs) != 2 || rs[1].Exception != "" {
			t.Errorf("with CRLF line ends: %+v", rs)
		}
	})
}

// Every rejected row is listed, by the line it starts on, however many
// lines the quoted fields before it take.
func TestReadCSVListsEveryRejectedRow(t *testing.T) {
	f := file(
		"UNTOC,FRA,signature,2000-12-12,,,UNTC,2015-03-14,", // 2
		`UNTOC,FRA,ratification,2002-10-29,,"Declaration:`,  // 3
		`1. The Republic declares, ""in accordance with article 35"",`,
		`that it does not consider itself bound.",UNTC,2015-03-14,`,
		"UNTOC,XXX,ratification,2002-10-29,,,UNTC,2015-03-14,", // 6
		"UNTOC,DEU,ratified,2006-06-14,,,UNTC,2015-03-14,",     // 7
		"",
		"UNTOC,NOR,ratification,2003-09-23,,,UNTC,2015-03-14,",   // 9
		`UNTOC,KEN,accession,2004-08-16,,"multi`,                 // 10
		`line",UNTC,2015-03-14,"an exception",extra`,             // 11
		"UNTOC,PER,ratification,2002-01-23,,,,2015-03-14,",       // 12
		`UNTOC,BGR,"ratifi"cation,2001-12-05,,,UNTC,2015-03-14,`, // 13
		"UNTOC,ALB,ratification,2002-08-21,,,UNTC,2015-03-14,",   // 14
		`UNTOC,JAM,ratification,2003-09-29,,"never closed,UNTC,`, // 15
		"UNTOC,AFG,accession,2003-09-24,,,UNTC,2015-03-14,",
	)
	rows := rejected(t, catalog(), f)
	var got []int
	for _, r := range rows {
		got = append(got, r.Line)
		if r.Reason == "" {
			t.Errorf("line %d rejected without a reason", r.Line)
		}
	}
	if want := []int{6, 7, 10, 12, 13, 15}; !slices.Equal(got, want) {
		t.Errorf("rejected lines %v, want %v\n%v", got, want, rows)
	}
	for _, r := range rows {
		if r.Line == 6 && r.Field != "participant" || r.Line == 7 && r.Field != "action" || r.Line == 10 && !strings.Contains(r.Reason, "10 fields") {
			t.Errorf("line %d: %+v", r.Line, r)
		}
	}
	// The rules are applied to the rows that read, in the same pass: line
	// 12 has no source, which only the rules catch.
	for _, r := range rows {
		if r.Line == 12 && r.Field != "source" {
			t.Errorf("line 12: %+v, want the rule on the source", r)
		}
	}
	err := &treaty.ImportError{Rows: rows}
	if msg := err.Error(); !strings.Contains(msg, "nothing was stored: 6 rows rejected") || !strings.Contains(msg, "line 6, participant: ") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestImportErrorMessage(t *testing.T) {
	one := &treaty.ImportError{Rows: []treaty.RowError{{Line: 3, Field: "date", Reason: "bad"}}}
	if got, want := one.Error(), "the import was refused and nothing was stored: 1 row rejected; line 3, date: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var many treaty.ImportError
	for i := range 25 {
		many.Rows = append(many.Rows, treaty.RowError{Line: i + 2, Reason: "bad"})
	}
	msg := many.Error()
	if !strings.Contains(msg, "25 rows rejected") || !strings.Contains(msg, "line 21: bad") || strings.Contains(msg, "line 22:") || !strings.HasSuffix(msg, "; and 5 more") {
		t.Errorf("Error() of 25 rows = %q; want the first 20 and a count of the rest", msg)
	}
}

// The rules apply across the rows, in date order whatever the order of the
// file, as if the records were entered one by one.
func TestReadCSVRulesAcrossRows(t *testing.T) {
	cat := catalog()
	t.Run("in date order", func(t *testing.T) {
		accepted(t, cat, file(
			"UNTOC,FRA,withdrawal,2009-01-15,2010-01-15,,UNTC,2015-03-14,",
			"UNTOC,FRA,accession,2012-05-02,,,UNTC,2015-03-14,",
			"UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
			"UNTOC,FRA,signature,2000-12-12,,,UNTC,2015-03-14,",
		))
	})
	t.Run("second deposit", func(t *testing.T) {
		rows := rejected(t, cat, file(
			"UNTOC,FRA,accession,2005-01-10,,,UNTC,2015-03-14,", // 2
			"UNTOC,FRA,signature,2000-12-12,,,UNTC,2015-03-14,", // 3
			"UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		))
		oneRow(t, rows, 2, "action", "FRA is a party to XVIII-12 already, since 2002-10-29")
	})
	t.Run("the same row twice", func(t *testing.T) {
		rows := rejected(t, cat, file(
			"UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
			"UNTOC,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,",
			"untoc,fra,ratification,2002-10-29,,,another source,2015-03-14,",
		))
		oneRow(t, rows, 4, "action", "recorded already")
	})
	t.Run("several rules broken", func(t *testing.T) {
		rows := rejected(t, cat, file(
			"UNTOC,FRA,signature,2000-12-12,,,UNTC,2015-03-14,",
			"UNTOC,FRA,signature,2001-12-12,,,UNTC,2015-03-14,",  // 3: second signature
			"UNTOC,DEU,withdrawal,2005-01-01,,,UNTC,2015-03-14,", // 4: not a party yet
			"TIP,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,", // 5: not party to UNTOC
			"UNTOC,DEU,ratification,2006-06-15,,,UNTC,2015-03-14,",
			"UNTOC,NOR,ratification,2003-09-23,,,UNTC,2003-09-22,", // 7: records_as_of
		))
		var got []string
		for _, r := range rows {
			got = append(got, r.String())
		}
		want := []string{
			"line 3, action: FRA signed XVIII-12 already, on 2000-12-12",
			"line 4, action: DEU is not a party to XVIII-12 on 2005-01-01, so it cannot withdraw",
			"line 5, action: DEU is not a party to XVIII-12 on 2006-06-14",
			"line 7, records_as_of: the source's records (2003-09-22) cannot predate the action (2003-09-23)",
		}
		if len(got) != len(want) {
			t.Fatalf("rejected %q, want %q", got, want)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("rejected %q, want %q", got[i], want[i])
			}
		}
	})
	t.Run("a rejected row does not count", func(t *testing.T) {
		// The protocol's deposit is checked against the Convention's rows
		// that are accepted only.
		rows := rejected(t, cat, file(
			"UNTOC,DEU,ratification,2006-06-14,,,,2015-03-14,",
			"TIP,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,",
		))
		if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 3 {
			t.Errorf("rejected %v, want lines 2 and 3", rows)
		}
	})
	t.Run("protocol the same day as the Convention", func(t *testing.T) {
		// France deposited both on 2002-10-29; the file lists the
		// Protocol first.
		accepted(t, cat, file(
			"TIP,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
			"UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		))
	})
	t.Run("protocol as an exception", func(t *testing.T) {
		accepted(t, cat, file(
			`TIP,DEU,ratification,2006-06-13,,,UNTC,2015-03-14,"deposited a day before the Convention; the depositary accepted it"`,
			"UNTOC,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,",
		))
	})
}

// A file of Protocol rows alone is checked against the Convention's records
// stored; a file that carries the Convention's rows replaces them, so its
// own rows count instead.
func TestReadCSVProtocolAgainstStored(t *testing.T) {
	cat := catalog()
	cat.Stored = map[string][]treaty.Record{
		"XVIII-12": {
			rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
			rec("XVIII-12", "NOR", treaty.Ratification, "2003-09-23"),
		},
		"XVIII-12-a": {rec("XVIII-12-a", "NOR", treaty.Ratification, "2003-09-23")},
	}
	t.Run("protocol rows alone", func(t *testing.T) {
		rows := rejected(t, cat, file(
			"TIP,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
			"TIP,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,",
			"TIP,NOR,ratification,2003-09-24,,,UNTC,2015-03-14,",
		))
		oneRow(t, rows, 3, "action", "DEU is not a party to XVIII-12 on 2006-06-14")
	})
	t.Run("the stored protocol rows are replaced", func(t *testing.T) {
		// NOR's stored deposit is not in the file: its new one is no second
		// deposit.
		accepted(t, cat, file("TIP,NOR,ratification,2003-09-24,,,UNTC,2015-03-14,"))
	})
	t.Run("with the Convention's rows", func(t *testing.T) {
		rows := rejected(t, cat, file(
			"UNTOC,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,",
			"TIP,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,",
			"TIP,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		))
		oneRow(t, rows, 4, "action", "FRA is not a party to XVIII-12 on 2002-10-29")
	})
	t.Run("an instrument's stored rows do not count against its own rows", func(t *testing.T) {
		cat := cat
		cat.Stored = map[string][]treaty.Record{"XVIII-14": {rec("XVIII-14", "FRA", treaty.Ratification, "2005-07-11")}}
		accepted(t, cat, file("UNCAC,FRA,accession,2006-01-01,,,UNTC,2015-03-14,"))
	})
}

// The Service's catalog has the instruments by number and alias in upper
// case, as readers type them; the rows still name each by its number.
func TestReadCSVUpperCaseCatalog(t *testing.T) {
	cat := catalog()
	upper := treaty.Catalog{Instruments: map[string]treaty.Instrument{}, Participants: cat.Participants, Today: cat.Today}
	for k, in := range cat.Instruments {
		upper.Instruments[strings.ToUpper(k)] = in
	}
	rs := accepted(t, upper, file(
		"UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		"xviii-12-a,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,",
		"tip,FRA,signature,2000-12-12,,,UNTC,2015-03-14,",
	))
	if len(rs) != 3 || rs[1].Instrument != "XVIII-12-a" || rs[2].Instrument != "XVIII-12-a" {
		t.Errorf("read %+v", rs)
	}
	rows := rejected(t, upper, file("XVIII-12-a,DEU,ratification,2006-06-14,,,UNTC,2015-03-14,"))
	oneRow(t, rows, 2, "action", "UNTOC art. 37(2)")
}

func TestWriteCSVReadCSVRoundTrip(t *testing.T) {
	in := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12"),
		with(rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"), func(r *treaty.Record) {
			r.Declarations = "Réserve, article 35 § 2: « la République française » \"ne se considère pas liée\".\nSecond paragraph; with a comma, and \"quotes\"."
		}),
		withdrawal("XVIII-12", "FRA", "2009-01-15", "2010-01-15"),
		with(rec("XVIII-12", "FRA", treaty.Accession, "2012-05-02"), func(r *treaty.Record) { r.Source = "C.N.123.2012.TREATIES-XVIII.12, of 2 May 2012" }),
		rec("XVIII-12", "EUU", treaty.Approval, "2004-05-21"),
		with(rec("XVIII-12-a", "DEU", treaty.Ratification, "2006-06-13"), func(r *treaty.Record) { r.Exception = "a day before the Convention, as the depositary recorded it" }),
		rec("XVIII-12", "DEU", treaty.Ratification, "2006-06-14"),
		with(rec("XVIII-14", "KEN", treaty.Accession, "2003-12-09"), func(r *treaty.Record) { r.RecordsAsOf = day("2003-12-09") }),
	}
	var buf bytes.Buffer
	if err := treaty.WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(buf.String(), "\n"); first != header {
		t.Errorf("header %q, want %q", first, header)
	}
	out := accepted(t, catalog(), buf.String())
	if !slices.Equal(out, in) {
		t.Errorf("round trip changed the records:\n got %+v\nwant %+v", out, in)
	}
}

func TestWriteCSVError(t *testing.T) {
	if err := treaty.WriteCSV(failingWriter{}, []treaty.Record{rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12")}); err == nil {
		t.Error("WriteCSV to a failing writer returned no error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestReadCSVReadError(t *testing.T) {
	_, err := treaty.ReadCSV(io.MultiReader(strings.NewReader(header+"\n"), errReader{}), catalog())
	var ie *treaty.ImportError
	if err == nil || errors.As(err, &ie) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadCSV of a failing reader = %v, want its error", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
