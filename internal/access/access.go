// Package access says who may do what: roles held for a scope, the actor
// making a request, and the one policy table that every edge and the storage
// layer consult.
package access

import (
	"context"
	"fmt"

	"github.com/cpcj/cpcj/internal/fail"
)

// Role is what a user is to the programme. A role is always held for a scope:
// the whole programme (admin, secretariat), one State (focal point, expert) or
// one contributor (donor).
type Role string

// The roles. Public is the role of anyone who is not signed in.
const (
	Public      Role = "public"
	Admin       Role = "admin"
	Secretariat Role = "secretariat"
	FocalPoint  Role = "focal_point"
	Expert      Role = "expert"
	Donor       Role = "donor"
)

// Roles lists the roles a user account can hold, in the order forms show them.
var Roles = []Role{Admin, Secretariat, FocalPoint, Expert, Donor}

// ParseRole accepts a role name as stored or as typed ("focal-point").
func ParseRole(s string) (Role, error) {
	switch s {
	case "admin":
		return Admin, nil
	case "secretariat":
		return Secretariat, nil
	case "focal_point", "focal-point", "focalpoint":
		return FocalPoint, nil
	case "expert":
		return Expert, nil
	case "donor":
		return Donor, nil
	}
	return "", fail.Field("role", "unknown role %q: use admin, secretariat, focal_point, expert or donor", s)
}

// ProgrammeWide reports whether the role is held for the whole programme.
func (r Role) ProgrammeWide() bool { return r == Admin || r == Secretariat }

// ForState reports whether the role is held for one State.
func (r Role) ForState() bool { return r == FocalPoint || r == Expert }

// Actor is whoever makes a request: a signed-in user with their role and
// scope, a machine client holding one of their tokens, the command line, or
// the public.
type Actor struct {
	UserID      int64
	Email       string // for signed-in users; shown in the audit trail
	Name        string
	Role        Role
	State       string // ISO alpha-3 code, for focal points and experts
	Contributor string // contributor code, for donors
	Locale      string // the user's chosen language, if any
	SessionCSRF string // the session's CSRF token; empty for token and CLI actors
	ViaToken    bool   // the request carries an API token
}

// Anonymous is the public.
var Anonymous = Actor{Role: Public}

// System returns the actor for work done by the program itself or by an
// operator at the command line; it holds programme-wide admin rights.
func System(name string) Actor {
	return Actor{Role: Admin, Name: name}
}

// SignedIn reports whether the actor is more than the public.
func (a Actor) SignedIn() bool { return a.Role != Public && a.Role != "" }

// Label names the actor in the audit trail and logs.
func (a Actor) Label() string {
	switch {
	case a.Email != "":
		return a.Email
	case a.Name != "":
		return a.Name
	}
	return "public"
}

// Scope returns the part of the programme the actor's role is held for.
func (a Actor) Scope() Scope {
	switch {
	case a.Role.ProgrammeWide():
		return Scope{All: true}
	case a.Role.ForState():
		return Scope{State: a.State}
	case a.Role == Donor:
		return Scope{Contributor: a.Contributor}
	}
	return Scope{}
}

// Scope is what the storage layer restricts a query to. The zero Scope is the
// public's: published data only.
type Scope struct {
	All         bool
	State       string
	Contributor string
}

// CoversState reports whether State data of code (drafts, accounts, requests)
// is within the scope.
func (s Scope) CoversState(code string) bool {
	return s.All || (s.State != "" && s.State == code)
}

func (s Scope) String() string {
	switch {
	case s.All:
		return "programme"
	case s.State != "":
		return "state " + s.State
	case s.Contributor != "":
		return "contributor " + s.Contributor
	}
	return "public"
}

// Action is something an actor may be allowed to do.
type Action string

// The actions of the platform. Modules add theirs to the policy table.
const (
	ReadStates    Action = "states.read"
	ReadUsers     Action = "users.read"
	ManageUsers   Action = "users.manage"
	ReadAudit     Action = "audit.read"
	UseAccount    Action = "account.use" // own password, tokens, notifications
	ReadReference Action = "reference.read"
	// ManageTreaties is entering and correcting participation records.
	ManageTreaties Action = "treaties.manage"
	// ManageStatistics is loading and revising published statistics.
	ManageStatistics Action = "statistics.manage"
	// ManageReference is changing reference data: code lists, dataflows.
	ManageReference Action = "reference.manage"
	// ReadCollection is seeing the collection rounds and a State's
	// submissions, drafts and queries (unpublished figures).
	ReadCollection Action = "collection.read"
	// SubmitData is saving and sending a State's figures in a round.
	SubmitData Action = "collection.submit"
	// ReviewData is opening rounds, querying, validating and publishing
	// States' figures.
	ReviewData Action = "collection.review"
)

// rule decides an action for an actor on a target State ("" when the
// target is not one State's).
type rule func(a Actor, state string) bool

func anyone(Actor, string) bool            { return true }
func signedIn(a Actor, _ string) bool      { return a.SignedIn() }
func programmeWide(a Actor, _ string) bool { return a.Role.ProgrammeWide() }
func adminOnly(a Actor, _ string) bool     { return a.Role == Admin }
func ownStateOrProgramme(a Actor, s string) bool {
	if a.Role.ProgrammeWide() {
		return true
	}
	return a.Role == FocalPoint && s != "" && a.State == s
}

// stateOrProgramme lets the programme and anyone holding a role for the
// State (focal point or expert) through.
func stateOrProgramme(a Actor, s string) bool {
	if a.Role.ProgrammeWide() {
		return true
	}
	return a.Role.ForState() && s != "" && a.State == s
}

// focalPointOf lets only the State's focal point through: figures are the
// State's to send, not the secretariat's.
func focalPointOf(a Actor, s string) bool { return a.Role == FocalPoint && s != "" && a.State == s }

// policy is the one place that says who may do what.
var policy = map[Action]rule{
	ReadStates:    anyone,
	ReadReference: anyone,
	UseAccount:    signedIn,
	ReadUsers:     ownStateOrProgramme,
	ManageUsers:   adminOnly,
	ReadAudit:     programmeWide,
	// The secretariat keeps the depositary records, as UNODC does today.
	ManageTreaties: programmeWide,
	// The secretariat publishes the statistics; admins keep reference data.
	ManageStatistics: programmeWide,
	ManageReference:  programmeWide,
	// Unpublished figures are the State's and the secretariat's alone.
	ReadCollection: stateOrProgramme,
	SubmitData:     focalPointOf,
	ReviewData:     programmeWide,
}

// Allowed reports whether a may take action on the target State (empty
// when the action is not about one State).
func Allowed(a Actor, action Action, state string) bool {
	r, ok := policy[action]
	if !ok {
		panic(fmt.Sprintf("access: no policy for action %q", action))
	}
	return r(a, state)
}

// DeniedKey is the message key of a refusal by the policy; pages name the
// reader's role with it.
const DeniedKey = "error.403.role"

// Covered returns the part of the programme whose records of an action's
// kind the actor may reach: all of it, one State's, or none. The storage
// layer turns it into the condition of its query, so that the policy table
// decides lists as it decides single records.
func Covered(a Actor, action Action) Scope {
	switch {
	case Allowed(a, action, ""):
		return Scope{All: true}
	case a.State != "" && Allowed(a, action, a.State):
		return Scope{State: a.State}
	}
	return Scope{}
}

// Check returns nil when a may take the action, Unauthorized when signing in
// might help, and Forbidden otherwise.
func Check(a Actor, action Action, state string) error {
	if Allowed(a, action, state) {
		return nil
	}
	if !a.SignedIn() {
		return &fail.Error{Kind: fail.Unauthorized, Message: "Sign in to see this page.", Key: "error.401.lead"}
	}
	return &fail.Error{Kind: fail.Forbidden, Key: DeniedKey,
		Message: fmt.Sprintf("Your role (%s, held for %s) does not allow this.", a.Role, a.Scope())}
}

type ctxKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the actor of the request, or Anonymous.
func FromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(ctxKey{}).(Actor); ok {
		return a
	}
	return Anonymous
}
