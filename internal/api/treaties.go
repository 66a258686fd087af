package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/treaty"
)

// RecordInput is the body of POST /api/v1/participation and PATCH
// /api/v1/participation/{id}.
type RecordInput struct {
	Instrument   string        `json:"instrument"`
	Participant  string        `json:"participant"`
	Action       treaty.Action `json:"action"`
	Date         civil.Date    `json:"date"`
	Effective    civil.Date    `json:"effective,omitzero"`
	Declarations string        `json:"declarations,omitempty"`
	Source       string        `json:"source"`
	RecordsAsOf  civil.Date    `json:"records_as_of"`
	Exception    string        `json:"exception,omitempty"`
}

// Retraction is the body of POST /api/v1/participation/{id}/retract.
type Retraction struct {
	Reason string `json:"reason"`
}

// ImportProblem is the problem document of a refused import: every
// rejected row with its reason.
type ImportProblem struct {
	Problem
	Rows []treaty.RowError `json:"rows"`
}

// dateParam reads the date parameter: today when absent.
func dateParam(r *http.Request, name string) (civil.Date, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return civil.Today(), nil
	}
	d, err := civil.Parse(s)
	if err != nil {
		return d, fail.Field(name, "%v", err)
	}
	if d.After(civil.Today()) {
		return d, fail.Field(name, "%s is in the future; status is known up to today", d)
	}
	return d, nil
}

// ListInstruments answers GET /api/v1/instruments.
func (h *Handler) ListInstruments(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(access.Actor) (any, error) {
		if _, err := query(r); err != nil {
			return nil, err
		}
		list, err := h.Treaties.Instruments(r.Context())
		return List[treaty.Instrument]{Items: list, Total: len(list), Limit: len(list)}, err
	})
}

// GetInstrument answers GET /api/v1/instruments/{id}.
func (h *Handler) GetInstrument(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(access.Actor) (any, error) {
		if _, err := query(r); err != nil {
			return nil, err
		}
		return h.Treaties.Instrument(r.Context(), r.PathValue("id"))
	})
}

// InstrumentStatus answers GET /api/v1/instruments/{id}/status.
func (h *Handler) InstrumentStatus(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(access.Actor) (any, error) {
		if _, err := query(r, "date"); err != nil {
			return nil, err
		}
		on, err := dateParam(r, "date")
		if err != nil {
			return nil, err
		}
		rep, err := h.Treaties.Status(r.Context(), r.PathValue("id"), on)
		if rep.PartyList == nil {
			rep.PartyList = []treaty.Entry{}
		}
		if rep.SignatoryList == nil {
			rep.SignatoryList = []treaty.Entry{}
		}
		return rep, err
	})
}

// StateTreaties answers GET /api/v1/states/{code}/treaties.
func (h *Handler) StateTreaties(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(access.Actor) (any, error) {
		if _, err := query(r, "date"); err != nil {
			return nil, err
		}
		on, err := dateParam(r, "date")
		if err != nil {
			return nil, err
		}
		rows, err := h.Treaties.Profile(r.Context(), strings.ToUpper(r.PathValue("code")), on)
		return List[treaty.ProfileRow]{Items: rows, Total: len(rows), Limit: len(rows)}, err
	})
}

// ListRecords answers GET /api/v1/participation: the records, as JSON or,
// with format=csv, in the CSV form that import reads.
func (h *Handler) ListRecords(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "instrument", "participant", "format")
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	f := treaty.Filter{Participant: strings.ToUpper(q.Get("participant"))}
	if id := q.Get("instrument"); id != "" {
		in, err := h.Treaties.Instrument(r.Context(), id)
		if err != nil {
			Error(w, r, h.Log, fail.Field("instrument", "%q is not a known instrument number or alias", id))
			return
		}
		f.Instrument = in.ID
	}
	rs, err := h.TreatyStore.Records(r.Context(), f)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	switch q.Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, List[treaty.Record]{Items: rs, Total: len(rs), Limit: len(rs)})
	case "csv":
		var buf bytes.Buffer
		if err := treaty.WriteCSV(&buf, rs); err != nil {
			Error(w, r, h.Log, err)
			return
		}
		name := "participation"
		if f.Instrument != "" {
			name += "-" + f.Instrument
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
		w.Write(buf.Bytes())
	default:
		Error(w, r, h.Log, fail.Field("format", "%q: use json or csv", q.Get("format")))
	}
}

func (in RecordInput) record() treaty.Record {
	return treaty.Record{Instrument: in.Instrument, Participant: strings.ToUpper(strings.TrimSpace(in.Participant)), Action: in.Action,
		Date: in.Date, Effective: in.Effective, Declarations: strings.TrimSpace(strings.ReplaceAll(in.Declarations, "\r\n", "\n")), Source: strings.TrimSpace(in.Source),
		RecordsAsOf: in.RecordsAsOf, Exception: strings.TrimSpace(in.Exception)}
}

// recordInput reads a record from the body, with its instrument's alias
// turned into its number.
func (h *Handler) recordInput(r *http.Request) (treaty.Record, error) {
	var in RecordInput
	if err := decode(r, &in); err != nil {
		return treaty.Record{}, err
	}
	rec := in.record()
	inst, err := h.Treaties.Instrument(r.Context(), rec.Instrument)
	if err != nil {
		return rec, fail.Field("instrument", "%q is not a known instrument number or alias", rec.Instrument)
	}
	rec.Instrument = inst.ID
	return rec, nil
}

// manageTreaties serves fn for those who keep the depositary records.
func (h *Handler) manageTreaties(w http.ResponseWriter, r *http.Request, status int, fn func(by access.Actor) (any, error)) {
	h.serve(w, r, status, func(by access.Actor) (any, error) {
		if err := access.Check(by, access.ManageTreaties, ""); err != nil {
			return nil, err
		}
		return fn(by)
	})
}

// CreateRecord answers POST /api/v1/participation.
func (h *Handler) CreateRecord(w http.ResponseWriter, r *http.Request) {
	h.manageTreaties(w, r, http.StatusCreated, func(by access.Actor) (any, error) {
		rec, err := h.recordInput(r)
		if err != nil {
			return nil, err
		}
		if rec, err = h.TreatyStore.AddRecord(r.Context(), by, rec); err != nil {
			return nil, err
		}
		w.Header().Set("Location", Prefix+"/participation/"+itoa(rec.ID))
		return rec, nil
	})
}

// UpdateRecord answers PATCH /api/v1/participation/{id}: a correction.
func (h *Handler) UpdateRecord(w http.ResponseWriter, r *http.Request) {
	h.manageTreaties(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		rec, err := h.recordInput(r)
		if err != nil {
			return nil, err
		}
		rec.ID = id
		return h.TreatyStore.UpdateRecord(r.Context(), by, rec)
	})
}

// RetractRecord answers POST /api/v1/participation/{id}/retract.
func (h *Handler) RetractRecord(w http.ResponseWriter, r *http.Request) {
	h.manageTreaties(w, r, http.StatusNoContent, func(by access.Actor) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		var in Retraction
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		_, err = h.TreatyStore.RetractRecord(r.Context(), by, id, in.Reason)
		return nil, err
	})
}

// ImportRecords answers POST /api/v1/participation/import: a CSV file
// that replaces the records of the instruments it names, all or nothing.
// With dry_run=true it is checked and nothing is stored.
func (h *Handler) ImportRecords(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	q, err := query(r, "dry_run")
	if err == nil {
		err = access.Check(by, access.ManageTreaties, "")
	}
	var body []byte
	if err == nil {
		body, err = readBody(r)
	}
	dry := false
	if err == nil && q.Has("dry_run") {
		if dry, err = strconv.ParseBool(q.Get("dry_run")); err != nil {
			err = fail.Field("dry_run", "use true or false")
		}
	}
	var res treaty.ImportResult
	if err == nil {
		res, err = h.Treaties.Import(r.Context(), by, bytes.NewReader(body), dry)
	}
	var ie *treaty.ImportError
	switch {
	case errors.As(err, &ie):
		p := ImportProblem{Problem: Problem{Type: "about:blank", Title: "Import refused", Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("Nothing was stored: %d row(s) rejected.", len(ie.Rows)), Instance: r.URL.Path,
			RequestID: audit.MetaFrom(r.Context()).RequestID}, Rows: ie.Rows}
		for _, row := range ie.Rows {
			p.Errors = append(p.Errors, ProblemField{Field: fmt.Sprintf("line %d %s", row.Line, row.Field), Detail: row.Reason})
		}
		w.Header().Set("Content-Type", "application/problem+json")
		writeJSON(w, http.StatusUnprocessableEntity, p)
	case err != nil:
		Error(w, r, h.Log, err)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
