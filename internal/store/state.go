package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/state"
)

// ParticipantsFile is the shipped participants list, loaded on first start.
const ParticipantsFile = "states/participants.csv"

// loadParticipants loads the regional groups and the shipped participants
// list. It runs once, as a migration, so that later corrections made in the
// application are never overwritten.
func loadParticipants(ctx context.Context, t *tx) error {
	f, err := data.FS.Open(ParticipantsFile)
	if err != nil {
		return err
	}
	defer f.Close()
	ps, err := state.ReadCSV(f)
	if err != nil {
		return fmt.Errorf("data/%s: %w", ParticipantsFile, err)
	}
	for _, g := range state.Groups {
		if _, err := t.exec(ctx, "INSERT INTO regional_group (code, name) VALUES (?, ?)", g.Code, g.Name); err != nil {
			return err
		}
	}
	for _, p := range ps {
		_, err := t.exec(ctx, `INSERT INTO participant (code, iso2, m49, name, untc_name, common_name, kind, regional_group, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Code, p.ISO2, nullString(p.M49), p.Name, p.UNTCName, p.CommonName, string(p.Kind), nullString(p.RegionalGroup), p.Note)
		if err != nil {
			return fmt.Errorf("participant %s: %w", p.Code, err)
		}
	}
	return t.record(ctx, access.System("cpcj migrate"), audit.Change{
		Action: "load", Entity: "participant", EntityID: "*", After: ps,
		Summary: fmt.Sprintf("%d participants loaded from data/%s", len(ps), ParticipantsFile),
	})
}

const participantColumns = `code, iso2, COALESCE(m49, ''), name, untc_name, common_name, kind, COALESCE(regional_group, ''), note`

func scanParticipant(sc interface{ Scan(...any) error }, p *state.Participant) error {
	return sc.Scan(&p.Code, &p.ISO2, &p.M49, &p.Name, &p.UNTCName, &p.CommonName, &p.Kind, &p.RegionalGroup, &p.Note)
}

// Participants lists participants by name.
func (db *DB) Participants(ctx context.Context, f state.Filter) ([]state.Participant, int, error) {
	var where []string
	var args []any
	if f.RegionalGroup != "" {
		where, args = append(where, "regional_group = ?"), append(args, f.RegionalGroup)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}

	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	// Names are sorted in Go, not SQL: the engines collate differently, and
	// "Côte d'Ivoire" belongs before "Croatia" on both.
	rows, err := db.reader().query(ctx, "SELECT "+participantColumns+" FROM participant"+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	all := []state.Participant{}
	for rows.Next() {
		var p state.Participant
		if err := scanParticipant(rows, &p); err != nil {
			return nil, 0, err
		}
		all = append(all, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if f.Query != "" {
		// Matched here rather than with LIKE: SQLite folds only ASCII
		// letters, and "côte" must find "Côte d'Ivoire" on both engines.
		all = slices.DeleteFunc(all, func(p state.Participant) bool { return !p.Matches(f.Query) })
	}
	state.SortByName(all)
	limit, offset := page(f.Limit, f.Offset)
	lo := min(offset, len(all))
	hi := lo + min(limit, len(all)-lo)
	return all[lo:hi], len(all), nil
}

// Participant returns one participant by code.
func (db *DB) Participant(ctx context.Context, code string) (state.Participant, error) {
	var p state.Participant
	err := scanParticipant(db.reader().queryRow(ctx, "SELECT "+participantColumns+" FROM participant WHERE code = ?", code), &p)
	return p, notFound(err, "No participant has the code %q.", code)
}
