package treaty_test

import (
	"slices"
	"testing"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/treaty"
)

// standing returns the participant's standing in st, failing the test when
// it has none.
func standing(t *testing.T, st treaty.Status, code string) treaty.Standing {
	t.Helper()
	for _, s := range st.Standings {
		if s.Participant == code {
			return s
		}
	}
	t.Fatalf("no standing for %s on %s in %+v", code, st.Date, st.Standings)
	return treaty.Standing{}
}

func hasStanding(st treaty.Status, code string) bool {
	return slices.ContainsFunc(st.Standings, func(s treaty.Standing) bool { return s.Participant == code })
}

func TestComputePartyFromDeposit(t *testing.T) {
	rs := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12"),
		rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
	}
	before := treaty.Compute(untoc, rs, day("2002-10-28"), isState, civil.Date{})
	if before.Parties != 0 || before.Signatories != 1 || standing(t, before, "FRA").Party() {
		t.Errorf("the day before its deposit: %+v; want a signatory, not a party", before)
	}
	on := treaty.Compute(untoc, rs, day("2002-10-29"), isState, civil.Date{})
	s := standing(t, on, "FRA")
	if on.Parties != 1 || on.StatesParties != 1 || !s.Party() || s.Consented != day("2002-10-29") || s.Action != treaty.Ratification || s.Signed != day("2000-12-12") {
		t.Errorf("on the day of its deposit: %+v, standing %+v; want a party since 2002-10-29 by ratification", on, s)
	}
	if on.Date != day("2002-10-29") {
		t.Errorf("Date = %s", on.Date)
	}
}

func TestComputeSignatoriesCountedOnce(t *testing.T) {
	rs := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12"),
		rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
		rec("XVIII-12", "DEU", treaty.Signature, "2000-12-12"),
		// A successor State signs in its own name later: still one signatory.
		rec("XVIII-12", "ALB", treaty.SuccessionToSignature, "2001-03-01"),
		rec("XVIII-12", "ALB", treaty.Signature, "2001-06-01"),
		rec("XVIII-12", "AFG", treaty.Accession, "2003-09-24"),
	}
	st := treaty.Compute(untoc, rs, day("2010-01-01"), isState, civil.Date{})
	if st.Signatories != 3 {
		t.Errorf("%d signatories, want 3 (FRA, DEU, ALB once; AFG acceded without signing)", st.Signatories)
	}
	if st.Parties != 2 {
		t.Errorf("%d parties, want 2", st.Parties)
	}
	if got := standing(t, st, "ALB").Signed; got != day("2001-03-01") {
		t.Errorf("ALB signed on %s, want its first signature, 2001-03-01", got)
	}
	if len(st.Standings) != 4 {
		t.Errorf("%d standings, want one per participant (4): %+v", len(st.Standings), st.Standings)
	}
}

func TestComputeStatesAndOrganization(t *testing.T) {
	rs := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
		rec("XVIII-12", "DEU", treaty.Ratification, "2006-06-14"),
		rec("XVIII-12", "EUU", treaty.Signature, "2000-12-12"),
		rec("XVIII-12", "EUU", treaty.Approval, "2004-05-21"),
	}
	st := treaty.Compute(untoc, rs, day("2010-01-01"), isState, civil.Date{})
	if st.Parties != 3 || st.StatesParties != 2 || st.Signatories != 1 {
		t.Errorf("%d parties, %d States parties, %d signatories; want 3, 2, 1 (the EU is a party, not a State)", st.Parties, st.StatesParties, st.Signatories)
	}
	all := treaty.Compute(untoc, rs, day("2010-01-01"), func(string) bool { return true }, civil.Date{})
	if all.StatesParties != 3 {
		t.Errorf("with every participant a State, %d States parties, want 3", all.StatesParties)
	}
}

func TestComputeWithdrawalAndRejoining(t *testing.T) {
	rs := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
		withdrawal("XVIII-12", "FRA", "2009-01-15", "2010-01-15"),
		rec("XVIII-12", "FRA", treaty.Accession, "2012-05-02"),
		rec("XVIII-12", "DEU", treaty.Ratification, "2006-06-14"),
		// No date of effect: the withdrawal takes effect when notified.
		withdrawal("XVIII-12", "DEU", "2011-03-01", ""),
	}
	tests := []struct {
		on        string
		fraParty  bool
		withdrawn string // FRA's
		deuParty  bool
		parties   int
	}{
		{"2009-01-15", true, "", true, 2},            // notified, not yet in effect
		{"2010-01-14", true, "", true, 2},            // the day before it takes effect
		{"2010-01-15", false, "2010-01-15", true, 1}, // in effect
		{"2011-02-28", false, "2010-01-15", true, 1},
		{"2011-03-01", false, "2010-01-15", false, 0}, // DEU's takes effect at once
		{"2012-05-01", false, "2010-01-15", false, 0},
		{"2012-05-02", true, "", false, 1}, // FRA joins again
	}
	for _, tt := range tests {
		st := treaty.Compute(untoc, rs, day(tt.on), isState, civil.Date{})
		fra, deu := standing(t, st, "FRA"), standing(t, st, "DEU")
		var withdrawn civil.Date
		if tt.withdrawn != "" {
			withdrawn = day(tt.withdrawn)
		}
		if fra.Party() != tt.fraParty || fra.Withdrawn != withdrawn || deu.Party() != tt.deuParty || st.Parties != tt.parties {
			t.Errorf("on %s: FRA %+v, DEU %+v, %d parties; want FRA party %v (withdrawn %q), DEU party %v, %d parties",
				tt.on, fra, deu, st.Parties, tt.fraParty, tt.withdrawn, tt.deuParty, tt.parties)
		}
	}
	st := treaty.Compute(untoc, rs, day("2013-01-01"), isState, civil.Date{})
	if fra := standing(t, st, "FRA"); fra.Consented != day("2012-05-02") || fra.Action != treaty.Accession {
		t.Errorf("after joining again FRA is %+v; want a party since 2012-05-02 by accession", fra)
	}
}

func TestComputeIgnoresLaterRecords(t *testing.T) {
	rs := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12"),
		rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
		rec("XVIII-12", "DEU", treaty.Signature, "2000-12-12"),
		rec("XVIII-12", "DEU", treaty.Ratification, "2006-06-14"),
		rec("XVIII-12", "AFG", treaty.Accession, "2003-09-24"),
		withdrawal("XVIII-12", "FRA", "2009-01-15", "2009-01-15"),
	}
	st := treaty.Compute(untoc, rs, day("2002-12-31"), isState, civil.Date{})
	if st.Parties != 1 || st.Signatories != 2 || hasStanding(st, "AFG") {
		t.Errorf("on 2002-12-31: %d parties, %d signatories, standings %+v; want 1, 2 and no AFG", st.Parties, st.Signatories, st.Standings)
	}
	if deu := standing(t, st, "DEU"); deu.Party() || !deu.Consented.IsZero() {
		t.Errorf("DEU on 2002-12-31 is %+v: its 2006 deposit counted", deu)
	}
	if fra := standing(t, st, "FRA"); !fra.Withdrawn.IsZero() {
		t.Errorf("FRA on 2002-12-31 is %+v: its 2009 withdrawal counted", fra)
	}
}

// threeDeposits are deposits that reach small's threshold on 2001-03-01.
func threeDeposits() []treaty.Record {
	return []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Ratification, "2001-01-01"),
		rec("XVIII-12", "DEU", treaty.Ratification, "2001-02-01"),
		rec("XVIII-12", "BGR", treaty.Signature, "2001-02-15"),
		rec("XVIII-12", "BGR", treaty.Ratification, "2001-03-01"),
	}
}

func TestEntryIntoForce(t *testing.T) {
	t.Run("threshold reached", func(t *testing.T) {
		eif, nth := treaty.EntryIntoForce(small, threeDeposits(), civil.Date{}, nil)
		if nth != day("2001-03-01") || eif != day("2001-05-30") {
			t.Errorf("EntryIntoForce = %s, threshold %s; want 2001-05-30 (90 days after the third deposit, 2001-03-01)", eif, nth)
		}
	})
	t.Run("threshold not reached", func(t *testing.T) {
		eif, nth := treaty.EntryIntoForce(small, threeDeposits()[:3], civil.Date{}, nil)
		if !eif.IsZero() || !nth.IsZero() {
			t.Errorf("two deposits of three: EntryIntoForce = %s, %s; want none", eif, nth)
		}
	})
	t.Run("a participant counts once", func(t *testing.T) {
		rs := append(threeDeposits()[:2],
			withdrawal("XVIII-12", "DEU", "2001-02-10", ""),
			rec("XVIII-12", "DEU", treaty.Accession, "2001-02-20"))
		if eif, nth := treaty.EntryIntoForce(small, rs, civil.Date{}, nil); !eif.IsZero() || !nth.IsZero() {
			t.Errorf("two participants, three deposits: EntryIntoForce = %s, %s; want none", eif, nth)
		}
	})
	t.Run("in any order", func(t *testing.T) {
		rs := threeDeposits()
		slices.Reverse(rs)
		if eif, _ := treaty.EntryIntoForce(small, rs, civil.Date{}, nil); eif != day("2001-05-30") {
			t.Errorf("EntryIntoForce = %s, want 2001-05-30", eif)
		}
	})
	t.Run("no rule", func(t *testing.T) {
		in := small
		in.Rule = nil
		if eif, nth := treaty.EntryIntoForce(in, threeDeposits(), civil.Date{}, nil); !eif.IsZero() || !nth.IsZero() {
			t.Errorf("no rule recorded: EntryIntoForce = %s, %s; want none", eif, nth)
		}
	})
	t.Run("protocol not before its parent", func(t *testing.T) {
		p := small
		p.ID, p.Parent, p.RequiresParent = "XVIII-12-a", "XVIII-12", true
		eif, nth := treaty.EntryIntoForce(p, threeDeposits(), day("2001-09-29"), nil)
		if eif != day("2001-09-29") || nth != day("2001-03-01") {
			t.Errorf("parent in force on 2001-09-29: EntryIntoForce = %s, %s; want 2001-09-29, 2001-03-01", eif, nth)
		}
		if eif, _ := treaty.EntryIntoForce(p, threeDeposits(), day("2001-04-01"), nil); eif != day("2001-05-30") {
			t.Errorf("parent in force before: EntryIntoForce = %s, want the protocol's own 2001-05-30", eif)
		}
	})
}

func TestComputeInForce(t *testing.T) {
	rs := threeDeposits()
	tests := []struct {
		on        string
		inForce   bool
		eif, nth  string
		wantParty int
	}{
		// Before the threshold is reached, nothing of it is known yet.
		{"2001-02-28", false, "", "", 2},
		{"2001-03-01", false, "2001-05-30", "2001-03-01", 3},
		{"2001-05-29", false, "2001-05-30", "2001-03-01", 3},
		{"2001-05-30", true, "2001-05-30", "2001-03-01", 3},
	}
	for _, tt := range tests {
		st := treaty.Compute(small, rs, day(tt.on), isState, civil.Date{})
		var eif, nth civil.Date
		if tt.eif != "" {
			eif, nth = day(tt.eif), day(tt.nth)
		}
		if st.InForce != tt.inForce || st.EntryIntoForce != eif || st.ThresholdReached != nth || st.Parties != tt.wantParty {
			t.Errorf("on %s: in force %v, entry into force %q, threshold %q, %d parties; want %v, %q, %q, %d",
				tt.on, st.InForce, st.EntryIntoForce, st.ThresholdReached, st.Parties, tt.inForce, tt.eif, tt.nth, tt.wantParty)
		}
		for _, s := range st.Standings {
			if s.Party() && s.EntryIntoForce != eif {
				t.Errorf("on %s: %s's entry into force is %q, want %q", tt.on, s.Participant, s.EntryIntoForce, tt.eif)
			}
		}
	}
}

// TestParticipantEntryIntoForce follows UNTOC art. 38 and the Protocols'
// like articles: for the participants whose deposits counted towards the
// threshold the instrument enters into force with the instrument; for one
// that deposits later, on the thirtieth day after its own deposit, but
// never before the instrument itself.
func TestParticipantEntryIntoForce(t *testing.T) {
	rs := append(threeDeposits(),
		rec("XVIII-12", "NOR", treaty.Ratification, "2001-03-01"), // the same day as the third
		rec("XVIII-12", "KEN", treaty.Accession, "2001-04-01"),    // after the third, before entry into force
		rec("XVIII-12", "PER", treaty.Accession, "2001-05-10"),    // its thirtieth day is after entry into force
		rec("XVIII-12", "JAM", treaty.Accession, "2001-07-01"),    // after entry into force
		rec("XVIII-12", "AFG", treaty.Signature, "2001-01-05"),
	)
	st := treaty.Compute(small, rs, day("2002-01-01"), isState, civil.Date{})
	want := map[string]string{
		"FRA": "2001-05-30", "DEU": "2001-05-30", "BGR": "2001-05-30", "NOR": "2001-05-30",
		"KEN": "2001-05-30", "PER": "2001-06-09", "JAM": "2001-07-31",
	}
	for code, w := range want {
		if got := standing(t, st, code).EntryIntoForce; got != day(w) {
			t.Errorf("%s deposited on %s: in force for it on %s, want %s", code, standing(t, st, code).Consented, got, w)
		}
	}
	if got := standing(t, st, "AFG").EntryIntoForce; !got.IsZero() {
		t.Errorf("AFG only signed, yet in force for it on %s", got)
	}

	t.Run("protocol after its parent", func(t *testing.T) {
		p := small
		p.ID, p.Parent, p.RequiresParent = "XVIII-12-a", "XVIII-12", true
		st := treaty.Compute(p, rs, day("2002-01-01"), isState, day("2001-09-29"))
		if st.EntryIntoForce != day("2001-09-29") {
			t.Fatalf("protocol in force on %s, want with its parent on 2001-09-29", st.EntryIntoForce)
		}
		for code, w := range map[string]string{"FRA": "2001-09-29", "KEN": "2001-09-29", "JAM": "2001-09-29"} {
			if got := standing(t, st, code).EntryIntoForce; got != day(w) {
				t.Errorf("%s: protocol in force for it on %s, want %s", code, got, w)
			}
		}
	})
	t.Run("no rule", func(t *testing.T) {
		in := small
		in.Rule = nil
		st := treaty.Compute(in, rs, day("2002-01-01"), isState, civil.Date{})
		if st.InForce || !st.EntryIntoForce.IsZero() || !standing(t, st, "FRA").EntryIntoForce.IsZero() {
			t.Errorf("no rule recorded, yet %+v", st)
		}
		if st.Parties != 7 {
			t.Errorf("%d parties, want 7: parties are counted without a rule", st.Parties)
		}
	})
	t.Run("after joining again", func(t *testing.T) {
		rs := append(threeDeposits(),
			withdrawal("XVIII-12", "FRA", "2003-01-01", "2004-01-01"),
			rec("XVIII-12", "FRA", treaty.Accession, "2005-06-01"))
		st := treaty.Compute(small, rs, day("2006-01-01"), isState, civil.Date{})
		if got := standing(t, st, "FRA").EntryIntoForce; got != day("2005-07-01") {
			t.Errorf("FRA joined again on 2005-06-01: in force for it on %s, want 2005-07-01", got)
		}
	})
}

func TestGrowth(t *testing.T) {
	rs := []treaty.Record{
		rec("XVIII-12", "FRA", treaty.Signature, "2000-12-12"),
		rec("XVIII-12", "FRA", treaty.Ratification, "2002-10-29"),
		rec("XVIII-12", "DEU", treaty.Ratification, "2002-12-31"),
		rec("XVIII-12", "BGR", treaty.Ratification, "2003-01-01"),
		rec("XVIII-12", "EUU", treaty.Approval, "2003-05-21"),
		rec("XVIII-12", "NOR", treaty.Ratification, "2003-09-23"),
		withdrawal("XVIII-12", "DEU", "2003-02-01", "2004-02-01"),
	}
	got := treaty.Growth(untoc, rs, day("2004-06-30"), isState)
	want := []treaty.YearCount{{2000, 0}, {2001, 0}, {2002, 2}, {2003, 5}, {2004, 4}}
	if !slices.Equal(got, want) {
		t.Errorf("Growth to 2004-06-30 = %v, want %v", got, want)
	}
	// The last year counts up to the date, not to its end.
	got = treaty.Growth(untoc, rs, day("2003-06-30"), isState)
	want = []treaty.YearCount{{2000, 0}, {2001, 0}, {2002, 2}, {2003, 4}}
	if !slices.Equal(got, want) {
		t.Errorf("Growth to 2003-06-30 = %v, want %v", got, want)
	}
	if got := treaty.Growth(untoc, rs, day("2000-11-14"), isState); got != nil {
		t.Errorf("Growth to a date before adoption = %v, want nil", got)
	}
	if got := treaty.Growth(untoc, rs, day("2000-11-15"), isState); !slices.Equal(got, []treaty.YearCount{{2000, 0}}) {
		t.Errorf("Growth to the day of adoption = %v, want [{2000 0}]", got)
	}
	noDate := untoc
	noDate.Adopted = civil.Date{}
	if got := treaty.Growth(noDate, rs, day("2004-06-30"), isState); got != nil {
		t.Errorf("Growth of an instrument without a date of adoption = %v, want nil", got)
	}
}

// An organization's deposit does not count towards the threshold (UNTOC
// art. 38(1)): with it, three deposits; without it, two, short of three.
func TestOrganizationDoesNotCountTowardsThreshold(t *testing.T) {
	in := treaty.Instrument{ID: "T-1", Rule: &treaty.Rule{Threshold: 3, Days: 90, LaterDays: 30}}
	rs := []treaty.Record{
		{Participant: "AAA", Action: treaty.Ratification, Date: civil.MustParse("2001-01-01")},
		{Participant: "EUU", Action: treaty.Approval, Date: civil.MustParse("2001-02-01")},
		{Participant: "BBB", Action: treaty.Ratification, Date: civil.MustParse("2001-03-01")},
	}
	isState := func(code string) bool { return code != "EUU" }
	if eif, _ := treaty.EntryIntoForce(in, rs, civil.Date{}, nil); eif.IsZero() {
		t.Fatal("counting every deposit, the threshold is reached")
	}
	if eif, nth := treaty.EntryIntoForce(in, rs, civil.Date{}, isState); !eif.IsZero() || !nth.IsZero() {
		t.Errorf("with the organization left out, entry into force %s (threshold reached %s), want none", eif, nth)
	}
}
