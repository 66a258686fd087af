package server

import (
	"net/http"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/state"
)

// Kind says which conventions a route follows: errors as HTML pages or as
// problem documents, and how CSRF is checked.
type Kind int

// The kinds of route.
const (
	Page Kind = iota // HTML; forms carry a CSRF token
	API              // JSON under /api/v1; sessions send X-CSRF-Token
	Ops              // health, readiness, metrics, static files
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // method and path, as net/http's ServeMux reads them
	Kind    Kind
	Handler http.HandlerFunc
	Op      *api.Op // the OpenAPI description of an API route
}

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

var (
	codeParam = api.Param{Name: "code", In: "path", Type: "string", Pattern: "^[A-Za-z]{3}$", Description: "ISO 3166-1 alpha-3 code; EUU for the European Union."}
	idParam   = api.Param{Name: "id", In: "path", Type: "integer", Description: "The record's id."}
	roleEnum  = []string{string(access.Admin), string(access.Secretariat), string(access.FocalPoint), string(access.Expert), string(access.Donor)}
)

// routeTable is every route of cpcj, in one place. Modules add theirs here.
func (s *Server) routeTable() []Route {
	a, w := s.api, s.web
	page := func(pattern string, h http.HandlerFunc) Route { return Route{Pattern: pattern, Kind: Page, Handler: h} }
	ops := func(pattern string, h http.HandlerFunc) Route { return Route{Pattern: pattern, Kind: Ops, Handler: h} }
	routes := []Route{
		ops("GET /healthz", s.Healthz),
		ops("GET /readyz", s.Readyz),
		ops("GET /metrics", s.metrics.Handler().ServeHTTP),
		ops("GET /static/{file}", w.Static),

		page("GET /{$}", w.Home),
		page("GET /states", w.States),
		page("GET /states/{code}", w.State),
		page("GET /treaties", w.Module),
		page("GET /statistics", w.Module),
		page("GET /reviews", w.Module),
		page("GET /assistance", w.Module),
		page("GET /funding", w.Module),
		page("GET /cooperation", w.Module),
		page("GET /library", w.Module),
		page("GET /reports", w.Module),
		page("GET /sources/{folder}", w.DataFile),
		page("GET /api", w.APIReference),

		page("GET /signin", w.SignInForm),
		page("POST /signin", w.SignIn),
		page("POST /signout", w.SignOut),
		page("POST /language", w.Language),
		page("GET /account", w.Account),
		page("POST /account/password", w.ChangePassword),
		page("POST /account/tokens", w.CreateToken),
		page("POST /account/tokens/{id}/revoke", w.RevokeToken),
		page("GET /notifications", w.Notifications),
		page("POST /notifications/read", w.ReadNotifications),

		page("GET /admin/users", w.Users),
		page("POST /admin/users", w.CreateUser),
		page("GET /admin/users/{id}", w.User),
		page("POST /admin/users/{id}", w.UpdateUser),
		page("GET /audit", w.Audit),

		ops("GET /api/v1/openapi.json", s.serveOpenAPI),
	}
	return append(routes, apiRoutes(a)...)
}

// apiRoutes are the routes of the JSON API, each with its OpenAPI
// description.
func apiRoutes(a *api.Handler) []Route {
	rest := func(pattern string, h http.HandlerFunc, op api.Op) Route {
		return Route{Pattern: pattern, Kind: API, Handler: h, Op: &op}
	}
	signedIn := "any signed-in user, for their own account"
	return []Route{
		rest("GET /api/v1/states", a.ListStates, api.Op{ID: "listStates", Tag: "states",
			Summary:     "List the participants: Member States, observer States, other States and the European Union",
			Description: "Sorted by name. The list is public reference data; each server may answer from a copy up to a few seconds old.",
			Params: []api.Param{
				{Name: "regional_group", In: "query", Type: "string", Enum: []string{"AG", "APG", "EEG", "GRULAC", "WEOG"}, Description: "UN regional group."},
				{Name: "kind", In: "query", Type: "string", Enum: []string{string(state.MemberState), string(state.ObserverState), string(state.NonMemberState), string(state.Organization)}, Description: "Kind of participant."},
				{Name: "q", In: "query", Type: "string", Description: "Part of the name or code, in any case."},
				api.LimitParam, api.OffsetParam,
			},
			Response: api.List[state.Participant]{}}),
		rest("GET /api/v1/states/{code}", a.GetState, api.Op{ID: "getState", Tag: "states",
			Summary: "One participant", Params: []api.Param{codeParam}, Response: state.Participant{}}),
		rest("GET /api/v1/regional-groups", a.ListGroups, api.Op{ID: "listRegionalGroups", Tag: "states",
			Summary: "The five UN regional groups", Response: api.List[state.Group]{}}),

		rest("GET /api/v1/users", a.ListUsers, api.Op{ID: "listUsers", Tag: "accounts",
			Summary: "List accounts", Access: "admins and the secretariat (all accounts); focal points (the accounts of their State)",
			Params: []api.Param{
				{Name: "role", In: "query", Type: "string", Enum: roleEnum, Description: "Only accounts with this role."},
				{Name: "state", In: "query", Type: "string", Description: "Only accounts held for this State (ISO alpha-3)."},
				{Name: "q", In: "query", Type: "string", Description: "Part of the e-mail address or name."},
				api.LimitParam, api.OffsetParam,
			},
			Response: api.List[account.User]{}}),
		rest("POST /api/v1/users", a.CreateUser, api.Op{ID: "createUser", Tag: "accounts",
			Summary: "Add an account", Access: "admins", Body: api.NewUser{}, Response: account.User{}, Status: http.StatusCreated,
			Description: "The password must have at least 12 characters. The new user is notified."}),
		rest("GET /api/v1/users/{id}", a.GetUser, api.Op{ID: "getUser", Tag: "accounts",
			Summary: "One account", Access: "the account's owner, admins, the secretariat, and the focal point of its State",
			Params: []api.Param{idParam}, Response: account.User{}}),
		rest("PATCH /api/v1/users/{id}", a.UpdateUser, api.Op{ID: "updateUser", Tag: "accounts",
			Summary: "Change an account's name, role, scope or disabled flag", Access: "admins",
			Description: "Disabling an account ends its sessions.",
			Params:      []api.Param{idParam}, Body: api.UserPatch{}, Response: account.User{}}),

		rest("GET /api/v1/me", a.Me, api.Op{ID: "getMe", Tag: "me",
			Summary: "The caller's own account", Access: signedIn, Response: account.User{}}),
		rest("GET /api/v1/me/tokens", a.ListTokens, api.Op{ID: "listTokens", Tag: "me",
			Summary: "The caller's API tokens (never their secrets)", Access: signedIn, Response: api.List[account.Token]{}}),
		rest("POST /api/v1/me/tokens", a.CreateToken, api.Op{ID: "createToken", Tag: "me",
			Summary: "Make an API token", Access: signedIn, Body: api.NewToken{}, Response: api.CreatedToken{}, Status: http.StatusCreated,
			Description: "The secret is in the answer, once; cpcj keeps only its hash. The token acts with the caller's role and scope."}),
		rest("DELETE /api/v1/me/tokens/{id}", a.RevokeToken, api.Op{ID: "revokeToken", Tag: "me",
			Summary: "Revoke one of the caller's API tokens", Access: signedIn, Params: []api.Param{idParam}, Status: http.StatusNoContent}),
		rest("GET /api/v1/me/notifications", a.ListNotifications, api.Op{ID: "listNotifications", Tag: "me",
			Summary: "The caller's notifications, newest first", Access: signedIn,
			Params:   []api.Param{{Name: "unread", In: "query", Type: "boolean", Description: "Only unread notifications."}, api.LimitParam},
			Response: api.List[notify.Notification]{}}),
		rest("POST /api/v1/me/notifications/{id}/read", a.ReadNotification, api.Op{ID: "readNotification", Tag: "me",
			Summary: "Mark a notification as read", Access: signedIn, Params: []api.Param{idParam}, Status: http.StatusNoContent}),

		rest("GET /api/v1/audit", a.ListAudit, api.Op{ID: "listAudit", Tag: "audit",
			Summary: "The audit trail, newest first", Access: "admins and the secretariat",
			Description: "Every change to programme data, with digests of the record before and after, chained by hash. Page back with before=<the last seq seen>.",
			Params: []api.Param{
				{Name: "entity", In: "query", Type: "string", Description: "Kind of record, e.g. account."},
				{Name: "entity_id", In: "query", Type: "string", Description: "The record's id."},
				{Name: "actor", In: "query", Type: "string", Description: "Part of the actor's e-mail address or name."},
				{Name: "from", In: "query", Type: "string", Description: "First day, YYYY-MM-DD (UTC)."},
				{Name: "to", In: "query", Type: "string", Description: "Last day, YYYY-MM-DD (UTC)."},
				{Name: "before", In: "query", Type: "integer", Description: "Only records numbered below this."},
				{Name: "limit", In: "query", Type: "integer", Description: "Records per page, 1 to 500 (default 100)."},
			},
			Response: api.List[audit.Record]{}}),
	}
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.openapi)
}
