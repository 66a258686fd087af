package i18n_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cpcj/cpcj/internal/i18n"
)

// testBundle loads catalogues made for the tests: English, and Arabic with
// all six plural forms.
func testBundle(t *testing.T) *i18n.Bundle {
	t.Helper()
	fsys := fstest.MapFS{
		"l/en.json": {Data: []byte(`{"_meta": {"name": "English", "dir": "ltr", "months": ["January","February","March","April","May","June","July","August","September","October","November","December"], "date_format": "{d} {month} {yyyy}"},
			"messages": {
				"files": {"one": "{n} file", "other": "{n} files"},
				"hello": "Hello, {name}",
				"only.english": "Only in English",
				"count": "{n} records on {date}"
			}}`)},
		"l/ar.json": {Data: []byte(`{"_meta": {"name": "العربية", "dir": "rtl", "months": ["1","2","3","4","5","6","7","8","9","10","11","12"], "date_format": "{d}/{mm}/{yyyy}"},
			"messages": {
				"files": {"zero": "zero {n}", "one": "one {n}", "two": "two {n}", "few": "few {n}", "many": "many {n}", "other": "other {n}"},
				"hello": "مرحبا {name}"
			}}`)},
	}
	b, err := i18n.LoadFS(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoad(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatalf("the shipped catalogues do not load: %v", err)
	}
	var codes []string
	for _, l := range b.Locales() {
		codes = append(codes, l.Code())
		if l.Meta.Name == "" || len(l.Meta.Months) != 12 {
			t.Errorf("%s: meta %+v", l.Code(), l.Meta)
		}
	}
	if len(codes) < 3 || codes[0] != "en" {
		t.Fatalf("locales %v, want English first, then at least French and Arabic", codes)
	}
	for code, dir := range map[string]string{"en": "ltr", "fr": "ltr", "ar": "rtl"} {
		l := b.Get(code)
		if l == nil {
			t.Fatalf("no %s catalogue", code)
		}
		if l.Meta.Dir != dir {
			t.Errorf("%s: dir %q, want %q", code, l.Meta.Dir, dir)
		}
		// The layout's own messages are in every shipped language.
		for _, key := range []string{"site.name", "nav.signin", "signin.title", "error.404.title"} {
			if code != "en" && l.T(key) == b.Get("en").T(key) {
				t.Errorf("%s: %q is not translated", code, key)
			}
		}
	}
	if b.Get("xx") != nil {
		t.Error(`Get("xx") is not nil`)
	}
}

// TestLoadRefuses checks the rules a catalogue must follow: LoadFS refuses
// a catalogue that breaks any of them, naming it.
func TestLoadRefuses(t *testing.T) {
	en := `{"_meta": {"name": "English", "dir": "ltr", "months": ["1","2","3","4","5","6","7","8","9","10","11","12"], "date_format": "{d}"},
		"messages": {"hello": "Hello, {name}", "files": {"one": "{n} file", "other": "{n} files"}}}`
	fr := func(messages string) string {
		return `{"_meta": {"name": "Français", "dir": "ltr", "months": ["1","2","3","4","5","6","7","8","9","10","11","12"], "date_format": "{d}"}, "messages": {` + messages + `}}`
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // in the error
	}{
		{"key English lacks", map[string]string{"en": en, "fr": fr(`"goodbye": "Au revoir"`)}, `"goodbye" is not in the en catalogue`},
		{"placeholder English lacks", map[string]string{"en": en, "fr": fr(`"hello": "Bonjour, {nom}"`)}, "{nom}"},
		{"placeholder in a plural form", map[string]string{"en": en, "fr": fr(`"files": {"one": "{n} fichier", "other": "{count} fichiers"}`)}, "{count}"},
		{"unknown plural form", map[string]string{"en": en, "fr": fr(`"files": {"single": "x", "other": "y"}`)}, `unknown plural form "single"`},
		{"plural without other", map[string]string{"en": en, "fr": fr(`"files": {"one": "x"}`)}, `need "other"`},
		{"message neither text nor forms", map[string]string{"en": en, "fr": fr(`"hello": 5`)}, "a message is a string or an object"},
		{"no English", map[string]string{"fr": fr(`"hello": "Bonjour"`)}, "no en catalogue"},
		{"bad direction", map[string]string{"en": strings.Replace(en, `"ltr"`, `"up"`, 1)}, "dir must be ltr or rtl"},
		{"eleven months", map[string]string{"en": strings.Replace(en, `"1",`, ``, 1)}, "twelve months"},
		{"unknown field", map[string]string{"en": strings.Replace(en, `"messages"`, `"extra": 1, "messages"`, 1)}, "unknown field"},
		{"not a language tag", map[string]string{"en": en, "not_a-tag!": fr(``)}, "is not a language tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys["l/"+name+".json"] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := i18n.LoadFS(fsys, "l")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	shipped, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	test := testBundle(t)
	for _, tc := range []struct {
		l    *i18n.Locale
		key  string
		n    any
		want string
	}{
		{shipped.Get("en"), "nav.unread", 1, "1 unread"},
		{shipped.Get("en"), "nav.unread", 1234, "1,234 unread"},
		{shipped.Get("en"), "kind.member_state.count", 1, "1 Member State"},
		{shipped.Get("en"), "kind.member_state.count", 193, "193 Member States"},
		{shipped.Get("en"), "kind.member_state.count", 0, "0 Member States"},
		{shipped.Get("en"), "kind.member_state.count", int64(2), "2 Member States"},
		// French counts zero as one.
		{shipped.Get("fr"), "nav.unread", 0, "0 non lue"},
		{shipped.Get("fr"), "nav.unread", 1, "1 non lue"},
		{shipped.Get("fr"), "nav.unread", 2, "2 non lues"},
		{test.Get("en"), "files", 1, "1 file"},
		{test.Get("en"), "files", -1, "-1 file"},
		{test.Get("en"), "files", 3, "3 files"},
		// Without n, or with n that is no whole number, "other" is used.
		{test.Get("en"), "files", nil, "{n} files"},
		{test.Get("en"), "files", "1", "1 files"},
		// Arabic has six forms.
		{test.Get("ar"), "files", 0, "zero ٠"},
		{test.Get("ar"), "files", 1, "one ١"},
		{test.Get("ar"), "files", 2, "two ٢"},
		{test.Get("ar"), "files", 5, "few ٥"},
		{test.Get("ar"), "files", 11, "many ١١"},
		{test.Get("ar"), "files", 100, "other ١٠٠"},
	} {
		var got string
		if tc.n == nil {
			got = tc.l.T(tc.key)
		} else {
			got = tc.l.T(tc.key, "n", tc.n)
		}
		if got != tc.want {
			t.Errorf("%s: T(%q, n=%v) = %q, want %q", tc.l.Code(), tc.key, tc.n, got, tc.want)
		}
	}
}

func TestFallback(t *testing.T) {
	b := testBundle(t)
	ar := b.Get("ar")
	if got := ar.T("only.english"); got != "Only in English" {
		t.Errorf("missing Arabic message: %q, want the English one", got)
	}
	if !ar.Has("only.english") || ar.Has("nowhere") {
		t.Error("Has does not look in the fallback, or finds what is nowhere")
	}
	// A message missing everywhere shows as its key, to be seen and fixed.
	if got := ar.T("nowhere.at.all"); got != "nowhere.at.all" {
		t.Errorf("missing message: %q, want its key", got)
	}
	if got := ar.T("hello", "name", "Amal"); got != "مرحبا Amal" {
		t.Errorf("placeholder: %q", got)
	}
	// Placeholders without a value, or values without a placeholder, are
	// left alone.
	if got := b.Get("en").T("hello"); got != "Hello, {name}" {
		t.Errorf("no value: %q", got)
	}
	if got := b.Get("en").T("hello", "name", "Ann", "other", 5, "odd"); got != "Hello, Ann" {
		t.Errorf("extra values: %q", got)
	}

	shipped, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The shipped French catalogue is partial: what it lacks is English.
	fr, en := shipped.Get("fr"), shipped.Get("en")
	if got := fr.T("signin.submit"); got != "Se connecter" {
		t.Errorf("fr signin.submit = %q", got)
	}
	if got, want := fr.T("form.filter"), "Appliquer"; got != want {
		t.Errorf("fr form.filter = %q, want %q", got, want)
	}
	if !fr.Has("footer.about") || fr.T("nowhere") != "nowhere" || en.T("nowhere") != "nowhere" {
		t.Error("French falls back wrongly")
	}
}

func TestNumber(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// French groups digits with a (no-break) space.
	spaces := strings.NewReplacer("\u00a0", " ", "\u202f", " ")
	for _, tc := range []struct {
		code string
		n    int
		want string
	}{
		{"en", 0, "0"},
		{"en", 999, "999"},
		{"en", 1234, "1,234"},
		{"en", 1234567, "1,234,567"},
		{"en", -1234, "-1,234"},
		{"fr", 1234, "1 234"},
		{"fr", 1234567, "1 234 567"},
		{"fr", 12, "12"},
	} {
		if got := spaces.Replace(b.Get(tc.code).Number(tc.n)); got != tc.want {
			t.Errorf("%s: Number(%d) = %q, want %q", tc.code, tc.n, got, tc.want)
		}
	}
	// Arabic is written with Western digits, as UN documents in Arabic are
	// (the catalogue's _meta.digits is "latn").
	if got := b.Get("ar").Number(1234); got != "1,234" {
		t.Errorf("ar: Number(1234) = %q", got)
	}
	// Decimals have the language's decimal sign, and no sign when they
	// round to zero.
	for _, tc := range []struct {
		code string
		v    float64
		d    int
		want string
	}{
		{"en", 1234567.25, 1, "1,234,567.2"},
		{"en", 6.4, 1, "6.4"},
		{"en", 6.4, 0, "6"},
		{"en", -0.04, 1, "0.0"},
		{"en", -12.5, 2, "-12.50"},
		{"fr", 1234.5, 1, "1 234,5"},
		{"ar", 1234.5, 1, "1,234.5"},
	} {
		if got := spaces.Replace(b.Get(tc.code).Decimal(tc.v, tc.d)); got != tc.want {
			t.Errorf("%s: Decimal(%v, %d) = %q, want %q", tc.code, tc.v, tc.d, got, tc.want)
		}
	}
	// Numbers given to messages are formatted the same way.
	if got := spaces.Replace(b.Get("fr").T("nav.unread", "n", 1234)); got != "1 234 non lues" {
		t.Errorf("fr nav.unread 1234 = %q", got)
	}
}

func TestDate(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, time.November, 29, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct{ code, date, datetime string }{
		{"en", "29 November 2026", "29 November 2026, 23:30 UTC"},
		{"fr", "29 novembre 2026", "29 novembre 2026, 23:30 UTC"},
		{"ar", "29 نوفمبر 2026", "29 نوفمبر 2026، الساعة 23:30 بالتوقيت العالمي"},
	} {
		l := b.Get(tc.code)
		if got := l.Date(day); got != tc.date {
			t.Errorf("%s: Date = %q, want %q", tc.code, got, tc.date)
		}
		if got := l.DateTime(day); got != tc.datetime {
			t.Errorf("%s: DateTime = %q, want %q", tc.code, got, tc.datetime)
		}
		if l.Date(time.Time{}) != "" || l.DateTime(time.Time{}) != "" {
			t.Errorf("%s: the zero time is not empty", tc.code)
		}
	}
	// DateTime is in UTC, whatever the time's zone: 01:30 in Nairobi on the
	// 30th is 22:30 UTC on the 29th.
	nairobi := time.FixedZone("EAT", 3*3600)
	if got := b.Get("fr").DateTime(time.Date(2026, time.November, 30, 1, 30, 0, 0, nairobi)); got != "29 novembre 2026, 22:30 UTC" {
		t.Errorf("DateTime across midnight = %q", got)
	}
	// A date given to a message is written in its language, with the
	// catalogue's format and month names.
	if got := testBundle(t).Get("ar").T("count", "n", 3, "date", day); got != "٣ records on 29/11/2026" {
		t.Errorf("date placeholder = %q", got)
	}
	if got := testBundle(t).Get("en").T("count", "n", 2500, "date", day); got != "2,500 records on 29 November 2026" {
		t.Errorf("date placeholder = %q", got)
	}
}

func TestMatch(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ choice, accept, want string }{
		{"", "", "en"},
		{"", "fr", "fr"},
		{"", "fr-CH, fr;q=0.9, en;q=0.8", "fr"},
		{"", "fr-CA", "fr"},
		{"", "ar-EG,ar;q=0.9", "ar"},
		{"", "en-GB", "en"},
		{"", "de-DE, de;q=0.9", "en"},
		{"", "zh, ja;q=0.5", "en"},
		{"", "de, fr;q=0.5", "fr"},
		{"", "en;q=0.1, ar;q=0.9", "ar"},
		{"", "*", "en"},
		{"", "not a header;;;q=x", "en"},
		// An explicit choice wins over the browser's.
		{"fr", "ar", "fr"},
		{"ar", "", "ar"},
		// An unknown choice is ignored.
		{"xx", "fr", "fr"},
		{"FR", "", "en"},
	} {
		if got := b.Match(tc.choice, tc.accept).Code(); got != tc.want {
			t.Errorf("Match(%q, %q) = %s, want %s", tc.choice, tc.accept, got, tc.want)
		}
	}
}

func TestContext(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if i18n.FromContext(ctx) != nil {
		t.Error("a bare context has a locale")
	}
	if got := i18n.FromContext(i18n.WithLocale(ctx, b.Get("ar"))); got != b.Get("ar") {
		t.Errorf("FromContext = %v", got)
	}
}
