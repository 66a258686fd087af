package account_test

import (
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
)

func TestValidate(t *testing.T) {
	ok := account.User{Email: "a@example.org", Name: "A", Role: access.Admin}
	with := func(f func(u *account.User)) account.User {
		u := ok
		f(&u)
		return u
	}
	tests := []struct {
		name  string
		u     account.User
		field string // "" when valid
	}{
		{"admin", ok, ""},
		{"secretariat", with(func(u *account.User) { u.Role = access.Secretariat }), ""},
		{"focal point with a State", with(func(u *account.User) { u.Role, u.State = access.FocalPoint, "KEN" }), ""},
		{"expert with a State", with(func(u *account.User) { u.Role, u.State = access.Expert, "NOR" }), ""},
		{"donor with a contributor", with(func(u *account.User) { u.Role, u.Contributor = access.Donor, "NORAD" }), ""},
		{"donor with a coded contributor", with(func(u *account.User) { u.Role, u.Contributor = access.Donor, "EU-DG_HOME2" }), ""},

		{"focal point without a State", with(func(u *account.User) { u.Role = access.FocalPoint }), "state"},
		{"expert without a State", with(func(u *account.User) { u.Role = access.Expert }), "state"},
		{"admin with a State", with(func(u *account.User) { u.State = "KEN" }), "state"},
		{"secretariat with a State", with(func(u *account.User) { u.Role, u.State = access.Secretariat, "KEN" }), "state"},
		{"donor with a State", with(func(u *account.User) { u.Role, u.State, u.Contributor = access.Donor, "NOR", "NORAD" }), "state"},
		{"donor without a contributor", with(func(u *account.User) { u.Role = access.Donor }), "contributor"},
		{"donor with a one-letter contributor", with(func(u *account.User) { u.Role, u.Contributor = access.Donor, "N" }), "contributor"},
		{"donor with a lower-case contributor", with(func(u *account.User) { u.Role, u.Contributor = access.Donor, "norad" }), "contributor"},
		{"donor with a spaced contributor", with(func(u *account.User) { u.Role, u.Contributor = access.Donor, "NOR AD" }), "contributor"},
		{"admin with a contributor", with(func(u *account.User) { u.Contributor = "NORAD" }), "contributor"},
		{"focal point with a contributor", with(func(u *account.User) { u.Role, u.State, u.Contributor = access.FocalPoint, "KEN", "NORAD" }), "contributor"},

		{"no role", with(func(u *account.User) { u.Role = "" }), "role"},
		{"unknown role", with(func(u *account.User) { u.Role = "superuser" }), "role"},
		{"public is no account's role", with(func(u *account.User) { u.Role = access.Public }), "role"},
		// The database accepts only the stored spelling.
		{"role as typed, not as stored", with(func(u *account.User) { u.Role = "focal-point" }), "role"},

		{"no e-mail", with(func(u *account.User) { u.Email = "" }), "email"},
		{"not an e-mail", with(func(u *account.User) { u.Email = "someone" }), "email"},
		{"e-mail with a name", with(func(u *account.User) { u.Email = "A <a@example.org>" }), "email"},
		{"e-mail with a space", with(func(u *account.User) { u.Email = "a b@example.org" }), "email"},
		{"e-mail too long", with(func(u *account.User) { u.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".org" }), "email"},
		{"no name", with(func(u *account.User) { u.Name = "" }), "name"},
		{"name of 200 characters", with(func(u *account.User) { u.Name = strings.Repeat("é", 200) }), ""},
		{"name too long", with(func(u *account.User) { u.Name = strings.Repeat("é", 201) }), "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.u.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want valid", err)
				}
				return
			}
			e := fail.As(err)
			if e == nil || e.Kind != fail.Invalid || e.Field != tt.field {
				t.Fatalf("Validate = %#v, want Invalid on %s", err, tt.field)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	u := account.User{Email: "  Ama.Owusu@Example.ORG ", Name: "  Ama Owusu\t", State: " ken ", Contributor: " norad "}
	u.Normalize()
	want := account.User{Email: "ama.owusu@example.org", Name: "Ama Owusu", State: "KEN", Contributor: "NORAD"}
	if u != want {
		t.Errorf("Normalize = %+v, want %+v", u, want)
	}
}

func TestUserActor(t *testing.T) {
	u := account.User{ID: 7, Email: "fp@example.org", Name: "FP", Role: access.FocalPoint, State: "KEN", Locale: "fr"}
	a := u.Actor()
	want := access.Actor{UserID: 7, Email: "fp@example.org", Name: "FP", Role: access.FocalPoint, State: "KEN", Locale: "fr"}
	if a != want {
		t.Errorf("Actor = %+v, want %+v", a, want)
	}
	if a.Scope() != (access.Scope{State: "KEN"}) {
		t.Errorf("scope %v", a.Scope())
	}
}
