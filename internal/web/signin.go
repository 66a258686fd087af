package web

import (
	"net/http"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
)

// signinForm is the data of the sign-in page.
type signinForm struct {
	Email string
	Next  string
	Error string
}

// SignInForm shows the sign-in page.
func (h *Handler) SignInForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if access.FromContext(r.Context()).SignedIn() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "signin", "signin", signinForm{Next: next})
}

// SignIn checks the credentials and starts a session.
func (h *Handler) SignIn(w http.ResponseWriter, r *http.Request) {
	email, pw := r.PostForm.Get("email"), r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"))
	meta := audit.MetaFrom(r.Context())
	_, token, err := h.accounts.SignIn(r.Context(), email, pw, meta.Address, r.UserAgent())
	if err != nil {
		status := fail.Status(err)
		if status >= 500 {
			h.Error(w, r, err)
			return
		}
		msg := h.Locale(r).T("signin.failed")
		if fail.Is(err, fail.TooMany) {
			msg = h.message(r, err)
		}
		h.render(w, r, status, "signin", "signin", signinForm{Email: email, Next: next, Error: msg})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie(h.secure), Value: token, Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode, Expires: time.Now().Add(account.SessionLifetime)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// SignOut ends the session.
func (h *Handler) SignOut(w http.ResponseWriter, r *http.Request) {
	a := access.FromContext(r.Context())
	if c, err := r.Cookie(SessionCookie(h.secure)); err == nil && a.SignedIn() {
		if err := h.accounts.SignOut(r.Context(), a, c.Value); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie(h.secure), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode})
	redirectDone(w, r, "/", "signed_out")
}

// Language records the visitor's choice of language: on the account when
// signed in, in a cookie otherwise.
func (h *Handler) Language(w http.ResponseWriter, r *http.Request) {
	code := r.PostForm.Get("lang")
	if h.bundle.Get(code) == nil {
		h.Error(w, r, fail.Field("lang", "%q is not a language cpcj speaks", code))
		return
	}
	a := access.FromContext(r.Context())
	if a.SignedIn() {
		if err := h.store.SetLocale(r.Context(), a, code); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: h.langCookie(), Value: code, Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, localPath(r.PostForm.Get("back")), http.StatusSeeOther)
}
