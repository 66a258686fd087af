package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
)

// accountPage is the data of the account page.
type accountPage struct {
	User        account.User
	Tokens      []account.Token
	NewToken    string // a token just made, shown once
	NewName     string
	PasswordErr string
	TokenErr    string
}

func (h *Handler) accountData(r *http.Request) (accountPage, error) {
	a := access.FromContext(r.Context())
	if err := access.Check(a, access.UseAccount, ""); err != nil {
		return accountPage{}, err
	}
	u, err := h.accounts.Store.User(r.Context(), a, a.UserID)
	if err != nil {
		return accountPage{}, err
	}
	tokens, err := h.accounts.Store.Tokens(r.Context(), a, a.UserID)
	return accountPage{User: u, Tokens: tokens}, err
}

// Account shows the signed-in user's account.
func (h *Handler) Account(w http.ResponseWriter, r *http.Request) {
	d, err := h.accountData(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "account", "account", d)
}

// ChangePassword handles the password form.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) {
	a := access.FromContext(r.Context())
	current, next, again := r.PostForm.Get("current"), r.PostForm.Get("password"), r.PostForm.Get("confirm")
	var err error
	if next != again {
		err = fail.Field("confirm", "%s", h.Locale(r).T("account.password.mismatch"))
	} else {
		token := ""
		if c, cerr := r.Cookie(SessionCookie(h.secure)); cerr == nil {
			token = c.Value
		}
		err = h.accounts.ChangePassword(r.Context(), a, token, current, next)
	}
	if err != nil {
		if fail.Status(err) >= 500 || fail.Is(err, fail.Unauthorized) {
			h.Error(w, r, err)
			return
		}
		d, derr := h.accountData(r)
		if derr != nil {
			h.Error(w, r, derr)
			return
		}
		d.PasswordErr = fieldMessage(err)
		h.render(w, r, fail.Status(err), "account", "account", d)
		return
	}
	redirectDone(w, r, "/account", "password_changed")
}

// CreateToken handles the new-token form; the page shows the secret once.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) {
	a := access.FromContext(r.Context())
	name := r.PostForm.Get("name")
	days, _ := strconv.Atoi(r.PostForm.Get("days"))
	_, secret, err := h.accounts.CreateToken(r.Context(), a, name, time.Duration(days)*24*time.Hour)
	d, derr := h.accountData(r)
	if derr != nil {
		h.Error(w, r, derr)
		return
	}
	status := http.StatusOK
	if err != nil {
		if fail.Status(err) >= 500 {
			h.Error(w, r, err)
			return
		}
		d.TokenErr, d.NewName, status = fieldMessage(err), name, fail.Status(err)
	}
	d.NewToken = secret
	h.render(w, r, status, "account", "account", d)
}

// RevokeToken handles the revoke button of a token.
func (h *Handler) RevokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	if err := h.accounts.Store.RevokeToken(r.Context(), access.FromContext(r.Context()), id); err != nil {
		h.Error(w, r, err)
		return
	}
	redirectDone(w, r, "/account", "token_revoked")
}

// Notifications lists the user's notifications.
func (h *Handler) Notifications(w http.ResponseWriter, r *http.Request) {
	a := access.FromContext(r.Context())
	list, err := h.store.Notifications(r.Context(), a, false, 200)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "notifications", "notifications", list)
}

// ReadNotifications marks all of the user's notifications as read.
func (h *Handler) ReadNotifications(w http.ResponseWriter, r *http.Request) {
	if err := h.store.MarkRead(r.Context(), access.FromContext(r.Context()), 0); err != nil {
		h.Error(w, r, err)
		return
	}
	redirectDone(w, r, "/notifications", "notifications_read")
}

// fieldMessage is the user-facing text of a validation error.
func fieldMessage(err error) string {
	if e := fail.As(err); e != nil {
		return e.Message
	}
	return err.Error()
}
