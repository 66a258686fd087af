package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/treaty"
)

// The shipped treaty data, loaded on first start.
const (
	InstrumentsFile   = "treaties/instruments.csv"
	ParticipationFile = "treaties/untc_actions_2015-03-14.csv"
	untcAsOf          = "2015-03-14"
	untcSource        = "UN Treaty Collection, status of multilateral treaties deposited with the Secretary-General, as of 14 March 2015"
)

// The shipped records are inserted loadBatch rows to a statement:
// participationParams parameters each, far below the limits of both
// engines (32,766 on SQLite, 65,535 on PostgreSQL).
const (
	loadBatch           = 500
	participationParams = 8
	participationInsert = `INSERT INTO participation (instrument, participant, action, date, source, records_as_of, created_at, updated_at) VALUES `
	participationRow    = `(?, ?, ?, ?, ?, ?, ?, ?)`
)

// loadTreaties loads the instruments and the UN Treaty Collection's
// participation records shipped in data/treaties. Like the participants,
// it runs once, as a migration.
func loadTreaties(ctx context.Context, t *tx) error {
	insts, err := readInstruments()
	if err != nil {
		return fmt.Errorf("data/%s: %w", InstrumentsFile, err)
	}
	now := t.db.now()
	// Parents first, so that the foreign key holds at every insert.
	for pass := 0; pass < 2; pass++ {
		for _, in := range insts {
			if (in.Parent == "") != (pass == 0) {
				continue
			}
			var thr, days, later any
			if in.Rule != nil {
				thr, days, later = in.Rule.Threshold, in.Rule.Days, in.Rule.LaterDays
			}
			var asOf any
			if in.Records {
				asOf = untcAsOf
			}
			_, err := t.exec(ctx, `INSERT INTO instrument (id, alias, short_title, title, place, adopted, depositary, parent, topic,
				eif_instruments, eif_days, eif_days_later, requires_parent, records, records_as_of, source)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				in.ID, in.Alias, in.ShortTitle, in.Title, in.Place, in.Adopted.String(), in.Depositary, nullString(in.Parent), in.Topic,
				thr, days, later, in.RequiresParent, in.Records, asOf, in.Source)
			if err != nil {
				return fmt.Errorf("instrument %s: %w", in.ID, err)
			}
		}
	}
	f, err := data.FS.Open(ParticipationFile)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil || strings.Join(head, ",") != "mtdsg_no,participant,iso3,action,date" {
		return fmt.Errorf("data/%s: unexpected header %v", ParticipationFile, head)
	}
	// The records go in by INSERTs of loadBatch rows each, in the file's
	// order (so their ids are as if inserted one by one): a statement per
	// row made the first start several times slower, most of all on
	// PostgreSQL, where each is a round trip.
	n := 0
	var args []any
	firstLine, lastLine := 0, 0
	flush := func() error {
		rows := len(args) / participationParams
		if rows == 0 {
			return nil
		}
		q := participationInsert + strings.Repeat(participationRow+", ", rows-1) + participationRow
		if _, err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("data/%s lines %d-%d: %w", ParticipationFile, firstLine, lastLine, err)
		}
		args = args[:0]
		return nil
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("data/%s: %w", ParticipationFile, err)
		}
		code := rec[2]
		if code == "" && rec[1] == "European Union" {
			code = "EUU"
		}
		lastLine, _ = cr.FieldPos(0)
		if len(args) == 0 {
			firstLine = lastLine
		}
		args = append(args, rec[0], code, rec[3], rec[4], untcSource, untcAsOf, now, now)
		n++
		if len(args) == loadBatch*participationParams {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return t.record(ctx, access.System("cpcj migrate"), audit.Change{
		Action: "load", Entity: "participation", EntityID: "*", After: map[string]int{"instruments": len(insts), "records": n},
		Summary: fmt.Sprintf("%d instruments and %d participation records loaded from data/treaties (UN Treaty Collection as of %s)", len(insts), n, untcAsOf),
	})
}

// readInstruments reads the shipped instruments list.
func readInstruments() ([]treaty.Instrument, error) {
	f, err := data.FS.Open(InstrumentsFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var out []treaty.Instrument
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		get := func(name string) string { return rec[col[name]] }
		adopted, err := civil.Parse(get("adopted"))
		if err != nil {
			return nil, fmt.Errorf("%s: adopted: %w", get("id"), err)
		}
		in := treaty.Instrument{ID: get("id"), Alias: get("alias"), ShortTitle: get("short_title"), Title: get("title"),
			Place: get("place"), Adopted: adopted, Depositary: get("depositary"), Parent: get("parent"), Topic: get("topic"),
			RequiresParent: get("requires_parent") == "yes", Records: get("records") == "untc"}
		if get("eif_instruments") != "" {
			var r treaty.Rule
			for _, f := range []struct {
				name string
				dst  *int
			}{{"eif_instruments", &r.Threshold}, {"eif_days", &r.Days}, {"eif_days_later", &r.LaterDays}} {
				if *f.dst, err = strconv.Atoi(get(f.name)); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", in.ID, f.name, err)
				}
			}
			in.Rule = &r
		}
		if in.Records {
			in.Source = untcSource
		}
		out = append(out, in)
	}
}

const instrumentColumns = `id, alias, short_title, title, place, adopted, depositary, COALESCE(parent, ''), topic,
	eif_instruments, eif_days, eif_days_later, requires_parent, records, COALESCE(records_as_of, ''), source`

func scanInstrument(sc interface{ Scan(...any) error }, in *treaty.Instrument) error {
	var adopted, asOf string
	var thr, days, later sql.NullInt64
	if err := sc.Scan(&in.ID, &in.Alias, &in.ShortTitle, &in.Title, &in.Place, &adopted, &in.Depositary, &in.Parent, &in.Topic,
		&thr, &days, &later, &in.RequiresParent, &in.Records, &asOf, &in.Source); err != nil {
		return err
	}
	var err error
	if in.Adopted, err = civil.Parse(adopted); err != nil {
		return err
	}
	if asOf != "" {
		if in.RecordsAsOf, err = civil.Parse(asOf); err != nil {
			return err
		}
	}
	if thr.Valid {
		in.Rule = &treaty.Rule{Threshold: int(thr.Int64), Days: int(days.Int64), LaterDays: int(later.Int64)}
	}
	return nil
}

// Instruments lists the instruments: conventions before their protocols,
// by topic and date of adoption.
func (db *DB) Instruments(ctx context.Context) ([]treaty.Instrument, error) {
	rows, err := db.reader().query(ctx, "SELECT "+instrumentColumns+` FROM instrument
		ORDER BY CASE topic WHEN 'crime' THEN 1 WHEN 'corruption' THEN 2 WHEN 'drugs' THEN 3 ELSE 4 END, adopted, `+db.bytewise("id"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []treaty.Instrument
	for rows.Next() {
		var in treaty.Instrument
		if err := scanInstrument(rows, &in); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Instrument returns an instrument by its MTDSG number or alias, in any case.
func (db *DB) Instrument(ctx context.Context, idOrAlias string) (treaty.Instrument, error) {
	key := strings.ToUpper(strings.TrimSpace(idOrAlias))
	var in treaty.Instrument
	err := scanInstrument(db.reader().queryRow(ctx, "SELECT "+instrumentColumns+
		" FROM instrument WHERE UPPER(id) = ? OR alias = ?", key, key), &in)
	return in, notFound(err, "No instrument has the number or alias %q.", idOrAlias)
}

const recordColumns = `id, instrument, participant, action, date, COALESCE(effective, ''), declarations, source, records_as_of, exception`

func scanRecord(sc interface{ Scan(...any) error }, r *treaty.Record) error {
	return sc.Scan(recordFields(r)...)
}

// recordFields are the scan targets of recordColumns.
func recordFields(r *treaty.Record) []any {
	return []any{&r.ID, &r.Instrument, &r.Participant, &r.Action, civilDate{&r.Date}, civilDate{&r.Effective},
		&r.Declarations, &r.Source, civilDate{&r.RecordsAsOf}, &r.Exception}
}

// civilDate scans a date stored as YYYY-MM-DD text; an empty one is no date.
type civilDate struct{ d *civil.Date }

func (c civilDate) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case nil:
		*c.d = civil.Date{}
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("scan date: unexpected %T", v)
	}
	if s == "" {
		*c.d = civil.Date{}
		return nil
	}
	d, err := civil.Parse(s)
	*c.d = d
	return err
}

// Records lists participation records that are in force (not retracted),
// by instrument, date and participant.
func (db *DB) Records(ctx context.Context, f treaty.Filter) ([]treaty.Record, error) {
	return records(ctx, db.reader(), f)
}

func records(ctx context.Context, c conn, f treaty.Filter) ([]treaty.Record, error) {
	where, args := []string{"retracted_at IS NULL"}, []any{}
	if f.Instrument != "" {
		where, args = append(where, "instrument = ?"), append(args, f.Instrument)
	}
	if f.Participant != "" {
		where, args = append(where, "participant = ?"), append(args, f.Participant)
	}
	if !f.Through.IsZero() {
		where, args = append(where, "date <= ?"), append(args, f.Through.String())
	}
	rows, err := c.query(ctx, "SELECT "+recordColumns+" FROM participation WHERE "+strings.Join(where, " AND ")+
		" ORDER BY "+c.db.bytewise("instrument")+", date, participant, id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []treaty.Record{}
	for rows.Next() {
		var r treaty.Record
		if err := scanRecord(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Record returns one participation record in force (not retracted).
func (db *DB) Record(ctx context.Context, id int64) (treaty.Record, error) {
	var r treaty.Record
	err := scanRecord(db.reader().queryRow(ctx, "SELECT "+recordColumns+" FROM participation WHERE id = ? AND retracted_at IS NULL", id), &r)
	return r, notFound(err, "No participation record has the id %d.", id)
}

// checkRecord applies the treaty rules to r against the records already
// stored, inside the transaction that will store it.
func (t *tx) checkRecord(ctx context.Context, r treaty.Record) (treaty.Instrument, error) {
	var in treaty.Instrument
	err := scanInstrument(t.queryRow(ctx, "SELECT "+instrumentColumns+" FROM instrument WHERE id = ?", r.Instrument), &in)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return in, fail.Field("instrument", "%q is not a known instrument", r.Instrument)
		}
		return in, err
	}
	var exists int
	if err := t.queryRow(ctx, "SELECT COUNT(*) FROM participant WHERE code = ?", r.Participant).Scan(&exists); err != nil {
		return in, err
	}
	if exists == 0 {
		return in, fail.Field("participant", "%q is not a known participant code", r.Participant)
	}
	existing, err := records(ctx, t.conn, treaty.Filter{Instrument: r.Instrument, Participant: r.Participant})
	if err != nil {
		return in, err
	}
	others := existing[:0]
	for _, e := range existing {
		if e.ID != r.ID {
			others = append(others, e)
		}
	}
	var parent []treaty.Record
	if in.RequiresParent {
		if parent, err = records(ctx, t.conn, treaty.Filter{Instrument: in.Parent, Participant: r.Participant}); err != nil {
			return in, err
		}
	}
	return in, treaty.Check(in, r, others, parent, civil.Of(t.db.now()))
}

// insertRecord stores a participation record and returns its id.
func (t *tx) insertRecord(ctx context.Context, r treaty.Record) (int64, error) {
	now := t.db.now()
	var id int64
	err := t.queryRow(ctx, `INSERT INTO participation (instrument, participant, action, date, effective, declarations, source,
		records_as_of, exception, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Instrument, r.Participant, string(r.Action), r.Date.String(), nullString(r.Effective.String()), r.Declarations,
		r.Source, r.RecordsAsOf.String(), r.Exception, now, now).Scan(&id)
	if isUnique(err) {
		return 0, &fail.Error{Kind: fail.Conflict, Field: "action", Message: "this record exists already"}
	}
	return id, err
}

// AddRecord stores a new participation record after checking the rules.
// Only the secretariat and admins may.
func (db *DB) AddRecord(ctx context.Context, by access.Actor, r treaty.Record) (treaty.Record, error) {
	if err := access.Check(by, access.ManageTreaties, ""); err != nil {
		return r, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		if _, err := t.checkRecord(ctx, r); err != nil {
			return err
		}
		var err error
		if r.ID, err = t.insertRecord(ctx, r); err != nil {
			return err
		}
		if err := t.bump(ctx, "participation"); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "create", Entity: "participation", EntityID: fmt.Sprint(r.ID), After: r,
			Summary: recordSummary(r)})
	})
	return r, err
}

func recordSummary(r treaty.Record) string {
	s := fmt.Sprintf("%s %s %s on %s", r.Participant, strings.ReplaceAll(string(r.Action), "_", " "), r.Instrument, r.Date)
	if r.Exception != "" {
		s += " (historical exception: " + r.Exception + ")"
	}
	return s
}

// UpdateRecord corrects a participation record.
func (db *DB) UpdateRecord(ctx context.Context, by access.Actor, r treaty.Record) (treaty.Record, error) {
	if err := access.Check(by, access.ManageTreaties, ""); err != nil {
		return r, err
	}
	err := db.inTx(ctx, func(t *tx) error {
		var before treaty.Record
		err := scanRecord(t.queryRow(ctx, "SELECT "+recordColumns+" FROM participation WHERE id = ? AND retracted_at IS NULL", r.ID), &before)
		if err != nil {
			return notFound(err, "No participation record has the id %d.", r.ID)
		}
		if r.Instrument != before.Instrument || r.Participant != before.Participant {
			return fail.Field("instrument", "a correction keeps the instrument and participant; retract the record and add a new one instead")
		}
		if _, err := t.checkRecord(ctx, r); err != nil {
			return err
		}
		_, err = t.exec(ctx, `UPDATE participation SET action = ?, date = ?, effective = ?, declarations = ?, source = ?,
			records_as_of = ?, exception = ?, updated_at = ? WHERE id = ?`,
			string(r.Action), r.Date.String(), nullString(r.Effective.String()), r.Declarations, r.Source,
			r.RecordsAsOf.String(), r.Exception, db.now(), r.ID)
		if err != nil {
			if isUnique(err) {
				return &fail.Error{Kind: fail.Conflict, Field: "action", Message: "this record exists already"}
			}
			return err
		}
		if err := t.bump(ctx, "participation"); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "update", Entity: "participation", EntityID: fmt.Sprint(r.ID), Before: before, After: r,
			Summary: "corrected: " + recordSummary(r)})
	})
	return r, err
}

// RetractRecord withdraws a record entered in error and returns it. The
// record stays in the database, marked, so that the audit trail's digests
// still match it. Withdrawing a withdrawn record changes nothing.
func (db *DB) RetractRecord(ctx context.Context, by access.Actor, id int64, reason string) (treaty.Record, error) {
	var rec treaty.Record
	if err := access.Check(by, access.ManageTreaties, ""); err != nil {
		return rec, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return rec, fail.Field("reason", "say why the record is withdrawn")
	}
	err := db.inTx(ctx, func(t *tx) error {
		var withdrawn *time.Time
		err := t.queryRow(ctx, "SELECT "+recordColumns+", retracted_at FROM participation WHERE id = ?", id).Scan(
			append(recordFields(&rec), ntstamp{&withdrawn})...)
		if err != nil {
			return notFound(err, "No participation record has the id %d.", id)
		}
		if withdrawn != nil {
			return nil
		}
		if _, err := t.exec(ctx, "UPDATE participation SET retracted_at = ?, retract_reason = ? WHERE id = ?", db.now(), reason, id); err != nil {
			return err
		}
		if err := t.bump(ctx, "participation"); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "retract", Entity: "participation", EntityID: fmt.Sprint(id), Before: rec,
			Summary: "withdrawn: " + recordSummary(rec) + ": " + reason})
	})
	return rec, err
}

// ReplaceRecords replaces every record of the given instruments with rs, in
// one transaction: an import. The records were checked by the importer.
func (db *DB) ReplaceRecords(ctx context.Context, by access.Actor, instruments []string, rs []treaty.Record) error {
	if err := access.Check(by, access.ManageTreaties, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error {
		now := db.now()
		removed := 0
		for _, id := range instruments {
			res, err := t.exec(ctx, "UPDATE participation SET retracted_at = ?, retract_reason = ? WHERE instrument = ? AND retracted_at IS NULL",
				now, "replaced by an import", id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			removed += int(n)
		}
		for _, r := range rs {
			if _, err := t.insertRecord(ctx, r); err != nil {
				if fail.Is(err, fail.Conflict) {
					return &fail.Error{Kind: fail.Conflict, Message: fmt.Sprintf("the import has the same record twice: %s", recordSummary(r))}
				}
				return err
			}
		}
		if err := t.bump(ctx, "participation"); err != nil {
			return err
		}
		return t.record(ctx, by, audit.Change{Action: "import", Entity: "participation", EntityID: strings.Join(instruments, ","),
			After: rs, Summary: fmt.Sprintf("import: %d records replace %d for %s", len(rs), removed, strings.Join(instruments, ", "))})
	})
}

// bump marks the records of a kind as changed, for servers' caches.
func (t *tx) bump(ctx context.Context, name string) error {
	_, err := t.exec(ctx, "UPDATE data_version SET version = version + 1 WHERE name = ?", name)
	return err
}

// RecordsVersion returns the version of the participation records.
func (db *DB) RecordsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.reader().queryRow(ctx, "SELECT version FROM data_version WHERE name = 'participation'").Scan(&v)
	return v, err
}
