package treaty_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/treaty"
)

// shippedRows returns the first n rows of the shipped UN Treaty Collection
// records of the instruments, in the CSV form import reads, and the codes
// of the participants they name.
func shippedRows(tb testing.TB, n int, instruments ...string) (rows []string, codes []string) {
	tb.Helper()
	f, err := data.FS.Open("treaties/untc_actions_2015-03-14.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range all[1:] { // mtdsg_no, participant, iso3, action, date
		if !slices.Contains(instruments, r[0]) {
			continue
		}
		code := r[2]
		if code == "" {
			code = "EUU"
		}
		codes = append(codes, code)
		if len(rows) < n {
			rows = append(rows, strings.Join([]string{r[0], code, r[3], r[4], "", "", "UN Treaty Collection", "2015-03-14", ""}, ","))
		}
	}
	return rows, codes
}

// FuzzReadCSV reads arbitrary files. Whatever arrives, ReadCSV does not
// panic; it refuses a file with an *ImportError whose every row has a line
// and a reason, or returns records that pass the rules and that WriteCSV
// writes back to the same records.
//
//	go test -run=^$ -fuzz=FuzzReadCSV -fuzztime=60s ./internal/treaty/
func FuzzReadCSV(f *testing.F) {
	real, codes := shippedRows(f, 30, "XVIII-12", "XVIII-12-a")
	cat := catalog()
	amended := treaty.Instrument{ID: "VI-18", Alias: "SINGLE-1961-AMENDED", Adopted: day("1975-08-08"), Parent: "VI-15",
		Depositary: "Secretary-General of the United Nations", Topic: "drugs", Records: true}
	cat.Instruments[amended.ID], cat.Instruments[amended.Alias] = amended, amended
	for _, c := range codes {
		cat.Participants[c] = true
	}

	f.Add([]byte(file(real...)))
	f.Add([]byte(file(real[:4]...)))
	f.Add([]byte("\ufeff" + file(
		"XVIII-12,AFG,signature,2000-12-14,,,UN Treaty Collection,2015-03-14,",
		"XVIII-12,AFG,ratification,2003-09-24,,,UN Treaty Collection,2015-03-14,",
		"XVIII-12-a,ALB,ratification,2002-08-21,,,UN Treaty Collection,2015-03-14,",
		"XVIII-12,ALB,ratification,2002-08-21,,,UN Treaty Collection,2015-03-14,",
		"UNTOC,EUU,approval,2004-05-21,,,UN Treaty Collection,2015-03-14,",
		"VI-18,FRA,participation_via_1972_protocol,1975-09-04,,,UN Treaty Collection,2015-03-14,",
	)))
	f.Add([]byte(file(
		"UNTOC,FRA,ratification,2002-10-29,,\"Réserve:\n« article 35 »\",UNTC,2015-03-14,",
		"UNTOC,FRA,withdrawal,2009-01-15,2010-01-15,,UNTC,2015-03-14,",
		"UNTOC,FRA,accession,2012-05-02,,,UNTC,2015-03-14,\"an \"\"exception\"\"\"",
	)))
	f.Add([]byte(file("UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,", "UNTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,")))
	f.Add([]byte(file(`U"NTOC,FRA,ratification,2002-10-29,,,UNTC,2015-03-14,`, `UNTOC,"FRA`)))
	f.Add([]byte("instrument,participant,action,date,source,records_as_of\r\nTIP,fra,signature,2000-12-12,s,2015-03-14\r\n"))
	f.Add([]byte("instrument,participant\n"))
	f.Add([]byte("date,date,instrument,participant,action,source,records_as_of\n2001-01-01,2002-10-29,UNTOC,FRA,ratification,s,2015-03-14\n"))
	f.Add([]byte(file("UNTOC,FRA,ratification,2002-10-29,,D\xe9claration,UNTC,2015-03-14,")))
	f.Add([]byte(""))

	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := treaty.ReadCSV(bytes.NewReader(in), cat)
		if err != nil {
			var ie *treaty.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("ReadCSV = %v (%T), want an *ImportError: the file is in memory", err, err)
			}
			if rs != nil {
				t.Errorf("a refused file returned %d records", len(rs))
			}
			if len(ie.Rows) == 0 {
				t.Fatalf("ImportError without rows: %v", ie)
			}
			lines := bytes.Count(in, []byte("\n")) + 1
			for _, r := range ie.Rows {
				if r.Line < 1 || r.Line > lines || r.Reason == "" {
					t.Errorf("rejected row %+v of a file of %d lines: want a line in it and a reason", r, lines)
				}
			}
			if ie.Error() == "" {
				t.Error("empty Error()")
			}
			return
		}
		for _, r := range rs {
			inst, ok := cat.Instruments[r.Instrument]
			if !ok || !inst.Records || r.Instrument != inst.ID {
				t.Errorf("accepted a record of %q, which is not an instrument with records named by its number", r.Instrument)
			}
			if !cat.Participants[r.Participant] || r.Date.IsZero() || r.Date.After(cat.Today) || strings.TrimSpace(r.Source) == "" || r.RecordsAsOf.Before(r.Date) {
				t.Errorf("accepted a record the rules refuse: %+v", r)
			}
		}
		var buf bytes.Buffer
		if err := treaty.WriteCSV(&buf, rs); err != nil {
			t.Fatal(err)
		}
		again, err := treaty.ReadCSV(&buf, cat)
		if err != nil {
			t.Fatalf("the records read do not read again once written: %v\n%s", err, buf.String())
		}
		if !slices.Equal(rs, again) {
			t.Errorf("written and read again, the records changed:\n%+v\n%+v", rs, again)
		}
	})
}
