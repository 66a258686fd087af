// Package account holds user accounts, their sessions and API tokens, and
// the rules for signing in: passwords hashed with Argon2id, attempts limited
// per account and per address, sessions and tokens stored only as hashes.
package account

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
)

// User is a person with an account. Passwords never leave the store.
type User struct {
	ID          int64       `json:"id"`
	Email       string      `json:"email"`
	Name        string      `json:"name"`
	Role        access.Role `json:"role"`
	State       string      `json:"state,omitempty"`       // for focal points and experts
	Contributor string      `json:"contributor,omitempty"` // for donors
	Locale      string      `json:"locale,omitempty"`      // preferred language; empty follows the browser
	Disabled    bool        `json:"disabled"`
	Sample      bool        `json:"sample"` // a demo account created by serve --demo
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// Actor returns the actor the user acts as.
func (u User) Actor() access.Actor {
	return access.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, State: u.State, Contributor: u.Contributor, Locale: u.Locale}
}

var contributorRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{1,31}$`)

// Normalize trims the user's fields and lower-cases the e-mail address.
func (u *User) Normalize() {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = strings.TrimSpace(u.Name)
	u.State = strings.ToUpper(strings.TrimSpace(u.State))
	u.Contributor = strings.ToUpper(strings.TrimSpace(u.Contributor))
}

// Validate checks the user's fields and that the role's scope is given: a
// State for focal points and experts, a contributor for donors, nothing for
// programme-wide roles. Whether the State exists is the store's to check.
func (u User) Validate() error {
	if _, err := mail.ParseAddress(u.Email); err != nil || strings.ContainsAny(u.Email, "<> ") || len(u.Email) > 254 {
		return fail.Field("email", "%q is not an e-mail address", u.Email)
	}
	if u.Name == "" {
		return fail.Field("name", "a name is required")
	}
	if utf8.RuneCountInString(u.Name) > 200 {
		return fail.Field("name", "a name is at most 200 characters")
	}
	r, err := access.ParseRole(string(u.Role))
	if err != nil {
		return err
	}
	if r != u.Role {
		// ParseRole also takes spellings such as "focal-point", which the
		// database refuses.
		return fail.Field("role", "%q: use %s", u.Role, r)
	}
	switch {
	case u.Role.ForState() && u.State == "":
		return fail.Field("state", "a %s is held for one State: give its ISO alpha-3 code", u.Role)
	case !u.Role.ForState() && u.State != "":
		return fail.Field("state", "a %s is not held for a State", u.Role)
	case u.Role == access.Donor && !contributorRe.MatchString(u.Contributor):
		return fail.Field("contributor", "a donor is held for one contributor: give its code (capital letters, digits, - or _)")
	case u.Role != access.Donor && u.Contributor != "":
		return fail.Field("contributor", "a %s is not held for a contributor", u.Role)
	}
	return nil
}

// Session is a signed-in browser. The cookie holds a secret token; the store
// keeps only its hash.
type Session struct {
	Hash      string
	UserID    int64
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
	SeenAt    time.Time
	Address   string
	UserAgent string
}

// Token is an API token for machine clients. It acts with its owner's role
// and scope; the store keeps only its hash.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // first characters, to recognise a token
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// UserFilter selects accounts.
type UserFilter struct {
	Role          access.Role
	State         string
	Query         string // part of the e-mail address or name
	Limit, Offset int
}

// Store keeps accounts, sessions, tokens and sign-in counters. Methods that
// read or change accounts take the acting user, and restrict themselves to
// that actor's scope.
type Store interface {
	CreateUser(ctx context.Context, by access.Actor, u User, passwordHash string) (User, error)
	UpdateUser(ctx context.Context, by access.Actor, u User) (User, error)
	SetPassword(ctx context.Context, by access.Actor, userID int64, passwordHash string) error
	User(ctx context.Context, by access.Actor, id int64) (User, error)
	Users(ctx context.Context, by access.Actor, f UserFilter) ([]User, int, error)
	CountUsers(ctx context.Context) (int, error)

	// Credentials returns the account and password hash for an e-mail
	// address, for signing in; it is not scoped and must not reach a response.
	Credentials(ctx context.Context, email string) (User, string, error)

	CreateSession(ctx context.Context, u User, s Session) error
	// SessionUser returns a session that has not expired (by the store's
	// clock) and was last seen after idleSince, with its user.
	SessionUser(ctx context.Context, hash string, idleSince time.Time) (User, Session, error)
	TouchSession(ctx context.Context, hash string, now time.Time) error
	DeleteSession(ctx context.Context, by access.Actor, hash string) error
	DeleteOtherSessions(ctx context.Context, userID int64, keepHash string) error

	CreateToken(ctx context.Context, by access.Actor, t Token, hash string) (Token, error)
	Tokens(ctx context.Context, by access.Actor, userID int64) ([]Token, error)
	RevokeToken(ctx context.Context, by access.Actor, id int64) error
	// RevokeTokens revokes every token of an account.
	RevokeTokens(ctx context.Context, by access.Actor, userID int64) error
	TokenUser(ctx context.Context, hash string, now time.Time) (User, error)

	// Failures returns the attempts counted under key since since.
	Failures(ctx context.Context, key string, since time.Time) (count int, first time.Time, err error)
	// AddFailure counts one attempt under key, in a window that starts
	// again when the previous one began before since, and returns the new
	// count and the window's start, atomically.
	AddFailure(ctx context.Context, key string, now, since time.Time) (count int, first time.Time, err error)
	// ForgiveFailure takes back one attempt: the one that succeeded.
	ForgiveFailure(ctx context.Context, key string) error
	ClearFailures(ctx context.Context, key string) error
}
