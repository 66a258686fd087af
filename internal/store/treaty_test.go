package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
	"github.com/cpcj/cpcj/internal/treaty"
)

func TestUNTOCStatusOn18December2013(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in, err := db.Instrument(ctx, "untoc")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := db.Records(ctx, treaty.Filter{Instrument: in.ID})
		if err != nil {
			t.Fatal(err)
		}
		isState := func(code string) bool { return code != "EUU" }
		st := treaty.Compute(in, rs, civil.MustParse("2013-12-18"), isState, civil.Date{})
		if st.Parties != 179 || st.StatesParties != 178 || st.Signatories != 147 {
			t.Errorf("UNTOC on 2013-12-18: %d parties, %d States parties, %d signatories; want 179, 178, 147", st.Parties, st.StatesParties, st.Signatories)
		}
		if st.EntryIntoForce != civil.MustParse("2003-09-29") {
			t.Errorf("UNTOC entered into force on %s, want 2003-09-29", st.EntryIntoForce)
		}
	})
}

// date is a date written in a test.
func date(s string) civil.Date { return civil.MustParse(s) }

// The dates of entry into force computed from the shipped records with the
// rules recorded are the UN Treaty Collection's.
func TestEntryIntoForceFromShippedRecords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		svc := treaty.NewService(db, db)
		tests := []struct {
			alias, id, eif string
		}{
			{"UNTOC", "XVIII-12", "2003-09-29"},
			{"TIP", "XVIII-12-a", "2003-12-25"},
			{"SOM", "XVIII-12-b", "2004-01-28"},
			{"FIREARMS", "XVIII-12-c", "2005-07-03"},
			{"UNCAC", "XVIII-14", "2005-12-14"},
		}
		for _, tt := range tests {
			in, err := db.Instrument(ctx, tt.alias)
			if err != nil {
				t.Fatal(err)
			}
			if in.ID != tt.id || in.Rule == nil {
				t.Fatalf("%s is %s with rule %v", tt.alias, in.ID, in.Rule)
			}
			rs, err := db.Records(ctx, treaty.Filter{Instrument: in.ID})
			if err != nil {
				t.Fatal(err)
			}
			var parentEIF civil.Date
			if in.Parent != "" {
				p, err := db.Instrument(ctx, in.Parent)
				if err != nil {
					t.Fatal(err)
				}
				prs, err := db.Records(ctx, treaty.Filter{Instrument: p.ID})
				if err != nil {
					t.Fatal(err)
				}
				parentEIF, _ = treaty.EntryIntoForce(p, prs, civil.Date{}, notEU)
			}
			eif, _ := treaty.EntryIntoForce(in, rs, parentEIF, notEU)
			if eif != date(tt.eif) {
				t.Errorf("%s (%s) enters into force on %s by its records, the UN Treaty Collection says %s", tt.alias, tt.id, eif, tt.eif)
			}
			// The service tells the same, from the day on and not before.
			rep, err := svc.Status(ctx, tt.alias, date(tt.eif))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.InForce || rep.EntryIntoForce != date(tt.eif) {
				t.Errorf("Status(%s, %s): in force %v since %s", tt.alias, tt.eif, rep.InForce, rep.EntryIntoForce)
			}
			rep, err = svc.Status(ctx, tt.alias, date(tt.eif).AddDays(-1))
			if err != nil {
				t.Fatal(err)
			}
			if rep.InForce {
				t.Errorf("Status(%s) the day before %s: in force", tt.alias, tt.eif)
			}
		}
		// For a participant: with the instrument when its deposit counted
		// towards the threshold or came before the instrument entered into
		// force less than thirty days before; else thirty days after its
		// deposit.
		for _, tt := range []struct{ inst, code, eif string }{
			{"UNTOC", "BGR", "2003-09-29"}, // 2001-12-05, among the first forty
			{"UNTOC", "CRI", "2003-09-29"}, // 2003-07-24, after the fortieth
			{"UNTOC", "AFG", "2003-10-24"}, // 2003-09-24
			{"UNTOC", "FRA", "2003-09-29"}, // 2002-10-29
			{"TIP", "JAM", "2003-12-25"},   // 2003-09-29, after the fortieth, the Protocol in force later
			{"TIP", "DNK", "2003-12-25"},   // 2003-09-30
			{"UNCAC", "FRA", "2005-12-14"}, // 2005-07-11
		} {
			rep, err := svc.Status(ctx, tt.inst, date("2013-12-18"))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range rep.PartyList {
				if e.Code == tt.code {
					found = true
					if e.EntryIntoForce != date(tt.eif) {
						t.Errorf("%s deposited for %s on %s: in force for it on %s, want %s", tt.code, tt.inst, e.Consented, e.EntryIntoForce, tt.eif)
					}
				}
			}
			if !found {
				t.Errorf("%s is not a party to %s on 2013-12-18", tt.code, tt.inst)
			}
		}
	})
}

func TestInstrumentByAlias(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for key, want := range map[string]string{
			"XVIII-12": "XVIII-12", "xviii-12": "XVIII-12", "UNTOC": "XVIII-12", "untoc": "XVIII-12", "UnToC": "XVIII-12", " UNTOC ": "XVIII-12",
			"XVIII-12-a": "XVIII-12-a", "XVIII-12-A": "XVIII-12-a", "tip": "XVIII-12-a", "Firearms": "XVIII-12-c",
			"uncac": "XVIII-14", "single-1961-amended": "VI-18", "tokyo-1963": "TOKYO-1963",
		} {
			in, err := db.Instrument(t.Context(), key)
			if err != nil || in.ID != want {
				t.Errorf("Instrument(%q) = %s, %v; want %s", key, in.ID, err, want)
			}
		}
		for _, key := range []string{"", "XVIII", "UNTOC-1", "%", "XVIII-12' OR '1'='1"} {
			if _, err := db.Instrument(t.Context(), key); !fail.Is(err, fail.NotFound) {
				t.Errorf("Instrument(%q) = %v, want NotFound", key, err)
			}
		}
		in, err := db.Instrument(t.Context(), "UNTOC")
		if err != nil {
			t.Fatal(err)
		}
		want := treaty.Instrument{ID: "XVIII-12", Alias: "UNTOC", ShortTitle: "Organized Crime Convention",
			Title: "United Nations Convention against Transnational Organized Crime", Place: "New York", Adopted: date("2000-11-15"),
			Depositary: "Secretary-General of the United Nations", Topic: "crime", Records: true, RecordsAsOf: date("2015-03-14"),
			Source: "UN Treaty Collection, status of multilateral treaties deposited with the Secretary-General, as of 14 March 2015"}
		rule := in.Rule
		in.Rule = nil
		if in != want || rule == nil || *rule != (treaty.Rule{Threshold: 40, Days: 90, LaterDays: 30}) {
			t.Errorf("UNTOC read back\n %+v (rule %v)\nwant\n %+v (rule 40, 90, 30)", in, rule, want)
		}
		tokyo, err := db.Instrument(t.Context(), "TOKYO-1963")
		if err != nil || tokyo.Records || !tokyo.RecordsAsOf.IsZero() || tokyo.Depositary != "ICAO" || tokyo.Rule != nil {
			t.Errorf("TOKYO-1963 = %+v, %v; want no records, ICAO its depositary", tokyo, err)
		}
		all, err := db.Instruments(t.Context())
		if err != nil || len(all) != 29 {
			t.Fatalf("Instruments = %d, %v; want the 29 shipped", len(all), err)
		}
		records := 0
		for _, in := range all {
			if in.Records {
				records++
			}
		}
		if records != 15 {
			t.Errorf("%d instruments with records, want 15", records)
		}
	})
}

// recordsVersion is the version of the participation records.
func recordsVersion(t *testing.T, db *store.DB) int64 {
	t.Helper()
	v, err := db.RecordsVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newRecord is a record of a participant's action, as the secretariat
// enters it.
func newRecord(instrument, participant string, a treaty.Action, on string) treaty.Record {
	return treaty.Record{Instrument: instrument, Participant: participant, Action: a, Date: date(on),
		Source: "Depositary notification C.N.42.2015.TREATIES-XVIII.12", RecordsAsOf: date("2015-03-14")}
}

// parties is the number of parties to the instrument on the date, as the
// service computes it.
func parties(t *testing.T, svc *treaty.Service, id, on string) int {
	t.Helper()
	rep, err := svc.Status(t.Context(), id, date(on))
	if err != nil {
		t.Fatal(err)
	}
	return rep.Parties
}

// Every write of a participation record is audited, with the record's
// digest, and bumps the version the servers' caches check.
func TestParticipationWritesAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		ctx := t.Context()
		svc := treaty.NewService(db, db)
		before := parties(t, svc, "UNTOC", "2015-03-01")
		v := recordsVersion(t, db)

		// Japan was not a party to UNTOC in the shipped records.
		r, err := db.AddRecord(ctx, c.sec.Actor(), newRecord("XVIII-12", "JPN", treaty.Acceptance, "2015-03-01"))
		if err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 {
			t.Fatal("AddRecord returned no id")
		}
		a := lastRecord(t, db)
		if a.Action != "create" || a.Entity != "participation" || a.EntityID != fmt.Sprint(r.ID) || a.Actor != c.sec.Email || a.ActorID != c.sec.ID ||
			a.Before != "" || a.After == "" || !strings.Contains(a.Summary, "JPN acceptance XVIII-12 on 2015-03-01") {
			t.Errorf("audit of AddRecord: %+v", a)
		}
		if got, err := db.Record(ctx, r.ID); err != nil || got != r {
			t.Errorf("Record(%d) = %+v, %v; want %+v", r.ID, got, err, r)
		}
		v2 := recordsVersion(t, db)
		if v2 == v {
			t.Error("RecordsVersion did not change on AddRecord")
		}
		// The service notices without being told.
		if n := parties(t, svc, "UNTOC", "2015-03-01"); n != before+1 {
			t.Errorf("after AddRecord, %d parties; want %d", n, before+1)
		}

		r.Date, r.Declarations = date("2015-02-27"), "Declaration under article 35(3)."
		u, err := db.UpdateRecord(ctx, c.admin.Actor(), r)
		if err != nil {
			t.Fatal(err)
		}
		a = lastRecord(t, db)
		if a.Action != "update" || a.Entity != "participation" || a.EntityID != fmt.Sprint(r.ID) || a.Actor != c.admin.Email ||
			a.Before == "" || a.After == "" || a.Before == a.After || !strings.Contains(a.Summary, "corrected: JPN acceptance XVIII-12 on 2015-02-27") {
			t.Errorf("audit of UpdateRecord: %+v", a)
		}
		if got, err := db.Record(ctx, r.ID); err != nil || got != u || got.Declarations != "Declaration under article 35(3)." {
			t.Errorf("Record(%d) after the correction = %+v, %v", r.ID, got, err)
		}
		v3 := recordsVersion(t, db)
		if v3 == v2 {
			t.Error("RecordsVersion did not change on UpdateRecord")
		}
		if n := parties(t, svc, "UNTOC", "2015-02-27"); n != before+1 {
			t.Errorf("after the correction, %d parties on 2015-02-27; want %d", n, before+1)
		}

		got, err := db.RetractRecord(ctx, c.sec.Actor(), r.ID, "  entered for the wrong State  ")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != r.ID || got.Participant != "JPN" {
			t.Errorf("RetractRecord returned %+v", got)
		}
		a = lastRecord(t, db)
		if a.Action != "retract" || a.Entity != "participation" || a.EntityID != fmt.Sprint(r.ID) || a.Before == "" || a.After != "" ||
			!strings.HasSuffix(a.Summary, ": entered for the wrong State") {
			t.Errorf("audit of RetractRecord: %+v", a)
		}
		v4 := recordsVersion(t, db)
		if v4 == v3 {
			t.Error("RecordsVersion did not change on RetractRecord")
		}
		// The retracted record no longer counts, nor reads.
		if n := parties(t, svc, "UNTOC", "2015-03-01"); n != before {
			t.Errorf("after RetractRecord, %d parties; want %d", n, before)
		}
		if _, err := db.Record(ctx, r.ID); !fail.Is(err, fail.NotFound) {
			t.Errorf("Record of a retracted record: %v, want NotFound", err)
		}
		rs, err := db.Records(ctx, treaty.Filter{Participant: "JPN", Instrument: "XVIII-12"})
		if err != nil || len(rs) != 1 || rs[0].Action != treaty.Signature {
			t.Errorf("JPN's UNTOC records after the retraction: %+v, %v; want its signature alone", rs, err)
		}

		// Retracting again changes nothing and writes no audit record.
		n := auditCount(t, db)
		again, err := db.RetractRecord(ctx, c.sec.Actor(), r.ID, "twice")
		if err != nil || again.ID != r.ID {
			t.Errorf("RetractRecord again = %+v, %v; want the record and no error", again, err)
		}
		if auditCount(t, db) != n || recordsVersion(t, db) != v4 {
			t.Error("retracting a retracted record wrote an audit record or changed the version")
		}
		// A retracted record cannot be corrected; one like it can be added.
		if _, err := db.UpdateRecord(ctx, c.sec.Actor(), r); !fail.Is(err, fail.NotFound) {
			t.Errorf("UpdateRecord of a retracted record: %v, want NotFound", err)
		}
		r.ID = 0
		if _, err := db.AddRecord(ctx, c.sec.Actor(), r); err != nil {
			t.Errorf("adding a record like a retracted one: %v", err)
		}
		if _, err := db.RetractRecord(ctx, c.sec.Actor(), 999999, "none"); !fail.Is(err, fail.NotFound) {
			t.Errorf("RetractRecord of no record: %v, want NotFound", err)
		}
		if _, p, err := db.VerifyAudit(ctx); err != nil || p != nil {
			t.Errorf("VerifyAudit after the writes: %v, %v", p, err)
		}
	})
}

// A refused write stores nothing, audits nothing and leaves the version
// alone.
func TestParticipationWritesRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		ctx := t.Context()
		fra, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-12", Participant: "FRA"})
		if err != nil || len(fra) != 2 {
			t.Fatalf("FRA's UNTOC records: %+v, %v", fra, err)
		}
		ratification := fra[1]
		valid := newRecord("XVIII-12", "JPN", treaty.Acceptance, "2015-03-01")
		sec := c.sec.Actor()

		type write struct {
			name string
			do   func() error
			kind fail.Kind
		}
		var writes []write
		for _, by := range []struct {
			name string
			a    access.Actor
			kind fail.Kind
		}{
			{"focal point", c.fpKEN.Actor(), fail.Forbidden},
			{"expert", c.expKEN.Actor(), fail.Forbidden},
			{"donor", c.donor.Actor(), fail.Forbidden},
			{"public", access.Anonymous, fail.Unauthorized},
		} {
			writes = append(writes,
				write{by.name + " adds", func() error { _, err := db.AddRecord(ctx, by.a, valid); return err }, by.kind},
				write{by.name + " corrects", func() error {
					r := ratification
					r.Declarations = "changed"
					_, err := db.UpdateRecord(ctx, by.a, r)
					return err
				}, by.kind},
				write{by.name + " retracts", func() error { _, err := db.RetractRecord(ctx, by.a, ratification.ID, "no"); return err }, by.kind},
				write{by.name + " imports", func() error {
					return db.ReplaceRecords(ctx, by.a, []string{"XVIII-12"}, []treaty.Record{valid})
				}, by.kind},
			)
		}
		withRule := func(name string, r treaty.Record, kind fail.Kind) write {
			return write{name, func() error { _, err := db.AddRecord(ctx, sec, r); return err }, kind}
		}
		dup := ratification
		dup.ID, dup.Source = 0, "again"
		writes = append(writes,
			withRule("duplicate", dup, fail.Conflict),
			withRule("second deposit", newRecord("XVIII-12", "FRA", treaty.Accession, "2010-01-01"), fail.Conflict),
			withRule("withdrawal of a non-party", newRecord("XVIII-12", "JPN", treaty.Withdrawal, "2014-01-01"), fail.Invalid),
			withRule("protocol before the Convention", newRecord("XVIII-12-a", "JPN", treaty.Acceptance, "2015-03-01"), fail.Invalid),
			withRule("future date", newRecord("XVIII-12", "JPN", treaty.Acceptance, civil.Today().AddDays(1).String()), fail.Invalid),
			withRule("before adoption", newRecord("XVIII-12", "JPN", treaty.Signature, "2000-11-14"), fail.Invalid),
			withRule("unknown participant", newRecord("XVIII-12", "XXX", treaty.Acceptance, "2015-03-01"), fail.Invalid),
			withRule("unknown instrument", newRecord("UNTOC", "JPN", treaty.Acceptance, "2015-03-01"), fail.Invalid),
			withRule("no records kept", newRecord("TOKYO-1963", "JPN", treaty.Acceptance, "2015-03-01"), fail.Invalid),
			write{"correction to another participant", func() error {
				r := ratification
				r.Participant = "DEU"
				_, err := db.UpdateRecord(ctx, sec, r)
				return err
			}, fail.Invalid},
			write{"correction that breaks a rule", func() error {
				r := fra[0] // the signature, made a second ratification
				r.Action = treaty.Ratification
				r.Date = date("2003-01-01")
				_, err := db.UpdateRecord(ctx, sec, r)
				return err
			}, fail.Conflict},
			write{"retraction without a reason", func() error { _, err := db.RetractRecord(ctx, sec, ratification.ID, " "); return err }, fail.Invalid},
		)
		all, err := db.Records(ctx, treaty.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		n, v := auditCount(t, db), recordsVersion(t, db)
		for _, w := range writes {
			err := w.do()
			if !fail.Is(err, w.kind) {
				t.Errorf("%s: %v (%s), want %s", w.name, err, fail.KindOf(err), w.kind)
			}
		}
		after, err := db.Records(ctx, treaty.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(all) {
			t.Errorf("%d records after the refused writes, %d before", len(after), len(all))
		}
		for i := range min(len(all), len(after)) {
			if after[i] != all[i] {
				t.Errorf("record changed by a refused write:\n %+v\n %+v", all[i], after[i])
				break
			}
		}
		if got := auditCount(t, db); got != n {
			t.Errorf("refused writes left %d audit records", got-n)
		}
		if got := recordsVersion(t, db); got != v {
			t.Errorf("refused writes changed the version from %d to %d", v, got)
		}
	})
}

// ReplaceRecords, an import, is all or nothing.
func TestReplaceRecordsAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		ctx := t.Context()
		svc := treaty.NewService(db, db)
		untoc, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-12"})
		if err != nil {
			t.Fatal(err)
		}
		uncac, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-14"})
		if err != nil {
			t.Fatal(err)
		}
		n, v := auditCount(t, db), recordsVersion(t, db)
		fresh := func(rs []treaty.Record) []treaty.Record {
			out := make([]treaty.Record, len(rs))
			for i, r := range rs {
				r.ID = 0
				out[i] = r
			}
			return out
		}
		for name, rs := range map[string][]treaty.Record{
			"the same record twice": append(fresh(untoc[:3]), fresh(untoc[1:2])...),
			"unknown participant":   append(fresh(untoc[:3]), newRecord("XVIII-12", "XXX", treaty.Signature, "2001-01-01")),
			"unknown instrument":    append(fresh(untoc[:3]), newRecord("NOPE", "FRA", treaty.Signature, "2001-01-01")),
		} {
			if err := db.ReplaceRecords(ctx, c.sec.Actor(), []string{"XVIII-12", "XVIII-14"}, rs); err == nil {
				t.Errorf("%s: ReplaceRecords accepted it", name)
			}
		}
		if got, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-12"}); err != nil || len(got) != len(untoc) || got[0] != untoc[0] {
			t.Errorf("UNTOC's records after refused imports: %d, %v; want the %d before", len(got), err, len(untoc))
		}
		if got, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-14"}); err != nil || len(got) != len(uncac) {
			t.Errorf("UNCAC's records after refused imports: %d, %v; want the %d before", len(got), err, len(uncac))
		}
		if auditCount(t, db) != n || recordsVersion(t, db) != v {
			t.Error("a refused import wrote an audit record or changed the version")
		}

		// An import that succeeds replaces every record of the instruments
		// it names, and those only.
		keep := fresh(untoc[:10])
		if err := db.ReplaceRecords(ctx, c.sec.Actor(), []string{"XVIII-12", "XVIII-14"}, keep); err != nil {
			t.Fatal(err)
		}
		got, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-12"})
		if err != nil || len(got) != 10 {
			t.Fatalf("UNTOC after the import: %d records, %v; want 10", len(got), err)
		}
		for i, r := range got {
			if r.ID == untoc[i].ID {
				t.Errorf("record %d kept its id %d: not replaced", i, r.ID)
			}
		}
		if got, _ := db.Records(ctx, treaty.Filter{Instrument: "XVIII-14"}); len(got) != 0 {
			t.Errorf("UNCAC after an import without its rows: %d records, want none", len(got))
		}
		if got, _ := db.Records(ctx, treaty.Filter{Instrument: "XVIII-12-a"}); len(got) == 0 {
			t.Error("an import of UNTOC and UNCAC removed the Trafficking Protocol's records")
		}
		if _, err := db.Record(ctx, untoc[20].ID); !fail.Is(err, fail.NotFound) {
			t.Errorf("a replaced record still reads: %v", err)
		}
		a := lastRecord(t, db)
		if a.Action != "import" || a.Entity != "participation" || a.EntityID != "XVIII-12,XVIII-14" ||
			!strings.Contains(a.Summary, fmt.Sprintf("10 records replace %d for XVIII-12, XVIII-14", len(untoc)+len(uncac))) {
			t.Errorf("audit of the import: %+v", a)
		}
		if recordsVersion(t, db) == v {
			t.Error("the import did not change the version")
		}
		if _, p, err := db.VerifyAudit(ctx); err != nil || p != nil {
			t.Errorf("VerifyAudit: %v, %v", p, err)
		}
		if n := parties(t, svc, "UNTOC", "2015-03-14"); n > 10 {
			t.Errorf("UNTOC has %d parties after an import of 10 records", n)
		}
	})
}

// csvOf writes the records in the CSV form.
func csvOf(t *testing.T, rs []treaty.Record) string {
	t.Helper()
	var b strings.Builder
	if err := treaty.WriteCSV(&b, rs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestServiceImport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		ctx := t.Context()
		svc := treaty.NewService(db, db)
		tip, err := db.Records(ctx, treaty.Filter{Instrument: "XVIII-12-a"})
		if err != nil {
			t.Fatal(err)
		}
		n, v := auditCount(t, db), recordsVersion(t, db)
		unchanged := func(name string) {
			t.Helper()
			if auditCount(t, db) != n || recordsVersion(t, db) != v {
				t.Errorf("%s stored something", name)
			}
		}

		// Only the secretariat and admins import.
		for _, by := range []access.Actor{c.fpKEN.Actor(), c.expKEN.Actor(), c.donor.Actor(), access.Anonymous} {
			if _, err := svc.Import(ctx, by, strings.NewReader(csvOf(t, tip)), false); !fail.Is(err, fail.Forbidden) && !fail.Is(err, fail.Unauthorized) {
				t.Errorf("import as %s: %v", by.Role, err)
			}
		}
		unchanged("a refused import")

		// A Protocol's rows alone are checked against the Convention's
		// records stored, and are all accepted.
		res, err := svc.Import(ctx, c.sec.Actor(), strings.NewReader(csvOf(t, tip)), true)
		if err != nil {
			t.Fatalf("dry run of the Trafficking Protocol's own records: %v", err)
		}
		if !res.DryRun || res.Records != len(tip) || res.Replaced != len(tip) || len(res.Instruments) != 1 || res.Instruments[0] != "XVIII-12-a" {
			t.Errorf("dry run = %+v", res)
		}
		unchanged("a dry run")

		// Japan, not a party to UNTOC, cannot be a party to the Protocol.
		bad := append(append([]treaty.Record(nil), tip...), newRecord("XVIII-12-a", "JPN", treaty.Acceptance, "2015-03-01"))
		_, err = svc.Import(ctx, c.sec.Actor(), strings.NewReader(csvOf(t, bad)), false)
		var ie *treaty.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != len(bad)+1 || !strings.Contains(ie.Rows[0].Reason, "UNTOC art. 37(2)") {
			t.Fatalf("import with Japan's acceptance: %v; want line %d rejected under art. 37(2)", err, len(bad)+1)
		}
		unchanged("an import with a bad row")

		if _, err := svc.Import(ctx, c.sec.Actor(), strings.NewReader(csvOf(t, nil)), false); !fail.Is(err, fail.Invalid) {
			t.Errorf("import of no records: %v, want Invalid", err)
		}
		unchanged("an import of no records")

		// Once UNTOC has Japan as a party, the same file is accepted.
		if _, err := db.AddRecord(ctx, c.sec.Actor(), newRecord("XVIII-12", "JPN", treaty.Acceptance, "2015-03-01")); err != nil {
			t.Fatal(err)
		}
		before := parties(t, svc, "TIP", "2015-03-14")
		res, err = svc.Import(ctx, c.admin.Actor(), strings.NewReader(csvOf(t, bad)), false)
		if err != nil {
			t.Fatalf("import after Japan joined UNTOC: %v", err)
		}
		if res.DryRun || res.Records != len(bad) || res.Replaced != len(tip) {
			t.Errorf("import = %+v", res)
		}
		if got := parties(t, svc, "TIP", "2015-03-14"); got != before+1 {
			t.Errorf("after the import, %d parties to the Protocol; want %d", got, before+1)
		}
	})
}

// notEU tells States from the one organization among the participants.
func notEU(code string) bool { return code != "EUU" }
