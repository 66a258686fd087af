package treaty

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
)

// MaxDeclarations is the longest declarations text a record may carry.
const MaxDeclarations = 20000

// Check applies the rules to a new or corrected record. existing are the
// participant's other records on the same instrument (without r itself);
// parentRecords its records on the parent instrument, for protocols that
// require it. A rule broken is refused with a message that names the rule,
// unless the record carries an Exception: the secretariat's explicit note
// that the record is a historical exception.
func Check(inst Instrument, r Record, existing, parentRecords []Record, today civil.Date) error {
	if !inst.Records {
		return fail.Field("instrument", "cpcj keeps no participation records for %s (%s): its depositary is %s, not the Secretary-General", inst.ID, inst.ShortTitle, inst.Depositary)
	}
	if _, err := ParseAction(string(r.Action)); err != nil {
		return err
	}
	switch {
	case r.Date.IsZero():
		return fail.Field("date", "a date is required")
	case r.Date.After(today):
		return fail.Field("date", "%s is in the future", r.Date)
	case r.Date.Before(inst.Adopted) && r.Action != ParticipationVia1972:
		// Participation in the amended Single Convention is dated by the
		// deposit for the 1972 Protocol, which came before the amended
		// text took effect.
		return fail.Field("date", "%s is before %s was adopted (%s)", r.Date, inst.ID, inst.Adopted)
	case r.RecordsAsOf.IsZero():
		return fail.Field("records_as_of", "give the date of the source's records")
	case r.RecordsAsOf.Before(r.Date):
		return fail.Field("records_as_of", "the source's records (%s) cannot predate the action (%s)", r.RecordsAsOf, r.Date)
	case strings.TrimSpace(r.Source) == "":
		return fail.Field("source", "name the source of the record, e.g. the depositary notification")
	case len(r.Declarations) > MaxDeclarations:
		return fail.Field("declarations", "is at most %d characters", MaxDeclarations)
	case r.Action != Withdrawal && !r.Effective.IsZero():
		return fail.Field("effective", "only a withdrawal has a date of effect")
	case r.Action == Withdrawal && !r.Effective.IsZero() && r.Effective.Before(r.Date):
		return fail.Field("effective", "a withdrawal cannot take effect (%s) before it is notified (%s)", r.Effective, r.Date)
	}
	for _, e := range existing {
		if e.Action == r.Action && e.Date == r.Date {
			return &fail.Error{Kind: fail.Conflict, Field: "action", Message: "this " + humanAction(r.Action) + " of " + r.Participant + " on " + r.Date.String() + " is recorded already"}
		}
	}
	if r.Exception != "" {
		return nil
	}
	if err := sequence(inst, r, existing); err != nil {
		return err
	}
	if inst.RequiresParent && r.Action.Consents() {
		p := Compute(Instrument{}, parentRecords, r.Date, func(string) bool { return true }, civil.Date{})
		party := false
		for _, x := range p.Standings {
			if x.Participant == r.Participant && x.Party() {
				party = true
			}
		}
		if !party {
			return fail.Field("action", "%s is not a party to %s on %s: a State must be party to the Convention before it can become party to one of its Protocols (UNTOC art. 37(2)); record it as a historical exception if the depositary accepted it", r.Participant, inst.Parent, r.Date)
		}
	}
	return nil
}

func humanAction(a Action) string { return strings.ReplaceAll(string(a), "_", " ") }

// sequence checks that the participant's records, with r among them, make
// sense in date order: one signature, no deposit while already a party, no
// withdrawal while not one.
func sequence(inst Instrument, r Record, existing []Record) error {
	if r.Action.Signs() {
		for _, e := range existing {
			switch {
			case e.Action.Signs():
				return &fail.Error{Kind: fail.Conflict, Field: "action", Message: fmt.Sprintf("%s signed %s already, on %s", r.Participant, inst.ID, e.Date)}
			case e.Action.Consents() && e.Date.Before(r.Date):
				// Signature precedes ratification; one who joined by
				// accession does not sign afterwards.
				return fail.Field("action", "%s is a party to %s since %s (%s): a signature cannot follow", r.Participant, inst.ID, e.Date, humanAction(e.Action))
			}
		}
		return nil
	}
	all := append(append([]Record(nil), existing...), r)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Date.Before(all[j].Date) })
	party, byR := false, false
	var since civil.Date
	for _, x := range all {
		switch {
		case x.Action.Consents():
			switch {
			case party && x == r:
				return &fail.Error{Kind: fail.Conflict, Field: "action", Message: fmt.Sprintf("%s is a party to %s already, since %s", r.Participant, inst.ID, since)}
			case party && byR:
				return &fail.Error{Kind: fail.Conflict, Field: "date", Message: fmt.Sprintf("%s deposited on %s (%s) and is recorded a party from then: a second deposit on %s needs a withdrawal between them", r.Participant, x.Date, humanAction(x.Action), r.Date)}
			case !party:
				party, since, byR = true, x.Date, x == r
			}
		case x.Action == Withdrawal:
			if !party && x == r {
				return fail.Field("action", "%s is not a party to %s on %s, so it cannot withdraw", r.Participant, inst.ID, r.Date)
			}
			party, byR = false, false
		}
	}
	return nil
}
