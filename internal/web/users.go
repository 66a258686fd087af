package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
)

// usersPage is the data of the accounts list and forms.
type usersPage struct {
	Users   []account.User
	Total   int
	Filter  account.UserFilter
	States  []state.Participant
	Roles   []access.Role
	Form    account.User // the form being filled in
	Err     string
	ErrFor  string // the field at fault
	Editing bool
}

func (h *Handler) usersData(r *http.Request, f account.UserFilter) (usersPage, error) {
	a := access.FromContext(r.Context())
	if err := access.Check(a, access.ReadUsers, a.State); err != nil {
		return usersPage{}, err
	}
	list, total, err := h.accounts.Store.Users(r.Context(), a, f)
	if err != nil {
		return usersPage{}, err
	}
	states, _, err := h.store.Participants(r.Context(), state.Filter{})
	if err != nil {
		return usersPage{}, err
	}
	return usersPage{Users: list, Total: total, Filter: f, States: states, Roles: access.Roles}, nil
}

// Users lists the accounts the user's scope covers, with the form to add one
// for admins.
func (h *Handler) Users(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := account.UserFilter{State: strings.ToUpper(q.Get("state")), Query: q.Get("q"), Limit: 500}
	if role, err := access.ParseRole(q.Get("role")); err == nil {
		f.Role = role
	}
	d, err := h.usersData(r, f)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d.Form.Role = access.FocalPoint
	h.render(w, r, http.StatusOK, "users", "users", d)
}

func userFromForm(r *http.Request) account.User {
	role, _ := access.ParseRole(r.PostForm.Get("role"))
	u := account.User{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Role: role,
		Contributor: r.PostForm.Get("contributor"), Disabled: r.PostForm.Get("disabled") == "on"}
	if role.ForState() {
		u.State = r.PostForm.Get("state")
	}
	if role != access.Donor {
		u.Contributor = ""
	}
	return u
}

// CreateUser handles the new-account form.
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) {
	a := access.FromContext(r.Context())
	u := userFromForm(r)
	created, err := h.accounts.CreateUser(r.Context(), a, u, r.PostForm.Get("password"))
	if err != nil {
		h.formFailed(w, r, err, u, false)
		return
	}
	redirectDone(w, r, "/admin/users/"+strconv.FormatInt(created.ID, 10), "user_created")
}

func (h *Handler) formFailed(w http.ResponseWriter, r *http.Request, err error, u account.User, editing bool) {
	e := fail.As(err)
	if e == nil || (e.Kind != fail.Invalid && e.Kind != fail.Conflict) {
		h.Error(w, r, err)
		return
	}
	d, derr := h.usersData(r, account.UserFilter{Limit: 500})
	if derr != nil {
		h.Error(w, r, derr)
		return
	}
	d.Form, d.Err, d.ErrFor, d.Editing = u, e.Message, e.Field, editing
	name := "users"
	if editing {
		name = "user"
	}
	h.render(w, r, fail.Status(err), name, "users", d)
}

// User shows one account, with the form to change it for admins.
func (h *Handler) User(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	a := access.FromContext(r.Context())
	u, err := h.accounts.Store.User(r.Context(), a, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	states, _, err := h.store.Participants(r.Context(), state.Filter{})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "user", "users", usersPage{Form: u, States: states, Roles: access.Roles, Editing: true})
}

// UpdateUser handles the account form.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	a := access.FromContext(r.Context())
	current, err := h.accounts.Store.User(r.Context(), a, id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	u := userFromForm(r)
	// The form has no language; the account keeps the one its owner chose.
	u.ID, u.Email, u.Locale = id, current.Email, current.Locale
	if _, err := h.accounts.UpdateUser(r.Context(), a, u); err != nil {
		h.formFailed(w, r, err, u, true)
		return
	}
	redirectDone(w, r, "/admin/users/"+strconv.FormatInt(id, 10), "user_updated")
}
