package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/notify"
)

// NewToken is the body of POST /api/v1/me/tokens.
type NewToken struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days,omitempty"` // 0 for a token that does not expire
}

// CreatedToken is the answer to POST /api/v1/me/tokens. The secret is
// shown this once and never again.
type CreatedToken struct {
	account.Token
	Secret string `json:"secret"`
}

// Me answers GET /api/v1/me: the caller's own account.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		Error(w, r, h.Log, err)
		return
	}
	u, err := h.Accounts.Store.User(r.Context(), by, by.UserID)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// ListTokens answers GET /api/v1/me/tokens.
func (h *Handler) ListTokens(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		Error(w, r, h.Log, err)
		return
	}
	list, err := h.Accounts.Store.Tokens(r.Context(), by, by.UserID)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, List[account.Token]{Items: list, Total: len(list), Limit: len(list)})
}

// CreateToken answers POST /api/v1/me/tokens.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		Error(w, r, h.Log, err)
		return
	}
	var in NewToken
	if err := decode(r, &in); err != nil {
		Error(w, r, h.Log, err)
		return
	}
	t, secret, err := h.Accounts.CreateToken(r.Context(), by, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, CreatedToken{Token: t, Secret: secret})
}

// RevokeToken answers DELETE /api/v1/me/tokens/{id}.
func (h *Handler) RevokeToken(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	id, err := pathID(r, "id")
	if err == nil {
		err = access.Check(by, access.UseAccount, "")
	}
	if err == nil {
		err = h.Accounts.Store.RevokeToken(r.Context(), by, id)
	}
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ListNotifications answers GET /api/v1/me/notifications.
func (h *Handler) ListNotifications(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	q, err := query(r, "unread", "limit")
	if err == nil {
		err = access.Check(by, access.UseAccount, "")
	}
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	limit, _, err := paging(q)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	unread, _ := strconv.ParseBool(q.Get("unread"))
	list, err := h.Notes.Notifications(r.Context(), by, unread, limit)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, List[notify.Notification]{Items: list, Total: len(list), Limit: limit})
}

// ReadNotification answers POST /api/v1/me/notifications/{id}/read.
func (h *Handler) ReadNotification(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	id, err := pathID(r, "id")
	if err == nil {
		err = h.Notes.MarkRead(r.Context(), by, id)
	}
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
