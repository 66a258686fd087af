package api

import (
	"net/http"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
)

// NewUser is the body of POST /api/v1/users.
type NewUser struct {
	Email       string      `json:"email"`
	Name        string      `json:"name"`
	Role        access.Role `json:"role"`
	State       string      `json:"state,omitempty"`
	Contributor string      `json:"contributor,omitempty"`
	Password    string      `json:"password"`
}

// UserPatch is the body of PATCH /api/v1/users/{id}; absent fields stay.
type UserPatch struct {
	Name        *string      `json:"name,omitempty"`
	Role        *access.Role `json:"role,omitempty"`
	State       *string      `json:"state,omitempty"`
	Contributor *string      `json:"contributor,omitempty"`
	Disabled    *bool        `json:"disabled,omitempty"`
}

// ListUsers answers GET /api/v1/users: the accounts the caller's scope
// covers.
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		q, err := query(r, "role", "state", "q", "limit", "offset")
		if err != nil {
			return nil, err
		}
		limit, offset, err := paging(q)
		if err != nil {
			return nil, err
		}
		f := account.UserFilter{State: strings.ToUpper(q.Get("state")), Query: q.Get("q"), Limit: limit, Offset: offset}
		if s := q.Get("role"); s != "" {
			if f.Role, err = access.ParseRole(s); err != nil {
				return nil, err
			}
		}
		if f.State != "" && !state.ValidCode(f.State) {
			return nil, fail.Field("state", "%q is not an ISO 3166-1 alpha-3 code", f.State)
		}
		if err := access.Check(by, access.ReadUsers, by.State); err != nil {
			return nil, err
		}
		list, total, err := h.Accounts.Store.Users(r.Context(), by, f)
		if err != nil {
			return nil, err
		}
		return List[account.User]{Items: list, Total: total, Limit: limit, Offset: offset, Next: nextURL(r, limit, offset, total)}, nil
	})
}

// GetUser answers GET /api/v1/users/{id}.
func (h *Handler) GetUser(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		return h.Accounts.Store.User(r.Context(), by, id)
	})
}

// CreateUser answers POST /api/v1/users.
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusCreated, func(by access.Actor) (any, error) {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return nil, err
		}
		var in NewUser
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		u, err := h.Accounts.CreateUser(r.Context(), by, account.User{Email: in.Email, Name: in.Name, Role: in.Role, State: in.State, Contributor: in.Contributor}, in.Password)
		if err != nil {
			return nil, err
		}
		w.Header().Set("Location", Prefix+"/users/"+itoa(u.ID))
		return u, nil
	})
}

// UpdateUser answers PATCH /api/v1/users/{id}.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(by access.Actor) (any, error) {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return nil, err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return nil, err
		}
		var p UserPatch
		if err := decode(r, &p); err != nil {
			return nil, err
		}
		u, err := h.Accounts.Store.User(r.Context(), by, id)
		if err != nil {
			return nil, err
		}
		if p.Name != nil {
			u.Name = *p.Name
		}
		if p.Role != nil {
			u.Role = *p.Role
		}
		if p.State != nil {
			u.State = *p.State
		}
		if p.Contributor != nil {
			u.Contributor = *p.Contributor
		}
		if p.Disabled != nil {
			u.Disabled = *p.Disabled
		}
		return h.Accounts.UpdateUser(r.Context(), by, u)
	})
}
