package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
)

// Cookie names. Over TLS they carry the __Host- prefix, which browsers
// accept only from a secure origin for the whole site, so no subdomain can
// plant one.
func cookieName(base string, secure bool) string {
	if secure {
		return "__Host-" + base
	}
	return base
}

// SessionCookie is the name of the session cookie.
func SessionCookie(secure bool) string { return cookieName("cpcj_session", secure) }

func (h *Handler) csrfCookie() string { return cookieName("cpcj_csrf", h.secure) }
func (h *Handler) langCookie() string { return cookieName("cpcj_lang", h.secure) }

// LangCookie is the name of the cookie holding a signed-out visitor's
// language.
func LangCookie(secure bool) string { return cookieName("cpcj_lang", secure) }

// csrfToken returns the token forms must carry: the session's for a
// signed-in user, and otherwise a random one kept in a cookie (the
// double-submit pattern), set here if the browser has none yet.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if a := access.FromContext(r.Context()); a.SessionCSRF != "" {
		return a.SessionCSRF
	}
	if c, err := r.Cookie(h.csrfCookie()); err == nil && len(c.Value) >= 20 {
		return c.Value
	}
	v := account.NewSecret(24)
	http.SetCookie(w, &http.Cookie{Name: h.csrfCookie(), Value: v, Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteStrictMode})
	return v
}

// CSRF refuses a state-changing form whose csrf field does not match the
// session's token (or the cookie's, when signed out). Browsers also send
// Sec-Fetch-Site and Origin, which the server checks for every request
// before this; the token is the second line for older browsers.
func (h *Handler) CSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		want := ""
		if a := access.FromContext(r.Context()); a.SessionCSRF != "" {
			want = a.SessionCSRF
		} else if c, err := r.Cookie(h.csrfCookie()); err == nil {
			want = c.Value
		}
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			// Files beyond this stay on disk until the handler reads them.
			err = r.ParseMultipartForm(8 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			h.Error(w, r, formError(err))
			return
		}
		for name, vals := range r.PostForm {
			for _, v := range vals {
				if !utf8.ValidString(v) || !utf8.ValidString(name) {
					h.Error(w, r, fail.Field(name, "is not valid UTF-8 text"))
					return
				}
			}
		}
		got := r.PostForm.Get("csrf")
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			h.Error(w, r, fail.New(fail.Forbidden, "%s", h.Locale(r).T("error.csrf")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func formError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &fail.Error{Kind: fail.TooLarge, Message: "The form is larger than the server accepts."}
	}
	return fail.New(fail.Invalid, "The form could not be read.")
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localPath returns next if it is a path on this site, else "/", so that
// the sign-in form cannot be used to send people elsewhere.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}
