// Package fail defines the few kinds of error that cpcj distinguishes.
//
// Domain and storage code return these kinds; the HTTP and CLI edges turn
// them into a status code or exit status in one place each. A message meant
// for users travels with the error; anything else stays in the log.
package fail

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the edges.
type Kind string

// The kinds of error. Anything that is not a *Error is Internal.
const (
	Internal     Kind = "internal"
	Invalid      Kind = "invalid"
	NotFound     Kind = "not_found"
	Conflict     Kind = "conflict"
	Unauthorized Kind = "unauthorized" // not signed in, or bad credentials
	Forbidden    Kind = "forbidden"
	TooMany      Kind = "too_many"
	TooLarge     Kind = "too_large"
	Unavailable  Kind = "unavailable"
)

// Error is an error with a kind, a message safe to show to users and,
// for invalid input, the field or parameter at fault.
type Error struct {
	Kind    Kind
	Field   string // offending field, parameter or header; empty if none
	Message string // safe for users: never contains secrets or internals
	// RetryAfter is the number of seconds after which a TooMany request may be retried.
	RetryAfter int
	// Key names the message in the catalogues, for pages that show it in
	// the reader's language; Args fill its placeholders, as name-value
	// pairs. Message is the English text, which the API sends.
	Key  string
	Args []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// New returns an error of the given kind with a formatted user message.
func New(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error naming the offending field.
func Field(field, format string, args ...any) error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err, looking through wrapping; Internal when err
// carries no kind.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the *Error inside err, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Is reports whether err is of the given kind.
func Is(err error, kind Kind) bool { return KindOf(err) == kind }

// Status returns the HTTP status for err. The edges call it once, where they
// write the response.
func Status(err error) int {
	switch KindOf(err) {
	case Invalid:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Conflict:
		return 409
	case TooLarge:
		return 413
	case TooMany:
		return 429
	case Unavailable:
		return 503
	}
	return 500
}
