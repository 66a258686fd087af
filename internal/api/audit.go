package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
)

// ListAudit answers GET /api/v1/audit: the newest records first; pass the
// last seq seen as before to page back.
func (h *Handler) ListAudit(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		if err := access.Check(by, access.ReadAudit, ""); err != nil {
			return nil, err
		}
		q, err := query(r, "entity", "entity_id", "actor", "from", "to", "before", "limit")
		if err != nil {
			return nil, err
		}
		f, err := AuditFilter(q.Get, q.Get("limit"))
		if err != nil {
			return nil, err
		}
		list, err := h.Audit.AuditRecords(r.Context(), by, f)
		if list == nil {
			list = []audit.Record{}
		}
		return List[audit.Record]{Items: list, Total: len(list), Limit: f.Limit}, err
	})
}

// AuditFilter reads the audit filter parameters; the audit page uses it too.
func AuditFilter(get func(string) string, limit string) (audit.Filter, error) {
	f := audit.Filter{Entity: get("entity"), EntityID: get("entity_id"), Actor: get("actor"), Limit: 100}
	var err error
	if limit != "" {
		f.Limit, err = strconv.Atoi(limit)
		if err != nil || f.Limit < 1 || f.Limit > MaxLimit {
			return f, fail.Field("limit", "must be a whole number from 1 to %d", MaxLimit)
		}
	}
	if s := get("from"); s != "" {
		if f.From, err = time.Parse(time.DateOnly, s); err != nil {
			return f, fail.Field("from", "%q is not a date in the form YYYY-MM-DD", s)
		}
	}
	if s := get("to"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return f, fail.Field("to", "%q is not a date in the form YYYY-MM-DD", s)
		}
		f.To = t.AddDate(0, 0, 1) // the whole of the last day
	}
	if s := get("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil || f.Before < 1 {
			return f, fail.Field("before", "must be a record number")
		}
	}
	return f, nil
}
