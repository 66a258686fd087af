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

// signedIn serves fn for signed-in callers only: the routes of /me.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, status int, fn func(by access.Actor) (any, error)) {
	h.serve(w, r, status, func(by access.Actor) (any, error) {
		if err := access.Check(by, access.UseAccount, ""); err != nil {
			return nil, err
		}
		return fn(by)
	})
}

// Me answers GET /api/v1/me: the caller's own account.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) {
	h.signedIn(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		return h.Accounts.Store.User(r.Context(), by, by.UserID)
	})
}

// ListTokens answers GET /api/v1/me/tokens.
func (h *Handler) ListTokens(w http.ResponseWriter, r *http.Request) {
	h.signedIn(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		list, err := h.Accounts.Store.Tokens(r.Context(), by, by.UserID)
		return List[account.Token]{Items: list, Total: len(list), Limit: len(list)}, err
	})
}

// CreateToken answers POST /api/v1/me/tokens.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) {
	h.signedIn(w, r, http.StatusCreated, func(by access.Actor) (any, error) {
		var in NewToken
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		t, secret, err := h.Accounts.CreateToken(r.Context(), by, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
		return CreatedToken{Token: t, Secret: secret}, err
	})
}

// RevokeToken answers DELETE /api/v1/me/tokens/{id}.
func (h *Handler) RevokeToken(w http.ResponseWriter, r *http.Request) {
	h.signedIn(w, r, http.StatusNoContent, func(by access.Actor) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return nil, h.Accounts.Store.RevokeToken(r.Context(), by, id)
	})
}

// ListNotifications answers GET /api/v1/me/notifications.
func (h *Handler) ListNotifications(w http.ResponseWriter, r *http.Request) {
	h.signedIn(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		q, err := query(r, "unread", "limit")
		if err != nil {
			return nil, err
		}
		limit, _, err := paging(q)
		if err != nil {
			return nil, err
		}
		unread, _ := strconv.ParseBool(q.Get("unread"))
		list, err := h.Notes.Notifications(r.Context(), by, unread, limit)
		return List[notify.Notification]{Items: list, Total: len(list), Limit: limit}, err
	})
}

// ReadNotification answers POST /api/v1/me/notifications/{id}/read.
func (h *Handler) ReadNotification(w http.ResponseWriter, r *http.Request) {
	h.signedIn(w, r, http.StatusNoContent, func(by access.Actor) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return nil, h.Notes.MarkRead(r.Context(), by, id)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
