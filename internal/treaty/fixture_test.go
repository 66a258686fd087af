package treaty_test

import (
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/treaty"
)

// The instruments of the unit tests, as the shipped data describes them.
var (
	untoc = treaty.Instrument{ID: "XVIII-12", Alias: "UNTOC", ShortTitle: "Organized Crime Convention",
		Adopted: day("2000-11-15"), Depositary: "Secretary-General of the United Nations", Topic: "crime",
		Rule: &treaty.Rule{Threshold: 40, Days: 90, LaterDays: 30}, Records: true}
	tip = treaty.Instrument{ID: "XVIII-12-a", Alias: "TIP", ShortTitle: "Trafficking in Persons Protocol",
		Adopted: day("2000-11-15"), Depositary: "Secretary-General of the United Nations", Topic: "crime", Parent: "XVIII-12",
		Rule: &treaty.Rule{Threshold: 40, Days: 90, LaterDays: 30}, RequiresParent: true, Records: true}
	uncac = treaty.Instrument{ID: "XVIII-14", Alias: "UNCAC", ShortTitle: "Convention against Corruption",
		Adopted: day("2003-10-31"), Depositary: "Secretary-General of the United Nations", Topic: "corruption",
		Rule: &treaty.Rule{Threshold: 30, Days: 90, LaterDays: 30}, Records: true}
	tokyo = treaty.Instrument{ID: "TOKYO-1963", Alias: "TOKYO-1963", ShortTitle: "Tokyo Convention",
		Adopted: day("1963-09-14"), Depositary: "ICAO", Topic: "terrorism"}
	// small is UNTOC with a threshold of three, so that a few records
	// reach it.
	small = treaty.Instrument{ID: "XVIII-12", Alias: "UNTOC", ShortTitle: "Organized Crime Convention",
		Adopted: day("2000-11-15"), Depositary: "Secretary-General of the United Nations", Topic: "crime",
		Rule: &treaty.Rule{Threshold: 3, Days: 90, LaterDays: 30}, Records: true}
)

// today is the date the unit tests take as today: the shipped records'.
var today = day("2015-03-14")

func day(s string) civil.Date { return civil.MustParse(s) }

// rec is a record with a source, as the checks want.
func rec(instrument, participant string, a treaty.Action, date string) treaty.Record {
	return treaty.Record{Instrument: instrument, Participant: participant, Action: a, Date: day(date),
		Source: "Depositary notification C.N.1.2003.TREATIES-1", RecordsAsOf: today}
}

// withdrawal is a withdrawal notified on date that takes effect on effective.
func withdrawal(instrument, participant, date, effective string) treaty.Record {
	r := rec(instrument, participant, treaty.Withdrawal, date)
	if effective != "" {
		r.Effective = day(effective)
	}
	return r
}

// isState tells the States from the European Union.
func isState(code string) bool { return code != "EUU" }

// catalog is what the import tests check rows against.
func catalog() treaty.Catalog {
	cat := treaty.Catalog{Instruments: map[string]treaty.Instrument{}, Participants: map[string]bool{}, Today: today}
	for _, in := range []treaty.Instrument{untoc, tip, uncac, tokyo} {
		cat.Instruments[in.ID] = in
		cat.Instruments[in.Alias] = in
	}
	for _, code := range []string{"AFG", "ALB", "BGR", "DEU", "EUU", "FRA", "JAM", "KEN", "NOR", "PER"} {
		cat.Participants[code] = true
	}
	return cat
}
