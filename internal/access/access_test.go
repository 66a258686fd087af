package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
)

var (
	admin  = access.Actor{UserID: 1, Email: "admin@example.org", Role: access.Admin}
	sec    = access.Actor{UserID: 2, Email: "sec@example.org", Role: access.Secretariat}
	fpKEN  = access.Actor{UserID: 3, Email: "fp@example.org", Role: access.FocalPoint, State: "KEN"}
	expKEN = access.Actor{UserID: 4, Email: "exp@example.org", Role: access.Expert, State: "KEN"}
	donor  = access.Actor{UserID: 5, Email: "donor@example.org", Role: access.Donor, Contributor: "NORAD"}
	public = access.Anonymous
	cli    = access.System("cpcj user add")
)

func TestParseRole(t *testing.T) {
	for in, want := range map[string]access.Role{
		"admin": access.Admin, "secretariat": access.Secretariat,
		"focal_point": access.FocalPoint, "focal-point": access.FocalPoint, "focalpoint": access.FocalPoint,
		"expert": access.Expert, "donor": access.Donor,
	} {
		if got, err := access.ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "public", "Admin", "root", "focal point"} {
		_, err := access.ParseRole(in)
		if e := fail.As(err); e == nil || e.Kind != fail.Invalid || e.Field != "role" {
			t.Errorf("ParseRole(%q) = %v, want Invalid on role", in, err)
		}
	}
	// Every role an account can hold parses as itself.
	for _, r := range access.Roles {
		if got, err := access.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
}

func TestPolicy(t *testing.T) {
	type cell struct {
		a     access.Actor
		state string
		want  bool
	}
	tests := []struct {
		action access.Action
		cells  []cell
	}{
		{access.ReadStates, []cell{{public, "", true}, {donor, "", true}, {admin, "", true}}},
		{access.ReadReference, []cell{{public, "", true}, {expKEN, "", true}}},
		{access.UseAccount, []cell{{public, "", false}, {donor, "", true}, {expKEN, "", true}, {admin, "", true}, {access.Actor{}, "", false}}},
		{access.ReadUsers, []cell{
			{admin, "", true}, {sec, "NOR", true}, {fpKEN, "KEN", true},
			{fpKEN, "NOR", false}, {fpKEN, "", false}, {expKEN, "KEN", false}, {donor, "", false}, {public, "KEN", false},
		}},
		{access.ManageUsers, []cell{
			{admin, "", true}, {admin, "KEN", true}, {cli, "KEN", true},
			{sec, "", false}, {fpKEN, "KEN", false}, {expKEN, "KEN", false}, {donor, "", false}, {public, "", false},
		}},
		{access.ReadAudit, []cell{
			{admin, "", true}, {sec, "", true},
			{fpKEN, "", false}, {fpKEN, "KEN", false}, {expKEN, "", false}, {donor, "", false}, {public, "", false},
		}},
		// Unpublished figures: the State's people and the programme see
		// them; only the focal point sends them; only the programme
		// reviews them.
		{access.ReadCollection, []cell{
			{admin, "", true}, {sec, "NOR", true}, {fpKEN, "KEN", true}, {expKEN, "KEN", true},
			{fpKEN, "NOR", false}, {fpKEN, "", false}, {expKEN, "NOR", false}, {donor, "KEN", false}, {public, "KEN", false},
		}},
		{access.SubmitData, []cell{
			{fpKEN, "KEN", true},
			{fpKEN, "NOR", false}, {fpKEN, "", false}, {expKEN, "KEN", false}, {sec, "KEN", false}, {admin, "KEN", false}, {donor, "KEN", false}, {public, "KEN", false},
		}},
		{access.ReviewData, []cell{
			{admin, "", true}, {sec, "KEN", true},
			{fpKEN, "KEN", false}, {expKEN, "KEN", false}, {donor, "", false}, {public, "", false},
		}},
	}
	for _, tt := range tests {
		for _, c := range tt.cells {
			if got := access.Allowed(c.a, tt.action, c.state); got != c.want {
				t.Errorf("Allowed(%s for %s, %s, %q) = %v, want %v", c.a.Role, c.a.Scope(), tt.action, c.state, got, c.want)
			}
		}
	}
}

func TestUnknownActionPanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "no policy") {
			t.Errorf("recovered %v, want a panic about the missing policy", p)
		}
	}()
	access.Allowed(admin, "nothing.defined", "")
}

func TestCheck(t *testing.T) {
	if err := access.Check(admin, access.ManageUsers, ""); err != nil {
		t.Errorf("admin: %v", err)
	}
	err := access.Check(public, access.ManageUsers, "")
	if !fail.Is(err, fail.Unauthorized) {
		t.Errorf("public: %v, want unauthorized (signing in might help)", err)
	}
	err = access.Check(fpKEN, access.ManageUsers, "KEN")
	if !fail.Is(err, fail.Forbidden) || !strings.Contains(err.Error(), "focal_point") || !strings.Contains(err.Error(), "state KEN") {
		t.Errorf("focal point: %v, want forbidden naming the role and scope", err)
	}
}

func TestScope(t *testing.T) {
	tests := []struct {
		a      access.Actor
		want   access.Scope
		str    string
		covers map[string]bool
	}{
		{admin, access.Scope{All: true}, "programme", map[string]bool{"KEN": true, "": true}},
		{sec, access.Scope{All: true}, "programme", map[string]bool{"NOR": true}},
		{fpKEN, access.Scope{State: "KEN"}, "state KEN", map[string]bool{"KEN": true, "NOR": false, "": false}},
		{expKEN, access.Scope{State: "KEN"}, "state KEN", map[string]bool{"KEN": true, "ken": false}},
		{donor, access.Scope{Contributor: "NORAD"}, "contributor NORAD", map[string]bool{"NOR": false, "": false}},
		{public, access.Scope{}, "public", map[string]bool{"KEN": false, "": false}},
		// A State role without its State covers nothing, not everything.
		{access.Actor{Role: access.FocalPoint}, access.Scope{}, "public", map[string]bool{"": false}},
	}
	for _, tt := range tests {
		s := tt.a.Scope()
		if s != tt.want || s.String() != tt.str {
			t.Errorf("%s: scope %+v (%s), want %+v (%s)", tt.a.Role, s, s, tt.want, tt.str)
		}
		for code, want := range tt.covers {
			if s.CoversState(code) != want {
				t.Errorf("%s covers %q: %v, want %v", tt.str, code, !want, want)
			}
		}
	}
}

func TestActor(t *testing.T) {
	for _, tt := range []struct {
		a        access.Actor
		label    string
		signedIn bool
	}{
		{admin, "admin@example.org", true},
		{cli, "cpcj user add", true},
		{access.Actor{Name: "N", Email: "e@example.org", Role: access.Expert}, "e@example.org", true},
		{public, "public", false},
		{access.Actor{}, "public", false},
	} {
		if tt.a.Label() != tt.label || tt.a.SignedIn() != tt.signedIn {
			t.Errorf("%+v: label %q signed in %v, want %q %v", tt.a, tt.a.Label(), tt.a.SignedIn(), tt.label, tt.signedIn)
		}
	}
	if !access.Admin.ProgrammeWide() || !access.Secretariat.ProgrammeWide() || access.FocalPoint.ProgrammeWide() {
		t.Error("ProgrammeWide is wrong")
	}
	if !access.FocalPoint.ForState() || !access.Expert.ForState() || access.Donor.ForState() || access.Admin.ForState() {
		t.Error("ForState is wrong")
	}
}

func TestContext(t *testing.T) {
	if got := access.FromContext(context.Background()); got != access.Anonymous {
		t.Errorf("empty context: %+v, want the public", got)
	}
	ctx := access.WithActor(context.Background(), fpKEN)
	if got := access.FromContext(ctx); got != fpKEN {
		t.Errorf("FromContext = %+v", got)
	}
}
