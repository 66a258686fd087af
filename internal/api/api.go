// Package api is cpcj's JSON API under /api/v1. Every error is an RFC 9457
// problem document naming the offending field; every list is paginated with
// limit and offset and answers items, total, limit, offset and next. The
// OpenAPI document is built from the route table's operation descriptions
// and the Go types the handlers send, so it cannot drift from them.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/treaty"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// AuditReader reads the audit trail.
type AuditReader interface {
	AuditRecords(ctx context.Context, by access.Actor, f audit.Filter) ([]audit.Record, error)
}

// Handler serves the API over the services.
type Handler struct {
	Deps
	// states caches encoded participant lists; see states.go.
	states *stateCache
	// statsCache keeps the statistics structure; see stats.go.
	statsCache *statsCache
	// computing holds a token per request computing statistics; see
	// MaxComputing.
	computing   chan struct{}
	computeWait time.Duration
	// started is when the handler was made: another version of the
	// program may answer differently from then on (see statsState).
	started time.Time
}

// Deps are the services the API answers from.
type Deps struct {
	States      state.Store
	Accounts    *account.Service
	Notes       notify.Store
	Audit       AuditReader
	Treaties    *treaty.Service
	TreatyStore treaty.Store
	Stats       StatsStore
	// Collect is the annual collection; CollectStore its storage,
	// scoped by the caller.
	Collect      *collect.Service
	CollectStore CollectStore
	Log          *slog.Logger
	// Version is the program's version; it is part of the ETags of
	// statistics, since another version may write the same data
	// differently.
	Version string
}

// New returns a Handler.
func New(d Deps) *Handler {
	return &Handler{Deps: d, states: newStateCache(), statsCache: &statsCache{},
		computing: make(chan struct{}, MaxComputing), computeWait: computeWait, started: time.Now()}
}

// List is the envelope of every list response.
type List[T any] struct {
	Items  []T    `json:"items"`
	Total  int    `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Next   string `json:"next,omitempty"` // URL of the next page, if any
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
}

// ProblemField names one offending field, parameter or header.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// writeJSON sends v as JSON with the status, as application/json unless
// the caller set a more specific JSON media type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// serve runs fn for the request's actor and writes its answer: the value as
// JSON with the status (nothing for 204), or the error as a problem
// document. Every handler but the cached states list goes through it.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, status int, fn func(by access.Actor) (any, error)) {
	v, err := fn(access.FromContext(r.Context()))
	switch {
	case err != nil:
		Error(w, r, h.Log, err)
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, v)
	}
}

// Error sends err as a problem document. Internal errors are logged in full
// and answered with a message that gives nothing away but the request id.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := fail.Status(err)
	meta := audit.MetaFrom(r.Context())
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Instance: r.URL.Path, RequestID: meta.RequestID}
	if e := fail.As(err); e != nil {
		p.Detail = e.Message
		if e.Field != "" {
			p.Errors = []ProblemField{{Field: e.Field, Detail: e.Message}}
			p.Detail = fmt.Sprintf("%s: %s", e.Field, e.Message)
		}
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
	}
	// A server too busy to answer says so and when to ask again; other
	// failures give nothing away.
	if status >= 500 && !(fail.Is(err, fail.Unavailable) && p.Detail != "") {
		log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
		p.Detail = "The server could not answer. The error was logged; quote request id " + meta.RequestID + " to the administrators."
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cpcj"`)
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// decode reads a JSON request body into v. It refuses a wrong media type,
// invalid UTF-8, unknown fields, wrong types and trailing data, naming the
// problem; the body's size is limited by the server before it gets here.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &fail.Error{Kind: fail.Invalid, Field: "Content-Type", Message: "send the body as application/json"}
		}
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

// readBody reads a request body, whose size the server has limited.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &fail.Error{Kind: fail.TooLarge, Message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", tooBig.Limit)}
		}
		return nil, fail.New(fail.Invalid, "The request body could not be read.")
	}
	return body, nil
}

// decodeBytes is decode after the body is read; the fuzz test calls it.
func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fail.New(fail.Invalid, "The request body is empty: send a JSON object.")
	}
	if !utf8.Valid(body) {
		return fail.New(fail.Invalid, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fail.New(fail.Invalid, "The request body is not valid JSON (at byte %d): %s.", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				return fail.New(fail.Invalid, "The request body must be a JSON %s, not %s.", jsonKind(typ.Type.Kind().String()), typ.Value)
			}
			return fail.Field(field, "must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return fail.Field(name, "is not a field of this request")
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return fail.New(fail.Invalid, "The request body ends before the JSON value does.")
		}
		return fail.New(fail.Invalid, "The request body could not be read as JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return fail.New(fail.Invalid, "The request body has data after the JSON value.")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return fail.New(fail.Invalid, "The request body has data after the JSON value.")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return goKind
}

// query checks a request's query parameters: each must be one of allowed
// and appear once.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q := r.URL.Query()
	for name, vals := range q {
		ok := false
		for _, a := range allowed {
			if a == name {
				ok = true
				break
			}
		}
		if !ok {
			if len(allowed) == 0 {
				return nil, fail.Field(name, "this request takes no query parameters")
			}
			return nil, fail.Field(name, "is not a parameter of this request; it takes %s", strings.Join(allowed, ", "))
		}
		if len(vals) > 1 {
			return nil, fail.Field(name, "is given %d times; give it once", len(vals))
		}
	}
	return q, nil
}

// Pagination limits.
const (
	DefaultLimit = 100
	MaxLimit     = 500
	MaxOffset    = 10_000_000
)

// paging reads limit and offset.
func paging(q url.Values) (limit, offset int, err error) {
	limit, offset = DefaultLimit, 0
	if s := q.Get("limit"); s != "" {
		limit, err = strconv.Atoi(s)
		if err != nil || limit < 1 || limit > MaxLimit {
			return 0, 0, fail.Field("limit", "must be a whole number from 1 to %d", MaxLimit)
		}
	}
	if s := q.Get("offset"); s != "" {
		offset, err = strconv.Atoi(s)
		if err != nil || offset < 0 || offset > MaxOffset {
			return 0, 0, fail.Field("offset", "must be a whole number from 0 to %d", MaxOffset)
		}
	}
	return limit, offset, nil
}

// nextURL returns the URL of the page after this one, or "".
func nextURL(r *http.Request, limit, offset, total int) string {
	if offset+limit >= total {
		return ""
	}
	u := *r.URL
	q := u.Query()
	q.Set("offset", strconv.Itoa(offset+limit))
	q.Set("limit", strconv.Itoa(limit))
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// pathID reads a numeric path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fail.Field(name, "must be a positive whole number")
	}
	return id, nil
}
