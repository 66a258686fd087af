package treaty

import (
	"sort"

	"github.com/cpcj/cpcj/internal/civil"
)

// Standing is a participant's place in an instrument on a date.
type Standing struct {
	Participant    string     `json:"participant"`
	Signed         civil.Date `json:"signed,omitzero"`           // signature (or succession to signature)
	Consented      civil.Date `json:"consented,omitzero"`        // deposit that made it a party
	Action         Action     `json:"action,omitempty"`          // the kind of that deposit
	EntryIntoForce civil.Date `json:"entry_into_force,omitzero"` // for this participant, where the rule is recorded
	Withdrawn      civil.Date `json:"withdrawn,omitzero"`        // date a withdrawal took effect
}

// Party reports whether the participant is a party on the standing's date.
func (s Standing) Party() bool { return !s.Consented.IsZero() && s.Withdrawn.IsZero() }

// Status is where an instrument stands on a date.
type Status struct {
	Date           civil.Date `json:"date"`
	Parties        int        `json:"parties"`
	StatesParties  int        `json:"states_parties"`
	Signatories    int        `json:"signatories"`
	EntryIntoForce civil.Date `json:"entry_into_force,omitzero"` // of the instrument, once the threshold is reached
	InForce        bool       `json:"in_force"`
	// ThresholdReached is the date of the deposit that reached the number
	// the entry-into-force rule asks for (the fortieth for UNTOC).
	ThresholdReached civil.Date `json:"threshold_reached,omitzero"`
	// Standings has one entry per participant that signed or joined by the
	// date, in no particular order.
	Standings []Standing `json:"-"`
}

// Compute works out the status of an instrument on a date from its
// records. isState tells States from organizations; parentEIF is the date
// the parent instrument entered into force (zero if none or unknown),
// before which a protocol cannot.
func Compute(inst Instrument, records []Record, on civil.Date, isState func(string) bool, parentEIF civil.Date) Status {
	eif, nth := EntryIntoForce(inst, records, parentEIF, isState)
	return compute(inst, records, on, isState, eif, nth)
}

// compute is Compute given the instrument's entry into force and the date
// of the deposit that reached its threshold, as EntryIntoForce returns
// them: they do not depend on the date, so the Service works them out once
// per load.
func compute(inst Instrument, records []Record, on civil.Date, isState func(string) bool, eif, nth civil.Date) Status {
	st := Status{Date: on}
	if nth.After(on) {
		// The deposit that reaches the threshold is still to come on
		// that date: the entry into force is not known yet.
		eif, nth = civil.Date{}, civil.Date{}
	}
	if !nth.IsZero() && !nth.After(on) {
		st.ThresholdReached = nth
	}
	if !eif.IsZero() && !eif.After(on) {
		st.EntryIntoForce, st.InForce = eif, true
	} else if !eif.IsZero() {
		st.EntryIntoForce = eif
	}
	// One standing per participant, in the order they first appear.
	index := make(map[string]int, len(records))
	standings := make([]Standing, 0, len(records))
	get := func(code string) *Standing {
		i, ok := index[code]
		if !ok {
			i = len(standings)
			index[code] = i
			standings = append(standings, Standing{Participant: code})
		}
		return &standings[i]
	}
	// Records in date order, so that a participant that withdrew and
	// joined again ends in the right state. The store gives them in that
	// order already; only records in another order are copied and sorted.
	sorted := records
	if !sort.SliceIsSorted(records, func(i, j int) bool { return records[i].Date.Before(records[j].Date) }) {
		sorted = append([]Record(nil), records...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Date.Before(sorted[j].Date) })
	}
	for _, r := range sorted {
		if r.Date.After(on) {
			continue
		}
		s := get(r.Participant)
		switch {
		case r.Action.Signs():
			if s.Signed.IsZero() {
				s.Signed = r.Date
			}
		case r.Action.Consents():
			if s.Consented.IsZero() || !s.Withdrawn.IsZero() {
				s.Consented, s.Action, s.Withdrawn = r.Date, r.Action, civil.Date{}
				s.EntryIntoForce = participantEIF(inst, eif, nth, r.Date)
			}
		case r.Action == Withdrawal:
			effective := r.Effective
			if effective.IsZero() {
				effective = r.Date
			}
			if !effective.After(on) {
				s.Withdrawn = effective
			}
		}
	}
	for _, s := range standings {
		if !s.Signed.IsZero() {
			st.Signatories++
		}
		if s.Party() {
			st.Parties++
			if isState(s.Participant) {
				st.StatesParties++
			}
		}
	}
	if len(standings) > 0 {
		st.Standings = standings
	}
	return st
}

// EntryIntoForce returns the date the instrument entered (or enters) into
// force under its recorded rule, and the date of the deposit that reached
// the threshold; both zero when no rule is recorded or the threshold is not
// reached. A protocol does not enter into force before its parent.
//
// Only States' deposits count towards the threshold: an instrument of a
// regional economic integration organization "shall not be counted as
// additional to those deposited by member States" (UNTOC art. 38(1),
// UNCAC art. 68(1)). isState may be nil to count every deposit.
func EntryIntoForce(inst Instrument, records []Record, parentEIF civil.Date, isState func(string) bool) (eif, nth civil.Date) {
	if inst.Rule == nil || inst.Rule.Threshold <= 0 {
		return civil.Date{}, civil.Date{}
	}
	first := map[string]civil.Date{}
	for _, r := range records {
		if !r.Action.Consents() || (isState != nil && !isState(r.Participant)) {
			continue
		}
		if d, ok := first[r.Participant]; !ok || r.Date.Before(d) {
			first[r.Participant] = r.Date
		}
	}
	if len(first) < inst.Rule.Threshold {
		return civil.Date{}, civil.Date{}
	}
	dates := make([]civil.Date, 0, len(first))
	for _, d := range first {
		dates = append(dates, d)
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i].Before(dates[j]) })
	nth = dates[inst.Rule.Threshold-1]
	eif = nth.AddDays(inst.Rule.Days)
	if parentEIF.After(eif) {
		eif = parentEIF
	}
	return eif, nth
}

// participantEIF is the date the instrument entered into force for a
// participant that deposited on deposit: with the instrument for those
// whose deposits counted towards the threshold, LaterDays after its own
// deposit for those who came after, but never before the instrument
// itself (the Protocols say "whichever is the later").
func participantEIF(inst Instrument, eif, nth, deposit civil.Date) civil.Date {
	if inst.Rule == nil || eif.IsZero() {
		return civil.Date{}
	}
	if !deposit.After(nth) {
		return eif
	}
	if later := deposit.AddDays(inst.Rule.LaterDays); later.After(eif) {
		return later
	}
	return eif
}

// YearCount is the number of parties at the end of a year.
type YearCount struct {
	Year    int `json:"year"`
	Parties int `json:"parties"`
}

// Growth returns the parties at the end of each year from the year of
// adoption to the year of until (the last year counts up to until).
func Growth(inst Instrument, records []Record, until civil.Date, isState func(string) bool) []YearCount {
	if inst.Adopted.IsZero() || until.Before(inst.Adopted) {
		return nil
	}
	var out []YearCount
	for y := inst.Adopted.Year(); y <= until.Year(); y++ {
		end := civil.New(y, 12, 31)
		if end.After(until) {
			end = until
		}
		st := Compute(inst, records, end, isState, civil.Date{})
		out = append(out, YearCount{Year: y, Parties: st.Parties})
	}
	return out
}
