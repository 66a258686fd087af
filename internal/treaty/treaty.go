// Package treaty holds the conventions and protocols of the programme and
// every signature, ratification, accession and the like that participants
// deposited: who is party to what, on any date (resolution 68/193, ¶ 3, 4
// and 50).
package treaty

import (
	"context"
	"regexp"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
)

// Action is what a participant deposited or did.
type Action string

// The actions the depositary records.
const (
	Signature             Action = "signature"
	SuccessionToSignature Action = "succession_to_signature"
	Ratification          Action = "ratification"
	Acceptance            Action = "acceptance"
	Approval              Action = "approval"
	Accession             Action = "accession"
	Succession            Action = "succession"
	FormalConfirmation    Action = "formal_confirmation"
	// ParticipationVia1972 is participation in the Single Convention as
	// amended (VI-18) by virtue of joining the 1972 Protocol or the 1961
	// Convention after the Protocol entered into force.
	ParticipationVia1972 Action = "participation_via_1972_protocol"
	Withdrawal           Action = "withdrawal"
)

// Actions lists every action, in the order forms show them.
var Actions = []Action{Signature, Ratification, Acceptance, Approval, Accession, Succession,
	FormalConfirmation, SuccessionToSignature, ParticipationVia1972, Withdrawal}

// ParseAction checks an action's name.
func ParseAction(s string) (Action, error) {
	for _, a := range Actions {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fail.Field("action", "%q is not an action: use one of %s", s, actionList())
}

func actionList() string {
	var names []string
	for _, a := range Actions {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}

// Consents reports whether the action makes the participant a party: the
// deposit of an instrument of ratification, acceptance, approval,
// accession, succession or formal confirmation.
func (a Action) Consents() bool {
	switch a {
	case Ratification, Acceptance, Approval, Accession, Succession, FormalConfirmation, ParticipationVia1972:
		return true
	}
	return false
}

// Signs reports whether the action makes the participant a signatory.
func (a Action) Signs() bool { return a == Signature || a == SuccessionToSignature }

// Rule is how an instrument enters into force: on the Days-th day after
// the deposit of the Threshold-th instrument, and for a participant joining
// after that, on the LaterDays-th day after its own deposit.
type Rule struct {
	Threshold int `json:"instruments"`
	Days      int `json:"days"`
	LaterDays int `json:"days_for_later_participants"`
}

// Instrument is a convention or protocol.
type Instrument struct {
	ID         string     `json:"id"`    // the UN Treaty Collection (MTDSG) number, e.g. XVIII-12; a cpcj code where there is none
	Alias      string     `json:"alias"` // short name accepted in its place, e.g. UNTOC
	ShortTitle string     `json:"short_title"`
	Title      string     `json:"title"`
	Place      string     `json:"place"`
	Adopted    civil.Date `json:"adopted"`
	Depositary string     `json:"depositary"`
	Parent     string     `json:"parent,omitempty"` // the instrument a protocol supplements or amends
	Topic      string     `json:"topic"`            // crime, corruption, drugs or terrorism
	Rule       *Rule      `json:"entry_into_force_rule,omitempty"`
	// RequiresParent says a participant must be party to the parent first
	// (UNTOC art. 37(2) for its Protocols).
	RequiresParent bool `json:"requires_parent"`
	// Records says whether cpcj keeps participation records for it: only
	// for instruments deposited with the Secretary-General so far.
	Records     bool       `json:"records"`
	RecordsAsOf civil.Date `json:"records_as_of,omitzero"` // date of the newest source of its records
	Source      string     `json:"source,omitempty"`       // source of its records
}

// HasMTDSG reports whether the instrument's identifier is a UN Treaty
// Collection number.
func (i Instrument) HasMTDSG() bool { return mtdsgRe.MatchString(i.ID) }

var mtdsgRe = regexp.MustCompile(`^[IVXL]+-[0-9]+(-[a-z])?$`)

// Record is one entry in the depositary's records: a participant's action
// on an instrument, with its date.
type Record struct {
	ID           int64      `json:"id"`
	Instrument   string     `json:"instrument"`
	Participant  string     `json:"participant"` // participant code (ISO alpha-3; EUU)
	Action       Action     `json:"action"`
	Date         civil.Date `json:"date"`               // date of deposit, signature or notification
	Effective    civil.Date `json:"effective,omitzero"` // for a withdrawal: the date it takes effect
	Declarations string     `json:"declarations,omitempty"`
	Source       string     `json:"source"`
	RecordsAsOf  civil.Date `json:"records_as_of"`       // the source's "as of" date
	Exception    string     `json:"exception,omitempty"` // why a rule was set aside, as a historical exception
}

// Filter selects participation records.
type Filter struct {
	Instrument  string
	Participant string
	Through     civil.Date // records dated up to this date; zero for all
}

// Store keeps instruments and participation records. Participation in
// treaties is public, so reads take no scope; writes take the actor, whom
// the store checks and records in the audit trail.
type Store interface {
	Instruments(ctx context.Context) ([]Instrument, error)
	Instrument(ctx context.Context, idOrAlias string) (Instrument, error)
	Records(ctx context.Context, f Filter) ([]Record, error)
	Record(ctx context.Context, id int64) (Record, error)
	AddRecord(ctx context.Context, by access.Actor, r Record) (Record, error)
	UpdateRecord(ctx context.Context, by access.Actor, r Record) (Record, error)
	RetractRecord(ctx context.Context, by access.Actor, id int64, reason string) (Record, error)
	// ReplaceRecords replaces every record of the instruments named in the
	// import with the given ones, in one transaction.
	ReplaceRecords(ctx context.Context, by access.Actor, instruments []string, rs []Record) error
}
