package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
	"github.com/cpcj/cpcj/internal/web"
)

// keyRe finds what looks like a message key in a page, since a catalogue
// shows a missing message as its key: a word that starts as an English key
// does, followed by dotted parts.
func keyRe(t testing.TB) *regexp.Regexp {
	t.Helper()
	raw, err := os.ReadFile("../i18n/locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var en struct {
		Messages map[string]json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(raw, &en); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var prefixes []string
	for k := range en.Messages {
		p, _, _ := strings.Cut(k, ".")
		if !seen[p] {
			seen[p] = true
			prefixes = append(prefixes, regexp.QuoteMeta(p))
		}
	}
	sort.Strings(prefixes)
	return regexp.MustCompile(`(?:^|[\s>"'(])((?:` + strings.Join(prefixes, "|") + `)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)(?:$|[\s<"',)])`)
}

// TestPagesRender renders every page of the route table for every role the
// authorization matrix lets see it, in every language, and checks that it
// is a whole page in that language with no message missing.
func TestPagesRender(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, everyone...)
		other := newOtherState(t, h)
		bundle, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		keys := keyRe(t)
		pages := 0
		for _, rt := range h.srv.Routes() {
			method, pattern, _ := strings.Cut(rt.Pattern, " ")
			if rt.Kind != server.Page || method != http.MethodGet || downloads[rt.Pattern] != "" {
				continue
			}
			w, ok := authzWant[rt.Pattern]
			if !ok {
				t.Errorf("page %s has no row in authzWant", rt.Pattern)
				continue
			}
			path := other.fill(t, pattern)
			for i, role := range matrixRoles {
				if w[i] != http.StatusOK {
					continue
				}
				for _, l := range bundle.Locales() {
					t.Run(rt.Pattern+"/"+role+"/"+l.Code(), func(t *testing.T) {
						pages++
						r := h.do(t, call{path: path, as: h.actors[role], header: map[string]string{"Accept-Language": l.Code()}})
						if r.status != http.StatusOK {
							t.Fatalf("status %d\n%s", r.status, r)
						}
						if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
							t.Errorf("Content-Type %q", ct)
						}
						if got := r.header.Get("Content-Language"); got != l.Code() {
							t.Errorf("Content-Language %q, want %q", got, l.Code())
						}
						if want := `<html lang="` + l.Code() + `" dir="` + l.Meta.Dir + `">`; !strings.HasPrefix(r.body, "<!doctype html>\n"+want) {
							t.Errorf("page does not start with %s\n%s", want, r)
						}
						if !strings.HasSuffix(strings.TrimSpace(r.body), "</html>") {
							t.Errorf("page is cut short\n%s", r)
						}
						for _, m := range keys.FindAllStringSubmatch(r.body, -1) {
							t.Errorf("page shows the message key %q: the message is missing", m[1])
						}
					})
				}
			}
		}
		if pages < 50 {
			t.Errorf("rendered only %d pages", pages)
		}
		if n := h.logs.errorCount(); n > 0 {
			t.Errorf("the server logged %d errors", n)
		}
	})
}

// TestErrorPages renders the error pages the UI can show.
func TestErrorPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite), expertKey)
	keys := keyRe(t)
	for _, tc := range []struct {
		name   string
		c      call
		status int
	}{
		{"no such page", call{path: "/no/such/page"}, 404},
		{"no such page, in Arabic", call{path: "/no/such/page", header: map[string]string{"Accept-Language": "ar"}}, 404},
		{"no such State", call{path: "/states/ZZZ"}, 404},
		{"bad State code", call{path: "/states/12"}, 404},
		{"no such source", call{path: "/sources/nothing"}, 404},
		{"no such static file", call{path: "/static/nothing.css"}, 404},
		{"unknown method", call{method: "DELETE", path: "/states"}, 404},
		{"unknown POST", call{method: "POST", path: "/nowhere", form: url.Values{}}, 404},
		{"forbidden", call{path: "/audit", as: h.actors[expertKey]}, 403},
		{"forbidden, in French", call{path: "/audit", as: h.actors[expertKey], header: map[string]string{"Accept-Language": "fr"}}, 403},
		{"unknown language", call{method: "POST", path: "/language", form: url.Values{"lang": {"xx"}}}, 400},
		{"form too large", call{method: "POST", path: "/language", form: url.Values{"lang": {strings.Repeat("x", maxBody)}}}, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.c)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, r)
			}
			if !strings.Contains(r.body, "<html lang=") || !strings.Contains(r.body, "</html>") {
				t.Errorf("not a whole page\n%s", r)
			}
			for _, m := range keys.FindAllStringSubmatch(r.body, -1) {
				t.Errorf("page shows the message key %q", m[1])
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey)
		fp := h.actors[focalPointKey]
		accept := func(tag string) map[string]string { return map[string]string{"Accept-Language": tag} }

		r := h.do(t, call{path: "/signin", header: accept("fr-CH, fr;q=0.9, en;q=0.5")})
		if !strings.Contains(r.body, `<html lang="fr" dir="ltr">`) || !strings.Contains(r.body, "Se connecter") {
			t.Errorf("French sign-in page:\n%s", r)
		}
		r = h.do(t, call{path: "/signin", header: accept("ar")})
		if !strings.Contains(r.body, `<html lang="ar" dir="rtl">`) || !strings.Contains(r.body, "تسجيل الدخول") {
			t.Errorf("Arabic sign-in page:\n%s", r)
		}
		for _, tag := range []string{"", "de-DE", "*", "x;;q=bad", "zh, ja;q=0.5"} {
			if r := h.do(t, call{path: "/signin", header: accept(tag)}); !strings.Contains(r.body, `<html lang="en" dir="ltr">`) {
				t.Errorf("Accept-Language %q: not English", tag)
			}
		}

		// The public's choice is kept in a cookie.
		r = h.do(t, call{method: "POST", path: "/language", form: url.Values{"lang": {"fr"}, "back": {"/states"}}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/states" {
			t.Fatalf("language form: %s", r)
		}
		var lang *http.Cookie
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == web.LangCookie(false) {
				lang = c
			}
		}
		if lang == nil || lang.Value != "fr" || !lang.HttpOnly || lang.Path != "/" {
			t.Fatalf("language cookie %+v", lang)
		}
		req := h.request(t, call{path: "/states", header: accept("ar")})
		req.AddCookie(lang)
		if r := h.send(t, req); !strings.Contains(r.body, `<html lang="fr"`) {
			t.Errorf("with the cookie, the page is not French\n%s", r)
		}
		// The form cannot send anyone off the site.
		for _, back := range []string{"https://evil.example/", "//evil.example", `/\evil.example`} {
			r := h.do(t, call{method: "POST", path: "/language", form: url.Values{"lang": {"en"}, "back": {back}}})
			if r.header.Get("Location") != "/" {
				t.Errorf("back=%q leads to %q", back, r.header.Get("Location"))
			}
		}

		// A signed-in user's choice is kept on the account, over the
		// browser's.
		if r := h.do(t, call{method: "POST", path: "/language", as: fp, form: url.Values{"lang": {"ar"}, "back": {"/account"}}}); r.status != http.StatusSeeOther {
			t.Fatalf("language form, signed in: %s", r)
		}
		if r := h.do(t, call{path: "/account", as: fp, header: accept("fr")}); !strings.Contains(r.body, `<html lang="ar" dir="rtl">`) {
			t.Errorf("the account's language is not used\n%s", r)
		}
	})
}

// TestAdminEditKeepsLanguage checks that an administrator changing an
// account through its form leaves the language its owner chose.
func TestAdminEditKeepsLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, adminKey, expertKey)
		ex, admin := h.actors[expertKey], h.actors[adminKey]
		if r := h.do(t, call{method: "POST", path: "/language", as: ex, form: url.Values{"lang": {"ar"}}}); r.status != http.StatusSeeOther {
			t.Fatalf("language form: %s", r)
		}
		r := h.do(t, call{method: "POST", path: fmt.Sprintf("/admin/users/%d", ex.user.ID), as: admin,
			form: url.Values{"name": {"Eli Renamed"}, "role": {"expert"}, "state": {"KEN"}}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("account form: %s", r)
		}
		var u account.User
		decodeJSON(t, h.do(t, call{path: "/api/v1/me", as: ex, via: viaToken}), http.StatusOK, &u)
		if u.Name != "Eli Renamed" || u.Locale != "ar" {
			t.Errorf("after the edit: name %q, language %q; want Eli Renamed, ar", u.Name, u.Locale)
		}
		if r := h.get(t, "/account", ex); !strings.Contains(r.body, `<html lang="ar" dir="rtl">`) {
			t.Errorf("the account page is no longer in Arabic")
		}
	})
}
