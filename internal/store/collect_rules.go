package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// The validation rules of the collection, as the secretariat edits them.
// Every validation reads them again (collect.Service), so a change
// applies from the next save or submission.

// loadRules seeds the rules with those cpcj ships (data/collection/
// rules.csv), keeping their ids. It runs once, with the migration that
// makes their table, so that the secretariat's later changes are never
// overwritten.
func loadRules(ctx context.Context, t *tx) error {
	tables, st, err := t.ruleRefs(ctx)
	if err != nil {
		return err
	}
	f, err := data.FS.Open(collect.RulesFile)
	if err != nil {
		return err
	}
	defer f.Close()
	rules, err := collect.ReadRules(f, tables, st)
	if err != nil {
		return fmt.Errorf("data/%s %w", collect.RulesFile, err)
	}
	by := access.System("cpcj migrate")
	for i := range rules {
		if err := t.insertRule(ctx, by, &rules[i], true); err != nil {
			return fmt.Errorf("data/%s, rule %d: %w", collect.RulesFile, rules[i].ID, err)
		}
	}
	if err := t.identityAfterMax(ctx, "collect_rule"); err != nil {
		return err
	}
	return t.record(ctx, by, audit.Change{Action: "load", Entity: "collect_rule", EntityID: "*", After: rules,
		Summary: fmt.Sprintf("%d validation rules loaded from data/%s", len(rules), collect.RulesFile)})
}

// Rules lists the validation rules, enabled or not, by id. Everyone who
// takes part in the collection reads them: a focal point sees the rules
// its figures are checked with.
func (db *DB) Rules(ctx context.Context, by access.Actor) ([]collect.Rule, error) {
	if err := canSeeRounds(by); err != nil {
		return nil, err
	}
	rows, err := db.reader().query(ctx, "SELECT "+ruleColumns+" FROM collect_rule ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []collect.Rule
	for rows.Next() {
		var r collect.Rule
		if err := scanRule(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rule returns one validation rule.
func (db *DB) Rule(ctx context.Context, by access.Actor, id int64) (collect.Rule, error) {
	if err := canSeeRounds(by); err != nil {
		return collect.Rule{}, err
	}
	return db.reader().rule(ctx, id)
}

const ruleColumns = "id, name, kind, severity, COALESCE(flow, ''), params, enabled, note, created_at, created_by, updated_at, updated_by"

func scanRule(sc interface{ Scan(...any) error }, r *collect.Rule) error {
	var kind, severity, params string
	if err := sc.Scan(&r.ID, &r.Name, &kind, &severity, &r.Flow, &params, &r.Enabled, &r.Note,
		tstamp{&r.CreatedAt}, &r.CreatedBy, tstamp{&r.UpdatedAt}, &r.UpdatedBy); err != nil {
		return err
	}
	r.Kind, r.Severity = collect.RuleKind(kind), collect.Severity(severity)
	if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
		return fmt.Errorf("rule %d: params: %w", r.ID, err)
	}
	return nil
}

func (c conn) rule(ctx context.Context, id int64) (collect.Rule, error) {
	var r collect.Rule
	err := scanRule(c.queryRow(ctx, "SELECT "+ruleColumns+" FROM collect_rule WHERE id = ?", id), &r)
	return r, notFound(err, "No validation rule has the id %d.", id)
}

// CreateRule adds a validation rule, checked as a rules file's are; its id
// is the next free one.
func (db *DB) CreateRule(ctx context.Context, by access.Actor, r collect.Rule) (collect.Rule, error) {
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		return r, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		if err := t.checkRule(ctx, &r); err != nil {
			return err
		}
		if err := t.insertRule(ctx, by, &r, false); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "create", Entity: "collect_rule", EntityID: fmt.Sprint(r.ID), After: r,
			Summary: fmt.Sprintf("validation rule %d %q (%s, %s) added", r.ID, r.Name, r.Kind, r.Severity)})
	})
	return r, err
}

// UpdateRule changes a validation rule: its name, severity, dataflow,
// parameters, note, and whether it is enabled. A rule keeps its kind: a
// rule of another kind is a new rule. Nothing is written when nothing
// changes.
func (db *DB) UpdateRule(ctx context.Context, by access.Actor, r collect.Rule) (collect.Rule, error) {
	if err := access.Check(by, access.ReviewData, ""); err != nil {
		return r, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		before, err := t.rule(ctx, r.ID)
		if err != nil {
			return err
		}
		if r.Kind == "" {
			r.Kind = before.Kind
		}
		if r.Kind != before.Kind {
			return fail.Field("kind", "A rule keeps its kind (%s): add a new %s rule and disable this one.", before.Kind, r.Kind)
		}
		if err := t.checkRule(ctx, &r); err != nil {
			return err
		}
		r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy = before.CreatedAt, before.CreatedBy, before.UpdatedAt, before.UpdatedBy
		if reflect.DeepEqual(r, before) {
			return nil
		}
		// Switching a rule on or off is named as such in the trail.
		action, other := "update", r
		other.Enabled = before.Enabled
		switch {
		case !reflect.DeepEqual(other, before):
		case r.Enabled:
			action = "enable"
		default:
			action = "disable"
		}
		r.UpdatedAt, r.UpdatedBy = db.now(), by.Label()
		params, err := json.Marshal(r.Params)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `UPDATE collect_rule SET name = ?, severity = ?, flow = ?, params = ?, enabled = ?, note = ?, updated_at = ?, updated_by = ?
			WHERE id = ?`, r.Name, string(r.Severity), nullString(r.Flow), string(params), r.Enabled, r.Note, r.UpdatedAt, r.UpdatedBy, r.ID)
		if isUnique(err) {
			return ruleNameTaken(r.Name)
		}
		if err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: action, Entity: "collect_rule", EntityID: fmt.Sprint(r.ID), Before: before, After: r,
			Summary: fmt.Sprintf("validation rule %d %q: %s", r.ID, r.Name, action)})
	})
	return r, err
}

// RuleTables returns the tables a completeness rule may name: the
// questionnaire tables cpcj ships, and those of every round (which keep
// the tables as they were when it opened). Whoever reads the rules reads
// them.
func (db *DB) RuleTables(ctx context.Context, by access.Actor) ([]collect.Table, error) {
	if err := canSeeRounds(by); err != nil {
		return nil, err
	}
	return db.reader().ruleTables(ctx)
}

func (c conn) ruleTables(ctx context.Context) ([]collect.Table, error) {
	f, err := data.FS.Open(collect.TablesFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The code lists are left out: a code the secretariat later removed
	// from one must not stop every change to the rules.
	tables, err := collect.ReadTables(f, nil)
	if err != nil {
		return nil, fmt.Errorf("data/%s %w", collect.TablesFile, err)
	}
	seen := map[string]bool{}
	for _, tb := range tables {
		seen[tb.ID] = true
	}
	rows, err := c.query(ctx, "SELECT round_id, spec FROM collect_table ORDER BY round_id DESC, position")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var round int64
		var spec string
		if err := rows.Scan(&round, &spec); err != nil {
			return nil, err
		}
		var tb collect.Table
		if err := json.Unmarshal([]byte(spec), &tb); err != nil {
			return nil, fmt.Errorf("round %d: table spec: %w", round, err)
		}
		if !seen[tb.ID] {
			seen[tb.ID] = true
			tables = append(tables, tb)
		}
	}
	return tables, rows.Err()
}

// Limits of a rule's texts, which pages and findings show.
const (
	ruleNameMax = 200
	ruleNoteMax = 2000
)

// checkRule tidies a rule's texts and checks it as a rules file's rule is
// checked, against the code lists, dataflows and tables of the database.
func (t *tx) checkRule(ctx context.Context, r *collect.Rule) error {
	r.Name, r.Note, r.Flow = strings.TrimSpace(r.Name), strings.TrimSpace(r.Note), strings.TrimSpace(r.Flow)
	switch {
	case utf8.RuneCountInString(r.Name) > ruleNameMax:
		return fail.Field("name", "The name has %d characters: shorten it to %d at most.", utf8.RuneCountInString(r.Name), ruleNameMax)
	case utf8.RuneCountInString(r.Note) > ruleNoteMax:
		return fail.Field("note", "The note has %d characters: shorten it to %d at most.", utf8.RuneCountInString(r.Note), ruleNoteMax)
	}
	tables, st, err := t.ruleRefs(ctx)
	if err != nil {
		return err
	}
	return r.Check(tables, st)
}

// ruleRefs returns what a rule may refer to: the tables a completeness
// rule may name, and the code lists and dataflows of the database.
func (c conn) ruleRefs(ctx context.Context) ([]collect.Table, *stats.Structure, error) {
	st, err := c.structure(ctx)
	if err != nil {
		return nil, nil, err
	}
	tables, err := c.ruleTables(ctx)
	return tables, st, err
}

// insertRule stores a new rule, with its id when withID (the shipped
// rules keep theirs), and sets its id and stamps.
func (t *tx) insertRule(ctx context.Context, by access.Actor, r *collect.Rule, withID bool) error {
	params, err := json.Marshal(r.Params)
	if err != nil {
		return err
	}
	now := t.db.now()
	r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy = now, by.Label(), now, by.Label()
	cols, marks := "", ""
	args := []any{r.Name, string(r.Kind), string(r.Severity), nullString(r.Flow), string(params), r.Enabled, r.Note, now, r.CreatedBy, now, r.UpdatedBy}
	if withID {
		cols, marks, args = "id, ", "?, ", append([]any{r.ID}, args...)
	}
	err = t.queryRow(ctx, `INSERT INTO collect_rule (`+cols+`name, kind, severity, flow, params, enabled, note, created_at, created_by, updated_at, updated_by)
		VALUES (`+marks+`?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&r.ID)
	if isUnique(err) {
		return ruleNameTaken(r.Name)
	}
	return err
}

func ruleNameTaken(name string) error {
	return fail.Field("name", "Another rule is named %q: give this one a name of its own, since findings show it.", name)
}

// structure returns the code lists and dataflows that codes and dataflow
// ids are checked against.
func (c conn) structure(ctx context.Context) (*stats.Structure, error) {
	lists, err := c.codelists(ctx)
	if err != nil {
		return nil, err
	}
	flows, err := c.dataflows(ctx)
	if err != nil {
		return nil, err
	}
	return stats.NewStructure(lists, flows), nil
}

var _ collect.RuleStore = (*DB)(nil)
