package treaty_test

import (
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/treaty"
)

// with returns r changed by f.
func with(r treaty.Record, f func(*treaty.Record)) treaty.Record {
	f(&r)
	return r
}

func TestCheck(t *testing.T) {
	amended := treaty.Instrument{ID: "VI-18", Alias: "SINGLE-1961-AMENDED", Adopted: day("1975-08-08"), Parent: "VI-15",
		Depositary: "Secretary-General of the United Nations", Topic: "drugs", Records: true}
	fraSigned := rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12")
	fraRatified := rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29")
	tests := []struct {
		name     string
		inst     treaty.Instrument
		r        treaty.Record
		existing []treaty.Record
		parent   []treaty.Record
		kind     fail.Kind // "" when the record is accepted
		field    string
		says     []string // parts of the message that name the rule
	}{
		{name: "a signature", inst: untoc, r: fraSigned},
		{name: "a ratification after the signature", inst: untoc, r: fraRatified, existing: []treaty.Record{fraSigned}},
		{name: "an accession on the day of adoption", inst: untoc, r: rec("XVIII-12", "AFG", treaty.Accession, "2000-11-15")},
		{name: "an action today", inst: untoc, r: rec("XVIII-12", "AFG", treaty.Accession, "2015-03-14")},

		{name: "no records kept", inst: tokyo, r: rec("TOKYO-1963", "FRA", treaty.Ratification, "1970-09-11"),
			kind: fail.Invalid, field: "instrument", says: []string{"no participation records for TOKYO-1963", "its depositary is ICAO", "not the Secretary-General"}},
		{name: "unknown action", inst: untoc, r: rec("XVIII-12", "FRA", "denunciation", "2002-10-29"),
			kind: fail.Invalid, field: "action", says: []string{`"denunciation" is not an action`}},
		{name: "no date", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Date = civil.Date{} }),
			kind: fail.Invalid, field: "date", says: []string{"a date is required"}},
		{name: "future date", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Ratification, "2015-03-15"),
			kind: fail.Invalid, field: "date", says: []string{"2015-03-15 is in the future"}},
		{name: "date before adoption", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Signature, "2000-11-14"),
			kind: fail.Invalid, field: "date", says: []string{"2000-11-14 is before XVIII-12 was adopted (2000-11-15)"}},
		{name: "participation through the 1972 Protocol before the amended text", inst: amended, r: rec("VI-18", "FRA", treaty.ParticipationVia1972, "1975-01-28")},
		{name: "ratification before the amended text", inst: amended, r: rec("VI-18", "FRA", treaty.Ratification, "1975-01-28"),
			kind: fail.Invalid, field: "date", says: []string{"1975-01-28 is before VI-18 was adopted (1975-08-08)"}},
		{name: "no source", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Source = " \t " }),
			kind: fail.Invalid, field: "source", says: []string{"name the source"}},
		{name: "no records_as_of", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.RecordsAsOf = civil.Date{} }),
			kind: fail.Invalid, field: "records_as_of", says: []string{"date of the source's records"}},
		{name: "records_as_of before the action", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.RecordsAsOf = day("2002-10-28") }),
			kind: fail.Invalid, field: "records_as_of", says: []string{"the source's records (2002-10-28) cannot predate the action (2002-10-29)"}},
		{name: "records_as_of on the day of the action", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.RecordsAsOf = day("2002-10-29") })},
		{name: "declarations at the limit", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Declarations = strings.Repeat("d", treaty.MaxDeclarations) })},
		{name: "declarations too long", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Declarations = strings.Repeat("d", treaty.MaxDeclarations+1) }),
			kind: fail.Invalid, field: "declarations", says: []string{"at most 20000 characters"}},
		{name: "date of effect of a ratification", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Effective = day("2002-11-28") }),
			kind: fail.Invalid, field: "effective", says: []string{"only a withdrawal has a date of effect"}},
		{name: "withdrawal in effect before notified", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2010-01-15", "2010-01-14"), existing: []treaty.Record{fraRatified},
			kind: fail.Invalid, field: "effective", says: []string{"cannot take effect (2010-01-14) before it is notified (2010-01-15)"}},
		{name: "withdrawal in effect when notified", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2010-01-15", "2010-01-15"), existing: []treaty.Record{fraRatified}},
		{name: "withdrawal in effect a year later", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2010-01-15", "2011-01-15"), existing: []treaty.Record{fraRatified}},
		{name: "withdrawal without a date of effect", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2010-01-15", ""), existing: []treaty.Record{fraRatified}},

		{name: "duplicate", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Source = "another source" }), existing: []treaty.Record{fraSigned, fraRatified},
			kind: fail.Conflict, field: "action", says: []string{"this ratification of FRA on 2002-10-29 is recorded already"}},
		{name: "duplicate, even as an exception", inst: untoc, r: with(fraRatified, func(r *treaty.Record) { r.Exception = "the depositary accepted it" }), existing: []treaty.Record{fraRatified},
			kind: fail.Conflict, field: "action", says: []string{"recorded already"}},
		{name: "another action on the same date", inst: untoc, r: fraRatified, existing: []treaty.Record{rec("XVIII-12", "FRA", treaty.Signature, "2002-10-29")}},
		{name: "signature after the deposit", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Signature, "2003-01-10"), existing: []treaty.Record{fraRatified},
			kind: fail.Invalid, field: "action", says: []string{"FRA is a party to XVIII-12 since 2002-10-29 (ratification)"}},
		{name: "second signature", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Signature, "2001-01-10"), existing: []treaty.Record{fraSigned},
			kind: fail.Conflict, field: "action", says: []string{"FRA signed XVIII-12 already, on 2000-12-12"}},
		{name: "succession to a signature after a signature", inst: untoc, r: rec("XVIII-12", "FRA", treaty.SuccessionToSignature, "2001-01-10"), existing: []treaty.Record{fraSigned},
			kind: fail.Conflict, field: "action", says: []string{"FRA signed XVIII-12 already, on 2000-12-12"}},
		{name: "second signature as an exception", inst: untoc, r: with(rec("XVIII-12", "FRA", treaty.Signature, "2001-01-10"), func(r *treaty.Record) { r.Exception = "signed again after a change of government" }), existing: []treaty.Record{fraSigned}},
		{name: "deposit while a party", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Accession, "2005-01-10"), existing: []treaty.Record{fraSigned, fraRatified},
			kind: fail.Conflict, field: "action", says: []string{"FRA is a party to XVIII-12 already, since 2002-10-29"}},
		{name: "deposit while a party as an exception", inst: untoc, r: with(rec("XVIII-12", "FRA", treaty.Accession, "2005-01-10"), func(r *treaty.Record) { r.Exception = "the depositary recorded both" }), existing: []treaty.Record{fraRatified}},
		{name: "deposit after a withdrawal took effect", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Accession, "2012-05-02"),
			existing: []treaty.Record{fraRatified, withdrawal("XVIII-12", "FRA", "2009-01-15", "2010-01-15")}},
		{name: "deposit before an existing one", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Accession, "2001-05-02"), existing: []treaty.Record{fraSigned, fraRatified},
			kind: fail.Conflict, field: "date", says: []string{"FRA deposited on 2002-10-29 (ratification)", "a second deposit on 2001-05-02 needs a withdrawal between them"}},
		{name: "deposit before an existing one, a withdrawal between", inst: untoc, r: rec("XVIII-12", "FRA", treaty.Accession, "2001-05-02"),
			existing: []treaty.Record{withdrawal("XVIII-12", "FRA", "2002-01-15", ""), fraRatified}},
		{name: "withdrawal when not a party", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2010-01-15", ""), existing: []treaty.Record{fraSigned},
			kind: fail.Invalid, field: "action", says: []string{"FRA is not a party to XVIII-12 on 2010-01-15, so it cannot withdraw"}},
		{name: "withdrawal before the deposit", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2002-01-15", ""), existing: []treaty.Record{fraRatified},
			kind: fail.Invalid, field: "action", says: []string{"cannot withdraw"}},
		{name: "second withdrawal", inst: untoc, r: withdrawal("XVIII-12", "FRA", "2011-01-15", ""), existing: []treaty.Record{fraRatified, withdrawal("XVIII-12", "FRA", "2010-01-15", "")},
			kind: fail.Invalid, field: "action", says: []string{"cannot withdraw"}},
		{name: "withdrawal when not a party as an exception", inst: untoc, r: with(withdrawal("XVIII-12", "FRA", "2010-01-15", ""), func(r *treaty.Record) { r.Exception = "notified in error, recorded as received" })},

		{name: "protocol: party to the Convention first", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Ratification, "2003-01-10"), parent: []treaty.Record{fraSigned, fraRatified}},
		{name: "protocol: the same day as the Convention", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Ratification, "2002-10-29"), parent: []treaty.Record{fraRatified}},
		{name: "protocol: not a party to the Convention", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Ratification, "2002-10-29"), parent: []treaty.Record{fraSigned},
			kind: fail.Invalid, field: "action", says: []string{"FRA is not a party to XVIII-12 on 2002-10-29", "UNTOC art. 37(2)", "historical exception"}},
		{name: "protocol: the day before the Convention", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Ratification, "2002-10-28"), parent: []treaty.Record{fraRatified},
			kind: fail.Invalid, field: "action", says: []string{"UNTOC art. 37(2)"}},
		{name: "protocol: after withdrawing from the Convention", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Accession, "2011-01-10"),
			parent: []treaty.Record{fraRatified, withdrawal("XVIII-12", "FRA", "2009-01-15", "2010-01-15")}, kind: fail.Invalid, field: "action",
			says: []string{"UNTOC art. 37(2)"}},
		{name: "protocol: while the withdrawal has not taken effect", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Accession, "2009-06-10"),
			parent: []treaty.Record{fraRatified, withdrawal("XVIII-12", "FRA", "2009-01-15", "2010-01-15")}},
		{name: "protocol: another participant's Convention record", inst: tip, r: rec("XVIII-12-a", "DEU", treaty.Ratification, "2006-06-14"), parent: []treaty.Record{fraRatified},
			kind: fail.Invalid, field: "action", says: []string{"DEU is not a party to XVIII-12"}},
		{name: "protocol: a signature needs no party", inst: tip, r: rec("XVIII-12-a", "FRA", treaty.Signature, "2000-12-12")},
		{name: "protocol: not a party, as an exception", inst: tip, r: with(rec("XVIII-12-a", "FRA", treaty.Ratification, "2002-10-28"), func(r *treaty.Record) { r.Exception = "deposited the day before; the depositary accepted it" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := treaty.Check(tt.inst, tt.r, tt.existing, tt.parent, today)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := fail.As(err)
			if e == nil {
				t.Fatalf("Check = %v, want a %s error on %s", err, tt.kind, tt.field)
			}
			if e.Kind != tt.kind || e.Field != tt.field {
				t.Errorf("Check = %s error on %q (%v), want %s on %q", e.Kind, e.Field, err, tt.kind, tt.field)
			}
			for _, s := range tt.says {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not say %q", e.Message, s)
				}
			}
		})
	}
}
