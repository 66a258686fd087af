// Package civil is the calendar date that the programme's records carry:
// a deposit, a signature, a due date. It has no time of day and no zone,
// and is written ISO 8601 (YYYY-MM-DD) everywhere: JSON, CSV, SQL, forms.
package civil

import (
	"encoding/json"
	"fmt"
	"time"
)

// Layout is how dates are written.
const Layout = "2006-01-02"

// Date is a calendar date. The zero Date is "no date".
type Date struct{ t time.Time }

// Parse reads a date written YYYY-MM-DD.
func Parse(s string) (Date, error) {
	t, err := time.Parse(Layout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// MustParse is Parse for dates written in code; it panics on a bad one.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Of returns the calendar date of t in UTC.
func Of(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return New(y, m, d)
}

// New returns the date of year, month and day.
func New(year int, month time.Month, day int) Date {
	return Date{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// Today returns the current date in UTC.
func Today() Date { return Of(time.Now()) }

// IsZero reports whether d is no date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return d.t }

// Year returns the date's year.
func (d Date) Year() int { return d.t.Year() }

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.t.Compare(e.t) }

// String writes the date as YYYY-MM-DD, or "" for no date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(Layout)
}

// MarshalJSON writes the date as a JSON string, or null for no date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a date from a JSON string (or null).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date is a string YYYY-MM-DD")
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
