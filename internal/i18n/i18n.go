// Package i18n holds the message catalogues and formats numbers and dates
// for a language. A catalogue is a JSON file in locales/ named by its BCP 47
// tag; adding a language means adding a file, not code. English is complete
// and is the fallback for any message another catalogue lacks.
//
// A message is a string with {name} placeholders, or an object of CLDR
// plural forms ("zero", "one", "two", "few", "many", "other") chosen by the
// number passed as "n".
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.json
var localeFS embed.FS

// Fallback is the language whose catalogue is complete.
const Fallback = "en"

// Meta describes a catalogue's language and how it writes dates.
type Meta struct {
	Name       string   `json:"name"`        // the language's name in itself, e.g. "Français"
	Dir        string   `json:"dir"`         // ltr or rtl
	Months     []string `json:"months"`      // twelve month names, as used in dates
	DateFormat string   `json:"date_format"` // with {d}, {month}, {yyyy}, {mm}
	// Digits names the numbering system of numbers, e.g. "latn" for the
	// Western digits that UN documents in Arabic use; empty for the
	// language's default.
	Digits string `json:"digits,omitempty"`
}

// Locale is one language's catalogue.
type Locale struct {
	Tag      language.Tag
	Meta     Meta
	msgs     map[string]msg
	fallback *Locale
	printer  *message.Printer
	// dateParts is Meta.DateFormat split into text and placeholders.
	dateParts []string
}

// msg is a message: one text, or plural forms.
type msg struct {
	text  string
	forms map[plural.Form]string
}

func (m *msg) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &m.text)
	}
	var forms map[string]string
	if err := json.Unmarshal(b, &forms); err != nil {
		return fmt.Errorf("a message is a string or an object of plural forms: %w", err)
	}
	m.forms = map[plural.Form]string{}
	for k, v := range forms {
		f, ok := formNames[k]
		if !ok {
			return fmt.Errorf("unknown plural form %q", k)
		}
		m.forms[f] = v
	}
	if _, ok := m.forms[plural.Other]; !ok {
		return fmt.Errorf("plural forms need \"other\"")
	}
	return nil
}

var formNames = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// Bundle is every catalogue, and the matcher that picks one for a request.
type Bundle struct {
	locales map[string]*Locale
	tags    []language.Tag
	matcher language.Matcher
}

// Load reads the embedded catalogues.
func Load() (*Bundle, error) { return LoadFS(localeFS, "locales") }

// LoadFS reads catalogues from dir in fsys. Every catalogue must use only
// keys the fallback has, with the same placeholders.
func LoadFS(fsys fs.FS, dir string) (*Bundle, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	b := &Bundle{locales: map[string]*Locale{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".json")
		tag, err := language.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %q is not a language tag: %w", f, name, err)
		}
		if tag.String() != name {
			// Catalogues are found by their tag's canonical form.
			return nil, fmt.Errorf("catalogue %s: name the file %s.json, the canonical form of its language tag", f, tag.String())
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var file struct {
			Meta     Meta           `json:"_meta"`
			Messages map[string]msg `json:"messages"`
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&file); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", f, err)
		}
		if file.Meta.Dir != "ltr" && file.Meta.Dir != "rtl" {
			return nil, fmt.Errorf("catalogue %s: _meta.dir must be ltr or rtl", f)
		}
		if len(file.Meta.Months) != 12 || file.Meta.DateFormat == "" || file.Meta.Name == "" {
			return nil, fmt.Errorf("catalogue %s: _meta needs name, twelve months and date_format", f)
		}
		ptag := tag
		if file.Meta.Digits != "" {
			if ptag, err = language.Parse(name + "-u-nu-" + file.Meta.Digits); err != nil {
				return nil, fmt.Errorf("catalogue %s: _meta.digits: %w", f, err)
			}
		}
		b.locales[name] = &Locale{Tag: tag, Meta: file.Meta, msgs: file.Messages, printer: message.NewPrinter(ptag),
			dateParts: splitDateFormat(file.Meta.DateFormat)}
	}
	fb, ok := b.locales[Fallback]
	if !ok {
		return nil, fmt.Errorf("no %s catalogue in %s", Fallback, dir)
	}
	names := make([]string, 0, len(b.locales))
	for name := range b.locales {
		names = append(names, name)
	}
	sort.Strings(names)
	// The fallback comes first, so the matcher picks it when nothing fits.
	b.tags = append(b.tags, fb.Tag)
	for _, name := range names {
		l := b.locales[name]
		if name != Fallback {
			l.fallback = fb
			if err := checkAgainst(name, l, fb); err != nil {
				return nil, err
			}
			b.tags = append(b.tags, l.Tag)
		}
	}
	b.matcher = language.NewMatcher(b.tags)
	return b, nil
}

var placeholderRe = regexp.MustCompile(`\{[a-z_]+\}`)

func placeholders(m msg) []string {
	texts := []string{m.text}
	for _, t := range m.forms {
		texts = append(texts, t)
	}
	set := map[string]bool{}
	for _, t := range texts {
		for _, p := range placeholderRe.FindAllString(t, -1) {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func checkAgainst(name string, l, fb *Locale) error {
	for k, m := range l.msgs {
		f, ok := fb.msgs[k]
		if !ok {
			return fmt.Errorf("catalogue %s: message %q is not in the %s catalogue", name, k, Fallback)
		}
		got, want := placeholders(m), placeholders(f)
		extra := []string{}
		for _, p := range got {
			if !slices.Contains(want, p) {
				extra = append(extra, p)
			}
		}
		if len(extra) > 0 {
			return fmt.Errorf("catalogue %s: message %q uses %v, which the %s message does not", name, k, extra, Fallback)
		}
	}
	return nil
}

// Locales lists the catalogues, fallback first.
func (b *Bundle) Locales() []*Locale {
	out := make([]*Locale, 0, len(b.tags))
	for _, t := range b.tags {
		out = append(out, b.locales[t.String()])
	}
	return out
}

// Get returns the catalogue named exactly, or nil.
func (b *Bundle) Get(name string) *Locale { return b.locales[name] }

// Match picks a catalogue: the explicit choice if there is one, else the
// best match for an Accept-Language header, else the fallback.
func (b *Bundle) Match(choice, acceptLanguage string) *Locale {
	if l, ok := b.locales[choice]; ok {
		return l
	}
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, i, conf := b.matcher.Match(tags...)
	if conf == language.No {
		return b.locales[Fallback]
	}
	return b.locales[b.tags[i].String()]
}

// Code returns the catalogue's name, e.g. "fr".
func (l *Locale) Code() string { return l.Tag.String() }

// Has reports whether the catalogue or its fallback has the message.
func (l *Locale) Has(key string) bool {
	if _, ok := l.msgs[key]; ok {
		return true
	}
	return l.fallback != nil && l.fallback.Has(key)
}

// T returns the message for key with its placeholders filled from the
// name-value pairs in args. A missing message shows as its key, so it is
// seen and fixed rather than hidden.
func (l *Locale) T(key string, args ...any) string {
	m, ok := l.msgs[key]
	loc := l
	if !ok && l.fallback != nil {
		m, ok = l.fallback.msgs[key]
		loc = l.fallback
	}
	if !ok {
		return key
	}
	text := m.text
	if m.forms != nil {
		text = m.forms[plural.Other]
		if n, ok := lookupInt(args, "n"); ok {
			if f, ok := m.forms[formOf(loc.Tag, n)]; ok {
				text = f
			}
		}
	}
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name := fmt.Sprint(args[i])
		pairs = append(pairs, "{"+name+"}", l.format(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

func lookupInt(args []any, name string) (int, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			switch v := args[i+1].(type) {
			case int:
				return v, true
			case int64:
				return int(v), true
			}
		}
	}
	return 0, false
}

func formOf(tag language.Tag, n int) plural.Form {
	if n < 0 {
		n = -n
	}
	return plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)
}

// format writes a placeholder's value as the language writes it.
func (l *Locale) format(v any) string {
	switch x := v.(type) {
	case int, int64, int32:
		return l.printer.Sprintf("%d", x)
	case float64:
		return l.printer.Sprintf("%v", x)
	case time.Time:
		return l.Date(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// Number formats an integer with the language's digit grouping.
func (l *Locale) Number(n int) string { return l.printer.Sprintf("%d", n) }

// Decimal formats a number with the given number of decimals, with the
// language's digit grouping and decimal sign: 1,234.5 in English,
// 1 234,5 in French. A value that rounds to zero is written without a
// sign.
func (l *Locale) Decimal(v float64, decimals int) string {
	p := math.Pow(10, float64(decimals))
	if math.Round(v*p) == 0 {
		v = 0
	}
	return l.printer.Sprintf("%.*f", decimals, v)
}

// Date formats a date as the language writes it, e.g. "29 November 2026".
func (l *Locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	// The format is split into its literal text and placeholders once,
	// when the catalogue loads: pages such as the status annex format
	// thousands of dates.
	var b strings.Builder
	b.Grow(len(l.Meta.DateFormat) + 12)
	for _, part := range l.dateParts {
		switch part {
		case "{d}":
			b.WriteString(strconv.Itoa(t.Day()))
		case "{month}":
			b.WriteString(l.Meta.Months[t.Month()-1])
		case "{yyyy}":
			b.WriteString(strconv.Itoa(t.Year()))
		case "{mm}":
			if t.Month() < 10 {
				b.WriteByte('0')
			}
			b.WriteString(strconv.Itoa(int(t.Month())))
		default:
			b.WriteString(part)
		}
	}
	return b.String()
}

// splitDateFormat splits a date format into literal text and placeholders.
func splitDateFormat(f string) []string {
	var parts []string
	for f != "" {
		i := strings.IndexByte(f, '{')
		if i < 0 {
			return append(parts, f)
		}
		j := strings.IndexByte(f[i:], '}')
		if j < 0 {
			return append(parts, f)
		}
		if i > 0 {
			parts = append(parts, f[:i])
		}
		parts = append(parts, f[i:i+j+1])
		f = f[i+j+1:]
	}
	return parts
}

// DateTime formats a time in UTC as the language writes dates, with hours
// and minutes.
func (l *Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.T("format.datetime", "date", l.Date(t), "time", t.Format("15:04"))
}

type ctxKey struct{}

// WithLocale returns a context carrying the request's locale.
func WithLocale(ctx context.Context, l *Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the request's locale, or nil.
func FromContext(ctx context.Context) *Locale {
	l, _ := ctx.Value(ctxKey{}).(*Locale)
	return l
}
