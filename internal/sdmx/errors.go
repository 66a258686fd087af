package sdmx

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cpcj/cpcj/internal/fail"
)

// SDMX error codes (SDMX 2.1 web-service guidelines, "Error handling"), and
// the service's own, numbered from 1000 as the guidelines ask.
const (
	CodeNoResults      = 100
	CodeUnauthorized   = 110
	CodeTooLarge       = 130
	CodeSyntax         = 140
	CodeSemantic       = 150
	CodeInternal       = 500
	CodeNotImplemented = 501
	CodeUnavailable    = 503
	// CodeNotAcceptable says no representation the client accepts is
	// offered; HTTP 406.
	CodeNotAcceptable = 1406
	// CodeTooMany says the client sent too many requests; HTTP 429.
	CodeTooMany = 1429
)

// Error is an SDMX error: its code, the HTTP status it is sent with, and a
// text for the client.
type Error struct {
	Code   int
	Status int
	Text   string
}

func (e *Error) Error() string { return fmt.Sprintf("SDMX error %d: %s", e.Code, e.Text) }

func noResults(format string, args ...any) *Error {
	return &Error{Code: CodeNoResults, Status: http.StatusNotFound, Text: "No results found. " + fmt.Sprintf(format, args...)}
}

func syntax(format string, args ...any) *Error {
	return &Error{Code: CodeSyntax, Status: http.StatusBadRequest, Text: "Syntax error: " + fmt.Sprintf(format, args...)}
}

func notImplemented(format string, args ...any) *Error {
	return &Error{Code: CodeNotImplemented, Status: http.StatusNotImplemented, Text: "Not implemented: " + fmt.Sprintf(format, args...)}
}

func notAcceptable(format string, args ...any) *Error {
	return &Error{Code: CodeNotAcceptable, Status: http.StatusNotAcceptable, Text: "Not acceptable: " + fmt.Sprintf(format, args...)}
}

// asError turns any error into an SDMX one. Errors of the service keep
// their code; the kinds of package fail map to the nearest SDMX code; the
// rest are internal, and their text stays in the log.
func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	fe := fail.As(err)
	if fe == nil {
		return &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Text: "Internal server error."}
	}
	text := fe.Message
	if fe.Field != "" {
		text = fe.Field + ": " + text
	}
	status := fail.Status(err)
	code := map[fail.Kind]int{
		fail.Invalid: CodeSyntax, fail.NotFound: CodeNoResults, fail.Unauthorized: CodeUnauthorized,
		fail.Forbidden: CodeSemantic, fail.TooLarge: CodeTooLarge, fail.TooMany: CodeTooMany,
		fail.Unavailable: CodeUnavailable,
	}[fe.Kind]
	if code == 0 {
		return &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Text: "Internal server error."}
	}
	if fe.RetryAfter > 0 {
		text += " Retry after " + strconv.Itoa(fe.RetryAfter) + " seconds."
	}
	return &Error{Code: code, Status: status, Text: text}
}

// WriteError answers with an SDMX-ML Error message. The server calls it for
// the failures of its middleware on SDMX paths, so that an SDMX client
// never gets an HTML page or a JSON problem.
func (x *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) { x.fail(w, r, err) }

func (x *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if e.Code == CodeInternal || e.Code == CodeUnavailable {
		x.log.ErrorContext(r.Context(), "sdmx request failed", "err", err, "path", r.URL.Path)
	}
	if fe := fail.As(err); fe != nil && fe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(fe.RetryAfter))
	}
	var b bytes.Buffer
	writeErrorMessage(&b, e)
	h := w.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	w.Write(b.Bytes())
}

// writeErrorMessage writes an SDMX-ML 2.1 Error message.
func writeErrorMessage(b *bytes.Buffer, e *Error) {
	x := newXMLWriter(b)
	x.declaration()
	x.start("message:Error", "xmlns:message", nsMessage, "xmlns:common", nsCommon)
	x.start("message:ErrorMessage", "code", strconv.Itoa(e.Code))
	x.text("common:Text", e.Text, "xml:lang", "en")
	x.end("message:ErrorMessage")
	x.end("message:Error")
	x.flush()
}
