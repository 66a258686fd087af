// Package state holds the participants that the whole programme is scoped
// by: Member States, observer States, other States that take part in
// treaties, and the European Union. A participant is not always a State;
// counts that speak of States must use IsState.
package state

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"

	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"strings"
)

// Kind says what sort of participant a record is.
type Kind string

// The kinds of participant.
const (
	MemberState    Kind = "member_state"
	ObserverState  Kind = "observer_state"   // non-member observer State
	NonMemberState Kind = "non_member_state" // e.g. Cook Islands, Niue
	Organization   Kind = "organization"     // regional economic integration organization
)

// Participant is a Member State or another participant in the programme's
// treaties and work.
type Participant struct {
	Code          string `json:"code"`          // ISO 3166-1 alpha-3; EUU for the European Union
	ISO2          string `json:"iso2"`          // ISO 3166-1 alpha-2
	M49           string `json:"m49,omitempty"` // UN M49 numeric code, three digits
	Name          string `json:"name"`          // UN short name
	UNTCName      string `json:"untc_name,omitempty"`
	CommonName    string `json:"common_name"`
	Kind          Kind   `json:"kind"`
	RegionalGroup string `json:"regional_group,omitempty"` // AG, APG, EEG, GRULAC or WEOG
	Note          string `json:"note,omitempty"`
}

// IsState reports whether the participant is a State (not an organization).
func (p Participant) IsState() bool { return p.Kind != Organization }

// Group is a UN regional group of Member States.
type Group struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Groups are the five UN regional groups, in the order the UN lists them.
var Groups = []Group{
	{"AG", "African States"},
	{"APG", "Asia-Pacific States"},
	{"EEG", "Eastern European States"},
	{"GRULAC", "Latin American and Caribbean States"},
	{"WEOG", "Western European and other States"},
}

// GroupName returns the name of a regional group code, or "" if unknown.
func GroupName(code string) string {
	for _, g := range Groups {
		if g.Code == code {
			return g.Name
		}
	}
	return ""
}

// Filter selects participants. Zero fields do not filter.
type Filter struct {
	RegionalGroup string
	Kind          Kind
	Query         string // part of the name or code, any case
	Limit, Offset int
}

// Store reads and keeps participants. Participants are public reference
// data, so reads take no scope.
type Store interface {
	Participants(ctx context.Context, f Filter) (list []Participant, total int, err error)
	Participant(ctx context.Context, code string) (Participant, error)
}

var (
	codeRe = regexp.MustCompile(`^[A-Z]{3}$`)
	iso2Re = regexp.MustCompile(`^[A-Z]{2}$`)
	m49Re  = regexp.MustCompile(`^[0-9]{3}$`)
)

// ValidCode reports whether s has the shape of a participant code.
func ValidCode(s string) bool { return codeRe.MatchString(s) }

// Validate checks a participant record.
func (p Participant) Validate() error {
	switch {
	case !codeRe.MatchString(p.Code):
		return fmt.Errorf("code %q is not three capital letters", p.Code)
	case !iso2Re.MatchString(p.ISO2):
		return fmt.Errorf("iso2 %q is not two capital letters", p.ISO2)
	case p.M49 != "" && !m49Re.MatchString(p.M49):
		return fmt.Errorf("m49 %q is not three digits", p.M49)
	case strings.TrimSpace(p.Name) == "":
		return fmt.Errorf("name is empty")
	case p.RegionalGroup != "" && GroupName(p.RegionalGroup) == "":
		return fmt.Errorf("regional group %q is not one of AG, APG, EEG, GRULAC, WEOG", p.RegionalGroup)
	}
	switch p.Kind {
	case MemberState, ObserverState, NonMemberState, Organization:
	default:
		return fmt.Errorf("kind %q is unknown", p.Kind)
	}
	return nil
}

var header = []string{"code", "iso2", "m49", "name", "untc_name", "common_name", "kind", "regional_group", "note"}

// ReadCSV reads participants in the shipped CSV layout. It rejects the whole
// file at the first bad row, naming the line.
func ReadCSV(r io.Reader) ([]Participant, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("header is %q, want %q", strings.Join(head, ","), strings.Join(header, ","))
	}
	var out []Participant
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		p := Participant{Code: rec[0], ISO2: rec[1], M49: rec[2], Name: rec[3], UNTCName: rec[4],
			CommonName: rec[5], Kind: Kind(rec[6]), RegionalGroup: rec[7], Note: rec[8]}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if seen[p.Code] {
			return nil, fmt.Errorf("line %d: code %s appears twice", line, p.Code)
		}
		seen[p.Code] = true
		out = append(out, p)
	}
}

// SortByName sorts participants by name as an English reader expects
// ("Côte d'Ivoire" before "Croatia"), then by code.
func SortByName(ps []Participant) {
	collator := Collator()
	slices.SortStableFunc(ps, func(a, b Participant) int {
		if c := collator.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
}

// Collator returns a collator for English names. A Collator is not safe for
// concurrent use, so each sort makes its own.
func Collator() *collate.Collator { return collate.New(language.English, collate.Loose) }

// Matches reports whether the participant's name, common name or code
// contains q, ignoring case (in every script) and accents' case alike.
func (p Participant) Matches(q string) bool {
	f := cases.Fold()
	q = f.String(strings.TrimSpace(q))
	for _, s := range []string{p.Name, p.CommonName, p.Code} {
		if strings.Contains(f.String(s), q) {
			return true
		}
	}
	return false
}
