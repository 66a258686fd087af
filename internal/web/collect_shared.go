package web

import (
	"slices"
	"strings"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/stats"
)

// What the collection's pages, the State's and the secretariat's, share:
// the day they are of, and the words for statuses and cells.

// collectDay is the day the collection's pages are of: the collection
// service's, so that every page agrees on what is open and overdue.
func (h *Handler) collectDay() civil.Date { return civil.Of(h.collect.Now()) }

// label names a value for people by its message, the prefix and the
// value; a value the catalogue does not know is shown as it is.
func label(l *i18n.Locale, prefix, value string) string {
	if key := prefix + value; l.Has(key) {
		return l.T(key)
	}
	return value
}

// statusLabel names the status of a State's table for people.
func statusLabel(l *i18n.Locale, s collect.Status) string {
	return label(l, "collrev.status.", string(s))
}

// queryStatusLabel names the status of a query for people.
func queryStatusLabel(l *i18n.Locale, s collect.QueryStatus) string {
	return label(l, "collrev.query.", string(s))
}

// obsLabel names an observation status other than normal; "" for normal.
func obsLabel(l *i18n.Locale, s string) string {
	if s == "" || s == stats.StatusNormal {
		return ""
	}
	return label(l, "answer.obs.", s)
}

// axisLabel is the label of the code at position i of an axis, or the
// code.
func axisLabel(a collect.Axis, i int) string {
	if i < len(a.Labels) && a.Labels[i] != "" {
		return a.Labels[i]
	}
	return a.Codes[i]
}

// codeLabel is the label an axis gives a code, or the code.
func codeLabel(a collect.Axis, code string) string {
	if i := slices.Index(a.Codes, code); i >= 0 {
		return axisLabel(a, i)
	}
	return code
}

// cellLabel names the cell of a table that a key falls in: its row and
// column labels, and whether it is the rate.
func cellLabel(l *i18n.Locale, t collect.Table, k stats.Key) string {
	c, rate, ok := t.Locate(k)
	if !ok {
		return k.String()
	}
	parts := []string{codeLabel(t.Rows, c.Row)}
	if t.Cols.Dim != "" {
		parts = append(parts, codeLabel(t.Cols, c.Col))
	}
	s := strings.Join(parts, " — ")
	if rate {
		s += " (" + l.T("collrev.values.rate") + ")"
	}
	return s
}

// rateKey returns the key of the rate per 100,000 beside a count.
func rateKey(k stats.Key) stats.Key {
	k[stats.DimUnit] = stats.UnitRate
	return k
}

// answerErr is the message of a refusal shown beside the form it is
// about, which needs no field name before it.
func answerErr(err error) string {
	if e := fail.As(err); e != nil && e.Message != "" {
		return e.Message
	}
	return err.Error()
}
